// Messages (spec §1): tag legality, predicates, timestamps, replacement policy, wire
// sizes, canonical text, secret stripping.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <memory>
#include <set>
#include <vector>

#include "protocol/message.hpp"
#include "protocol/sha256.hpp"

using namespace gs::proto;
using IR = InvalidationResult;

namespace {

GossipMessage with(Content c, Tag tag = Tag::EMPTY, std::string channel = {}, std::uint64_t nonce = 0) {
  return GossipMessage{nonce, std::move(channel), tag, std::move(c)};
}

GossipMessage alive(const PkiId& pki, PeerTime ts) { return with(AliveMessage{Member{"ep", "", pki}, ts, ""}); }
GossipMessage data(std::uint64_t seq) { return with(DataMessage{Payload{seq, nullptr}}, Tag::CHAN_AND_ORG, "ch"); }
GossipMessage state_info(const PkiId& pki, PeerTime ts) {
  return with(StateInfo{"", ts, pki, "mac", std::nullopt}, Tag::CHAN_OR_ORG);
}
GossipMessage leadership(const PkiId& pki, PeerTime ts, bool decl) {
  return with(LeadershipMessage{pki, ts, decl}, Tag::CHAN_AND_ORG, "ch");
}
GossipMessage identity(const PkiId& pki) { return with(PeerIdentity{pki, "cert"}, Tag::ORG_ONLY); }

}  // namespace

TEST_CASE("message: is_tag_legal for every variant and tag (spec §1.4 IsTagLegal)") {
  const std::vector<Tag> all_tags{Tag::UNDEFINED, Tag::EMPTY,        Tag::ORG_ONLY,
                                  Tag::CHAN_ONLY, Tag::CHAN_AND_ORG, Tag::CHAN_OR_ORG};
  struct Row {
    const char* name;
    Content content;
    std::set<Tag> legal;
  };
  const std::vector<Row> rows{
      {"Alive", AliveMessage{}, {Tag::EMPTY}},
      {"MemReq", MembershipRequest{}, {Tag::EMPTY}},
      {"MemRes", MembershipResponse{}, {Tag::EMPTY}},
      {"Data", DataMessage{}, {Tag::CHAN_AND_ORG}},
      {"Hello BLOCK", GossipHello{1, PullMsgType::BLOCK_MSG}, {Tag::CHAN_AND_ORG}},
      {"Hello IDENTITY", GossipHello{1, PullMsgType::IDENTITY_MSG}, {Tag::EMPTY}},
      {"Hello UNDEFINED", GossipHello{1, PullMsgType::UNDEFINED}, {}},
      {"Digest BLOCK", DataDigest{1, {}, PullMsgType::BLOCK_MSG}, {Tag::CHAN_AND_ORG}},
      {"Digest IDENTITY", DataDigest{1, {}, PullMsgType::IDENTITY_MSG}, {Tag::EMPTY}},
      {"Request BLOCK", DataRequest{1, {}, PullMsgType::BLOCK_MSG}, {Tag::CHAN_AND_ORG}},
      {"Request IDENTITY", DataRequest{1, {}, PullMsgType::IDENTITY_MSG}, {Tag::EMPTY}},
      {"Update BLOCK", DataUpdate{1, {}, PullMsgType::BLOCK_MSG}, {Tag::CHAN_AND_ORG}},
      {"Update IDENTITY", DataUpdate{1, {}, PullMsgType::IDENTITY_MSG}, {Tag::EMPTY}},
      {"Update UNDEFINED", DataUpdate{1, {}, PullMsgType::UNDEFINED}, {}},
      {"Empty", Empty{}, {}},
      {"Conn", ConnEstablish{}, {}},
      {"StateInfo", StateInfo{}, {Tag::CHAN_OR_ORG}},
      {"Snapshot", StateInfoSnapshot{}, {Tag::CHAN_OR_ORG}},
      {"StateInfoPullRequest", StateInfoPullRequest{}, {Tag::CHAN_OR_ORG}},
      {"RemoteStateRequest", RemoteStateRequest{}, {Tag::CHAN_OR_ORG}},
      {"RemoteStateResponse", RemoteStateResponse{}, {Tag::CHAN_OR_ORG}},
      {"Leadership", LeadershipMessage{}, {Tag::CHAN_AND_ORG}},
      {"PeerIdentity", PeerIdentity{}, {Tag::ORG_ONLY}},
  };
  for (const auto& row : rows) {
    for (const Tag t : all_tags) {
      INFO(row.name << " with tag " << to_string(t));
      CHECK(is_tag_legal(with(row.content, t)) == (row.legal.count(t) == 1));
    }
  }
}

TEST_CASE("message: routing predicates (spec §1.4)") {
  CHECK(is_channel_restricted(with(Empty{}, Tag::CHAN_AND_ORG)));
  CHECK(is_channel_restricted(with(Empty{}, Tag::CHAN_ONLY)));
  CHECK(is_channel_restricted(with(Empty{}, Tag::CHAN_OR_ORG)));
  CHECK_FALSE(is_channel_restricted(with(Empty{}, Tag::ORG_ONLY)));
  CHECK_FALSE(is_channel_restricted(with(Empty{}, Tag::EMPTY)));
  CHECK(is_org_restricted(with(Empty{}, Tag::CHAN_AND_ORG)));
  CHECK(is_org_restricted(with(Empty{}, Tag::ORG_ONLY)));
  CHECK_FALSE(is_org_restricted(with(Empty{}, Tag::CHAN_OR_ORG)));
  CHECK_FALSE(is_org_restricted(with(Empty{}, Tag::CHAN_ONLY)));

  CHECK(is_pull_msg(with(GossipHello{})));
  CHECK(is_pull_msg(with(DataDigest{})));
  CHECK(is_pull_msg(with(DataRequest{})));
  CHECK(is_pull_msg(with(DataUpdate{})));
  CHECK_FALSE(is_pull_msg(with(DataMessage{})));
  CHECK(pull_msg_type(with(DataDigest{0, {}, PullMsgType::IDENTITY_MSG})) == PullMsgType::IDENTITY_MSG);
  CHECK_FALSE(pull_msg_type(with(AliveMessage{})).has_value());

  CHECK(is_remote_state_message(with(RemoteStateRequest{})));
  CHECK(is_remote_state_message(with(RemoteStateResponse{})));
  CHECK_FALSE(is_remote_state_message(with(StateInfoPullRequest{})));
}

TEST_CASE("message: kinds and their stable names") {
  CHECK(kind_of(with(GossipHello{0, PullMsgType::BLOCK_MSG})) == MessageKind::hello_block);
  CHECK(kind_of(with(DataUpdate{0, {}, PullMsgType::IDENTITY_MSG})) == MessageKind::update_identity);
  CHECK(kind_of(with(DataRequest{0, {}, PullMsgType::UNDEFINED})) == MessageKind::pull_undefined);
  CHECK(kind_of(with(PeerIdentity{})) == MessageKind::peer_identity);
  CHECK(to_string(MessageKind::alive) == "AliveMessage");
  CHECK(to_string(MessageKind::digest_block) == "DataDigest.BLOCK");
  CHECK(to_string(MessageKind::state_response) == "RemoteStateResponse");
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < kMessageKindCount; ++i) names.insert(to_string(static_cast<MessageKind>(i)));
  CHECK(names.size() == kMessageKindCount);
  CHECK(names.count("?") == 0);
}

TEST_CASE("message: compare_timestamps table (spec §1.5 compareTimestamps)") {
  struct Row {
    PeerTime this_ts, that_ts;
    IR expected;
  };
  const Row rows[] = {
      {{5, 2}, {5, 1}, IR::INVALIDATES},  // same incarnation, newer seq
      {{5, 1}, {5, 2}, IR::INVALIDATED},  // same incarnation, older seq
      {{5, 1}, {5, 1}, IR::INVALIDATED},  // duplicate
      {{6, 0}, {5, 9}, IR::INVALIDATES},  // newer incarnation wins regardless of seq
      {{4, 9}, {5, 0}, IR::INVALIDATED},  // older incarnation loses
      {{0, 0}, {0, 0}, IR::INVALIDATED},
  };
  for (const auto& r : rows) {
    INFO("this " << to_string(r.this_ts) << " that " << to_string(r.that_ts));
    CHECK(compare_timestamps(r.this_ts, r.that_ts) == r.expected);
  }
}

TEST_CASE("message: replacement policy table (spec §1.5 policy)") {
  struct Row {
    const char* name;
    GossipMessage this_msg, that_msg;
    std::uint64_t k;
    IR expected;
  };
  const std::vector<Row> rows{
      {"alive other peer", alive("a", {1, 5}), alive("b", {1, 1}), 0, IR::NO_ACTION},
      {"alive newer", alive("a", {1, 5}), alive("a", {1, 1}), 0, IR::INVALIDATES},
      {"alive older", alive("a", {1, 1}), alive("a", {1, 5}), 0, IR::INVALIDATED},
      {"alive same", alive("a", {1, 1}), alive("a", {1, 1}), 0, IR::INVALIDATED},
      {"alive new incarnation", alive("a", {2, 1}), alive("a", {1, 9}), 0, IR::INVALIDATES},
      {"data equal seq", data(7), data(7), 100, IR::INVALIDATED},
      {"data within K above", data(107), data(7), 100, IR::NO_ACTION},
      {"data within K below", data(7), data(107), 100, IR::NO_ACTION},
      {"data beyond K above", data(108), data(7), 100, IR::INVALIDATES},
      {"data beyond K below", data(7), data(108), 100, IR::INVALIDATED},
      {"data K=0 newer", data(8), data(7), 0, IR::INVALIDATES},
      {"data K=0 older", data(6), data(7), 0, IR::INVALIDATED},
      {"stateinfo other peer", state_info("a", {0, 5}), state_info("b", {0, 1}), 0, IR::NO_ACTION},
      {"stateinfo newer", state_info("a", {0, 5}), state_info("a", {0, 1}), 0, IR::INVALIDATES},
      {"stateinfo older", state_info("a", {0, 1}), state_info("a", {0, 5}), 0, IR::INVALIDATED},
      {"identity same pki", identity("a"), identity("a"), 0, IR::INVALIDATED},
      {"identity other pki", identity("a"), identity("b"), 0, IR::NO_ACTION},
      {"leadership declaration replaces proposal", leadership("a", {1, 3}, true), leadership("a", {1, 2}, false), 0,
       IR::INVALIDATES},
      {"leadership older proposal", leadership("a", {1, 2}, false), leadership("a", {1, 3}, true), 0,
       IR::INVALIDATED},
      {"leadership other peer", leadership("a", {1, 2}, false), leadership("b", {1, 3}, true), 0, IR::NO_ACTION},
      {"different kinds alive/stateinfo", alive("a", {1, 5}), state_info("a", {1, 1}), 0, IR::NO_ACTION},
      {"different kinds data/alive", data(5), alive("a", {1, 1}), 0, IR::NO_ACTION},
      {"unrelated kinds", with(Empty{}), with(Empty{}), 0, IR::NO_ACTION},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    CHECK(replacement_policy(r.this_msg, r.that_msg, r.k) == r.expected);
  }
}

TEST_CASE("message: varint sizes at their boundaries") {
  CHECK(varint_bytes(0) == 1);
  CHECK(varint_bytes(127) == 1);
  CHECK(varint_bytes(128) == 2);
  CHECK(varint_bytes(16383) == 2);
  CHECK(varint_bytes(16384) == 3);
  CHECK(varint_bytes(UINT64_MAX) == 10);
}

TEST_CASE("message: wire size of a RemoteStateRequest crosses a varint boundary") {
  // content {start=1 (2 B), end (1+varint)}; GossipMessage: tag (2 B) + field 18 key
  // (2 B, field >= 16) + length (1 B) + content; Envelope: key + length + payload.
  const auto small = Envelope::make_unsigned(with(RemoteStateRequest{1, 127}, Tag::CHAN_OR_ORG));
  CHECK(small->payload_bytes() == 9);
  CHECK(small->wire_bytes() == 11);
  const auto big = Envelope::make_unsigned(with(RemoteStateRequest{1, 128}, Tag::CHAN_OR_ORG));
  CHECK(big->payload_bytes() == 10);
  CHECK(big->wire_bytes() == 12);
}

TEST_CASE("message: wire size of a DataMessage of a 32 KiB block is the block plus 25 bytes") {
  auto block = std::make_shared<const Block>(Block{5, 32 * 1024, false});
  const auto e = Envelope::make_unsigned(with(DataMessage{Payload{5, block}}, Tag::CHAN_AND_ORG, "ch1"));
  // Payload 2+1+3+32768 = 32774; DataMessage 1+3+32774 = 32778; GossipMessage channel 5 +
  // tag 2 + (1+3+32778) = 32789; Envelope 1+3+32789 = 32793.
  CHECK(e->payload_bytes() == 32789);
  CHECK(e->wire_bytes() == 32768 + 25);
  CHECK(e->kind() == MessageKind::data);
  // Shared, never copied: the envelope holds the block by reference.
  CHECK(e->get_if<DataMessage>()->payload.block.get() == block.get());
}

TEST_CASE("message: wire size of a signed AliveMessage with identity and secret; stripping the secret") {
  GossipMessage m = with(AliveMessage{Member{"p0:7051", "", "Org1.peer0"}, PeerTime{1'000'000'000, 1}, "id"});
  auto payload = std::make_shared<const GossipMessage>(m);
  const Signature sig{Signature::Kind::ecdsa, "Org1.peer0", payload_digest(m)};
  const Signature secret_sig{Signature::Kind::ecdsa, "Org1.peer0", secret_digest("p0:7051")};
  const auto e = Envelope::make(payload, sig, SecretEnvelope{"p0:7051", secret_sig});
  // member 9+12=21 -> 23; PeerTime (1+5)+(1+1)=8 -> 10; identity 1+2+800 = 803;
  // alive 836; GossipMessage tag 2 + 1+2+836 = 841; Envelope payload 1+2+841 = 844,
  // signature 1+1+70 = 72, secret: Secret 9, SecretEnvelope (1+1+9)+72 = 83 -> 85.
  CHECK(e->payload_bytes() == 841);
  CHECK(e->wire_bytes() == 844 + 72 + 85);

  const auto stripped = strip_secret(e);
  CHECK(stripped != e);
  CHECK_FALSE(stripped->secret().has_value());
  CHECK(e->secret().has_value());  // the shared original is untouched (spec §2.8)
  CHECK(stripped->msg_ptr() == e->msg_ptr());  // payload shared, not copied
  CHECK(stripped->wire_bytes() == 844 + 72);
  CHECK(stripped->signature() == e->signature());
  CHECK(strip_secret(stripped) == stripped);  // nothing to strip: same object
}

TEST_CASE("message: wire size of nested envelopes counts each item once with its own signature") {
  auto item = Envelope::make_unsigned(data(1));
  const auto update = Envelope::make_unsigned(
      with(DataUpdate{42, {item, item}, PullMsgType::BLOCK_MSG}, Tag::CHAN_AND_ORG, "ch"));
  const std::uint32_t item_bytes = item->wire_bytes();
  // DataUpdate: nonce 1+1, two items (1+1+item), msg_type 1+1.
  const std::uint32_t content = 2 + 2 * (2 + item_bytes) + 2;
  CHECK(update->payload_bytes() == (1 + 1 + 2) + 2 + (1 + 1 + content));
  CHECK(update->kind() == MessageKind::update_block);
  const auto conn = Envelope::make(std::make_shared<const GossipMessage>(with(ConnEstablish{"pk", "id", "", false})),
                                   Signature{Signature::Kind::payload_echo, "", 0});
  // v1.0 ConnEstablish without TLS: the "signature" is a copy of the payload.
  const std::uint32_t p = conn->payload_bytes();
  CHECK(conn->wire_bytes() == 2 * (1 + 2 + p));
}

TEST_CASE("message: canonical text form (STYLE.md §8)") {
  auto block = std::make_shared<const Block>(Block{5, 32768, false});
  const auto d = Envelope::make_unsigned(with(DataMessage{Payload{5, block}}, Tag::CHAN_AND_ORG, "ch1"));
  CHECK(fmt::format("{}", *d) == "DataMessage{seq=5 data=32768B} tag=CHAN_AND_ORG channel=ch1");

  GossipMessage a = with(AliveMessage{Member{"p0:7051", "", "p0:7051"}, PeerTime{7, 2}, ""});
  const Signature sig{Signature::Kind::ecdsa, "p0:7051", payload_digest(a)};
  const auto signed_alive = Envelope::make(std::make_shared<const GossipMessage>(a), sig,
                                           SecretEnvelope{"10.0.0.1:7051", {Signature::Kind::ecdsa, "p0:7051",
                                                                           secret_digest("10.0.0.1:7051")}});
  CHECK(fmt::format("{}", *signed_alive) ==
        "AliveMessage{endpoint=p0:7051 pki_id=p0:7051 ts=7:2} tag=EMPTY sig=p0:7051 "
        "secret={internal=10.0.0.1:7051 sig=p0:7051}");
  const auto forged = Envelope::make(std::make_shared<const GossipMessage>(a),
                                     Signature{Signature::Kind::ecdsa, "p0:7051", 1});
  CHECK(fmt::format("{}", *forged) == "AliveMessage{endpoint=p0:7051 pki_id=p0:7051 ts=7:2} tag=EMPTY sig=p0:7051(bad)");

  const GossipMessage hello = with(GossipHello{9, PullMsgType::IDENTITY_MSG});
  CHECK(fmt::format("{}", hello) == "GossipHello{nonce=9 type=IDENTITY_MSG} tag=EMPTY");
  const GossipMessage req = with(RemoteStateRequest{3, 12}, Tag::CHAN_OR_ORG, "ch1", 77);
  CHECK(fmt::format("{}", req) == "RemoteStateRequest{start=3 end=12} tag=CHAN_OR_ORG channel=ch1 nonce=77");
  const GossipMessage si = with(StateInfo{"", {0, 5}, "p1", channel_mac("p1", "ch1"), std::nullopt}, Tag::CHAN_OR_ORG);
  CHECK(fmt::format("{}", si) ==
        fmt::format("StateInfo{{pki_id=p1 ts=0:5 mac=0x{}..}} tag=CHAN_OR_ORG", to_hex(channel_mac("p1", "ch1").substr(0, 8))));
  CHECK(printable_bytes(std::string("\x01\x02", 2)) == "0x0102");
}

TEST_CASE("message: payload digest covers content, not addresses") {
  CHECK(payload_digest(alive("a", {1, 1})) == payload_digest(alive("a", {1, 1})));
  CHECK(payload_digest(alive("a", {1, 1})) != payload_digest(alive("a", {1, 2})));
  CHECK(payload_digest(alive("a", {1, 1})) != payload_digest(alive("b", {1, 1})));
  // Binary fields beyond the 8 bytes shown in text still change the digest.
  CHECK(payload_digest(with(StateInfoPullRequest{std::string(20, '\0')}, Tag::CHAN_OR_ORG)) !=
        payload_digest(with(StateInfoPullRequest{std::string(19, '\0') + '\1'}, Tag::CHAN_OR_ORG)));
}

TEST_CASE("message: packets carry the shared envelope, its size and kind") {
  const auto e = Envelope::make_unsigned(data(3));
  const WirePacket p = to_packet(e);
  CHECK(p.bytes == e->wire_bytes());
  CHECK(p.kind == static_cast<std::uint16_t>(MessageKind::data));
  CHECK(from_packet(p) == e);
}
