// Per-channel gossip state (spec §5). See channel.hpp.
#include "protocol/channel.hpp"

#include <algorithm>
#include <charconv>
#include <iterator>
#include <string_view>
#include <utility>

#include "base/assert.hpp"

namespace gs::proto {

namespace {

// spec §1.5: StateInfo / leadership stores use K = 0.
constexpr std::uint64_t kNoBlockWindow = 0;

std::string seq_to_item_id(std::uint64_t seq) { return std::to_string(seq); }

std::optional<std::uint64_t> parse_item_id(const std::string& id) {
  std::uint64_t v = 0;
  const char* end = id.data() + id.size();
  const auto [ptr, ec] = std::from_chars(id.data(), end, v);
  if (ec != std::errc() || ptr != end || id.empty()) return std::nullopt;
  return v;
}

// The block puller's item ID of a block message (spec §5.4: decimal seq_num).
std::string block_item_id(const Envelope& e) {
  const DataMessage* data = e.get_if<DataMessage>();
  return data != nullptr ? seq_to_item_id(data->payload.seq_num) : std::string();
}

// spec §2.4 SelectPeers(k, pool, predicate): all candidates when there are at most k,
// else k distinct ones uniformly at random (partial Fisher–Yates on RngPurpose::channel).
template <typename Pred>
std::vector<ChannelMember> select_peers(std::size_t k, std::vector<ChannelMember> pool, Pred&& pred, Rng& rng) {
  std::vector<ChannelMember> candidates;
  for (ChannelMember& m : pool) {
    if (pred(m)) candidates.push_back(std::move(m));
  }
  if (candidates.size() <= k) return candidates;
  for (std::size_t i = 0; i < k; ++i) {
    const std::size_t j = i + static_cast<std::size_t>(rng.below(candidates.size() - i));
    std::swap(candidates[i], candidates[j]);
  }
  candidates.resize(k);
  return candidates;
}

}  // namespace

// A received message seen through a different envelope (the filtered DataUpdate of §5.7):
// same sender, answers on the same connection.
// Envelopes are immutable here, so where Fabric edits the message in place we wrap it.
class GossipChannel::UpdateView final : public ChannelReceivedMessage {
 public:
  UpdateView(const ChannelReceivedMessage& original, EnvelopePtr envelope)
      : original_(original), envelope_(std::move(envelope)) {}
  const EnvelopePtr& envelope() const override { return envelope_; }
  const PkiId& sender_pki_id() const override { return original_.sender_pki_id(); }
  void respond(const EnvelopePtr& msg) const override { original_.respond(msg); }

 private:
  const ChannelReceivedMessage& original_;
  EnvelopePtr envelope_;
};

// ---------------------------------------------------------------------------------------
// Configuration

ChannelConfig ChannelConfig::defaults_for(Profile p) {
  ChannelConfig c;
  c.profile = p;
  if (is_latest(p)) {
    c.max_block_count_to_store = 10;                        // spec §12: since v2.2
    c.request_wait_time = Duration::milliseconds(1500);     // spec §3.1, §12: since v1.2
  }
  return c;
}

ChannelConfig ChannelConfig::from(const GossipConfig& g) {
  ChannelConfig c;
  c.profile = g.profile;
  c.publish_state_info_interval = g.publish_state_info_interval;
  c.request_state_info_interval = g.request_state_info_interval;
  c.pull_interval = g.pull_interval;
  c.pull_peer_num = g.pull_peer_num;
  c.max_block_count_to_store = g.max_block_count_to_store;
  c.digest_wait_time = g.digest_wait_time;
  c.request_wait_time = g.request_wait_time;
  c.response_wait_time = g.response_wait_time;
  c.leader_alive_threshold = g.election.leader_alive_threshold;
  c.membership_tracker_interval = g.membership_tracker_interval;
  return c;
}

ChannelConfig ChannelConfig::resolved() const {
  ChannelConfig c = *this;
  // spec §4.3 derived values.
  if (!c.block_expiration_interval) c.block_expiration_interval = c.pull_interval * 100;
  if (!c.state_info_cache_sweep_interval) c.state_info_cache_sweep_interval = c.pull_interval * 5;
  if (!c.leadership_msg_expiration) c.leadership_msg_expiration = c.leader_alive_threshold * 10;
  GS_ASSERT(c.publish_state_info_interval > Duration::zero(), "channel: publishStateInfoInterval must be positive");
  GS_ASSERT(c.request_state_info_interval > Duration::zero(), "channel: requestStateInfoInterval must be positive");
  GS_ASSERT(c.pull_interval > Duration::zero(), "channel: pullInterval must be positive");
  GS_ASSERT(!c.latest() || c.membership_tracker_interval > Duration::zero(),
            "channel: membershipTrackerInterval must be positive");
  GS_ASSERT(*c.block_expiration_interval > Duration::zero(), "channel: block expiration must be positive");
  GS_ASSERT(*c.state_info_cache_sweep_interval > Duration::zero(), "channel: cache sweep period must be positive");
  GS_ASSERT(*c.leadership_msg_expiration > Duration::zero(), "channel: leadership TTL must be positive");
  return c;
}

Bytes encode_ledger_height(std::uint64_t h) {
  Bytes out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>(h & 0xFF);
    h >>= 8;
  }
  return out;
}

std::optional<std::uint64_t> decode_ledger_height(const Bytes& metadata) {
  if (metadata.size() != 8) return std::nullopt;
  std::uint64_t h = 0;
  for (const char c : metadata) h = (h << 8) | static_cast<unsigned char>(c);
  return h;
}

// ---------------------------------------------------------------------------------------
// Construction and timers

GossipChannel::GossipChannel(Env& env, ChannelAdapter& adapter, PkiId self, std::string channel,
                             const JoinChannelMessage& join, const ChannelConfig& config)
    : env_(env),
      adapter_(adapter),
      self_(std::move(self)),
      channel_(std::move(channel)),
      config_(config.resolved()),
      // spec §1.5: v1.0 uses a constant inc_num (quirk B.1); latest the channel start time.
      inc_num_(config_.latest() ? static_cast<std::uint64_t>(env.now().ns()) : kStateInfoIncNumV10),
      block_puller_(make_block_puller()),
      // spec §4.3 block store: K = MaxBlockCountToStore, TTL = BlockExpirationInterval;
      // eviction and expiry both remove the seq from the block puller.
      block_store_(MessageComparator{config_.max_block_count_to_store},
                   [this](const EnvelopePtr& m) { block_puller_->remove(block_item_id(*m)); },
                   GossipMessageStore::Expiration{
                       &env_, *config_.block_expiration_interval,
                       [this](const EnvelopePtr& m) { block_puller_->remove(block_item_id(*m)); },
                       "channel.block_store.expire"}),
      // spec §4.3 StateInfo cache: K = 0, not expirable, eviction drops the PKI-ID index.
      state_info_cache_(MessageComparator{kNoBlockWindow},
                        [this](const EnvelopePtr& m) {
                          const StateInfo* si = m->get_if<StateInfo>();
                          if (si == nullptr) return;
                          const auto it = state_info_by_pki_id_.find(si->pki_id);
                          if (it != state_info_by_pki_id_.end() && it->second == m) state_info_by_pki_id_.erase(it);
                        },
                        MessageKeyOf{}),
      // spec §4.3 leadership store: K = 0, TTL = LAT × 10, no callbacks.
      leader_store_(MessageComparator{kNoBlockWindow}, nullptr,
                    GossipMessageStore::Expiration{&env_, *config_.leadership_msg_expiration, nullptr,
                                                   "channel.leader_store.expire"},
                    MessageKeyOf{}) {
  configure(join);
  // Appendix A: publish and request are tickers (first tick one period after start); the
  // cache sweep is a sleep-first loop.
  next_publish_at_ = env_.now() + config_.publish_state_info_interval;
  next_request_at_ = env_.now() + config_.request_state_info_interval;
  arm_publish_ticker();
  arm_request_ticker();
  arm_sweep_timer();
  if (config_.latest()) {
    next_tracker_at_ = env_.now() + config_.membership_tracker_interval;
    arm_tracker_ticker();
  }
}

GossipChannel::~GossipChannel() { stop(); }

void GossipChannel::stop() {
  if (stopped_) return;
  stopped_ = true;
  env_.cancel_timer(publish_timer_);
  env_.cancel_timer(request_timer_);
  env_.cancel_timer(sweep_timer_);
  env_.cancel_timer(tracker_timer_);
  publish_timer_ = request_timer_ = sweep_timer_ = tracker_timer_ = TimerHandle{};
  block_puller_->stop();
  block_store_.stop();
  leader_store_.stop();
}

void GossipChannel::arm_publish_ticker() {
  publish_timer_ = env_.set_timer(next_publish_at_ - env_.now(), "channel.publish_state_info",
                                  [this] { on_publish_tick(); });
}

void GossipChannel::arm_request_ticker() {
  request_timer_ = env_.set_timer(next_request_at_ - env_.now(), "channel.request_state_info",
                                  [this] { on_request_tick(); });
}

void GossipChannel::arm_sweep_timer() {
  sweep_timer_ = env_.set_timer(*config_.state_info_cache_sweep_interval, "channel.state_info_sweep",
                                [this] { on_sweep_timer(); });
}

void GossipChannel::on_publish_tick() {
  publish_timer_ = TimerHandle{};
  if (stopped_) return;
  publish_state_info();
  next_publish_at_ += config_.publish_state_info_interval;  // fixed rate
  if (!stopped_) arm_publish_ticker();
}

void GossipChannel::on_request_tick() {
  request_timer_ = TimerHandle{};
  if (stopped_) return;
  request_state_info();
  next_request_at_ += config_.request_state_info_interval;  // fixed rate
  if (!stopped_) arm_request_ticker();
}

// spec §4.3: every StateInfoCacheSweepInterval, purge StateInfos whose PKI-ID discovery
// no longer knows at all (Lookup == null: purged, not merely dead).
void GossipChannel::on_sweep_timer() {
  sweep_timer_ = TimerHandle{};
  if (stopped_) return;
  state_info_cache_.purge([this](const EnvelopePtr& m) {
    const StateInfo* si = m->get_if<StateInfo>();
    return si != nullptr && !adapter_.lookup(si->pki_id).has_value();
  });
  if (!stopped_) arm_sweep_timer();
}

void GossipChannel::arm_tracker_ticker() {
  tracker_timer_ = env_.set_timer(next_tracker_at_ - env_.now(), "channel.membership_tracker",
                                  [this] { on_tracker_tick(); });
}

// spec §5.10 (latest): compare GetPeers() with the previous snapshot; Fabric logs the
// joins and leaves, we count them (metrics only, no protocol effect).
void GossipChannel::on_tracker_tick() {
  tracker_timer_ = TimerHandle{};
  if (stopped_) return;
  std::vector<PkiId> now_peers;
  for (const ChannelMember& m : get_peers()) now_peers.push_back(m.pki_id);
  std::sort(now_peers.begin(), now_peers.end());
  std::vector<PkiId> diff;
  std::set_difference(now_peers.begin(), now_peers.end(), tracked_peers_.begin(), tracked_peers_.end(),
                      std::back_inserter(diff));
  tracker_stats_.joined += diff.size();
  diff.clear();
  std::set_difference(tracked_peers_.begin(), tracked_peers_.end(), now_peers.begin(), now_peers.end(),
                      std::back_inserter(diff));
  tracker_stats_.left += diff.size();
  ++tracker_stats_.checks;
  tracked_peers_ = std::move(now_peers);
  next_tracker_at_ += config_.membership_tracker_interval;  // fixed rate
  arm_tracker_ticker();
}

// ---------------------------------------------------------------------------------------
// Own StateInfo (spec §5.3)

// spec §5.3 publish ticker. v1.0: push while dirty; clear dirty only once someone is known
// (quirk B.10: re-pushed every tick while the view is empty). Latest: nothing is sent
// (nor signed) while the view is empty; otherwise a freshly signed copy is cached and sent.
void GossipChannel::publish_state_info() {
  if (!should_gossip_state_info_ || !state_info_msg_) return;
  if (!config_.latest()) {
    adapter_.gossip(state_info_msg_);
    if (!adapter_.get_membership().empty()) should_gossip_state_info_ = false;
    return;
  }
  if (adapter_.get_membership().empty()) return;
  build_own_state_info(own_metadata_, own_properties_);
  add_state_info(state_info_msg_);
  adapter_.gossip(state_info_msg_);
  should_gossip_state_info_ = false;
}

// spec §5.3 request ticker: StateInfoPullRequest{MAC(self, channel)}, no-op signed, to
// SelectPeers(PullPeerNum, alive members, IsMemberInChan).
void GossipChannel::request_state_info() {
  std::vector<ChannelMember> peers =
      select_peers(config_.pull_peer_num, adapter_.get_membership(),
                   [this](const ChannelMember& m) { return is_member_in_chan(m.pki_id); }, env_.rng(RngPurpose::channel));
  if (peers.empty()) return;
  GossipMessage req{0, "", Tag::CHAN_OR_ORG, StateInfoPullRequest{channel_mac(self_, channel_)}};
  adapter_.send(Envelope::make_unsigned(std::move(req)), peers);
}

// v1.0's seq_num is the wall clock in ns (§1.5). Virtual time can repeat an instant, and
// an equal timestamp would be rejected as a duplicate by the cache, so successive own
// StateInfos get strictly increasing seq_nums (now, or last + 1 ns).
std::uint64_t GossipChannel::next_state_info_seq() {
  const auto now_ns = static_cast<std::uint64_t>(env_.now().ns());
  last_state_info_seq_ = std::max(now_ns, last_state_info_seq_ + 1);
  return last_state_info_seq_;
}

void GossipChannel::build_own_state_info(const Bytes& metadata, std::optional<StateInfoProperties> properties) {
  StateInfo si;
  si.metadata = metadata;
  si.timestamp = PeerTime{inc_num_, next_state_info_seq()};
  si.pki_id = self_;
  si.channel_mac = channel_mac(self_, channel_);
  si.properties = properties;
  state_info_msg_ = adapter_.sign(GossipMessage{0, "", Tag::CHAN_OR_ORG, std::move(si)});
}

void GossipChannel::update_state_info(const EnvelopePtr& msg) {
  GS_ASSERT(msg != nullptr && msg->is<StateInfo>(), "channel {}: update_state_info needs a StateInfo", channel_);
  const StateInfo& si = *msg->get_if<StateInfo>();
  own_metadata_ = si.metadata;
  if (si.properties) {
    own_properties_ = *si.properties;
    ledger_height_ = si.properties->ledger_height;
  }
  add_state_info(msg);
  state_info_msg_ = msg;
  should_gossip_state_info_ = true;
}

void GossipChannel::update_metadata(const Bytes& metadata) {
  own_metadata_ = metadata;
  build_own_state_info(own_metadata_, std::nullopt);
  update_state_info(state_info_msg_);
}

void GossipChannel::update_ledger_height(std::uint64_t h) {
  if (!config_.latest()) {
    update_metadata(encode_ledger_height(h));  // §8.1 v1.0 metadata
    return;
  }
  own_properties_.ledger_height = h;
  build_own_state_info(Bytes(), own_properties_);
  update_state_info(state_info_msg_);
}

// spec §5.9 (latest): publish left_channel = true; GetPeers, the puller's membership and
// block pull handling go quiet.
void GossipChannel::leave_channel() {
  if (left_) return;
  left_ = true;
  own_properties_.left_channel = true;
  build_own_state_info(Bytes(), own_properties_);
  update_state_info(state_info_msg_);
}

// ---------------------------------------------------------------------------------------
// Eligibility (spec §5.2) and GetPeers (§5.5)

std::optional<std::string> GossipChannel::self_org() { return adapter_.org_of_peer(self_); }

bool GossipChannel::is_org_in_channel(const std::string& org) const {
  return std::find(orgs_.begin(), orgs_.end(), org) != orgs_.end();
}

bool GossipChannel::is_member_in_chan(const PkiId& member) {
  const std::optional<std::string> org = adapter_.org_of_peer(member);
  return org && is_org_in_channel(*org);
}

// v1.0: org in channel ∧ identity known ∧ StateInfo cached ∧ VerifyByChannel on the cached
// StateInfo, evaluated on every query. Latest: identity known ∧ StateInfo cached (org and
// VerifyByChannel were checked when the StateInfo was cached).
bool GossipChannel::eligible_for_channel(const PkiId& member) {
  if (!config_.latest() && !is_member_in_chan(member)) return false;
  const std::optional<IdentityBytes> identity = adapter_.identity_of(member);
  if (!identity) return false;
  const EnvelopePtr si = state_info_of(member);
  if (!si) return false;
  if (config_.latest()) return true;
  return adapter_.verify_by_channel(channel_, *identity, *si);
}

bool GossipChannel::eligible_for_channel_and_same_org(const PkiId& member) {
  if (!eligible_for_channel(member)) return false;
  const std::optional<std::string> org = adapter_.org_of_peer(member);
  const std::optional<std::string> mine = self_org();
  return org && mine && *org == *mine;
}

EnvelopePtr GossipChannel::state_info_of(const PkiId& pki_id) const {
  const auto it = state_info_by_pki_id_.find(pki_id);
  return it == state_info_by_pki_id_.end() ? nullptr : it->second;
}

std::vector<ChannelMember> GossipChannel::get_peers() {
  std::vector<ChannelMember> out;
  if (config_.latest() && left_) return out;  // §5.9
  for (ChannelMember& member : adapter_.get_membership()) {
    if (!eligible_for_channel(member.pki_id)) continue;
    const EnvelopePtr env = state_info_of(member.pki_id);
    if (!env) continue;
    const StateInfo& si = *env->get_if<StateInfo>();
    if (config_.latest()) {
      if (si.properties && si.properties->left_channel) continue;  // §5.5 latest
      member.properties = si.properties;
    } else {
      member.metadata = si.metadata;
    }
    out.push_back(std::move(member));
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Block puller (spec §5.4)

std::unique_ptr<PullMediator> GossipChannel::make_block_puller() {
  PullMediatorConfig pc;
  pc.id = "blocks/" + channel_;
  pc.channel = channel_;
  pc.msg_type = PullMsgType::BLOCK_MSG;
  pc.tag = Tag::CHAN_AND_ORG;
  pc.peer_count_to_select = config_.pull_peer_num;
  pc.engine.digest_wait_time = config_.digest_wait_time;
  pc.engine.request_wait_time = config_.request_wait_time;
  pc.engine.response_wait_time = config_.response_wait_time;
  pc.engine.pull_interval = config_.pull_interval;

  PullMediatorAdapter pa;
  pa.send = [this](const EnvelopePtr& msg, const std::vector<PullMember>& peers) {
    std::vector<ChannelMember> to;
    to.reserve(peers.size());
    for (const PullMember& p : peers) to.push_back(ChannelMember{p.pki_id, p.endpoint, p.internal_endpoint, {}, {}});
    adapter_.send(msg, to);
  };
  pa.get_membership = [this] { return block_puller_membership(); };
  pa.id_extractor = [](const Envelope& item) { return block_item_id(item); };
  // Consumer: de-multiplex only; blocks obtained by pull are not pushed further (§5.7).
  pa.msg_consumer = [this](const EnvelopePtr& item) { adapter_.deliver(item); };
  // §5.4 latest ingress filter: drop advertised seqs below our own ledger height, so
  // committed blocks are never requested. v1.0 and latest: no egress filter.
  if (config_.latest()) {
    pa.ingress_digest_filter = [this](const std::vector<std::string>& digests, const PullReceivedMessage&) {
      std::vector<std::string> wanted;
      for (const std::string& id : digests) {
        const std::optional<std::uint64_t> seq = parse_item_id(id);
        if (seq && *seq >= ledger_height_) wanted.push_back(id);
      }
      return wanted;
    };
  }
  return std::make_unique<PullMediator>(env_, std::move(pc), std::move(pa));
}

// spec §5.1 memFilter: alive members eligible for the channel and in my org; latest: none
// once this peer left the channel (§5.9).
std::vector<PullMember> GossipChannel::block_puller_membership() {
  std::vector<PullMember> out;
  if (config_.latest() && left_) return out;
  for (const ChannelMember& m : adapter_.get_membership()) {
    if (eligible_for_channel_and_same_org(m.pki_id)) out.push_back(PullMember{m.endpoint, m.internal_endpoint, m.pki_id});
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Stores (spec §5.6)

// Latest (§5.2): a foreign StateInfo enters the cache only if its creator's org is in the
// channel and VerifyByChannel accepts it; the own StateInfo is always accepted.
bool GossipChannel::state_info_valid_for_cache(const Envelope& msg) {
  const StateInfo* si = msg.get_if<StateInfo>();
  if (si == nullptr) return false;
  if (si->pki_id == self_) return true;
  if (!is_member_in_chan(si->pki_id)) return false;
  const std::optional<IdentityBytes> identity = adapter_.identity_of(si->pki_id);
  return identity && adapter_.verify_by_channel(channel_, *identity, msg);
}

bool GossipChannel::add_state_info(const EnvelopePtr& msg) {
  const StateInfo* si = msg->get_if<StateInfo>();
  if (si == nullptr) return false;
  if (config_.latest() && !state_info_valid_for_cache(*msg)) return false;
  if (!state_info_cache_.add(msg)) return false;
  state_info_by_pki_id_[si->pki_id] = msg;
  return true;
}

// Latest (§5.2): on reconfiguration every cached StateInfo is re-validated.
void GossipChannel::revalidate_state_info_cache() {
  state_info_cache_.purge([this](const EnvelopePtr& m) { return !state_info_valid_for_cache(*m); });
}

// spec §5.6. v1.0 adds the block to the puller even when the store rejected it; latest
// only when the store accepted it.
void GossipChannel::add_to_msg_store(const EnvelopePtr& msg) {
  if (stopped_ || !msg) return;
  if (msg->is<DataMessage>()) {
    const bool added = block_store_.add(msg);
    if (added || !config_.latest()) block_puller_->add(msg);
    return;
  }
  if (msg->is<StateInfo>()) add_state_info(msg);
}

// spec §5.8: ignore a join message without members or with a lower sequence number (an
// equal one is applied); otherwise replace the org set.
void GossipChannel::configure(const JoinChannelMessage& join) {
  if (join.orgs.empty()) return;
  if (!orgs_.empty() && join.sequence_number < join_.sequence_number) return;
  join_ = join;
  orgs_ = join.orgs;
  if (config_.latest()) revalidate_state_info_cache();
}

// ---------------------------------------------------------------------------------------
// HandleMessage (spec §5.7)

bool GossipChannel::verify_msg(const ChannelReceivedMessage& msg) const {
  if (msg.sender_pki_id().empty()) return false;
  const GossipMessage& m = msg.envelope()->msg();
  if (const StateInfo* si = m.get_if<StateInfo>()) return si->channel_mac == channel_mac(si->pki_id, channel_);
  if (const StateInfoPullRequest* req = m.get_if<StateInfoPullRequest>()) {
    return req->channel_mac == channel_mac(msg.sender_pki_id(), channel_);
  }
  return m.channel == channel_;
}

void GossipChannel::handle_message(const ChannelReceivedMessage& msg) {
  if (stopped_ || !msg.envelope()) return;
  if (!verify_msg(msg)) return;
  const GossipMessage& m = msg.envelope()->msg();
  if (!is_channel_restricted(m)) return;
  const std::optional<std::string> sender_org = adapter_.org_of_peer(msg.sender_pki_id());
  if (!sender_org || !is_org_in_channel(*sender_org)) return;

  if (m.is<StateInfoPullRequest>()) {
    msg.respond(create_state_info_snapshot(*sender_org));
    return;
  }
  if (m.is<StateInfoSnapshot>()) {
    handle_state_info_snapshot(msg);
    return;
  }
  if (m.is<DataMessage>() || m.is<StateInfo>()) {
    handle_data_or_state_info(msg);
    return;
  }
  if (pull_msg_type(m) == PullMsgType::BLOCK_MSG) {
    handle_block_pull_message(msg);
    return;
  }
  if (m.is<LeadershipMessage>()) handle_leadership(msg);
  // RemoteStateRequest/Response match nothing here (spec §2.7 note).
}

// spec §5.3: every cached StateInfo, but a requester of another org sees my org's
// StateInfos only for peers discovery knows with a non-empty external endpoint.
EnvelopePtr GossipChannel::create_state_info_snapshot(const std::string& requester_org) {
  const std::optional<std::string> mine = self_org();
  const bool same_org = mine && *mine == requester_org;
  StateInfoSnapshot snap;
  for (const EnvelopePtr& e : state_info_cache_.get()) {
    const StateInfo& si = *e->get_if<StateInfo>();
    const std::optional<std::string> org = adapter_.org_of_peer(si.pki_id);
    const bool from_my_org = org && mine && *org == *mine;
    if (!same_org && from_my_org) {
      const std::optional<ChannelMember> member = adapter_.lookup(si.pki_id);
      if (!member || member->endpoint.empty()) continue;
    }
    snap.elements.push_back(e);
  }
  return Envelope::make_unsigned(GossipMessage{0, channel_, Tag::CHAN_OR_ORG, std::move(snap)});
}

// spec §5.3: any bad element aborts the rest of the snapshot (earlier elements stay
// cached); elements of peers discovery does not know are skipped; nothing is re-gossiped
// or de-multiplexed.
void GossipChannel::handle_state_info_snapshot(const ChannelReceivedMessage& msg) {
  const StateInfoSnapshot& snap = *msg.envelope()->get_if<StateInfoSnapshot>();
  for (const EnvelopePtr& el : snap.elements) {
    if (!el || !el->is<StateInfo>()) return;
    const StateInfo& si = *el->get_if<StateInfo>();
    const std::optional<std::string> org = adapter_.org_of_peer(si.pki_id);
    if (!org || !is_org_in_channel(*org)) return;
    if (si.channel_mac != channel_mac(si.pki_id, channel_)) return;
    if (!adapter_.validate_state_info_message(*el)) return;
    if (!adapter_.lookup(si.pki_id)) continue;
    add_state_info(el);
  }
}

bool GossipChannel::verify_block(const Envelope& item) {
  const DataMessage* data = item.get_if<DataMessage>();
  if (data == nullptr) return false;
  return adapter_.verify_block(channel_, data->payload.seq_num, data->payload);
}

// spec §5.7 Data / StateInfo: accepted messages are forwarded (v1.0: Gossip; latest:
// Forward, excluding the sender), de-multiplexed, and blocks enter the puller. The
// StateInfo signature was checked by the gossip core (§2.7).
void GossipChannel::handle_data_or_state_info(const ChannelReceivedMessage& msg) {
  const EnvelopePtr& e = msg.envelope();
  const bool is_data = e->is<DataMessage>();
  bool added = false;
  if (is_data) {
    if (!block_store_.check_valid(e)) return;  // duplicate or too old
    if (!verify_block(*e)) return;
    added = block_store_.add(e);
  } else {
    added = add_state_info(e);
  }
  if (!added) return;
  if (config_.latest()) {
    adapter_.forward(msg);
  } else {
    adapter_.gossip(e);
  }
  adapter_.deliver(e);
  if (is_data) block_puller_->add(e);
}

// spec §5.7 block pull messages: only from a same-org peer eligible for the channel whose
// StateInfo we hold. Update items are vetted and stored here; the survivors go on to the
// puller, whose consumer de-multiplexes them.
void GossipChannel::handle_block_pull_message(const ChannelReceivedMessage& msg) {
  if (config_.latest() && left_) return;  // §5.9
  const PkiId& sender = msg.sender_pki_id();
  if (!state_info_of(sender)) return;
  if (!eligible_for_channel_and_same_org(sender)) return;
  const GossipMessage& m = msg.envelope()->msg();

  if (const DataUpdate* update = m.get_if<DataUpdate>()) {
    // Quirk B.3 (reproduced): v1.0 applies CheckValid to the *outer* DataUpdate — for every
    // item, always with the same answer, and a failure drops the whole update. No policy
    // relates a DataUpdate to a stored block, so it never fails; checked once here. The
    // Add below is what filters duplicates.
    if (!config_.latest() && !block_store_.check_valid(msg.envelope())) return;
    std::vector<EnvelopePtr> kept;
    for (const EnvelopePtr& item : update->data) {
      if (!item) return;                                                     // unparsable: drop the update
      if (item->msg().channel != channel_) return;                           // foreign item: drop the update
      if (config_.latest() && !block_store_.check_valid(item)) continue;     // latest: per-item check
      if (!verify_block(*item)) return;
      if (block_store_.add(item)) kept.push_back(item);
    }
    if (kept.size() == update->data.size()) return block_puller_->handle_message(msg);  // nothing filtered
    GossipMessage filtered{m.nonce, m.channel, m.tag, DataUpdate{update->nonce, std::move(kept), update->msg_type}};
    block_puller_->handle_message(UpdateView(msg, Envelope::make_unsigned(std::move(filtered))));
    return;
  }

  block_puller_->handle_message(msg);
}

// spec §5.7 leadership: stored and de-multiplexed, never forwarded. Latest: dropped when
// the sender or the creator is of another org.
void GossipChannel::handle_leadership(const ChannelReceivedMessage& msg) {
  const EnvelopePtr& e = msg.envelope();
  if (config_.latest()) {
    const std::optional<std::string> mine = self_org();
    const std::optional<std::string> sender_org = adapter_.org_of_peer(msg.sender_pki_id());
    const std::optional<std::string> creator_org = adapter_.org_of_peer(e->get_if<LeadershipMessage>()->pki_id);
    if (!mine || sender_org != mine || creator_org != mine) return;
  }
  if (leader_store_.add(e)) adapter_.deliver(e);
}

}  // namespace gs::proto
