// Message deliveries per second of wall time through sim/net, stream and datagram transports.
//
// Workload: 100 hosts, lognormal latency (mean 5 ms), 1% loss, 1 Gbit/s uplinks; every host
// keeps sending 1 KB messages to random peers. Stream: each host dials 8 peers first. Prints
// deliveries, wall seconds and deliveries/s for each transport.
#include <chrono>
#include <cstdio>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "sim/net/datagram_transport.hpp"
#include "sim/net/network.hpp"
#include "sim/net/stream_transport.hpp"

using namespace gs;
using namespace gs::net;

namespace {

constexpr HostId kHosts = 100;
constexpr int kMessages = 2'000'000;

struct Sink final : StreamHandler, DatagramHandler {
  std::uint64_t received = 0;
  void on_accept(ConnId, HostId) override {}
  void on_receive(ConnId, const Packet&) override { ++received; }
  void on_closed(ConnId) override {}
  void on_write_failed(ConnId, std::uint8_t) override {}
  void on_datagram(HostId, const Packet&) override { ++received; }
};

void setup(Network& net, std::vector<Sink>& sinks, StreamTransport* stream, DatagramTransport* datagram) {
  for (HostId h = 0; h < kHosts; ++h) {
    net.add_host(fmt::format("h{}", h), fmt::format("Org{}", h % 4), "dc");
    if (stream != nullptr) stream->set_handler(h, &sinks[h]);
    if (datagram != nullptr) datagram->set_handler(h, &sinks[h]);
  }
  net.set_default_link(LinkParams{LatencyModel::lognormal(Duration::milliseconds(5), Duration::milliseconds(2)),
                                  Duration::zero(), 0.01});
}

std::uint64_t total(const std::vector<Sink>& sinks) {
  std::uint64_t n = 0;
  for (const Sink& s : sinks) n += s.received;
  return n;
}

// Sends kMessages in rounds of one message per host every 100 us of virtual time.
template <typename Send>
double drive(sim::Scheduler& sched, sim::RandomStream& rng, Send send) {
  const auto start = std::chrono::steady_clock::now();
  const auto body = std::make_shared<const int>(0);
  for (int sent = 0; sent < kMessages;) {
    for (HostId h = 0; h < kHosts && sent < kMessages; ++h, ++sent) send(h, rng, Packet{body, 1000, 1});
    sched.run_until(sched.now() + Duration::microseconds(100));
  }
  sched.run_until(sched.now() + Duration::seconds(60));
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void report(const char* name, std::uint64_t delivered, double wall_s, const sim::Scheduler& sched) {
  fmt::print("{:<9} deliveries {:>9}  wall {:6.3f} s  {:>10.0f} deliveries/s  ({} events)\n", name, delivered, wall_s,
             static_cast<double>(delivered) / wall_s, sched.stats().events_run);
}

void bench_datagram() {
  sim::Scheduler sched;
  const sim::RandomStreams streams(1);
  Network net(sched, streams);
  DatagramTransport dg(net);
  std::vector<Sink> sinks(kHosts);
  setup(net, sinks, nullptr, &dg);
  sim::RandomStream rng = streams.stream("bench");
  const double wall = drive(sched, rng, [&](HostId h, sim::RandomStream& r, Packet p) {
    dg.send(h, static_cast<HostId>(r.below(kHosts)), std::move(p));
  });
  report("datagram", total(sinks), wall, sched);
}

void bench_stream() {
  sim::Scheduler sched;
  const sim::RandomStreams streams(1);
  Network net(sched, streams);
  StreamTransport st(net);
  std::vector<Sink> sinks(kHosts);
  setup(net, sinks, &st, nullptr);
  std::vector<std::vector<ConnId>> conns(kHosts);
  for (HostId h = 0; h < kHosts; ++h)
    for (HostId k = 1; k <= 8; ++k) {
      auto* out = &conns[h];
      st.connect(h, (h + k * 11) % kHosts, Duration::seconds(5), [out](const ConnectResult& r) {
        if (r.ok()) out->push_back(r.conn);
      });
    }
  sched.run_until(sched.now() + Duration::seconds(10));
  sim::RandomStream rng = streams.stream("bench");
  const double wall = drive(sched, rng, [&](HostId h, sim::RandomStream& r, Packet p) {
    st.write(conns[h][r.below(conns[h].size())], std::move(p));
  });
  report("stream", total(sinks), wall, sched);
}

}  // namespace

int main() {
  fmt::print("sim/net benchmark: {} hosts, {} messages of 1000 bytes per transport\n", kHosts, kMessages);
  bench_datagram();
  bench_stream();
  return 0;
}
