// Discovery state machine (spec §6.3–§6.10): the "newer" relation, handleAlive
// transitions, the periodic tasks, and the Appendix B quirks 6–9, driven with hand-made
// messages on the §11.1 harness (one real instance, fake remote peers).
#include <catch2/catch.hpp>

#include <vector>

#include "discovery_harness.hpp"

namespace gs::proto::disctest {
namespace {

using namespace gs::literals;

EnvelopePtr craft_alive(const PkiId& pki, std::uint64_t inc, std::uint64_t seq, const Endpoint& internal = {},
                        const Bytes& metadata = {}) {
  HarnessCrypto crypto(pki);
  GossipMessage m;
  m.tag = Tag::EMPTY;
  m.content = AliveMessage{Member{pki, metadata, pki}, PeerTime{inc, seq}, {}};
  return crypto.sign_message(std::move(m), internal);
}

EnvelopePtr craft_mem_req(const EnvelopePtr& self_info, std::uint64_t nonce = 0) {
  GossipMessage m;
  m.tag = Tag::EMPTY;
  m.nonce = nonce;
  m.content = MembershipRequest{self_info, {}};
  return Envelope::make_unsigned(std::move(m));
}

EnvelopePtr craft_mem_res(std::vector<EnvelopePtr> alive, std::vector<EnvelopePtr> dead, std::uint64_t nonce = 0) {
  GossipMessage m;
  m.tag = Tag::EMPTY;
  m.nonce = nonce;
  m.content = MembershipResponse{std::move(alive), std::move(dead)};
  return Envelope::make_unsigned(std::move(m));
}

std::vector<const SentToPeer*> sent_of_kind(const DummyComm& c, MessageKind kind) {
  std::vector<const SentToPeer*> out;
  for (const SentToPeer& s : c.sent_to_peer)
    if (s.msg->kind() == kind) out.push_back(&s);
  return out;
}

bool has_secret_envelope(const EnvelopePtr& mem_req) {
  return mem_req->get_if<MembershipRequest>()->self_information->secret().has_value();
}

const PkiId kX = "localhost:9999";  // a remote peer that exists only as messages

}  // namespace

TEST_CASE("discovery: spec §6.5 newer relation: before(a, b) table", "[discovery][spec6.5]") {
  struct Row {
    PeerTime a, b;
    bool before;
  };
  const std::vector<Row> rows = {
      {{1, 1}, {1, 2}, true},   // same incarnation, greater seq: newer
      {{1, 2}, {1, 1}, false},  // same incarnation, smaller seq: older
      {{1, 1}, {1, 1}, false},  // equal: not newer (duplicate)
      {{1, 9}, {2, 0}, true},   // greater incarnation wins whatever the seq
      {{2, 0}, {1, 9}, false},  // smaller incarnation loses whatever the seq
      {{0, 0}, {0, 1}, true},
      {{5, 5}, {5, 5}, false},
  };
  for (const Row& r : rows) {
    INFO("a=" << to_string(r.a) << " b=" << to_string(r.b));
    CHECK(peer_time_before(r.a, r.b) == r.before);
    // The same order as the store's comparator (spec §1.5): b INVALIDATES a iff a is before b.
    CHECK((compare_timestamps(r.b, r.a) == InvalidationResult::INVALIDATES) == r.before);
  }
}

TEST_CASE("discovery: spec §6.5 handleAlive transitions: learn, ignore, learnExisting, expire, resurrect",
          "[discovery][spec6.5]") {
  World w(v10_test_config());
  Instance& a = w.add(1000);
  DiscoveryImpl& d = *a.disc;
  // Fed through membership requests: their self information is checked against the store
  // but never stored, so every transition of handleAlive is reachable.
  const auto feed = [&](const EnvelopePtr& alive) { d.handle_message(craft_mem_req(alive), kX); };
  struct Step {
    const char* what;
    Duration advance;
    EnvelopePtr msg;
    bool alive_after;
    bool dead_after;
    bool last_seen_refreshed;
    PeerTime ts_after;
    Endpoint internal_after;
    Bytes metadata_after;
  };
  const std::vector<Step> steps = {
      {"unknown: learnNewMembers", 0_ms, craft_alive(kX, 10, 1, "x-int", "m1"), true, false, true, {10, 1}, "x-int", "m1"},
      {"same ts: ignored", 100_ms, craft_alive(kX, 10, 1, "x-int", "m1"), true, false, false, {10, 1}, "x-int", "m1"},
      {"older seq: ignored", 100_ms, craft_alive(kX, 10, 0, "x-int", "m0"), true, false, false, {10, 1}, "x-int", "m1"},
      {"older inc: ignored", 100_ms, craft_alive(kX, 9, 50, "x-int", "m0"), true, false, false, {10, 1}, "x-int", "m1"},
      {"newer seq, no secret: learnExisting keeps internal", 100_ms, craft_alive(kX, 10, 2, "", "m2"), true, false,
       true, {10, 2}, "x-int", "m2"},
      {"newer seq with secret: internal replaced", 100_ms, craft_alive(kX, 10, 3, "x-int2", "m3"), true, false, true,
       {10, 3}, "x-int2", "m3"},
      {"newer inc: learnExisting", 100_ms, craft_alive(kX, 11, 0, "", "m4"), true, false, true, {11, 0}, "x-int2",
       "m4"},
  };
  Time last_seen = w.now();
  for (const Step& s : steps) {
    INFO(s.what);
    w.run_for(s.advance);
    feed(s.msg);
    REQUIRE(d.alive_last_ts().count(kX) == (s.alive_after ? 1U : 0U));
    CHECK(d.dead_last_ts().count(kX) == (s.dead_after ? 1U : 0U));
    const DiscoveryImpl::LastTs ts = d.alive_last_ts().at(kX);
    if (s.last_seen_refreshed) last_seen = w.now();
    CHECK(ts.last_seen == last_seen);
    CHECK(ts.ts == s.ts_after);
    CHECK(d.id2member().at(kX)->internal_endpoint == s.internal_after);
    CHECK(d.id2member().at(kX)->metadata == s.metadata_after);
  }
  CHECK(a.env->view_changes == 1);

  // spec §6.7: silent for more than AliveExpirationTimeout → dead at the next check.
  w.run_for(w.cfg().alive_expiration_timeout + w.cfg().derived.alive_expiration_check_interval);
  REQUIRE(d.dead_last_ts().count(kX) == 1);
  CHECK(d.alive_last_ts().count(kX) == 0);
  CHECK(d.dead_last_ts().at(kX).last_seen == last_seen);  // lastSeen unchanged by the move
  CHECK(d.get_membership().empty());
  CHECK(d.lookup(kX).has_value());  // still known (spec §6.7)
  CHECK(a.env->view_changes == 2);
  REQUIRE_FALSE(a.comm->closed.empty());
  CHECK(a.comm->closed.back().pki_id == kX);

  feed(craft_alive(kX, 11, 0));  // dead + same: ignored
  feed(craft_alive(kX, 10, 99));  // dead + older: ignored
  CHECK(d.dead_last_ts().count(kX) == 1);
  feed(craft_alive(kX, 11, 1));  // dead + newer: resurrect (spec §6.8)
  CHECK(d.alive_last_ts().count(kX) == 1);
  CHECK(d.dead_last_ts().count(kX) == 0);
  CHECK(d.dead_membership().count(kX) == 0);
  CHECK(d.alive_membership().count(kX) == 1);
  CHECK(d.id2member().at(kX)->internal_endpoint == "x-int2");
  CHECK(a.env->view_changes == 3);
}

// GetMembership() is a cached snapshot (discovery.hpp MembershipView): it must equal the
// spec §6.2 definition (aliveMembership with id2Member's internal endpoints) after every
// change, never change once handed out, and be rebuilt only when an entry changes.
TEST_CASE("discovery: membership snapshot: spec §6.2 contents, immutable, shared until a change",
          "[discovery][spec6.2]") {
  World w(v10_test_config());
  Instance& a = w.add(1000);
  DiscoveryImpl& d = *a.disc;
  const auto feed = [&](const EnvelopePtr& alive) { d.handle_message(craft_mem_req(alive), kX); };
  const auto by_definition = [&d] {
    std::vector<NetworkMember> out;
    for (const auto& [pki, msg] : d.alive_membership()) {
      const Member& m = msg->get_if<AliveMessage>()->membership;
      out.push_back(NetworkMember{m.endpoint, m.metadata, m.pki_id, d.id2member().at(pki)->internal_endpoint});
    }
    return out;
  };

  feed(craft_alive(kX, 10, 1, "x-int", "m1"));
  const MembershipView v1 = d.membership();
  REQUIRE(v1->size() == 1);
  CHECK(d.get_membership() == by_definition());
  feed(craft_alive(kX, 10, 1, "x-int", "m1"));  // same: ignored
  feed(craft_alive(kX, 10, 2, "", "m1"));       // newer, same member: timestamp only
  CHECK(d.membership() == v1);                  // the same snapshot object
  CHECK(d.get_membership() == by_definition());

  feed(craft_alive(kX, 10, 3, "", "m2"));  // metadata changes
  const MembershipView v2 = d.membership();
  CHECK(v2 != v1);
  CHECK((*v1)[0]->metadata == "m1");  // a snapshot never changes once handed out
  CHECK((*v2)[0]->metadata == "m2");
  CHECK(d.get_membership() == by_definition());
  feed(craft_alive(kX, 10, 4, "x-int2", "m2"));  // internal endpoint changes
  CHECK((*d.membership())[0]->internal_endpoint == "x-int2");
  CHECK((*v2)[0]->internal_endpoint == "x-int");
  CHECK(d.get_membership() == by_definition());

  w.run_for(w.cfg().alive_expiration_timeout + w.cfg().derived.alive_expiration_check_interval);
  REQUIRE(d.dead_last_ts().count(kX) == 1);  // expired (spec §6.7): out of the membership
  CHECK(d.membership()->empty());
  CHECK(v2->size() == 1);
  feed(craft_alive(kX, 10, 5, "", "m2"));  // resurrected (spec §6.8)
  CHECK(d.get_membership() == by_definition());
  CHECK(d.membership()->size() == 1);
}

TEST_CASE("discovery: spec §6.5: an alive message with my PKI-ID never enters the tables", "[discovery][spec6.5]") {
  World w(v10_test_config());
  Instance& a = w.add(1000);
  a.disc->handle_message(craft_mem_req(craft_alive(a.endpoint, 1, 100, "other-int")), kX);
  CHECK(a.disc->id2member().empty());
  CHECK(a.disc->self_conflicts() == 1);  // different internal endpoint: Fabric logs an error
}

TEST_CASE("discovery: quirk B.6: v1.0 stores and forwards its own alive messages received back", "[discovery][quirk]") {
  for (const bool latest : {false, true}) {
    INFO((latest ? "latest" : "v1.0"));
    World w(latest ? latest_test_config() : v10_test_config());
    Instance& a = w.add(1000);
    const EnvelopePtr own = a.disc->create_alive_message(true);
    a.disc->handle_message(own, kX);
    const bool forwarded = std::find(a.comm->gossiped.begin(), a.comm->gossiped.end(), own) != a.comm->gossiped.end();
    CHECK(a.disc->msg_store().size() == (latest ? 0U : 1U));
    CHECK(forwarded == !latest);
    CHECK(a.disc->id2member().empty());
  }
}

TEST_CASE("discovery: quirk B.7: every v1.0 membership response increments seq; latest reuses its alive",
          "[discovery][quirk]") {
  SECTION("v1.0") {
    World w(v10_test_config());
    Instance& a = w.add(1000);
    for (std::uint64_t i = 1; i <= 3; ++i) a.disc->handle_message(craft_mem_req(craft_alive(kX, 1, i)), kX);
    const auto responses = sent_of_kind(*a.comm, MessageKind::mem_res);
    REQUIRE(responses.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) {
      const auto& res = *responses[i]->msg->get_if<MembershipResponse>();
      CHECK(res.alive.back()->get_if<AliveMessage>()->timestamp.seq_num == i + 1);
    }
    CHECK(a.disc->seq_num() == 3);
  }
  SECTION("latest") {
    World w(latest_test_config());
    Instance& a = w.add(1000);
    a.disc->handle_message(craft_mem_req(craft_alive(kX, 1, 1)), kX);  // no cached alive yet: seq 1
    w.run_for(w.cfg().alive_time_interval);                             // periodic alive: seq 2, cached
    a.disc->handle_message(craft_mem_req(craft_alive(kX, 1, 2)), kX);
    a.disc->handle_message(craft_mem_req(craft_alive(kX, 1, 3)), kX);
    const auto responses = sent_of_kind(*a.comm, MessageKind::mem_res);
    REQUIRE(responses.size() == 3);
    const std::vector<std::uint64_t> seqs = {1, 2, 2};
    for (std::size_t i = 0; i < 3; ++i)
      CHECK(responses[i]->msg->get_if<MembershipResponse>()->alive.back()->get_if<AliveMessage>()->timestamp.seq_num ==
            seqs[i]);
    CHECK(a.disc->seq_num() == 2);
  }
}

TEST_CASE("discovery: quirk B.8: a peer never seen in a gossiped alive message is never purged", "[discovery][quirk]") {
  World w(v10_test_config());
  Instance& a = w.add(1000);
  const PkiId gossiped = "localhost:9001";
  const PkiId via_response = "localhost:9002";
  a.disc->handle_message(craft_alive(gossiped, 1, 1), gossiped);
  a.disc->handle_message(craft_mem_res({craft_alive(via_response, 1, 1)}, {}), via_response);
  REQUIRE(a.view_size() == 2);
  w.run_for(w.cfg().derived.alive_store_ttl + 2_s);
  // The gossiped peer's store entry expired: purged (spec §6.9).
  CHECK(a.disc->id2member().count(gossiped) == 0);
  CHECK(a.disc->dead_last_ts().count(gossiped) == 0);
  // The other one has no store entry: dead forever, still pinged every ReconnectInterval.
  CHECK(a.disc->dead_last_ts().count(via_response) == 1);
  const std::uint64_t pings = a.comm->pings;
  w.run_for(w.cfg().reconnect_interval * 3);
  CHECK(a.comm->pings >= pings + 2);
}

TEST_CASE("discovery: quirk B.9: an outdated dead entry aborts the rest of the dead list in v1.0", "[discovery][quirk]") {
  for (const bool latest : {false, true}) {
    INFO((latest ? "latest" : "v1.0"));
    World w(latest ? latest_test_config() : v10_test_config());
    Instance& a = w.add(1000);
    const PkiId z = "localhost:9003";
    const PkiId unknown = "localhost:9004";
    a.disc->handle_message(craft_alive(z, 5, 2), z);  // stored: {5,1} is outdated
    a.disc->handle_message(craft_mem_res({}, {craft_alive(z, 5, 1), craft_alive(unknown, 7, 1)}), z);
    CHECK(a.disc->dead_last_ts().count(unknown) == (latest ? 1U : 0U));
    CHECK(a.disc->alive_last_ts().count(z) == 1);
  }
}

TEST_CASE("discovery: spec §6.4: dead entries of unknown peers are learned as dead", "[discovery][spec6.4]") {
  World w(v10_test_config());
  Instance& a = w.add(1000);
  a.disc->handle_message(craft_mem_res({}, {craft_alive(kX, 3, 3, "x-int")}), kX);
  CHECK(a.disc->dead_last_ts().count(kX) == 1);
  CHECK(a.disc->id2member().at(kX)->internal_endpoint == "x-int");
  CHECK(a.view_size() == 0);
  CHECK(a.disc->msg_store().size() == 0);  // responses never enter the alive store
}

TEST_CASE("discovery: spec §6.4: v1.0 answers with the outer envelope's (absent) internal endpoint", "[discovery][spec6.4]") {
  for (const bool latest : {false, true}) {
    INFO((latest ? "latest" : "v1.0"));
    World w(latest ? latest_test_config() : v10_test_config());
    Instance& a = w.add(1000);
    a.disc->handle_message(craft_mem_req(craft_alive(kX, 1, 1, "x-int"), 77), kX);
    const auto responses = sent_of_kind(*a.comm, MessageKind::mem_res);
    REQUIRE(responses.size() == 1);
    CHECK(responses[0]->peer.pki_id == kX);
    CHECK(responses[0]->peer.internal_endpoint == (latest ? "x-int" : ""));
    CHECK(responses[0]->msg->msg().nonce == 77);  // echoes the request nonce
  }
}

TEST_CASE("discovery: spec §6.3: Connect retries the identifier every ReconnectInterval, at most MaxConnectionAttempts",
          "[discovery][spec6.3]") {
  GossipConfig cfg = v10_test_config();
  cfg.max_connection_attempts = 3;
  resolve(cfg);
  World w(cfg);
  Instance& a = w.add(1000);
  std::vector<Time> calls;
  a.disc->connect(NetworkMember{kX, {}, {}, kX}, [&](IdentifierDone done) {
    calls.push_back(w.now());
    done(std::nullopt);
  });
  w.run_for(10_s);
  CHECK(calls == std::vector<Time>{Time::zero(), Time::zero() + 1_s, Time::zero() + 2_s});
  CHECK(sent_of_kind(*a.comm, MessageKind::mem_req).empty());
}

TEST_CASE("discovery: spec §6.3: sendUntilAcked resends every ack wait + ReconnectInterval with the same nonce",
          "[discovery][spec6.3]") {
  GossipConfig cfg = v10_test_config();
  cfg.max_connection_attempts = 3;
  resolve(cfg);
  World w(cfg);
  Instance& a = w.add(1000);
  a.disc->connect(NetworkMember{kX, {}, {}, kX}, boot_identifier(kX));  // nobody listens there
  w.run_for(30_s);
  const auto reqs = sent_of_kind(*a.comm, MessageKind::mem_req);
  REQUIRE(reqs.size() == 3);
  CHECK(reqs[0]->at == Time::zero());
  CHECK(reqs[1]->at == Time::zero() + 6_s);
  CHECK(reqs[2]->at == Time::zero() + 12_s);
  CHECK(reqs[0]->msg->msg().nonce != 0);
  CHECK(reqs[1]->msg->msg().nonce == reqs[0]->msg->msg().nonce);
  CHECK(reqs[0]->peer.pki_id == kX);
  CHECK(has_secret_envelope(reqs[0]->msg));
}

TEST_CASE("discovery: spec §6.3: a membership request to a known PKI-ID gets the disclosure filter", "[discovery][spec6.3]") {
  World w(v10_test_config());
  Options o;
  o.policy = [](const NetworkMember&) {
    return std::pair<Sieve, EnvelopeFilter>{[](const EnvelopePtr&) { return true; },
                                            [](const EnvelopePtr& e) { return strip_secret(e); }};
  };
  Instance& a = w.add(1000, {}, o);
  a.disc->connect(NetworkMember{kX, {}, {}, kX}, boot_identifier(kX));  // SelfOrg = true, PKI-ID known
  const auto reqs = sent_of_kind(*a.comm, MessageKind::mem_req);
  REQUIRE(reqs.size() == 1);
  CHECK_FALSE(reqs[0]->msg->get_if<MembershipRequest>()->self_information->secret().has_value());
}

TEST_CASE("discovery: spec §6.6: reconnect loop pings dead members every ReconnectInterval + ping time",
          "[discovery][spec6.6]") {
  World w(v10_test_config());
  Instance& a = w.add(1000);
  Instance& b = w.add(1001, {}, {}, false);  // known, but down
  a.disc->handle_message(craft_mem_res({}, {craft_alive(b.endpoint, 1, 1)}), kX);
  // act-first: the round at t=0 found nobody; the next ones at 1 s, 2 s + 2 ms, 3 s + 4 ms.
  w.run_for(Duration::milliseconds(3003));
  CHECK(a.comm->pings == 2);
  w.run_for(Duration::milliseconds(2));
  CHECK(a.comm->pings == 3);
  CHECK(sent_of_kind(*a.comm, MessageKind::mem_req).empty());
  w.start(b);  // reachable now: the next ping succeeds and a membership request follows
  w.run_for(Duration::milliseconds(1100));
  const auto reqs = sent_of_kind(*a.comm, MessageKind::mem_req);
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0]->msg->msg().nonce == 0);
  CHECK(has_secret_envelope(reqs[0]->msg));
  CHECK(w.wait_until([&] { return a.view_size() == 1 && b.view_size() == 1; }));
}

TEST_CASE("discovery: spec §6.6: alive messages carry the identity only during PublishCertPeriod", "[discovery][spec6.6]") {
  World w(v10_test_config());
  Instance& a = w.add(1000);
  CHECK_FALSE(a.disc->create_alive_message(true)->get_if<AliveMessage>()->identity.empty());
  w.run_for(w.cfg().publish_cert_period - 1_ns);
  CHECK_FALSE(a.disc->create_alive_message(true)->get_if<AliveMessage>()->identity.empty());
  w.run_for(1_ns);
  CHECK(a.disc->create_alive_message(true)->get_if<AliveMessage>()->identity.empty());
}

TEST_CASE("discovery: spec §6.6: InitiateSync sends one request to k distinct random alive members", "[discovery][spec6.6]") {
  World w(v10_test_config());
  Instance& a = w.add(1000);
  a.disc->initiate_sync(3);  // v1.0: builds a request (seq++) even with an empty view
  CHECK(a.disc->seq_num() == 1);
  CHECK(a.comm->sent_to_peer.empty());
  std::vector<EnvelopePtr> alive;
  for (int p = 9001; p <= 9005; ++p) alive.push_back(craft_alive(endpoint_of(p), 1, 1, "int"));
  a.disc->handle_message(craft_mem_res(alive, {}), kX);
  REQUIRE(a.view_size() == 5);
  a.disc->initiate_sync(2);
  const auto reqs = sent_of_kind(*a.comm, MessageKind::mem_req);
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[0]->peer.pki_id != reqs[1]->peer.pki_id);
  CHECK(reqs[0]->msg == reqs[1]->msg);
  CHECK(reqs[0]->msg->msg().nonce == 0);
  CHECK(reqs[0]->peer.internal_endpoint == "int");
  a.disc->initiate_sync(50);  // capped at the view size
  CHECK(sent_of_kind(*a.comm, MessageKind::mem_req).size() == 7);
}

TEST_CASE("discovery: spec §2.10: a presumed-dead alive member expires at once", "[discovery][spec2.10]") {
  World w(v10_test_config());
  Instance& a = w.add(1000);
  a.disc->handle_message(craft_alive(kX, 1, 1), kX);
  REQUIRE(a.view_size() == 1);
  a.disc->on_presumed_dead(kX);
  CHECK(a.view_size() == 0);
  CHECK(a.disc->dead_last_ts().count(kX) == 1);
  CHECK(a.comm->closes == 1);
  a.disc->on_presumed_dead(kX);  // already dead: nothing
  a.disc->on_presumed_dead("unknown");
  CHECK(a.comm->closes == 1);
}

TEST_CASE("discovery: spec §6.10: latest purges a switched identity at once; v1.0 ignores the event", "[discovery][spec6.10]") {
  for (const bool latest : {false, true}) {
    INFO((latest ? "latest" : "v1.0"));
    World w(latest ? latest_test_config() : v10_test_config());
    Instance& a = w.add(1000);
    a.disc->handle_message(craft_alive(kX, 1, 1), kX);
    a.disc->on_identity_switch(kX);
    CHECK(a.disc->id2member().count(kX) == (latest ? 0U : 1U));
  }
}

TEST_CASE("discovery: spec §6.6: stop() ends the periodic tasks and message handling", "[discovery][spec6.6]") {
  World w(v10_test_config());
  Instance& a = w.add(1000);
  a.disc->handle_message(craft_alive(kX, 1, 1), kX);
  const std::size_t timers_before = w.clock.pending_timers();
  w.stop(a);
  CHECK(w.clock.pending_timers() < timers_before);
  const std::uint64_t sent = a.comm->sent_to_peer.size();
  a.disc->handle_message(craft_mem_req(craft_alive("localhost:9100", 1, 1)), "localhost:9100");
  a.disc->initiate_sync(5);
  w.run_for(10_s);
  CHECK(a.comm->sent_to_peer.size() == sent);
  CHECK(a.comm->pings == 0);
}

}  // namespace gs::proto::disctest
