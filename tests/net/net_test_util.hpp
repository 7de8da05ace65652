// Helpers for sim/net tests: a world of N hosts on one scheduler, and recording handlers.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sim/net/datagram_transport.hpp"
#include "sim/net/network.hpp"
#include "sim/net/stream_transport.hpp"

namespace gs::net::test {

inline Packet packet(std::uint32_t bytes, std::uint16_t kind = 1, int payload = 0, std::uint8_t tag = 0) {
  return Packet{std::make_shared<const int>(payload), bytes, kind, tag};
}
inline int payload(const Packet& p) { return *static_cast<const int*>(p.body.get()); }

struct Event {
  std::string what;  // "accept", "receive", "closed", "write_failed", "datagram"
  Time at;
  ConnId conn = 0;
  HostId remote = 0;
  int payload = -1;
  std::uint8_t tag = 0;  // write_failed: the failed packet's tag
};

struct Recorder final : StreamHandler, DatagramHandler {
  explicit Recorder(sim::Scheduler& s) : sched(s) {}
  void on_accept(ConnId c, HostId remote) override { events.push_back({"accept", sched.now(), c, remote}); }
  void on_receive(ConnId c, const Packet& p) override { events.push_back({"receive", sched.now(), c, 0, payload(p)}); }
  void on_closed(ConnId c) override { events.push_back({"closed", sched.now(), c}); }
  void on_write_failed(ConnId c, std::uint8_t tag) override {
    events.push_back({"write_failed", sched.now(), c, 0, -1, tag});
  }
  void on_datagram(HostId from, const Packet& p) override {
    events.push_back({"datagram", sched.now(), 0, from, payload(p)});
  }
  std::vector<Event> of(const std::string& what) const {
    std::vector<Event> out;
    for (const Event& e : events)
      if (e.what == what) out.push_back(e);
    return out;
  }
  sim::Scheduler& sched;
  std::vector<Event> events;
};

// N hosts "h0".."h{N-1}", all in org "o", site "s"; every host has a Recorder registered on both
// transports; links constant `latency`, no loss, unlimited uplinks.
struct World {
  explicit World(std::size_t n, Duration latency = Duration::milliseconds(10), std::uint64_t seed = 1,
                 StreamConfig config = {})
      : streams(seed), net(sched, streams), stream(net, config), datagram(net) {
    LinkParams p;
    p.latency = LatencyModel::constant(latency);
    net.set_default_link(p);
    for (std::size_t i = 0; i < n; ++i) {
      const HostId h = net.add_host("h" + std::to_string(i), "o", "s");
      net.set_uplink_bps(h, 0);
      rec.push_back(std::make_unique<Recorder>(sched));
      stream.set_handler(h, rec.back().get());
      datagram.set_handler(h, rec.back().get());
    }
  }
  // Connects and runs until the outcome is known; returns it.
  ConnectResult dial(HostId from, HostId to, Duration timeout = Duration::seconds(3)) {
    auto result = std::make_shared<ConnectResult>();
    auto done = std::make_shared<bool>(false);
    stream.connect(from, to, timeout, [result, done](const ConnectResult& r) {
      *result = r;
      *done = true;
    });
    while (!*done && sched.step()) {
    }
    return *result;
  }
  void run_for(Duration d) { sched.run_until(sched.now() + d); }

  sim::Scheduler sched;
  sim::RandomStreams streams;
  Network net;
  StreamTransport stream;
  DatagramTransport datagram;
  std::vector<std::unique_ptr<Recorder>> rec;
};

}  // namespace gs::net::test
