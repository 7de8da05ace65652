#include <catch2/catch.hpp>

#include "sim/scenario/scenario.hpp"
#include "sim/sweep/plan.hpp"
#include "sim/sweep/sweep_error.hpp"
#include "sim/sweep/sweep_spec.hpp"

using gs::scenario::ScenarioError;
using gs::sweep::Axis;
using gs::sweep::Grid;
using gs::sweep::SweepSpec;

namespace {

const std::string kTiny = std::string(GOSSIPSIM_TESTDATA) + "/sweep/tiny.yaml";

SweepSpec tiny_spec(std::vector<Axis> axes, std::vector<std::pair<std::string, std::string>> sets = {}) {
  return gs::sweep::make_spec(kTiny, std::move(sets), Grid{std::move(axes), {1, 2}});
}

}  // namespace

TEST_CASE("sweep spec: every grid point is loaded up front; a bad key or value names the point", "[sweep][spec][errors]") {
  const SweepSpec ok = tiny_spec({Axis{"gossip.propagatePeerNum", {"1", "2"}}, Axis{"network.loss", {"0", "0.05"}}},
                                 {{"duration", "10s"}});
  REQUIRE(ok.point_digests.size() == 4);
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t j = i + 1; j < 4; ++j) CHECK(ok.point_digests[i] != ok.point_digests[j]);

  CHECK_THROWS_WITH(tiny_spec({Axis{"gossip.propagatePeerNu", {"1"}}}),
                    Catch::Contains("grid point gossip.propagatePeerNu=1") && Catch::Contains("did you mean \"propagatePeerNum\""));
  CHECK_THROWS_WITH(tiny_spec({Axis{"network.loss", {"0", "1.5"}}}),
                    Catch::Contains("grid point network.loss=1.5") && Catch::Contains("expected a probability"));
  CHECK_THROWS_WITH(tiny_spec({Axis{"network.loss", {"0"}}}, {{"network.loss", "0.1"}}), Catch::Contains("also varied"));
  CHECK_THROWS_WITH(tiny_spec({}, {{"seed", "3"}}), Catch::Contains("--seeds"));
  CHECK_THROWS_WITH(tiny_spec({}, {{"duration", "-1s"}}), Catch::Contains("--set duration=-1s"));
  CHECK_THROWS_AS(gs::sweep::make_spec(kTiny + ".missing", {}, Grid{{}, {1}}), ScenarioError);
}

TEST_CASE("sweep spec: sweep.json round trip; only seeds may change between invocations", "[sweep][spec]") {
  const SweepSpec a = tiny_spec({Axis{"gossip.propagatePeerNum", {"1", "2"}}}, {{"duration", "10s"}});
  const auto j = gs::sweep::to_json(a);
  CHECK(j["schema"] == "gossipsim.sweep/1");
  CHECK(j["vary"][0]["key"] == "gossip.propagatePeerNum");
  CHECK(j["vary"][0]["values"] == nlohmann::ordered_json({"1", "2"}));
  CHECK(j["seeds"] == nlohmann::ordered_json({1, 2}));
  CHECK(j["sets"] == nlohmann::ordered_json({"duration=10s"}));
  CHECK(j["points"][1]["values"] == nlohmann::ordered_json({"2"}));
  const SweepSpec back = gs::sweep::spec_from_json(j, "sweep.json");
  CHECK(back.scenario == a.scenario);
  CHECK(back.sets == a.sets);
  CHECK(back.grid.seeds == a.grid.seeds);
  CHECK(back.point_digests == a.point_digests);
  CHECK(gs::sweep::incompatibility(back, a).empty());

  SweepSpec more_seeds = gs::sweep::make_spec(kTiny, {{"duration", "10s"}}, Grid{a.grid.axes, {1, 2, 3}});
  CHECK(gs::sweep::incompatibility(a, more_seeds).empty());
  const SweepSpec same_config = tiny_spec({Axis{"gossip.propagatePeerNum", {"1", "2"}}}, {{"duration", "10000ms"}});
  CHECK(gs::sweep::incompatibility(a, same_config).empty());  // another spelling of the same configuration
  CHECK_THAT(gs::sweep::incompatibility(a, tiny_spec({Axis{"gossip.propagatePeerNum", {"1", "3"}}}, {{"duration", "10s"}})),
             Catch::Contains("over 1,2, this sweep over 1,3"));
  CHECK_THAT(gs::sweep::incompatibility(a, tiny_spec({Axis{"gossip.propagatePeerNum", {"1", "2"}}}, {{"duration", "11s"}})),
             Catch::Contains("grid point 0 (gossip.propagatePeerNum=1) resolves to another configuration"));
  CHECK_THAT(gs::sweep::incompatibility(a, tiny_spec({Axis{"network.loss", {"0", "0.1"}}}, {{"duration", "10s"}})),
             Catch::Contains("it varies gossip.propagatePeerNum, this sweep varies network.loss"));

  auto broken = j;
  broken["points"].erase(0);
  CHECK_THROWS_WITH(gs::sweep::spec_from_json(broken, "d/sweep.json"), Catch::Contains("d/sweep.json: 1 points listed, the grid has 2"));
  CHECK_THROWS_AS(gs::sweep::spec_from_json(nlohmann::ordered_json{{"schema", "gossipsim.report/1"}}, "x"), gs::sweep::SweepError);
  auto no_seeds = j;
  no_seeds.erase("seeds");
  CHECK_THROWS_WITH(gs::sweep::spec_from_json(no_seeds, "x"), Catch::Contains("malformed"));
}

TEST_CASE("plan: one gossipsim run command line per run, shell-quoted", "[sweep][plan]") {
  CHECK(gs::sweep::shell_quote("gossip.propagatePeerNum=3") == "gossip.propagatePeerNum=3");
  CHECK(gs::sweep::shell_quote("/a/b-c_d.yaml") == "/a/b-c_d.yaml");
  CHECK(gs::sweep::shell_quote("orgs={count: 2, peers: 3}") == "'orgs={count: 2, peers: 3}'");
  CHECK(gs::sweep::shell_quote("it's") == "'it'\\''s'");
  CHECK(gs::sweep::shell_quote("") == "''");
  CHECK(gs::sweep::shell_quote("$HOME") == "'$HOME'");

  SweepSpec spec;
  spec.scenario = "my scenario.yaml";
  spec.sets = {{"duration", "20s"}};
  spec.grid = Grid{{Axis{"gossip.propagatePeerNum", {"1", "2"}}, Axis{"network.loss", {"0", "0.05"}}}, {1, 2}};
  const auto runs = gs::sweep::expand(spec.grid);
  const auto argv = gs::sweep::run_argv(spec, runs[5], "/opt/gossipsim", "out");
  CHECK(runs[5].run_id == "p002-s02");
  CHECK(gs::sweep::command_line(argv) ==
        "/opt/gossipsim run 'my scenario.yaml' --seed 2 --set duration=20s --set gossip.propagatePeerNum=2 "
        "--set network.loss=0 --out out/runs/p002-s02 --quiet");
  CHECK(gs::sweep::run_dir("d", "p000-s01") == "d/runs/p000-s01");
}
