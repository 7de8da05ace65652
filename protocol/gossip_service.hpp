// The gossip core of one peer (spec §2; Fabric gossip/gossip/gossip_impl.go,
// gossipServiceImpl — "Node" in latest): it owns comm, the identity mapper, the batching
// emitter, discovery and the joined channels, routes every emitter flush (§2.6), validates
// and dispatches every inbound message (§2.7), applies the disclosure rules (§2.8),
// connects to bootstrap and anchor peers (§2.9) and relays presumed-dead events (§2.10).
//
// v1.0 behaviour by default; the profile in GossipConfig selects the latest differences of
// §2.12 (alive validation moved into discovery, forwarding that excludes the sender).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/channel.hpp"
#include "protocol/comm.hpp"
#include "protocol/config.hpp"
#include "protocol/crypto.hpp"
#include "protocol/discovery.hpp"
#include "protocol/emitter.hpp"
#include "protocol/identity_mapper.hpp"
#include "protocol/msgstore.hpp"
#include "protocol/observation.hpp"

namespace gs::proto {

class CertStore;

// Who this peer is and how it is configured (Fabric's gossip.Config plus the identity).
struct GossipServiceSetup {
  PeerCredentials self;           // name, org, identity, PKI-ID (from the Pki)
  Endpoint internal_endpoint;     // peer.gossip.endpoint / peer address
  Endpoint external_endpoint;     // peer.gossip.externalEndpoint; "" = invisible to other orgs
  std::vector<Endpoint> bootstrap;  // peer.gossip.bootstrap
  GossipConfig config;            // resolved (proto::resolve)
  CryptoCosts crypto_costs;
};

// A message the gossip layer de-multiplexes to local subscribers (Fabric DeMultiplex):
// a block accepted by a channel (pushed, or obtained by pull), a new StateInfo, a new
// leadership message. `via` tells how a block arrived (push or pull).
struct DeliveredMessage {
  EnvelopePtr msg;
  std::string channel;
  BlockPath via = BlockPath::push;
};

class GossipService {
 public:
  // Starts everything Fabric's NewGossipService starts (spec §2.2): discovery's loops, the
  // identity puller, the discovery sync loop, the inbound subscription, the presumed-dead
  // relay, and the connections to the bootstrap peers. `env` and `pki` outlive the service.
  GossipService(Env& env, const Pki& pki, GossipServiceSetup setup);
  ~GossipService();
  GossipService(const GossipService&) = delete;
  GossipService& operator=(const GossipService&) = delete;

  // --- outbound API (spec §2.5) ---
  // Gossip(msg): signs (blocks: no-op), puts blocks into the channel's store and puller,
  // and hands the message to the emitter.
  void gossip(GossipMessage msg);
  // Send(msg, peers...): no-op signed, point to point.
  void send(GossipMessage msg, const std::vector<RemotePeer>& peers);

  // --- channels (spec §2.2) ---
  // JoinChan: creates or reconfigures the channel and learns the anchor peers of each org.
  void join_channel(const JoinChannelMessage& join, const std::string& channel);
  // UpdateChannelMetadata (v1.0): publishes a new StateInfo with this metadata.
  void update_channel_metadata(const Bytes& metadata, const std::string& channel);
  // Ledger height as the profile publishes it (v1.0 metadata = last block number, §8.1).
  void update_ledger_height(std::uint64_t height, const std::string& channel);
  void leave_channel(const std::string& channel);  // latest only (§5.9)
  GossipChannel* channel(const std::string& name);

  // --- membership ---
  void update_metadata(Bytes metadata);  // discovery self metadata (next alive messages)
  std::vector<NetworkMember> peers() const;                            // Peers()
  std::vector<ChannelMember> peers_of_channel(const std::string& ch);  // PeersOfChannel()

  // --- subscriptions (spec §2.2 Accept) ---
  // passThrough = false: what the gossip layer de-multiplexes after processing.
  using DeliverHandler = std::function<void(const DeliveredMessage&)>;
  void subscribe(std::function<bool(const DeliveredMessage&)> predicate, DeliverHandler handler);
  // passThrough = true: raw messages straight from comm (state transfer), with Respond().
  Comm::SubscriptionId subscribe_raw(Comm::Predicate predicate, Comm::Handler handler);

  void stop();
  bool stopped() const { return stopped_; }

  // --- inspection ---
  const PkiId& self_pki_id() const { return setup_.self.pki_id; }
  const std::string& self_org() const { return setup_.self.org; }
  const GossipConfig& config() const { return setup_.config; }
  const Endpoint& external_endpoint() const { return setup_.external_endpoint; }
  Comm& comm() { return *comm_; }
  Discovery& discovery() { return *discovery_; }
  IdentityMapper& identity_mapper() { return *idmapper_; }
  MessageCryptoService& crypto() { return *mcs_; }

 private:
  class DiscoveryCommAdapter;
  class DiscoveryCryptoAdapter;
  class ChannelAdapterImpl;
  friend class DiscoveryCommAdapter;
  friend class DiscoveryCryptoAdapter;
  friend class ChannelAdapterImpl;

  // An emitted message and the peer it must not be forwarded back to (latest, §2.6;
  // empty for own messages and in v1.0).
  struct Emitted {
    EnvelopePtr msg;
    PkiId from;
  };

  void start_sync_loop();
  void connect_to_bootstrap_peers();
  void learn_anchor_peers(const std::string& org, const std::vector<Endpoint>& anchors);

  // spec §2.6
  void gossip_batch(const std::vector<Emitted>& batch);
  void route_blocks(const std::vector<const Emitted*>& blocks, bool leadership);
  void route_state_info(const Emitted& e);
  void route_org_restricted(const std::vector<const Emitted*>& msgs);
  void route_alive(const Emitted& e);
  // Members chosen by SelectPeers: pointers into the MembershipView the caller holds.
  using Chosen = std::vector<const NetworkMember*>;
  void send_and_filter_secrets(const EnvelopePtr& alive, const Chosen& peers);
  template <typename Pred>
  Chosen select_peers(std::size_t k, const std::vector<MemberPtr>& pool, Pred&& pred);
  Chosen select_by_org(std::size_t k, const MembershipView& view, const std::vector<bool>& allowed, const Emitted* e);
  Chosen choose(std::size_t k);
  std::vector<bool>& no_org_allowed();
  bool excluded(const Emitted& e, const NetworkMember& m) const;
  bool is_in_my_org(const NetworkMember& m);

  // spec §2.7
  void handle_message(const ReceivedMessage& m);
  bool validate_msg(const ReceivedMessage& m);
  bool validate_alive_msg(const EnvelopePtr& m);
  bool validate_state_info(const Envelope& m);
  GossipChannel* lookup_channel_for(const ReceivedMessage& m);
  GossipChannel* channel_by_mac(const PkiId& pki, const Bytes& mac);
  void deliver(const EnvelopePtr& msg, const std::string& channel);

  // spec §2.8
  std::pair<Sieve, EnvelopeFilter> disclosure_policy(const NetworkMember& remote);

  void send_to(const EnvelopePtr& msg, const Chosen& peers);
  std::optional<std::string_view> org_of(const PkiId& pki);

  Env& env_;
  const Pki& pki_;
  GossipServiceSetup setup_;
  bool stopped_ = false;

  std::unique_ptr<MessageCryptoService> mcs_;
  std::unique_ptr<IdentityMapper> idmapper_;
  std::unique_ptr<Comm> comm_;
  std::unique_ptr<BatchingEmitter<Emitted>> emitter_;
  std::unique_ptr<DiscoveryCommAdapter> disc_comm_;
  std::unique_ptr<DiscoveryCryptoAdapter> disc_crypto_;
  std::unique_ptr<Discovery> discovery_;
  std::unique_ptr<ChannelAdapterImpl> chan_adapter_;
  std::map<std::string, std::unique_ptr<GossipChannel>> channels_;
  // spec §4.3: StateInfo of channels this peer has not joined, relayed for own-org peers.
  std::unique_ptr<GossipMessageStore> state_info_store_;
  std::unique_ptr<CertStore> cert_store_;

  std::vector<std::pair<std::function<bool(const DeliveredMessage&)>, DeliverHandler>> subscribers_;
  // How the block being handled arrived: set while a DataMessage (push) or a block
  // DataUpdate (pull) is in the channel's hands, so deliver() can tell.
  BlockPath inbound_path_ = BlockPath::push;
  TimerHandle sync_timer_;
  std::vector<const NetworkMember*> candidates_buffer_;  // select_peers' scratch space
  std::vector<bool> org_mask_buffer_;                    // no_org_allowed()'s

  // Routing filters every member of the membership for every emitted message (spec §2.4,
  // §2.6): with 1,000 peers a flood of alive or StateInfo messages makes 10^9 org checks.
  // This table holds, per member of one MembershipView, its identity's enrolment record
  // as the identity mapper has it (null: unknown), so that a check compares org numbers
  // instead of looking a PKI-ID up. Exact while the view and the mapper's generation are
  // the ones it was built from; routing_table() rebuilds it otherwise.
  struct MemberIdentity {
    static constexpr std::uint32_t kUnknown = UINT32_MAX;
    std::uint32_t index = kUnknown;  // PeerCredentials::index of its identity, kUnknown if not in the mapper
    std::uint32_t org_index = 0;     // PeerCredentials::org_index
  };
  struct RoutingTable {
    MembershipView view;
    std::uint64_t identities_generation = 0;
    std::vector<MemberIdentity> identities;  // compact: the per-member check reads 8 bytes
  };
  RoutingTable routing_;
  const RoutingTable& routing_table(const MembershipView& view);
  std::uint32_t my_org_index_ = 0;
};

}  // namespace gs::proto
