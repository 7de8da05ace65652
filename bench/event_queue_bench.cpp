// Event-queue throughput on the classic hold model (issue 2, item 7).
//
// Hold model: N events pending; repeatedly take the earliest and schedule a new one at
// its time plus an exponential increment, so the queue size stays N. We compare
//   engine  — gs::sim::Scheduler: each event's callback schedules its successor, with
//             cancellation support, (time, seq) ordering and inline callbacks;
//   bare    — a minimal loop over std::push_heap/std::pop_heap of (time, seq) pairs
//             with no callbacks at all: the floor any event queue has to pay.
// Increments are drawn beforehand so neither loop measures the random generator.
//
// Usage: event_queue_bench [pending=100000] [events=1000000] [repetitions=5]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

#include "sim/core/random.hpp"
#include "sim/core/scheduler.hpp"

namespace {

using Clock = std::chrono::steady_clock;  // wall clock: benchmarks only, never in the engine

std::vector<std::int64_t> draw_increments(std::size_t n) {
  gs::sim::RandomStream rng(2026);
  std::vector<std::int64_t> inc(n);
  for (auto& x : inc) x = static_cast<std::int64_t>(rng.exponential(1e6));  // mean 1 ms in ns
  return inc;
}

double run_bare(std::size_t pending, std::size_t events, const std::vector<std::int64_t>& inc) {
  struct Entry {
    std::int64_t t;
    std::uint64_t seq;
  };
  auto later = [](const Entry& a, const Entry& b) { return a.t > b.t || (a.t == b.t && a.seq > b.seq); };
  std::vector<Entry> heap;
  heap.reserve(pending + 1);
  std::uint64_t seq = 0;
  std::size_t k = 0;
  for (std::size_t i = 0; i < pending; ++i) {
    heap.push_back({inc[k++], seq++});
    std::push_heap(heap.begin(), heap.end(), later);
  }
  std::int64_t checksum = 0;
  const auto start = Clock::now();
  for (std::size_t i = 0; i < events; ++i) {
    std::pop_heap(heap.begin(), heap.end(), later);
    const Entry e = heap.back();
    heap.pop_back();
    checksum += e.t;
    heap.push_back({e.t + inc[k++], seq++});
    std::push_heap(heap.begin(), heap.end(), later);
  }
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  if (checksum == 42) std::puts("");  // keep the loop observable
  return static_cast<double>(events) / secs;
}

struct HoldState {
  gs::sim::Scheduler* s;
  const std::vector<std::int64_t>* inc;
  std::size_t k;
};

void hold_event(HoldState* st) {
  st->s->after(gs::Duration::nanoseconds((*st->inc)[st->k++]), [st] { hold_event(st); });
}

double run_engine(std::size_t pending, std::size_t events, const std::vector<std::int64_t>& inc) {
  gs::sim::Scheduler s;
  HoldState st{&s, &inc, 0};
  for (std::size_t i = 0; i < pending; ++i)
    s.at(gs::Time::from_ns(inc[st.k++]), [p = &st] { hold_event(p); });
  const auto start = Clock::now();
  s.run_until(gs::Time::max(), events);
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  return static_cast<double>(events) / secs;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t pending = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 100000;
  const std::size_t events = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1000000;
  const int reps = argc > 3 ? std::atoi(argv[3]) : 5;
  const auto inc = draw_increments(pending + events + 1);
  double best_bare = 0, best_engine = 0;
  for (int r = 0; r < reps; ++r) {  // interleaved so both see the same machine state
    best_bare = std::max(best_bare, run_bare(pending, events, inc));
    best_engine = std::max(best_engine, run_engine(pending, events, inc));
  }
  std::printf("hold model: %zu pending, %zu events, best of %d\n", pending, events, reps);
  std::printf("  bare binary heap : %12.0f events/s\n", best_bare);
  std::printf("  gossipsim engine : %12.0f events/s\n", best_engine);
  std::printf("  engine / bare    : %12.1f %%\n", 100.0 * best_engine / best_bare);
  return 0;
}
