// Batching emitter (spec §2.3) — reproduces Fabric's batcher_test.go with exact numbers
// (spec §11.4) on virtual time.
#include <catch2/catch.hpp>

#include <map>
#include <vector>

#include "fake_env.hpp"
#include "protocol/emitter.hpp"

using namespace gs;
using namespace gs::literals;
using namespace gs::proto;
using gs::proto::test::FakeEnv;

namespace {

EmitterConfig cfg(int iterations, std::size_t burst, Duration latency) {
  EmitterConfig c;
  c.propagate_iterations = iterations;
  c.max_propagation_burst_size = burst;
  c.max_propagation_burst_latency = latency;
  return c;
}

}  // namespace

TEST_CASE("emitter: AddAndSize (spec §11.4 TestBatchingEmitterAddAndSize)") {
  FakeEnv env;
  BatchingEmitter<int> emitter(env, cfg(1, 10, 1_s), [](const std::vector<int>&) {});
  emitter.add(1);
  emitter.add(2);
  emitter.add(3);
  CHECK(emitter.size() == 3);
}

TEST_CASE("emitter: Stop (spec §11.4 TestBatchingEmitterStop)") {
  FakeEnv env;
  int callbacks = 0;
  BatchingEmitter<int> emitter(env, cfg(10, 1, 100_ms), [&](const std::vector<int>&) { ++callbacks; });
  emitter.add(1);  // burst flush (B = 1)
  env.advance(100_ms);  // one periodic flush at 100 ms
  emitter.stop();
  env.advance(1_s);
  CHECK(callbacks < 5);
  CHECK(callbacks == 2);
  CHECK(env.pending_timers() == 0);
}

TEST_CASE("emitter: Expiration (spec §11.4 TestBatchingEmitterExpiration)") {
  FakeEnv env;
  int callbacks = 0;
  BatchingEmitter<int> emitter(env, cfg(10, 1, 10_ms), [&](const std::vector<int>&) { ++callbacks; });
  emitter.add(1);  // 1 burst flush, then 9 periodic flushes at 10..90 ms
  env.advance(500_ms);
  CHECK(callbacks == 10);
  CHECK(emitter.size() == 0);
}

TEST_CASE("emitter: Counter (spec §11.4 TestBatchingEmitterCounter)") {
  FakeEnv env;
  std::map<int, int> counters;
  BatchingEmitter<int> emitter(env, cfg(5, 100, 500_ms), [&](const std::vector<int>& batch) {
    for (int m : batch) ++counters[m];
  });
  for (int i = 1; i <= 5; ++i) {
    emitter.add(i);
    if (i == 5) break;
    env.advance(600_ms);
  }
  emitter.stop();
  env.advance(2_s);
  // Extra emissions beyond the first: msg4 0, msg3 1, msg2 2, msg1 3 (msg5 never flushed).
  CHECK(counters[4] - 1 == 0);
  CHECK(counters[3] - 1 == 1);
  CHECK(counters[2] - 1 == 2);
  CHECK(counters[1] - 1 == 3);
  CHECK(counters[5] == 0);
}

TEST_CASE("emitter: BurstSizeCap (spec §11.4 TestBatchingEmitterBurstSizeCap)") {
  FakeEnv env;
  int callbacks = 0;
  std::vector<std::size_t> sizes;
  BatchingEmitter<int> emitter(env, cfg(1, 10, 800_ms), [&](const std::vector<int>& batch) {
    ++callbacks;
    sizes.push_back(batch.size());
  });
  for (int i = 0; i < 50; ++i) emitter.add(i);
  env.advance(700_ms);  // before the first periodic flush: every callback was burst-triggered
  CHECK(callbacks == 5);
  CHECK(sizes == std::vector<std::size_t>{10, 10, 10, 10, 10});
  CHECK(emitter.size() == 0);
}

TEST_CASE("emitter: batches keep buffer order; the periodic phase is fixed by construction (spec §2.3)") {
  FakeEnv env;
  std::vector<std::pair<std::int64_t, std::vector<int>>> flushes;
  BatchingEmitter<int> emitter(env, cfg(2, 3, 10_ms), [&](const std::vector<int>& batch) {
    flushes.emplace_back(env.now().ns() / 1'000'000, batch);
  });
  env.advance(4_ms);
  emitter.add(1);
  emitter.add(2);
  emitter.add(3);  // burst at 4 ms: [1 2 3]
  env.advance(3_ms);
  emitter.add(4);  // 7 ms: 1 2 3 still pending (1 iteration left) -> 4 >= B: burst [1 2 3 4]
  env.advance(20_ms);  // tick at 10 ms: [4]; tick at 20 ms: nothing left
  using F = std::pair<std::int64_t, std::vector<int>>;
  CHECK(flushes == std::vector<F>{{4, {1, 2, 3}}, {7, {1, 2, 3, 4}}, {10, {4}}});
}

TEST_CASE("emitter: propagateIterations 0 disables pushing entirely (spec §2.3)") {
  FakeEnv env;
  int callbacks = 0;
  BatchingEmitter<int> emitter(env, cfg(0, 1, 10_ms), [&](const std::vector<int>&) { ++callbacks; });
  emitter.add(1);
  env.advance(1_s);
  CHECK(callbacks == 0);
  CHECK(emitter.size() == 0);
  CHECK(env.pending_timers() == 0);
}
