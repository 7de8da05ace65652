#include <cstdio>

#include <fmt/format.h>

#include "sim/cli/commands.hpp"
#include "sim/scenario/params.hpp"
#include "sim/scenario/scenario.hpp"

namespace gs::cli {

// `gossipsim params`: every gossip key with its default in each profile, unit, spec
// section and meaning.
int params_command(const std::string& profile_filter) {
  std::vector<proto::Profile> profiles{proto::Profile::fabric_1_0, proto::Profile::fabric_2_5, proto::Profile::fabric_3_0};
  if (!profile_filter.empty()) {
    auto p = proto::parse_profile(profile_filter);
    if (!p)
      throw scenario::ScenarioError({"--profile " + profile_filter, 0, 0}, "",
                                    "unknown profile (fabric-1.0, fabric-2.5 or fabric-3.0)");
    profiles = {*p};
  }
  std::vector<proto::GossipConfig> defaults;
  for (proto::Profile p : profiles) defaults.push_back(proto::defaults_for(p));
  std::string header = fmt::format("{:<36}", "key (scenario: gossip.<key>)");
  for (proto::Profile p : profiles) header += fmt::format(" {:>11}", proto::to_string(p));
  std::printf("%s  %-9s %-13s meaning\n", header.c_str(), "unit", "spec");
  for (const scenario::ParamInfo& info : scenario::gossip_params()) {
    std::string row = fmt::format("{:<36}", info.key);
    for (const proto::GossipConfig& c : defaults)
      row += fmt::format(" {:>11}", scenario::format_param(scenario::get_param(info, c)));
    std::printf("%s  %-9s %-13s %s\n", row.c_str(), std::string(info.unit).c_str(), std::string(info.spec).c_str(),
                std::string(info.meaning).c_str());
  }
  std::printf("\nValues are literal (0 means 0). Fabric's \"0 means default\" rule applies only to\n"
              "`gossip: { import: core.yaml }`. Derived: alive check = aliveExpirationTimeout/10, alive-store TTL =\n"
              "aliveExpirationTimeout x msgExpirationFactor, block TTL = pullInterval x 100, StateInfo sweep =\n"
              "pullInterval x 5, leadership TTL = leaderAliveThreshold x 10, declarations every leaderAliveThreshold/2.\n");
  return 0;
}

}  // namespace gs::cli
