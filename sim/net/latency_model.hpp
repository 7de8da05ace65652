// One-way propagation latency distributions.
//
// A LatencyModel is a small value type (copyable, comparable by kind only through its
// accessors) that draws one latency per transmission from a RandomStream. All parameters are
// latencies in virtual time; internally the draw is done in double nanoseconds and rounded to
// the nearest integer nanosecond, never negative. Floating point stays inside the draw: the
// event queue only ever sees the integer result (DESIGN.md "Determinism").
//
// Models (and what their parameters mean):
//   constant(d)                 always d
//   uniform(min, max)           uniform on [min, max]
//   normal(mean, stddev)        normal truncated at 0 by rejection (a draw < 0 is re-drawn), so
//                               its mean is slightly above `mean` when stddev is a good fraction
//                               of it; mean() reports the truncated mean. Requires mean >= 0.
//   lognormal(mean, stddev)     lognormal parameterised by the mean and standard deviation of the
//                               resulting latency (not of the underlying normal): the underlying
//                               sigma^2 = ln(1 + stddev^2/mean^2), mu = ln(mean) - sigma^2/2.
//   pareto(scale, shape)        Pareto type I: minimum `scale`, tail index `shape` (> 0). The
//                               mean is infinite for shape <= 1, the variance for shape <= 2.
//   empirical(points)           piecewise-linear inverse CDF through (latency, cumulative
//                               probability) points; see sim::EmpiricalCdf.
//
// mean() and stddev() are the theoretical values (tests compare samples against them).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/time.hpp"
#include "sim/core/random.hpp"

namespace gs::net {

class LatencyModel {
 public:
  enum class Kind : std::uint8_t { constant, uniform, normal, lognormal, pareto, empirical };

  // Zero latency, constant.
  LatencyModel() = default;

  static LatencyModel constant(Duration d);
  static LatencyModel uniform(Duration min, Duration max);
  static LatencyModel normal(Duration mean, Duration stddev);
  static LatencyModel lognormal(Duration mean, Duration stddev);
  static LatencyModel pareto(Duration scale, double shape);
  // Points are (latency, cumulative probability); rules of sim::EmpiricalCdf apply.
  static LatencyModel empirical(const std::vector<std::pair<Duration, double>>& points);

  Duration sample(sim::RandomStream& rng) const;

  Kind kind() const { return kind_; }
  // Theoretical mean and standard deviation in nanoseconds (+infinity when they do not exist).
  double mean_ns() const;
  double stddev_ns() const;
  // Canonical text form, e.g. "lognormal(mean=50ms, stddev=20ms)".
  std::string describe() const;

 private:
  Kind kind_ = Kind::constant;
  double a_ = 0;  // constant: value; uniform: min; normal/lognormal: mean; pareto: scale (all ns)
  double b_ = 0;  // uniform: max; normal/lognormal: stddev (ns); pareto: shape
  double mu_ = 0, sigma_ = 0;  // lognormal: parameters of the underlying normal (ln ns)
  // Shared because the points never change once built and links are copied freely.
  std::shared_ptr<const sim::EmpiricalCdf> cdf_;
};

// Jitter: an extra delay drawn uniformly from [0, jitter] and added to every latency draw (so it
// raises the mean by jitter/2). Drawn from the same stream as the latency, right after it.
Duration sample_jitter(Duration jitter, sim::RandomStream& rng);

}  // namespace gs::net
