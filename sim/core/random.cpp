#include "sim/core/random.hpp"

#include <cmath>
#include <stdexcept>

#include <boost/random/bernoulli_distribution.hpp>
#include <boost/random/exponential_distribution.hpp>
#include <boost/random/lognormal_distribution.hpp>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_01.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>
#include <fmt/format.h>

namespace gs::sim {

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

std::uint64_t fnv1a64(std::string_view bytes) {
  std::uint64_t h = 0xCBF29CE484222325ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001B3ull;
  }
  return h;
}

std::uint64_t derive_stream_seed(std::uint64_t root, std::string_view purpose, std::uint64_t index) {
  return splitmix64(splitmix64(root ^ fnv1a64(purpose)) ^ splitmix64(index + 0x9E3779B97F4A7C15ull));
}

std::uint64_t RandomStream::uniform_int(std::uint64_t lo, std::uint64_t hi) {
  return boost::random::uniform_int_distribution<std::uint64_t>(lo, hi)(engine_);
}

double RandomStream::uniform01() { return boost::random::uniform_01<double>()(engine_); }

double RandomStream::uniform_real(double lo, double hi) {
  return boost::random::uniform_real_distribution<double>(lo, hi)(engine_);
}

bool RandomStream::bernoulli(double p) {
  if (p <= 0) return false;  // no draw: a loss-free link must not consume randomness
  if (p >= 1) return true;
  return boost::random::bernoulli_distribution<double>(p)(engine_);
}

double RandomStream::exponential(double mean) {
  return boost::random::exponential_distribution<double>(1.0 / mean)(engine_);
}

double RandomStream::normal(double mean, double stddev) {
  return boost::random::normal_distribution<double>(mean, stddev)(engine_);
}

double RandomStream::lognormal(double mu, double sigma) {
  return boost::random::lognormal_distribution<double>(mu, sigma)(engine_);
}

double RandomStream::pareto(double scale, double shape) {
  const double u = 1.0 - uniform01();  // (0, 1]: never divides by zero
  return scale / std::pow(u, 1.0 / shape);
}

std::vector<std::size_t> RandomStream::sample_k(std::size_t n, std::size_t k) {
  if (k > n) k = n;
  std::vector<std::size_t> idx(n);
  for (std::size_t i = 0; i < n; ++i) idx[i] = i;
  for (std::size_t i = 0; i < k; ++i) std::swap(idx[i], idx[i + below(n - i)]);
  idx.resize(k);
  return idx;
}

EmpiricalCdf::EmpiricalCdf(std::vector<std::pair<double, double>> points) : points_(std::move(points)) {
  if (points_.empty()) throw std::invalid_argument("empirical distribution needs at least one point");
  for (std::size_t i = 0; i < points_.size(); ++i) {
    const auto [v, p] = points_[i];
    if (!(p >= 0 && p <= 1)) throw std::invalid_argument(fmt::format("point {}: probability {} not in [0, 1]", i, p));
    if (i > 0 && (v < points_[i - 1].first || p < points_[i - 1].second))
      throw std::invalid_argument(fmt::format("point {}: values and probabilities must be non-decreasing", i));
  }
  if (points_.back().second != 1.0)
    throw std::invalid_argument("the last point's cumulative probability must be 1");
}

double EmpiricalCdf::sample(RandomStream& rng) const {
  const double u = rng.uniform01();
  if (u <= points_.front().second) return points_.front().first;
  for (std::size_t i = 1; i < points_.size(); ++i) {
    const auto [v1, p1] = points_[i];
    if (u <= p1) {
      const auto [v0, p0] = points_[i - 1];
      return p1 == p0 ? v1 : v0 + (v1 - v0) * (u - p0) / (p1 - p0);
    }
  }
  return points_.back().first;
}

double EmpiricalCdf::mean() const {
  // Point mass at the first value, then uniform mass on each linear segment.
  double m = points_.front().first * points_.front().second;
  for (std::size_t i = 1; i < points_.size(); ++i)
    m += (points_[i].second - points_[i - 1].second) * (points_[i].first + points_[i - 1].first) / 2;
  return m;
}

}  // namespace gs::sim
