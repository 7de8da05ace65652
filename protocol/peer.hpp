// One Fabric peer's gossip side, assembled: the gossip core (§2), the channels it joins,
// a state provider per channel (§8) committing into the world-owned ledger, and block
// sourcing (§7.1): a static leader (orgLeader) receives the channel's blocks from the
// orderer, verifies them, commits them and gossips them.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

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
  // The blocks provider's handling of one block from the orderer (spec §7.1): VerifyBlock
  // (invalid: skipped), AddPayload, then Gossip() — latest: only if blockGossipEnabled.
  void deliver_from_orderer(const std::string& channel, const BlockRef& block);
  std::uint64_t ledger_height(const std::string& channel) const;

  GossipService& gossip() { return *gossip_; }
  const std::string& name() const { return setup_.gossip.self.name; }
  void stop();

 private:
  struct ChannelState {
    PeerChannelSetup setup;
    std::unique_ptr<StateProvider> state;
  };

  Env& env_;
  PeerSetup setup_;
  std::unique_ptr<GossipService> gossip_;
  std::map<std::string, ChannelState> channels_;
};

}  // namespace gs::proto
