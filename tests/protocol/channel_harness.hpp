// Test harness for GossipChannel (spec §5, §11.6): a fake ChannelAdapter recording what the
// channel gossips, forwards, sends and delivers, received-message helpers, message
// builders, and the §11.6 configuration. Runs on FakeEnv's virtual clock.
//
// Peers (Fabric's channel_test.go has the same cast): "self" (ORG1, the channel's peer),
// "p1" (ORG1, eligible), "p1ne" (ORG1, VerifyByChannel fails), "p2" (ORG2, org not in the
// channel unless a test adds it), "pnil" (unknown org and identity).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "protocol/channel.hpp"
#include "fake_env.hpp"

namespace gs::proto::chantest {

inline const std::string kChannel = "A";
inline const std::string kOrg1 = "ORG1";
inline const std::string kOrg2 = "ORG2";

class FakeChannelAdapter final : public ChannelAdapter {
 public:
  struct Sent {
    EnvelopePtr msg;
    std::vector<ChannelMember> peers;
  };

  // --- ChannelAdapter ---
  void gossip(const EnvelopePtr& msg) override { gossiped.push_back(msg); }
  void forward(const ChannelReceivedMessage& msg) override {
    forwarded.push_back({msg.envelope(), msg.sender_pki_id()});
  }
  void deliver(const EnvelopePtr& msg) override { delivered.push_back(msg); }
  std::vector<ChannelMember> get_membership() override { return membership; }
  std::optional<ChannelMember> lookup(const PkiId& pki_id) override {
    if (unknown_to_discovery.count(pki_id) != 0) return std::nullopt;
    for (const ChannelMember& m : membership) {
      if (m.pki_id == pki_id) return m;
    }
    return ChannelMember{pki_id, pki_id + ":7051", "", {}, {}};  // known, dead
  }
  void send(const EnvelopePtr& msg, const std::vector<ChannelMember>& peers) override { sent.push_back({msg, peers}); }
  bool validate_state_info_message(const Envelope& msg) override {
    return msg.signature().kind == Signature::Kind::ecdsa && msg.signature().digest == msg.payload_digest();
  }
  std::optional<std::string> org_of_peer(const PkiId& pki_id) override {
    const auto it = orgs.find(pki_id);
    return it == orgs.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  std::optional<IdentityBytes> identity_of(const PkiId& pki_id) override {
    if (orgs.count(pki_id) == 0) return std::nullopt;
    return "identity:" + pki_id;
  }
  bool verify_by_channel(const std::string&, const IdentityBytes& identity, const Envelope& msg) override {
    if (denied.count(identity.substr(std::string("identity:").size())) != 0) return false;
    return validate_state_info_message(msg);
  }
  bool verify_block(const std::string&, std::uint64_t seq, const Payload& payload) override {
    return invalid_blocks.count(seq) == 0 && payload.seq_num == seq;
  }
  EnvelopePtr sign(GossipMessage msg) override {
    ++sign_count;
    return sign_as(self, std::move(msg));
  }

  static EnvelopePtr sign_as(const PkiId& signer, GossipMessage msg) {
    const std::uint64_t digest = payload_digest(msg);
    return Envelope::make(std::make_shared<const GossipMessage>(std::move(msg)),
                          Signature{Signature::Kind::ecdsa, signer, digest});
  }

  // --- test controls ---
  PkiId self = "self";
  std::map<PkiId, std::string> orgs{{"self", kOrg1}, {"p1", kOrg1}, {"p1ne", kOrg1}, {"p2", kOrg2}};
  std::set<PkiId> denied{"p1ne"};     // VerifyByChannel fails
  std::set<PkiId> unknown_to_discovery;  // Lookup returns null
  std::set<std::uint64_t> invalid_blocks;
  std::vector<ChannelMember> membership;

  // --- records ---
  std::vector<EnvelopePtr> gossiped;
  std::vector<std::pair<EnvelopePtr, PkiId>> forwarded;
  std::vector<EnvelopePtr> delivered;
  std::vector<Sent> sent;
  int sign_count = 0;
};

inline ChannelMember member(const PkiId& pki_id) { return ChannelMember{pki_id, pki_id + ":7051", "", {}, {}}; }

// A received message; answers land in `responses`.
class FakeReceived final : public ChannelReceivedMessage {
 public:
  FakeReceived(EnvelopePtr env, PkiId sender, std::vector<EnvelopePtr>* responses)
      : env_(std::move(env)), sender_(std::move(sender)), responses_(responses) {}
  const EnvelopePtr& envelope() const override { return env_; }
  const PkiId& sender_pki_id() const override { return sender_; }
  void respond(const EnvelopePtr& msg) const override { responses_->push_back(msg); }

 private:
  EnvelopePtr env_;
  PkiId sender_;
  std::vector<EnvelopePtr>* responses_;
};

// --- message builders ---
inline EnvelopePtr block_msg(std::uint64_t seq, const std::string& channel = kChannel) {
  return Envelope::make_unsigned(GossipMessage{0, channel, Tag::CHAN_AND_ORG, DataMessage{Payload{seq, nullptr}}});
}

inline EnvelopePtr state_info_msg(const PkiId& pki_id, std::uint64_t seq_num, Bytes metadata = {},
                                  std::optional<StateInfoProperties> props = std::nullopt,
                                  const std::string& channel = kChannel) {
  StateInfo si{std::move(metadata), PeerTime{1, seq_num}, pki_id, channel_mac(pki_id, channel), props};
  return FakeChannelAdapter::sign_as(pki_id, GossipMessage{0, "", Tag::CHAN_OR_ORG, std::move(si)});
}

inline EnvelopePtr pull_msg(Content content, const std::string& channel = kChannel) {
  return Envelope::make_unsigned(GossipMessage{0, channel, Tag::CHAN_AND_ORG, std::move(content)});
}
inline EnvelopePtr hello_msg(std::uint64_t nonce) { return pull_msg(GossipHello{nonce, PullMsgType::BLOCK_MSG}); }
inline EnvelopePtr digest_msg(std::uint64_t nonce, std::vector<std::string> ids) {
  return pull_msg(DataDigest{nonce, std::move(ids), PullMsgType::BLOCK_MSG});
}
inline EnvelopePtr update_msg(std::uint64_t nonce, std::vector<EnvelopePtr> items) {
  return pull_msg(DataUpdate{nonce, std::move(items), PullMsgType::BLOCK_MSG});
}
inline EnvelopePtr state_info_pull_request(const PkiId& mac_of) {
  return Envelope::make_unsigned(
      GossipMessage{0, "", Tag::CHAN_OR_ORG, StateInfoPullRequest{channel_mac(mac_of, kChannel)}});
}
inline EnvelopePtr leadership_msg(const PkiId& creator, std::uint64_t seq) {
  return FakeChannelAdapter::sign_as(
      creator, GossipMessage{0, kChannel, Tag::CHAN_AND_ORG, LeadershipMessage{creator, PeerTime{1, seq}, true}});
}

// spec §11.6 configuration.
inline ChannelConfig test_config(Profile p = Profile::fabric_1_0) {
  ChannelConfig c = ChannelConfig::defaults_for(p);
  c.publish_state_info_interval = Duration::milliseconds(100);
  c.request_state_info_interval = Duration::milliseconds(100);
  c.max_block_count_to_store = 100;
  c.pull_peer_num = 3;
  c.pull_interval = Duration::seconds(1);
  c.block_expiration_interval = Duration::seconds(6);
  c.state_info_cache_sweep_interval = Duration::seconds(1);
  c.digest_wait_time = Duration::milliseconds(150);
  c.request_wait_time = Duration::milliseconds(300);
  c.response_wait_time = Duration::milliseconds(300);
  return c;
}

inline JoinChannelMessage join(std::uint64_t seq, std::vector<std::string> orgs) {
  return JoinChannelMessage{seq, std::move(orgs), {}};
}

struct ChannelFixture {
  explicit ChannelFixture(ChannelConfig cfg = test_config(), std::vector<std::string> orgs = {kOrg1})
      : channel(std::make_unique<GossipChannel>(env, adapter, "self", kChannel, join(1, std::move(orgs)), cfg)) {}

  // Delivers `msg` from `sender`; returns the responses it produced.
  std::vector<EnvelopePtr> receive(const EnvelopePtr& msg, const PkiId& sender) {
    std::vector<EnvelopePtr> responses;
    channel->handle_message(FakeReceived(msg, sender, &responses));
    return responses;
  }

  // Makes `pki_id` alive in discovery and caches a StateInfo of it (received from itself).
  void add_eligible(const PkiId& pki_id) {
    adapter.membership.push_back(member(pki_id));
    receive(state_info_msg(pki_id, ++si_seq), pki_id);
  }

  template <typename T>
  std::vector<const FakeChannelAdapter::Sent*> sent_of() const {
    std::vector<const FakeChannelAdapter::Sent*> out;
    for (const auto& s : adapter.sent) {
      if (s.msg->is<T>()) out.push_back(&s);
    }
    return out;
  }
  template <typename T>
  std::size_t gossiped_of() const {
    std::size_t n = 0;
    for (const auto& e : adapter.gossiped) n += e->is<T>() ? 1 : 0;
    return n;
  }
  bool delivered_block(std::uint64_t seq) const {
    for (const auto& e : adapter.delivered) {
      if (const auto* d = e->get_if<DataMessage>(); d != nullptr && d->payload.seq_num == seq) return true;
    }
    return false;
  }

  // Plays the remote side of one pull round initiated by the channel with `peer`: waits for
  // the hello, answers with `digest`, waits DigestWaitTime, and answers the request with
  // `items(requested ids)`. Returns the ids requested (empty when no request was sent).
  template <typename Items>
  std::vector<std::string> pull_round(const PkiId& peer, const std::vector<std::string>& digest, Items&& items) {
    const std::size_t hellos_before = sent_of<GossipHello>().size();
    for (int i = 0; i < 200 && sent_of<GossipHello>().size() == hellos_before; ++i) env.advance(Duration::milliseconds(10));
    const auto hellos = sent_of<GossipHello>();
    if (hellos.size() == hellos_before) return {};
    const std::uint64_t nonce = hellos.back()->msg->get_if<GossipHello>()->nonce;
    const std::size_t reqs_before = sent_of<DataRequest>().size();
    receive(digest_msg(nonce, digest), peer);
    env.advance(channel->config().digest_wait_time);
    const auto reqs = sent_of<DataRequest>();
    if (reqs.size() == reqs_before) return {};
    const DataRequest& req = *reqs.back()->msg->get_if<DataRequest>();
    receive(update_msg(req.nonce, items(req.digests)), peer);
    return req.digests;
  }

  test::FakeEnv env;
  FakeChannelAdapter adapter;
  std::unique_ptr<GossipChannel> channel;
  std::uint64_t si_seq = 0;
};

}  // namespace gs::proto::chantest
