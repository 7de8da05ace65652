// The peer's gossip configuration: every peer.gossip.* key of core.yaml (spec §10), plus
// the deliveryclient switch the gossip layer depends on, with Fabric's defaults per
// version profile.
//
// Fields are named after the core.yaml keys (pull_interval <-> peer.gossip.pullInterval).
// Values are literal: 0 means 0 (Fabric's "0 means default" rule of spec §10 applies only
// when importing a real core.yaml, see sim/scenario). Derived values (alive expiration
// check interval, block store TTL, ...) are computed by resolve(), which also rejects
// impossible combinations.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/time.hpp"

namespace gs::proto {

// Version profiles (DESIGN.md "Fidelity rules"). fabric-1.0 is tag v1.0.0 (the spec's
// primary version); fabric-2.5 and fabric-3.0 take the "latest" behaviour of the spec
// (its §12) with the defaults of their own sampleconfig/core.yaml.
enum class Profile : std::uint8_t { fabric_1_0, fabric_2_5, fabric_3_0 };
std::string_view to_string(Profile p);
std::optional<Profile> parse_profile(std::string_view s);
// True for the profiles that follow the spec's "Latest:" paragraphs.
constexpr bool is_latest(Profile p) { return p != Profile::fabric_1_0; }

struct ElectionConfig {
  Duration startup_grace_period = Duration::seconds(15);      // election.startupGracePeriod (§7.3)
  Duration membership_sample_interval = Duration::seconds(1);  // election.membershipSampleInterval (§7.3)
  Duration leader_alive_threshold = Duration::seconds(10);    // election.leaderAliveThreshold, LAT (§7.3)
  Duration leader_election_duration = Duration::seconds(5);   // election.leaderElectionDuration (§7.3)
};

struct StateConfig {
  bool enabled = true;                            // state.enabled: anti-entropy on/off (v1.0: always on) (§8.4)
  Duration check_interval = Duration::seconds(10);  // state.checkInterval: anti-entropy period (§8.4)
  Duration response_timeout = Duration::seconds(3);  // state.responseTimeout: per try (§8.4)
  std::uint32_t batch_size = 10;                  // state.batchSize: blocks per request, +1 quirk (§8.4)
  // state.blockBufferSize: payload-buffer bound (§8.3). 0 = unbounded (v1.0.0's behaviour).
  std::uint32_t block_buffer_size = 0;
  std::uint32_t max_retries = 3;    // state.maxRetries: sends per batch = maxRetries + 1 (§8.4)
  std::uint32_t channel_size = 100;  // state.channelSize: request/response queue capacity (§8.4)
};

struct GossipConfig {
  Profile profile = Profile::fabric_1_0;

  // --- block sourcing (§7.1) ---
  bool use_leader_election = false;  // useLeaderElection
  bool org_leader = false;           // orgLeader (static leaders are listed per org in the scenario)
  // peer.deliveryclient.blockGossipEnabled: whether the orderer-connected peer gossips the
  // blocks it receives (§7.1). Honoured by fabric-2.5/3.0 only; v1.0 always gossips.
  bool block_gossip_enabled = true;

  // --- emitter and push (§2.1, §2.3) ---
  std::uint32_t max_block_count_to_store = 100;             // maxBlockCountToStore: block store K (§4.3)
  Duration max_propagation_burst_latency = Duration::milliseconds(10);  // maxPropagationBurstLatency: L
  std::uint32_t max_propagation_burst_size = 10;            // maxPropagationBurstSize: B
  std::uint32_t propagate_iterations = 1;                   // propagateIterations: I (0 disables push)
  std::uint32_t propagate_peer_num = 3;                     // propagatePeerNum: F, fan-out per routing

  // --- pull and StateInfo (§3, §5.3) ---
  Duration pull_interval = Duration::seconds(4);   // pullInterval: block/identity pull and discovery sync
  std::uint32_t pull_peer_num = 3;                 // pullPeerNum: 0 disables pull (literal value)
  Duration request_state_info_interval = Duration::seconds(4);  // requestStateInfoInterval
  Duration publish_state_info_interval = Duration::seconds(4);  // publishStateInfoInterval
  Duration publish_cert_period = Duration::seconds(10);         // publishCertPeriod (§6.6)
  bool skip_block_verification = false;            // skipBlockVerification: read but unused (§2.1)
  Duration digest_wait_time = Duration::seconds(1);    // digestWaitTime (§3.1)
  Duration request_wait_time = Duration::seconds(1);   // requestWaitTime (§3.1; latest 1500ms)
  Duration response_wait_time = Duration::seconds(2);  // responseWaitTime (§3.1)

  // --- comm (§9.1) ---
  Duration dial_timeout = Duration::seconds(3);  // dialTimeout
  Duration conn_timeout = Duration::seconds(2);  // connTimeout: handshake read timeout
  std::uint32_t recv_buff_size = 20;             // recvBuffSize
  std::uint32_t send_buff_size = 200;            // sendBuffSize (core.yaml 200; code default 20)

  // --- discovery (§6.1) ---
  Duration alive_time_interval = Duration::seconds(5);        // aliveTimeInterval
  Duration alive_expiration_timeout = Duration::seconds(25);  // aliveExpirationTimeout
  Duration reconnect_interval = Duration::seconds(25);        // reconnectInterval
  std::uint32_t max_connection_attempts = 120;                // maxConnectionAttempts (v1.0: hard-coded)
  std::uint32_t msg_expiration_factor = 20;                   // msgExpirationFactor (v1.0: hard-coded)
  Duration membership_tracker_interval = Duration::seconds(5);  // membershipTrackerInterval (latest, §5.10)

  // --- commit (§8.3) ---
  bool non_blocking_commit_mode = false;  // nonBlockingCommitMode (latest)

  ElectionConfig election;
  StateConfig state;

  // ---- derived values (spec §2.1, §4.3, §6.1, §7.3), filled by resolve() ----
  struct Derived {
    Duration alive_expiration_check_interval;  // aliveExpirationTimeout / 10
    Duration alive_store_ttl;                  // aliveExpirationTimeout × msgExpirationFactor
    Duration block_expiration_interval;        // pullInterval × 100
    Duration state_info_cache_sweep_interval;  // pullInterval × 5
    Duration gossip_state_info_store_ttl;      // publishStateInfoInterval × 100
    Duration leadership_store_ttl;             // leaderAliveThreshold × 10
    Duration leader_declaration_interval;      // leaderAliveThreshold / 2
    Duration membership_request_ack_wait;      // hard-coded 5 s (§6.1)
  } derived{};
};

// Fabric's defaults for a profile (sampleconfig/core.yaml of that version, and the code
// defaults for keys core.yaml leaves out).
GossipConfig defaults_for(Profile p);

// Fills cfg.derived; throws std::invalid_argument naming the offending key(s) for an
// impossible combination (e.g. useLeaderElection and orgLeader both true, as Fabric's
// InitializeChannel rejects; zero periods for loops that would spin).
void resolve(GossipConfig& cfg);

}  // namespace gs::proto
