#include <catch2/catch.hpp>

#include <cmath>
#include <set>

#include "sim/core/random.hpp"

using gs::sim::EmpiricalCdf;
using gs::sim::RandomStream;
using gs::sim::RandomStreams;

// Pins the documented derivation and Boost's mt19937_64: if any of these change,
// every published result changes, so the change must be deliberate.
TEST_CASE("random: first outputs of a stream are pinned for a fixed seed") {
  CHECK(gs::sim::fnv1a64("") == 0xCBF29CE484222325ull);
  CHECK(gs::sim::fnv1a64("a") == 0xAF63DC4C8601EC8Cull);
  CHECK(gs::sim::splitmix64(0) == 0xE220A8397B1DCDAFull);
  const std::uint64_t seed = gs::sim::derive_stream_seed(1, "net.latency", 3);
  CHECK(seed == 0x2fc0bac5a92da306ull);
  RandomStream r = RandomStreams(1).stream("net.latency", 3);
  CHECK(r.next_u64() == 0xc2e49b2e64a9bfb2ull);
  CHECK(r.next_u64() == 0x83caa3c8a5104da9ull);
  CHECK(r.next_u64() == 0x956762ca4fd5ec2bull);
  CHECK(r.uniform_int(0, 999) == 240);
}

TEST_CASE("random: streams of different purposes or indices are independent") {
  const RandomStreams streams(42);
  std::set<std::uint64_t> firsts;
  for (const char* purpose : {"net.latency", "net.loss", "peer.routing"})
    for (std::uint64_t i = 0; i < 50; ++i) firsts.insert(streams.stream(purpose, i).next_u64());
  CHECK(firsts.size() == 150);
  // Drawing from one stream does not shift another.
  RandomStream a = streams.stream("x", 1);
  RandomStream b = streams.stream("x", 2);
  const std::uint64_t b_first = b.next_u64();
  for (int i = 0; i < 100; ++i) a.next_u64();
  CHECK(streams.stream("x", 2).next_u64() == b_first);
}

TEST_CASE("random: distributions have the right mean and spread on 1e5 samples") {
  RandomStream r(7);
  const int n = 100000;
  auto moments = [&](auto draw) {
    double sum = 0, sq = 0;
    for (int i = 0; i < n; ++i) {
      const double x = draw();
      sum += x;
      sq += x * x;
    }
    const double mean = sum / n;
    return std::pair{mean, std::sqrt(sq / n - mean * mean)};
  };
  // Tolerances: a few standard errors (sd / sqrt(1e5) ~ 0.3% of sd).
  auto [um, us] = moments([&] { return r.uniform_real(2, 4); });
  CHECK(um == Approx(3).epsilon(0.005));
  CHECK(us == Approx(2 / std::sqrt(12.0)).epsilon(0.01));
  auto [em, es] = moments([&] { return r.exponential(5); });
  CHECK(em == Approx(5).epsilon(0.02));
  CHECK(es == Approx(5).epsilon(0.02));
  auto [nm, ns] = moments([&] { return r.normal(10, 2); });
  CHECK(nm == Approx(10).epsilon(0.002));
  CHECK(ns == Approx(2).epsilon(0.01));
  auto [lm, ls] = moments([&] { return r.lognormal(0, 0.5); });
  CHECK(lm == Approx(std::exp(0.125)).epsilon(0.01));
  CHECK(ls == Approx(std::sqrt((std::exp(0.25) - 1) * std::exp(0.25))).epsilon(0.03));
  // Pareto(1, 3): mean 1.5, variance 3/4 (alpha > 2 so both exist).
  auto [pm, ps] = moments([&] { return r.pareto(1, 3); });
  CHECK(pm == Approx(1.5).epsilon(0.01));
  CHECK(ps == Approx(std::sqrt(0.75)).epsilon(0.1));
  const EmpiricalCdf cdf({{1, 0.0}, {2, 0.5}, {10, 1.0}});
  auto [cm, cs] = moments([&] { return cdf.sample(r); });
  CHECK(cdf.mean() == Approx(3.75));  // 0.5 x 1.5 + 0.5 x 6
  CHECK(cm == Approx(3.75).epsilon(0.01));
  CHECK(cs > 0);
  int hits = 0;
  for (int i = 0; i < n; ++i) hits += r.bernoulli(0.1) ? 1 : 0;
  CHECK(hits == Approx(10000).epsilon(0.03));
}

TEST_CASE("random: sample_k returns k distinct indices, uniformly") {
  RandomStream r(3);
  std::vector<int> counts(10, 0);
  for (int trial = 0; trial < 20000; ++trial) {
    const auto s = r.sample_k(10, 3);
    REQUIRE(s.size() == 3);
    REQUIRE(std::set<std::size_t>(s.begin(), s.end()).size() == 3);
    for (std::size_t i : s) ++counts[i];
  }
  for (int c : counts) CHECK(c == Approx(6000).epsilon(0.05));
  CHECK(r.sample_k(4, 9).size() == 4);
  CHECK(r.sample_k(0, 3).empty());
}

TEST_CASE("random: a bad empirical CDF is rejected with the offending point") {
  using V = std::vector<std::pair<double, double>>;
  CHECK_THROWS_WITH(EmpiricalCdf(V{}), Catch::Contains("at least one point"));
  CHECK_THROWS_WITH(EmpiricalCdf(V{{1, 0.5}, {0, 1.0}}), Catch::Contains("point 1"));
  CHECK_THROWS_WITH(EmpiricalCdf(V{{1, 0.5}, {2, 0.9}}), Catch::Contains("must be 1"));
}
