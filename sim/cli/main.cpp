// gossipsim: the command-line entry point. Every failure is mapped to its exit code here:
// 0 success; 2 bad usage or invalid input (message names file:line:column and the key);
// 1 a run failed (an invariant broke: the message says which, with seed and virtual time).
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "base/assert.hpp"
#include "sim/cli/commands.hpp"
#include "sim/net/topology.hpp"
#include "sim/scenario/scenario.hpp"

#ifndef GOSSIPSIM_VERSION
#define GOSSIPSIM_VERSION "dev"
#endif

namespace {

constexpr const char* kFooter = R"(Examples:
  gossipsim run scenarios/default.yaml
  gossipsim run scenarios/default.yaml --seed 7 --set gossip.propagatePeerNum=5 --out results/f5
  gossipsim run scenarios/partition.yaml --trace --quiet
  gossipsim check scenarios/wan.yaml
  gossipsim params --profile fabric-2.5

Exit codes: 0 success, 2 bad usage or invalid input, 1 the run failed (invariant).
Scenario keys: docs/scenarios.md.  Report fields: docs/report.md.)";

void add_scenario_options(CLI::App* cmd, gs::cli::RunOptions& o) {
  cmd->add_option("scenario", o.scenario, "Scenario file (YAML)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--seed", o.seed, "Root seed (overrides the scenario's seed)");
  cmd->add_option("--set", o.sets, "Override a scenario key: KEY=VALUE (repeatable), e.g. gossip.propagatePeerNum=5");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gossipsim — deterministic simulator of Hyperledger Fabric's gossip layer"};
  app.footer(kFooter);
  app.set_version_flag("--version", std::string("gossipsim ") + GOSSIPSIM_VERSION);
  app.require_subcommand(1);

  gs::cli::RunOptions run;
  CLI::App* run_cmd = app.add_subcommand("run", "Run a scenario; write report.json, timeseries.csv, blocks.csv");
  add_scenario_options(run_cmd, run);
  run_cmd->add_option("--out", run.out, "Output directory (default: results/<scenario name>)");
  run_cmd->add_flag("--trace", run.trace, "Also write trace.jsonl: every message sent, delivered or dropped");
  run_cmd->add_flag("--quiet", run.quiet, "No progress line and no summary table");

  gs::cli::RunOptions check;
  CLI::App* check_cmd = app.add_subcommand("check", "Validate a scenario without running it");
  add_scenario_options(check_cmd, check);

  std::string profile;
  CLI::App* params_cmd = app.add_subcommand("params", "List every gossip key: default per profile, unit, meaning");
  params_cmd->add_option("--profile", profile, "Show one profile only (fabric-1.0, fabric-2.5, fabric-3.0)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  try {
    if (*run_cmd) return gs::cli::run_command(run);
    if (*check_cmd) return gs::cli::check_command(check);
    return gs::cli::params_command(profile);
  } catch (const gs::scenario::ScenarioError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  } catch (const gs::net::TopologyError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  } catch (const gs::InvariantViolation& e) {
    std::fprintf(stderr, "run failed: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "run failed: %s\n", e.what());
    return 1;
  }
}
