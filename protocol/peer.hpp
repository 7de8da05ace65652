// One Fabric peer's gossip side, assembled: the gossip core (§2), the channels it joins,
// a state provider per channel (§8) committing into the world-owned ledger, and block
// sourcing (§7.1): a static leader (orgLeader) — or, with useLeaderElection, the elected
// leader of its org (§7.2–7.3) — receives the channel's blocks from the orderer, verifies
// them, commits them and gossips them.
//
// Yield (§7.4) is triggered by Fabric's delivery client when it cannot reach the ordering
// service; the simulated orderer is always reachable, so nothing here calls it.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "protocol/election.hpp"
#include "protocol/gossip_service.hpp"
#include "protocol/ledger.hpp"
#include "protocol/state_provider.hpp"

namespace gs::proto {

struct PeerChannelSetup {
  std::string name;
  JoinChannelMessage join;
  bool static_leader = false;  // orgLeader for this peer (spec §7.1)
  Ledger* ledger = nullptr;    // owned by the world; survives restarts
};

struct PeerSetup {
  GossipServiceSetup gossip;
  std::vector<PeerChannelSetup> channels;
};

class Peer {
 public:
  Peer(Env& env, const Pki& pki, PeerSetup setup);
  ~Peer();
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  // spec §7.1: whether this peer receives `channel`'s blocks from the orderer.
  bool connected_to_orderer(const std::string& channel) const;
  // Fabric InitializeChannel on a running peer (spec §7.1): JoinChan (a reconfiguration if
  // the gossip layer already joined it), the channel's state provider, then — static leader
  // or election — its block sourcing. The constructor does this for setup.channels; tests
  // call it later, as TestLeaderElectionWithRealGossip does for its second channel (§11.9).
  // A channel already initialized is left as it is.
  void initialize_channel(const PeerChannelSetup& ch);
  // The blocks provider's handling of one block from the orderer (spec §7.1): VerifyBlock
  // (invalid: skipped), AddPayload, then Gossip() — latest: only if blockGossipEnabled.
  void deliver_from_orderer(const std::string& channel, const BlockRef& block);
  std::uint64_t ledger_height(const std::string& channel) const;

  GossipService& gossip() { return *gossip_; }
  const std::string& name() const { return setup_.gossip.self.name; }
  void stop();

 private:
  class ElectionAdapterImpl;
  struct ChannelState {
    PeerChannelSetup setup;
    std::unique_ptr<StateProvider> state;
    std::unique_ptr<ElectionAdapterImpl> election_adapter;
    std::unique_ptr<LeaderElection> election;  // with useLeaderElection only
  };
  void start_election(ChannelState& st);

  Env& env_;
  PeerSetup setup_;
  std::unique_ptr<GossipService> gossip_;
  std::map<std::string, ChannelState> channels_;
};

}  // namespace gs::proto
