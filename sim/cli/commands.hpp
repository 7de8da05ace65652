// The gossipsim subcommands (DESIGN.md "CLI"). Each returns the process exit code; bad
// input is thrown (ScenarioError, TopologyError) and mapped to exit code 2 by main.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace gs::cli {

struct RunOptions {
  std::string scenario;
  std::optional<std::uint64_t> seed;
  std::vector<std::string> sets;  // KEY=VALUE
  std::string out;                // default results/<scenario name>
  bool trace = false;
  bool quiet = false;
};

int run_command(const RunOptions& o);
int check_command(const RunOptions& o);
int params_command(const std::string& profile_filter);

// Splits KEY=VALUE; throws ScenarioError naming the option when malformed.
std::vector<std::pair<std::string, std::string>> parse_sets(const std::vector<std::string>& sets);

}  // namespace gs::cli
