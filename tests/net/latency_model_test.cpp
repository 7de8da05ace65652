#include <catch2/catch.hpp>

#include <cmath>

#include "sim/net/latency_model.hpp"

using namespace gs;
using namespace gs::literals;
using gs::net::LatencyModel;

namespace {

struct Moments {
  double mean = 0, stddev = 0;
};

Moments sample_moments(const LatencyModel& m, std::uint64_t seed, int n = 100'000) {
  sim::RandomStream rng(seed);
  double sum = 0, sum2 = 0;
  for (int i = 0; i < n; ++i) {
    const double x = static_cast<double>(m.sample(rng).ns());
    REQUIRE(x >= 0);
    sum += x;
    sum2 += x * x;
  }
  const double mean = sum / n;
  return {mean, std::sqrt(sum2 / n - mean * mean)};
}

// Tolerances: with n = 10^5 the standard error of the mean is stddev/316; we allow 5 standard
// errors (a fixed seed makes the test deterministic, the margin keeps it meaningful if the seed
// changes). The sample stddev's relative standard error is about sqrt((kurtosis-1)/4n): ~0.2% for
// light tails; we allow 2% (5% for the heavy-tailed Pareto and lognormal).
void check(const LatencyModel& m, double sd_rel_tol) {
  const Moments s = sample_moments(m, 42);
  INFO(m.describe() << ": sample mean " << s.mean << " vs " << m.mean_ns() << ", sample sd " << s.stddev << " vs "
                    << m.stddev_ns());
  const double se = m.stddev_ns() / std::sqrt(100'000.0);
  CHECK(std::abs(s.mean - m.mean_ns()) <= 5 * se + 1.0);  // +1 ns: rounding to integer nanoseconds
  CHECK(std::abs(s.stddev - m.stddev_ns()) <= sd_rel_tol * m.stddev_ns() + 1.0);
}

}  // namespace

TEST_CASE("constant latency is exact") {
  const auto m = LatencyModel::constant(5_ms);
  sim::RandomStream rng(1);
  for (int i = 0; i < 10; ++i) CHECK(m.sample(rng) == 5_ms);
  CHECK(m.mean_ns() == 5e6);
  CHECK(m.stddev_ns() == 0);
}

TEST_CASE("uniform latency: mean and spread on 1e5 samples") {
  check(LatencyModel::uniform(10_ms, 30_ms), 0.02);
  CHECK(LatencyModel::uniform(10_ms, 30_ms).mean_ns() == Approx(20e6));
}

TEST_CASE("normal latency truncated at 0: mean and spread on 1e5 samples") {
  check(LatencyModel::normal(50_ms, 10_ms), 0.02);
  // Heavy truncation: mean 5ms, sd 10ms -> truncated mean well above 5ms.
  const auto t = LatencyModel::normal(5_ms, 10_ms);
  CHECK(t.mean_ns() > 8e6);
  check(t, 0.02);
}

TEST_CASE("lognormal latency is parameterised by the latency's own mean and stddev") {
  const auto m = LatencyModel::lognormal(50_ms, 20_ms);
  CHECK(m.mean_ns() == 50e6);
  CHECK(m.stddev_ns() == 20e6);
  check(m, 0.05);
}

TEST_CASE("pareto latency: mean and spread on 1e5 samples") {
  // shape 5: finite fourth moment, so the sample stddev converges at the usual rate.
  const auto m = LatencyModel::pareto(10_ms, 5.0);
  CHECK(m.mean_ns() == Approx(12.5e6));
  check(m, 0.05);
  CHECK(std::isinf(LatencyModel::pareto(10_ms, 1.0).mean_ns()));
}

TEST_CASE("empirical latency: mean and spread on 1e5 samples") {
  const auto m = LatencyModel::empirical({{1_ms, 0.0}, {10_ms, 0.5}, {100_ms, 1.0}});
  CHECK(m.mean_ns() == Approx(0.5 * 5.5e6 + 0.5 * 55e6));
  check(m, 0.02);
}

TEST_CASE("jitter adds uniform 0..jitter") {
  sim::RandomStream rng(3);
  double sum = 0;
  Duration lo = Duration::max(), hi = Duration::zero();
  for (int i = 0; i < 100'000; ++i) {
    const Duration j = net::sample_jitter(4_ms, rng);
    lo = std::min(lo, j);
    hi = std::max(hi, j);
    sum += static_cast<double>(j.ns());
  }
  CHECK(lo >= Duration::zero());
  CHECK(hi <= 4_ms);
  CHECK(sum / 100'000 == Approx(2e6).epsilon(0.01));
  CHECK(net::sample_jitter(Duration::zero(), rng) == Duration::zero());
}

TEST_CASE("invalid latency parameters are rejected") {
  CHECK_THROWS_AS(LatencyModel::uniform(5_ms, 1_ms), std::invalid_argument);
  CHECK_THROWS_AS(LatencyModel::pareto(Duration::zero(), 2.0), std::invalid_argument);
  CHECK_THROWS_AS(LatencyModel::empirical({{1_ms, 0.5}}), std::invalid_argument);
}
