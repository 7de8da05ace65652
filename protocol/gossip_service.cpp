#include "protocol/gossip_service.hpp"

#include <algorithm>

#include "base/assert.hpp"
#include "protocol/cert_store.hpp"
#include "protocol/discovery_impl.hpp"
#include "protocol/gossip_adapters.hpp"

namespace gs::proto {

namespace {

EmitterConfig emitter_config(const GossipConfig& c) {
  return EmitterConfig{static_cast<int>(c.propagate_iterations), c.max_propagation_burst_size,
                       c.max_propagation_burst_latency};
}

CommConfig comm_config(const GossipConfig& c) {
  CommConfig cc;
  cc.dial_timeout = c.dial_timeout;
  cc.conn_timeout = c.conn_timeout;
  cc.send_buff_size = c.send_buff_size;
  cc.recv_buff_size = c.recv_buff_size;
  return cc;
}

// spec §4.3: the gossip-level StateInfo store (channels not joined): K = 0, TTL
// publishStateInfoInterval × 100, no callbacks.
std::unique_ptr<GossipMessageStore> make_state_info_store(Env& env, const GossipConfig& c) {
  return std::make_unique<GossipMessageStore>(
      MessageComparator{0}, [](const EnvelopePtr&) {},
      GossipMessageStore::Expiration{&env, c.derived.gossip_state_info_store_ttl, [](const EnvelopePtr&) {},
                                     "gossip.state_info_store.expire"},
      MessageKeyOf{});
}

}  // namespace

GossipService::GossipService(Env& env, const Pki& pki, GossipServiceSetup setup)
    : env_(env), pki_(pki), setup_(std::move(setup)) {
  const GossipConfig& c = setup_.config;
  // spec §2.2 step 1: comm, identity mapper (own identity inserted), StateInfo store.
  mcs_ = std::make_unique<MessageCryptoService>(env_, pki_, setup_.self.pki_id, setup_.crypto_costs);
  idmapper_ = std::make_unique<IdentityMapper>(env_, *mcs_, pki_, setup_.self.identity);
  my_org_index_ = pki_.by_pki_id(setup_.self.pki_id)->org_index;
  comm_ = std::make_unique<Comm>(env_, *idmapper_, comm_config(c));
  state_info_store_ = make_state_info_store(env_, c);
  // step 2: the emitter, routing each flush through gossip_batch (§2.6).
  emitter_ = std::make_unique<BatchingEmitter<Emitted>>(
      env_, emitter_config(c), [this](const std::vector<Emitted>& batch) { gossip_batch(batch); });
  // step 3: discovery with self = {external endpoint, PKI-ID, internal endpoint}.
  disc_comm_ = std::make_unique<DiscoveryCommAdapter>(*this);
  disc_crypto_ = std::make_unique<DiscoveryCryptoAdapter>(*this);
  chan_adapter_ = std::make_unique<ChannelAdapterImpl>(*this);
  NetworkMember self{setup_.external_endpoint, {}, setup_.self.pki_id, setup_.internal_endpoint};
  discovery_ = std::make_unique<DiscoveryImpl>(
      env_, c, self, setup_.self.identity, *disc_comm_, *disc_crypto_,
      [this](const NetworkMember& remote) { return disclosure_policy(remote); });
  // step 4: the identity puller (§2.11), over the full alive membership.
  CertStore::Adapter cert_adapter;
  cert_adapter.membership = [this] { return discovery_->membership(); };
  cert_adapter.lookup = [this](const PkiId& p) { return discovery_->lookup(p); };
  cert_adapter.send = [this](const EnvelopePtr& m, const std::vector<RemotePeer>& peers) { comm_->send(m, peers); };
  cert_adapter.close_conn = [this](const PkiId& p) { comm_->close_conn(p); };
  // Latest also makes discovery forget a purged identity's peer (§6.10); this discovery
  // forgets peers only through its own alive-store expiry, so no hook is given.
  cert_store_ = std::make_unique<CertStore>(env_, *idmapper_, *mcs_, setup_.self, c, std::move(cert_adapter));
  // step 5: discovery sync, presumed-dead relay, inbound loop, bootstrap connections.
  start_sync_loop();
  comm_->on_presumed_dead([this](const PkiId& dead) {
    if (!stopped_) discovery_->on_presumed_dead(dead);  // spec §2.10: no grace period
  });
  comm_->accept([](const ReceivedMessage&) { return true; }, [this](const ReceivedMessage& m) { handle_message(m); });
  connect_to_bootstrap_peers();
}

GossipService::~GossipService() { stop(); }

void GossipService::stop() {
  if (stopped_) return;
  stopped_ = true;
  env_.cancel_timer(sync_timer_);
  for (auto& [name, ch] : channels_) ch->stop();
  cert_store_->stop();
  discovery_->stop();
  emitter_->stop();
  state_info_store_->stop();
  comm_->stop();
}

// spec §2.2 syncDiscovery: act-first loop, period PullInterval.
void GossipService::start_sync_loop() {
  if (stopped_) return;
  discovery_->initiate_sync(setup_.config.pull_peer_num);
  sync_timer_ = env_.set_timer(setup_.config.pull_interval, "gossip.sync_discovery", [this] { start_sync_loop(); });
}

// ---------------------------------------------------------------------------------------
// Outbound API (spec §2.5)

void GossipService::gossip(GossipMessage msg) {
  if (stopped_) return;
  GS_ASSERT(is_tag_legal(msg), "Gossip() with an illegal tag: {}", msg);  // a programming error
  const bool is_data = msg.is<DataMessage>();
  EnvelopePtr env = is_data ? Envelope::make_unsigned(std::move(msg)) : mcs_->sign_message(std::move(msg));
  if (is_channel_restricted(env->msg())) {
    GossipChannel* gc = channel(env->msg().channel);
    if (gc == nullptr) return;  // channel not joined: dropped (Fabric logs a warning)
    if (is_data) gc->add_to_msg_store(env);  // how the orderer-connected peer seeds blocks
  }
  if (setup_.config.propagate_iterations == 0) return;
  emitter_->add(Emitted{std::move(env), {}});
}

void GossipService::send(GossipMessage msg, const std::vector<RemotePeer>& peers) {
  if (stopped_) return;
  comm_->send(Envelope::make_unsigned(std::move(msg)), peers);
}

void GossipService::send_to(const EnvelopePtr& msg, const Chosen& peers) {
  for (const NetworkMember* p : peers) comm_->send(msg, p->preferred_endpoint(), p->pki_id);
}

// ---------------------------------------------------------------------------------------
// Channels

GossipChannel* GossipService::channel(const std::string& name) {
  auto it = channels_.find(name);
  return it == channels_.end() ? nullptr : it->second.get();
}

void GossipService::join_channel(const JoinChannelMessage& join, const std::string& name) {
  if (stopped_) return;
  if (GossipChannel* gc = channel(name)) {
    gc->configure(join);
  } else {
    ChannelConfig cc = ChannelConfig::from(setup_.config);
    channels_.emplace(name, std::make_unique<GossipChannel>(env_, *chan_adapter_, setup_.self.pki_id, name, join, cc));
  }
  for (const auto& [org, anchors] : join.anchor_peers) learn_anchor_peers(org, anchors);
}

void GossipService::update_channel_metadata(const Bytes& metadata, const std::string& name) {
  if (GossipChannel* gc = channel(name)) gc->update_metadata(metadata);
}

void GossipService::update_ledger_height(std::uint64_t height, const std::string& name) {
  if (GossipChannel* gc = channel(name)) gc->update_ledger_height(height);
}

void GossipService::leave_channel(const std::string& name) {
  if (GossipChannel* gc = channel(name)) gc->leave_channel();
}

void GossipService::update_metadata(Bytes metadata) { discovery_->update_metadata(std::move(metadata)); }

std::vector<NetworkMember> GossipService::peers() const { return discovery_->get_membership(); }

std::vector<ChannelMember> GossipService::peers_of_channel(const std::string& name) {
  GossipChannel* gc = channel(name);
  return gc == nullptr ? std::vector<ChannelMember>{} : gc->get_peers();
}

void GossipService::subscribe(std::function<bool(const DeliveredMessage&)> predicate, DeliverHandler handler) {
  subscribers_.emplace_back(std::move(predicate), std::move(handler));
}

Comm::SubscriptionId GossipService::subscribe_raw(Comm::Predicate predicate, Comm::Handler handler) {
  return comm_->accept(std::move(predicate), std::move(handler));
}

void GossipService::deliver(const EnvelopePtr& msg, const std::string& channel_name) {
  const DeliveredMessage d{msg, channel_name, inbound_path_};
  for (const auto& [pred, handler] : subscribers_)
    if (pred(d)) handler(d);
}

// ---------------------------------------------------------------------------------------
// Bootstrap and anchor peers (spec §2.9)

void GossipService::connect_to_bootstrap_peers() {
  for (const Endpoint& ep : setup_.bootstrap) {
    Identifier identifier = [this, ep](IdentifierDone done) {
      comm_->handshake(ep, {}, [this, done](const HandshakeResult& r) {
        if (!r.ok) return done(std::nullopt);
        // The remote must be in my org, else it "cannot be a bootstrap peer".
        if (idmapper_->org_of_identity(r.identity) != setup_.self.org) return done(std::nullopt);
        done(PeerIdentification{r.pki_id, true});
      });
    };
    discovery_->connect(NetworkMember{ep, {}, {}, ep}, std::move(identifier));
  }
}

void GossipService::learn_anchor_peers(const std::string& org, const std::vector<Endpoint>& anchors) {
  for (const Endpoint& ep : anchors) {
    if (ep.empty()) continue;
    if (ep == setup_.external_endpoint || ep == setup_.internal_endpoint) continue;
    if (org != setup_.self.org && setup_.external_endpoint.empty()) continue;  // invisible to other orgs
    Identifier identifier = [this, ep, org](IdentifierDone done) {
      comm_->handshake(ep, {}, [this, done, org](const HandshakeResult& r) {
        if (!r.ok) return done(std::nullopt);
        const std::optional<std::string> remote_org = idmapper_->org_of_identity(r.identity);
        // An anchor listed for my org must be in my org.
        if (org == setup_.self.org && remote_org != setup_.self.org) return done(std::nullopt);
        done(PeerIdentification{r.pki_id, remote_org == setup_.self.org});
      });
    };
    discovery_->connect(NetworkMember{ep, {}, {}, ep}, std::move(identifier));
  }
}

// ---------------------------------------------------------------------------------------
// Routing of one emitter flush (spec §2.6)

std::optional<std::string_view> GossipService::org_of(const PkiId& pki) { return idmapper_->org_of(pki); }

bool GossipService::is_in_my_org(const NetworkMember& m) { return org_of(m.pki_id) == setup_.self.org; }

const GossipService::RoutingTable& GossipService::routing_table(const MembershipView& view) {
  if (routing_.view != view || routing_.identities_generation != idmapper_->generation()) {
    routing_.view = view;
    routing_.identities_generation = idmapper_->generation();
    routing_.identities.clear();
    for (const MemberPtr& m : *view) {
      const PeerCredentials* c = idmapper_->peek_credentials(m->pki_id);
      routing_.identities.push_back(c == nullptr ? MemberIdentity{} : MemberIdentity{c->index, c->org_index});
    }
  }
  return routing_;
}

// spec §2.4 SelectPeers: candidates in pool order; all of them when at most k, else k
// distinct ones uniformly at random. Every forwarded message filters the whole
// membership, so candidates are pointers into the pool (in a buffer kept between calls);
// the result points into the pool too, valid while the caller holds it.
template <typename Pred>
GossipService::Chosen GossipService::select_peers(std::size_t k, const std::vector<MemberPtr>& pool, Pred&& pred) {
  std::vector<const NetworkMember*>& candidates = candidates_buffer_;
  candidates.clear();
  for (const MemberPtr& m : pool)
    if (pred(*m)) candidates.push_back(m.get());
  return choose(k);
}

// SelectPeers with the filter "not excluded (latest, §2.6), identity known, and org in
// `allowed`" (indexed by PeerCredentials::org_index): what the org-based routing filters
// are. It does what evaluating org_of(member) per member would: every member that is
// not excluded has its identity looked up, refreshing its last access (spec §2.11) —
// from the routing table, with the clock read once.
GossipService::Chosen GossipService::select_by_org(std::size_t k, const MembershipView& view,
                                                   const std::vector<bool>& allowed, const Emitted* e) {
  const RoutingTable& table = routing_table(view);
  const std::vector<MemberPtr>& pool = *view;
  const Time now = env_.now();
  std::vector<const NetworkMember*>& candidates = candidates_buffer_;
  candidates.clear();
  for (std::size_t i = 0; i < pool.size(); ++i) {
    if (e != nullptr && excluded(*e, *pool[i])) continue;
    const MemberIdentity& id = table.identities[i];
    if (id.index == MemberIdentity::kUnknown) continue;
    idmapper_->touch(id.index, now);
    if (allowed[id.org_index]) candidates.push_back(pool[i].get());
  }
  return choose(k);
}

// The end of SelectPeers over candidates_buffer_.
// select_by_org's org filter, all false, in a buffer reused by every routed message.
std::vector<bool>& GossipService::no_org_allowed() {
  org_mask_buffer_.assign(pki_.org_count(), false);
  return org_mask_buffer_;
}

GossipService::Chosen GossipService::choose(std::size_t k) {
  std::vector<const NetworkMember*>& candidates = candidates_buffer_;
  if (candidates.size() > k) {
    Rng& rng = env_.rng(RngPurpose::routing);
    // Partial Fisher–Yates: the first k slots end up a uniform k-subset.
    for (std::size_t i = 0; i < k; ++i)
      std::swap(candidates[i], candidates[i + rng.below(candidates.size() - i)]);
    candidates.resize(k);
  }
  return Chosen(candidates.begin(), candidates.end());
}

void GossipService::gossip_batch(const std::vector<Emitted>& batch) {
  if (stopped_) return;
  // Each message goes to exactly one group, in this order (spec §2.6).
  std::vector<const Emitted*> blocks, leadership, org_restricted;
  std::vector<const Emitted*> state_infos, alives;
  for (const Emitted& e : batch) {
    const GossipMessage& m = e.msg->msg();
    if (m.is<DataMessage>()) blocks.push_back(&e);
    else if (m.is<LeadershipMessage>()) leadership.push_back(&e);
    else if (m.is<StateInfo>()) state_infos.push_back(&e);
    else if (m.tag == Tag::ORG_ONLY || m.tag == Tag::CHAN_AND_ORG) org_restricted.push_back(&e);
    else if (const auto* a = m.get_if<AliveMessage>();
             a != nullptr && a->membership.endpoint.empty() && org_of(a->membership.pki_id) == setup_.self.org)
      org_restricted.push_back(&e);
    else alives.push_back(&e);
  }
  route_blocks(blocks, false);
  route_blocks(leadership, true);
  for (const Emitted* e : state_infos) route_state_info(*e);
  route_org_restricted(org_restricted);
  for (const Emitted* e : alives) route_alive(*e);
}

// spec §2.6 latest: a forwarded message never goes back to the peer it came from. v1.0 has
// no such filter (a forwarded message may return to its sender), whatever `from` says.
bool GossipService::excluded(const Emitted& e, const NetworkMember& m) const {
  return is_latest(setup_.config.profile) && !e.from.empty() && m.pki_id == e.from;
}

// Groups 1 and 2: per channel (order of first appearance), to peers eligible for the
// channel, in it, and in my org; leadership messages go to all of them. v1.0 picks one
// peer set for all of a channel's messages in the flush; latest picks per message, to
// exclude each one's sender. Leadership is never forwarded, so it always takes one set.
void GossipService::route_blocks(const std::vector<const Emitted*>& msgs, bool leadership) {
  if (msgs.empty()) return;
  std::vector<std::string> order;
  for (const Emitted* e : msgs)
    if (std::find(order.begin(), order.end(), e->msg->msg().channel) == order.end())
      order.push_back(e->msg->msg().channel);
  const MembershipView view = discovery_->membership();
  const std::vector<MemberPtr>& membership = *view;
  const std::size_t k = leadership ? membership.size() : setup_.config.propagate_peer_num;
  const bool per_message = is_latest(setup_.config.profile) && !leadership;
  for (const std::string& ch : order) {
    GossipChannel* gc = channel(ch);
    if (gc == nullptr) continue;  // unknown channel: dropped
    auto eligible = [this, gc](const NetworkMember& m) {
      return gc->eligible_for_channel(m.pki_id) && gc->is_member_in_chan(m.pki_id) && is_in_my_org(m);
    };
    Chosen shared;
    if (!per_message) shared = select_peers(k, membership, eligible);
    for (const Emitted* e : msgs) {
      if (e->msg->msg().channel != ch) continue;
      if (!per_message) {
        send_to(e->msg, shared);
        continue;
      }
      send_to(e->msg, select_peers(k, membership, [&](const NetworkMember& m) { return !excluded(*e, m) && eligible(m); }));
    }
  }
}

// Group 3: StateInfo. To own-org peers, or to every peer in the channel's orgs when the
// channel can be identified and the originating peer is visible to other orgs.
void GossipService::route_state_info(const Emitted& e) {
  const auto& si = *e.msg->msg().get_if<StateInfo>();
  GossipChannel* gc = channel_by_mac(si.pki_id, si.channel_mac);
  bool origin_external = false;  // the originating peer has an external endpoint
  if (si.pki_id == setup_.self.pki_id) {
    origin_external = !setup_.external_endpoint.empty();
  } else if (const NetworkMember* m = discovery_->find(si.pki_id)) {
    origin_external = !m->endpoint.empty();
  }
  // The filter is is_in_my_org, or gc->is_member_in_chan (org known and in the channel).
  std::vector<bool>& allowed = no_org_allowed();
  if (gc != nullptr && origin_external) {
    for (std::uint32_t org = 0; org < allowed.size(); ++org) allowed[org] = gc->is_org_in_channel(pki_.org_name(org));
  } else {
    allowed[my_org_index_] = true;
  }
  send_to(e.msg, select_by_org(setup_.config.propagate_peer_num, discovery_->membership(), allowed, &e));
}

// Group 4: org-restricted messages and own-org alive messages without an external
// endpoint: one peer set of own-org peers (latest: per message, excluding the sender).
void GossipService::route_org_restricted(const std::vector<const Emitted*>& msgs) {
  if (msgs.empty()) return;
  const MembershipView view = discovery_->membership();
  std::vector<bool>& mine = no_org_allowed();
  mine[my_org_index_] = true;
  if (!is_latest(setup_.config.profile)) {
    const Chosen peers = select_by_org(setup_.config.propagate_peer_num, view, mine, nullptr);
    for (const Emitted* e : msgs) send_to(e->msg, peers);
    return;
  }
  for (const Emitted* e : msgs) send_to(e->msg, select_by_org(setup_.config.propagate_peer_num, view, mine, e));
}

// Group 5: alive messages, by the origin-org policy (spec §2.8 peersByOriginOrgPolicy:
// origin org unknown -> none; origin in my org -> all; else my org or the origin's),
// secrets stripped per destination.
void GossipService::route_alive(const Emitted& e) {
  const auto* alive = e.msg->msg().get_if<AliveMessage>();
  if (alive == nullptr) return;  // anything else here is a bug in Fabric too: logged and dropped
  const PeerCredentials* origin = idmapper_->lookup(alive->membership.pki_id);
  const MembershipView view = discovery_->membership();
  const std::size_t k = setup_.config.propagate_peer_num;
  if (origin == nullptr) return;  // nobody: no candidates, hence no draws and no sends
  if (origin->org_index == my_org_index_) {  // everybody but the excluded sender (no lookups)
    send_and_filter_secrets(e.msg, select_peers(k, *view, [&](const NetworkMember& m) { return !excluded(e, m); }));
    return;
  }
  std::vector<bool>& allowed = no_org_allowed();
  allowed[my_org_index_] = true;
  allowed[origin->org_index] = true;
  send_and_filter_secrets(e.msg, select_by_org(k, view, allowed, &e));
}

// spec §2.8 sendAndFilterSecrets. v1.0 strips the secret by mutating the shared envelope;
// messages here are immutable, so a stripped copy sharing the payload is sent instead.
void GossipService::send_and_filter_secrets(const EnvelopePtr& alive, const Chosen& peers) {
  const PkiId& origin = alive->msg().get_if<AliveMessage>()->membership.pki_id;
  const bool origin_mine = org_of(origin) == setup_.self.org;
  for (const NetworkMember* p : peers) {
    if (!origin_mine && p->endpoint.empty()) continue;
    const bool peer_mine = is_in_my_org(*p);
    comm_->send(peer_mine ? alive : strip_secret(alive), p->preferred_endpoint(), p->pki_id);
  }
}

// spec §2.8 disclosurePolicy(remotePeer) -> (sieve, envelope filter)
std::pair<Sieve, EnvelopeFilter> GossipService::disclosure_policy(const NetworkMember& remote) {
  const std::optional<std::string_view> remote_org = org_of(remote.pki_id);
  if (!remote_org) return {[](const EnvelopePtr&) { return false; }, [](const EnvelopePtr& e) { return e; }};
  const std::string_view my_org = setup_.self.org;
  const bool remote_has_external = !remote.endpoint.empty();
  Sieve sieve = [this, remote_org, my_org, remote_has_external](const EnvelopePtr& msg) {
    const auto* a = msg->msg().get_if<AliveMessage>();
    if (a == nullptr) return false;
    const std::optional<std::string_view> org = org_of(a->membership.pki_id);
    if (!org) return false;
    if (*org != *remote_org && *org != my_org) return false;  // only my org or the remote's own
    return *org == *remote_org || (!a->membership.endpoint.empty() && remote_has_external);
  };
  EnvelopeFilter filter = [strip = *remote_org != my_org](const EnvelopePtr& e) {
    return strip ? strip_secret(e) : e;
  };
  return {std::move(sieve), std::move(filter)};
}

// ---------------------------------------------------------------------------------------
// Inbound processing (spec §2.7)

void GossipService::handle_message(const ReceivedMessage& m) {
  if (stopped_) return;
  if (!validate_msg(m)) return;
  const GossipMessage& msg = m.msg();
  if (is_channel_restricted(msg)) {
    GossipChannel* gc = lookup_channel_for(m);
    if (gc == nullptr) {
      // Not joined: relay StateInfo of own-org senders for the other own-org peers.
      if (msg.is<StateInfo>() && org_of(m.sender()) == setup_.self.org && state_info_store_->add(m.envelope()))
        emitter_->add(Emitted{m.envelope(), m.sender()});
      return;
    }
    if (const auto* l = msg.get_if<LeadershipMessage>()) {
      if (!idmapper_->verify(l->pki_id, m.envelope()->signature(), m.envelope()->payload_digest())) return;
    }
    inbound_path_ = msg.is<DataUpdate>() ? BlockPath::pull : BlockPath::push;
    const ChannelReceivedAdapter adapted(m);
    gc->handle_message(adapted);
    inbound_path_ = BlockPath::push;
    return;
  }
  if (msg.is<AliveMessage>() || msg.is<MembershipRequest>() || msg.is<MembershipResponse>()) {
    if (const auto* req = msg.get_if<MembershipRequest>()) {
      // The self information must be an alive message of the connection's own peer.
      const EnvelopePtr& self_info = req->self_information;
      const auto* alive = self_info ? self_info->msg().get_if<AliveMessage>() : nullptr;
      if (alive == nullptr || alive->membership.pki_id != m.sender()) return;
    }
    discovery_->handle_message(m.envelope(), m.sender());
    return;
  }
  if (pull_msg_type(msg) == PullMsgType::IDENTITY_MSG) cert_store_->handle_message(ChannelReceivedAdapter(m));
}

bool GossipService::validate_msg(const ReceivedMessage& m) {
  const GossipMessage& msg = m.msg();
  if (!is_tag_legal(msg)) return false;
  // v1.0 validates alive messages here; latest leaves it to discovery (§2.12).
  if (msg.is<AliveMessage>() && !is_latest(setup_.config.profile) && !validate_alive_msg(m.envelope())) return false;
  if (msg.is<StateInfo>() && !validate_state_info(*m.envelope())) return false;
  return true;
}

// spec §2.7 ValidateAliveMsg: a carried identity goes into the identity mapper (a failed
// put rejects the message); otherwise the mapper must know the identity; then verify.
bool GossipService::validate_alive_msg(const EnvelopePtr& m) {
  const auto* a = m->msg().get_if<AliveMessage>();
  if (a == nullptr || a->membership.pki_id.empty() || m->signature().empty()) return false;
  const IdentityBytes* identity = nullptr;
  if (!a->identity.empty()) {
    if (!IdentityMapper::ok(idmapper_->put(a->membership.pki_id, a->identity))) return false;
    identity = &a->identity;
  } else {
    identity = idmapper_->get(a->membership.pki_id);
  }
  if (identity == nullptr) return false;
  return mcs_->verify_envelope(*identity, *m);
}

bool GossipService::validate_state_info(const Envelope& m) {
  const auto* si = m.msg().get_if<StateInfo>();
  if (si == nullptr) return false;
  const IdentityBytes* identity = idmapper_->get(si->pki_id);
  return identity != nullptr && mcs_->verify_envelope(*identity, m);
}

// spec §1.6: the joined channel whose MAC for `pki` is `mac`, or null.
GossipChannel* GossipService::channel_by_mac(const PkiId& pki, const Bytes& mac) {
  for (auto& [name, ch] : channels_)
    if (channel_mac(pki, name) == mac) return ch.get();
  return nullptr;
}

// StateInfoPullRequest: by MAC with the sender's PKI-ID; StateInfo: by MAC with the
// StateInfo's PKI-ID; everything else by its channel field.
GossipChannel* GossipService::lookup_channel_for(const ReceivedMessage& m) {
  const GossipMessage& msg = m.msg();
  if (const auto* req = msg.get_if<StateInfoPullRequest>()) return channel_by_mac(m.sender(), req->channel_mac);
  if (const auto* si = msg.get_if<StateInfo>()) return channel_by_mac(si->pki_id, si->channel_mac);
  return channel(msg.channel);
}

}  // namespace gs::proto
