#include <catch2/catch.hpp>

#include "net_test_util.hpp"

using namespace gs;
using namespace gs::literals;
using namespace gs::net;
using gs::net::test::World;

namespace {
LinkParams constant_link(Duration d) {
  LinkParams p;
  p.latency = LatencyModel::constant(d);
  return p;
}
}  // namespace

TEST_CASE("link parameters resolve site pair > class > default") {
  sim::Scheduler sched;
  Network net(sched, sim::RandomStreams(1));
  const HostId a = net.add_host("a", "Org1", "eu");
  const HostId b = net.add_host("b", "Org1", "us");
  const HostId c = net.add_host("c", "Org2", "eu");
  net.set_default_link(constant_link(1_ms));
  CHECK(net.sample_propagation(a, c) == 1_ms);

  net.set_between_orgs_link(constant_link(40_ms));
  net.set_same_org_link(constant_link(2_ms));
  CHECK(net.sample_propagation(a, c) == 40_ms);
  CHECK(net.sample_propagation(a, b) == 2_ms);

  net.set_site_link("eu", "us", constant_link(80_ms));  // one direction only
  CHECK(net.sample_propagation(a, b) == 80_ms);
  CHECK(net.sample_propagation(b, a) == 2_ms);
  net.set_site_pair_link("eu", "us", constant_link(70_ms));
  CHECK(net.sample_propagation(b, a) == 70_ms);

  net.clear_site_links();
  net.clear_class_links();
  CHECK(net.sample_propagation(a, b) == 1_ms);
  CHECK_THROWS_AS(net.add_host("a", "Org1", "eu"), std::invalid_argument);
  CHECK(net.host_by_name("c") == c);
  CHECK(net.host_org(c) == "Org2");
  CHECK(net.host_site(b) == "us");
}

TEST_CASE("serialization delay: 1 MB over 100 Mbit/s takes 80 ms and delays what is queued behind it") {
  CHECK(Network::serialization_delay(1'000'000, 100'000'000) == 80_ms);
  CHECK(Network::serialization_delay(1, 3) == Duration::nanoseconds(2'666'666'667));  // rounded up
  CHECK(Network::serialization_delay(1'000'000, 0) == Duration::zero());

  for (const bool use_stream : {true, false}) {
    World w(2, 5_ms);
    w.net.set_uplink_bps(0, 100'000'000);
    ConnId c = 0;
    if (use_stream) c = w.dial(0, 1).conn;
    const Time t0 = w.sched.now();
    auto send = [&](std::uint32_t bytes, int id) {
      if (use_stream)
        w.stream.write(c, test::packet(bytes, 1, id));
      else
        w.datagram.send(0, 1, test::packet(bytes, 1, id));
    };
    send(1'000'000, 1);
    send(1'000, 2);  // 80 us of its own, behind 80 ms
    w.run_for(1_s);
    const auto got = w.rec[1]->of(use_stream ? "receive" : "datagram");
    REQUIRE(got.size() == 2);
    CHECK(got[0].at - t0 == 80_ms + 5_ms);
    CHECK(got[1].at - t0 == 80_ms + 80_us + 5_ms);
  }
}

TEST_CASE("parameter changes apply to messages sent afterwards") {
  World w(2, 10_ms);
  w.datagram.send(0, 1, test::packet(10, 1, 1));
  w.net.set_default_link(constant_link(50_ms));
  w.datagram.send(0, 1, test::packet(10, 1, 2));
  w.run_for(1_s);
  const auto got = w.rec[1]->of("datagram");
  REQUIRE(got.size() == 2);
  CHECK(got[0].at == Time::zero() + 10_ms);
  CHECK(got[1].at == Time::zero() + 50_ms);
}

TEST_CASE("counters by kind and reason - and the trace hook") {
  World w(2, 10_ms);
  w.net.stats().register_kind(7, "DataMessage");
  std::vector<std::string> trace;
  w.net.set_trace_hook([&](const TraceEvent& e) { trace.push_back(format_trace(e)); });
  w.datagram.send(0, 1, test::packet(100, 7));
  w.run_for(1_s);
  w.net.partition({{0}, {1}});
  w.datagram.send(0, 1, test::packet(50, 7));
  w.run_for(1_s);
  const KindStats& k = w.net.stats().kind(7);
  CHECK(k.sent == Counter{2, 150});
  CHECK(k.delivered == Counter{1, 100});
  CHECK(k.dropped == Counter{1, 50});
  CHECK(k.drops(DropReason::partition) == Counter{1, 50});
  CHECK(w.net.stats().total().sent.messages == 2);
  CHECK(w.net.stats().kinds_seen() == std::vector<std::uint16_t>{7});
  CHECK(w.net.stats().kind_name(7) == "DataMessage");
  CHECK(w.net.stats().kind_name(3) == "kind3");
  REQUIRE(trace.size() == 4);
  CHECK(trace[0] == "0.000000000s send datagram 0->1 kind=7 bytes=100");
  CHECK(trace[1] == "0.010000000s deliver datagram 0->1 kind=7 bytes=100");
  CHECK(trace[3] == "1.000000000s drop datagram 0->1 kind=7 bytes=50 reason=partition");
}
