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
const ParamInfo* find_param(std::string_view key);

ParamValue get_param(const ParamInfo& p, const proto::GossipConfig& c);
void set_param(const ParamInfo& p, proto::GossipConfig& c, const ParamValue& v);
std::string format_param(const ParamValue& v);

}  // namespace gs::scenario
