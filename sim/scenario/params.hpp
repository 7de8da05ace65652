// The registry of gossip parameters: every peer.gossip.* key by its core.yaml name,
// with type, unit, meaning, spec section and the field it sets (FoundationDB-style
// knobs: registered by name, each overridable, all listable by `gossipsim params`).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "protocol/config.hpp"

namespace gs::scenario {

enum class ParamType : std::uint8_t { duration, count, boolean };

using ParamValue = std::variant<Duration, std::uint64_t, bool>;

struct ParamInfo {
  std::string_view key;  // core.yaml name below peer.gossip, dotted ("election.leaderAliveThreshold")
  ParamType type;
  void* (*field)(proto::GossipConfig&);  // the field, of the C++ type matching `type`
  std::string_view unit;
  std::string_view spec;  // spec section
  std::string_view meaning;
};

std::span<const ParamInfo> gossip_params();

// A key whose Fabric code default — what a core.yaml import uses when the file leaves the
// key out or sets it to 0 (spec §10: GetIntOrDefault / GetDurationOrDefault) — is not the
// profile's default. Every other key's code default is the profile's default.
struct CodeDefault {
  std::string_view key;
  std::string_view text;                // as `gossipsim params` shows it
  void (*apply)(proto::GossipConfig&);  // from the keys imported so far
};
// In the order they must be applied (a later one may depend on an earlier one).
std::span<const CodeDefault> code_default_exceptions();
const CodeDefault* find_code_default(std::string_view key);
const ParamInfo* find_param(std::string_view key);

ParamValue get_param(const ParamInfo& p, const proto::GossipConfig& c);
void set_param(const ParamInfo& p, proto::GossipConfig& c, const ParamValue& v);
std::string format_param(const ParamValue& v);

}  // namespace gs::scenario
