// Gossip wire messages of Fabric v1.0 (spec §1): content variants, the GossipMessage
// header, signed envelopes, tags and routing predicates, PeerTime and the replacement
// policy, the channel MAC, wire sizes and the canonical text form.
//
// Sharing model (DESIGN.md "Performance shape"): a message is built once, wrapped in an
// immutable `Envelope` and passed around as `EnvelopePtr` (shared_ptr<const Envelope>);
// it is never copied per recipient. An Envelope shares its GossipMessage payload through
// a second shared_ptr, so the secret-stripped variant sent to another org (spec §2.8) is
// a new small Envelope object pointing at the same payload: the original is never
// mutated (v1.0 mutated it; the observable result per recipient is the same).
//
// Simulated signatures: a Signature names the signer's PKI-ID and carries the 64-bit
// digest of the payload it was made over (`payload_digest`). Verification (crypto.hpp)
// checks the signer and that the digest matches the envelope's payload; on the wire it
// counts as an ECDSA P-256 DER signature (kSignatureBytes).
//
// Wire size: `Envelope::wire_bytes()` is the size of the protobuf encoding of the
// Envelope (spec §1.1) with the field numbers of v1.0 `message.proto`: proto3 omits zero
// scalars, empty bytes/strings and unset sub-messages; a set sub-message costs key +
// varint(length) + length even when empty. Opaque stand-ins are counted at realistic
// sizes: signatures kSignatureBytes, serialized identities kIdentityBytes, block data
// the workload's block size. gRPC/HTTP2 framing is not included (the transport's job).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "protocol/env.hpp"

namespace gs::proto {

// Opaque byte strings (metadata, MACs, TLS cert hashes).
using Bytes = std::string;
// A serialized identity (an MSP SerializedIdentity: MSP-ID + PEM certificate). The
// simulator stores a short stand-in text (see crypto.hpp for its derivation) but counts
// it on the wire as kIdentityBytes whenever it is non-empty.
using IdentityBytes = std::string;

inline constexpr std::uint32_t kSignatureBytes = 70;  // DER ECDSA P-256 signature: 70–72 bytes
inline constexpr std::uint32_t kIdentityBytes = 800;  // MSP-ID + PEM X.509 ECDSA certificate
inline constexpr std::uint32_t kMacBytes = 32;        // SHA-256 output (spec §1.6)

// ---------------------------------------------------------------------------------------
// Enumerations (spec §1.2, §1.3)

// spec §1.2: Tag values as in message.proto.
enum class Tag : std::uint8_t {
  UNDEFINED = 0,
  EMPTY = 1,
  ORG_ONLY = 2,
  CHAN_ONLY = 3,
  CHAN_AND_ORG = 4,
  CHAN_OR_ORG = 5,
};
std::string_view to_string(Tag t);

// spec §1.3: PullMsgType.
enum class PullMsgType : std::uint8_t {
  UNDEFINED = 0,
  BLOCK_MSG = 1,
  IDENTITY_MSG = 2,
};
std::string_view to_string(PullMsgType t);

// spec §1.5: the result of comparing a new message with a stored one.
enum class InvalidationResult : std::uint8_t {
  NO_ACTION,    // unrelated messages
  INVALIDATES,  // the new message replaces (evicts) the stored one
  INVALIDATED,  // the new message is rejected (stored one is newer or equal)
};
std::string_view to_string(InvalidationResult r);

// ---------------------------------------------------------------------------------------
// Building blocks

// spec §1.5: a process incarnation (inc_num) and a counter within it (seq_num).
struct PeerTime {
  std::uint64_t inc_num = 0;
  std::uint64_t seq_num = 0;
  friend bool operator==(const PeerTime&, const PeerTime&) = default;
};

// A simulated signature. `kind == none` is Fabric's "no-op signing" (empty signature,
// spec §1.1). `payload_echo` is the v1.0 ConnEstablish without TLS, whose "signature"
// is the payload itself (spec §1.3 #14): it verifies nothing and costs the payload size.
struct Signature {
  enum class Kind : std::uint8_t { none, ecdsa, payload_echo };
  Kind kind = Kind::none;
  PkiId signer;             // who made it (ecdsa only)
  std::uint64_t digest = 0;  // payload_digest of what was signed (ecdsa only)

  bool empty() const { return kind == Kind::none; }
  friend bool operator==(const Signature&, const Signature&) = default;
};

// spec §1.1: the signed Secret carrying an AliveMessage's internal endpoint.
struct SecretEnvelope {
  Endpoint internal_endpoint;
  Signature signature;  // over secret_digest(internal_endpoint)
  friend bool operator==(const SecretEnvelope&, const SecretEnvelope&) = default;
};

// An immutable block as produced by the workload (the orderer). Shared by every copy of
// every message that carries it; messages count `size_bytes` on the wire but never hold
// the bytes. `forged` marks a block that VerifyBlock must reject (a scenario event).
struct Block {
  std::uint64_t number = 0;
  std::uint64_t size_bytes = 0;
  bool forged = false;
};
using BlockRef = std::shared_ptr<const Block>;

// `Payload { seq_num, data }` (DataMessage and RemoteStateResponse). `block` may be null
// in unit tests (then data is empty on the wire).
struct Payload {
  std::uint64_t seq_num = 0;
  BlockRef block;
  std::uint64_t data_bytes() const { return block ? block->size_bytes : 0; }
};

// `Member { endpoint, metadata, pki_id }` (spec §1.3 #5). endpoint = external endpoint.
struct Member {
  Endpoint endpoint;
  Bytes metadata;
  PkiId pki_id;
};

class Envelope;
using EnvelopePtr = std::shared_ptr<const Envelope>;
struct NetworkMember;  // protocol/discovery.hpp

// ---------------------------------------------------------------------------------------
// Content variants (spec §1.3, numbers are the oneof field numbers of GossipMessage)

struct AliveMessage {  // #5
  Member membership;
  PeerTime timestamp;
  IdentityBytes identity;  // only during PublishCertPeriod after start (spec §1.3)
};
struct MembershipRequest {  // #6
  EnvelopePtr self_information;  // the requester's signed AliveMessage
  std::vector<Bytes> known;      // deprecated, always empty in v1.0
};
struct MembershipResponse {  // #7
  std::vector<EnvelopePtr> alive;
  std::vector<EnvelopePtr> dead;
};
struct DataMessage {  // #8
  Payload payload;
};
struct GossipHello {  // #9 (metadata is always null in v1.0 and not modelled)
  std::uint64_t nonce = 0;
  PullMsgType msg_type = PullMsgType::UNDEFINED;
};
struct DataDigest {  // #10 (digests are strings in v1.0)
  std::uint64_t nonce = 0;
  std::vector<std::string> digests;
  PullMsgType msg_type = PullMsgType::UNDEFINED;
};
struct DataRequest {  // #11
  std::uint64_t nonce = 0;
  std::vector<std::string> digests;
  PullMsgType msg_type = PullMsgType::UNDEFINED;
};
struct DataUpdate {  // #12 (items keep their own signatures)
  std::uint64_t nonce = 0;
  std::vector<EnvelopePtr> data;
  PullMsgType msg_type = PullMsgType::UNDEFINED;
};
struct Empty {};    // #13
struct ConnEstablish {  // #14
  PkiId pki_id;
  IdentityBytes identity;
  Bytes tls_cert_hash;  // 32 bytes with TLS, empty without
  bool probe = false;   // latest only (spec §9.4); always false in fabric-1.0
};
// Latest-only StateInfo properties (spec §1.3 #15); chaincodes are not modelled.
struct StateInfoProperties {
  std::uint64_t ledger_height = 0;
  bool left_channel = false;
};
struct StateInfo {  // #15
  Bytes metadata;  // v1.0: ledger-height encoding (spec §8.1)
  PeerTime timestamp;
  PkiId pki_id;
  Bytes channel_mac;  // spec §1.6
  std::optional<StateInfoProperties> properties;  // latest only
};
struct StateInfoSnapshot {  // #16
  std::vector<EnvelopePtr> elements;
};
struct StateInfoPullRequest {  // #17
  Bytes channel_mac;  // MAC of the requester's PKI-ID and the channel
};
struct RemoteStateRequest {  // #18 (inclusive range)
  std::uint64_t start_seq_num = 0;
  std::uint64_t end_seq_num = 0;
};
struct RemoteStateResponse {  // #19
  std::vector<Payload> payloads;
};
struct LeadershipMessage {  // #20
  PkiId pki_id;
  PeerTime timestamp;
  bool is_declaration = false;  // false = proposal
};
struct PeerIdentity {  // #21 (metadata is always null and not modelled)
  PkiId pki_id;
  IdentityBytes cert;
};

using Content = std::variant<AliveMessage, MembershipRequest, MembershipResponse, DataMessage, GossipHello,
                             DataDigest, DataRequest, DataUpdate, Empty, ConnEstablish, StateInfo,
                             StateInfoSnapshot, StateInfoPullRequest, RemoteStateRequest, RemoteStateResponse,
                             LeadershipMessage, PeerIdentity>;

// spec §1.2: `GossipMessage { nonce, channel, tag, content }`.
struct GossipMessage {
  std::uint64_t nonce = 0;  // request/response correlation only (spec §1.2)
  std::string channel;      // empty for StateInfo / StateInfoPullRequest (they carry a MAC)
  Tag tag = Tag::UNDEFINED;
  Content content;

  template <typename T>
  bool is() const { return std::holds_alternative<T>(content); }
  template <typename T>
  const T* get_if() const { return std::get_if<T>(&content); }
};

// ---------------------------------------------------------------------------------------
// Message kinds: one label per variant, pull messages split by msg_type. Used as
// WirePacket.kind and as the key of per-type counters; the names are stable.

enum class MessageKind : std::uint16_t {
  alive,
  mem_req,
  mem_res,
  data,
  hello_block,
  hello_identity,
  digest_block,
  digest_identity,
  request_block,
  request_identity,
  update_block,
  update_identity,
  pull_undefined,  // a pull message with msg_type UNDEFINED (illegal, spec §1.4)
  empty,
  conn,
  state_info,
  state_snapshot,
  state_info_pull_req,
  state_request,
  state_response,
  leadership,
  peer_identity,
  count_,
};
inline constexpr std::size_t kMessageKindCount = static_cast<std::size_t>(MessageKind::count_);
// Stable names, e.g. "AliveMessage", "GossipHello.BLOCK", "DataUpdate.IDENTITY".
std::string_view to_string(MessageKind k);
MessageKind kind_of(const GossipMessage& m);

// ---------------------------------------------------------------------------------------
// Envelope (spec §1.1): payload + signature + optional secret envelope. Immutable.

class Envelope {
 public:
  // Wraps `msg`. Use crypto.hpp's MessageCryptoService to produce signed envelopes;
  // make_unsigned() is Fabric's no-op signing. A caller that has just computed
  // payload_digest(*msg) (to sign it) may hand it over as `known_payload_digest`; it
  // must be exactly that value.
  static EnvelopePtr make(std::shared_ptr<const GossipMessage> msg, Signature signature,
                          std::optional<SecretEnvelope> secret = std::nullopt,
                          std::optional<std::uint64_t> known_payload_digest = std::nullopt);
  static EnvelopePtr make_unsigned(GossipMessage msg);

  const GossipMessage& msg() const { return *msg_; }
  const std::shared_ptr<const GossipMessage>& msg_ptr() const { return msg_; }
  const Signature& signature() const { return signature_; }
  const std::optional<SecretEnvelope>& secret() const { return secret_; }
  MessageKind kind() const { return kind_; }

  // Digest of the serialized GossipMessage: what a signature over it must carry.
  // Computed on first use and then cached: only signed envelopes are ever verified, and
  // the digest of an unsigned composite message (a MembershipResponse carrying a
  // thousand alive messages) would cost a full text rendering of all of them.
  std::uint64_t payload_digest() const;
  // Size of the serialized GossipMessage (Envelope.payload).
  std::uint32_t payload_bytes() const { return payload_bytes_; }
  // Size of the whole serialized Envelope: what travels on the wire.
  std::uint32_t wire_bytes() const { return wire_bytes_; }

  template <typename T>
  bool is() const { return msg_->is<T>(); }
  template <typename T>
  const T* get_if() const { return msg_->get_if<T>(); }

  // The private constructor is reachable only through make(); public for make_shared.
  struct Private {};
  Envelope(Private, std::shared_ptr<const GossipMessage> msg, Signature signature,
           std::optional<SecretEnvelope> secret, std::optional<std::uint64_t> known_payload_digest);

 private:
  friend EnvelopePtr strip_secret(const EnvelopePtr& e);
  friend std::shared_ptr<const NetworkMember> announced_member(const EnvelopePtr& alive);

  std::shared_ptr<const GossipMessage> msg_;
  Signature signature_;
  std::optional<SecretEnvelope> secret_;
  MessageKind kind_;
  std::uint32_t payload_bytes_;
  std::uint32_t wire_bytes_;
  // Caches that do not change what the envelope is (single-threaded: a run never shares
  // envelopes across threads). The digest is a pure function of msg_; the stripped
  // variant (spec §2.8) is made once per envelope and shared by every membership
  // response and forward that needs it, instead of one copy per recipient; so is the
  // member an alive message announces (discovery.hpp announced_member).
  mutable std::optional<std::uint64_t> payload_digest_;
  mutable EnvelopePtr stripped_;
  mutable std::shared_ptr<const NetworkMember> announced_member_;
};

// spec §2.8: the envelope as sent to a peer of another org: SecretEnvelope removed.
// Returns `e` itself when it has no secret; otherwise an Envelope sharing the payload
// (made on the first call, the same object on later calls).
EnvelopePtr strip_secret(const EnvelopePtr& e);

// Digest of a GossipMessage's content as its signer would hash it (deterministic,
// independent of addresses). Envelope::payload_digest() caches it.
std::uint64_t payload_digest(const GossipMessage& m);
// Digest of a Secret{internalEndpoint} (what a SecretEnvelope signature covers).
std::uint64_t secret_digest(std::string_view internal_endpoint);

// The packet for Env::write and back. The packet body is the EnvelopePtr itself.
WirePacket to_packet(const EnvelopePtr& e);
EnvelopePtr from_packet(const WirePacket& p);

// ---------------------------------------------------------------------------------------
// Wire-size helpers (protobuf encoding rules), exposed for tests and for the transport.

std::uint32_t varint_bytes(std::uint64_t v);
// Serialized size of the GossipMessage (= Envelope.payload length).
std::uint64_t gossip_message_bytes(const GossipMessage& m);

// ---------------------------------------------------------------------------------------
// Tags and routing predicates (spec §1.4)

// spec §1.4: IsTagLegal. Conn and Empty are never legal (they never reach the check).
bool is_tag_legal(const GossipMessage& m);
bool is_channel_restricted(const GossipMessage& m);  // tag ∈ {CHAN_AND_ORG, CHAN_ONLY, CHAN_OR_ORG}
bool is_org_restricted(const GossipMessage& m);      // tag ∈ {CHAN_AND_ORG, ORG_ONLY}
bool is_pull_msg(const GossipMessage& m);            // Hello, Digest, Request or Update
bool is_remote_state_message(const GossipMessage& m);  // RemoteStateRequest or Response
// msg_type of a pull message; nullopt for any other message.
std::optional<PullMsgType> pull_msg_type(const GossipMessage& m);

// ---------------------------------------------------------------------------------------
// PeerTime comparison and the replacement policy (spec §1.5)

// spec §1.5 compareTimestamps(this, that): same inc_num → INVALIDATES iff this.seq >
// that.seq (equal → INVALIDATED); else INVALIDATED iff this.inc < that.inc.
InvalidationResult compare_timestamps(const PeerTime& this_ts, const PeerTime& that_ts);
// spec §1.5 policy(this = new, that = stored) with K = dataBlockStorageSize.
InvalidationResult replacement_policy(const GossipMessage& this_msg, const GossipMessage& that_msg,
                                      std::uint64_t k);
// The invalidation key of a message (spec §1.5): alive, StateInfo, leadership and
// PeerIdentity messages are compared (INVALIDATES / INVALIDATED) only with messages of
// the same kind and PKI-ID; with every other message the policy says NO_ACTION. Data
// messages (compared by sequence window) and all other kinds have no key. The view
// points into the message.
struct InvalidationKey {
  MessageKind kind;
  std::string_view pki_id;
  friend bool operator==(const InvalidationKey&, const InvalidationKey&) = default;
};
std::optional<InvalidationKey> invalidation_key(const GossipMessage& m);

// Fabric's NewGossipMessageComparator(K) as a callable over envelopes (for MessageStore).
struct MessageComparator {
  std::uint64_t k = 0;
  InvalidationResult operator()(const EnvelopePtr& this_msg, const EnvelopePtr& that_msg) const {
    return replacement_policy(this_msg->msg(), that_msg->msg(), k);
  }
};
// invalidation_key over envelopes (MessageStore's index for MessageComparator stores).
struct MessageKeyOf {
  std::optional<InvalidationKey> operator()(const EnvelopePtr& m) const { return invalidation_key(m->msg()); }
};

// ---------------------------------------------------------------------------------------
// Channel MAC (spec §1.6): SHA-256(pkiID ‖ channelID), 32 raw bytes.
Bytes channel_mac(const PkiId& pki_id, std::string_view channel);

// ---------------------------------------------------------------------------------------
// Canonical text (STYLE.md §8). Byte strings that are printable ASCII print as is;
// others print as "0x" + hex of their first 8 bytes ("…" appended when longer).
std::string printable_bytes(std::string_view b);
std::string to_string(const PeerTime& t);
std::string to_string(const GossipMessage& m);
std::string to_string(const Envelope& e);

}  // namespace gs::proto

template <>
struct fmt::formatter<gs::proto::Tag> : fmt::formatter<std::string_view> {
  auto format(gs::proto::Tag v, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(gs::proto::to_string(v), ctx);
  }
};
template <>
struct fmt::formatter<gs::proto::PullMsgType> : fmt::formatter<std::string_view> {
  auto format(gs::proto::PullMsgType v, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(gs::proto::to_string(v), ctx);
  }
};
template <>
struct fmt::formatter<gs::proto::InvalidationResult> : fmt::formatter<std::string_view> {
  auto format(gs::proto::InvalidationResult v, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(gs::proto::to_string(v), ctx);
  }
};
template <>
struct fmt::formatter<gs::proto::MessageKind> : fmt::formatter<std::string_view> {
  auto format(gs::proto::MessageKind v, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(gs::proto::to_string(v), ctx);
  }
};
template <>
struct fmt::formatter<gs::proto::PeerTime> : fmt::formatter<std::string_view> {
  auto format(const gs::proto::PeerTime& v, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(gs::proto::to_string(v), ctx);
  }
};
template <>
struct fmt::formatter<gs::proto::GossipMessage> : fmt::formatter<std::string_view> {
  auto format(const gs::proto::GossipMessage& v, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(gs::proto::to_string(v), ctx);
  }
};
template <>
struct fmt::formatter<gs::proto::Envelope> : fmt::formatter<std::string_view> {
  auto format(const gs::proto::Envelope& v, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(gs::proto::to_string(v), ctx);
  }
};
