#include "sim/sweep/stats.hpp"

#include <cmath>
#include <stdexcept>

#include <boost/math/distributions/students_t.hpp>

namespace gs::sweep {

double t_quantile_975(std::size_t df) {
  if (df == 0) throw std::invalid_argument("t quantile: needs at least 1 degree of freedom");
  const boost::math::students_t dist(static_cast<double>(df));
  return boost::math::quantile(dist, 0.975);
}

Estimate estimate(const std::vector<std::optional<double>>& values) {
  Estimate e;
  double sum = 0;
  for (const auto& v : values)
    if (v) {
      ++e.n;
      sum += *v;
    }
  if (e.n == 0) return e;
  const double mean = sum / static_cast<double>(e.n);
  e.mean = mean;
  if (e.n < 2) return e;
  double squares = 0;  // two passes: no cancellation when the values are close together
  for (const auto& v : values)
    if (v) squares += (*v - mean) * (*v - mean);
  const double n = static_cast<double>(e.n);
  const double sd = std::sqrt(squares / (n - 1));
  e.ci95 = t_quantile_975(e.n - 1) * sd / std::sqrt(n);
  return e;
}

}  // namespace gs::sweep
