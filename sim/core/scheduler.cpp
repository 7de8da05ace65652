#include "sim/core/scheduler.hpp"

#include "base/assert.hpp"

namespace gs::sim {

namespace {
constexpr std::size_t kArity = 4;  // 4-ary heap: half the depth of a binary heap, same cache lines
}

void Scheduler::heap_push(Entry e) {
  std::size_t i = heap_.size();
  heap_.push_back(e);
  while (i > 0) {
    const std::size_t parent = (i - 1) / kArity;
    if (!earlier(e, heap_[parent])) break;
    heap_[i] = heap_[parent];
    i = parent;
  }
  heap_[i] = e;
}

void Scheduler::heap_pop() {
  const Entry last = heap_.back();
  heap_.pop_back();
  const std::size_t n = heap_.size();
  if (n == 0) return;
  std::size_t i = 0;
  for (;;) {
    const std::size_t first = i * kArity + 1;
    if (first >= n) break;
    std::size_t best = first;
    const std::size_t end = first + kArity < n ? first + kArity : n;
    for (std::size_t c = first + 1; c < end; ++c)
      if (earlier(heap_[c], heap_[best])) best = c;
    if (!earlier(heap_[best], last)) break;
    heap_[i] = heap_[best];
    i = best;
  }
  heap_[i] = last;
}

std::uint32_t Scheduler::take_slot() {
  if (free_head_ != 0) {
    const std::uint32_t s = free_head_;
    free_head_ = slots_[s].next_free;
    return s;
  }
  slots_.emplace_back();
  return static_cast<std::uint32_t>(slots_.size() - 1);
}

void Scheduler::release_slot(std::uint32_t s) {
  Slot& slot = slots_[s];
  slot.seq = 0;
  slot.name = nullptr;
  slot.next_free = free_head_;
  free_head_ = s;
}

TimerId Scheduler::at(Time t, Callback cb, const char* name) {
  GS_ASSERT(t >= now_, "event scheduled in the past: at {} while now is {}", t, now_);
  GS_ASSERT(static_cast<bool>(cb), "empty callback scheduled");
  const std::uint32_t s = take_slot();
  const std::uint64_t seq = next_seq_++;
  Slot& slot = slots_[s];
  slot.cb = std::move(cb);
  slot.seq = seq;
  slot.name = name;
  heap_push(Entry{t.ns(), seq, s});
  ++live_;
  ++stats_.scheduled;
  return TimerId{s, seq};
}

bool Scheduler::is_pending(TimerId id) const {
  return id.seq != 0 && id.slot < slots_.size() && slots_[id.slot].seq == id.seq;
}

bool Scheduler::cancel(TimerId id) {
  if (!is_pending(id)) return false;
  slots_[id.slot].cb.reset();
  release_slot(id.slot);
  --live_;
  ++stats_.cancelled;
  return true;
}

void Scheduler::drop_stale_top() {
  while (!heap_.empty() && slots_[heap_.front().slot].seq != heap_.front().seq) heap_pop();
}

Time Scheduler::next_time() {
  drop_stale_top();
  return heap_.empty() ? Time::max() : Time::from_ns(heap_.front().time_ns);
}

void Scheduler::run_top() {
  const Entry e = heap_.front();
  heap_pop();
  Slot& slot = slots_[e.slot];
  Callback cb = std::move(slot.cb);
  const char* name = slot.name;
  release_slot(e.slot);  // before the call: the callback may schedule and reuse it
  --live_;
  now_ = Time::from_ns(e.time_ns);
  ++stats_.events_run;
  if (hook_) hook_(now_, e.seq, name);
  cb();
}

bool Scheduler::step() {
  drop_stale_top();
  if (heap_.empty()) return false;
  run_top();
  return true;
}

StopReason Scheduler::run_until(Time limit, std::uint64_t budget) {
  stop_requested_ = false;
  for (std::uint64_t ran = 0;; ++ran) {
    if (ran == budget) return StopReason::event_budget;
    drop_stale_top();
    if (heap_.empty()) {
      if (limit != Time::max() && limit > now_) now_ = limit;
      return StopReason::queue_empty;
    }
    if (heap_.front().time_ns > limit.ns()) {
      if (limit > now_) now_ = limit;
      return StopReason::time_limit;
    }
    run_top();
    if (stop_requested_) {
      stop_requested_ = false;
      return StopReason::stopped;
    }
  }
}

}  // namespace gs::sim
