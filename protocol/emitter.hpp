// The batching emitter (spec §2.3, Fabric `batcher.go`): the only push path of gossip.
//
// Buffers messages and hands them to a callback in batches: every L (sleep-first loop
// with a phase fixed at construction) and immediately when B messages are pending. Each
// message is handed over I times (at successive flushes) and then dropped. I == 0
// disables pushing entirely: Add() ignores messages and no timer runs.
//
// Generic over the message type (Fabric's is interface{}): gossip uses EnvelopePtr
// (instantiated once in emitter.cpp), tests use ints.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "base/assert.hpp"
#include "base/time.hpp"
#include "protocol/env.hpp"
#include "protocol/message.hpp"

namespace gs::proto {

struct EmitterConfig {
  // I — peer.gossip.propagateIterations: times each message is handed to the callback
  // (spec §2.1, default 1). 0 disables the emitter.
  int propagate_iterations = 1;
  // B — peer.gossip.maxPropagationBurstSize: pending count that forces an immediate
  // flush inside Add() (default 10).
  std::size_t max_propagation_burst_size = 10;
  // L — peer.gossip.maxPropagationBurstLatency: period of the flush loop (default 10 ms).
  Duration max_propagation_burst_latency = Duration::milliseconds(10);
};

template <typename T>
class BatchingEmitter {
 public:
  // Receives one batch, in buffer order (spec §2.3: one routing call per flush).
  using EmitCallback = std::function<void(const std::vector<T>& batch)>;

  BatchingEmitter(Env& env, const EmitterConfig& cfg, EmitCallback cb)
      : env_(env), cfg_(cfg), cb_(std::move(cb)) {
    GS_ASSERT(cfg_.propagate_iterations >= 0, "emitter: negative propagateIterations {}", cfg_.propagate_iterations);
    GS_ASSERT(cfg_.max_propagation_burst_latency > Duration::zero() || cfg_.propagate_iterations == 0,
              "emitter: maxPropagationBurstLatency must be positive");
    if (cfg_.propagate_iterations != 0) arm_flush_timer();
  }
  BatchingEmitter(const BatchingEmitter&) = delete;
  BatchingEmitter& operator=(const BatchingEmitter&) = delete;
  ~BatchingEmitter() { env_.cancel_timer(timer_); }

  // spec §2.3 Add: append with I iterations; flush synchronously once B are pending.
  // After Stop() messages are still buffered (as in Fabric) but never emitted.
  void add(T msg) {
    if (cfg_.propagate_iterations == 0) return;  // pushing disabled entirely
    buff_.push_back(Entry{std::move(msg), cfg_.propagate_iterations});
    if (buff_.size() >= cfg_.max_propagation_burst_size) emit();
  }

  // Pending messages (Fabric's Size()).
  std::size_t size() const { return buff_.size(); }

  // spec §2.3: further emits are no-ops; the flush loop ends.
  void stop() {
    stopped_ = true;
    env_.cancel_timer(timer_);
    timer_ = TimerHandle{};
  }
  bool stopped() const { return stopped_; }

 private:
  struct Entry {
    T msg;
    int iterations_left;
  };

  void arm_flush_timer() {
    timer_ = env_.set_timer(cfg_.max_propagation_burst_latency, "emitter.flush", [this] { on_flush_timer(); });
  }

  // Sleep-first loop: the phase is fixed by construction, independent of burst flushes.
  void on_flush_timer() {
    timer_ = TimerHandle{};
    if (stopped_) return;
    emit();
    if (!stopped_) arm_flush_timer();
  }

  void emit() {
    // A callback that adds enough messages to reach B would re-enter here; Fabric holds
    // its lock during the callback (so it cannot happen there); we leave those messages
    // for the next flush.
    if (stopped_ || emitting_ || buff_.empty()) return;
    emitting_ = true;
    const std::size_t n = buff_.size();
    batch_.clear();
    for (std::size_t i = 0; i < n; ++i) batch_.push_back(buff_[i].msg);
    cb_(batch_);
    std::size_t kept = 0;
    for (std::size_t i = 0; i < buff_.size(); ++i) {
      if (i < n) --buff_[i].iterations_left;
      if (buff_[i].iterations_left > 0) {
        if (kept != i) buff_[kept] = std::move(buff_[i]);
        ++kept;
      }
    }
    buff_.erase(buff_.begin() + static_cast<std::ptrdiff_t>(kept), buff_.end());
    emitting_ = false;
  }

  Env& env_;
  EmitterConfig cfg_;
  EmitCallback cb_;
  std::vector<Entry> buff_;
  std::vector<T> batch_;  // reused across flushes: no allocation in steady state
  TimerHandle timer_;
  bool stopped_ = false;
  bool emitting_ = false;
};

extern template class BatchingEmitter<EnvelopePtr>;
using Emitter = BatchingEmitter<EnvelopePtr>;

}  // namespace gs::proto
