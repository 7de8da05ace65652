#include <catch2/catch.hpp>

#include <cmath>

#include "sim/sweep/stats.hpp"

using gs::sweep::estimate;
using gs::sweep::t_quantile_975;

TEST_CASE("Student t: 0.975 quantiles against the tables", "[sweep][stats]") {
  struct Case {
    std::size_t df;
    double t;
  };
  // Standard tables (e.g. NIST/SEMATECH e-Handbook, 1.3.6.7.2), 6 decimals.
  const std::vector<Case> cases{{1, 12.706205}, {2, 4.302653}, {3, 3.182446}, {4, 2.776445}, {5, 2.570582},
                                {9, 2.262157},  {19, 2.093024}, {29, 2.045230}, {99, 1.984217}, {1000, 1.962339}};
  for (const Case& c : cases) {
    INFO("df " << c.df);
    CHECK(t_quantile_975(c.df) == Approx(c.t).margin(1e-6));
  }
  CHECK_THROWS(t_quantile_975(0));
}

TEST_CASE("estimate: mean and 95% half-width t(0.975, n-1) s / sqrt(n), nulls left out", "[sweep][stats]") {
  // 1, 2, 3, 4: mean 2.5, s^2 = (2.25 + 0.25 + 0.25 + 2.25) / 3 = 5/3, half-width 3.182446 * sqrt(5/3) / 2.
  const auto e = estimate({1.0, std::nullopt, 2.0, 3.0, 4.0});
  CHECK(e.n == 4);
  REQUIRE(e.mean);
  CHECK(*e.mean == 2.5);
  REQUIRE(e.ci95);
  CHECK(*e.ci95 == Approx(3.182446 * std::sqrt(5.0 / 3.0) / 2).epsilon(1e-6));
  CHECK(*e.ci95 == Approx(2.054260).epsilon(1e-6));

  // Ten values 0..9: mean 4.5, s = sqrt(82.5 / 9), half-width 2.262157 * s / sqrt(10) = 2.165851.
  std::vector<std::optional<double>> ten;
  for (int i = 0; i < 10; ++i) ten.push_back(i);
  CHECK(*estimate(ten).ci95 == Approx(2.165851).epsilon(1e-6));

  const auto same = estimate({0.25, 0.25, 0.25});
  CHECK(*same.mean == 0.25);
  CHECK(*same.ci95 == 0.0);

  const auto one = estimate({std::nullopt, 7.0});
  CHECK(one.n == 1);
  CHECK(*one.mean == 7.0);
  CHECK_FALSE(one.ci95);

  const auto none = estimate({std::nullopt, std::nullopt});
  CHECK(none.n == 0);
  CHECK_FALSE(none.mean);
  CHECK_FALSE(none.ci95);
  CHECK(estimate({}).n == 0);
}
