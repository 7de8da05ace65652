#include "protocol/discovery_impl.hpp"

#include <algorithm>
#include <numeric>
#include <string_view>
#include <utility>

#include "base/assert.hpp"
#include "protocol/observation.hpp"

namespace gs::proto {

namespace {

const AliveMessage& alive_of(const EnvelopePtr& msg) { return *msg->get_if<AliveMessage>(); }

Endpoint secret_internal_endpoint(const EnvelopePtr& msg) {
  return msg->secret() ? msg->secret()->internal_endpoint : Endpoint{};
}

// "host:port" → "port" ("" when there is no colon).
std::string_view port_of(std::string_view endpoint) {
  const auto colon = endpoint.rfind(':');
  return colon == std::string_view::npos ? std::string_view{} : endpoint.substr(colon + 1);
}

}  // namespace

MemberPtr announced_member(const EnvelopePtr& alive) {
  if (!alive->announced_member_) {
    const Member& m = alive_of(alive).membership;
    alive->announced_member_ =
        std::make_shared<const NetworkMember>(NetworkMember{m.endpoint, m.metadata, m.pki_id, secret_internal_endpoint(alive)});
  }
  return alive->announced_member_;
}

// ---------------------------------------------------------------------------------------
// AliveMsgStore

AliveMsgStore::AliveMsgStore(Env& env, Duration ttl, ExpireCallback on_expire)
    : store_(MessageComparator{0}, nullptr,
             GossipMessageStore::Expiration{&env, ttl, std::move(on_expire), "discovery.alive_store.expire"},
             MessageKeyOf{}) {}

void AliveMsgStore::require_alive(const EnvelopePtr& msg) {
  GS_ASSERT(msg && msg->is<AliveMessage>(), "spec §6.2: the alive store only takes AliveMessages, got {}",
            msg ? to_string(msg->kind()) : std::string_view{"null"});
}

bool AliveMsgStore::add(const EnvelopePtr& msg) {
  require_alive(msg);
  return store_.add(msg);
}

bool AliveMsgStore::check_valid(const EnvelopePtr& msg) const {
  require_alive(msg);
  return store_.check_valid(msg);
}

std::vector<EnvelopePtr> AliveMsgStore::get() const { return store_.get(); }
std::size_t AliveMsgStore::size() const { return store_.size(); }
std::size_t AliveMsgStore::size_including_expired() const { return store_.size_including_expired(); }
void AliveMsgStore::stop() { store_.stop(); }

// ---------------------------------------------------------------------------------------
// Construction, accessors

DiscoveryImpl::DiscoveryImpl(Env& env, const GossipConfig& cfg, NetworkMember self, IdentityBytes self_identity,
                             DiscoveryComm& comm, DiscoveryCrypto& crypto, DisclosurePolicy policy)
    : env_(env),
      cfg_(cfg),
      latest_(is_latest(cfg.profile)),
      comm_(comm),
      crypto_(crypto),
      policy_(std::move(policy)),
      self_(std::move(self)),
      self_identity_(std::move(self_identity)),
      start_(env.now()),
      inc_time_(static_cast<std::uint64_t>(env.now().ns())),  // spec §6.2: incTime = start time (ns)
      msg_store_(env, cfg.derived.alive_store_ttl, [this](const EnvelopePtr& m) { on_alive_store_expire(m); }) {
  GS_ASSERT(cfg_.derived.alive_expiration_check_interval > Duration::zero(),
            "discovery: GossipConfig must be resolve()d before use");
  GS_ASSERT(static_cast<bool>(policy_), "discovery: a disclosure policy is required");
  // spec §6.6: send alive and check alive are sleep-first; reconnect-to-dead is act-first.
  arm_send_alive();
  arm_check_alive();
  reconnect_round();
}

DiscoveryImpl::~DiscoveryImpl() { stop(); }

const NetworkMember* DiscoveryImpl::find(const PkiId& pki) const {
  if (pki == self_.pki_id) return &self_;
  const auto it = known_.find(PkiIdProbe(pki));
  return it == known_.end() ? nullptr : it->second.member.get();
}

NetworkMember DiscoveryImpl::self() const { return self_; }

void DiscoveryImpl::update_metadata(Bytes metadata) { self_.metadata = std::move(metadata); }

void DiscoveryImpl::update_endpoint(Endpoint endpoint) { self_.endpoint = std::move(endpoint); }

// spec §6.2: members of aliveMembership, with the internal endpoints of id2Member; for
// an alive member that is its id2Member entry (see KnownPeer), which is shared.
MembershipView DiscoveryImpl::membership() const {
  if (membership_cache_) return membership_cache_;
  auto out = std::make_shared<std::vector<MemberPtr>>();
  out->reserve(alive_count_);
  for (const auto& [key, k] : known_)
    if (k.alive) out->push_back(k.member);
  membership_cache_ = std::move(out);
  return membership_cache_;
}

bool DiscoveryImpl::set_member(KnownPeer& k, const EnvelopePtr& msg, const Endpoint& internal_endpoint) {
  const Member& m = alive_of(msg).membership;
  const auto equals_new_value = [&](const NetworkMember& x) {
    return x.endpoint == m.endpoint && x.metadata == m.metadata && x.pki_id == m.pki_id &&
           x.internal_endpoint == internal_endpoint;
  };
  if (k.member != nullptr && equals_new_value(*k.member)) return false;
  MemberPtr next = announced_member(msg);
  if (!equals_new_value(*next))
    next = std::make_shared<const NetworkMember>(NetworkMember{m.endpoint, m.metadata, m.pki_id, internal_endpoint});
  k.member = std::move(next);  // `internal_endpoint` may refer into the old member: not used after this
  return true;
}

void DiscoveryImpl::set_alive(KnownPeer& k, bool alive) {
  if (k.alive == alive) return;
  k.alive = alive;
  if (alive) {
    ++alive_count_;
    --dead_count_;
  } else {
    --alive_count_;
    ++dead_count_;
  }
}

std::vector<NetworkMember> DiscoveryImpl::get_dead_members() const {
  std::vector<NetworkMember> out;
  if (dead_count_ == 0) return out;
  for (const auto& [key, k] : known_) {
    if (k.alive) continue;
    out.push_back(*k.member);  // set from k.msg with its internal endpoint (KnownPeer)
  }
  return out;
}

std::map<PkiId, MemberPtr> DiscoveryImpl::id2member() const {
  std::map<PkiId, MemberPtr> out;
  for (const auto& [key, k] : known_) out.emplace_hint(out.end(), k.pki_id(), k.member);
  return out;
}

std::map<PkiId, DiscoveryImpl::LastTs> DiscoveryImpl::last_ts_where(bool alive) const {
  std::map<PkiId, LastTs> out;
  for (const auto& [key, k] : known_)
    if (k.alive == alive) out.emplace_hint(out.end(), k.pki_id(), k.last_ts);
  return out;
}

std::map<PkiId, EnvelopePtr> DiscoveryImpl::membership_where(bool alive) const {
  std::map<PkiId, EnvelopePtr> out;
  for (const auto& [key, k] : known_)
    if (k.alive == alive) out.emplace_hint(out.end(), k.pki_id(), k.msg);
  return out;
}

void DiscoveryImpl::stop() {
  if (stopped_) return;
  stopped_ = true;
  env_.cancel_timer(send_alive_timer_);
  env_.cancel_timer(check_alive_timer_);
  env_.cancel_timer(reconnect_timer_);
  for (auto& [id, c] : pending_connects_) env_.cancel_timer(c.timer);
  for (auto& [id, a] : pending_acks_) env_.cancel_timer(a.timer);
  pending_connects_.clear();
  pending_acks_.clear();
  ack_subscriptions_.clear();
  msg_store_.stop();
}

void DiscoveryImpl::view_changed() { env_.observe(Observation{ViewChanged{}}); }

// ---------------------------------------------------------------------------------------
// Message construction

EnvelopePtr DiscoveryImpl::create_alive_message(bool include_internal_endpoint) {
  ++seq_num_;  // spec §1.5: incremented before each alive message is created (first has seq 1)
  AliveMessage alive;
  alive.membership = Member{self_.endpoint, self_.metadata, self_.pki_id};
  alive.timestamp = PeerTime{inc_time_, seq_num_};
  // spec §1.3 / §6.6: the certificate travels only during PublishCertPeriod after start.
  if (env_.now() < start_ + cfg_.publish_cert_period) alive.identity = self_identity_;
  GossipMessage m;
  m.tag = Tag::EMPTY;
  m.content = std::move(alive);
  return crypto_.sign_message(std::move(m), include_internal_endpoint ? self_.internal_endpoint : Endpoint{});
}

EnvelopePtr DiscoveryImpl::create_membership_request(bool include_internal_endpoint) {
  GossipMessage m;
  m.tag = Tag::EMPTY;
  m.content = MembershipRequest{create_alive_message(include_internal_endpoint), {}};
  return Envelope::make_unsigned(std::move(m));  // spec §1.3 #6: outer no-op signature
}

// spec §6.4 createMembershipResponse.
std::optional<MembershipResponse> DiscoveryImpl::create_membership_response(const EnvelopePtr& own_alive,
                                                                            const NetworkMember& target) const {
  auto [sieve, filter] = policy_(target);
  if (!sieve(own_alive)) return std::nullopt;  // the target must not talk to us
  MembershipResponse res;
  // aliveMembership, then deadMembership, each in PKI-ID order.
  for (const auto& [key, k] : known_)
    if (k.alive && sieve(k.msg)) res.alive.push_back(filter(k.msg));
  res.alive.push_back(filter(own_alive));
  if (dead_count_ == 0) return res;
  for (const auto& [key, k] : known_)
    if (!k.alive && sieve(k.msg)) res.dead.push_back(filter(k.msg));
  return res;
}

// ---------------------------------------------------------------------------------------
// spec §6.3 Connect

bool DiscoveryImpl::is_my_own_endpoint(const Endpoint& endpoint) const {
  // Fabric takes the port from the internal endpoint; fall back to the external one.
  const std::string_view port = port_of(self_.internal_endpoint.empty() ? self_.endpoint : self_.internal_endpoint);
  if (!port.empty() && (endpoint == fmt::format("127.0.0.1:{}", port) || endpoint == fmt::format("localhost:{}", port)))
    return true;
  return endpoint == self_.internal_endpoint || endpoint == self_.endpoint;
}

void DiscoveryImpl::connect(NetworkMember member, Identifier identifier) {
  if (stopped_) return;
  for (const Endpoint* e : {&member.internal_endpoint, &member.endpoint})
    if (!e->empty() && is_my_own_endpoint(*e)) return;  // spec §6.3: never connect to myself
  // spec §6.10 (latest): bootstrap/anchor endpoints are exempt from purge.
  if (!member.endpoint.empty()) connected_endpoints_.insert(member.endpoint);
  if (!member.internal_endpoint.empty()) connected_endpoints_.insert(member.internal_endpoint);
  const std::uint64_t id = ++next_id_;
  pending_connects_.emplace(id, PendingConnect{std::move(member), std::move(identifier), 0, {}});
  connect_attempt(id);
}

// spec §6.3: up to MaxConnectionAttempts identifications, ReconnectInterval apart.
void DiscoveryImpl::connect_attempt(std::uint64_t id) {
  const auto it = pending_connects_.find(id);
  if (it == pending_connects_.end()) return;
  PendingConnect& c = it->second;
  c.timer = TimerHandle{};
  if (stopped_ || c.attempts >= cfg_.max_connection_attempts) {
    pending_connects_.erase(it);
    return;
  }
  ++c.attempts;
  std::weak_ptr<char> life = life_;
  // The identifier may answer synchronously (Fabric's tests) or later (a handshake).
  Identifier identifier = c.identifier;
  identifier([this, life, id](std::optional<PeerIdentification> result) {
    if (life.expired()) return;
    on_identified(id, result);
  });
}

void DiscoveryImpl::on_identified(std::uint64_t id, const std::optional<PeerIdentification>& result) {
  const auto it = pending_connects_.find(id);
  if (it == pending_connects_.end()) return;
  if (stopped_) {
    pending_connects_.erase(it);
    return;
  }
  if (!result) {
    it->second.timer = env_.set_timer(cfg_.reconnect_interval, "discovery.connect.retry",
                                      [this, id] { connect_attempt(id); });
    return;
  }
  NetworkMember peer{it->second.member.endpoint, {}, result->id, it->second.member.internal_endpoint};
  pending_connects_.erase(it);
  // spec §6.3: the internal endpoint goes out only to a peer of my org; random nonce.
  const EnvelopePtr unsent = create_membership_request(result->self_org);
  GossipMessage m = unsent->msg();
  m.nonce = env_.rng(RngPurpose::discovery).next_u64();
  send_until_acked(peer, Envelope::make_unsigned(std::move(m)));
}

void DiscoveryImpl::send_until_acked(const NetworkMember& peer, const EnvelopePtr& request) {
  const std::uint64_t id = ++next_id_;
  pending_acks_.emplace(id, PendingAck{peer, request, request->msg().nonce, 0, {}});
  send_until_acked_attempt(id);
}

// spec §6.3 sendUntilAcked: subscribe(nonce, 5 s), send; no ack → sleep ReconnectInterval.
void DiscoveryImpl::send_until_acked_attempt(std::uint64_t id) {
  const auto it = pending_acks_.find(id);
  if (it == pending_acks_.end()) return;
  PendingAck& a = it->second;
  a.timer = TimerHandle{};
  if (stopped_ || a.attempts >= cfg_.max_connection_attempts) {
    pending_acks_.erase(it);
    return;
  }
  ++a.attempts;
  ack_subscriptions_[a.nonce] = id;
  // Armed before sending so that a synchronous response finds a complete subscription.
  a.timer = env_.set_timer(cfg_.derived.membership_request_ack_wait, "discovery.memreq.ack_wait",
                           [this, id] { on_ack_timeout(id); });
  const NetworkMember peer = a.peer;
  const EnvelopePtr request = a.request;
  send_membership_request(peer, request);
}

void DiscoveryImpl::on_ack_timeout(std::uint64_t id) {
  const auto it = pending_acks_.find(id);
  if (it == pending_acks_.end()) return;
  const auto sub = ack_subscriptions_.find(it->second.nonce);
  if (sub != ack_subscriptions_.end() && sub->second == id) ack_subscriptions_.erase(sub);
  it->second.timer = env_.set_timer(cfg_.reconnect_interval, "discovery.memreq.retry",
                                    [this, id] { send_until_acked_attempt(id); });
}

void DiscoveryImpl::publish_ack(std::uint64_t nonce) {
  const auto sub = ack_subscriptions_.find(nonce);
  if (sub == ack_subscriptions_.end()) return;  // nobody listens (expired or never sent)
  const auto it = pending_acks_.find(sub->second);
  ack_subscriptions_.erase(sub);
  if (it == pending_acks_.end()) return;
  env_.cancel_timer(it->second.timer);
  pending_acks_.erase(it);
}

// spec §6.3: sending a MembershipRequest to a peer whose PKI-ID is known re-applies the
// disclosure envelope filter to the self information (strips the internal endpoint for
// peers of another org).
void DiscoveryImpl::send_membership_request(const NetworkMember& peer, const EnvelopePtr& request) {
  EnvelopePtr out = request;
  const auto* req = request->get_if<MembershipRequest>();
  if (!peer.pki_id.empty() && req != nullptr && req->self_information) {
    auto filter = policy_(peer).second;
    EnvelopePtr filtered = filter(req->self_information);
    if (filtered != req->self_information) {
      GossipMessage m = request->msg();
      m.content = MembershipRequest{std::move(filtered), req->known};
      out = Envelope::make_unsigned(std::move(m));
    }
  }
  comm_.send_to_peer(peer, out);
}

// ---------------------------------------------------------------------------------------
// spec §6.4 message handling

void DiscoveryImpl::handle_message(const EnvelopePtr& msg, const PkiId& sender) {
  if (stopped_ || !msg) return;
  if (msg->is<MembershipRequest>()) {
    handle_mem_req(msg);
  } else if (msg->is<AliveMessage>()) {
    handle_alive_msg(msg, sender);
  } else if (msg->is<MembershipResponse>()) {
    handle_mem_res(msg);
  }
}

void DiscoveryImpl::handle_alive_msg(const EnvelopePtr& msg, const PkiId& sender) {
  if (latest()) {
    // spec §6.10: discovery validates; own messages are ignored and not forwarded.
    if (!msg_store_.check_valid(msg) || !crypto_.validate_alive_msg(msg)) return;
    if (alive_of(msg).membership.pki_id == self_.pki_id) return;
    msg_store_.add(msg);
    handle_alive(msg);
    comm_.forward(msg, sender);  // spec §2.6: forwarding excludes the sender
    return;
  }
  if (!msg_store_.add(msg)) return;  // spec §6.4: duplicate or older than stored
  handle_alive(msg);
  // Quirk B.6 (v1.0, reproduced): a copy of our own alive message received back was
  // stored above and is forwarded here; handle_alive merely skipped it.
  comm_.gossip(msg);
}

void DiscoveryImpl::handle_mem_req(const EnvelopePtr& msg) {
  const EnvelopePtr& self_info = msg->get_if<MembershipRequest>()->self_information;
  if (!self_info || !self_info->is<AliveMessage>()) return;  // unparsable self info
  if (latest() && !crypto_.validate_alive_msg(self_info)) return;  // spec §6.10
  if (msg_store_.check_valid(self_info)) handle_alive(self_info);  // learn the requester
  // spec §6.4: v1.0 reads the internal endpoint from the *outer* request envelope's
  // secret, which is never present (quirk, reproduced): always "". Latest reads the
  // self information's secret.
  const Endpoint internal = latest() ? secret_internal_endpoint(self_info) : secret_internal_endpoint(msg);
  send_mem_response(alive_of(self_info).membership, internal, msg->msg().nonce);
}

void DiscoveryImpl::send_mem_response(const Member& target_member, const Endpoint& internal_endpoint,
                                      std::uint64_t nonce) {
  const NetworkMember target{target_member.endpoint, target_member.metadata, target_member.pki_id, internal_endpoint};
  // Quirk B.7 (v1.0, reproduced): every response creates a new alive message (seq++).
  // Latest reuses the last periodically sent one, creating one only if none exists yet.
  const EnvelopePtr own = latest() && self_alive_msg_ ? self_alive_msg_ : create_alive_message(true);
  std::optional<MembershipResponse> res = create_membership_response(own, target);
  if (!res) {
    comm_.close_conn(target);  // spec §6.4: a peer that should not have asked
    return;
  }
  GossipMessage m;
  m.tag = Tag::EMPTY;
  m.nonce = nonce;
  m.content = std::move(*res);
  comm_.send_to_peer(target, Envelope::make_unsigned(std::move(m)));
}

void DiscoveryImpl::handle_mem_res(const EnvelopePtr& msg) {
  publish_ack(msg->msg().nonce);  // acknowledges sendUntilAcked (spec §6.3)
  // Copied: handling may not touch `msg`, but keep the loop independent of it anyway.
  const MembershipResponse res = *msg->get_if<MembershipResponse>();
  for (const EnvelopePtr& a : res.alive) {
    if (stopped_) return;
    if (!a || !a->is<AliveMessage>()) return;  // spec §6.4: not an alive message → abort the rest
    if (!msg_store_.check_valid(a)) continue;
    if (latest() && !crypto_.validate_alive_msg(a)) continue;
    handle_alive(a);
  }
  for (const EnvelopePtr& d : res.dead) {
    if (stopped_) return;
    if (!d) return;  // unparsable → abort
    if (!d->is<AliveMessage>() || !crypto_.validate_alive_msg(d)) continue;
    if (!msg_store_.check_valid(d)) {
      // Quirk B.9 (v1.0, reproduced): an outdated dead entry aborts the rest of the list.
      if (latest()) continue;
      return;
    }
    if (known_.count(PkiIdProbe(alive_of(d).membership.pki_id)) == 0) learn_new_members({}, {d});
  }
}

// ---------------------------------------------------------------------------------------
// spec §6.5 handleAlive

void DiscoveryImpl::handle_alive(const EnvelopePtr& msg) {
  if (!latest() && !crypto_.validate_alive_msg(msg)) return;  // spec §6.5: v1.0 validates again
  const AliveMessage& alive = alive_of(msg);
  const PkiId& p = alive.membership.pki_id;
  if (p == self_.pki_id) {
    const Endpoint internal = secret_internal_endpoint(msg);
    if (alive.membership.endpoint != self_.endpoint || (!internal.empty() && internal != self_.internal_endpoint))
      ++self_conflicts_;  // Fabric logs "same PKI-ID as myself"
    return;
  }
  const auto it = known_.find(PkiIdProbe(p));  // id2Member
  if (it == known_.end()) {
    learn_new_members({msg}, {});
    return;
  }
  // Known, hence in exactly one of deadLastTS / aliveLastTS (see KnownPeer).
  KnownPeer& k = it->second;
  if (!k.alive) {
    if (peer_time_before(k.last_ts.ts, alive.timestamp)) resurrect(k, msg);
    return;  // same or older: ignored
  }
  if (peer_time_before(k.last_ts.ts, alive.timestamp)) learn_existing(k, msg);
  // same or older: ignored, lastSeen not refreshed
}

// spec §6.5 learnNewMembers: for alive ones aliveLastTS[p] = {ts, now} and
// aliveMembership[p] = m, for dead ones the same in deadLastTS/deadMembership; id2Member
// from the message (its secret gives the internal endpoint). Both callers (handleAlive,
// the dead list of a membership response) pass only members not known yet.
void DiscoveryImpl::learn_new_members(const std::vector<EnvelopePtr>& alive, const std::vector<EnvelopePtr>& dead) {
  const Time now = env_.now();
  bool view_grew = false;
  for (const auto* list : {&alive, &dead}) {
    const bool is_alive = list == &alive;
    for (const EnvelopePtr& m : *list) {
      const AliveMessage& a = alive_of(m);
      if (a.membership.pki_id == self_.pki_id) continue;
      const MemberPtr member = announced_member(m);
      const auto [it, inserted] = known_.try_emplace(PkiIdKey(member));
      GS_ASSERT(inserted, "discovery: learnNewMembers of a known member");
      KnownPeer& k = it->second;
      k.alive = is_alive;
      ++(is_alive ? alive_count_ : dead_count_);
      k.last_ts = LastTs{a.timestamp, now};
      k.msg = m;
      k.member = member;
      view_grew = view_grew || is_alive;
    }
  }
  if (!view_grew) return;  // dead members only: the alive view is unchanged
  membership_changed();
  view_changed();
}

// spec §6.5 learnExisting (p is alive): id2Member's endpoint and metadata from the
// message, the internal endpoint replaced if the message carries one; aliveLastTS[p] =
// {ts, now}; aliveMembership[p] = m.
void DiscoveryImpl::learn_existing(KnownPeer& k, const EnvelopePtr& msg) {
  const AliveMessage& a = alive_of(msg);
  const Endpoint& internal = msg->secret() ? msg->secret()->internal_endpoint : k.member->internal_endpoint;
  // Most refreshes only advance the timestamp; the cached membership then stays valid.
  if (set_member(k, msg, internal)) membership_changed();
  k.last_ts = LastTs{a.timestamp, env_.now()};
  k.msg = msg;
}

// spec §6.8 resurrect (p is dead): aliveLastTS[p] = {ts, now}; id2Member updated (the
// internal endpoint replaced if the message carries one); p removed from deadLastTS and
// deadMembership; aliveMembership[p] = m.
void DiscoveryImpl::resurrect(KnownPeer& k, const EnvelopePtr& msg) {
  const AliveMessage& a = alive_of(msg);
  const Endpoint& internal = msg->secret() ? msg->secret()->internal_endpoint : k.member->internal_endpoint;
  set_member(k, msg, internal);
  set_alive(k, true);
  k.last_ts = LastTs{a.timestamp, env_.now()};
  k.msg = msg;
  membership_changed();
  view_changed();
}

// ---------------------------------------------------------------------------------------
// spec §6.6 periodic tasks

void DiscoveryImpl::arm_send_alive() {
  send_alive_timer_ = env_.set_timer(cfg_.alive_time_interval, "discovery.send_alive", [this] { on_send_alive_timer(); });
}

// spec §6.6 send alive: sleep-first, AliveTimeInterval.
void DiscoveryImpl::on_send_alive_timer() {
  send_alive_timer_ = TimerHandle{};
  if (stopped_) return;
  arm_send_alive();
  // spec §6.10: latest sends (and signs) nothing while the view is empty (no seq increment).
  if (latest() && alive_count_ == 0) return;
  EnvelopePtr msg = create_alive_message(true);
  if (latest()) self_alive_msg_ = msg;
  comm_.gossip(msg);
}

void DiscoveryImpl::arm_check_alive() {
  check_alive_timer_ = env_.set_timer(cfg_.derived.alive_expiration_check_interval, "discovery.check_alive",
                                      [this] { on_check_alive_timer(); });
}

// spec §6.6 check alive: sleep-first; silent for more than AliveExpirationTimeout → expire.
void DiscoveryImpl::on_check_alive_timer() {
  check_alive_timer_ = TimerHandle{};
  if (stopped_) return;
  arm_check_alive();
  const Time now = env_.now();
  std::vector<PkiId> dead;
  for (const auto& [key, k] : known_)  // aliveLastTS, in PKI-ID order
    if (k.alive && now - k.last_ts.last_seen > cfg_.alive_expiration_timeout) dead.push_back(k.pki_id());
  if (!dead.empty()) expire_dead_members(dead);
}

// spec §6.6 reconnect to dead: act-first; ping every dead member in parallel, send a
// membership request (internal endpoint included, no nonce) to those that answer; when
// all pings are back, sleep ReconnectInterval.
void DiscoveryImpl::reconnect_round() {
  reconnect_timer_ = TimerHandle{};
  if (stopped_) return;
  std::vector<NetworkMember> dead;
  if (dead_count_ != 0) {
    for (const auto& [key, k] : known_)  // deadLastTS, in PKI-ID order
      if (!k.alive) dead.push_back(*k.member);
  }
  const std::uint64_t round = ++reconnect_round_;
  pings_outstanding_ = dead.size();
  if (dead.empty()) {
    reconnect_timer_ = env_.set_timer(cfg_.reconnect_interval, "discovery.reconnect", [this] { reconnect_round(); });
    return;
  }
  std::weak_ptr<char> life = life_;
  for (const NetworkMember& member : dead) {
    comm_.ping(member, [this, life, round, member](bool ok) {
      if (life.expired()) return;
      on_reconnect_ping(round, member, ok);
    });
  }
}

void DiscoveryImpl::on_reconnect_ping(std::uint64_t round, const NetworkMember& member, bool ok) {
  if (stopped_ || round != reconnect_round_) return;
  if (ok) send_membership_request(member, create_membership_request(true));
  GS_ASSERT(pings_outstanding_ > 0, "discovery: more ping answers than pings");
  if (--pings_outstanding_ == 0)
    reconnect_timer_ = env_.set_timer(cfg_.reconnect_interval, "discovery.reconnect", [this] { reconnect_round(); });
}

// spec §6.6 InitiateSync: membership requests to min(peer_num, |alive|) random alive members.
void DiscoveryImpl::initiate_sync(std::uint32_t peer_num) {
  if (stopped_) return;
  if (latest() && alive_count_ == 0) return;  // spec §6.10: nothing built or signed
  const EnvelopePtr request = create_membership_request(true);  // v1.0: built even for nobody
  std::vector<const EnvelopePtr*> alive;  // aliveMembership, in PKI-ID order
  alive.reserve(alive_count_);
  for (const auto& [key, k] : known_)
    if (k.alive) alive.push_back(&k.msg);
  const std::size_t k = std::min<std::size_t>(peer_num, alive.size());
  // k distinct uniform indices: partial Fisher–Yates over the PKI-ID order.
  std::vector<std::size_t> idx(alive.size());
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  Rng& rng = env_.rng(RngPurpose::discovery);
  std::vector<NetworkMember> targets;
  targets.reserve(k);
  for (std::size_t i = 0; i < k; ++i) {
    const std::size_t j = i + static_cast<std::size_t>(rng.below(idx.size() - i));
    std::swap(idx[i], idx[j]);
    const EnvelopePtr& msg = *alive[idx[i]];
    const Member& m = alive_of(msg).membership;
    targets.push_back(NetworkMember{m.endpoint, m.metadata, m.pki_id, secret_internal_endpoint(msg)});
  }
  for (const NetworkMember& t : targets) send_membership_request(t, request);
}

// ---------------------------------------------------------------------------------------
// spec §6.7 expiry, §2.10 presumed dead, §6.9 purge

void DiscoveryImpl::expire_dead_members(const std::vector<PkiId>& dead) {
  std::vector<MemberPtr> to_close;
  for (const PkiId& pki : dead) {
    const auto it = known_.find(PkiIdProbe(pki));
    if (it == known_.end() || !it->second.alive) continue;  // only members in aliveLastTS
    to_close.push_back(it->second.member);
    // aliveLastTS[p] → deadLastTS[p] (lastSeen unchanged), aliveMembership[p] → deadMembership[p]
    set_alive(it->second, false);
  }
  membership_changed();
  if (!to_close.empty()) view_changed();
  for (const MemberPtr& m : to_close) comm_.close_conn(*m);
}

void DiscoveryImpl::on_presumed_dead(const PkiId& pki) {
  if (stopped_) return;
  const auto it = known_.find(PkiIdProbe(pki));
  if (it != known_.end() && it->second.alive) expire_dead_members({pki});  // spec §2.10: no grace period
}

void DiscoveryImpl::on_alive_store_expire(const EnvelopePtr& msg) {
  if (stopped_ || !msg->is<AliveMessage>()) return;
  const Member& m = alive_of(msg).membership;
  if (latest()) {
    // spec §6.10: never purge a bootstrap or anchor peer (matched on the expired
    // message's external or internal endpoint).
    const Endpoint internal = secret_internal_endpoint(msg);
    if (connected_endpoints_.count(m.endpoint) != 0 || (!internal.empty() && connected_endpoints_.count(internal) != 0))
      return;
  }
  // spec §6.9; quirk B.8: a member whose alive messages were never stored has no entry
  // here and is therefore never purged.
  purge(m.pki_id);
}

// spec §6.9: p leaves all five maps.
void DiscoveryImpl::purge(const PkiId& pki) {
  const auto it = known_.find(PkiIdProbe(pki));
  if (it == known_.end()) return;
  const bool was_alive = it->second.alive;
  --(was_alive ? alive_count_ : dead_count_);
  known_.erase(it);
  if (!was_alive) return;
  membership_changed();
  view_changed();
}

void DiscoveryImpl::on_identity_switch(const PkiId& old_pki) {
  if (stopped_ || !latest() || old_pki == self_.pki_id) return;
  purge(old_pki);
}

}  // namespace gs::proto
