// Comm layer (spec §9) on virtual time: Fabric's comm_test.go acceptance checks (spec
// §11.10, dial timeout 300 ms) and the simulation-model rules of spec §9.5.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "comm_harness.hpp"

using namespace gs;
using namespace gs::literals;
using namespace gs::proto;
using namespace gs::proto::test;

namespace {

struct TwoPeers {
  FakeNetwork net;
  Pki pki{IdentityScheme::fabric_test()};
  CommTestPeer a{net, pki, "localhost:5611", comm_test_config()};
  CommTestPeer b{net, pki, "localhost:5612", comm_test_config()};
};

std::vector<std::uint64_t> seqs(const std::vector<CommTestReceived>& r) {
  std::vector<std::uint64_t> out;
  for (const auto& m : r) out.push_back(comm_test_seq(m.envelope));
  return out;
}

// State-transfer messages: comm answers them on the connection they came on (Respond).
EnvelopePtr state_request(std::uint64_t nonce, std::uint64_t from = 1, std::uint64_t to = 10) {
  GossipMessage m;
  m.tag = Tag::CHAN_OR_ORG;
  m.channel = "ch1";
  m.nonce = nonce;
  m.content = RemoteStateRequest{from, to};
  return Envelope::make_unsigned(std::move(m));
}

GossipMessage state_response(std::uint64_t nonce) {
  GossipMessage m;
  m.tag = Tag::CHAN_OR_ORG;
  m.channel = "ch1";
  m.nonce = nonce;
  m.content = RemoteStateResponse{};
  return m;
}

// `peer` answers every RemoteStateRequest with an empty response carrying its nonce.
void answer_state_requests(CommTestPeer& peer) {
  peer.comm().accept([](const ReceivedMessage& m) { return m.envelope()->is<RemoteStateRequest>(); },
                     [](const ReceivedMessage& m) { m.respond(state_response(m.msg().nonce)); });
}

std::vector<std::uint64_t> iota_seqs(std::uint64_t n) {
  std::vector<std::uint64_t> out;
  for (std::uint64_t i = 0; i < n; ++i) out.push_back(i);
  return out;
}

}  // namespace

TEST_CASE("comm: TestParallelSend (spec §11.10): 20 concurrent sends all received, in order", "[comm]") {
  TwoPeers t;
  for (std::uint64_t i = 0; i < 20; ++i) t.a.comm().send(comm_test_block(i), t.b.remote());
  CHECK(t.a.comm().queued(t.b.pki_id()) == 20);
  t.net.advance(5_s);
  CHECK(seqs(t.b.received) == iota_seqs(20));
  for (const auto& m : t.b.received) CHECK(m.from == t.a.pki_id());
  CHECK(t.a.presumed_dead.empty());
  CHECK(t.a.comm().stats().dials == 1);  // creation serialised per PKI-ID (spec §9.5)
  // Dial (1 RTT) + Ping (1 RTT) + ConnEstablish exchange (1 RTT) + one-way delivery.
  CHECK(t.b.received.front().at == Time::zero() + 7_ms);
}

TEST_CASE("comm: TestPresumedDead (spec §11.10): sends to a stopped peer yield PRESUMED_DEAD within 3 s",
          "[comm]") {
  TwoPeers t;
  t.a.comm().send(comm_test_block(0), t.b.remote());
  t.net.advance(1_s);
  REQUIRE(t.b.received.size() == 1);

  SECTION("graceful stop: the closed connection is forgotten, the new dial is refused") {
    t.b.stop();
  }
  SECTION("crash: the next write on the stale connection fails") {
    t.b.crash();
  }
  const Time stopped_at = t.net.now();
  std::optional<Time> dead_at;
  for (std::uint64_t i = 1; i <= 5; ++i) {
    t.a.comm().send(comm_test_block(i), t.b.remote());
    t.net.advance(200_ms);
    if (!dead_at && !t.a.presumed_dead.empty()) dead_at = t.net.now();
  }
  t.net.advance(3_s - 1_s);
  REQUIRE(!t.a.presumed_dead.empty());
  CHECK(t.a.presumed_dead.front() == t.b.pki_id());
  REQUIRE(dead_at.has_value());
  CHECK(*dead_at - stopped_at <= 3_s);
  CHECK_FALSE(t.a.comm().has_connection(t.b.pki_id()));
}

TEST_CASE("comm: refused dial costs the whole dial timeout (spec §9.5)", "[comm]") {
  TwoPeers t;
  t.b.stop();  // host answers, nothing listens
  std::optional<Time> dead_at;
  t.a.comm().on_presumed_dead([&](const PkiId&) { dead_at = t.net.now(); });
  t.a.comm().send(comm_test_block(0), t.b.remote());
  t.net.advance(1_s);
  REQUIRE(dead_at.has_value());
  CHECK(*dead_at == Time::zero() + 300_ms);
  CHECK(t.a.comm().stats().of(MessageKind::data).dropped_failed == 1);
}

TEST_CASE("comm: TestProbe (spec §11.10): probe and handshake", "[comm]") {
  TwoPeers t;
  std::vector<HandshakeResult> results;
  auto record = [&results](const HandshakeResult& r) { results.push_back(r); };

  SECTION("probe a live peer succeeds; a dead endpoint fails after the dial timeout") {
    t.a.comm().probe(t.b.endpoint(), record);
    t.a.comm().probe("localhost:9999", record);
    t.net.advance(100_ms);
    REQUIRE(results.size() == 1);
    CHECK(results[0].ok);
    t.net.advance(200_ms);
    REQUIRE(results.size() == 2);
    CHECK_FALSE(results[1].ok);
    CHECK(results[1].error == "dial timeout");
    // A probe exchanges no identities and registers nothing.
    CHECK_FALSE(t.b.identities().contains(t.a.pki_id()));
    t.net.advance(1_s);
    CHECK(t.b.comm().connection_count() == 0);
  }
  SECTION("handshake with the right, a wrong and an empty expected PKI-ID") {
    t.a.comm().handshake(t.b.endpoint(), t.b.pki_id(), record);
    t.a.comm().handshake(t.b.endpoint(), "localhost:5613", record);
    t.a.comm().handshake(t.b.endpoint(), PkiId{}, record);
    t.a.comm().handshake("localhost:9999", PkiId{}, record);
    t.net.advance(1_s);
    REQUIRE(results.size() == 4);
    CHECK(results[0].ok);
    CHECK(results[0].pki_id == t.b.pki_id());
    CHECK_FALSE(results[1].ok);
    CHECK(results[1].error == "pki-id mismatch");
    CHECK(results[2].ok);
    CHECK(results[2].pki_id == t.b.pki_id());
    CHECK(results[2].identity == t.pki.by_name(t.b.endpoint())->identity);
    CHECK_FALSE(results[3].ok);
    // Handshake closes its connection; in v1.0 the remote registered it until then.
    CHECK(t.a.comm().connection_count() == 0);
    CHECK(t.b.comm().connection_count() == 0);
    CHECK(t.b.comm().stats().connections_accepted == 3);
    CHECK(t.net.open_ends(t.a.endpoint()) == 0);
    CHECK(t.net.open_ends(t.b.endpoint()) == 0);
  }
}

// As in Fabric's test, the peer that restarts is the one that dialed (comm1): the other
// side's connection is an accepted one, forgotten when its stream ends, so it dials anew.
TEST_CASE("comm: TestReConnections (spec §11.10): sends succeed again after a restart on the same endpoint",
          "[comm]") {
  TwoPeers t;
  t.b.comm().send(comm_test_block(100), t.a.remote());  // b dials a
  t.net.advance(1_s);
  t.a.comm().send(comm_test_block(0), t.b.remote());  // on b's connection
  t.net.advance(1_s);
  REQUIRE(t.b.received.size() == 1);
  REQUIRE(t.a.received.size() == 1);
  REQUIRE(t.a.comm().stats().dials == 0);

  t.b.stop();
  t.net.advance(1_s);
  t.b.restart();
  t.a.comm().send(comm_test_block(1), t.b.remote());
  t.b.comm().send(comm_test_block(101), t.a.remote());
  t.net.advance(1_s);
  CHECK(seqs(t.b.received) == std::vector<std::uint64_t>{1});
  CHECK(seqs(t.a.received) == std::vector<std::uint64_t>{100, 101});
  CHECK(t.a.presumed_dead.empty());
  CHECK(t.b.presumed_dead.empty());
}

// spec §9.3: a reader error is not a failure. A connection we dialed stays registered when
// the remote closes it (Fabric's connection store keeps it); the next Send's write fails,
// which reports PRESUMED_DEAD and removes it, and the Send after that dials anew.
TEST_CASE("comm: a dialed connection closed by the remote stays until the next Send fails (spec §9.3)", "[comm]") {
  TwoPeers t;
  t.a.comm().send(comm_test_block(0), t.b.remote());  // a dials b
  t.net.advance(1_s);
  REQUIRE(t.b.received.size() == 1);
  t.b.comm().close_conn(t.a.pki_id());  // b closes a's connection (e.g. discovery expired a)
  t.net.advance(1_s);
  CHECK(t.a.comm().has_connection(t.b.pki_id()));  // the reader's EOF changed nothing
  CHECK(t.a.presumed_dead.empty());
  t.a.comm().send(comm_test_block(1), t.b.remote());
  t.net.advance(1_s);
  REQUIRE(t.a.presumed_dead.size() == 1);
  CHECK(t.a.presumed_dead.front() == t.b.pki_id());
  CHECK_FALSE(t.a.comm().has_connection(t.b.pki_id()));
  CHECK(seqs(t.b.received) == std::vector<std::uint64_t>{0});  // lost with the failed write
  t.a.comm().send(comm_test_block(2), t.b.remote());
  t.net.advance(1_s);
  CHECK(seqs(t.b.received) == std::vector<std::uint64_t>{0, 2});
  CHECK(t.a.comm().stats().dials == 2);
}

TEST_CASE("comm: restart after a crash replaces the stale connection (spec §9.2 inbound replaces)", "[comm]") {
  TwoPeers t;
  t.a.comm().send(comm_test_block(0), t.b.remote());
  t.net.advance(1_s);
  t.b.crash();
  t.b.restart();
  // The restarted peer dials first: A's inbound stream replaces the stale connection.
  t.b.comm().send(comm_test_block(100), t.a.remote());
  t.net.advance(1_s);
  t.a.comm().send(comm_test_block(1), t.b.remote());
  t.net.advance(1_s);
  CHECK(seqs(t.a.received) == std::vector<std::uint64_t>{100});
  CHECK(seqs(t.b.received) == std::vector<std::uint64_t>{1});
  CHECK(t.a.presumed_dead.empty());
}

TEST_CASE("comm: send buffer overflow drops silently while the connection is created (spec §9.3, §9.5)",
          "[comm]") {
  FakeNetwork net;
  Pki pki{IdentityScheme::fabric_test()};
  CommConfig cfg = comm_test_config();
  cfg.send_buff_size = 5;
  CommTestPeer a{net, pki, "localhost:5611", cfg};
  CommTestPeer b{net, pki, "localhost:5612", cfg};
  for (std::uint64_t i = 0; i < 8; ++i) a.comm().send(comm_test_block(i), b.remote());
  CHECK(a.comm().queued(b.pki_id()) == 5);
  CHECK(a.comm().stats().of(MessageKind::data).dropped_overflow == 3);
  CHECK(a.env().observations == 3);  // one MessageDropped each
  net.advance(1_s);
  CHECK(seqs(b.received) == iota_seqs(5));
  CHECK(a.presumed_dead.empty());  // overflow is not a failure
  // Once open, the writer drains at once: nothing more is dropped.
  for (std::uint64_t i = 10; i < 30; ++i) a.comm().send(comm_test_block(i), b.remote());
  net.advance(1_s);
  CHECK(b.received.size() == 25);
  CHECK(a.comm().stats().of(MessageKind::data).dropped_overflow == 3);
}

TEST_CASE("comm: one connection per PKI-ID when both sides dial simultaneously (spec §9.2)", "[comm]") {
  TwoPeers t;
  t.a.comm().send(comm_test_block(0), t.b.remote());
  t.b.comm().send(comm_test_block(100), t.a.remote());
  t.net.advance(1_s);
  CHECK(seqs(t.b.received) == std::vector<std::uint64_t>{0});
  CHECK(seqs(t.a.received) == std::vector<std::uint64_t>{100});
  REQUIRE(t.a.comm().connection_count() == 1);
  REQUIRE(t.b.comm().connection_count() == 1);
  CHECK(t.net.open_ends(t.a.endpoint()) == 1);
  CHECK(t.net.open_ends(t.b.endpoint()) == 1);
  // Both creations and both inbound handshakes completed: a true crossing.
  CHECK(t.a.comm().stats().connections_created == 1);
  CHECK(t.a.comm().stats().connections_accepted == 1);
  CHECK(t.b.comm().stats().connections_created == 1);
  CHECK(t.b.comm().stats().connections_accepted == 1);
  // Later traffic in both directions uses that single connection, without failures.
  t.a.comm().send(comm_test_block(1), t.b.remote());
  t.b.comm().send(comm_test_block(101), t.a.remote());
  t.net.advance(1_s);
  CHECK(seqs(t.b.received) == std::vector<std::uint64_t>{0, 1});
  CHECK(seqs(t.a.received) == std::vector<std::uint64_t>{100, 101});
  CHECK(t.b.received.back().conn == *t.b.comm().connection_of(t.a.pki_id()));
  CHECK(t.a.presumed_dead.empty());
  CHECK(t.b.presumed_dead.empty());
}

TEST_CASE("comm: respond() answers on the connection the message arrived on (spec §9.2)", "[comm]") {
  TwoPeers t;
  answer_state_requests(t.b);
  t.a.comm().send(state_request(42), t.b.remote());
  t.net.advance(1_s);
  REQUIRE(t.a.received.size() == 1);
  CHECK(t.a.received[0].envelope->is<RemoteStateResponse>());
  CHECK(t.a.received[0].envelope->msg().nonce == 42);
  CHECK(t.a.received[0].conn == *t.a.comm().connection_of(t.b.pki_id()));
  CHECK(t.b.comm().stats().dials == 0);  // no connection of its own was created
}

// spec §9.3, §9.5: on an open connection, the messages it has not started to transmit fill
// the send buffer; Send and Respond beyond sendBuffSize are dropped silently, no failure.
TEST_CASE("comm: a full send buffer on an open connection drops Send and Respond silently (spec §9.5)",
          "[comm]") {
  TwoPeers t;
  answer_state_requests(t.b);
  t.a.comm().send(comm_test_block(0), t.b.remote());
  t.net.advance(1_s);
  REQUIRE(t.b.received.size() == 1);
  const ConnId a_conn = *t.a.comm().connection_of(t.b.pki_id());
  const ConnId b_conn = *t.b.comm().connection_of(t.a.pki_id());
  const std::size_t full = comm_test_config().send_buff_size;

  t.a.env().backlog[a_conn] = full - 1;  // one slot left
  t.a.comm().send(comm_test_block(1), t.b.remote());
  t.a.env().backlog[a_conn] = full;
  t.a.comm().send(comm_test_block(2), t.b.remote());
  t.a.env().backlog[a_conn] = 0;
  t.net.advance(1_s);
  CHECK(seqs(t.b.received) == std::vector<std::uint64_t>{0, 1});
  CHECK(t.a.comm().stats().of(MessageKind::data).dropped_overflow == 1);

  t.b.env().backlog[b_conn] = full;  // b's answer to the first request finds the buffer full
  t.a.comm().send(state_request(7), t.b.remote());
  t.net.advance(1_s);
  t.b.env().backlog[b_conn] = 0;
  t.a.comm().send(state_request(8), t.b.remote());
  t.net.advance(1_s);
  REQUIRE(t.a.received.size() == 1);
  CHECK(t.a.received[0].envelope->msg().nonce == 8);
  CHECK(t.b.comm().stats().of(MessageKind::state_response).dropped_overflow == 1);
  CHECK(t.a.presumed_dead.empty());
  CHECK(t.b.presumed_dead.empty());
  CHECK(t.a.comm().has_connection(t.b.pki_id()));
}

TEST_CASE("comm: handshake times out after connTimeout when the remote never sends ConnEstablish (spec §9.3)",
          "[comm]") {
  FakeNetwork net;
  Pki pki{IdentityScheme::fabric_test()};
  CommTestPeer a{net, pki, "localhost:5611", comm_test_config()};
  pki.enroll("localhost:5699", "Org1", "localhost:5699");
  // A mute remote: answers Ping, ignores the stream.
  struct Mute final : TransportHandler {
    explicit Mute(Env& e) : env(e) {}
    void on_inbound(ConnId, const Endpoint&) override {}
    void on_receive(ConnId conn, const WirePacket& p) override {
      if (from_packet(p)->is<Empty>()) env.write(conn, p);
    }
    void on_closed(ConnId) override {}
    void on_write_failed(ConnId, std::uint8_t) override {}
    Env& env;
  };
  FakeNetEnv& mute_env = net.add_peer("localhost:5699");
  Mute mute(mute_env);
  mute_env.set_transport_handler(&mute);

  std::optional<Time> dead_at;
  a.comm().on_presumed_dead([&](const PkiId&) { dead_at = net.now(); });
  a.comm().send(comm_test_block(0), RemotePeer{"localhost:5699", "localhost:5699"});
  std::vector<HandshakeResult> results;
  a.comm().probe("localhost:5699", [&](const HandshakeResult& r) { results.push_back(r); });
  a.comm().handshake("localhost:5699", PkiId{}, [&](const HandshakeResult& r) { results.push_back(r); });
  net.advance(5_s);
  REQUIRE(dead_at.has_value());
  CHECK(*dead_at == Time::zero() + 4_ms + 2_s);  // dial RTT + Ping RTT + connTimeout
  REQUIRE(results.size() == 2);
  CHECK(results[0].ok);  // the probe needs only the Ping
  CHECK_FALSE(results[1].ok);
  CHECK(results[1].error == "handshake timeout");
  CHECK(a.comm().stats().of(MessageKind::data).dropped_failed == 1);
}

TEST_CASE("comm: pass-through subscriptions see raw messages with the connection info (spec §2.2)", "[comm]") {
  TwoPeers t;
  std::vector<EnvelopePtr> state_msgs;
  std::vector<ConnectionInfo> infos;
  t.b.comm().accept([](const ReceivedMessage& m) { return is_remote_state_message(m.msg()); },
                    [&](const ReceivedMessage& m) {
                      state_msgs.push_back(m.envelope());
                      infos.push_back(m.connection_info());
                    });
  const EnvelopePtr request = state_request(0, 1, 2);
  t.a.comm().send(comm_test_block(7), t.b.remote());
  t.a.comm().send(request, t.b.remote());
  t.net.advance(1_s);
  REQUIRE(state_msgs.size() == 1);
  CHECK(state_msgs[0] == request);  // the very envelope, not a copy
  CHECK(infos[0].pki_id == t.a.pki_id());
  CHECK(infos[0].identity == t.pki.by_name(t.a.endpoint())->identity);
  REQUIRE(infos[0].auth != nullptr);
  CHECK(infos[0].auth->is<ConnEstablish>());
  // The catch-all subscriber saw both, and never a Conn or Empty message.
  CHECK(t.b.received.size() == 2);
  for (const auto& m : t.b.received) {
    CHECK_FALSE(m.envelope->is<ConnEstablish>());
    CHECK_FALSE(m.envelope->is<Empty>());
  }
  CHECK(t.b.comm().stats().of(MessageKind::conn).received == 1);
  CHECK(t.b.comm().stats().of(MessageKind::empty).received == 1);
}

TEST_CASE("comm: handshake rejects an identity the crypto service refuses (spec §9.4)", "[comm]") {
  TwoPeers t;
  t.pki.set_revoked(t.b.pki_id(), true);
  std::vector<HandshakeResult> results;
  t.a.comm().handshake(t.b.endpoint(), t.b.pki_id(), [&](const HandshakeResult& r) { results.push_back(r); });
  t.a.comm().send(comm_test_block(0), t.b.remote());
  t.net.advance(1_s);
  REQUIRE(results.size() == 1);
  CHECK_FALSE(results[0].ok);
  CHECK(results[0].error == "identity rejected: invalid_identity");
  CHECK(t.a.presumed_dead == std::vector<PkiId>{t.b.pki_id()});
  CHECK(t.b.received.empty());
}

TEST_CASE("comm: write failure on an open connection → PRESUMED_DEAD and removal (spec §9.3)", "[comm]") {
  TwoPeers t;
  t.a.comm().send(comm_test_block(0), t.b.remote());
  t.net.advance(1_s);
  t.b.crash();
  t.a.comm().send(comm_test_block(1), t.b.remote());
  t.a.comm().send(comm_test_block(2), t.b.remote());
  t.net.advance(1_s);
  CHECK(t.a.presumed_dead == std::vector<PkiId>{t.b.pki_id()});  // once per connection
  CHECK(t.a.comm().stats().write_failures == 1);
  CHECK_FALSE(t.a.comm().has_connection(t.b.pki_id()));
}

TEST_CASE("comm: close_conn and stop", "[comm]") {
  TwoPeers t;
  t.a.comm().send(comm_test_block(0), t.b.remote());
  t.net.advance(1_s);
  t.a.comm().close_conn(t.b.pki_id());
  CHECK_FALSE(t.a.comm().has_connection(t.b.pki_id()));
  t.net.advance(10_ms);
  CHECK_FALSE(t.b.comm().has_connection(t.a.pki_id()));  // the close reached B
  CHECK(t.b.presumed_dead.empty());                        // reader side: not a failure

  std::vector<HandshakeResult> results;
  t.a.comm().probe(t.b.endpoint(), [&](const HandshakeResult& r) { results.push_back(r); });
  t.a.comm().send(comm_test_block(1), t.b.remote());
  t.a.comm().stop();
  REQUIRE(results.size() == 1);
  CHECK(results[0].error == "comm stopped");
  t.a.comm().send(comm_test_block(2), t.b.remote());
  t.net.advance(1_s);
  CHECK(t.b.received.size() == 1);
  CHECK(t.a.presumed_dead.empty());
  CHECK(t.net.open_ends(t.a.endpoint()) == 0);
}

namespace {

// B holds the connection A opened and a request A sent on it, to answer when a test says
// (ReceivedMessage::respond may be called later, spec §9.2).
struct RequestServed : TwoPeers {
  std::vector<ReceivedMessage> requests;

  RequestServed() {
    b.comm().accept([](const ReceivedMessage& m) { return m.envelope()->is<RemoteStateRequest>(); },
                    [this](const ReceivedMessage& m) { requests.push_back(m); });
    a.comm().send(state_request(42), b.remote());
    net.advance(1_s);
    REQUIRE(requests.size() == 1);
    REQUIRE(b.comm().has_connection(a.pki_id()));
  }

  void respond() { requests.front().respond(state_response(42)); }
};

}  // namespace

TEST_CASE("comm: a failed Respond write reports no PRESUMED_DEAD - the transport's close removes the connection "
          "(spec §9.2, §9.3)",
          "[comm]") {
  RequestServed t;
  SECTION("the requester crashed") { t.a.crash(); }
  SECTION("the requester is partitioned away") { t.net.set_partitioned(t.a.endpoint(), t.b.endpoint(), true); }
  t.respond();
  t.net.advance(1_s);
  // spec §9.2: Respond's errors are ignored — Fabric's Respond passes a no-op onErr.
  CHECK(t.b.presumed_dead.empty());
  CHECK(t.b.comm().stats().response_write_failures == 1);
  CHECK(t.b.comm().stats().write_failures == 0);
  CHECK(t.b.comm().stats().presumed_dead == 0);
  // The reset also closed B's end (on_closed): the connection is gone.
  CHECK_FALSE(t.b.comm().has_connection(t.a.pki_id()));
  CHECK(t.net.open_ends(t.b.endpoint()) == 0);
}

TEST_CASE("comm: a failed Send write on an accepted connection reports PRESUMED_DEAD (spec §9.3)", "[comm]") {
  RequestServed t;
  SECTION("the dialer crashed") { t.a.crash(); }
  SECTION("the dialer is partitioned away") { t.net.set_partitioned(t.a.endpoint(), t.b.endpoint(), true); }
  t.b.comm().send(comm_test_block(1), t.a.remote());
  t.net.advance(1_s);
  CHECK(t.b.presumed_dead == std::vector<PkiId>{t.a.pki_id()});
  CHECK(t.b.comm().stats().write_failures == 1);
  CHECK(t.b.comm().stats().response_write_failures == 0);
  CHECK_FALSE(t.b.comm().has_connection(t.a.pki_id()));
}

TEST_CASE("comm: after a failed Respond write the writer has exited - nothing more is written or reported "
          "until the connection is gone (spec §9.3)",
          "[comm]") {
  RequestServed t;
  // A transport whose reader notices the broken stream 100 ms after the write failed (the
  // stream transport notices at once), so that the connection outlives its writer a while.
  t.net.set_reader_notice_delay(100_ms);
  t.a.crash();
  const Time crashed_at = t.net.now();
  // A response and a Send both in flight: the response's failure comes first and the writer
  // exits there; in Fabric the Send was never written, so its failure must not count.
  t.respond();
  t.b.comm().send(comm_test_block(1), t.a.remote());
  t.net.advance(10_ms);  // both resets are back (one RTT)
  const CommStats& s = t.b.comm().stats();
  CHECK(s.response_write_failures == 1);
  CHECK(s.write_failures == 0);
  CHECK(t.b.presumed_dead.empty());
  REQUIRE(t.b.comm().has_connection(t.a.pki_id()));  // the reader has not noticed yet

  // Sends and Responds to it stay in the send buffer nobody drains (Fabric's outBuff):
  // not written, dropped and counted, no PRESUMED_DEAD.
  const std::uint64_t writes = t.b.env().writes;
  const std::uint64_t observations = t.b.env().observations;
  const std::size_t buff = t.b.comm().config().send_buff_size;
  for (std::size_t i = 0; i < buff + 2; ++i) t.b.comm().send(comm_test_block(10 + i), t.a.remote());
  t.respond();
  t.net.advance(50_ms);
  CHECK(t.b.env().writes == writes);
  CHECK(s.of(MessageKind::data).dropped_writer_exited == buff);
  CHECK(s.of(MessageKind::data).dropped_overflow == 2);  // the buffer holds sendBuffSize
  CHECK(s.of(MessageKind::state_response).dropped_overflow == 1);
  CHECK(t.b.env().observations == observations + buff + 3);  // one MessageDropped each
  CHECK(t.b.presumed_dead.empty());
  CHECK(s.response_write_failures == 1);

  // The reader notices: the connection goes without PRESUMED_DEAD (a reader-side break).
  t.net.advance_to(crashed_at + 2_ms + 100_ms);
  CHECK_FALSE(t.b.comm().has_connection(t.a.pki_id()));
  CHECK(t.b.presumed_dead.empty());
  // Now a Send creates a new connection, which fails (refused until the dial timeout):
  // PRESUMED_DEAD as for any failed creation.
  t.b.comm().send(comm_test_block(100), t.a.remote());
  t.net.advance(1_s);
  CHECK(t.b.presumed_dead == std::vector<PkiId>{t.a.pki_id()});
  CHECK(s.creation_failures == 1);
  CHECK(s.write_failures == 0);
}

TEST_CASE("comm: our ConnEstablish failing after the accepted stream was registered reports no PRESUMED_DEAD "
          "(spec §9.3, §9.4)",
          "[comm]") {
  TwoPeers t;
  t.a.comm().send(comm_test_block(0), t.b.remote());
  // Dial (1 RTT), Ping (1 RTT), then A's ConnEstablish reaches B at 5 ms: B answers with its
  // own and registers the connection. A crashes before B's answer arrives.
  t.net.advance(5_ms);
  REQUIRE(t.b.comm().has_connection(t.a.pki_id()));
  t.a.crash();
  t.net.advance(1_s);
  // Fabric writes it in the handshake, not through the connection's writer: a broken stream
  // ends the stream handler, which unregisters the connection; nothing is presumed dead.
  CHECK(t.b.presumed_dead.empty());
  CHECK(t.b.comm().stats().handshake_write_failures == 1);
  CHECK(t.b.comm().stats().write_failures == 0);
  CHECK_FALSE(t.b.comm().has_connection(t.a.pki_id()));
}
