// FakeNetwork: an in-memory multi-peer stream transport with one virtual clock, for
// protocol tests (comm and everything above it). No sim/ dependency.
//
// - One clock and one queue of events (timers and network deliveries) ordered by (time,
//   scheduling sequence); advance(d) runs everything due up to now + d.
// - One FakeNetEnv per endpoint (add_peer). Its timers die with its process: after
//   crash()/stop_process() they never fire, even after a restart.
// - dial(to): to an unknown or unreachable endpoint (partition) or a host that is down →
//   DialError::timeout at the deadline; to a live host whose process is stopped →
//   DialError::refused after one round trip; otherwise connected after one round trip
//   (timeout if that exceeds the deadline). The acceptor sees on_inbound after one
//   one-way latency.
// - write: delivered after the one-way latency, in order per connection (constant latency
//   + FIFO event ordering). If on arrival the remote end is closed or its process gone, or
//   the path is partitioned, the writer gets on_write_failed (with the packet's tag) one
//   latency later (RST). The reset breaks the writer's end: its reader notices and it gets
//   on_closed right after the first failure, as from the stream transport — or
//   `reader_notice_delay` later (set_reader_notice_delay), for a transport whose reader is
//   slower. Until its owner closes it, a broken end reports every failure: packets still
//   arriving at the dead remote, and writes made on it (at once).
// - close: the remote end gets on_closed after one latency (after any packet written
//   before the close); a write on it afterwards fails at once, as on a broken end. A
//   crash closes nothing visibly: remotes learn by failed writes. The closer gets no more
//   callbacks for that end.
// - Each end of a connection has its own ConnId, unique in the network.
//
// Names carry a "FakeNet" prefix to keep clear of fake_env.hpp's FakeEnv.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/assert.hpp"
#include "base/callback.hpp"
#include "base/time.hpp"
#include "protocol/env.hpp"
#include "fake_env.hpp"

namespace gs::proto::test {

class FakeNetwork;

class FakeNetEnv final : public Env {
 public:
  FakeNetEnv(FakeNetwork& net, Endpoint self, std::uint64_t seed) : net_(net), self_(std::move(self)) {
    for (std::size_t i = 0; i < static_cast<std::size_t>(RngPurpose::count_); ++i) {
      rngs_.emplace_back(seed * 0x100000001b3ULL + i);
    }
  }

  Time now() const override;
  TimerHandle set_timer(Duration after, const char* name, Callback cb) override;
  void cancel_timer(TimerHandle h) override;
  Rng& rng(RngPurpose purpose) override { return rngs_.at(static_cast<std::size_t>(purpose)); }
  void dial(const Endpoint& to, Duration timeout, DialDone done) override;
  void write(ConnId conn, WirePacket packet) override;
  // FakeNetwork transmits every write at once; tests that need a backlog set `backlog`.
  std::size_t unwritten(ConnId conn) const override {
    const auto it = backlog.find(conn);
    return it == backlog.end() ? 0 : it->second;
  }
  void close(ConnId conn) override;
  void set_transport_handler(TransportHandler* handler) override { handler_ = handler; }
  void charge_cpu(Duration cost) override { cpu_charged += cost; }
  void observe(const Observation&) override { ++observations; }

  const Endpoint& endpoint() const { return self_; }
  TransportHandler* handler() const { return handler_; }

  Duration cpu_charged;
  std::uint64_t observations = 0;
  std::uint64_t writes = 0;
  std::map<ConnId, std::size_t> backlog;  // what unwritten() reports, per connection

 private:
  friend class FakeNetwork;
  FakeNetwork& net_;
  Endpoint self_;
  TransportHandler* handler_ = nullptr;
  std::vector<FakeRng> rngs_;
  std::uint64_t epoch_ = 1;  // bumped by every crash: older timers and ends are dead
  bool up_ = true;            // the process listens and runs
};

class FakeNetwork {
 public:
  explicit FakeNetwork(Duration latency = Duration::milliseconds(1)) : latency_(latency) {}

  Time now() const { return now_; }
  void advance(Duration d) { advance_to(now_ + d); }
  void advance_to(Time target) {
    GS_ASSERT(target >= now_, "time cannot go backwards");
    while (!queue_.empty() && queue_.begin()->first.due <= target) {
      auto node = queue_.extract(queue_.begin());
      due_of_.erase(node.key().seq);
      now_ = node.key().due;
      node.mapped()();
    }
    now_ = target;
  }

  // One-way latency of every path (set before traffic for in-order guarantees).
  void set_latency(Duration d) { latency_ = d; }
  Duration latency() const { return latency_; }
  // How long after a reset the writer's end is reported closed (0: in the same event).
  void set_reader_notice_delay(Duration d) { reader_notice_delay_ = d; }

  FakeNetEnv& add_peer(const Endpoint& ep, std::uint64_t seed = 1) {
    GS_ASSERT(envs_.count(ep) == 0, "duplicate endpoint {}", ep);
    auto env = std::make_unique<FakeNetEnv>(*this, ep, seed);
    FakeNetEnv& ref = *env;
    envs_.emplace(ep, std::move(env));
    return ref;
  }
  FakeNetEnv& env(const Endpoint& ep) { return *envs_.at(ep); }

  // The process stops (crash): dials are refused, its timers never fire, its connection
  // ends vanish without telling the remotes.
  void crash(const Endpoint& ep) {
    FakeNetEnv& e = env(ep);
    e.up_ = false;
    ++e.epoch_;
    e.handler_ = nullptr;
    for (auto& [id, end] : ends_) {
      if (end.env == &e) end.open = false;
    }
  }
  // A new process on the same endpoint (set its transport handler again).
  void restart(const Endpoint& ep) { env(ep).up_ = true; }
  // The host is down (or unknown): dials to it time out.
  void set_host_down(const Endpoint& ep, bool down) {
    if (down) {
      down_hosts_.insert(ep);
    } else {
      down_hosts_.erase(ep);
    }
  }
  // Symmetric partition between two endpoints.
  void set_partitioned(const Endpoint& a, const Endpoint& b, bool cut) {
    const auto key = a < b ? std::make_pair(a, b) : std::make_pair(b, a);
    if (cut) {
      cuts_.insert(key);
    } else {
      cuts_.erase(key);
    }
  }
  bool reachable(const Endpoint& a, const Endpoint& b) const {
    return cuts_.count(a < b ? std::make_pair(a, b) : std::make_pair(b, a)) == 0;
  }

  // Open ends of connections owned by `ep` (for tests checking connection counts).
  std::size_t open_ends(const Endpoint& ep) const {
    std::size_t n = 0;
    for (const auto& [id, end] : ends_) n += end.open && end.env->self_ == ep ? 1 : 0;
    return n;
  }

  // --- used by FakeNetEnv -----------------------------------------------------------------
  using Event = InplaceFunction<void(), 160>;

  std::uint64_t schedule(Duration after, Event ev) {
    const std::uint64_t seq = ++seq_;
    const Time due = now_ + after;
    queue_.emplace(Key{due, seq}, std::move(ev));
    due_of_.emplace(seq, due);
    return seq;
  }
  void cancel(std::uint64_t seq) {
    const auto it = due_of_.find(seq);
    if (it == due_of_.end()) return;
    queue_.erase(Key{it->second, seq});
    due_of_.erase(it);
  }

  void dial(FakeNetEnv& from, const Endpoint& to, Duration timeout, Env::DialDone done) {
    const std::uint64_t epoch = from.epoch_;
    const Duration rtt = latency_ * 2;
    const auto target = envs_.find(to);
    const bool answers = target != envs_.end() && down_hosts_.count(to) == 0 && reachable(from.self_, to);
    if (!answers || rtt > timeout) {
      schedule(timeout, [&from, epoch, d = std::move(done)]() mutable {
        if (from.epoch_ == epoch) d(0, false, DialError::timeout);
      });
      return;
    }
    FakeNetEnv* dst = target->second.get();
    schedule(latency_, [this, &from, dst, epoch, d = std::move(done)]() mutable {
      // The SYN reaches the host: accept if the process listens, else refuse.
      if (!dst->up_) {
        schedule(latency_, [&from, epoch, dd = std::move(d)]() mutable {
          if (from.epoch_ == epoch) dd(0, false, DialError::refused);
        });
        return;
      }
      const ConnId client = ++next_conn_;
      const ConnId server = ++next_conn_;
      ends_[client] = End{&from, epoch, server, true};
      ends_[server] = End{dst, dst->epoch_, client, true};
      if (dst->handler_ != nullptr) dst->handler_->on_inbound(server, from.self_);
      schedule(latency_, [this, &from, epoch, client, dd = std::move(d)]() mutable {
        if (from.epoch_ != epoch) return;
        if (!ends_.at(client).open) {
          dd(0, false, DialError::refused);
          return;
        }
        dd(client, true, DialError::timeout);
      });
    });
  }

  void write(FakeNetEnv& from, ConnId conn, WirePacket packet) {
    const auto it = ends_.find(conn);
    GS_ASSERT(it != ends_.end() && it->second.env == &from, "write on a foreign connection {}", conn);
    if (it->second.broken) {  // the stream is broken: the write fails at once
      schedule(Duration::zero(), [this, conn, tag = packet.tag] { report_failure(conn, tag); });
      return;
    }
    if (!it->second.open) return;  // written after closing it: nothing happens
    const ConnId remote = it->second.peer;
    schedule(latency_, [this, conn, remote, p = std::move(packet)]() mutable { arrive(conn, remote, std::move(p)); });
  }

  void close(FakeNetEnv& from, ConnId conn) {
    const auto it = ends_.find(conn);
    if (it == ends_.end() || it->second.env != &from) return;
    it->second.owner_closed = true;
    if (!it->second.open) return;
    it->second.open = false;
    const ConnId remote = it->second.peer;
    schedule(latency_, [this, remote] {
      End& r = ends_.at(remote);
      if (!r.open || !alive(r)) return;
      r.open = false;
      r.broken = true;  // a later write would reach a closed end and be reset: it fails
      if (r.env->handler_ != nullptr) r.env->handler_->on_closed(remote);
    });
  }

 private:
  struct Key {
    Time due;
    std::uint64_t seq;
    bool operator<(const Key& o) const { return due != o.due ? due < o.due : seq < o.seq; }
  };
  struct End {
    FakeNetEnv* env = nullptr;
    std::uint64_t epoch = 0;
    ConnId peer = 0;
    bool open = false;
    bool broken = false;        // a reset reached it: writes fail
    bool owner_closed = false;  // close() was called: no more callbacks
  };

  static bool alive(const End& e) { return e.env->up_ && e.env->epoch_ == e.epoch; }

  void arrive(ConnId from_conn, ConnId to_conn, WirePacket packet) {
    End& dst = ends_.at(to_conn);
    const End& src = ends_.at(from_conn);
    if (!dst.open || !alive(dst) || !reachable(src.env->self_, dst.env->self_)) {
      // RST back to the writer.
      schedule(latency_, [this, from_conn, tag = packet.tag] { reset(from_conn, tag); });
      return;
    }
    if (dst.env->handler_ != nullptr) dst.env->handler_->on_receive(to_conn, packet);
  }

  // A reset reached the writer's end: the write fails; the first one breaks the end, and
  // its reader notices (on_closed) after reader_notice_delay_.
  void reset(ConnId conn, std::uint8_t tag) {
    End& w = ends_.at(conn);
    if (!w.open && !w.broken) return;  // closed before: nobody is told
    report_failure(conn, tag);
    if (w.broken) return;
    w.broken = true;
    if (reader_notice_delay_ == Duration::zero()) return notice_break(conn);
    schedule(reader_notice_delay_, [this, conn] { notice_break(conn); });
  }
  void report_failure(ConnId conn, std::uint8_t tag) {
    const End& w = ends_.at(conn);
    if (w.owner_closed || !alive(w) || w.env->handler_ == nullptr) return;
    w.env->handler_->on_write_failed(conn, tag);
  }
  void notice_break(ConnId conn) {
    End& w = ends_.at(conn);
    if (!w.open || !alive(w)) return;
    w.open = false;
    if (w.env->handler_ != nullptr) w.env->handler_->on_closed(conn);
  }

  Duration latency_;
  Duration reader_notice_delay_;
  Time now_;
  std::uint64_t seq_ = 0;
  ConnId next_conn_ = 0;
  std::map<Key, Event> queue_;
  std::map<std::uint64_t, Time> due_of_;
  std::map<Endpoint, std::unique_ptr<FakeNetEnv>> envs_;
  std::map<ConnId, End> ends_;
  std::set<Endpoint> down_hosts_;
  std::set<std::pair<Endpoint, Endpoint>> cuts_;
};

// --- FakeNetEnv ----------------------------------------------------------------------------

inline Time FakeNetEnv::now() const { return net_.now(); }

inline TimerHandle FakeNetEnv::set_timer(Duration after, const char* name, Callback cb) {
  GS_ASSERT(after >= Duration::zero(), "negative timer delay for {}", name);
  (void)name;
  const std::uint64_t epoch = epoch_;
  return TimerHandle{net_.schedule(after, [this, epoch, c = std::move(cb)]() mutable {
    if (epoch_ == epoch) c();
  })};
}

inline void FakeNetEnv::cancel_timer(TimerHandle h) {
  if (h) net_.cancel(h.id);
}

inline void FakeNetEnv::dial(const Endpoint& to, Duration timeout, DialDone done) {
  net_.dial(*this, to, timeout, std::move(done));
}

inline void FakeNetEnv::write(ConnId conn, WirePacket packet) {
  ++writes;
  net_.write(*this, conn, std::move(packet));
}

inline void FakeNetEnv::close(ConnId conn) { net_.close(*this, conn); }

}  // namespace gs::proto::test
