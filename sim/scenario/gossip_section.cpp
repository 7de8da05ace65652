#include <fmt/format.h>

#include "sim/scenario/params.hpp"
#include "sim/scenario/sections.hpp"

namespace gs::scenario {

namespace {

// core.yaml keys that are per peer in a scenario (set under orgs[]).
constexpr std::string_view kPerPeerKeys[] = {"bootstrap", "endpoint", "externalEndpoint"};

std::vector<std::string> all_param_keys() {
  std::vector<std::string> keys{"import"};
  for (const ParamInfo& p : gossip_params()) keys.emplace_back(p.key);
  return keys;
}

ParamValue read_value(const YamlSource& src, const YAML::Node& n, const ParamInfo& p, const std::string& path) {
  switch (p.type) {
    case ParamType::duration: return as_duration(src, n, path);
    case ParamType::count: return as_uint(src, n, path, UINT32_MAX);
    case ParamType::boolean: return as_bool(src, n, path);
  }
  return false;
}

void read_keys(const YamlSource& src, const YAML::Node& map, const std::string& prefix, Scenario& s) {
  for (const auto& kv : map) {
    const std::string key = kv.first.as<std::string>();
    const std::string full = prefix.empty() ? key : prefix + "." + key;
    const std::string path = "gossip." + full;
    if (full == "import") continue;  // applied first, by read_gossip_section
    if (kv.second.IsMap()) {
      read_keys(src, kv.second, full, s);
      continue;
    }
    for (std::string_view k : kPerPeerKeys)
      if (full == k)
        src.fail(kv.first, path,
                 "is per peer in a scenario: use orgs[].bootstrap / orgs[].external_endpoints instead");
    const ParamInfo* p = find_param(full);
    if (p == nullptr) {
      std::string msg = "unknown gossip key";
      if (auto hint = did_you_mean(full, all_param_keys())) msg += fmt::format(" (did you mean \"{}\"?)", *hint);
      msg += "; `gossipsim params` lists them all";
      src.fail(kv.first, path, msg);
    }
    set_param(*p, s.gossip, read_value(src, kv.second, *p, path));
    s.gossip_sources[full] =
        ParamSource{src.from_option(kv.second) ? ParamOrigin::option : ParamOrigin::scenario, src.loc(kv.second)};
  }
}

// The value of a dotted key inside a core.yaml section, or an undefined node.
YAML::Node lookup_dotted(YAML::Node n, std::string_view dotted) {
  while (true) {
    const std::size_t dot = dotted.find('.');
    const std::string part(dotted.substr(0, dot));
    if (!n.IsMap() || !n[part].IsDefined()) return YAML::Node(YAML::NodeType::Undefined);
    // reset, not `n = n[part]`: yaml-cpp's assignment would rewrite the node n refers to
    // (the imported document itself), corrupting every later lookup.
    n.reset(n[part]);
    if (dot == std::string_view::npos) return n;
    dotted.remove_prefix(dot + 1);
  }
}

bool is_zero(const ParamValue& v) {
  if (const auto* d = std::get_if<Duration>(&v)) return *d == Duration::zero();
  if (const auto* c = std::get_if<std::uint64_t>(&v)) return *c == 0;
  return false;  // booleans: false is a value, not "unset"
}

}  // namespace

void import_core_yaml(const YamlSource& outer, const YAML::Node& at, const std::string& path, Scenario& s) {
  YAML::Node doc;
  try {
    doc = YAML::LoadFile(path);
  } catch (const YAML::ParserException& e) {
    fail_yaml_syntax(path, e);
  } catch (const YAML::Exception& e) {
    outer.fail(at, "gossip.import", fmt::format("cannot read core.yaml \"{}\": {}", path, e.what()));
  }
  const YAML::Node gossip = lookup_dotted(doc, "peer.gossip");
  if (!gossip.IsMap()) outer.fail(at, "gossip.import", fmt::format("\"{}\" has no peer.gossip section", path));
  const YamlSource src(path);
  s.gossip_import = path;
  // Fabric reads core.yaml through GetIntOrDefault/GetDurationOrDefault: a key left out or
  // set to 0 takes the code default (the profile's default but for code_default_exceptions()).
  auto apply = [&](const ParamInfo& p, const YAML::Node& n, const std::string& name) {
    if (!n.IsDefined() || n.IsNull()) {
      s.gossip_sources[std::string(p.key)] = ParamSource{ParamOrigin::code_default, {}};
      return;
    }
    const ParamValue v = read_value(src, n, p, name);
    const bool stated = !is_zero(v);
    if (stated) set_param(p, s.gossip, v);
    s.gossip_sources[std::string(p.key)] = ParamSource{stated ? ParamOrigin::core_yaml : ParamOrigin::code_default, src.loc(n)};
  };
  for (const ParamInfo& p : gossip_params())
    if (p.key != "deliveryclient.blockGossipEnabled")
      apply(p, lookup_dotted(gossip, p.key), "peer.gossip." + std::string(p.key));
  apply(*find_param("deliveryclient.blockGossipEnabled"), lookup_dotted(doc, "peer.deliveryclient.blockGossipEnabled"),
        "peer.deliveryclient.blockGossipEnabled");
  // Every other key of the imported section is ignored: per-peer keys (bootstrap,
  // endpoint, externalEndpoint come from orgs[]), keys Fabric itself does not read
  // (stateInfoRetentionInterval), private data (pvtData.*, out of scope) and keys of
  // Fabric versions newer than this simulator knows.
}

void read_gossip_section(const YamlSource& src, const YAML::Node& gossip, const std::string& base_dir, Scenario& s) {
  if (!gossip.IsDefined() || gossip.IsNull()) return;
  if (!gossip.IsMap()) src.fail(gossip, "gossip", "expected a mapping of peer.gossip keys");
  if (const YAML::Node imp = gossip["import"]; imp.IsDefined())
    import_core_yaml(src, imp, resolve_scenario_file(src, imp, "gossip.import", base_dir, "core.yaml"), s);
  read_keys(src, gossip, "", s);
  // Fabric reads one merged configuration: the code defaults that derive from other keys
  // (spec §10, e.g. aliveExpirationTimeout = 5 x aliveTimeInterval) see the scenario's and
  // --set values too, so they are resolved last, for the keys the import left unset.
  for (const CodeDefault& d : code_default_exceptions()) {
    const auto it = s.gossip_sources.find(std::string(d.key));
    if (it != s.gossip_sources.end() && it->second.origin == ParamOrigin::code_default) d.apply(s.gossip);
  }
}

}  // namespace gs::scenario
