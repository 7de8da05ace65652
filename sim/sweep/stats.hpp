// Per-grid-point statistics of a sweep (docs/sweeps.md "summary.csv"): mean and the
// half-width of the 95% confidence interval of the mean, Student t.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

namespace gs::sweep {

// The 0.975 quantile of Student's t distribution with `df` degrees of freedom (df >= 1):
// t(0.975, 9) = 2.262157...
double t_quantile_975(std::size_t df);

struct Estimate {
  std::size_t n = 0;             // values present
  std::optional<double> mean;    // none when n = 0
  std::optional<double> ci95;    // t(0.975, n-1) * s / sqrt(n), s the sample standard deviation; none when n < 2
};

// Absent values (a figure that was null in a run) are left out. Sums run in the given
// order, so the result is the same on every machine for the same input.
Estimate estimate(const std::vector<std::optional<double>>& values);

}  // namespace gs::sweep
