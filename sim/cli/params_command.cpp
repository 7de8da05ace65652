#include <cstdio>

#include <fmt/format.h>

#include "sim/cli/commands.hpp"
#include "sim/cli/text.hpp"
#include "sim/scenario/params.hpp"
#include "sim/scenario/scenario.hpp"

namespace gs::cli {

// `gossipsim params`: every gossip key with its default in each profile, unit, spec
// section, what a core.yaml import uses when the key is 0 or absent, and meaning.
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
  std::vector<Column> columns{{"key (scenario: gossip.<key>)"}};
  for (proto::Profile p : profiles) {
    defaults.push_back(proto::defaults_for(p));
    columns.push_back({std::string(proto::to_string(p)), Align::right});
  }
  for (const char* title : {"unit", "spec", "core.yaml 0/absent", "meaning"}) columns.push_back({title});
  TextTable table(std::move(columns));
  for (const scenario::ParamInfo& info : scenario::gossip_params()) {
    std::vector<std::string> row{std::string(info.key)};
    for (const proto::GossipConfig& c : defaults) row.push_back(scenario::format_param(scenario::get_param(info, c)));
    const scenario::CodeDefault* code = scenario::find_code_default(info.key);
    row.insert(row.end(), {std::string(info.unit), std::string(info.spec), code ? std::string(code->text) : "= profile",
                           std::string(info.meaning)});
    table.add(std::move(row));
  }
  std::fputs(table.render().c_str(), stdout);
  std::printf("\nValues are literal (0 means 0). Fabric's \"0 means default\" rule applies only to\n"
              "`gossip: { import: core.yaml }`: a key the file leaves out or sets to 0 takes Fabric's code default,\n"
              "column \"core.yaml 0/absent\" (\"= profile\": the profile's default; a boolean's false is a value, not 0).\n"
              "Derived: alive check = aliveExpirationTimeout/10, alive-store TTL =\n"
              "aliveExpirationTimeout x msgExpirationFactor, block TTL = pullInterval x 100, StateInfo sweep =\n"
              "pullInterval x 5, leadership TTL = leaderAliveThreshold x 10, declarations every leaderAliveThreshold/2.\n"
              "What one scenario resolves to, key by key and from where: gossipsim check FILE --resolved\n");
  return 0;
}

}  // namespace gs::cli
