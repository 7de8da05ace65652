// The world of one run: the simulated network, one host and one PeerEnv per peer, the
// Fabric peers built from the scenario, the orderer, and the timeline of events
// (DESIGN.md "sim/world"). Observations go to the Recorder (sim/metrics).
//
// Conventions (documented in docs/scenarios.md):
//  - Peer "<Org>.peer<i>" listens on endpoint "<Org>.peer<i>:7051", used as its internal
//    endpoint and, when the org publishes it, as its external endpoint.
//  - The orderer delivers each channel's blocks 1, 2, ... at their injection instants to
//    every live peer connected to it (static leaders); a peer that (re)connects first
//    receives every block from its ledger height on, at once.
//  - A crash stops the peer's process (the host stays up: connects are refused, the OS
//    resets its connections); a restart starts a new process with the same identity and,
//    unless wiped, the same ledger.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "protocol/crypto.hpp"
#include "protocol/ledger.hpp"
#include "protocol/peer.hpp"
#include "sim/core/random.hpp"
#include "sim/core/scheduler.hpp"
#include "sim/net/network.hpp"
#include "sim/net/stream_transport.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/world/peer_env.hpp"

namespace gs::metrics {
class Recorder;
}

namespace gs::world {

using metrics::Recorder;

struct PeerInfo {
  std::string name;  // Org1.peer3
  std::string org;
  std::uint32_t index_in_org = 0;
  net::HostId host = 0;
  proto::Endpoint endpoint;
  bool external = true;  // publishes an external endpoint (spec §2.8)
  std::vector<proto::Endpoint> bootstrap;
  std::vector<std::string> channels;         // channels it joins
  std::vector<std::string> leader_channels;  // channels it is a static leader of
};

class World final : private PeerEnvListener, private EndpointDirectory {
 public:
  // Builds everything; no event has run yet. Throws ScenarioError for inputs only the
  // world can check (e.g. a topology file that does not parse).
  World(const scenario::Scenario& s, Recorder& recorder);
  ~World() override;
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // Runs the scenario to its end (or to `until`, if earlier).
  void run(std::optional<Time> until = std::nullopt);
  // Sees every network send, delivery and drop (the --trace output).
  void set_trace_sink(net::TraceHook sink) { trace_sink_ = std::move(sink); }
  // Sees every observation a peer reports, after the recorder (tests: BlockCommitted, ...).
  using ObservationSink = std::function<void(std::size_t peer, const proto::Observation& o)>;
  void set_observation_sink(ObservationSink sink) { observation_sink_ = std::move(sink); }

  const scenario::Scenario& scenario() const { return scenario_; }
  sim::Scheduler& scheduler() { return scheduler_; }
  const sim::Scheduler& scheduler() const { return scheduler_; }
  net::Network& network() { return *network_; }
  const net::Network& network() const { return *network_; }
  std::size_t peer_count() const { return infos_.size(); }
  const PeerInfo& info(std::size_t i) const { return infos_[i]; }
  const std::vector<PeerInfo>& infos() const { return infos_; }
  std::optional<std::size_t> peer_index(const std::string& name) const;
  // The running peer, or null while it is down.
  proto::Peer* peer(std::size_t i) { return peers_[i].get(); }
  const proto::Ledger& ledger(std::size_t i, const std::string& channel) const;
  const proto::Pki& pki() const { return *pki_; }
  Duration cpu_used(std::size_t i) const { return envs_[i]->cpu_used(); }

  // Timeline actions (also used directly by tests).
  void crash(std::size_t i);
  void restart(std::size_t i, bool wipe_ledger);
  // A late peer (named in a join event) starts for the first time.
  void join(std::size_t i);
  // LeaveChannel (spec §5.9, latest only); a restart of the peer does not rejoin it.
  void leave_channel(std::size_t i, const std::string& channel);
  // Revokes the peer's identity in the PKI: ValidateIdentity and Verify fail for it.
  void revoke(std::size_t i);
  void apply_network_assignment(const std::string& key, const std::string& yaml_value);

 private:
  void build_network();
  void build_peers();
  bool is_static_leader(const scenario::OrgSpec& o, std::uint32_t i) const;
  void start_peer(std::size_t i);
  proto::PeerSetup peer_setup(std::size_t i);
  void schedule_orderer();
  void inject_block(const std::string& channel, std::uint64_t seq);
  void catch_up_from_orderer(std::size_t i, const std::string& channel);
  void schedule_timeline();
  void apply_event(const scenario::TimelineEvent& ev);
  void schedule_churn(const scenario::ChurnEvent& c, Time from);
  void churn_crash_at(const scenario::ChurnEvent* c, std::size_t i, Time t);
  Duration churn_gap(const scenario::ChurnEvent& c);
  Duration churn_downtime(const scenario::ChurnEvent& c);
  std::vector<net::HostId> hosts_of(const std::vector<std::string>& peer_names) const;

  // PeerEnvListener
  void on_observation(std::uint32_t peer, const proto::Observation& o) override;
  // EndpointDirectory
  std::optional<net::HostId> host_of(const std::string& endpoint) const override;
  const std::string& endpoint_of(net::HostId host) const override;

  const scenario::Scenario& scenario_;
  Recorder& recorder_;
  sim::Scheduler scheduler_;
  sim::RandomStreams streams_;
  std::unique_ptr<net::Network> network_;
  std::unique_ptr<net::StreamTransport> stream_;
  std::unique_ptr<proto::Pki> pki_;
  std::vector<PeerInfo> infos_;
  std::map<std::string, std::size_t> by_name_;
  std::map<std::string, net::HostId> host_by_endpoint_;
  std::vector<std::string> endpoint_by_host_;
  std::vector<std::unique_ptr<PeerEnv>> envs_;
  std::vector<std::unique_ptr<proto::Peer>> peers_;
  std::vector<std::map<std::string, proto::Ledger>> ledgers_;  // per peer, per channel
  // The orderer's chain per channel: blocks injected so far (index = number - 1).
  std::map<std::string, std::vector<proto::BlockRef>> chains_;
  sim::RandomStream churn_rng_;
  std::set<std::pair<std::size_t, std::string>> left_channels_;  // (peer, channel) after a leave event
  net::TraceHook trace_sink_;
  ObservationSink observation_sink_;
};

}  // namespace gs::world
