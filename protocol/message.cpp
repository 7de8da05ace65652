#include "protocol/message.hpp"

#include <limits>
#include <type_traits>

#include "base/assert.hpp"
#include "protocol/sha256.hpp"

namespace gs::proto {

// ---------------------------------------------------------------------------------------
// Names

std::string_view to_string(Tag t) {
  switch (t) {
    case Tag::UNDEFINED: return "UNDEFINED";
    case Tag::EMPTY: return "EMPTY";
    case Tag::ORG_ONLY: return "ORG_ONLY";
    case Tag::CHAN_ONLY: return "CHAN_ONLY";
    case Tag::CHAN_AND_ORG: return "CHAN_AND_ORG";
    case Tag::CHAN_OR_ORG: return "CHAN_OR_ORG";
  }
  return "?";
}

std::string_view to_string(PullMsgType t) {
  switch (t) {
    case PullMsgType::UNDEFINED: return "UNDEFINED";
    case PullMsgType::BLOCK_MSG: return "BLOCK_MSG";
    case PullMsgType::IDENTITY_MSG: return "IDENTITY_MSG";
  }
  return "?";
}

std::string_view to_string(InvalidationResult r) {
  switch (r) {
    case InvalidationResult::NO_ACTION: return "NO_ACTION";
    case InvalidationResult::INVALIDATES: return "INVALIDATES";
    case InvalidationResult::INVALIDATED: return "INVALIDATED";
  }
  return "?";
}

std::string_view to_string(MessageKind k) {
  switch (k) {
    case MessageKind::alive: return "AliveMessage";
    case MessageKind::mem_req: return "MembershipRequest";
    case MessageKind::mem_res: return "MembershipResponse";
    case MessageKind::data: return "DataMessage";
    case MessageKind::hello_block: return "GossipHello.BLOCK";
    case MessageKind::hello_identity: return "GossipHello.IDENTITY";
    case MessageKind::digest_block: return "DataDigest.BLOCK";
    case MessageKind::digest_identity: return "DataDigest.IDENTITY";
    case MessageKind::request_block: return "DataRequest.BLOCK";
    case MessageKind::request_identity: return "DataRequest.IDENTITY";
    case MessageKind::update_block: return "DataUpdate.BLOCK";
    case MessageKind::update_identity: return "DataUpdate.IDENTITY";
    case MessageKind::pull_undefined: return "PullMessage.UNDEFINED";
    case MessageKind::empty: return "Empty";
    case MessageKind::conn: return "ConnEstablish";
    case MessageKind::state_info: return "StateInfo";
    case MessageKind::state_snapshot: return "StateInfoSnapshot";
    case MessageKind::state_info_pull_req: return "StateInfoPullRequest";
    case MessageKind::state_request: return "RemoteStateRequest";
    case MessageKind::state_response: return "RemoteStateResponse";
    case MessageKind::leadership: return "LeadershipMessage";
    case MessageKind::peer_identity: return "PeerIdentity";
    case MessageKind::count_: break;
  }
  return "?";
}

namespace {

MessageKind pull_kind(PullMsgType t, MessageKind block, MessageKind identity) {
  switch (t) {
    case PullMsgType::BLOCK_MSG: return block;
    case PullMsgType::IDENTITY_MSG: return identity;
    case PullMsgType::UNDEFINED: break;
  }
  return MessageKind::pull_undefined;
}

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace

MessageKind kind_of(const GossipMessage& m) {
  return std::visit(
      Overloaded{
          [](const AliveMessage&) { return MessageKind::alive; },
          [](const MembershipRequest&) { return MessageKind::mem_req; },
          [](const MembershipResponse&) { return MessageKind::mem_res; },
          [](const DataMessage&) { return MessageKind::data; },
          [](const GossipHello& h) { return pull_kind(h.msg_type, MessageKind::hello_block, MessageKind::hello_identity); },
          [](const DataDigest& d) {
            return pull_kind(d.msg_type, MessageKind::digest_block, MessageKind::digest_identity);
          },
          [](const DataRequest& r) {
            return pull_kind(r.msg_type, MessageKind::request_block, MessageKind::request_identity);
          },
          [](const DataUpdate& u) {
            return pull_kind(u.msg_type, MessageKind::update_block, MessageKind::update_identity);
          },
          [](const Empty&) { return MessageKind::empty; },
          [](const ConnEstablish&) { return MessageKind::conn; },
          [](const StateInfo&) { return MessageKind::state_info; },
          [](const StateInfoSnapshot&) { return MessageKind::state_snapshot; },
          [](const StateInfoPullRequest&) { return MessageKind::state_info_pull_req; },
          [](const RemoteStateRequest&) { return MessageKind::state_request; },
          [](const RemoteStateResponse&) { return MessageKind::state_response; },
          [](const LeadershipMessage&) { return MessageKind::leadership; },
          [](const PeerIdentity&) { return MessageKind::peer_identity; },
      },
      m.content);
}

// ---------------------------------------------------------------------------------------
// Wire sizes: protobuf encoding rules. A field key is varint(field_number << 3 | wiretype).

std::uint32_t varint_bytes(std::uint64_t v) {
  std::uint32_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

namespace {

std::uint64_t key_bytes(std::uint32_t field) { return varint_bytes(std::uint64_t{field} << 3); }
// A length-delimited field that is present (sub-message, or repeated element).
std::uint64_t len_field(std::uint32_t field, std::uint64_t len) { return key_bytes(field) + varint_bytes(len) + len; }
// A proto3 singular bytes/string field: omitted when empty.
std::uint64_t bytes_field(std::uint32_t field, std::uint64_t len) { return len == 0 ? 0 : len_field(field, len); }
std::uint64_t varint_field(std::uint32_t field, std::uint64_t v) { return v == 0 ? 0 : key_bytes(field) + varint_bytes(v); }
std::uint64_t bool_field(std::uint32_t field, bool b) { return b ? key_bytes(field) + 1 : 0; }
std::uint64_t identity_len(const IdentityBytes& id) { return id.empty() ? 0 : kIdentityBytes; }

std::uint64_t peer_time_bytes(const PeerTime& t) { return varint_field(1, t.inc_num) + varint_field(2, t.seq_num); }

std::uint64_t payload_msg_bytes(const Payload& p) {
  return varint_field(1, p.seq_num) + bytes_field(2, p.data_bytes());
}

std::uint64_t envelopes_bytes(std::uint32_t field, const std::vector<EnvelopePtr>& es) {
  std::uint64_t n = 0;
  for (const auto& e : es) n += len_field(field, e ? e->wire_bytes() : 0);
  return n;
}

std::uint64_t strings_bytes(std::uint32_t field, const std::vector<std::string>& ss) {
  std::uint64_t n = 0;
  for (const auto& s : ss) n += len_field(field, s.size());
  return n;
}

std::uint64_t pull_type_bytes(PullMsgType t) { return varint_field(3, static_cast<std::uint64_t>(t)); }

// Size of the content sub-message (without its key/length in GossipMessage).
std::uint64_t content_bytes(const Content& content) {
  return std::visit(
      Overloaded{
          [](const AliveMessage& a) {
            const Member& m = a.membership;
            const std::uint64_t member =
                bytes_field(1, m.endpoint.size()) + bytes_field(2, m.metadata.size()) + bytes_field(3, m.pki_id.size());
            return len_field(1, member) + len_field(2, peer_time_bytes(a.timestamp)) +
                   bytes_field(4, identity_len(a.identity));
          },
          [](const MembershipRequest& r) {
            std::uint64_t n = r.self_information ? len_field(1, r.self_information->wire_bytes()) : 0;
            return n + strings_bytes(2, r.known);
          },
          [](const MembershipResponse& r) { return envelopes_bytes(1, r.alive) + envelopes_bytes(2, r.dead); },
          [](const DataMessage& d) { return len_field(1, payload_msg_bytes(d.payload)); },
          [](const GossipHello& h) { return varint_field(1, h.nonce) + pull_type_bytes(h.msg_type); },
          [](const DataDigest& d) {
            return varint_field(1, d.nonce) + strings_bytes(2, d.digests) + pull_type_bytes(d.msg_type);
          },
          [](const DataRequest& d) {
            return varint_field(1, d.nonce) + strings_bytes(2, d.digests) + pull_type_bytes(d.msg_type);
          },
          [](const DataUpdate& u) {
            return varint_field(1, u.nonce) + envelopes_bytes(2, u.data) + pull_type_bytes(u.msg_type);
          },
          [](const Empty&) { return std::uint64_t{0}; },
          [](const ConnEstablish& c) {
            return bytes_field(1, c.pki_id.size()) + bytes_field(2, identity_len(c.identity)) +
                   bytes_field(3, c.tls_cert_hash.size()) + bool_field(4, c.probe);
          },
          [](const StateInfo& s) {
            std::uint64_t n = bytes_field(1, s.metadata.size()) + len_field(2, peer_time_bytes(s.timestamp)) +
                              bytes_field(3, s.pki_id.size()) + bytes_field(4, s.channel_mac.size());
            if (s.properties) {
              n += len_field(5, varint_field(1, s.properties->ledger_height) + bool_field(2, s.properties->left_channel));
            }
            return n;
          },
          [](const StateInfoSnapshot& s) { return envelopes_bytes(1, s.elements); },
          [](const StateInfoPullRequest& r) { return bytes_field(1, r.channel_mac.size()); },
          [](const RemoteStateRequest& r) { return varint_field(1, r.start_seq_num) + varint_field(2, r.end_seq_num); },
          [](const RemoteStateResponse& r) {
            std::uint64_t n = 0;
            for (const auto& p : r.payloads) n += len_field(1, payload_msg_bytes(p));
            return n;
          },
          [](const LeadershipMessage& l) {
            return bytes_field(1, l.pki_id.size()) + len_field(2, peer_time_bytes(l.timestamp)) +
                   bool_field(3, l.is_declaration);
          },
          [](const PeerIdentity& p) { return bytes_field(1, p.pki_id.size()) + bytes_field(2, identity_len(p.cert)); },
      },
      content);
}

// GossipMessage oneof field numbers: content variant index 0 (alive_msg) is field 5, etc.
std::uint32_t content_field(const Content& c) { return static_cast<std::uint32_t>(c.index()) + 5; }

std::uint64_t signature_bytes(const Signature& s, std::uint64_t payload_len) {
  switch (s.kind) {
    case Signature::Kind::none: return 0;
    case Signature::Kind::ecdsa: return kSignatureBytes;
    case Signature::Kind::payload_echo: return payload_len;
  }
  return 0;
}

std::uint64_t secret_envelope_bytes(const SecretEnvelope& s) {
  // Secret { oneof content { string internalEndpoint = 1; } }: a set oneof member is
  // always encoded, even when empty.
  const std::uint64_t secret = len_field(1, s.internal_endpoint.size());
  return bytes_field(1, secret) + bytes_field(2, signature_bytes(s.signature, secret));
}

std::uint32_t checked_u32(std::uint64_t v) {
  GS_ASSERT(v <= std::numeric_limits<std::uint32_t>::max(), "message of {} bytes exceeds 4 GiB", v);
  return static_cast<std::uint32_t>(v);
}

}  // namespace

std::uint64_t gossip_message_bytes(const GossipMessage& m) {
  // spec §1.2: GossipMessage { uint64 nonce = 1; bytes channel = 2; Tag tag = 3; oneof content (5..21) }
  return varint_field(1, m.nonce) + bytes_field(2, m.channel.size()) +
         varint_field(3, static_cast<std::uint64_t>(m.tag)) + len_field(content_field(m.content), content_bytes(m.content));
}

// ---------------------------------------------------------------------------------------
// Canonical text

std::string printable_bytes(std::string_view b) {
  bool printable = true;
  for (const char ch : b) {
    if (ch <= ' ' || ch > '~') {
      printable = false;
      break;
    }
  }
  if (printable) return std::string(b);
  std::string out = "0x" + to_hex(b.substr(0, 8));
  if (b.size() > 8) out += "..";
  return out;
}

std::string to_string(const PeerTime& t) { return fmt::format("{}:{}", t.inc_num, t.seq_num); }

namespace {

// Writes the text of a message. `full` (used for digests) prints every byte string in
// full hex instead of the abbreviated form, so that a digest covers all content.
class TextWriter {
 public:
  explicit TextWriter(bool full) : full_(full) {}

  std::string bytes(std::string_view b) const {
    if (!full_) return printable_bytes(b);
    return "0x" + to_hex(b);
  }

  std::string payload(const Payload& p) const {
    std::string s = fmt::format("seq={} data={}B", p.seq_num, p.data_bytes());
    if (p.block && p.block->number != p.seq_num) s += fmt::format(" block={}", p.block->number);
    if (p.block && p.block->forged) s += " forged";
    return s;
  }

  std::string envelopes(const std::vector<EnvelopePtr>& es) const {
    std::string s = "[";
    for (std::size_t i = 0; i < es.size(); ++i) {
      if (i > 0) s += "; ";
      s += es[i] ? envelope(*es[i]) : std::string("null");
    }
    return s + "]";
  }

  std::string strings(const std::vector<std::string>& ss) const {
    std::string s = "[";
    for (std::size_t i = 0; i < ss.size(); ++i) {
      if (i > 0) s += " ";
      s += bytes(ss[i]);
    }
    return s + "]";
  }

  std::string signature(const Signature& sig, std::uint64_t expected_digest) const {
    switch (sig.kind) {
      case Signature::Kind::none: return {};
      case Signature::Kind::payload_echo: return "payload";
      case Signature::Kind::ecdsa:
        return bytes(sig.signer) + (sig.digest == expected_digest ? "" : "(bad)");
    }
    return {};
  }

  std::string content(const Content& c) const;

  std::string message(const GossipMessage& m) const {
    std::string s = content(m.content);
    s += fmt::format(" tag={}", m.tag);
    if (!m.channel.empty()) s += " channel=" + bytes(m.channel);
    if (m.nonce != 0) s += fmt::format(" nonce={}", m.nonce);
    return s;
  }

  std::string envelope(const Envelope& e) const {
    std::string s = message(e.msg());
    if (!e.signature().empty()) s += " sig=" + signature(e.signature(), e.payload_digest());
    if (e.secret()) {
      s += " secret={internal=" + bytes(e.secret()->internal_endpoint);
      const std::string sig = signature(e.secret()->signature, secret_digest(e.secret()->internal_endpoint));
      if (!sig.empty()) s += " sig=" + sig;
      s += "}";
    }
    return s;
  }

 private:
  bool full_;
};

std::string TextWriter::content(const Content& variant) const {
  return std::visit(
      Overloaded{
          [&](const AliveMessage& a) {
            std::string s = fmt::format("AliveMessage{{endpoint={} pki_id={} ts={}", bytes(a.membership.endpoint),
                                        bytes(a.membership.pki_id), a.timestamp);
            if (!a.membership.metadata.empty()) s += " metadata=" + bytes(a.membership.metadata);
            if (!a.identity.empty()) s += " identity=" + bytes(a.identity);
            return s + "}";
          },
          [&](const MembershipRequest& r) {
            std::string s = "MembershipRequest{self=";
            // fmt, not "[" + std::string&&: GCC 12 -O3 reports a bogus -Wrestrict on the latter.
            s += r.self_information ? fmt::format("[{}]", envelope(*r.self_information)) : std::string("null");
            if (!r.known.empty()) s += " known=" + strings(r.known);
            return s + "}";
          },
          [&](const MembershipResponse& r) {
            return "MembershipResponse{alive=" + envelopes(r.alive) + " dead=" + envelopes(r.dead) + "}";
          },
          [&](const DataMessage& d) { return "DataMessage{" + payload(d.payload) + "}"; },
          [&](const GossipHello& h) { return fmt::format("GossipHello{{nonce={} type={}}}", h.nonce, h.msg_type); },
          [&](const DataDigest& d) {
            return fmt::format("DataDigest{{nonce={} type={} digests={}}}", d.nonce, d.msg_type, strings(d.digests));
          },
          [&](const DataRequest& d) {
            return fmt::format("DataRequest{{nonce={} type={} digests={}}}", d.nonce, d.msg_type, strings(d.digests));
          },
          [&](const DataUpdate& u) {
            return fmt::format("DataUpdate{{nonce={} type={} data={}}}", u.nonce, u.msg_type, envelopes(u.data));
          },
          [&](const Empty&) { return std::string("Empty{}"); },
          [&](const ConnEstablish& c) {
            std::string s = "ConnEstablish{pki_id=" + bytes(c.pki_id);
            if (!c.identity.empty()) s += " identity=" + bytes(c.identity);
            if (!c.tls_cert_hash.empty()) s += " tls_cert_hash=" + bytes(c.tls_cert_hash);
            if (c.probe) s += " probe";
            return s + "}";
          },
          [&](const StateInfo& si) {
            std::string s = fmt::format("StateInfo{{pki_id={} ts={} mac={}", bytes(si.pki_id), si.timestamp,
                                        bytes(si.channel_mac));
            if (!si.metadata.empty()) s += " metadata=" + bytes(si.metadata);
            if (si.properties) {
              s += fmt::format(" height={}", si.properties->ledger_height);
              if (si.properties->left_channel) s += " left";
            }
            return s + "}";
          },
          [&](const StateInfoSnapshot& s) { return "StateInfoSnapshot{elements=" + envelopes(s.elements) + "}"; },
          [&](const StateInfoPullRequest& r) { return "StateInfoPullRequest{mac=" + bytes(r.channel_mac) + "}"; },
          [&](const RemoteStateRequest& r) {
            return fmt::format("RemoteStateRequest{{start={} end={}}}", r.start_seq_num, r.end_seq_num);
          },
          [&](const RemoteStateResponse& r) {
            std::string s = "RemoteStateResponse{payloads=[";
            for (std::size_t i = 0; i < r.payloads.size(); ++i) {
              if (i > 0) s += "; ";
              s += payload(r.payloads[i]);
            }
            return s + "]}";
          },
          [&](const LeadershipMessage& l) {
            return fmt::format("LeadershipMessage{{pki_id={} ts={} {}}}", bytes(l.pki_id), l.timestamp,
                               l.is_declaration ? "declaration" : "proposal");
          },
          [&](const PeerIdentity& p) {
            return "PeerIdentity{pki_id=" + bytes(p.pki_id) + " cert=" + bytes(p.cert) + "}";
          },
      },
      variant);
}

std::uint64_t fnv1a64(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char ch : s) {
    h ^= static_cast<unsigned char>(ch);
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace

std::string to_string(const GossipMessage& m) { return TextWriter(false).message(m); }
std::string to_string(const Envelope& e) { return TextWriter(false).envelope(e); }

std::uint64_t payload_digest(const GossipMessage& m) { return fnv1a64(TextWriter(true).message(m)); }
std::uint64_t secret_digest(std::string_view internal_endpoint) {
  return fnv1a64(fmt::format("Secret{{internalEndpoint={}}}", to_hex(internal_endpoint)));
}

// ---------------------------------------------------------------------------------------
// Envelope

Envelope::Envelope(Private, std::shared_ptr<const GossipMessage> msg, Signature signature,
                   std::optional<SecretEnvelope> secret, std::optional<std::uint64_t> known_payload_digest)
    : msg_(std::move(msg)),
      signature_(std::move(signature)),
      secret_(std::move(secret)),
      payload_digest_(known_payload_digest) {
  GS_ASSERT(msg_ != nullptr, "Envelope without a GossipMessage");
  kind_ = kind_of(*msg_);
  const std::uint64_t payload = gossip_message_bytes(*msg_);
  payload_bytes_ = checked_u32(payload);
  // spec §1.1: Envelope { bytes payload = 1; bytes signature = 2; SecretEnvelope secret_envelope = 3; }
  std::uint64_t wire = bytes_field(1, payload) + bytes_field(2, signature_bytes(signature_, payload));
  if (secret_) wire += len_field(3, secret_envelope_bytes(*secret_));
  wire_bytes_ = checked_u32(wire);
}

std::uint64_t Envelope::payload_digest() const {
  if (!payload_digest_) payload_digest_ = gs::proto::payload_digest(*msg_);
  return *payload_digest_;
}

EnvelopePtr Envelope::make(std::shared_ptr<const GossipMessage> msg, Signature signature,
                           std::optional<SecretEnvelope> secret, std::optional<std::uint64_t> known_payload_digest) {
  return std::make_shared<const Envelope>(Private{}, std::move(msg), std::move(signature), std::move(secret),
                                          known_payload_digest);
}

EnvelopePtr Envelope::make_unsigned(GossipMessage msg) {
  return make(std::make_shared<const GossipMessage>(std::move(msg)), Signature{});
}

EnvelopePtr strip_secret(const EnvelopePtr& e) {
  if (!e || !e->secret()) return e;
  // spec §2.8: strip the SecretEnvelope for peers of other orgs; the shared original
  // keeps its secret (latest clones; v1.0 mutated — same bytes reach each recipient).
  // Same payload, hence the same digest.
  if (!e->stripped_) e->stripped_ = Envelope::make(e->msg_ptr(), e->signature(), std::nullopt, e->payload_digest_);
  return e->stripped_;
}

WirePacket to_packet(const EnvelopePtr& e) {
  GS_ASSERT(e != nullptr, "to_packet(null)");
  return WirePacket{e, e->wire_bytes(), static_cast<std::uint16_t>(e->kind())};
}

EnvelopePtr from_packet(const WirePacket& p) { return std::static_pointer_cast<const Envelope>(p.body); }

// ---------------------------------------------------------------------------------------
// Tags and predicates (spec §1.4)

std::optional<PullMsgType> pull_msg_type(const GossipMessage& m) {
  if (const auto* h = m.get_if<GossipHello>()) return h->msg_type;
  if (const auto* d = m.get_if<DataDigest>()) return d->msg_type;
  if (const auto* r = m.get_if<DataRequest>()) return r->msg_type;
  if (const auto* u = m.get_if<DataUpdate>()) return u->msg_type;
  return std::nullopt;
}

bool is_pull_msg(const GossipMessage& m) { return pull_msg_type(m).has_value(); }

bool is_remote_state_message(const GossipMessage& m) {
  return m.is<RemoteStateRequest>() || m.is<RemoteStateResponse>();
}

bool is_channel_restricted(const GossipMessage& m) {
  return m.tag == Tag::CHAN_AND_ORG || m.tag == Tag::CHAN_ONLY || m.tag == Tag::CHAN_OR_ORG;
}

bool is_org_restricted(const GossipMessage& m) { return m.tag == Tag::CHAN_AND_ORG || m.tag == Tag::ORG_ONLY; }

bool is_tag_legal(const GossipMessage& m) {
  // spec §1.4 IsTagLegal, in the spec's order.
  if (m.tag == Tag::UNDEFINED) return false;
  if (m.is<DataMessage>()) return m.tag == Tag::CHAN_AND_ORG;
  if (m.is<AliveMessage>() || m.is<MembershipRequest>() || m.is<MembershipResponse>()) return m.tag == Tag::EMPTY;
  if (m.is<PeerIdentity>()) return m.tag == Tag::ORG_ONLY;
  if (const auto t = pull_msg_type(m)) {
    switch (*t) {
      case PullMsgType::BLOCK_MSG: return m.tag == Tag::CHAN_AND_ORG;
      case PullMsgType::IDENTITY_MSG: return m.tag == Tag::EMPTY;
      case PullMsgType::UNDEFINED: return false;
    }
    return false;
  }
  if (m.is<StateInfo>() || m.is<StateInfoPullRequest>() || m.is<StateInfoSnapshot>() || m.is<RemoteStateRequest>() ||
      m.is<RemoteStateResponse>()) {
    return m.tag == Tag::CHAN_OR_ORG;
  }
  if (m.is<LeadershipMessage>()) return m.tag == Tag::CHAN_AND_ORG;
  return false;  // Empty, ConnEstablish
}

// ---------------------------------------------------------------------------------------
// PeerTime and replacement policy (spec §1.5)

InvalidationResult compare_timestamps(const PeerTime& this_ts, const PeerTime& that_ts) {
  if (this_ts.inc_num == that_ts.inc_num) {
    // equal seq -> INVALIDATED (a duplicate is rejected)
    return this_ts.seq_num > that_ts.seq_num ? InvalidationResult::INVALIDATES : InvalidationResult::INVALIDATED;
  }
  return this_ts.inc_num < that_ts.inc_num ? InvalidationResult::INVALIDATED : InvalidationResult::INVALIDATES;
}

namespace {

InvalidationResult same_peer_timestamps(const PkiId& this_id, const PeerTime& this_ts, const PkiId& that_id,
                                        const PeerTime& that_ts) {
  if (this_id != that_id) return InvalidationResult::NO_ACTION;
  return compare_timestamps(this_ts, that_ts);
}

InvalidationResult data_policy(std::uint64_t this_seq, std::uint64_t that_seq, std::uint64_t k) {
  // spec §1.5: blocks within K of each other coexist (block store keeps a window of K+1).
  if (this_seq == that_seq) return InvalidationResult::INVALIDATED;
  const std::uint64_t diff = this_seq > that_seq ? this_seq - that_seq : that_seq - this_seq;
  if (diff <= k) return InvalidationResult::NO_ACTION;
  return this_seq > that_seq ? InvalidationResult::INVALIDATES : InvalidationResult::INVALIDATED;
}

}  // namespace

InvalidationResult replacement_policy(const GossipMessage& this_msg, const GossipMessage& that_msg, std::uint64_t k) {
  if (const auto* a = this_msg.get_if<AliveMessage>()) {
    const auto* b = that_msg.get_if<AliveMessage>();
    if (b == nullptr) return InvalidationResult::NO_ACTION;
    return same_peer_timestamps(a->membership.pki_id, a->timestamp, b->membership.pki_id, b->timestamp);
  }
  if (const auto* a = this_msg.get_if<DataMessage>()) {
    const auto* b = that_msg.get_if<DataMessage>();
    if (b == nullptr) return InvalidationResult::NO_ACTION;
    return data_policy(a->payload.seq_num, b->payload.seq_num, k);
  }
  if (const auto* a = this_msg.get_if<StateInfo>()) {
    const auto* b = that_msg.get_if<StateInfo>();
    if (b == nullptr) return InvalidationResult::NO_ACTION;
    return same_peer_timestamps(a->pki_id, a->timestamp, b->pki_id, b->timestamp);
  }
  if (const auto* a = this_msg.get_if<PeerIdentity>()) {
    const auto* b = that_msg.get_if<PeerIdentity>();
    if (b == nullptr) return InvalidationResult::NO_ACTION;
    return a->pki_id == b->pki_id ? InvalidationResult::INVALIDATED : InvalidationResult::NO_ACTION;
  }
  if (const auto* a = this_msg.get_if<LeadershipMessage>()) {
    const auto* b = that_msg.get_if<LeadershipMessage>();
    if (b == nullptr) return InvalidationResult::NO_ACTION;
    // Proposals and declarations of one peer share one counter: any newer one wins.
    return same_peer_timestamps(a->pki_id, a->timestamp, b->pki_id, b->timestamp);
  }
  return InvalidationResult::NO_ACTION;
}

std::optional<InvalidationKey> invalidation_key(const GossipMessage& m) {
  // Exactly the kinds replacement_policy compares by PKI-ID, each only with its own kind.
  if (const auto* a = m.get_if<AliveMessage>()) return InvalidationKey{MessageKind::alive, a->membership.pki_id};
  if (const auto* si = m.get_if<StateInfo>()) return InvalidationKey{MessageKind::state_info, si->pki_id};
  if (const auto* p = m.get_if<PeerIdentity>()) return InvalidationKey{MessageKind::peer_identity, p->pki_id};
  if (const auto* l = m.get_if<LeadershipMessage>()) return InvalidationKey{MessageKind::leadership, l->pki_id};
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------
// Channel MAC (spec §1.6)

Bytes channel_mac(const PkiId& pki_id, std::string_view channel) {
  return Sha256().update(pki_id).update(channel).finish_bytes();
}

}  // namespace gs::proto
