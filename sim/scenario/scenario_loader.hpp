// Loads and validates a scenario file (DESIGN.md "Scenario files"; docs/scenarios.md).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/scenario/scenario.hpp"

namespace gs::scenario {

struct LoadOptions {
  // --set KEY=VALUE, applied to the YAML tree before validation, in order.
  std::vector<std::pair<std::string, std::string>> overrides;
  std::optional<std::uint64_t> seed;  // --seed
};

// Throws ScenarioError (file:line:column, key, what was expected) on any mistake.
Scenario load_scenario_file(const std::string& path, const LoadOptions& options = {});
Scenario load_scenario_text(const std::string& yaml, const std::string& source_name,
                            const LoadOptions& options = {});

}  // namespace gs::scenario
