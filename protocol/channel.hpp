// Per-channel gossip state (spec §5; Fabric gossip/gossip/channel/channel.go,
// `gossipChannel`): the channel's member orgs, the block store and block puller, the
// StateInfo cache and its sweep, the leadership store, the own StateInfo with its publish
// and request tickers, and the handling of every channel-restricted message (§5.7).
//
// Sans-IO: the channel reaches the gossip core only through ChannelAdapter (Fabric's
// channel.Adapter plus the MessageCryptoService calls it makes) and the world only
// through Env (timers, RngPurpose::channel, now()).
//
// Behaviour is v1.0 by default; `ChannelConfig::profile` set to fabric-2.5 / fabric-3.0
// selects the "Latest:" differences of §5 (§5.2 eligibility, §5.3 publication and
// properties, §5.4 ingress digest filter, §5.7 handling, §5.9 leaving the channel).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/time.hpp"
#include "protocol/config.hpp"
#include "protocol/env.hpp"
#include "protocol/message.hpp"
#include "protocol/msgstore.hpp"
#include "protocol/pull_mediator.hpp"

namespace gs::proto {

// Everything the channel needs from a configuration (spec §10 keys, §4.3 derived values).
// Defaults are Fabric v1.0's. A derived value left unset is computed by resolved(); set it
// to override (the §11.6 tests do).
struct ChannelConfig {
  // Version behaviour: fabric-1.0 (default) or a latest profile (spec §5 "Latest:", §12).
  Profile profile = Profile::fabric_1_0;
  // peer.gossip.publishStateInfoInterval: period of the StateInfo publish ticker (§5.3). 4 s.
  Duration publish_state_info_interval = Duration::seconds(4);
  // peer.gossip.requestStateInfoInterval: period of the StateInfo pull-request ticker (§5.3). 4 s.
  Duration request_state_info_interval = Duration::seconds(4);
  // peer.gossip.pullInterval: block pull round period (§5.4); also the base of the derived
  // block-store TTL and cache-sweep period below. 4 s.
  Duration pull_interval = Duration::seconds(4);
  // peer.gossip.pullPeerNum: peers said hello to per block-pull round, and targets of each
  // StateInfo pull request (§5.3, §5.4). 3. 0 = no pull, no StateInfo requests.
  std::uint32_t pull_peer_num = 3;
  // peer.gossip.maxBlockCountToStore: K of the block store policy (§1.5, §4.3): blocks more
  // than K apart cannot coexist. v1.0: 100; latest: 10.
  std::uint64_t max_block_count_to_store = 100;
  // peer.gossip.digestWaitTime / requestWaitTime / responseWaitTime of the block puller (§3.1).
  Duration digest_wait_time = Duration::seconds(1);
  Duration request_wait_time = Duration::seconds(1);  // latest: 1.5 s
  Duration response_wait_time = Duration::seconds(2);
  // peer.gossip.membershipTrackerInterval (latest only, §5.10): period of the ticker that
  // compares GetPeers() with its previous result (metrics only, no protocol effect). 5 s.
  Duration membership_tracker_interval = Duration::seconds(5);
  // peer.gossip.election.leaderAliveThreshold (LAT): base of the leadership store TTL (§4.3). 10 s.
  Duration leader_alive_threshold = Duration::seconds(10);

  // --- derived (spec §4.3); nullopt = computed by resolved() ---
  // Block store TTL: entries expire after it and vanish after twice it. PullInterval × 100.
  std::optional<Duration> block_expiration_interval;
  // Period of the sleep-first StateInfo cache sweep. PullInterval × 5.
  std::optional<Duration> state_info_cache_sweep_interval;
  // Leadership store TTL. LAT × 10.
  std::optional<Duration> leadership_msg_expiration;

  // Fabric's defaults for a profile (v1.0; latest: K = 10, requestWaitTime 1.5 s).
  static ChannelConfig defaults_for(Profile p);
  // The channel-related keys of a peer's resolved gossip configuration.
  static ChannelConfig from(const GossipConfig& g);
  // A copy with every derived value filled in; asserts the periods are positive (a zero
  // period would make a loop spin at one instant).
  ChannelConfig resolved() const;
  bool latest() const { return is_latest(profile); }
};

// Fabric's api.JoinChannelMessage: the channel's member orgs (as the adapter's
// org_of_peer names them) and the config sequence number that orders reconfigurations
// (§5.8). Anchor peers are the gossip core's business and are carried along for it.
struct JoinChannelMessage {
  std::uint64_t sequence_number = 0;
  std::vector<std::string> orgs;
  std::map<std::string, std::vector<Endpoint>> anchor_peers;  // org -> anchor endpoints
};

// discovery.NetworkMember as the channel sees it. GetPeers() fills metadata / properties
// from the member's latest StateInfo (§5.5).
struct ChannelMember {
  PkiId pki_id;
  Endpoint endpoint;           // external endpoint ("" = not disclosed to other orgs)
  Endpoint internal_endpoint;  // "" when unknown
  Bytes metadata;              // v1.0 StateInfo metadata (§8.1)
  std::optional<StateInfoProperties> properties;  // latest StateInfo properties
  // PreferredEndpoint(): internal when known, else external (§2.4).
  const Endpoint& preferred_endpoint() const { return internal_endpoint.empty() ? endpoint : internal_endpoint; }
};

// A message received on a connection (Fabric's ReceivedMessage): the envelope, the PKI-ID
// of the connection's remote end, and a way to answer on that connection. It is also the
// pull mediator's PullReceivedMessage, so the channel hands it to the block puller as is.
using ChannelReceivedMessage = PullReceivedMessage;

// How the channel reaches the gossip core (Fabric's channel.Adapter, spec §5 and
// gossip/gossip/chanstate.go) and the MessageCryptoService (§0.2).
class ChannelAdapter {
 public:
  virtual ~ChannelAdapter() = default;
  // Gossip(msg): hand a message to the emitter (push, §2.3).
  virtual void gossip(const EnvelopePtr& msg) = 0;
  // Forward(msg): latest only (§5.7, §2.6): push a received message to others, excluding
  // the peer it came from.
  virtual void forward(const ChannelReceivedMessage& msg) = 0;
  // DeMultiplex(msg): deliver to local subscribers (state provider, election).
  virtual void deliver(const EnvelopePtr& msg) = 0;
  // GetMembership(): discovery's alive members.
  virtual std::vector<ChannelMember> get_membership() = 0;
  // Lookup(pki_id): the alive or dead member, or nullopt when discovery does not know it.
  virtual std::optional<ChannelMember> lookup(const PkiId& pki_id) = 0;
  // Send(msg, peers...): no-op signed point-to-point send.
  virtual void send(const EnvelopePtr& msg, const std::vector<ChannelMember>& peers) = 0;
  // ValidateStateInfoMessage(msg): identity of the creator known and signature valid (§2.7).
  virtual bool validate_state_info_message(const Envelope& msg) = 0;
  // GetOrgOfPeer(pki_id): nullopt when the identity (hence the org) is unknown.
  virtual std::optional<std::string> org_of_peer(const PkiId& pki_id) = 0;
  // GetIdentityByPKIID(pki_id): nullopt when the identity mapper does not know it.
  virtual std::optional<IdentityBytes> identity_of(const PkiId& pki_id) = 0;
  // MCS.VerifyByChannel(channel, identity, signature, message): channel read access.
  virtual bool verify_by_channel(const std::string& channel, const IdentityBytes& identity, const Envelope& msg) = 0;
  // MCS.VerifyBlock(channel, seq, block).
  virtual bool verify_block(const std::string& channel, std::uint64_t seq, const Payload& payload) = 0;
  // Sign(msg): the message signed by this peer.
  virtual EnvelopePtr sign(GossipMessage msg) = 0;
};

// spec §1.5 / Appendix B.1: the constant inc_num of every v1.0 StateInfo — Go's zero
// time.Time in UnixNano (-6795364578871345152) as the uint64 the proto field holds.
inline constexpr std::uint64_t kStateInfoIncNumV10 = 11651379494838206464ULL;

// v1.0 StateInfo metadata (spec §8.1): NodeMetastate{LedgerHeight} as 8 bytes big-endian.
Bytes encode_ledger_height(std::uint64_t h);
std::optional<std::uint64_t> decode_ledger_height(const Bytes& metadata);

class GossipChannel {
 public:
  // Starts the publish and request tickers, the cache sweep, the stores' expiration and
  // the block puller. `env` and `adapter` must outlive the channel.
  GossipChannel(Env& env, ChannelAdapter& adapter, PkiId self, std::string channel, const JoinChannelMessage& join,
                const ChannelConfig& config);
  ~GossipChannel();
  GossipChannel(const GossipChannel&) = delete;
  GossipChannel& operator=(const GossipChannel&) = delete;

  // Stop(): every timer of the channel ends; later messages are ignored.
  void stop();

  // --- spec §5.2 eligibility ---
  bool is_org_in_channel(const std::string& org) const;
  bool is_member_in_chan(const PkiId& member);
  bool eligible_for_channel(const PkiId& member);
  bool eligible_for_channel_and_same_org(const PkiId& member);

  // spec §5.5 GetPeers(): alive members eligible for the channel, with their StateInfo
  // metadata (v1.0) / properties (latest; members that left are excluded).
  std::vector<ChannelMember> get_peers();

  // spec §5.3 UpdateStateInfo(msg): a signed StateInfo of this peer becomes the own
  // StateInfo (cached, dirty). v1.0's gossip core builds it (UpdateChannelMetadata).
  void update_state_info(const EnvelopePtr& msg);
  // Builds, signs and applies the own StateInfo (UpdateChannelMetadata in v1.0).
  void update_metadata(const Bytes& metadata);
  // Publishes ledger height `h`: v1.0 metadata = encode_ledger_height(h) (callers pass the
  // last block number, quirk B.2 / §8.1); latest properties.ledger_height = h (true height).
  void update_ledger_height(std::uint64_t h);
  // spec §5.9 (latest): leave the channel (publish left_channel = true; stop taking part).
  void leave_channel();
  bool has_left() const { return left_; }

  // spec §5.6 AddToMsgStore(msg): local blocks (Gossip()) and StateInfo.
  void add_to_msg_store(const EnvelopePtr& msg);
  // spec §5.7 HandleMessage.
  void handle_message(const ChannelReceivedMessage& msg);
  // spec §5.8 ConfigureChannel.
  void configure(const JoinChannelMessage& join);

  // --- inspection (tests, metrics) ---
  const std::string& channel() const { return channel_; }
  const JoinChannelMessage& join_message() const { return join_; }
  const EnvelopePtr& own_state_info() const { return state_info_msg_; }
  bool should_gossip_state_info() const { return should_gossip_state_info_; }
  std::size_t block_store_size() const { return block_store_.size(); }
  std::vector<EnvelopePtr> state_info_cache() const { return state_info_cache_.get(); }
  // The latest cached StateInfo of `pki_id`, or null.
  EnvelopePtr state_info_of(const PkiId& pki_id) const;
  std::size_t leadership_store_size() const { return leader_store_.size(); }
  const PullMediator& block_puller() const { return *block_puller_; }
  const ChannelConfig& config() const { return config_; }

  // spec §5.10 (latest): what the membership tracker saw. Fabric only logs it.
  struct MembershipTrackerStats {
    std::uint64_t checks = 0;
    std::uint64_t joined = 0;  // peers in GetPeers() that were not in the previous result
    std::uint64_t left = 0;    // peers of the previous result no longer in GetPeers()
  };
  const MembershipTrackerStats& membership_tracker_stats() const { return tracker_stats_; }

 private:
  class UpdateView;

  // Timers (Appendix A): publish ticker, request ticker, sleep-first cache sweep.
  void arm_publish_ticker();
  void arm_request_ticker();
  void arm_sweep_timer();
  void on_publish_tick();
  void on_request_tick();
  void on_sweep_timer();
  void arm_tracker_ticker();
  void on_tracker_tick();
  void publish_state_info();
  void request_state_info();

  void build_own_state_info(const Bytes& metadata, std::optional<StateInfoProperties> properties);
  std::uint64_t next_state_info_seq();

  std::unique_ptr<PullMediator> make_block_puller();
  std::vector<PullMember> block_puller_membership();
  std::optional<std::string> self_org();

  bool verify_msg(const ChannelReceivedMessage& msg) const;
  bool add_state_info(const EnvelopePtr& msg);
  bool state_info_valid_for_cache(const Envelope& msg);
  void revalidate_state_info_cache();
  EnvelopePtr create_state_info_snapshot(const std::string& requester_org);
  void handle_state_info_snapshot(const ChannelReceivedMessage& msg);
  void handle_data_or_state_info(const ChannelReceivedMessage& msg);
  void handle_block_pull_message(const ChannelReceivedMessage& msg);
  void handle_leadership(const ChannelReceivedMessage& msg);
  bool verify_block(const Envelope& item);

  Env& env_;
  ChannelAdapter& adapter_;
  PkiId self_;
  std::string channel_;
  ChannelConfig config_;
  JoinChannelMessage join_;
  std::vector<std::string> orgs_;
  bool stopped_ = false;
  bool left_ = false;

  EnvelopePtr state_info_msg_;
  bool should_gossip_state_info_ = false;
  std::uint64_t last_state_info_seq_ = 0;
  std::uint64_t inc_num_;  // StateInfo inc_num: constant (v1.0) or channel creation time (latest)
  std::uint64_t ledger_height_ = 0;  // latest: from the own StateInfo (§5.4 ingress filter)
  Bytes own_metadata_;
  StateInfoProperties own_properties_;

  std::unique_ptr<PullMediator> block_puller_;
  GossipMessageStore block_store_;
  GossipMessageStore state_info_cache_;
  // The cache's PKI-ID index: lookups only (every StateInfo received and every
  // eligibility check), never iterated.
  std::unordered_map<PkiId, EnvelopePtr, PkiIdHash> state_info_by_pki_id_;
  GossipMessageStore leader_store_;

  TimerHandle publish_timer_;
  TimerHandle request_timer_;
  TimerHandle sweep_timer_;
  TimerHandle tracker_timer_;
  Time next_publish_at_;
  Time next_request_at_;
  Time next_tracker_at_;
  std::vector<PkiId> tracked_peers_;  // sorted: the previous GetPeers() result (§5.10)
  MembershipTrackerStats tracker_stats_;
};

}  // namespace gs::proto
