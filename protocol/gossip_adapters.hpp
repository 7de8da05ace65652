// The gossip core's adapters towards discovery and the channels (Fabric's
// discoveryAdapter, discoverySecurityAdapter and gossipAdapterImpl). Private to
// gossip_service.cpp: they reach into GossipService, which befriends them.
#pragma once

#include "protocol/gossip_service.hpp"

namespace gs::proto {

// comm's ReceivedMessage as the channel and pull mediator see it (used synchronously).
class ChannelReceivedAdapter final : public PullReceivedMessage {
 public:
  explicit ChannelReceivedAdapter(const ReceivedMessage& m) : m_(m) {}
  const EnvelopePtr& envelope() const override { return m_.envelope(); }
  const PkiId& sender_pki_id() const override { return m_.sender(); }
  void respond(const EnvelopePtr& msg) const override { m_.respond(msg); }

 private:
  const ReceivedMessage& m_;
};

class GossipService::DiscoveryCommAdapter final : public DiscoveryComm {
 public:
  explicit DiscoveryCommAdapter(GossipService& g) : g_(g) {}
  void gossip(const EnvelopePtr& msg) override { g_.emitter_->add(Emitted{msg, {}}); }
  void forward(const EnvelopePtr& msg, const PkiId& sender) override { g_.emitter_->add(Emitted{msg, sender}); }
  void send_to_peer(const NetworkMember& peer, const EnvelopePtr& msg) override {
    g_.comm_->send(conceal_self_info(peer, msg), peer.remote_peer());
  }
  void ping(const NetworkMember& peer, std::function<void(bool)> done) override {
    g_.comm_->probe(peer.preferred_endpoint(), [done = std::move(done)](const HandshakeResult& r) { done(r.ok); });
  }
  void close_conn(const NetworkMember& peer) override { g_.comm_->close_conn(peer.pki_id); }

 private:
  // spec §6.3: a membership request to a peer whose PKI-ID is known carries its self
  // information filtered by the disclosure policy (internal endpoint stripped across orgs).
  EnvelopePtr conceal_self_info(const NetworkMember& peer, const EnvelopePtr& msg) {
    const auto* req = msg->msg().get_if<MembershipRequest>();
    if (req == nullptr || peer.pki_id.empty() || !req->self_information) return msg;
    EnvelopePtr filtered = g_.disclosure_policy(peer).second(req->self_information);
    if (filtered == req->self_information) return msg;
    GossipMessage copy = msg->msg();
    std::get<MembershipRequest>(copy.content).self_information = std::move(filtered);
    return Envelope::make_unsigned(std::move(copy));
  }

  GossipService& g_;
};

class GossipService::DiscoveryCryptoAdapter final : public DiscoveryCrypto {
 public:
  explicit DiscoveryCryptoAdapter(GossipService& g) : g_(g) {}
  bool validate_alive_msg(const EnvelopePtr& msg) override { return g_.validate_alive_msg(msg); }
  EnvelopePtr sign_message(GossipMessage msg, const Endpoint& internal_endpoint) override {
    if (internal_endpoint.empty()) return g_.mcs_->sign_message(std::move(msg));
    return g_.mcs_->sign_message(std::move(msg), internal_endpoint);
  }

 private:
  GossipService& g_;
};

class GossipService::ChannelAdapterImpl final : public ChannelAdapter {
 public:
  explicit ChannelAdapterImpl(GossipService& g) : g_(g) {}

  void gossip(const EnvelopePtr& msg) override { g_.emitter_->add(Emitted{msg, {}}); }
  void forward(const ChannelReceivedMessage& msg) override {
    g_.emitter_->add(Emitted{msg.envelope(), msg.sender_pki_id()});
  }
  void deliver(const EnvelopePtr& msg) override { g_.deliver(msg, channel_of(msg)); }
  std::vector<ChannelMember> get_membership() override {
    std::vector<ChannelMember> out;
    for (const NetworkMember& m : g_.discovery_->get_membership()) out.push_back(to_channel_member(m));
    return out;
  }
  std::optional<ChannelMember> lookup(const PkiId& pki_id) override {
    auto m = g_.discovery_->lookup(pki_id);
    if (!m) return std::nullopt;
    return to_channel_member(*m);
  }
  void send(const EnvelopePtr& msg, const std::vector<ChannelMember>& peers) override {
    std::vector<RemotePeer> remotes;
    for (const ChannelMember& p : peers) remotes.push_back(RemotePeer{p.preferred_endpoint(), p.pki_id});
    g_.comm_->send(msg, remotes);
  }
  bool validate_state_info_message(const Envelope& msg) override { return g_.validate_state_info(msg); }
  std::optional<std::string> org_of_peer(const PkiId& pki_id) override {
    const std::optional<std::string_view> org = g_.org_of(pki_id);
    if (!org) return std::nullopt;
    return std::string(*org);
  }
  std::optional<IdentityBytes> identity_of(const PkiId& pki_id) override {
    const IdentityBytes* id = g_.idmapper_->get(pki_id);
    if (id == nullptr) return std::nullopt;
    return *id;
  }
  bool verify_by_channel(const std::string& channel, const IdentityBytes& identity, const Envelope& msg) override {
    return g_.mcs_->verify_by_channel(channel, identity, msg.signature(), msg.payload_digest());
  }
  bool verify_block(const std::string& channel, std::uint64_t seq, const Payload& payload) override {
    return payload.block != nullptr && g_.mcs_->verify_block(channel, seq, *payload.block);
  }
  EnvelopePtr sign(GossipMessage msg) override { return g_.mcs_->sign_message(std::move(msg)); }

 private:
  static ChannelMember to_channel_member(const NetworkMember& m) {
    ChannelMember c;
    c.pki_id = m.pki_id;
    c.endpoint = m.endpoint;
    c.internal_endpoint = m.internal_endpoint;
    return c;
  }
  // StateInfo carries a MAC, not the channel name (spec §1.6).
  std::string channel_of(const EnvelopePtr& msg) const {
    if (const auto* si = msg->msg().get_if<StateInfo>()) {
      const GossipChannel* gc = g_.channel_by_mac(si->pki_id, si->channel_mac);
      return gc == nullptr ? std::string() : gc->channel();
    }
    return msg->msg().channel;
  }

  GossipService& g_;
};

}  // namespace gs::proto
