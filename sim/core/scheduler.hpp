// The discrete-event scheduler: one virtual clock, one event queue.
//
// Events are ordered by (time, sequence number assigned when scheduled), so two
// events at the same instant run in the order they were scheduled — never by
// address or hash (DESIGN.md "Determinism"). The queue is a binary min-heap
// (std::push_heap/pop_heap) of 16-byte entries {time, key}, key = seq << 24 | slot: comparing keys compares
// sequence numbers, since those are unique. Callbacks live in a slab of slots in
// fixed-size chunks (stable addresses, so a callback runs in place) reused through
// a free list: steady-state scheduling allocates nothing.
//
// Cancellation is lazy: cancel() destroys the callback and frees the slot at
// once (cheap, O(1)); the heap entry stays and is skipped when it surfaces,
// because its sequence number no longer matches the slot's.
//
// Limits (asserted): 2^24 events pending at once, 2^40 events scheduled per run.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <vector>

#include "base/callback.hpp"
#include "base/time.hpp"

namespace gs::sim {

// Names a scheduled event. Default-constructed = no timer. Stays valid (and
// harmless to cancel) after the event fired or was cancelled.
struct TimerId {
  std::uint32_t slot = 0;
  std::uint64_t seq = 0;  // 0 never names a live event
  explicit operator bool() const { return seq != 0; }
  friend bool operator==(const TimerId&, const TimerId&) = default;
};

enum class StopReason {
  time_limit,    // the next event is later than the limit; clock advanced to the limit
  event_budget,  // the given number of events ran
  queue_empty,   // nothing left to run
  stopped,       // stop() was called from a callback
};

struct SchedulerStats {
  std::uint64_t events_run = 0;
  std::uint64_t scheduled = 0;
  std::uint64_t cancelled = 0;
};

class Scheduler {
 public:
  Scheduler() = default;
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  Time now() const { return now_; }

  // Schedules cb at absolute time t (must not be in the past). `name` is a static
  // string shown by the event trace hook (may be null).
  TimerId at(Time t, Callback cb, const char* name = nullptr);
  TimerId after(Duration d, Callback cb, const char* name = nullptr) { return at(now_ + d, std::move(cb), name); }

  // Returns true if the event was pending and is now cancelled (it will never run).
  bool cancel(TimerId id);
  bool is_pending(TimerId id) const;

  // Runs events with time <= limit, at most `budget` of them. On time_limit the clock
  // is advanced to `limit` (so now() == limit afterwards).
  StopReason run_until(Time limit, std::uint64_t budget = std::numeric_limits<std::uint64_t>::max());
  // Runs the next event, if any. Returns false when the queue is empty.
  bool step();
  // Makes the running run_until() return after the current event.
  void stop() { stop_requested_ = true; }

  std::size_t pending() const { return live_; }
  const SchedulerStats& stats() const { return stats_; }
  // Time of the earliest live event, or Time::max() when none.
  Time next_time();

  // Called before each event runs (time, sequence number, timer name or null).
  // For traces and determinism tests; costs one branch per event when unset.
  using EventHook = std::function<void(Time, std::uint64_t seq, const char* name)>;
  void set_event_hook(EventHook hook) { hook_ = std::move(hook); }

  // Called every `every_events` events during run_until(), for progress displays of
  // long runs. It may call stop(). Must not depend on wall time for anything that
  // reaches the run's output.
  using ProgressHook = std::function<void(const Scheduler&)>;
  void set_progress_hook(std::uint64_t every_events, ProgressHook hook) {
    progress_every_ = every_events == 0 ? 1 : every_events;
    progress_countdown_ = progress_every_;
    progress_ = std::move(hook);
  }

 private:
  static constexpr int kSlotBits = 24;
  static constexpr std::uint64_t kSlotMask = (std::uint64_t{1} << kSlotBits) - 1;
  static constexpr std::uint64_t kMaxSeq = std::uint64_t{1} << (64 - kSlotBits);
  static constexpr int kChunkBits = 10;
  static constexpr std::uint32_t kChunkSize = 1u << kChunkBits;

  struct Entry {
    std::int64_t time_ns;
    std::uint64_t key;  // seq << kSlotBits | slot
    std::uint64_t seq() const { return key >> kSlotBits; }
    std::uint32_t slot() const { return static_cast<std::uint32_t>(key & kSlotMask); }
  };
  // One cache line: the heap top's slot is prefetched while the previous event runs.
  struct alignas(64) Slot {
    Callback cb;
    std::uint64_t seq = 0;  // sequence number of the event occupying it; 0 = free or running
    std::uint32_t next_free = 0;
  };
  static_assert(sizeof(Slot) == 64);

  // Heap order for std::push_heap/pop_heap (a max-heap of "later"): the earliest on top.
  // A function object, not a function pointer, so the comparison is inlined.
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const {
      return a.time_ns > b.time_ns || (a.time_ns == b.time_ns && a.key > b.key);
    }
  };
  Slot& slot(std::uint32_t i) { return chunks_[i >> kChunkBits][i & (kChunkSize - 1)]; }
  const Slot& slot(std::uint32_t i) const { return chunks_[i >> kChunkBits][i & (kChunkSize - 1)]; }
  void heap_push(Entry e);
  void heap_pop();
  std::uint32_t take_slot();
  void release_slot(std::uint32_t slot);
  void drop_stale_top();  // pops cancelled entries off the top of the heap
  void run_top();

  Time now_ = Time::zero();
  std::uint64_t next_seq_ = 1;
  std::vector<Entry> heap_;
  std::vector<std::unique_ptr<Slot[]>> chunks_;
  std::vector<const char*> names_{nullptr};  // timer name per slot (kept apart: cold)
  std::uint32_t slot_count_ = 1;  // slot 0 is a sentinel, never used
  std::uint32_t free_head_ = 0;   // 0 = no free slot
  std::size_t live_ = 0;
  std::size_t stale_in_heap_ = 0;  // cancelled entries not yet popped: 0 lets pops skip the check
  bool stop_requested_ = false;
  SchedulerStats stats_;
  EventHook hook_;
  ProgressHook progress_;
  std::uint64_t progress_every_ = 0;
  std::uint64_t progress_countdown_ = 0;
};

}  // namespace gs::sim
