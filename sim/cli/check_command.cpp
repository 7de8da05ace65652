// `gossipsim check`: validates a scenario without running it, prints its warnings, and
// with --resolved every gossip key's effective value and where it came from.
#include <cstdio>
#include <string>

#include <fmt/format.h>

#include "sim/cli/commands.hpp"
#include "sim/cli/text.hpp"
#include "sim/scenario/params.hpp"
#include "sim/scenario/scenario_loader.hpp"

namespace gs::cli {

namespace {

std::string origin_text(const scenario::Scenario& s, const scenario::ParamInfo& p) {
  using scenario::ParamOrigin;
  const auto it = s.gossip_sources.find(p.key);
  if (it == s.gossip_sources.end())
    return fmt::format("profile {} default", proto::to_string(s.gossip.profile));
  const scenario::ParamSource& src = it->second;
  switch (src.origin) {
    case ParamOrigin::core_yaml: return "import " + scenario::to_string(src.loc);
    case ParamOrigin::code_default: {
      const scenario::CodeDefault* d = scenario::find_code_default(p.key);
      const std::string rule = d == nullptr ? "" : fmt::format(" {}", d->text);
      return src.loc.line > 0 ? fmt::format("Fabric code default{} (0 at {})", rule, scenario::to_string(src.loc))
                              : fmt::format("Fabric code default{} (not in the imported file)", rule);
    }
    case ParamOrigin::scenario: return "scenario " + scenario::to_string(src.loc);
    case ParamOrigin::option: return src.loc.file;
  }
  return "?";
}

void print_resolved(const scenario::Scenario& s) {
  std::printf("\ngossip keys as the run uses them (profile %s%s):\n", std::string(proto::to_string(s.gossip.profile)).c_str(),
              s.gossip_import.empty() ? "" : fmt::format(", gossip.import {}", s.gossip_import).c_str());
  TextTable t({{"key"}, {"value", Align::right}, {"from"}});
  for (const scenario::ParamInfo& p : scenario::gossip_params())
    t.add({std::string(p.key), scenario::format_param(scenario::get_param(p, s.gossip)), origin_text(s, p)});
  std::fputs(t.render().c_str(), stdout);
  const proto::GossipConfig::Derived& d = s.gossip.derived;
  std::printf("derived: alive check every %s, alive-store TTL %s, block TTL %s, StateInfo sweep every %s,\n"
              "         leadership TTL %s, leader declarations every %s\n",
              format_duration(d.alive_expiration_check_interval).c_str(), format_duration(d.alive_store_ttl).c_str(),
              format_duration(d.block_expiration_interval).c_str(),
              format_duration(d.state_info_cache_sweep_interval).c_str(), format_duration(d.leadership_store_ttl).c_str(),
              format_duration(d.leader_declaration_interval).c_str());
}

}  // namespace

void print_warnings(const scenario::Scenario& s) {
  for (const scenario::ScenarioWarning& w : s.warnings) std::fprintf(stderr, "warning: %s\n", w.text().c_str());
}

int check_command(const RunOptions& o) {
  const scenario::Scenario s = load_scenario(o);
  print_warnings(s);
  std::printf("%s: ok — scenario \"%s\", %s in %s, %s, %s, %s, profile %s\n", o.scenario.c_str(), s.name.c_str(),
              counted(s.peer_count(), "peer").c_str(), counted(s.orgs.size(), "org").c_str(),
              counted(s.channels.size(), "channel").c_str(), format_duration(s.duration).c_str(),
              counted(s.events.size(), "timeline event").c_str(), std::string(proto::to_string(s.gossip.profile)).c_str());
  if (o.resolved) print_resolved(s);
  return 0;
}

}  // namespace gs::cli
