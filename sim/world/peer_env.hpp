// PeerEnv: protocol/env.hpp implemented on the simulator (one per peer host).
//
// - Clock and timers come from the run's Scheduler. A peer's timers are kept in its own
//   slab so that a crash can cancel all of them at once: the protocol objects of a crashed
//   process are destroyed and none of their callbacks may run afterwards.
// - Random streams: one per (purpose, peer index), derived from the run's root seed
//   ("peer.<purpose>", peer index), continuing across restarts of the peer.
// - Transport: the stream transport of sim/net, addressed by endpoint ("Org1.peer3:7051").
//   An unknown endpoint behaves as an unreachable host: the dial times out.
// - CPU: a single-core peer. charge_cpu() makes it busy; packets it writes leave no earlier
//   than the end of the work charged so far, and transport events (accepts, packets,
//   closes, write failures) that arrive while it is busy wait in one FIFO inbox and are
//   handled when it is free, in arrival order. Handling inbound work and its replies in
//   that order keeps a reply ahead of the state changes caused by messages that arrived
//   after it (Fabric's peer sends its ConnEstablish before it reads the next stream).
//   Timers fire on time regardless of the CPU; what they send waits like any write.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/env.hpp"
#include "protocol/observation.hpp"
#include "sim/core/random.hpp"
#include "sim/core/scheduler.hpp"
#include "sim/net/stream_transport.hpp"

namespace gs::world {

// What a PeerEnv reports to the world (metrics, traces).
class PeerEnvListener {
 public:
  virtual ~PeerEnvListener() = default;
  virtual void on_observation(std::uint32_t peer, const proto::Observation& o) = 0;
};

// Endpoint addressing of the simulated hosts.
class EndpointDirectory {
 public:
  virtual ~EndpointDirectory() = default;
  virtual std::optional<net::HostId> host_of(const std::string& endpoint) const = 0;
  virtual const std::string& endpoint_of(net::HostId host) const = 0;
};

// The parts of the world a PeerEnv uses.
struct PeerEnvContext {
  sim::Scheduler* scheduler = nullptr;
  net::Network* network = nullptr;
  net::StreamTransport* stream = nullptr;
  const sim::RandomStreams* streams = nullptr;
  PeerEnvListener* listener = nullptr;
  const EndpointDirectory* directory = nullptr;
};

class PeerEnv final : public proto::Env, private net::StreamHandler {
 public:
  PeerEnv(PeerEnvContext ctx, net::HostId host, std::uint32_t peer_index);
  ~PeerEnv() override;
  PeerEnv(const PeerEnv&) = delete;
  PeerEnv& operator=(const PeerEnv&) = delete;

  // Process lifecycle: start listening; stop = cancel every timer, forget connections.
  void start_process();
  void stop_process();
  bool running() const { return running_; }

  net::HostId host() const { return host_; }
  std::uint32_t peer_index() const { return peer_; }
  Duration cpu_used() const { return cpu_used_; }

  // proto::Env
  Time now() const override { return ctx_.scheduler->now(); }
  proto::TimerHandle set_timer(Duration after, const char* name, Callback cb) override;
  void cancel_timer(proto::TimerHandle h) override;
  proto::Rng& rng(proto::RngPurpose purpose) override;
  void dial(const proto::Endpoint& to, Duration timeout, DialDone done) override;
  void write(proto::ConnId conn, proto::WirePacket packet) override;
  std::size_t unwritten(proto::ConnId conn) const override;
  void close(proto::ConnId conn) override;
  void set_transport_handler(proto::TransportHandler* handler) override { handler_ = handler; }
  void charge_cpu(Duration cost) override;
  void observe(const proto::Observation& o) override;

 private:
  class StreamRng final : public proto::Rng {
   public:
    explicit StreamRng(sim::RandomStream s) : s_(std::move(s)) {}
    std::uint64_t next_u64() override { return s_.next_u64(); }
    std::uint64_t below(std::uint64_t n) override { return s_.below(n); }

   private:
    sim::RandomStream s_;
  };
  struct Timer {
    Callback cb;
    sim::TimerId id;
    std::uint32_t generation = 0;
    std::uint32_t next_free = 0;
    bool live = false;
  };

  void fire(std::uint32_t slot, std::uint32_t generation);
  void free_timer(std::uint32_t slot);

  // A transport event waiting for the CPU. write_failed carries the failed packet's tag
  // in `packet` (with no body).
  struct Inbound {
    enum class Kind : std::uint8_t { accept, receive, closed, write_failed } kind;
    net::ConnId conn = 0;
    net::HostId remote = 0;
    net::Packet packet;
  };
  void deliver_inbound(Inbound ev);
  void dispatch(const Inbound& ev);
  void drain_inbox();

  // net::StreamHandler
  void on_accept(net::ConnId conn, net::HostId remote) override;
  void on_receive(net::ConnId conn, const net::Packet& packet) override;
  void on_closed(net::ConnId conn) override;
  void on_write_failed(net::ConnId conn, std::uint8_t tag) override;

  PeerEnvContext ctx_;
  net::HostId host_;
  std::uint32_t peer_;
  bool running_ = false;
  proto::TransportHandler* handler_ = nullptr;
  std::vector<Timer> timers_{1};  // slot 0 unused: handle id 0 means "no timer"
  std::uint32_t free_timer_ = 0;
  std::array<std::unique_ptr<StreamRng>, static_cast<std::size_t>(proto::RngPurpose::count_)> rngs_;
  Time cpu_busy_until_;
  Duration cpu_used_;
  std::deque<Inbound> inbox_;
  proto::TimerHandle drain_timer_;
  std::uint64_t incarnation_ = 0;  // dial callbacks of a stopped process are ignored
};

}  // namespace gs::world
