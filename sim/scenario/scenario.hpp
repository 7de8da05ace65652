// A scenario: the network, its peers, the workload and the timeline of one run
// (DESIGN.md "Scenario files"; every key documented in docs/scenarios.md).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "base/time.hpp"
#include "protocol/config.hpp"
#include "sim/net/link_params.hpp"
#include "sim/net/net_types.hpp"

namespace gs::scenario {

// Where something was written: 1-based line and column, as editors count.
struct SourceLoc {
  std::string file;
  int line = 0;
  int column = 0;
};
// "file:line:column", or the file alone (an option such as `--set K=V`) when line is 0.
std::string to_string(const SourceLoc& loc);

// Bad input: names the file position and the key. `gossipsim` exits with code 2.
class ScenarioError : public std::runtime_error {
 public:
  ScenarioError(SourceLoc loc, std::string key, const std::string& message);
  const SourceLoc& loc() const { return loc_; }
  const std::string& key() const { return key_; }

 private:
  SourceLoc loc_;
  std::string key_;
};

// A scenario that is valid but probably not what its author meant (e.g. no block is ever
// injected). `check` and `run` print it on stderr; it is never an error.
struct ScenarioWarning {
  SourceLoc loc;        // the value to look at
  std::string message;  // names the keys and their values
  std::string text() const { return to_string(loc) + ": " + message; }
};

// Where a gossip key's effective value came from (`gossipsim check --resolved`); a key
// without a ParamSource has the profile's default.
enum class ParamOrigin : std::uint8_t {
  core_yaml,     // stated (non-zero) in the imported core.yaml
  code_default,  // imported core.yaml leaves it out or sets 0: Fabric's code default (spec §10)
  scenario,      // an explicit key of the scenario file
  option,        // --set
};
struct ParamSource {
  ParamOrigin origin;
  SourceLoc loc;  // core_yaml, scenario, option: where; code_default: the 0 in core.yaml, if written
};

struct OrgSpec {
  std::string name;
  std::uint32_t peers = 0;
  std::vector<std::uint32_t> anchors{0};
  // Static leaders (connected to the orderer). nullopt = the default rule: [0] unless
  // useLeaderElection is on.
  std::optional<std::vector<std::uint32_t>> leaders;
  // Peers with an external endpoint (visible to other orgs, spec §2.8). Default: all.
  std::optional<std::vector<std::uint32_t>> external_endpoints;
  // Bootstrap peer of each peer (index in this org). Default: peer0, and peer1 for peer0.
  std::optional<std::vector<std::uint32_t>> bootstrap;
};

struct ChannelSpec {
  std::string name;
  std::vector<std::string> orgs;
};

struct TopologySpec {
  std::string generator;  // complete | ring | grid | erdos_renyi | small_world | plod; empty with a file
  std::string file;       // GraphML (.graphml/.xml) or DOT (.dot/.gv), relative to the scenario file
  std::uint64_t vertices = 0;  // generators: vertex count (default: one per peer)
  std::uint64_t rows = 0, cols = 0;  // grid
  double p = 0.1;       // erdos_renyi edge probability; small_world rewiring probability
  std::uint64_t k = 4;  // small_world neighbours
  double alpha = 2.5, beta = 1000;  // plod
  net::LatencyModel edge_latency = net::LatencyModel::constant(Duration::milliseconds(1));
};

struct NetworkSpec {
  net::Transport transport = net::Transport::stream;
  net::LinkParams link;                      // every pair, unless a class below applies
  std::optional<net::LinkParams> between_orgs;
  std::uint64_t bandwidth_bps = net::kDefaultUplinkBps;
  std::optional<TopologySpec> topology;
};

struct WorkloadSpec {
  Duration block_interval = Duration::seconds(2);
  std::uint64_t block_size = 32 * 1024;
  Duration start = Duration::seconds(30);  // first block: membership and StateInfo settle first
  std::optional<std::uint64_t> count;      // default: until the end of the run
};

// --- the timeline ---
// Peer sets are given as org names or peer names (Org1.peer3); they are resolved to peer
// names when the scenario is loaded.
struct PartitionEvent {
  std::vector<std::vector<std::string>> groups;  // peer names
  bool one_way = false;                          // groups[0] cannot reach groups[1]
};
struct HealEvent {};
struct CrashEvent {
  std::vector<std::string> peers;
};
struct RestartEvent {
  std::vector<std::string> peers;
  bool wipe = false;  // restart with an empty ledger
};
struct SetEvent {
  std::vector<std::pair<std::string, std::string>> assignments;  // network key -> YAML scalar text
};
struct ChurnEvent {
  std::vector<std::string> peers;
  double rate_per_s = 0;  // crash rate per live peer
  // Downtime distribution (seconds): exponential(mean) | uniform(min,max) | constant.
  std::string downtime_dist = "exponential";
  Duration downtime_mean = Duration::seconds(20);
  Duration downtime_min, downtime_max;
  Time to;  // end of the window (the event's `at` is its start)
};
// A peer declared in orgs[] that starts only now (it does not run before: its host
// refuses connections). A peer named in a join event is a "late peer".
struct JoinEvent {
  std::vector<std::string> peers;
};
// The peer leaves the channel (Fabric latest's LeaveChannel, spec §5.9). Not in fabric-1.0.
struct LeaveEvent {
  std::string peer;
  std::string channel;
};
// The peers' identities are revoked: ValidateIdentity and Verify fail for them from now on.
struct RevokeEvent {
  std::vector<std::string> peers;
};

struct TimelineEvent {
  Time at;
  SourceLoc loc;
  std::variant<PartitionEvent, HealEvent, CrashEvent, RestartEvent, SetEvent, ChurnEvent, JoinEvent, LeaveEvent,
               RevokeEvent>
      what;
};
std::string_view kind_name(const TimelineEvent& e);

struct Scenario {
  std::string name;
  std::string description;
  std::string source_file;
  Duration duration = Duration::minutes(5);
  // Metrics sampling period: membership, leadership and coverage are judged at these
  // instants, so every *_converged_at_s has this resolution.
  Duration sample_interval = Duration::seconds(1);
  std::uint64_t seed = 1;
  proto::GossipConfig gossip;  // resolved: profile defaults, then explicit keys, then derived
  std::string gossip_import;   // the imported core.yaml as resolved (relative to the scenario); "" = none
  // Per gossip key (ParamInfo::key) set by the import (every key, when there is one), the
  // scenario or --set: where its value came from. Absent = the profile default.
  std::map<std::string, ParamSource, std::less<>> gossip_sources;
  std::vector<OrgSpec> orgs;
  std::vector<ChannelSpec> channels;
  NetworkSpec network;
  WorkloadSpec workload;
  std::vector<TimelineEvent> events;  // sorted by time (stable)
  std::vector<ScenarioWarning> warnings;

  std::uint32_t peer_count() const;
  // Named in a join event: not started at time 0.
  bool starts_later(const std::string& peer) const;
};

// Canonical peer name: "<Org>.peer<i>".
std::string peer_name(const std::string& org, std::uint32_t index);

}  // namespace gs::scenario
