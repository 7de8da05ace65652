// Seeded random streams: one root seed, an independent stream per (purpose, index).
//
// Derivation (stable; changing it changes every result, so it is pinned by a test):
//
//   stream_seed(root, purpose, index) =
//       splitmix64( splitmix64(root ^ fnv1a64(purpose)) ^ splitmix64(index + 0x9E3779B97F4A7C15) )
//
// where fnv1a64 is the 64-bit FNV-1a hash of the purpose's UTF-8 bytes and splitmix64 is
// Steele/Lea/Flood's finaliser. The stream's engine is Boost's mt19937_64 seeded with that
// value. Because each (purpose, index) pair owns its engine, extra draws by one component
// (say, peer 3's pull nonces) never shift another's (peer 3's routing, or peer 4's nonces).
//
// Distributions come from Boost.Random, not <random>: the standard library's
// distributions are allowed to differ between implementations, Boost's are the same code
// everywhere, so GCC and Clang builds draw the same numbers.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/random/mersenne_twister.hpp>

namespace gs::sim {

std::uint64_t splitmix64(std::uint64_t x);
std::uint64_t fnv1a64(std::string_view bytes);
std::uint64_t derive_stream_seed(std::uint64_t root, std::string_view purpose, std::uint64_t index);

class RandomStream {
 public:
  explicit RandomStream(std::uint64_t seed) : engine_(seed) {}

  std::uint64_t next_u64() { return engine_(); }
  // Uniform integer in [lo, hi] (inclusive).
  std::uint64_t uniform_int(std::uint64_t lo, std::uint64_t hi);
  // Uniform index in [0, n); n must be > 0.
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(uniform_int(0, n - 1)); }
  double uniform01();
  double uniform_real(double lo, double hi);
  bool bernoulli(double p);
  double exponential(double mean);
  double normal(double mean, double stddev);
  // Lognormal whose underlying normal has parameters (mu, sigma).
  double lognormal(double mu, double sigma);
  // Pareto type I: scale x_m > 0 (the minimum), shape alpha > 0. Inverse transform:
  // x_m / U^(1/alpha) with U uniform in (0, 1].
  double pareto(double scale, double shape);

  // k distinct indices of [0, n), uniformly chosen, in random order (partial
  // Fisher–Yates). k > n returns a permutation of all n.
  std::vector<std::size_t> sample_k(std::size_t n, std::size_t k);

  template <typename T>
  void shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
  }

  boost::random::mt19937_64& engine() { return engine_; }

 private:
  boost::random::mt19937_64 engine_;
};

// Streams of one run, all derived from its root seed.
class RandomStreams {
 public:
  explicit RandomStreams(std::uint64_t root) : root_(root) {}
  std::uint64_t root() const { return root_; }
  RandomStream stream(std::string_view purpose, std::uint64_t index = 0) const {
    return RandomStream(derive_stream_seed(root_, purpose, index));
  }

 private:
  std::uint64_t root_;
};

// An empirical distribution given by points of its CDF: (value, cumulative probability),
// values and probabilities non-decreasing, the last probability 1. Sampling inverts the
// piecewise-linear CDF; below the first point's probability it returns the first value.
class EmpiricalCdf {
 public:
  EmpiricalCdf() = default;
  // Throws std::invalid_argument describing the first bad point.
  explicit EmpiricalCdf(std::vector<std::pair<double, double>> points);
  double sample(RandomStream& rng) const;
  double mean() const;
  const std::vector<std::pair<double, double>>& points() const { return points_; }

 private:
  std::vector<std::pair<double, double>> points_;
};

}  // namespace gs::sim
