// gossipsim: the command-line entry point. Every failure is mapped to its exit code here:
// 0 success; 2 bad usage or invalid input (message names file:line:column and the key);
// 1 a run failed (an invariant broke: the message says which, with seed and virtual time).
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

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
  gossipsim check scenarios/partition-heal.yaml --resolved
  gossipsim params --profile fabric-2.5
  gossipsim sweep scenarios/default.yaml --vary gossip.propagatePeerNum=1..6 --seeds 10 --out results/sweep-f
  gossipsim help run

Exit codes: 0 success, 2 bad usage or invalid input, 1 the run failed (invariant).
Scenario keys: docs/scenarios.md.  Report fields: docs/report.md.  Sweeps: docs/sweeps.md.)";

constexpr const char* kRunFooter = R"(Examples:
  gossipsim run scenarios/default.yaml                        # writes results/default/
  gossipsim run scenarios/default.yaml --seed 7 --set gossip.propagatePeerNum=5 --out results/f5
  gossipsim run scenarios/partition-heal.yaml --set duration=2m --trace --quiet --out results/ph

Outputs, each written atomically (docs/report.md): report.json (last), timeseries.csv, blocks.csv,
receipts.csv, and trace.jsonl with --trace. Warnings about the scenario (e.g. a workload that injects
no block before the end) go to stderr, with --quiet too.
Exit codes: 0 success, 2 invalid scenario or usage (nothing written), 1 the run failed (invariant).)";

constexpr const char* kCheckFooter = R"(Examples:
  gossipsim check scenarios/wan.yaml
  gossipsim check scenarios/core-yaml-import.yaml --resolved      # each gossip key: value, where it came from
  gossipsim check scenarios/default.yaml --set duration=20s       # warns: no block is injected before the end

Errors name file:line:column and the key (docs/scenarios.md); warnings go to stderr.
Exit codes: 0 valid (with or without warnings), 2 invalid.)";

constexpr const char* kParamsFooter = R"(Examples:
  gossipsim params
  gossipsim params --profile fabric-3.0

What one scenario resolves to (profile, core.yaml import, its keys, --set): gossipsim check FILE --resolved)";

constexpr const char* kHelpFooter = R"(Examples:
  gossipsim help
  gossipsim help sweep)";

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
  CLI::App* run_cmd = app.add_subcommand(
      "run", "Run a scenario; write report.json, timeseries.csv, blocks.csv, receipts.csv (and trace.jsonl with --trace)");
  run_cmd->footer(kRunFooter);
  add_scenario_options(run_cmd, run);
  run_cmd->add_option("--out", run.out, "Output directory (default: results/<scenario name>)");
  run_cmd->add_flag("--trace", run.trace, "Also write trace.jsonl: every message sent, delivered or dropped");
  run_cmd->add_flag("--quiet", run.quiet, "No progress line and no summary table");

  gs::cli::RunOptions check;
  CLI::App* check_cmd = app.add_subcommand("check", "Validate a scenario without running it");
  check_cmd->footer(kCheckFooter);
  add_scenario_options(check_cmd, check);
  check_cmd->add_flag("--resolved", check.resolved,
                      "Also print every gossip key's effective value and where it came from (profile default, "
                      "core.yaml, Fabric code default, scenario, --set)");

  std::string profile;
  CLI::App* params_cmd = app.add_subcommand("params", "List every gossip key: default per profile, unit, meaning");
  params_cmd->footer(kParamsFooter);
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

  std::string help_topic;
  CLI::App* help_cmd = app.add_subcommand("help", "Print this help, or a subcommand's");
  help_cmd->footer(kHelpFooter);
  help_cmd->add_option("subcommand", help_topic, "run, check, params, sweep or help");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (*help_cmd) {
    if (help_topic.empty()) {
      std::fputs(app.get_formatter()->make_help(&app, app.get_name(), CLI::AppFormatMode::Normal).c_str(), stdout);
      return 0;
    }
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands({})) {
      if (sub->get_name() == help_topic) {
        std::fputs(sub->help(app.get_name()).c_str(), stdout);
        return 0;
      }
      names.push_back(sub->get_name());
    }
    std::fprintf(stderr, "error: help: unknown subcommand \"%s\" (one of %s)\n", help_topic.c_str(),
                 fmt::format("{}", fmt::join(names, ", ")).c_str());
    return 2;
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
