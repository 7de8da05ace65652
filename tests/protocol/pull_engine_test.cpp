// Pull engine tests: Fabric's gossip/gossip/algo/pull_test.go as listed in spec §11.7, plus
// the nonce-timing boundary rule (spec §3.3, docs/protocol-notes.md) and the overlapping-round
// behaviour of the shared per-round maps (spec §3.3 notes). Virtual time only.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include "protocol/pull_engine.hpp"
#include "pull_harness.hpp"

using namespace gs;
using namespace gs::literals;
using namespace gs::proto;
using namespace gs::proto::pulltest;

namespace {

std::set<std::string> as_set(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

std::set<std::string> ids(std::initializer_list<const char*> l) { return {l.begin(), l.end()}; }

}  // namespace

TEST_CASE("pull engine: Add/Remove (spec §11.7 TestPullEngine_Add, TestPullEngine_Remove)") {
  PullEngineNet net(pull_test_config());
  PullEngine& e = net.spawn("p1").engine();
  e.add("0");
  e.add("0");
  e.add(std::vector<std::string>{"1", "2"});
  CHECK(e.size() == 3);
  CHECK(e.items() == std::vector<std::string>{"0", "1", "2"});
  e.remove("0");
  CHECK_FALSE(e.contains("0"));
  e.remove("0");  // double remove is harmless
  e.remove("never added");
  CHECK(e.items() == std::vector<std::string>{"1", "2"});
}

TEST_CASE("pull engine: Stop (spec §11.7 TestPullEngine_Stop)") {
  PullEngineNet net(pull_test_config());
  net.spawn("p1");
  net.spawn("p2").set_next_peer_selection({"p1"});
  // p1 adds an item every 10 ms, 100 times.
  for (int i = 0; i < 100; ++i) {
    net.clock().schedule(10_ms * i, [&net, i] { net.engine("p1").add(std::to_string(i)); });
  }
  net.run_for(800_ms);
  const std::size_t len1 = net.engine("p2").size();
  REQUIRE(len1 > 0);  // the pull worked before the stop
  net.engine("p1").stop();
  const Time stopped_at = net.now();
  net.run_for(800_ms);
  CHECK(net.engine("p2").size() == len1);
  // p2 kept saying hello; the stopped p1 never answered.
  CHECK_FALSE(net.sent(PullTestMsgKind::hello, "p2", "p1").back().sent_at < stopped_at);
  for (const PullTestMsg& m : net.sent(PullTestMsgKind::digest, "p1")) CHECK(m.sent_at < stopped_at);
  // A stopped engine starts no rounds of its own either.
  net.node("p1").set_next_peer_selection({"p2"});
  net.run_for(2_s);
  CHECK(net.sent(PullTestMsgKind::hello, "p1").empty());
}

TEST_CASE("pull engine: All2AllWithIncrementalSpawning (spec §11.7 TestPullEngineAll2AllWithIncrementalSpawning)") {
  PullEngineNet net(pull_test_config());
  constexpr int kInstances = 10;
  std::vector<std::string> names;
  for (int i = 0; i < kInstances; ++i) {
    names.push_back("p" + std::to_string(i + 1));
    net.spawn(names.back()).engine().add(std::to_string(i + 1));
    net.run_for(50_ms);
  }
  for (const std::string& self : names) {
    std::vector<std::string> others;
    for (const std::string& n : names) {
      if (n != self) others.push_back(n);
    }
    net.node(self).set_next_peer_selection(others);
  }
  net.run_for(4_s);
  for (const std::string& n : names) {
    INFO(n);
    CHECK(net.engine(n).size() == kInstances);
  }
}

TEST_CASE("pull engine: SelectiveUpdates (spec §11.7 TestPullEngineSelectiveUpdates)") {
  PullEngineNet net(pull_test_config());
  net.spawn("p1").engine().add(std::vector<std::string>{"1", "3"});
  net.spawn("p2").engine().add(std::vector<std::string>{"0", "1", "2", "3"});
  net.node("p1").set_next_peer_selection({"p2"});
  net.run_for(2_s);

  const auto digests = net.sent(PullTestMsgKind::digest, "p2", "p1");
  REQUIRE_FALSE(digests.empty());
  for (const PullTestMsg& d : digests) CHECK(as_set(d.items) == ids({"0", "1", "2", "3"}));
  const auto requests = net.sent(PullTestMsgKind::request, "p1", "p2");
  REQUIRE(requests.size() == 1);  // later rounds find nothing missing
  CHECK(as_set(requests[0].items) == ids({"0", "2"}));
  CHECK(requests[0].items.size() == 2);
  const auto responses = net.sent(PullTestMsgKind::response, "p2", "p1");
  REQUIRE(responses.size() == 1);
  CHECK(as_set(responses[0].items) == ids({"0", "2"}));
  CHECK(responses[0].items.size() == 2);
  CHECK(net.engine("p1").size() == net.engine("p2").size());
}

TEST_CASE("pull engine: ByzantineResponder (spec §11.7 TestByzantineResponder)") {
  PullEngineNet net(pull_test_config());
  net.spawn("p1");
  net.spawn("p2").engine().add(std::vector<std::string>{"1", "2", "3"});
  net.spawn("p3").engine().add(std::vector<std::string>{"1", "6", "7"});
  int injected = 0;
  net.set_delivery_hook([&net, &injected](const PullTestMsg& m) {
    if (m.kind == PullTestMsgKind::hello && m.to == "p2") {
      // p3 forges a digest under nonce 0, then a response 150 ms later (inside p1's
      // response window, so only the nonce check can reject it).
      ++injected;
      net.send({PullTestMsgKind::digest, "p3", "p1", 0, {"5", "6", "7"}, {}});
      net.clock().schedule(150_ms, [&net] { net.send({PullTestMsgKind::response, "p3", "p1", 0, {"5", "6", "7"}, {}}); });
    }
    if (m.kind == PullTestMsgKind::request && m.to == "p3") {
      net.clock().schedule(150_ms, [&net] { net.send({PullTestMsgKind::response, "p3", "p1", 0, {"5", "6", "7"}, {}}); });
    }
  });
  net.node("p1").set_next_peer_selection({"p2"});
  net.run_for(1_s);
  REQUIRE(injected >= 1);
  const PullEngine& p1 = net.engine("p1");
  CHECK(p1.items() == std::vector<std::string>{"1", "2", "3"});
  for (const char* id : {"5", "6", "7"}) CHECK_FALSE(p1.contains(id));
  CHECK(net.sent(PullTestMsgKind::request, "p1", "p3").empty());
}

TEST_CASE("pull engine: MultipleInitiators (spec §11.7 TestMultipleInitiators)") {
  PullEngineNet net(pull_test_config());
  net.spawn("p4").engine().add(std::vector<std::string>{"1", "2", "3", "4"});
  for (const char* p : {"p1", "p2", "p3"}) net.spawn(p).set_next_peer_selection({"p4"});
  net.run_for(2_s);
  for (const char* p : {"p1", "p2", "p3"}) {
    INFO(p);
    CHECK(net.engine(p).items() == std::vector<std::string>{"1", "2", "3", "4"});
  }
}

TEST_CASE("pull engine: LatePeers (spec §11.7 TestLatePeers)") {
  PullEngineNet net(pull_test_config());
  net.spawn("p1");
  net.spawn("p2").engine().add(pull_test_ids(1, 5));
  net.spawn("p3").engine().add(pull_test_ids(5, 9));
  net.set_send_delay("p2", 600_ms);  // every message of p2 arrives after p1's digest window
  net.node("p1").set_next_peer_selection({"p2", "p3"});
  net.run_for(2_s);
  const PullEngine& p1 = net.engine("p1");
  for (const std::string& id : pull_test_ids(5, 9)) CHECK(p1.contains(id));
  for (const std::string& id : pull_test_ids(1, 5)) CHECK_FALSE(p1.contains(id));
  CHECK(net.sent(PullTestMsgKind::request, "p1", "p2").empty());
}

TEST_CASE("pull engine: BiDiUpdates (spec §11.7 TestBiDiUpdates)") {
  PullEngineNet net(pull_test_config());
  net.spawn("p1").engine().add(std::vector<std::string>{"1", "3"});
  net.spawn("p2").engine().add(std::vector<std::string>{"0", "2"});
  net.node("p1").set_next_peer_selection({"p2"});
  net.node("p2").set_next_peer_selection({"p1"});
  net.run_for(2_s);
  const std::vector<std::string> all{"0", "1", "2", "3"};
  CHECK(net.engine("p1").items() == all);
  CHECK(net.engine("p2").items() == all);
}

TEST_CASE("pull engine: Spread (spec §11.7 TestSpread)") {
  PullEngineNet net(pull_test_config());
  net.spawn("p1");
  for (const char* p : {"p2", "p3", "p4", "p5"}) net.spawn(p).engine().add(pull_test_ids(0, 100));
  net.node("p1").set_next_peer_selection({"p2", "p3", "p4"});
  net.run_for(2_s);
  for (const char* p : {"p2", "p3", "p4"}) {
    INFO(p);
    CHECK(net.sent(PullTestMsgKind::request, "p1", p).size() >= 1);
  }
  CHECK(net.sent(PullTestMsgKind::request, "p1", "p5").empty());
  CHECK(net.engine("p1").size() == 100);
  // One owner per item: the requests of the round partition the 100 ids.
  std::multiset<std::string> requested;
  for (const PullTestMsg& m : net.sent(PullTestMsgKind::request, "p1")) requested.insert(m.items.begin(), m.items.end());
  CHECK(requested.size() == 100);
  CHECK(std::set<std::string>(requested.begin(), requested.end()).size() == 100);
}

TEST_CASE("pull engine: Filter (spec §11.7 TestFilter)") {
  PullEngineNet net(pull_test_config());
  // p1 shows even items to p2 and odd items to p3.
  net.spawn("p1", [](const PullContext& ctx, const std::string& item) {
       const bool even = std::stoi(item) % 2 == 0;
       return ctx.sender() == "p2" ? even : ctx.sender() == "p3" ? !even : false;
     })
      .engine()
      .add(pull_test_ids(0, 6));
  net.spawn("p2").set_next_peer_selection({"p1"});
  net.spawn("p3").set_next_peer_selection({"p1"});
  net.run_for(2_s);
  CHECK(net.engine("p2").items() == std::vector<std::string>{"0", "2", "4"});
  CHECK(net.engine("p3").items() == std::vector<std::string>{"1", "3", "5"});
  // The filter applies to digests as well as responses.
  for (const PullTestMsg& d : net.sent(PullTestMsgKind::digest, "p1", "p2")) CHECK(as_set(d.items) == ids({"0", "2", "4"}));
  for (const PullTestMsg& d : net.sent(PullTestMsgKind::digest, "p1", "p3")) CHECK(as_set(d.items) == ids({"1", "3", "5"}));
}

TEST_CASE("pull engine: DefaultConfig (spec §11.7 TestDefaultConfig)") {
  const PullEngineConfig v10;
  CHECK(v10.digest_wait_time == 1_s);
  CHECK(v10.request_wait_time == 1_s);
  CHECK(v10.response_wait_time == 2_s);
  CHECK(v10.pull_interval == 4_s);
  const PullEngineConfig explicit_v10 = PullEngineConfig::fabric_1_0();
  CHECK(explicit_v10.request_wait_time == 1_s);
  const PullEngineConfig latest = PullEngineConfig::latest();
  CHECK(latest.digest_wait_time == 1_s);
  CHECK(latest.request_wait_time == 1500_ms);
  CHECK(latest.response_wait_time == 2_s);
  CHECK(latest.pull_interval == 4_s);
  CHECK_FALSE(v10.problem().has_value());
  PullEngineConfig bad;
  bad.pull_interval = Duration::zero();
  REQUIRE(bad.problem().has_value());
  CHECK(*bad.problem() == "peer.gossip.pullInterval must be positive, got 0s");
}

TEST_CASE("pull engine: sleep-first round loop and responder answers only when non-empty (spec §0.2, §3.3)") {
  PullEngineNet net(pull_test_config());
  net.spawn("p1").set_next_peer_selection({"p2"});
  net.spawn("p2");  // holds nothing
  net.run_for(499_ms);
  CHECK(net.sent(PullTestMsgKind::hello).empty());
  net.run_for(1_ms);
  CHECK(net.sent(PullTestMsgKind::hello, "p1", "p2").size() == 1);
  net.run_for(1_s);
  CHECK(net.sent(PullTestMsgKind::hello, "p1", "p2").size() == 3);  // at 0.5, 1.0, 1.5 s
  CHECK(net.sent(PullTestMsgKind::digest).empty());                 // empty digests never sent
  CHECK(net.sent(PullTestMsgKind::request).empty());
  // An empty update is never sent either: p2 holds nothing p1 asks for.
  const std::uint64_t nonce = net.sent(PullTestMsgKind::hello, "p1", "p2").back().nonce;
  net.send({PullTestMsgKind::request, "p1", "p2", nonce, {"x"}, {}});
  net.run_for(1_ms);
  CHECK(net.sent(PullTestMsgKind::response).empty());
}

// --- Nonce timing (spec §3.3 timing hazard, Appendix B.5; docs/protocol-notes.md) ---------
//
// Rule: an incoming hello nonce is valid while now − received_at ≤ RequestWaitTime
// (inclusive). With the v1.0 defaults (DigestWaitTime = RequestWaitTime = 1 s) and positive
// latencies, a request is therefore accepted iff latency(request) ≤ latency(hello).

namespace {

// Drives a bare engine by hand: hello received at t0, request delivered at t0 + offset.
struct NonceBoundary {
  PullTestClock clock;
  PullTestEnv env{clock, 42};
  struct Adapter final : PullAdapter {
    std::vector<std::vector<std::string>> responses;
    std::vector<std::string> select_peers() override { return {}; }
    void hello(const std::string&, std::uint64_t) override {}
    void send_digest(const std::vector<std::string>&, std::uint64_t, const PullContext&) override {}
    void send_req(const std::string&, const std::vector<std::string>&, std::uint64_t) override {}
    void send_res(const std::vector<std::string>& items, const PullContext&, std::uint64_t) override {
      responses.push_back(items);
    }
  } adapter;
  PullEngine engine{env, adapter, PullEngineConfig::fabric_1_0()};
  PullTestContext from{"initiator"};

  NonceBoundary() { engine.add("item"); }
};

}  // namespace

TEST_CASE("pull engine: nonce valid through the exact RequestWaitTime boundary (spec §3.3 timing hazard)") {
  NonceBoundary b;
  b.clock.run_for(10_ms);
  b.engine.on_hello(7, b.from);

  SECTION("request at received_at + RequestWaitTime is accepted") {
    b.clock.run_for(1_s);
    b.engine.on_req({"item"}, 7, b.from);
    CHECK(b.adapter.responses.size() == 1);
  }
  SECTION("request 1 ns later is rejected") {
    b.clock.run_for(1_s + 1_ns);
    b.engine.on_req({"item"}, 7, b.from);
    CHECK(b.adapter.responses.empty());
  }
  SECTION("same-instant ordering does not matter: a delivery scheduled before the forget timer") {
    // Scheduled before the hello's forget-nonce timer existed, yet due 1 ns after expiry:
    // it runs first at that instant and must still be rejected (explicit time check).
    NonceBoundary c;
    c.clock.schedule(1_s + 1_ns, [&c] { c.engine.on_req({"item"}, 8, c.from); });
    c.clock.schedule(1_s, [&c] { c.engine.on_req({"item"}, 8, c.from); });
    c.engine.on_hello(8, c.from);
    c.clock.run_for(2_s);
    CHECK(c.adapter.responses.size() == 1);  // only the one at exactly +1 s
  }
  SECTION("a repeated hello with the same nonce restarts its lifetime") {
    b.clock.run_for(500_ms);
    b.engine.on_hello(7, b.from);
    b.clock.run_for(1_s);
    b.engine.on_req({"item"}, 7, b.from);
    CHECK(b.adapter.responses.size() == 1);
  }
}

TEST_CASE("pull engine: v1.0 defaults accept a request iff latency(request) <= latency(hello) (spec §3.3 timing hazard)") {
  // p1 pulls from p2 with DigestWaitTime = RequestWaitTime = 1 s. The p1→p2 link carries the
  // hello at 4 s with latency `hello_ms` and the request at 5 s with latency `request`.
  struct Case {
    Duration hello;
    Duration request;
    bool accepted;
  };
  const Case cases[] = {
      {Duration::zero(), Duration::zero(), true},  // zero latency: request lands exactly at expiry
      {5_ms, 5_ms, true},                          // equal latencies: exactly at expiry
      {5_ms, 5_ms + 1_ns, false},                  // 1 ns slower: just after expiry
      {5_ms, 4_ms, true},
      {5_ms, 6_ms, false},
  };
  for (const Case& c : cases) {
    INFO("hello " << format_duration(c.hello) << ", request " << format_duration(c.request));
    PullEngineNet net(PullEngineConfig::fabric_1_0(), 1_ms);
    net.spawn("p1").set_next_peer_selection({"p2"});
    net.spawn("p2").engine().add("block");
    net.set_link_delay("p1", "p2", c.hello);
    net.clock().schedule(4500_ms, [&net, &c] { net.set_link_delay("p1", "p2", c.request); });
    net.run_for(5_s + 100_ms);  // one round: hello 4 s, request 5 s
    REQUIRE(net.sent(PullTestMsgKind::request, "p1", "p2").size() == 1);
    CHECK(net.sent(PullTestMsgKind::response, "p2", "p1").size() == (c.accepted ? 1U : 0U));
    CHECK(net.engine("p1").contains("block") == c.accepted);
  }
}

TEST_CASE("pull engine: overlapping rounds share the per-round maps (spec §3.3 notes)") {
  // PullInterval 250 ms < DigestWaitTime + ResponseWaitTime = 300 ms: round k's endPull
  // (250k + 300 ms) runs after round k+1's hellos and digests but before its digest
  // processing (250(k+1) + 100 ms), wiping round k+1's nonces and owners. Only the first
  // round, which has no predecessor, ever requests anything — as in Fabric.
  PullEngineConfig cfg = pull_test_config();
  cfg.pull_interval = 250_ms;
  PullEngineNet net(cfg);
  net.spawn("p1").set_next_peer_selection({"p2"});
  net.spawn("p2").engine().add("a");
  net.clock().schedule(400_ms, [&net] { net.engine("p2").add("b"); });
  net.run_for(2900_ms);  // rounds at 250, 500, ..., 2750 ms
  CHECK(net.engine("p1").items() == std::vector<std::string>{"a"});
  CHECK(net.sent(PullTestMsgKind::request, "p1").size() == 1);
  CHECK(net.sent(PullTestMsgKind::hello, "p1").size() == 11);
  CHECK(net.sent(PullTestMsgKind::digest, "p2", "p1").size() == 11);
}
