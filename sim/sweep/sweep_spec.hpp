// What a sweep is (docs/sweeps.md "sweep.json"): the scenario, the fixed --set overrides,
// the grid, and per grid point a digest of the fully resolved configuration, so that a run
// made with another configuration (the scenario file was edited, a --set changed) is never
// mixed into the results.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/sweep/grid.hpp"

namespace gs::sweep {

inline constexpr const char* kSweepSchema = "gossipsim.sweep/1";

struct SweepSpec {
  std::string scenario;                    // the scenario path, as given on the command line
  std::vector<std::pair<std::string, std::string>> sets;  // fixed --set KEY=VALUE, in order
  Grid grid;
  std::vector<std::string> point_digests;  // per grid point: config_digest() of its resolved config
  // Per grid point: the scenario's warnings (make_spec only; not kept in sweep.json).
  std::vector<std::vector<std::string>> point_warnings;
};

// "key=value, key=value" of a grid point ("nothing varied" without axes).
std::string describe_point(const Grid& g, std::size_t point);

// Loads the scenario once with the fixed overrides and once per grid point (every key and
// value checked before anything runs: ScenarioError, exit 2) and computes the digests and
// keeps the warnings.
SweepSpec make_spec(const std::string& scenario, std::vector<std::pair<std::string, std::string>> sets, Grid grid);

// The --set overrides of a point: the fixed ones, then one per axis.
std::vector<std::pair<std::string, std::string>> point_overrides(const SweepSpec& spec, std::size_t point);

// FNV-1a 64 of a report's `config` without its `seed`, `name` and `description` fields, as
// 16 hex digits.
std::string config_digest(nlohmann::ordered_json config);

nlohmann::ordered_json to_json(const SweepSpec& spec);
// Throws SweepError naming `where` when the document is not a gossipsim.sweep/1 file.
SweepSpec spec_from_json(const nlohmann::ordered_json& j, const std::string& where);

// Why runs made for `old` cannot be reused for `now` (another grid, another resolved
// configuration of a point), or "" when they can. Seeds, the scenario path and the spelling
// of the --sets may differ.
std::string incompatibility(const SweepSpec& old, const SweepSpec& now);

}  // namespace gs::sweep
