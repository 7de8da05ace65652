// Comm: one peer's communication layer (spec §9; Fabric `gossip/comm`), sans-IO over
// Env's stream transport.
//
// Model (spec §9.5 "Simulation model (recommended)"):
//  - At most one registered connection per remote PKI-ID, either direction (§9.2). An
//    inbound authenticated stream replaces an existing entry (closing it).
//  - Creating an outbound connection: dial (≤ dialTimeout) → Ping round trip → ConnEstablish
//    exchange (≤ connTimeout) → validation → registration (§9.2, §9.4). The Ping RPC is an
//    `Empty` message answered by an `Empty` on the same connection and the handshake is a
//    pair of ConnEstablish messages, so both round trips cost virtual time and bytes.
//  - A refused dial is retried with gRPC-like backoff until the dial deadline: gRPC's
//    blocking dial keeps retrying transient errors, so a refused connection normally costs
//    the whole dialTimeout (spec §9.5).
//  - Creation is serialised per PKI-ID: messages sent while it is under way wait for it in a
//    buffer of sendBuffSize; further ones are dropped silently (counted). One attempt serves
//    all of them: on failure one PRESUMED_DEAD is reported and the waiting messages are
//    discarded (counted as failed) — the single-attempt simplification of §9.5.
//  - On an open connection the send buffer holds what the connection has not started to
//    transmit: Env::unwritten(), the messages waiting behind earlier data on this peer's
//    uplink (bandwidth and queueing belong to the transport). A Send or Respond that finds
//    sendBuffSize of them is dropped silently (counted, MessageDropped "send_buffer_full"),
//    as §9.5 recommends. Fabric's writer also waits for gRPC/TCP flow control; windows are
//    not modelled, so with ample bandwidth the buffer only fills while connecting or after
//    its writer exited (below).
//  - Failures (§9.3): creation failure of any kind and the failure of a Send's write on an
//    open connection → PRESUMED_DEAD(PKI-ID) + close. Reader-side breaks (Env on_closed) are
//    not failures: an accepted connection is removed (Fabric's stream handler unregisters
//    it when the stream ends); a connection we dialed stays registered, as in Fabric's
//    connection store, and the next write on it fails (the transport fails writes on a
//    closed end) — a Send's failure then reports PRESUMED_DEAD.
//  - Every write carries a tag saying who made it (WriteTag, in WirePacket::tag), which the
//    transport hands back with its failure. Fabric's writer calls the failed message's own
//    error callback: Send's reports PRESUMED_DEAD and closes the connection, Respond's does
//    nothing (§9.2 "errors ignored"); either way the writer exits (§9.3). So a failed
//    Respond write reports nothing (CommStats::response_write_failures) and marks the
//    connection's writer as exited: nothing more is written on it and further failures of
//    writes already made are ignored (in Fabric they were never written). An accepted
//    connection stays registered until the reader side notices the broken stream
//    (on_closed, which the transport reports with or right after a failure), a dialed one
//    until discovery closes it (close_conn) or an inbound stream replaces it; until then
//    Sends and Responds to it stay in its send buffer, as in Fabric's outBuff that nobody
//    drains: dropped, counted
//    and observed as "writer_exited" (beyond sendBuffSize of them, "send_buffer_full"). No
//    PRESUMED_DEAD comes from them. Our ConnEstablish on an accepted stream is written by
//    the handshake, not by the writer (§9.4); if it fails after the connection was
//    registered, it is handled like a Respond failure (in Fabric the stream handler ends
//    and unregisters the connection, without PRESUMED_DEAD).
//  - Simultaneous open (both sides dial each other at once): v1.0's rules — an inbound
//    authenticated stream replaces the registered entry; a creation that finds a
//    connection registered meanwhile uses it and closes its own — make each side keep the
//    connection the *other* side opened and close the one the other side kept, leaving
//    none. When a creation finishes and finds an inbound connection registered meanwhile,
//    both sides here keep the connection initiated by the lower PKI-ID (bytewise), which
//    leaves exactly one. Server-side registration keeps v1.0's "inbound replaces" (a
//    restarted peer must be able to replace its stale connection); crossings staggered
//    by more than about one one-way latency therefore still race as in v1.0.
//  - TLS is not modelled: ConnEstablish carries an empty tls_cert_hash and the v1.0 no-TLS
//    "signature" (the payload echoed, Signature::Kind::payload_echo).
//  - Subscriptions are consumed instantaneously (§9.2), so receive buffers (recvBuffSize,
//    10-slot subscription buffers) and the presumed-dead queue (100) never fill.
//  - Observations (protocol/observation.hpp): the Env counts wire traffic itself; comm
//    reports only the messages it drops (MessageDropped "send_buffer_full",
//    "connection_failed", "comm_stopped", "writer_exited"). CommStats keeps per-kind
//    counters as well.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/time.hpp"
#include "protocol/env.hpp"
#include "protocol/identity_mapper.hpp"
#include "protocol/message.hpp"

namespace gs::proto {

// peer.gossip.* comm keys (spec §9.1, §10). The world passes resolved values.
struct CommConfig {
  // peer.gossip.dialTimeout: how long one connection attempt (TCP + gRPC dial, retries of
  // refused connects included) may take before it fails. Fabric default 3 s.
  Duration dial_timeout = Duration::seconds(3);
  // peer.gossip.connTimeout: how long to wait for the remote's ConnEstablish after sending
  // ours (handshake read timeout, §9.4). Also bounds the Ping round trip, as latest does
  // (v1.0's Ping had no deadline; a simulated peer either answers or breaks the
  // connection, so the bound only matters for a hung remote). Fabric default 2 s.
  Duration conn_timeout = Duration::seconds(2);
  // peer.gossip.sendBuffSize: messages that may wait per destination (while its connection
  // is being created, or on an open connection before it starts transmitting them); more
  // are dropped silently. Code default 20; sampleconfig/core.yaml
  // sets 200. Must be ≥ 1.
  std::size_t send_buff_size = 20;
  // peer.gossip.recvBuffSize: per-connection receive buffer, 20. Subscribers consume
  // instantaneously in the simulator, so it never fills; kept so the key is settable.
  std::size_t recv_buff_size = 20;
  // gRPC reconnect backoff between refused dial attempts within one dial timeout (base
  // delay, then ×1.6 per retry, no jitter for determinism). gRPC-go default 1 s.
  Duration dial_retry_backoff = Duration::seconds(1);
};

// A destination of send(): `RemotePeer { Endpoint, PKIID }` in Fabric.
struct RemotePeer {
  Endpoint endpoint;
  PkiId pki_id;
};

// The authenticated remote side of a connection (Fabric ConnectionInfo, §9.4).
struct ConnectionInfo {
  PkiId pki_id;
  IdentityBytes identity;
  Endpoint endpoint;  // the remote address as the transport reports it (not authenticated)
  EnvelopePtr auth;   // the remote's ConnEstablish envelope: its signed data and signature
};

class Comm;

// A message received on a connection, with the ability to answer on that connection
// (Fabric ReceivedMessage). Cheap to copy; respond() may be called later, and is ignored
// once the connection has closed. Must not outlive the Comm that produced it.
class ReceivedMessage {
 public:
  ReceivedMessage(Comm* comm, ConnId conn, EnvelopePtr envelope, std::shared_ptr<const ConnectionInfo> info)
      : comm_(comm), conn_(conn), envelope_(std::move(envelope)), info_(std::move(info)) {}

  const EnvelopePtr& envelope() const { return envelope_; }
  const GossipMessage& msg() const { return envelope_->msg(); }
  const ConnectionInfo& connection_info() const { return *info_; }
  const PkiId& sender() const { return info_->pki_id; }
  ConnId conn() const { return conn_; }

  // spec §9.2 Respond: no-op sign `msg` and enqueue it on the same connection this message
  // arrived on; errors (connection gone) are ignored.
  void respond(GossipMessage msg) const;
  // Same with an envelope built by the caller (it keeps its signature).
  void respond(EnvelopePtr envelope) const;

 private:
  Comm* comm_;
  ConnId conn_;
  EnvelopePtr envelope_;
  std::shared_ptr<const ConnectionInfo> info_;
};

// Per-kind traffic counters of one peer's comm layer.
struct CommKindCounters {
  std::uint64_t sent = 0;             // messages written to a connection
  std::uint64_t sent_bytes = 0;       // their wire bytes
  std::uint64_t received = 0;         // messages read from a connection
  std::uint64_t received_bytes = 0;
  std::uint64_t dropped_overflow = 0;  // send buffer full: dropped silently (§9.3)
  std::uint64_t dropped_failed = 0;    // discarded because their connection could not be created
  std::uint64_t dropped_writer_exited = 0;  // left in the send buffer of a connection whose writer exited
};

struct CommStats {
  std::array<CommKindCounters, kMessageKindCount> by_kind{};
  std::uint64_t dials = 0;                 // dial attempts (retries included)
  std::uint64_t connections_created = 0;   // outbound connections that passed the handshake
  std::uint64_t connections_accepted = 0;  // inbound connections that passed the handshake
  std::uint64_t creation_failures = 0;     // failed outbound creations (send purpose)
  std::uint64_t write_failures = 0;        // failed Send writes on open connections (→ PRESUMED_DEAD)
  std::uint64_t response_write_failures = 0;   // failed Respond writes (writer exits, no PRESUMED_DEAD)
  std::uint64_t handshake_write_failures = 0;  // our ConnEstablish failed after the inbound was registered
  std::uint64_t presumed_dead = 0;         // PRESUMED_DEAD events emitted
  std::uint64_t rejected_handshakes = 0;   // inbound handshakes that failed validation

  const CommKindCounters& of(MessageKind k) const { return by_kind[static_cast<std::size_t>(k)]; }
  CommKindCounters& of(MessageKind k) { return by_kind[static_cast<std::size_t>(k)]; }
};

// Result of probe() and handshake().
struct HandshakeResult {
  bool ok = false;
  std::string error;  // why it failed ("dial timeout", "pki-id mismatch", ...); empty on success
  PkiId pki_id;       // handshake(): the remote's authenticated PKI-ID
  IdentityBytes identity;
};

class Comm final : public TransportHandler {
 public:
  using Predicate = std::function<bool(const ReceivedMessage&)>;
  using Handler = std::function<void(const ReceivedMessage&)>;
  using PresumedDeadHandler = std::function<void(const PkiId&)>;
  using ProbeDone = std::function<void(const HandshakeResult&)>;
  using SubscriptionId = std::uint64_t;

  // Registers itself as Env's transport handler. `identities` provides the own PKI-ID and
  // identity and validates remote identities (§9.4).
  Comm(Env& env, IdentityMapper& identities, CommConfig config = {});
  ~Comm() override;
  Comm(const Comm&) = delete;
  Comm& operator=(const Comm&) = delete;

  const PkiId& self_pki_id() const { return identities_.self_pki_id(); }
  const CommConfig& config() const { return config_; }
  const CommStats& stats() const { return stats_; }

  // spec §9.3 Send: non-blocking; each peer handled independently. Messages to our own
  // PKI-ID and sends after stop() are ignored.
  void send(const EnvelopePtr& envelope, const std::vector<RemotePeer>& peers);
  void send(const EnvelopePtr& envelope, const RemotePeer& peer);
  // The same without building a RemotePeer (routing sends to members it already holds).
  void send(const EnvelopePtr& envelope, const Endpoint& endpoint, const PkiId& pki_id);

  // spec §9.4 Probe: dial + Ping only; ok ⇔ reachable. `done` runs exactly once.
  void probe(const Endpoint& endpoint, ProbeDone done);
  // spec §9.4 Handshake: dial + Ping + ConnEstablish exchange; returns the remote's PKI-ID
  // and identity; fails when `expected_pki` is non-empty and differs; then closes. The
  // remote registers the connection (v1.0) until our close reaches it. `done` runs once.
  void handshake(const Endpoint& endpoint, const PkiId& expected_pki, ProbeDone done);

  // spec §9.2 / §2.2: every inbound message (other than Conn and Empty, which comm consumes)
  // matching `predicate` goes to `handler`, in subscription order.
  SubscriptionId accept(Predicate predicate, Handler handler);
  void unsubscribe(SubscriptionId id);
  // spec §2.10: called with the PKI-ID of every peer a send failed to.
  SubscriptionId on_presumed_dead(PresumedDeadHandler handler);
  void remove_presumed_dead(SubscriptionId id);

  // Closes and forgets the connection registered for `pki_id`, if any (Fabric CloseConn).
  void close_conn(const PkiId& pki_id);
  // Closes every connection, abandons creations (no PRESUMED_DEAD), fails pending
  // probes/handshakes, and ignores everything afterwards. Idempotent.
  void stop();
  bool stopped() const { return stopped_; }

  // Introspection (tests, traces).
  bool has_connection(const PkiId& pki_id) const { return by_pki_.count(pki_id) != 0; }
  std::optional<ConnId> connection_of(const PkiId& pki_id) const;
  std::size_t connection_count() const { return by_pki_.size(); }
  bool creating(const PkiId& pki_id) const { return creating_.count(pki_id) != 0; }
  // Messages waiting for the connection to `pki_id` being created.
  std::size_t queued(const PkiId& pki_id) const;
  // PKI-IDs with a registered connection, ordered.
  std::vector<PkiId> connected_peers() const;

  // --- TransportHandler (called by Env) ----------------------------------------------------
  void on_inbound(ConnId conn, const Endpoint& remote) override;
  void on_receive(ConnId conn, const WirePacket& packet) override;
  void on_closed(ConnId conn) override;
  void on_write_failed(ConnId conn, std::uint8_t tag) override;

 private:
  friend class ReceivedMessage;

  enum class Purpose : std::uint8_t { send, probe, handshake };
  // Who made a write, carried as its packet's tag (WirePacket::tag) so that a failure can
  // be told apart (spec §9.2, §9.3).
  enum class WriteTag : std::uint8_t {
    send,       // Send(): a failure is a send failure (Fabric's onErr = disconnect)
    response,   // Respond(): errors ignored (Fabric's onErr does nothing)
    handshake,  // comm's own Ping and ConnEstablish messages (not written by the writer)
  };
  enum class Stage : std::uint8_t { dialing, pinging, handshaking };

  // One outbound connection being created.
  struct Attempt {
    Purpose purpose = Purpose::send;
    Stage stage = Stage::dialing;
    Endpoint endpoint;
    PkiId expected;  // empty = none
    Time dial_deadline;
    Duration next_backoff;
    ConnId conn = 0;  // 0 until the dial succeeded
    TimerHandle timer;
    // send purpose: messages waiting for the connection (only appended and iterated; a
    // vector allocates nothing for the probe and handshake attempts, a deque did)
    std::vector<EnvelopePtr> queue;
    ProbeDone done;                 // probe / handshake purpose
  };

  // A live transport connection (outbound or inbound).
  struct Connection {
    bool outbound = false;
    bool open = false;  // handshake completed (info set)
    Endpoint remote;
    std::uint64_t attempt = 0;  // outbound: the Attempt creating it (0 once finished)
    std::shared_ptr<const ConnectionInfo> info;
    // spec §9.3 "writer exits": a write that was not a Send's failed. Nothing more is
    // written or reported failed on this connection; messages handed to it stay in its
    // send buffer (`stranded` of them, at most sendBuffSize) until the connection is
    // removed (see the model above).
    bool writer_exited = false;
    std::size_t stranded = 0;
  };

  void send_one(const EnvelopePtr& envelope, const Endpoint& endpoint, const PkiId& pki_id);
  std::uint64_t start_attempt(Purpose purpose, const Endpoint& endpoint, const PkiId& expected, ProbeDone done);
  void dial(std::uint64_t attempt_id);
  void handle_dial_done(std::uint64_t attempt_id, ConnId conn, bool ok, DialError err);
  void handle_attempt_timeout(std::uint64_t attempt_id);
  void handle_ping_reply(std::uint64_t attempt_id);
  void handle_client_conn_msg(ConnId conn, Connection& c, const EnvelopePtr& e);
  void handle_server_conn_msg(ConnId conn, Connection& c, const EnvelopePtr& e);
  void finish_send_attempt(std::uint64_t attempt_id, ConnId conn, std::shared_ptr<const ConnectionInfo> info);
  void fail_attempt(std::uint64_t attempt_id, std::string_view why);
  void complete_probe(std::uint64_t attempt_id, HandshakeResult result);

  // spec §9.4 validation of a received ConnEstablish; nullptr when rejected (`why` says why).
  std::shared_ptr<const ConnectionInfo> authenticate(const Connection& c, const EnvelopePtr& e, std::string* why);
  void register_conn(const PkiId& pki_id, ConnId conn);
  void unregister_conn(ConnId conn);
  void close_and_forget(ConnId conn);
  void enqueue(ConnId conn, Connection& c, const EnvelopePtr& e, WriteTag tag);
  bool registered(ConnId conn, const Connection& c) const;  // the PKI-ID's connection is this one
  void write_msg(ConnId conn, const EnvelopePtr& e, WriteTag tag);
  void observe_drop(const EnvelopePtr& e, const char* reason);
  void deliver(ConnId conn, const Connection& c, const EnvelopePtr& e);
  void report_presumed_dead(const PkiId& pki_id);
  void respond_on(ConnId conn, const EnvelopePtr& e);

  Env& env_;
  IdentityMapper& identities_;
  CommConfig config_;
  EnvelopePtr conn_msg_;  // our ConnEstablish, built once
  EnvelopePtr ping_msg_;  // Empty (Ping request and reply)
  bool stopped_ = false;
  // Dial callbacks may arrive after destruction; they check this token.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

  std::uint64_t next_attempt_id_ = 1;
  std::map<std::uint64_t, Attempt> attempts_;
  // Looked up for every message sent and received (a peer of a 1,000-peer network holds
  // about a thousand connections), never iterated where order could matter: listings
  // and stop() sort first.
  std::unordered_map<PkiId, std::uint64_t, PkiIdHash> creating_;  // PKI-ID → send Attempt under way
  std::unordered_map<ConnId, Connection> conns_;
  std::unordered_map<PkiId, ConnId, PkiIdHash> by_pki_;

  struct Subscription {
    SubscriptionId id;
    Predicate predicate;
    Handler handler;
  };
  std::vector<std::shared_ptr<Subscription>> subscriptions_;
  std::vector<std::pair<SubscriptionId, PresumedDeadHandler>> dead_handlers_;
  SubscriptionId next_subscription_id_ = 1;

  CommStats stats_;
};

}  // namespace gs::proto
