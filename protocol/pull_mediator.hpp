// The pull mediator (spec §3.4; Fabric gossip/gossip/pull/pullstore.go): binds a PullEngine
// to gossip messages. Instances: the identity puller (§2.11: IDENTITY_MSG, channel "", tag
// EMPTY, pool = all alive members) and one block puller per channel (§5.4: BLOCK_MSG, the
// channel, tag CHAN_AND_ORG, pool = eligible same-org members).
//
// It keeps the signed message of every item (itemID2Msg) next to the engine's ID set,
// turns the engine's adapter calls into GossipHello / DataDigest / DataRequest / DataUpdate
// messages, and feeds received pull messages back into the engine.
//
// The comm-layer pieces it needs (a member of the peer pool, a received message that can be
// answered on its connection) are declared here as the smallest interfaces the mediator
// uses (PullMember, PullReceivedMessage); callers adapt their own types to them.
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "protocol/env.hpp"
#include "protocol/message.hpp"
#include "protocol/pull_engine.hpp"

namespace gs::proto {

// A member of the mediator's peer pool: the part of discovery's NetworkMember it uses.
struct PullMember {
  Endpoint endpoint;           // external endpoint ("" = not published to other orgs)
  Endpoint internal_endpoint;  // "" when unknown
  PkiId pki_id;
  // Fabric's PreferredEndpoint(): the internal endpoint when known, else the external one.
  const Endpoint& preferred_endpoint() const { return internal_endpoint.empty() ? endpoint : internal_endpoint; }
};

// A received message with the connection it came on: the part of Fabric's ReceivedMessage
// the mediator uses.
class PullReceivedMessage {
 public:
  virtual ~PullReceivedMessage() = default;
  virtual const EnvelopePtr& envelope() const = 0;
  // PKI-ID of the peer at the other end of the connection (ConnectionInfo.ID).
  virtual const PkiId& sender_pki_id() const = 0;
  // Sends `msg` back on the same connection (Respond()).
  virtual void respond(const EnvelopePtr& msg) const = 0;
};

// spec §3.4 Config {MsgType, Channel, Tag, PeerCountToSelect, PullInterval, ID} plus the
// engine timings. PullInterval lives in `engine.pull_interval` (one source of truth).
struct PullMediatorConfig {
  std::string id;                                 // log name
  std::string channel;                            // carried by every pull message ("" for identities)
  PullMsgType msg_type = PullMsgType::UNDEFINED;  // BLOCK_MSG or IDENTITY_MSG
  Tag tag = Tag::UNDEFINED;                       // CHAN_AND_ORG for blocks, EMPTY for identities (§1.4)
  // peer.gossip.pullPeerNum: peers said hello to per round (default 3; 0 = none, pull idle).
  std::size_t peer_count_to_select = 3;
  // peer.gossip.pullInterval, digestWaitTime, requestWaitTime, responseWaitTime.
  PullEngineConfig engine;

  // Why this mediator cannot run, or nullopt: msg_type must be BLOCK_MSG or IDENTITY_MSG,
  // the tag legal for it (spec §1.4), the engine timings valid.
  std::optional<std::string> problem() const;
};

// spec §3.4 adapter {Sender, MembershipService, IdExtractor, MsgConsumer, DigestFilter}.
struct PullMediatorAdapter {
  // Sender.Send: point-to-point send of `msg` to each of `peers`.
  std::function<void(const EnvelopePtr& msg, const std::vector<PullMember>& peers)> send;
  // MembershipService.GetMembership: the current peer pool.
  std::function<std::vector<PullMember>()> get_membership;
  // IdExtractor: the item ID of an item message (block: decimal seq_num; identity: pki_id).
  std::function<std::string(const Envelope& item)> id_extractor;
  // MsgConsumer: receives every item of every DataUpdate, before any nonce check (§3.4).
  std::function<void(const EnvelopePtr& item)> msg_consumer;
  // Egress DigestFilter: may `item_id` be shown to the sender of `request`? Applied to the
  // digests and updates we send. Empty = show everything (v1.0 block pull, §5.4).
  std::function<bool(const PullReceivedMessage& request, const std::string& item_id)> egress_digest_filter;
  // Latest only (spec §3.4, §5.4): the ids of a received DataDigest that may be considered
  // (block pull: seqs ≥ own ledger height); applied before the engine and the hooks see the
  // digest. Empty = keep all (v1.0).
  std::function<std::vector<std::string>(const std::vector<std::string>& digests, const PullReceivedMessage& msg)>
      ingress_digest_filter;
};

// Fabric's pull.MsgType: which received pull message a hook is for.
enum class PullPhase : std::uint8_t { hello, digest, request, response };
inline constexpr std::size_t kPullPhaseCount = 4;

// Runs after a received pull message of its phase was processed. `item_ids`: the digest's or
// request's ids, or the update's item ids; `items`: the update's items (else empty).
using PullMsgHook = std::function<void(const std::vector<std::string>& item_ids, const std::vector<EnvelopePtr>& items,
                                       const PullReceivedMessage& msg)>;

class PullMediator final : private PullAdapter {
 public:
  // Starts the engine's round loop. `env` must outlive the mediator.
  PullMediator(Env& env, PullMediatorConfig config, PullMediatorAdapter adapter);
  PullMediator(const PullMediator&) = delete;
  PullMediator& operator=(const PullMediator&) = delete;

  // spec §3.4 HandleMessage: feeds a received pull message of our msg_type to the engine;
  // anything else is ignored.
  void handle_message(const PullReceivedMessage& msg);
  // RegisterMsgHook.
  void register_msg_hook(PullPhase phase, PullMsgHook hook);

  // spec §3.4 Add: stores the message under IdExtractor(msg) and adds the id to the engine.
  void add(const EnvelopePtr& msg);
  // spec §3.4 Remove: forgets the id in both.
  void remove(const std::string& item_id);
  // Stops the engine (see PullEngine::stop); later messages are ignored.
  void stop();

  const PullEngine& engine() const { return engine_; }
  // The stored message of an item (itemID2Msg), or null.
  EnvelopePtr stored(const std::string& item_id) const;
  const PullMediatorConfig& config() const { return config_; }

 private:
  // PullAdapter (spec §3.3) in gossip messages.
  std::vector<std::string> select_peers() override;
  void hello(const std::string& dest, std::uint64_t nonce) override;
  void send_digest(const std::vector<std::string>& digest, std::uint64_t nonce, const PullContext& context) override;
  void send_req(const std::string& dest, const std::vector<std::string>& items, std::uint64_t nonce) override;
  void send_res(const std::vector<std::string>& items, const PullContext& context, std::uint64_t nonce) override;

  PullDigestFilter engine_filter();
  // A no-op-signed pull message with our channel, tag and outer nonce 0 (spec §3.4).
  EnvelopePtr make_pull_message(Content content) const;
  // Members whose PreferredEndpoint equals `endpoint` (Fabric's peersWithEndpoints).
  std::vector<PullMember> peers_with_endpoint(const std::string& endpoint) const;
  void handle_update(const DataUpdate& update, std::vector<std::string>& item_ids, std::vector<EnvelopePtr>& items,
                     bool& complete);

  Env& env_;
  PullMediatorConfig config_;
  PullMediatorAdapter adapter_;
  std::map<std::string, EnvelopePtr> item_id2msg_;
  std::array<std::vector<PullMsgHook>, kPullPhaseCount> hooks_;
  PullEngine engine_;  // last: its timers capture the members above
};

}  // namespace gs::proto
