// The gossipsim subcommands (DESIGN.md "CLI"). Each returns the process exit code; bad
// input is thrown (ScenarioError, TopologyError) and mapped to exit code 2 by main.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace gs::scenario {
struct Scenario;
}

namespace gs::cli {

struct RunOptions {
  std::string scenario;
  std::optional<std::uint64_t> seed;
  std::vector<std::string> sets;  // KEY=VALUE
  std::string out;                // default results/<scenario name>
  bool trace = false;
  bool quiet = false;
  bool resolved = false;  // check --resolved: every gossip key's value and where it came from
};

// gossipsim sweep (docs/sweeps.md). Bad input and unusable sweep directories throw
// ScenarioError / sweep::SweepError (exit 2).
struct SweepOptions {
  std::string scenario;
  std::vector<std::string> vary;          // KEY=VALUES
  std::vector<std::string> sets;          // fixed KEY=VALUE
  std::optional<std::uint64_t> seeds;     // --seeds N
  std::uint64_t first_seed = 1;
  std::optional<std::size_t> jobs;        // default: the cores this process may use
  std::string out;
  bool plan = false;
  std::string binary;                     // the gossipsim in run command lines (default: this one)
  std::string collect;                    // --collect DIR
  bool partial = false;
  bool quiet = false;
};

int run_command(const RunOptions& o);
int sweep_command(const SweepOptions& o);
int check_command(const RunOptions& o);
int params_command(const std::string& profile_filter);

// The scenario of `run` / `check`, with --set and --seed applied.
scenario::Scenario load_scenario(const RunOptions& o);
// "warning: file:line:column: ..." on stderr for each of the scenario's warnings.
void print_warnings(const scenario::Scenario& s);

// Splits KEY=VALUE; throws ScenarioError naming the option when malformed.
std::vector<std::pair<std::string, std::string>> parse_sets(const std::vector<std::string>& sets);

}  // namespace gs::cli
