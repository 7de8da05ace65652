// The same seed gives the same full network trace; a different seed a different one.
#include <catch2/catch.hpp>

#include <set>

#include "net_test_util.hpp"

using namespace gs;
using namespace gs::literals;
using namespace gs::net;

namespace {

// Keeps the open connections of one host, ordered so that picking one is deterministic.
struct Peer final : StreamHandler, DatagramHandler {
  std::set<ConnId> open;
  void on_accept(ConnId c, HostId) override { open.insert(c); }
  void on_receive(ConnId, const Packet&) override {}
  void on_closed(ConnId c) override { open.erase(c); }
  void on_write_failed(ConnId, std::uint8_t) override {}
  void on_datagram(HostId, const Packet&) override {}
};

std::uint64_t run_workload(std::uint64_t seed) {
  sim::Scheduler sched;
  const sim::RandomStreams streams(seed);
  Network net(sched, streams);
  StreamConfig cfg;
  cfg.dialer_break_detection = 2_s;
  cfg.acceptor_break_detection = 5_s;
  StreamTransport stream(net, cfg);
  DatagramTransport datagram(net);

  constexpr HostId kHosts = 30;
  std::vector<Peer> peers(kHosts);
  for (HostId h = 0; h < kHosts; ++h) {
    net.add_host(fmt::format("h{}", h), fmt::format("Org{}", h % 3), h < 15 ? "eu" : "us");
    stream.set_handler(h, &peers[h]);
    datagram.set_handler(h, &peers[h]);
  }
  net.set_default_link(LinkParams{LatencyModel::lognormal(5_ms, 3_ms), 1_ms, 0.02});
  net.set_between_orgs_link(LinkParams{LatencyModel::pareto(20_ms, 3.0), 2_ms, 0.05});
  net.set_site_pair_link("eu", "us", LinkParams{LatencyModel::normal(80_ms, 10_ms), 5_ms, 0.05});
  net.set_uplink_bps(0, 10'000'000);

  std::uint64_t hash = 0xcbf29ce484222325ULL;
  net.set_trace_hook([&](const TraceEvent& e) { hash = sim::splitmix64(hash ^ sim::fnv1a64(format_trace(e))); });

  sim::RandomStream rng = streams.stream("test.workload");
  auto live = [&](HostId h) { return net.state(h) == HostState::up; };
  for (int step = 0; step < 3000; ++step) {
    sched.run_until(sched.now() + 10_ms);
    const auto h = static_cast<HostId>(rng.below(kHosts));
    const auto to = static_cast<HostId>(rng.below(kHosts));
    if (!live(h)) {
      if (rng.bernoulli(0.05)) net.restart(h);
      continue;
    }
    const auto bytes = static_cast<std::uint32_t>(100 + rng.below(5000));
    const auto kind = static_cast<std::uint16_t>(rng.below(4));
    const std::uint64_t action = rng.below(100);
    if (action < 40) {
      datagram.send(h, to, test::packet(bytes, kind));
    } else if (action < 75 && !peers[h].open.empty()) {
      auto it = peers[h].open.begin();
      std::advance(it, static_cast<long>(rng.below(peers[h].open.size())));
      stream.write(*it, test::packet(bytes, kind));
    } else if (action < 88 && to != h) {
      Peer* p = &peers[h];
      stream.connect(h, to, 1_s, [p](const ConnectResult& r) {
        if (r.ok()) p->open.insert(r.conn);
      });
    } else if (action < 92 && !peers[h].open.empty()) {
      const ConnId c = *peers[h].open.begin();
      peers[h].open.erase(c);
      stream.close(c);
    } else if (action < 94) {
      net.partition({{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {10, 11, 12, 13, 14}});
    } else if (action < 96) {
      net.block_one_way({h}, {to});
    } else if (action < 98) {
      net.heal();
    } else if (action < 99) {
      peers[h].open.clear();
      net.crash_process(h);
    } else {
      peers[h].open.clear();
      net.take_down(h);
    }
  }
  sched.run_until(sched.now() + 30_s);
  const KindStats t = net.stats().total();
  hash = sim::splitmix64(hash ^ t.sent.messages ^ (t.delivered.bytes << 1) ^ (t.dropped.messages << 2));
  // The workload must have exercised what it claims to.
  REQUIRE(t.delivered.messages > 500);
  REQUIRE(t.drops(DropReason::connection_broken).messages + t.drops(DropReason::process_down).messages > 0);
  REQUIRE(t.drops(DropReason::loss).messages > 0);
  REQUIRE(t.drops(DropReason::partition).messages > 0);
  REQUIRE(net.stats().retransmissions() > 0);
  return hash;
}

}  // namespace

TEST_CASE("trace hash: same seed - same trace - different seed - different trace") {
  const std::uint64_t a = run_workload(1);
  const std::uint64_t b = run_workload(1);
  const std::uint64_t c = run_workload(2);
  CHECK(a == b);
  CHECK(a != c);
}
