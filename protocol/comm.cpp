#include "protocol/comm.hpp"

#include <algorithm>
#include <utility>

#include "base/assert.hpp"
#include "protocol/observation.hpp"

namespace gs::proto {

namespace {

EnvelopePtr make_conn_msg(const PkiId& pki_id, const IdentityBytes& identity) {
  GossipMessage m;
  m.tag = Tag::EMPTY;
  // spec §9.4: ConnEstablish{pki_id, identity, tls_cert_hash}; no TLS → empty hash and the
  // v1.0 no-TLS "signature" that echoes the payload (spec §1.3 #14).
  m.content = ConnEstablish{pki_id, identity, Bytes{}, false};
  return Envelope::make(std::make_shared<const GossipMessage>(std::move(m)),
                        Signature{Signature::Kind::payload_echo, PkiId{}, 0});
}

EnvelopePtr make_ping_msg() {
  GossipMessage m;
  m.tag = Tag::EMPTY;
  m.content = Empty{};
  return Envelope::make_unsigned(std::move(m));
}

}  // namespace

// ---------------------------------------------------------------------------------------
// ReceivedMessage

void ReceivedMessage::respond(GossipMessage msg) const { respond(Envelope::make_unsigned(std::move(msg))); }

void ReceivedMessage::respond(EnvelopePtr envelope) const { comm_->respond_on(conn_, envelope); }

// ---------------------------------------------------------------------------------------
// Construction

Comm::Comm(Env& env, IdentityMapper& identities, CommConfig config)
    : env_(env),
      identities_(identities),
      config_(config),
      conn_msg_(make_conn_msg(identities.self_pki_id(), identities.self_identity())),
      ping_msg_(make_ping_msg()) {
  GS_ASSERT(config_.send_buff_size >= 1, "peer.gossip.sendBuffSize must be at least 1");
  GS_ASSERT(config_.dial_timeout > Duration::zero(), "peer.gossip.dialTimeout must be positive");
  GS_ASSERT(config_.conn_timeout > Duration::zero(), "peer.gossip.connTimeout must be positive");
  env_.set_transport_handler(this);
}

Comm::~Comm() {
  stop();
  *alive_ = false;
  env_.set_transport_handler(nullptr);
}

// ---------------------------------------------------------------------------------------
// Sending (spec §9.3)

void Comm::send(const EnvelopePtr& envelope, const std::vector<RemotePeer>& peers) {
  for (const RemotePeer& p : peers) send_one(envelope, p.endpoint, p.pki_id);
}

void Comm::send(const EnvelopePtr& envelope, const RemotePeer& peer) { send_one(envelope, peer.endpoint, peer.pki_id); }

void Comm::send(const EnvelopePtr& envelope, const Endpoint& endpoint, const PkiId& pki_id) {
  send_one(envelope, endpoint, pki_id);
}

void Comm::send_one(const EnvelopePtr& envelope, const Endpoint& endpoint, const PkiId& pki_id) {
  GS_ASSERT(envelope != nullptr, "send(null)");
  if (stopped_ || pki_id == self_pki_id()) return;
  if (const auto reg = by_pki_.find(pki_id); reg != by_pki_.end()) {
    enqueue(reg->second, conns_.at(reg->second), envelope, WriteTag::send);
    return;
  }
  // spec §9.5: creation is serialised per PKI-ID; messages wait for it in the send buffer.
  if (const auto cr = creating_.find(pki_id); cr != creating_.end()) {
    Attempt& a = attempts_.at(cr->second);
    if (a.queue.size() >= config_.send_buff_size) {
      ++stats_.of(envelope->kind()).dropped_overflow;  // spec §9.3: silent drop
      observe_drop(envelope, "send_buffer_full");
      return;
    }
    a.queue.push_back(envelope);
    return;
  }
  const std::uint64_t id = next_attempt_id_++;
  Attempt& a = attempts_[id];
  a.purpose = Purpose::send;
  a.endpoint = endpoint;
  a.expected = pki_id;
  a.dial_deadline = env_.now() + config_.dial_timeout;
  a.next_backoff = config_.dial_retry_backoff;
  a.queue.push_back(envelope);
  creating_[pki_id] = id;
  dial(id);
}

void Comm::observe_drop(const EnvelopePtr& e, const char* reason) {
  env_.observe(Observation{MessageDropped{static_cast<std::uint16_t>(e->kind()), e->wire_bytes(), reason}});
}

// Fabric conn.send (spec §9.3, §9.5): into the connection's send buffer, which holds at
// most sendBuffSize messages; beyond, a message is dropped silently. The buffer is what the
// connection has not started to transmit yet (Env::unwritten) — unless its writer has
// exited (spec §9.3): then messages stay in the buffer, never written, until the connection
// goes.
void Comm::enqueue(ConnId conn, Connection& c, const EnvelopePtr& e, WriteTag tag) {
  if ((c.writer_exited ? c.stranded : env_.unwritten(conn)) >= config_.send_buff_size) {
    ++stats_.of(e->kind()).dropped_overflow;
    observe_drop(e, "send_buffer_full");
    return;
  }
  if (!c.writer_exited) return write_msg(conn, e, tag);
  ++c.stranded;
  ++stats_.of(e->kind()).dropped_writer_exited;
  observe_drop(e, "writer_exited");
}

void Comm::write_msg(ConnId conn, const EnvelopePtr& e, WriteTag tag) {
  CommKindCounters& k = stats_.of(e->kind());
  ++k.sent;
  k.sent_bytes += e->wire_bytes();
  WirePacket packet = to_packet(e);
  packet.tag = static_cast<std::uint8_t>(tag);
  env_.write(conn, std::move(packet));
}

// ---------------------------------------------------------------------------------------
// Probe and handshake (spec §9.4)

void Comm::probe(const Endpoint& endpoint, ProbeDone done) {
  start_attempt(Purpose::probe, endpoint, PkiId{}, std::move(done));
}

void Comm::handshake(const Endpoint& endpoint, const PkiId& expected_pki, ProbeDone done) {
  start_attempt(Purpose::handshake, endpoint, expected_pki, std::move(done));
}

std::uint64_t Comm::start_attempt(Purpose purpose, const Endpoint& endpoint, const PkiId& expected, ProbeDone done) {
  const std::uint64_t id = next_attempt_id_++;
  Attempt& a = attempts_[id];
  a.purpose = purpose;
  a.endpoint = endpoint;
  a.expected = expected;
  a.dial_deadline = env_.now() + config_.dial_timeout;
  a.next_backoff = config_.dial_retry_backoff;
  a.done = std::move(done);
  if (stopped_) {
    complete_probe(id, HandshakeResult{false, "comm stopped", {}, {}});
    return id;
  }
  dial(id);
  return id;
}

// ---------------------------------------------------------------------------------------
// Connection creation: dial → Ping → ConnEstablish (spec §9.2, §9.4, §9.5)

void Comm::dial(std::uint64_t attempt_id) {
  Attempt& a = attempts_.at(attempt_id);
  a.stage = Stage::dialing;
  const Duration remaining = a.dial_deadline - env_.now();
  if (remaining <= Duration::zero()) {
    fail_attempt(attempt_id, "dial timeout");
    return;
  }
  ++stats_.dials;
  env_.dial(a.endpoint, remaining,
            [alive = alive_, this, attempt_id](ConnId conn, bool ok, DialError err) {
              if (*alive) handle_dial_done(attempt_id, conn, ok, err);
            });
}

void Comm::handle_dial_done(std::uint64_t attempt_id, ConnId conn, bool ok, DialError err) {
  const auto it = attempts_.find(attempt_id);
  if (it == attempts_.end() || stopped_) {
    if (ok) env_.close(conn);  // abandoned attempt
    return;
  }
  Attempt& a = it->second;
  if (!ok) {
    if (err == DialError::timeout) {
      fail_attempt(attempt_id, "dial timeout");
      return;
    }
    // spec §9.5: gRPC's blocking dial retries a refused connect until the dial deadline.
    const Duration delay = a.next_backoff;
    if (env_.now() + delay < a.dial_deadline) {
      a.next_backoff = delay * 16 / 10;
      a.timer = env_.set_timer(delay, "comm.dial_retry", [this, attempt_id] {
        attempts_.at(attempt_id).timer = {};
        dial(attempt_id);
      });
    } else {
      a.timer = env_.set_timer(a.dial_deadline - env_.now(), "comm.dial_timeout",
                               [this, attempt_id] { fail_attempt(attempt_id, "dial refused"); });
    }
    return;
  }
  a.conn = conn;
  a.stage = Stage::pinging;
  Connection& c = conns_[conn];
  c.outbound = true;
  c.remote = a.endpoint;
  c.attempt = attempt_id;
  // The Ping RPC: an Empty answered by an Empty, bounded by connTimeout (see CommConfig).
  a.timer = env_.set_timer(config_.conn_timeout, "comm.ping_timeout",
                           [this, attempt_id] { handle_attempt_timeout(attempt_id); });
  write_msg(conn, ping_msg_, WriteTag::handshake);
}

void Comm::handle_attempt_timeout(std::uint64_t attempt_id) {
  Attempt& a = attempts_.at(attempt_id);
  a.timer = {};
  // spec §9.3: no ConnEstablish within connTimeout is a failure.
  fail_attempt(attempt_id, a.stage == Stage::pinging ? "ping timeout" : "handshake timeout");
}

void Comm::handle_ping_reply(std::uint64_t attempt_id) {
  Attempt& a = attempts_.at(attempt_id);
  env_.cancel_timer(a.timer);
  a.timer = {};
  if (a.purpose == Purpose::probe) {  // spec §9.4: Probe is dial + Ping only
    complete_probe(attempt_id, HandshakeResult{true, {}, {}, {}});
    return;
  }
  // Open the stream and send our ConnEstablish at once (spec §9.4).
  a.stage = Stage::handshaking;
  a.timer = env_.set_timer(config_.conn_timeout, "comm.handshake_timeout",
                           [this, attempt_id] { handle_attempt_timeout(attempt_id); });
  write_msg(a.conn, conn_msg_, WriteTag::handshake);
}

void Comm::handle_client_conn_msg(ConnId conn, Connection& c, const EnvelopePtr& e) {
  const std::uint64_t attempt_id = c.attempt;
  Attempt& a = attempts_.at(attempt_id);
  if (a.stage != Stage::handshaking) {
    fail_attempt(attempt_id, "unexpected message before the handshake");
    return;
  }
  env_.cancel_timer(a.timer);
  a.timer = {};
  std::string why;
  std::shared_ptr<const ConnectionInfo> info = authenticate(c, e, &why);
  if (info == nullptr) {
    fail_attempt(attempt_id, why);
    return;
  }
  if (!a.expected.empty() && info->pki_id != a.expected) {  // spec §9.2: PKI-ID mismatch
    fail_attempt(attempt_id, "pki-id mismatch");
    return;
  }
  if (a.purpose == Purpose::handshake) {
    complete_probe(attempt_id, HandshakeResult{true, {}, info->pki_id, info->identity});
    return;
  }
  finish_send_attempt(attempt_id, conn, std::move(info));
}

void Comm::finish_send_attempt(std::uint64_t attempt_id, ConnId conn, std::shared_ptr<const ConnectionInfo> info) {
  Attempt a = std::move(attempts_.at(attempt_id));
  attempts_.erase(attempt_id);
  creating_.erase(a.expected);
  Connection& c = conns_.at(conn);
  c.open = true;
  c.attempt = 0;
  c.info = info;
  ++stats_.connections_created;

  ConnId target = conn;
  if (const auto existing = by_pki_.find(info->pki_id); existing != by_pki_.end()) {
    // A connection from the remote was registered while ours was being created
    // (simultaneous open). Keep the one initiated by the lower PKI-ID (see comm.hpp).
    if (self_pki_id() < info->pki_id) {
      close_and_forget(existing->second);
      register_conn(info->pki_id, conn);
    } else {
      target = existing->second;
      close_and_forget(conn);
    }
  } else {
    register_conn(info->pki_id, conn);
  }
  Connection& t = conns_.at(target);
  for (const EnvelopePtr& e : a.queue) enqueue(target, t, e, WriteTag::send);
}

void Comm::fail_attempt(std::uint64_t attempt_id, std::string_view why) {
  const auto it = attempts_.find(attempt_id);
  if (it == attempts_.end()) return;
  if (it->second.purpose != Purpose::send) {
    complete_probe(attempt_id, HandshakeResult{false, std::string(why), {}, {}});
    return;
  }
  Attempt a = std::move(it->second);
  attempts_.erase(it);
  creating_.erase(a.expected);
  env_.cancel_timer(a.timer);
  if (a.conn != 0) close_and_forget(a.conn);
  ++stats_.creation_failures;
  for (const EnvelopePtr& e : a.queue) {
    ++stats_.of(e->kind()).dropped_failed;
    observe_drop(e, "connection_failed");
  }
  // spec §9.3: failure → PRESUMED_DEAD and close any connection to that PKI-ID.
  if (const auto reg = by_pki_.find(a.expected); reg != by_pki_.end()) close_and_forget(reg->second);
  report_presumed_dead(a.expected);
}

void Comm::complete_probe(std::uint64_t attempt_id, HandshakeResult result) {
  Attempt a = std::move(attempts_.at(attempt_id));
  attempts_.erase(attempt_id);
  env_.cancel_timer(a.timer);
  // spec §9.4: probe and handshake close their connection when done; the remote of a v1.0
  // handshake registered it and forgets it when the close reaches it.
  if (a.conn != 0) close_and_forget(a.conn);
  if (a.done) a.done(result);
}

// ---------------------------------------------------------------------------------------
// Authentication (spec §9.4)

std::shared_ptr<const ConnectionInfo> Comm::authenticate(const Connection& c, const EnvelopePtr& e,
                                                         std::string* why) {
  const ConnEstablish* ce = e->get_if<ConnEstablish>();
  if (ce == nullptr) {
    *why = "first message is not ConnEstablish";
    return nullptr;
  }
  if (ce->pki_id.empty()) {
    *why = "empty pki-id";
    return nullptr;
  }
  const IdentityMapper::PutResult r = identities_.put(ce->pki_id, ce->identity);
  if (!IdentityMapper::ok(r)) {
    *why = fmt::format("identity rejected: {}", to_string(r));
    return nullptr;
  }
  return std::make_shared<const ConnectionInfo>(ConnectionInfo{ce->pki_id, ce->identity, c.remote, e});
}

void Comm::handle_server_conn_msg(ConnId conn, Connection& c, const EnvelopePtr& e) {
  // The stream opens with the client's ConnEstablish: send ours at once, then validate
  // theirs (spec §9.4, both sides send immediately).
  write_msg(conn, conn_msg_, WriteTag::handshake);
  std::string why;
  std::shared_ptr<const ConnectionInfo> info = authenticate(c, e, &why);
  if (info == nullptr) {
    ++stats_.rejected_handshakes;
    close_and_forget(conn);
    return;
  }
  c.open = true;
  c.info = info;
  ++stats_.connections_accepted;
  // spec §9.2: an inbound authenticated stream replaces an existing entry.
  if (const auto existing = by_pki_.find(info->pki_id); existing != by_pki_.end() && existing->second != conn) {
    close_and_forget(existing->second);
  }
  register_conn(info->pki_id, conn);
}

// ---------------------------------------------------------------------------------------
// Registry

void Comm::register_conn(const PkiId& pki_id, ConnId conn) { by_pki_[pki_id] = conn; }

void Comm::unregister_conn(ConnId conn) {
  const auto c = conns_.find(conn);
  if (c == conns_.end() || c->second.info == nullptr) return;
  const auto reg = by_pki_.find(c->second.info->pki_id);
  if (reg != by_pki_.end() && reg->second == conn) by_pki_.erase(reg);
}

void Comm::close_and_forget(ConnId conn) {
  if (conns_.count(conn) == 0) return;
  unregister_conn(conn);
  conns_.erase(conn);
  env_.close(conn);
}

std::optional<ConnId> Comm::connection_of(const PkiId& pki_id) const {
  const auto it = by_pki_.find(pki_id);
  if (it == by_pki_.end()) return std::nullopt;
  return it->second;
}

std::size_t Comm::queued(const PkiId& pki_id) const {
  const auto it = creating_.find(pki_id);
  return it == creating_.end() ? 0 : attempts_.at(it->second).queue.size();
}

std::vector<PkiId> Comm::connected_peers() const {
  std::vector<PkiId> out;
  out.reserve(by_pki_.size());
  for (const auto& [pki, conn] : by_pki_) out.push_back(pki);
  std::sort(out.begin(), out.end());
  return out;
}

void Comm::close_conn(const PkiId& pki_id) {
  if (const auto it = by_pki_.find(pki_id); it != by_pki_.end()) close_and_forget(it->second);
}

void Comm::stop() {
  if (stopped_) return;
  stopped_ = true;
  // Fail probes/handshakes (their callers wait for an answer); abandon send creations.
  std::vector<std::uint64_t> ids;
  for (const auto& [id, a] : attempts_) ids.push_back(id);
  for (const std::uint64_t id : ids) {
    const auto it = attempts_.find(id);
    if (it == attempts_.end()) continue;
    if (it->second.purpose == Purpose::send) {
      env_.cancel_timer(it->second.timer);
      for (const EnvelopePtr& e : it->second.queue) {
        ++stats_.of(e->kind()).dropped_failed;
        observe_drop(e, "comm_stopped");
      }
      attempts_.erase(it);
    } else {
      complete_probe(id, HandshakeResult{false, "comm stopped", {}, {}});
    }
  }
  creating_.clear();
  // In ConnId order (the close events this schedules must not depend on hashing).
  std::vector<ConnId> open;
  open.reserve(conns_.size());
  for (const auto& [conn, c] : conns_) open.push_back(conn);
  std::sort(open.begin(), open.end());
  for (const ConnId conn : open) {
    if (conns_.count(conn) != 0) close_and_forget(conn);
  }
  GS_ASSERT(conns_.empty(), "comm: stop() left {} connections", conns_.size());
}

// ---------------------------------------------------------------------------------------
// Subscriptions (spec §9.2, §2.2, §2.10)

Comm::SubscriptionId Comm::accept(Predicate predicate, Handler handler) {
  const SubscriptionId id = next_subscription_id_++;
  subscriptions_.push_back(std::make_shared<Subscription>(Subscription{id, std::move(predicate), std::move(handler)}));
  return id;
}

void Comm::unsubscribe(SubscriptionId id) {
  std::erase_if(subscriptions_, [id](const auto& s) { return s->id == id; });
}

Comm::SubscriptionId Comm::on_presumed_dead(PresumedDeadHandler handler) {
  const SubscriptionId id = next_subscription_id_++;
  dead_handlers_.emplace_back(id, std::move(handler));
  return id;
}

void Comm::remove_presumed_dead(SubscriptionId id) {
  std::erase_if(dead_handlers_, [id](const auto& h) { return h.first == id; });
}

void Comm::report_presumed_dead(const PkiId& pki_id) {
  ++stats_.presumed_dead;
  // Handlers may subscribe or unsubscribe: iterate over a snapshot of the ids.
  std::vector<SubscriptionId> ids;
  for (const auto& [id, h] : dead_handlers_) ids.push_back(id);
  for (const SubscriptionId id : ids) {
    const auto it = std::find_if(dead_handlers_.begin(), dead_handlers_.end(),
                                 [id](const auto& h) { return h.first == id; });
    if (it == dead_handlers_.end()) continue;
    const PresumedDeadHandler h = it->second;  // a rare event: the copy lets it unsubscribe itself
    h(pki_id);
  }
}

void Comm::deliver(ConnId conn, const Connection& c, const EnvelopePtr& e) {
  const ReceivedMessage rm(this, conn, e, c.info);
  // Handlers may subscribe, unsubscribe or close this connection: walk by id.
  std::vector<SubscriptionId> ids;
  ids.reserve(subscriptions_.size());
  for (const auto& s : subscriptions_) ids.push_back(s->id);
  for (const SubscriptionId id : ids) {
    const auto it = std::find_if(subscriptions_.begin(), subscriptions_.end(),
                                 [id](const auto& s) { return s->id == id; });
    if (it == subscriptions_.end()) continue;
    const std::shared_ptr<Subscription> s = *it;  // keeps it alive if it unsubscribes itself
    if (s->predicate && !s->predicate(rm)) continue;
    s->handler(rm);
  }
}

void Comm::respond_on(ConnId conn, const EnvelopePtr& e) {
  if (stopped_) return;
  const auto it = conns_.find(conn);
  if (it == conns_.end() || !it->second.open) return;  // spec §9.2: errors ignored
  enqueue(conn, it->second, e, WriteTag::response);
}

// ---------------------------------------------------------------------------------------
// Transport events

void Comm::on_inbound(ConnId conn, const Endpoint& remote) {
  if (stopped_) {
    env_.close(conn);
    return;
  }
  Connection& c = conns_[conn];
  c.outbound = false;
  c.remote = remote;
}

void Comm::on_receive(ConnId conn, const WirePacket& packet) {
  const auto it = conns_.find(conn);
  if (stopped_ || it == conns_.end()) return;
  Connection& c = it->second;
  const EnvelopePtr e = from_packet(packet);
  CommKindCounters& k = stats_.of(e->kind());
  ++k.received;
  k.received_bytes += e->wire_bytes();

  if (e->is<Empty>()) {  // Ping RPC: comm consumes Empty messages
    if (!c.outbound) {
      write_msg(conn, ping_msg_, WriteTag::handshake);
    } else if (c.attempt != 0 && attempts_.at(c.attempt).stage == Stage::pinging) {
      handle_ping_reply(c.attempt);
    }
    return;
  }
  if (!c.open) {
    if (c.outbound) {
      handle_client_conn_msg(conn, c, e);
    } else {
      handle_server_conn_msg(conn, c, e);
    }
    return;
  }
  if (e->is<ConnEstablish>()) return;  // a second ConnEstablish: consumed, ignored
  deliver(conn, c, e);
}

void Comm::on_closed(ConnId conn) {
  const auto it = conns_.find(conn);
  if (it == conns_.end()) return;
  if (it->second.attempt != 0) {  // broken while being created: a creation failure
    fail_attempt(it->second.attempt, "connection closed during the handshake");
    return;
  }
  // spec §9.3: a reader error is not a send failure. Fabric's connection store forgets an
  // accepted stream when it ends (its stream handler unregisters it) but keeps a connection
  // it dialed: that one's break is found by the next write (a Send's → PRESUMED_DEAD).
  const Connection& c = it->second;
  if (c.outbound && c.open && registered(conn, c)) return;
  unregister_conn(conn);
  conns_.erase(it);
  env_.close(conn);
}

bool Comm::registered(ConnId conn, const Connection& c) const {
  const auto r = by_pki_.find(c.info->pki_id);
  return r != by_pki_.end() && r->second == conn;
}

void Comm::on_write_failed(ConnId conn, std::uint8_t tag) {
  const auto it = conns_.find(conn);
  if (it == conns_.end()) return;
  Connection& c = it->second;
  if (c.attempt != 0) {
    fail_attempt(c.attempt, "write failed during the handshake");
    return;
  }
  if (!c.open) {  // inbound not yet authenticated: nobody to presume dead
    close_and_forget(conn);
    return;
  }
  // The writer exited at an earlier failure: in Fabric nothing was written after it, so
  // nothing more fails (what we wrote meanwhile was in its buffer, see comm.hpp).
  if (c.writer_exited) return;
  switch (static_cast<WriteTag>(tag)) {
    case WriteTag::send: {
      // spec §9.3: a write error → PRESUMED_DEAD and close/remove the connection.
      ++stats_.write_failures;
      const PkiId pki = c.info->pki_id;
      close_and_forget(conn);
      report_presumed_dead(pki);
      return;
    }
    case WriteTag::response:  // spec §9.2: Respond's errors are ignored
      ++stats_.response_write_failures;
      break;
    case WriteTag::handshake:  // our ConnEstablish on an accepted stream (see comm.hpp)
      ++stats_.handshake_write_failures;
      break;
  }
  // spec §9.3: the writer exits. The connection stays registered until the reader side
  // notices the broken stream (on_closed, which the transport reports after a failure).
  c.writer_exited = true;
}

}  // namespace gs::proto
