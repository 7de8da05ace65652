#include <catch2/catch.hpp>

#include "sim/scenario/scenario.hpp"
#include "sim/sweep/grid.hpp"

using gs::scenario::ScenarioError;
using gs::sweep::Axis;
using gs::sweep::Grid;
using gs::sweep::parse_vary;
using Values = std::vector<std::string>;

TEST_CASE("grid --vary: lists, ranges and YAML values expand to verbatim --set strings", "[sweep][grid]") {
  struct Case {
    const char* text;
    const char* key;
    Values values;
  };
  const std::vector<Case> cases{
      {"network.loss=0,0.05", "network.loss", {"0", "0.05"}},
      {"gossip.propagatePeerNum=1..6", "gossip.propagatePeerNum", {"1", "2", "3", "4", "5", "6"}},
      {"gossip.propagatePeerNum=4..4", "gossip.propagatePeerNum", {"4"}},
      {"k=1..10:3", "k", {"1", "4", "7", "10"}},
      {"k=1..9:3", "k", {"1", "4", "7"}},  // stops at the last value not above the end, as seq does
      {"network.loss=0..0.1:0.02", "network.loss", {"0", "0.02", "0.04", "0.06", "0.08", "0.1"}},
      {"k=0.5..2:0.5", "k", {"0.5", "1", "1.5", "2"}},
      {"k=-1..1", "k", {"-1", "0", "1"}},
      {"k=-0.2..0:0.1", "k", {"-0.2", "-0.1", "0"}},
      {"k=0,1..3,10", "k", {"0", "1", "2", "3", "10"}},
      {"duration=10s,1m30s", "duration", {"10s", "1m30s"}},
      {"orgs={count: 2, peers: 3},{count: 4, peers: 1}", "orgs", {"{count: 2, peers: 3}", "{count: 4, peers: 1}"}},
      {"k=[1, 2],'a,b',\"1..2\"", "k", {"[1, 2]", "'a,b'", "\"1..2\""}},
      {"k= 1 , 2", "k", {"1", "2"}},
      {"a.b=x", "a.b", {"x"}},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    const Axis a = parse_vary(c.text);
    CHECK(a.key == c.key);
    CHECK(a.values == c.values);
  }
}

TEST_CASE("grid --vary: malformed lists and ranges are errors naming the option", "[sweep][grid][errors]") {
  struct Case {
    const char* text;
    const char* message;
  };
  const std::vector<Case> cases{
      {"gossip.propagatePeerNum", "expected KEY=VALUES"},
      {"=1,2", "expected KEY=VALUES"},
      {"k=", "empty value"},
      {"k=1,,2", "empty value"},
      {"k=1,", "empty value"},
      {"k=1,2,1", "value \"1\" is listed twice"},
      {"k=1..3,2", "value \"2\" is listed twice"},
      {"k=3..1", "is empty"},
      {"k=1..x", "bad range \"1..x\""},
      {"k=1s..5s", "bad range"},
      {"k=1..", "bad range"},
      {"k=1..2:", "bad range"},
      {"k=1..5:0", "the step must be positive"},
      {"k=1..5:-1", "the step must be positive"},
      {"k=0..0.1", "decimals need a step"},
      {"k=1..1000000", "more than 100000 values"},
      {"k=1..2:0.000000000000000001", "bad range"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    try {
      parse_vary(c.text);
      FAIL("no error");
    } catch (const ScenarioError& e) {
      CHECK_THAT(e.what(), Catch::Contains(std::string("--vary ") + c.text));
      CHECK_THAT(e.what(), Catch::Contains(c.message));
    }
  }
}

TEST_CASE("grid --vary: a key varied twice or the seed is refused", "[sweep][grid][errors]") {
  CHECK_THROWS_WITH(gs::sweep::check_axes({parse_vary("k=1,2"), parse_vary("j=1"), parse_vary("k=3")}),
                    Catch::Contains("k: this key is varied twice"));
  CHECK_THROWS_WITH(gs::sweep::check_axes({parse_vary("seed=1,2")}), Catch::Contains("--seeds"));
  CHECK_NOTHROW(gs::sweep::check_axes({parse_vary("k=1,2"), parse_vary("j=1")}));
}

TEST_CASE("seeds: --seeds N from --first-seed", "[sweep][grid]") {
  CHECK(gs::sweep::seed_range(1, 3) == std::vector<std::uint64_t>{1, 2, 3});
  CHECK(gs::sweep::seed_range(100, 2) == std::vector<std::uint64_t>{100, 101});
  CHECK_THROWS_WITH(gs::sweep::seed_range(1, 0), Catch::Contains("at least 1 seed"));
  CHECK_THROWS_WITH(gs::sweep::seed_range(UINT64_MAX, 2), Catch::Contains("64 bits"));
  CHECK(gs::sweep::seed_range(UINT64_MAX, 1) == std::vector<std::uint64_t>{UINT64_MAX});
}

TEST_CASE("grid: the first axis varies slowest, then the seed; run ids depend on point and seed only", "[sweep][grid]") {
  Grid g{{Axis{"a", {"1", "2"}}, Axis{"b", {"x", "y", "z"}}}, {7, 8}};
  REQUIRE(g.point_count() == 6);
  CHECK(g.point_values(0) == Values{"1", "x"});
  CHECK(g.point_values(1) == Values{"1", "y"});
  CHECK(g.point_values(2) == Values{"1", "z"});
  CHECK(g.point_values(3) == Values{"2", "x"});
  CHECK(g.point_values(5) == Values{"2", "z"});
  const auto runs = gs::sweep::expand(g);
  REQUIRE(runs.size() == 12);
  CHECK(runs[0].run_id == "p000-s07");
  CHECK(runs[1].run_id == "p000-s08");
  CHECK(runs[2].run_id == "p001-s07");
  CHECK(runs[11].run_id == "p005-s08");
  CHECK(runs[11].point == 5);
  CHECK(runs[11].seed == 8);
  CHECK(gs::sweep::run_id(1234, 100) == "p1234-s100");

  const Grid nothing_varied{{}, {1, 2}};
  CHECK(nothing_varied.point_count() == 1);
  CHECK(nothing_varied.point_values(0).empty());
  CHECK(gs::sweep::expand(nothing_varied).size() == 2);
}
