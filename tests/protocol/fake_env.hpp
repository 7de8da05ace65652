// FakeEnv: a self-contained Env for protocol unit tests (no sim/ dependency).
//
// - Virtual clock starting at 0; timers in a queue ordered by (due time, scheduling
//   sequence), so ties fire in the order they were set — never by address.
// - advance(d) / advance_to(t) fire every timer due at or before the target instant, in
//   order, moving now() to each timer's due time before running it; timers set by a
//   callback that fall inside the window fire in the same call.
// - rng(purpose): a deterministic splitmix64 stream per purpose, seeded from `seed`.
// - Transport: dials, writes and closes are recorded; tests complete dials themselves
//   (complete_dial) and inspect `writes`. No packet is ever delivered by FakeEnv.
// - charge_cpu() sums into `cpu_charged`; observe() counts calls.
//
// Reusable by every protocol test; keep it general (no component-specific helpers).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/assert.hpp"
#include "protocol/env.hpp"

namespace gs::proto::test {

class FakeRng final : public Rng {
 public:
  explicit FakeRng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next_u64() override {
    // splitmix64
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::uint64_t below(std::uint64_t n) override {
    GS_ASSERT(n > 0, "FakeRng::below(0)");
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;  // reject the biased tail
    std::uint64_t v = next_u64();
    while (v >= limit) v = next_u64();
    return v % n;
  }

 private:
  std::uint64_t state_;
};

class FakeEnv final : public Env {
 public:
  struct Dial {
    Endpoint to;
    Duration timeout;
    DialDone done;
  };
  struct Write {
    Time at;
    ConnId conn;
    WirePacket packet;
  };

  explicit FakeEnv(std::uint64_t seed = 1) {
    rngs_.reserve(static_cast<std::size_t>(RngPurpose::count_));
    for (std::size_t i = 0; i < static_cast<std::size_t>(RngPurpose::count_); ++i) {
      rngs_.emplace_back(seed * 0x100000001b3ULL + i);
    }
  }

  // --- Env ---------------------------------------------------------------------------
  Time now() const override { return now_; }

  TimerHandle set_timer(Duration after, const char* name, Callback cb) override {
    GS_ASSERT(after >= Duration::zero(), "negative timer delay {} for {}", after, name);
    const std::uint64_t id = ++next_seq_;
    const Time due = now_ + after;
    queue_.emplace(Key{due, id}, Pending{name, std::move(cb)});
    due_of_.emplace(id, due);
    return TimerHandle{id};
  }

  void cancel_timer(TimerHandle h) override {
    const auto it = due_of_.find(h.id);
    if (it == due_of_.end()) return;
    queue_.erase(Key{it->second, h.id});
    due_of_.erase(it);
  }

  Rng& rng(RngPurpose purpose) override { return rngs_.at(static_cast<std::size_t>(purpose)); }

  void dial(const Endpoint& to, Duration timeout, DialDone done) override {
    dials.push_back(Dial{to, timeout, std::move(done)});
  }
  void write(ConnId conn, WirePacket packet) override { writes.push_back(Write{now_, conn, std::move(packet)}); }
  std::size_t unwritten(ConnId conn) const override {
    const auto it = backlog.find(conn);
    return it == backlog.end() ? 0 : it->second;
  }
  void close(ConnId conn) override { closed.push_back(conn); }
  void set_transport_handler(TransportHandler* handler) override { transport_handler = handler; }
  void charge_cpu(Duration cost) override { cpu_charged += cost; }
  void observe(const Observation&) override { ++observations; }

  // --- Test controls -------------------------------------------------------------------
  void advance(Duration d) { advance_to(now_ + d); }

  void advance_to(Time target) {
    GS_ASSERT(target >= now_, "time cannot go backwards");
    while (!queue_.empty() && queue_.begin()->first.due <= target) {
      auto node = queue_.extract(queue_.begin());
      due_of_.erase(node.key().seq);
      now_ = node.key().due;
      ++fired_;
      node.mapped().cb();
    }
    now_ = target;
  }

  // Fire timers until none is left or `limit` is reached (guards against periodic loops).
  void run_until_idle(Time limit) {
    while (!queue_.empty() && queue_.begin()->first.due <= limit) advance_to(queue_.begin()->first.due);
  }

  // Completes the i-th recorded dial (calls its DialDone).
  void complete_dial(std::size_t i, ConnId conn, bool ok, DialError err = DialError::refused) {
    dials.at(i).done(conn, ok, err);
  }

  std::size_t pending_timers() const { return queue_.size(); }
  std::uint64_t timers_fired() const { return fired_; }
  // Names of pending timers in firing order.
  std::vector<std::string> pending_timer_names() const {
    std::vector<std::string> names;
    for (const auto& [key, p] : queue_) names.emplace_back(p.name);
    return names;
  }

  std::vector<Dial> dials;
  std::vector<Write> writes;
  std::vector<ConnId> closed;
  std::map<ConnId, std::size_t> backlog;  // what unwritten() reports, per connection
  TransportHandler* transport_handler = nullptr;
  Duration cpu_charged;
  std::uint64_t observations = 0;

 private:
  struct Key {
    Time due;
    std::uint64_t seq;
    bool operator<(const Key& o) const { return due != o.due ? due < o.due : seq < o.seq; }
  };
  struct Pending {
    const char* name;
    Callback cb;
  };

  Time now_;
  std::uint64_t next_seq_ = 0;
  std::uint64_t fired_ = 0;
  std::map<Key, Pending> queue_;
  std::map<std::uint64_t, Time> due_of_;
  std::vector<FakeRng> rngs_;
};

}  // namespace gs::proto::test
