// Readers of the scenario's sections (one file each), used by scenario_loader.cpp.
#pragma once

#include <string>

#include "sim/scenario/yaml_reader.hpp"

namespace gs::scenario {

// gossip: peer.gossip.* keys by core.yaml name, nested or dotted, and `import: core.yaml`.
// `base_dir` resolves relative import paths. Sets s.gossip (over the profile's defaults),
// s.gossip_import and s.gossip_sources.
void read_gossip_section(const YamlSource& src, const YAML::Node& gossip, const std::string& base_dir, Scenario& s);
// Applies a real Fabric core.yaml's peer.gossip section (and peer.deliveryclient's
// blockGossipEnabled): stated values win; a key left out or set to 0 takes Fabric's code
// default for the profile (spec §10; params.hpp code_default_exceptions()).
void import_core_yaml(const YamlSource& src, const YAML::Node& at, const std::string& path, Scenario& s);

void read_network_section(const YamlSource& src, const YAML::Node& network, const std::string& base_dir,
                          NetworkSpec& out);
net::LinkParams read_link(MapReader& r, net::LinkParams base);
net::LatencyModel read_latency(const YamlSource& src, const YAML::Node& n, const std::string& key);
// A `set` event / --set assignment to a network key, validated without applying it.
void check_network_assignment(const YamlSource& src, const YAML::Node& at, const std::string& key,
                              const YAML::Node& value);

}  // namespace gs::scenario
