#include "protocol/peer.hpp"

namespace gs::proto {

Peer::Peer(Env& env, const Pki& pki, PeerSetup setup) : env_(env), setup_(std::move(setup)) {
  gossip_ = std::make_unique<GossipService>(env_, pki, setup_.gossip);
  for (const PeerChannelSetup& ch : setup_.channels) {
    GS_ASSERT(ch.ledger != nullptr, "peer {}: channel {} has no ledger", name(), ch.name);
    gossip_->join_channel(ch.join, ch.name);
    ChannelState& st = channels_[ch.name];
    st.setup = ch;
    st.state = std::make_unique<StateProvider>(env_, *gossip_, ch.name, *ch.ledger);
    if (ch.static_leader) env_.observe({LeadershipChanged{ch.name, true}});
  }
}

Peer::~Peer() { stop(); }

void Peer::stop() {
  for (auto& [name, st] : channels_) st.state->stop();
  gossip_->stop();
}

bool Peer::connected_to_orderer(const std::string& channel) const {
  auto it = channels_.find(channel);
  return it != channels_.end() && it->second.setup.static_leader && !gossip_->stopped();
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
