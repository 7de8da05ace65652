#include <catch2/catch.hpp>

#include <sstream>

#include "net_test_util.hpp"
#include "sim/net/topology.hpp"

using namespace gs;
using namespace gs::literals;
using namespace gs::net;

namespace {
const std::string kDir = std::string(GOSSIPSIM_TESTDATA) + "/net/";

void check_small(const Topology& t) {
  REQUIRE(t.vertex_count() == 4);
  CHECK(t.edge_count() == 3);
  const auto a = *t.vertex_by_name("a"), b = *t.vertex_by_name("b"), c = *t.vertex_by_name("c"),
             d = *t.vertex_by_name("d");
  CHECK(t.path_latency(a, b) == 5_ms);
  CHECK(t.path_latency(a, c) == 15_ms);  // via b, not the 20 ms direct edge
  CHECK(t.path_latency(c, a) == 15_ms);
  CHECK(t.path_latency(b, b) == Duration::zero());
  CHECK_FALSE(t.path_latency(a, d).has_value());
}

std::string error_of(auto&& f) {
  try {
    f();
  } catch (const TopologyError& e) {
    return e.what();
  }
  return "<no error>";
}
}  // namespace

TEST_CASE("GraphML topology: shortest-path latencies") { check_small(Topology::read_graphml(kDir + "small.graphml")); }

TEST_CASE("DOT topology: shortest-path latencies") { check_small(Topology::read_dot(kDir + "small.dot")); }

TEST_CASE("malformed topology files give clear errors naming the file") {
  const std::string g = error_of([] { Topology::read_graphml(kDir + "malformed.graphml"); });
  CHECK_THAT(g, Catch::Contains("malformed.graphml: malformed GraphML"));
  const std::string d = error_of([] { Topology::read_dot(kDir + "malformed.dot"); });
  CHECK_THAT(d, Catch::Contains("malformed.dot: malformed DOT"));
  const std::string m = error_of([] { Topology::read_graphml(kDir + "missing_latency.graphml"); });
  CHECK_THAT(m, Catch::Contains("missing_latency.graphml: edge b -- c has no 'latency' attribute"));
  const std::string b = error_of([] { Topology::read_dot(kDir + "bad_latency.dot"); });
  CHECK_THAT(b, Catch::Contains("bad_latency.dot: edge a -- b: bad latency '5xs'"));
  const std::string n = error_of([] { Topology::read_dot(kDir + "no_such_file.dot"); });
  CHECK_THAT(n, Catch::Contains("no_such_file.dot: cannot open"));
}

TEST_CASE("generators produce the expected vertex and edge counts") {
  sim::RandomStream rng(5);
  const auto lat = LatencyModel::constant(1_ms);
  const Topology k = Topology::complete(10, lat, rng);
  CHECK(k.vertex_count() == 10);
  CHECK(k.edge_count() == 45);
  CHECK(k.path_latency(0, 9) == 1_ms);
  const Topology r = Topology::ring(10, lat, rng);
  CHECK(r.edge_count() == 10);
  CHECK(r.path_latency(0, 5) == 5_ms);
  const Topology g = Topology::grid(3, 4, lat, rng);
  CHECK(g.vertex_count() == 12);
  CHECK(g.edge_count() == 3 * 3 + 4 * 2);
  CHECK(g.path_latency(0, 11) == 5_ms);  // Manhattan distance 2 + 3
  const Topology er = Topology::erdos_renyi(200, 0.1, lat, rng);
  CHECK(er.vertex_count() == 200);
  // Binomial(19900, 0.1): mean 1990, sd 42.
  CHECK(er.edge_count() > 1990 - 5 * 42);
  CHECK(er.edge_count() < 1990 + 5 * 42);
  const Topology ws = Topology::small_world(100, 4, 0.1, lat, rng);
  CHECK(ws.vertex_count() == 100);
  CHECK(ws.edge_count() == 200);
  const Topology pl = Topology::plod(100, 2.5, 100, lat, rng);
  CHECK(pl.vertex_count() == 100);
  CHECK(pl.edge_count() > 0);
}

TEST_CASE("generators are deterministic per seed and draw edge latencies from the model") {
  const auto lat = LatencyModel::uniform(1_ms, 9_ms);
  sim::RandomStream r1(9), r2(9), r3(10);
  const Topology a = Topology::small_world(50, 4, 0.3, lat, r1);
  const Topology b = Topology::small_world(50, 4, 0.3, lat, r2);
  const Topology c = Topology::small_world(50, 4, 0.3, lat, r3);
  auto sig = [](const Topology& t) {
    std::vector<std::int64_t> s;
    for (std::size_t v = 1; v < t.vertex_count(); ++v) s.push_back(t.path_latency(0, v).value_or(-1_ms).ns());
    return s;
  };
  CHECK(sig(a) == sig(b));
  CHECK(sig(a) != sig(c));
}

TEST_CASE("network latency follows the topology - disconnected hosts have no route") {
  test::World w(4);
  w.net.set_topology(std::make_shared<Topology>(Topology::read_dot(kDir + "small.dot")));
  w.net.attach_round_robin();  // h0->a, h1->b, h2->c, h3->d
  CHECK(w.net.sample_propagation(0, 2) == 15_ms);
  w.datagram.send(0, 2, test::packet(10));
  w.datagram.send(0, 3, test::packet(10));
  w.run_for(1_s);
  REQUIRE(w.rec[2]->of("datagram").size() == 1);
  CHECK(w.rec[2]->of("datagram")[0].at == Time::zero() + 15_ms);
  CHECK(w.net.stats().kind(1).drops(DropReason::no_route).messages == 1);
  CHECK(w.dial(0, 3, 1_s).error == ConnectError::timeout);
  w.net.attach_host(3, 1);
  CHECK(w.dial(0, 3).ok());
}
