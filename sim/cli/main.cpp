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
#include "sim/sweep/sweep_error.hpp"

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
  gossipsim sweep scenarios/default.yaml --vary gossip.propagatePeerNum=1..6 --seeds 10 --out results/sweep-f
  gossipsim sweep scenarios/default.yaml --vary network.loss=0..0.1:0.02 --seeds 10 --plan --out results/sweep-loss | parallel
  gossipsim sweep --collect results/sweep-loss

Exit codes: 0 success, 2 bad usage or invalid input, 1 the run failed (invariant).
Scenario keys: docs/scenarios.md.  Report fields: docs/report.md.  Sweeps: docs/sweeps.md.)";

constexpr const char* kSweepFooter = R"(Examples:
  gossipsim sweep scenarios/default.yaml --vary gossip.propagatePeerNum=1..6 --seeds 10 --out results/sweep-f
  gossipsim sweep scenarios/wan.yaml --vary network.loss=0,0.02,0.05 --vary gossip.pullInterval=2s,4s \
      --set duration=2m --seeds 5 --first-seed 100 --jobs 2 --out results/sweep-wan
  gossipsim sweep scenarios/default.yaml --vary network.loss=0..0.1:0.02 --seeds 10 --out results/sweep-loss \
      --plan | parallel -j 8                        # or: a Slurm array over results/sweep-loss/plan.txt
  gossipsim sweep --collect results/sweep-loss

Values: lists 0,0.05 | integer ranges 1..6 | ranges with a step 0..0.1:0.02; each value is a
--set string (2s, 1KiB, {count: 2, peers: 3}). Seeds: --seeds N runs seeds 1..N (--first-seed S: S..S+N-1).
DIR gets sweep.json, runs/<run_id>/ (one `gossipsim run` output each), runs.csv, summary.csv.
Re-running the same command skips finished runs (a run is finished when its report.json exists).
Exit codes: 0 success, 2 bad usage or input (nothing run), 1 a run failed (the others are kept),
128+signal when interrupted (finished runs are kept).  Details: docs/sweeps.md.)";

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

  gs::cli::SweepOptions sweep;
  CLI::App* sweep_cmd = app.add_subcommand("sweep", "Run a grid of parameter values x seeds; write runs.csv and summary.csv");
  sweep_cmd->footer(kSweepFooter);
  sweep_cmd->add_option("scenario", sweep.scenario, "Scenario file (YAML)")->check(CLI::ExistingFile);
  sweep_cmd->add_option("--vary", sweep.vary, "A varied key: KEY=V1,V2,... or KEY=A..B or KEY=A..B:STEP (repeatable; the first varies slowest)")
      ->allow_extra_args(false);
  sweep_cmd->add_option("--set", sweep.sets, "Override a scenario key in every run: KEY=VALUE (repeatable)")->allow_extra_args(false);
  sweep_cmd->add_option("--seeds", sweep.seeds, "Seeds per grid point: N runs seeds first-seed..first-seed+N-1");
  sweep_cmd->add_option("--first-seed", sweep.first_seed, "First seed")->capture_default_str();
  sweep_cmd->add_option("--jobs,-j", sweep.jobs, "Runs at the same time (default: the number of cores)");
  sweep_cmd->add_option("--out", sweep.out, "Sweep directory: sweep.json, runs/<run_id>/, runs.csv, summary.csv");
  sweep_cmd->add_flag("--plan", sweep.plan,
                      "Run nothing: print one command line per unfinished run (also written to DIR/plan.txt) for GNU "
                      "parallel, ssh hosts or a Slurm array; then use --collect");
  sweep_cmd->add_option("--binary", sweep.binary, "The gossipsim executable named in the run command lines (default: this one)");
  sweep_cmd->add_option("--collect", sweep.collect, "Aggregate DIR/runs/*/report.json into DIR/runs.csv and DIR/summary.csv");
  sweep_cmd->add_flag("--partial", sweep.partial, "With --collect: aggregate the finished runs even when some are missing");
  sweep_cmd->add_flag("--quiet", sweep.quiet, "No progress line, no summary; errors only");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  try {
    if (*run_cmd) return gs::cli::run_command(run);
    if (*check_cmd) return gs::cli::check_command(check);
    if (*sweep_cmd) return gs::cli::sweep_command(sweep);
    return gs::cli::params_command(profile);
  } catch (const gs::scenario::ScenarioError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  } catch (const gs::sweep::SweepError& e) {
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
