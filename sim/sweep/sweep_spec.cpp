#include "sim/sweep/sweep_spec.hpp"

#include <cstdint>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sim/report/report.hpp"
#include "sim/scenario/scenario_loader.hpp"
#include "sim/sweep/sweep_error.hpp"

namespace gs::sweep {

using json = nlohmann::ordered_json;

std::string describe_point(const Grid& g, std::size_t point) {
  const std::vector<std::string> values = g.point_values(point);
  if (values.empty()) return "nothing varied";
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i) out += fmt::format("{}{}={}", i ? ", " : "", g.axes[i].key, values[i]);
  return out;
}

namespace {

std::string fnv1a64(const std::string& text) {
  std::uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return fmt::format("{:016x}", h);
}

[[noreturn]] void bad(const std::string& where, const std::string& what) {
  throw SweepError(fmt::format("{}: {}", where, what));
}

}  // namespace

SweepSpec make_spec(const std::string& scenario, std::vector<std::pair<std::string, std::string>> sets, Grid grid) {
  check_axes(grid.axes);
  for (const auto& [key, value] : sets) {
    if (key == "seed") throw scenario::ScenarioError({"--set seed=" + value, 0, 0}, key, "a sweep's seeds are given with --seeds N and --first-seed S");
    for (const Axis& a : grid.axes)
      if (a.key == key)
        throw scenario::ScenarioError({fmt::format("--set {}={}", key, value), 0, 0}, key, "this key is also varied (--vary)");
  }
  SweepSpec spec{scenario, std::move(sets), std::move(grid), {}, {}};
  // The fixed part first, so that its mistakes are reported as they are, without a point.
  scenario::LoadOptions base;
  base.overrides = spec.sets;
  base.seed = spec.grid.seeds.front();
  (void)scenario::load_scenario_file(scenario, base);
  for (std::size_t p = 0; p < spec.grid.point_count(); ++p) {
    scenario::LoadOptions lo = base;
    lo.overrides = point_overrides(spec, p);
    try {
      const scenario::Scenario s = scenario::load_scenario_file(scenario, lo);
      spec.point_digests.push_back(config_digest(report::config_json(s)));
      std::vector<std::string>& warnings = spec.point_warnings.emplace_back();
      for (const scenario::ScenarioWarning& w : s.warnings) warnings.push_back(w.text());
    } catch (const scenario::ScenarioError& e) {
      throw scenario::ScenarioError({"--vary: grid point " + describe_point(spec.grid, p), 0, 0}, "", e.what());
    }
  }
  return spec;
}

std::vector<std::pair<std::string, std::string>> point_overrides(const SweepSpec& spec, std::size_t point) {
  std::vector<std::pair<std::string, std::string>> out = spec.sets;
  const std::vector<std::string> values = spec.grid.point_values(point);
  for (std::size_t i = 0; i < values.size(); ++i) out.emplace_back(spec.grid.axes[i].key, values[i]);
  return out;
}

std::string config_digest(json config) {
  // The seed is the run's own; the name and description do not change what a run does, nor
  // does the path of an imported core.yaml (its values are in `gossip`).
  if (config.is_object())
    for (const char* k : {"seed", "name", "description", "gossip_import"}) config.erase(k);
  return fnv1a64(config.dump());
}

json to_json(const SweepSpec& spec) {
  json j;
  j["schema"] = kSweepSchema;
  j["scenario"] = spec.scenario;
  json vary = json::array();
  for (const Axis& a : spec.grid.axes) vary.push_back({{"key", a.key}, {"values", a.values}});
  j["vary"] = vary;
  j["seeds"] = spec.grid.seeds;
  json sets = json::array();
  for (const auto& [k, v] : spec.sets) sets.push_back(k + "=" + v);
  j["sets"] = sets;
  json points = json::array();
  for (std::size_t p = 0; p < spec.grid.point_count(); ++p)
    points.push_back({{"point", p}, {"values", spec.grid.point_values(p)}, {"config_digest", spec.point_digests.at(p)}});
  j["points"] = points;
  return j;
}

SweepSpec spec_from_json(const json& j, const std::string& where) {
  try {
    if (!j.is_object() || j.value("schema", "") != kSweepSchema) bad(where, fmt::format("not a {} file", kSweepSchema));
    SweepSpec spec;
    spec.scenario = j.at("scenario").get<std::string>();
    for (const json& a : j.at("vary")) spec.grid.axes.push_back(Axis{a.at("key").get<std::string>(), a.at("values").get<std::vector<std::string>>()});
    spec.grid.seeds = j.at("seeds").get<std::vector<std::uint64_t>>();
    for (const json& s : j.at("sets")) {
      const std::string kv = s.get<std::string>();
      const std::size_t eq = kv.find('=');
      if (eq == std::string::npos) bad(where, fmt::format("sets: \"{}\" is not KEY=VALUE", kv));
      spec.sets.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    }
    const json& points = j.at("points");
    if (points.size() != spec.grid.point_count())
      bad(where, fmt::format("{} points listed, the grid has {}", points.size(), spec.grid.point_count()));
    for (const json& p : points) spec.point_digests.push_back(p.at("config_digest").get<std::string>());
    for (const Axis& a : spec.grid.axes)
      if (a.values.empty()) bad(where, fmt::format("vary: {} has no values", a.key));
    if (spec.grid.seeds.empty()) bad(where, "no seeds");
    return spec;
  } catch (const json::exception& e) {
    bad(where, fmt::format("malformed: {}", e.what()));
  }
}

std::string incompatibility(const SweepSpec& old, const SweepSpec& now) {
  auto keys = [](const Grid& g) {
    std::string out;
    for (const Axis& a : g.axes) out += (out.empty() ? "" : ", ") + a.key;
    return out.empty() ? std::string("nothing") : out;
  };
  if (old.grid.axes.size() != now.grid.axes.size())
    return fmt::format("it varies {}, this sweep varies {}", keys(old.grid), keys(now.grid));
  for (std::size_t i = 0; i < old.grid.axes.size(); ++i) {
    const Axis& a = old.grid.axes[i];
    const Axis& b = now.grid.axes[i];
    if (a.key != b.key) return fmt::format("it varies {}, this sweep varies {}", keys(old.grid), keys(now.grid));
    if (a.values != b.values)
      return fmt::format("it varies {} over {}, this sweep over {}", a.key, fmt::join(a.values, ","), fmt::join(b.values, ","));
  }
  for (std::size_t p = 0; p < old.point_digests.size(); ++p)
    if (old.point_digests[p] != now.point_digests.at(p))
      return fmt::format("grid point {} ({}) resolves to another configuration (the scenario file or a --set changed)", p,
                         describe_point(now.grid, p));
  return "";
}

}  // namespace gs::sweep
