#include "protocol/config.hpp"

#include <stdexcept>

#include <fmt/format.h>

namespace gs::proto {

std::string_view to_string(Profile p) {
  switch (p) {
    case Profile::fabric_1_0: return "fabric-1.0";
    case Profile::fabric_2_5: return "fabric-2.5";
    case Profile::fabric_3_0: return "fabric-3.0";
  }
  return "?";
}

std::optional<Profile> parse_profile(std::string_view s) {
  for (Profile p : {Profile::fabric_1_0, Profile::fabric_2_5, Profile::fabric_3_0})
    if (to_string(p) == s) return p;
  return std::nullopt;
}

GossipConfig defaults_for(Profile p) {
  GossipConfig c;  // member initialisers are v1.0.0's sampleconfig/core.yaml and code defaults
  c.profile = p;
  if (p == Profile::fabric_1_0) return c;
  // spec §10 / §12: what changed by v2.2 and is the same in v2.5.0 and v3.1.5 core.yaml.
  c.max_block_count_to_store = 10;
  c.request_wait_time = Duration::milliseconds(1500);
  c.state.enabled = false;
  c.state.block_buffer_size = 20;
  // peer.deliveryclient.blockGossipEnabled: true in v2.5.0's core.yaml, false in v3.1.5's.
  c.block_gossip_enabled = p == Profile::fabric_2_5;
  return c;
}

namespace {

void require_positive(Duration d, std::string_view key) {
  if (d <= Duration::zero())
    throw std::invalid_argument(fmt::format("{} must be positive (got {}): its loop would never advance", key, d));
}

}  // namespace

void resolve(GossipConfig& c) {
  // spec §7.1: Fabric's InitializeChannel refuses this combination.
  if (c.use_leader_election && c.org_leader)
    throw std::invalid_argument(
        "useLeaderElection and orgLeader are both true: Fabric rejects this misconfiguration (spec §7.1)");
  require_positive(c.pull_interval, "pullInterval");
  require_positive(c.publish_state_info_interval, "publishStateInfoInterval");
  require_positive(c.request_state_info_interval, "requestStateInfoInterval");
  require_positive(c.alive_time_interval, "aliveTimeInterval");
  require_positive(c.alive_expiration_timeout, "aliveExpirationTimeout");
  require_positive(c.reconnect_interval, "reconnectInterval");
  require_positive(c.election.membership_sample_interval, "election.membershipSampleInterval");
  require_positive(c.election.leader_alive_threshold, "election.leaderAliveThreshold");
  require_positive(c.state.check_interval, "state.checkInterval");
  if (c.propagate_iterations > 0) require_positive(c.max_propagation_burst_latency, "maxPropagationBurstLatency");
  if (c.msg_expiration_factor == 0) throw std::invalid_argument("msgExpirationFactor must be at least 1");

  auto& d = c.derived;
  d.alive_expiration_check_interval = c.alive_expiration_timeout / 10;  // spec §6.1
  d.alive_store_ttl = c.alive_expiration_timeout * c.msg_expiration_factor;  // spec §4.3
  d.block_expiration_interval = c.pull_interval * 100;                       // spec §2.1
  d.state_info_cache_sweep_interval = c.pull_interval * 5;                   // spec §2.1
  d.gossip_state_info_store_ttl = c.publish_state_info_interval * 100;       // spec §2.1
  d.leadership_store_ttl = c.election.leader_alive_threshold * 10;           // spec §2.1, §7.3
  d.leader_declaration_interval = c.election.leader_alive_threshold / 2;     // spec §7.3
  d.membership_request_ack_wait = Duration::seconds(5);                      // spec §6.1 (hard-coded)
}

}  // namespace gs::proto
