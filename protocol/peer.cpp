#include "protocol/peer.hpp"

namespace gs::proto {

// spec §7.2: the election adapter of one channel.
class Peer::ElectionAdapterImpl final : public ElectionAdapter {
 public:
  ElectionAdapterImpl(Env& env, GossipService& gossip, std::string channel)
      : gossip_(gossip), channel_(std::move(channel)), inc_(static_cast<std::uint64_t>(env.now().ns())) {}

  // CreateMessage: seq++, timestamp {adapter creation time, seq}; Gossip() signs it and it
  // is routed to every eligible same-org channel peer, one hop (§2.6 group 2).
  void gossip(bool is_declaration) override {
    GossipMessage msg;
    msg.channel = channel_;
    msg.tag = Tag::CHAN_AND_ORG;
    msg.content = LeadershipMessage{gossip_.self_pki_id(), PeerTime{inc_, ++seq_}, is_declaration};
    gossip_.gossip(std::move(msg));
  }
  // v1.0: all alive discovery members (any channel, any org); latest: the channel's
  // peers of my org (§7.2, §7.5).
  std::vector<PkiId> peers() override {
    std::vector<PkiId> out;
    if (!is_latest(gossip_.config().profile)) {
      for (const NetworkMember& m : gossip_.peers()) out.push_back(m.pki_id);
      return out;
    }
    for (const ChannelMember& m : gossip_.peers_of_channel(channel_))
      if (gossip_.identity_mapper().org_of(m.pki_id) == gossip_.self_org()) out.push_back(m.pki_id);
    return out;
  }

 private:
  GossipService& gossip_;
  std::string channel_;
  std::uint64_t inc_;
  std::uint64_t seq_ = 0;
};

Peer::Peer(Env& env, const Pki& pki, PeerSetup setup) : env_(env), setup_(std::move(setup)) {
  gossip_ = std::make_unique<GossipService>(env_, pki, setup_.gossip);
  for (const PeerChannelSetup& ch : setup_.channels) initialize_channel(ch);
}

void Peer::initialize_channel(const PeerChannelSetup& ch) {
  GS_ASSERT(ch.ledger != nullptr, "peer {}: channel {} has no ledger", name(), ch.name);
  if (gossip_->stopped() || channels_.count(ch.name) != 0) return;
  gossip_->join_channel(ch.join, ch.name);
  ChannelState& st = channels_[ch.name];
  st.setup = ch;
  st.state = std::make_unique<StateProvider>(env_, *gossip_, ch.name, *ch.ledger);
  if (ch.static_leader) env_.observe({LeadershipChanged{ch.name, true}});
  else if (setup_.gossip.config.use_leader_election) start_election(st);
}

// spec §7.1: one election per channel; the callback connects to / disconnects from the
// orderer (the world starts delivering from the ledger height on a LeadershipChanged).
void Peer::start_election(ChannelState& st) {
  const std::string& ch = st.setup.name;
  st.election_adapter = std::make_unique<ElectionAdapterImpl>(env_, *gossip_, ch);
  // Yield exists from v1.0.1 on; fabric-1.0 is v1.0.0 (§7.4).
  const bool yield_supported = is_latest(setup_.gossip.config.profile);
  st.election = std::make_unique<LeaderElection>(
      env_, *st.election_adapter, gossip_->self_pki_id(), setup_.gossip.config.election, yield_supported,
      [this, ch](bool is_leader) { env_.observe({LeadershipChanged{ch, is_leader}}); });
  LeaderElection* election = st.election.get();
  gossip_->subscribe(
      [ch](const DeliveredMessage& d) { return d.channel == ch && d.msg->msg().is<LeadershipMessage>(); },
      [election](const DeliveredMessage& d) {
        const auto* l = d.msg->msg().get_if<LeadershipMessage>();
        election->handle_message(ElectionMessage{l->pki_id, l->is_declaration});
      });
}

Peer::~Peer() { stop(); }

void Peer::stop() {
  for (auto& [name, st] : channels_) {
    if (st.election) st.election->stop();
    st.state->stop();
  }
  gossip_->stop();
}

bool Peer::connected_to_orderer(const std::string& channel) const {
  auto it = channels_.find(channel);
  if (it == channels_.end() || gossip_->stopped()) return false;
  const ChannelState& st = it->second;
  return st.setup.static_leader || (st.election && st.election->is_leader());
}

std::uint64_t Peer::ledger_height(const std::string& channel) const {
  auto it = channels_.find(channel);
  return it == channels_.end() ? 0 : it->second.setup.ledger->height();
}

void Peer::deliver_from_orderer(const std::string& channel, const BlockRef& block) {
  auto it = channels_.find(channel);
  if (it == channels_.end() || gossip_->stopped()) return;
  if (!gossip_->crypto().verify_block(channel, block->number, *block)) return;  // invalid: skipped
  Payload payload{block->number, block};
  it->second.state->add_payload_from_orderer(payload);
  const GossipConfig& cfg = gossip_->config();
  if (is_latest(cfg.profile) && !cfg.block_gossip_enabled) return;
  GossipMessage msg;
  msg.channel = channel;
  msg.tag = Tag::CHAN_AND_ORG;
  msg.content = DataMessage{payload};
  gossip_->gossip(std::move(msg));
}

}  // namespace gs::proto
