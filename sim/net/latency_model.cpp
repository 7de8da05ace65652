#include "sim/net/latency_model.hpp"

#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>

#include <fmt/format.h>

namespace gs::net {
namespace {

double ns(Duration d) { return static_cast<double>(d.ns()); }

Duration to_duration(double value_ns) {
  if (!(value_ns > 0)) return Duration::zero();  // also catches NaN
  if (value_ns >= 9.2e18) return Duration::max();
  return Duration::nanoseconds(std::llround(value_ns));
}

double std_normal_pdf(double x) { return std::exp(-x * x / 2) / std::sqrt(2 * std::numbers::pi); }
double std_normal_cdf(double x) { return 0.5 * std::erfc(-x / std::numbers::sqrt2); }

// Moments of N(mean, sd) conditioned on being >= 0.
std::pair<double, double> truncated_normal_moments(double mean, double sd) {
  if (sd == 0) return {mean, 0};
  const double alpha = -mean / sd;
  const double lambda = std_normal_pdf(alpha) / (1 - std_normal_cdf(alpha));
  const double var = sd * sd * (1 + alpha * lambda - lambda * lambda);
  return {mean + sd * lambda, std::sqrt(var)};
}

double empirical_variance(const sim::EmpiricalCdf& cdf, double mean) {
  const auto& p = cdf.points();
  double second = p.front().first * p.front().first * p.front().second;
  for (std::size_t i = 1; i < p.size(); ++i) {
    const double v0 = p[i - 1].first, v1 = p[i].first;
    second += (p[i].second - p[i - 1].second) * (v0 * v0 + v0 * v1 + v1 * v1) / 3;
  }
  return second - mean * mean;
}

void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument(what);
}

}  // namespace

LatencyModel LatencyModel::constant(Duration d) {
  require(d >= Duration::zero(), "constant latency must be >= 0");
  LatencyModel m;
  m.kind_ = Kind::constant;
  m.a_ = ns(d);
  return m;
}

LatencyModel LatencyModel::uniform(Duration min, Duration max) {
  require(min >= Duration::zero() && min <= max, "uniform latency needs 0 <= min <= max");
  LatencyModel m;
  m.kind_ = Kind::uniform;
  m.a_ = ns(min);
  m.b_ = ns(max);
  return m;
}

LatencyModel LatencyModel::normal(Duration mean, Duration stddev) {
  require(mean >= Duration::zero() && stddev >= Duration::zero(), "normal latency needs mean >= 0 and stddev >= 0");
  LatencyModel m;
  m.kind_ = Kind::normal;
  m.a_ = ns(mean);
  m.b_ = ns(stddev);
  return m;
}

LatencyModel LatencyModel::lognormal(Duration mean, Duration stddev) {
  require(mean > Duration::zero() && stddev >= Duration::zero(), "lognormal latency needs mean > 0 and stddev >= 0");
  LatencyModel m;
  m.kind_ = Kind::lognormal;
  m.a_ = ns(mean);
  m.b_ = ns(stddev);
  const double cv2 = (m.b_ / m.a_) * (m.b_ / m.a_);
  m.sigma_ = std::sqrt(std::log1p(cv2));
  m.mu_ = std::log(m.a_) - m.sigma_ * m.sigma_ / 2;
  return m;
}

LatencyModel LatencyModel::pareto(Duration scale, double shape) {
  require(scale > Duration::zero() && shape > 0, "pareto latency needs scale > 0 and shape > 0");
  LatencyModel m;
  m.kind_ = Kind::pareto;
  m.a_ = ns(scale);
  m.b_ = shape;
  return m;
}

LatencyModel LatencyModel::empirical(const std::vector<std::pair<Duration, double>>& points) {
  std::vector<std::pair<double, double>> p;
  p.reserve(points.size());
  for (const auto& [d, prob] : points) {
    require(d >= Duration::zero(), "empirical latency points must be >= 0");
    p.emplace_back(ns(d), prob);
  }
  LatencyModel m;
  m.kind_ = Kind::empirical;
  m.cdf_ = std::make_shared<const sim::EmpiricalCdf>(std::move(p));
  return m;
}

Duration LatencyModel::sample(sim::RandomStream& rng) const {
  switch (kind_) {
    case Kind::constant: return to_duration(a_);
    case Kind::uniform: return to_duration(rng.uniform_real(a_, b_));
    case Kind::normal: {
      if (b_ == 0) return to_duration(a_);
      double x = rng.normal(a_, b_);
      while (x < 0) x = rng.normal(a_, b_);  // mean >= 0, so each try succeeds with p >= 1/2
      return to_duration(x);
    }
    case Kind::lognormal: return to_duration(b_ == 0 ? a_ : rng.lognormal(mu_, sigma_));
    case Kind::pareto: return to_duration(rng.pareto(a_, b_));
    case Kind::empirical: return to_duration(cdf_->sample(rng));
  }
  return Duration::zero();
}

double LatencyModel::mean_ns() const {
  switch (kind_) {
    case Kind::constant: return a_;
    case Kind::uniform: return (a_ + b_) / 2;
    case Kind::normal: return truncated_normal_moments(a_, b_).first;
    case Kind::lognormal: return a_;
    case Kind::pareto: return b_ <= 1 ? std::numeric_limits<double>::infinity() : b_ * a_ / (b_ - 1);
    case Kind::empirical: return cdf_->mean();
  }
  return 0;
}

double LatencyModel::stddev_ns() const {
  switch (kind_) {
    case Kind::constant: return 0;
    case Kind::uniform: return (b_ - a_) / std::sqrt(12.0);
    case Kind::normal: return truncated_normal_moments(a_, b_).second;
    case Kind::lognormal: return b_;
    case Kind::pareto:
      return b_ <= 2 ? std::numeric_limits<double>::infinity() : a_ / (b_ - 1) * std::sqrt(b_ / (b_ - 2));
    case Kind::empirical: return std::sqrt(empirical_variance(*cdf_, cdf_->mean()));
  }
  return 0;
}

std::string LatencyModel::describe() const {
  const auto d = [](double v) { return to_duration(v); };
  switch (kind_) {
    case Kind::constant: return fmt::format("constant({})", d(a_));
    case Kind::uniform: return fmt::format("uniform(min={}, max={})", d(a_), d(b_));
    case Kind::normal: return fmt::format("normal(mean={}, stddev={})", d(a_), d(b_));
    case Kind::lognormal: return fmt::format("lognormal(mean={}, stddev={})", d(a_), d(b_));
    case Kind::pareto: return fmt::format("pareto(scale={}, shape={})", d(a_), b_);
    case Kind::empirical: return fmt::format("empirical({} points)", cdf_->points().size());
  }
  return "?";
}

Duration sample_jitter(Duration jitter, sim::RandomStream& rng) {
  if (jitter <= Duration::zero()) return Duration::zero();
  return Duration::nanoseconds(static_cast<std::int64_t>(rng.uniform_int(0, static_cast<std::uint64_t>(jitter.ns()))));
}

}  // namespace gs::net
