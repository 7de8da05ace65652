#include <catch2/catch.hpp>

#include <algorithm>
#include <tuple>
#include <vector>

#include "base/assert.hpp"
#include "sim/core/random.hpp"
#include "sim/core/scheduler.hpp"

using namespace gs;
using namespace gs::literals;
using gs::sim::Scheduler;
using gs::sim::StopReason;
using gs::sim::TimerId;

TEST_CASE("scheduler: simultaneous events run in scheduling order") {
  Scheduler s;
  std::vector<int> order;
  for (int i = 0; i < 50; ++i) s.at(Time::zero() + 5_s, [&order, i] { order.push_back(i); });
  s.at(Time::zero() + 1_s, [&order] { order.push_back(-1); });
  // An event scheduled at the current instant from inside an event runs after the
  // events already queued for that instant.
  s.at(Time::zero() + 5_s, [&] { s.after(0_s, [&order] { order.push_back(1000); }); });
  CHECK(s.run_until(Time::max()) == StopReason::queue_empty);
  REQUIRE(order.size() == 52);
  CHECK(order.front() == -1);
  for (int i = 0; i < 50; ++i) CHECK(order[static_cast<std::size_t>(i) + 1] == i);
  CHECK(order.back() == 1000);
  CHECK(s.now() == Time::zero() + 5_s);
}

TEST_CASE("scheduler: a cancelled timer never fires and cancel is idempotent") {
  Scheduler s;
  int fired = 0;
  TimerId a = s.after(1_s, [&] { ++fired; });
  TimerId b = s.after(2_s, [&] { fired += 10; });
  CHECK(s.pending() == 2);
  CHECK(s.cancel(a));
  CHECK_FALSE(s.cancel(a));
  CHECK_FALSE(s.is_pending(a));
  CHECK(s.pending() == 1);
  // The freed slot is reused by a new timer; the stale handle must not cancel it.
  TimerId c = s.after(3_s, [&] { fired += 100; });
  CHECK(c.slot == a.slot);
  CHECK_FALSE(s.cancel(a));
  s.run_until(Time::max());
  CHECK(fired == 110);
  CHECK_FALSE(s.cancel(b));  // already fired
  CHECK(s.stats().cancelled == 1);
}

TEST_CASE("scheduler: a timer can cancel another due at the same instant") {
  Scheduler s;
  int fired = 0;
  TimerId second;
  s.after(1_s, [&] { s.cancel(second); });
  second = s.after(1_s, [&] { ++fired; });
  s.run_until(Time::max());
  CHECK(fired == 0);
}

TEST_CASE("scheduler: run until a time advances the clock to the limit") {
  Scheduler s;
  int fired = 0;
  s.after(1_s, [&] { ++fired; });
  s.after(10_s, [&] { ++fired; });
  CHECK(s.run_until(Time::zero() + 5_s) == StopReason::time_limit);
  CHECK(fired == 1);
  CHECK(s.now() == Time::zero() + 5_s);
  CHECK(s.next_time() == Time::zero() + 10_s);
  // An event exactly at the limit runs; then the queue is empty.
  CHECK(s.run_until(Time::zero() + 10_s) == StopReason::queue_empty);
  CHECK(fired == 2);
  CHECK(s.now() == Time::zero() + 10_s);
}

TEST_CASE("scheduler: run with an event budget and stop()") {
  Scheduler s;
  int fired = 0;
  std::function<void()> tick = [&] {
    ++fired;
    s.after(1_ms, [&] { tick(); });
  };
  s.after(0_s, [&] { tick(); });
  CHECK(s.run_until(Time::max(), 100) == StopReason::event_budget);
  CHECK(fired == 100);
  s.after(0_s, [&] { s.stop(); });
  CHECK(s.run_until(Time::max()) == StopReason::stopped);
}

TEST_CASE("scheduler: scheduling in the past is an invariant violation") {
  Scheduler s;
  s.after(5_s, [] {});
  s.run_until(Time::max());
  CHECK_THROWS_AS(s.at(Time::zero() + 1_s, [] {}), InvariantViolation);
}

TEST_CASE("scheduler: progress hook is called every N events") {
  Scheduler s;
  std::vector<std::uint64_t> seen;
  s.set_progress_hook(10, [&](const Scheduler& sch) { seen.push_back(sch.stats().events_run); });
  for (int i = 0; i < 35; ++i) s.after(Duration::milliseconds(i), [] {});
  s.run_until(Time::max());
  CHECK(seen == std::vector<std::uint64_t>{10, 20, 30});
}

// Property test against a naive reference: a sorted list of (time, seq).
TEST_CASE("scheduler: matches a naive sorted-list queue under random schedule/cancel") {
  gs::sim::RandomStream rng(12345);
  Scheduler s;
  std::vector<std::tuple<std::int64_t, std::uint64_t, int>> reference;  // time, seq, id
  std::vector<std::pair<TimerId, int>> handles;
  std::vector<int> fired;
  std::uint64_t seq = 0;
  for (int id = 0; id < 5000; ++id) {
    const auto t = static_cast<std::int64_t>(rng.uniform_int(0, 200));  // many ties
    handles.emplace_back(s.at(Time::from_ns(t), [&fired, id] { fired.push_back(id); }), id);
    reference.emplace_back(t, seq++, id);
    if (rng.bernoulli(0.3)) {
      const std::size_t k = rng.below(handles.size());
      if (s.cancel(handles[k].first)) {
        const int victim = handles[k].second;
        std::erase_if(reference, [victim](const auto& r) { return std::get<2>(r) == victim; });
      }
    }
  }
  std::sort(reference.begin(), reference.end());
  s.run_until(Time::max());
  std::vector<int> expected;
  for (const auto& r : reference) expected.push_back(std::get<2>(r));
  CHECK(fired == expected);
}
