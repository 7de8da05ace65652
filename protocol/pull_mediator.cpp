#include "protocol/pull_mediator.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "base/assert.hpp"

namespace gs::proto {

namespace {

// The engine's view of a received hello/request: the message itself, handed back to
// send_digest / send_res so they can Respond() on its connection.
class ReceivedPullContext final : public PullContext {
 public:
  explicit ReceivedPullContext(const PullReceivedMessage& msg) : msg_(msg) {}
  const std::string& sender() const override { return msg_.sender_pki_id(); }
  const PullReceivedMessage& msg() const { return msg_; }

 private:
  const PullReceivedMessage& msg_;
};

// Every context the engine hands back to the mediator is one the mediator created in
// handle_message(), so the downcast cannot fail.
const PullReceivedMessage& received(const PullContext& context) {
  const auto* ctx = dynamic_cast<const ReceivedPullContext*>(&context);
  GS_ASSERT(ctx != nullptr, "pull mediator: foreign PullContext");
  return ctx->msg();
}

PullMediatorConfig checked(PullMediatorConfig config) {
  const auto problem = config.problem();
  GS_ASSERT(!problem, "pull mediator {}: {}", config.id, problem.value_or(""));
  return config;
}

}  // namespace

std::optional<std::string> PullMediatorConfig::problem() const {
  if (msg_type != PullMsgType::BLOCK_MSG && msg_type != PullMsgType::IDENTITY_MSG) {
    return fmt::format("msg_type must be BLOCK_MSG or IDENTITY_MSG, got {}", msg_type);
  }
  // spec §1.4: pull messages of BLOCK_MSG need CHAN_AND_ORG, of IDENTITY_MSG need EMPTY.
  GossipMessage probe{0, channel, tag, GossipHello{0, msg_type}};
  if (!is_tag_legal(probe)) return fmt::format("tag {} is illegal for {} pull messages", tag, msg_type);
  return engine.problem();
}

PullMediator::PullMediator(Env& env, PullMediatorConfig config, PullMediatorAdapter adapter)
    : env_(env),
      config_(checked(std::move(config))),
      adapter_(std::move(adapter)),
      engine_(env_, *this, config_.engine, engine_filter()) {
  GS_ASSERT(adapter_.send && adapter_.get_membership && adapter_.id_extractor && adapter_.msg_consumer,
            "pull mediator {}: adapter needs send, get_membership, id_extractor and msg_consumer", config_.id);
}

PullDigestFilter PullMediator::engine_filter() {
  if (!adapter_.egress_digest_filter) return {};
  return [this](const PullContext& context, const std::string& item) {
    return adapter_.egress_digest_filter(received(context), item);
  };
}

void PullMediator::register_msg_hook(PullPhase phase, PullMsgHook hook) {
  hooks_[static_cast<std::size_t>(phase)].push_back(std::move(hook));
}

void PullMediator::add(const EnvelopePtr& msg) {
  GS_ASSERT(msg != nullptr, "pull mediator {}: add(null)", config_.id);
  const std::string id = adapter_.id_extractor(*msg);
  item_id2msg_[id] = msg;
  engine_.add(id);
}

void PullMediator::remove(const std::string& item_id) {
  item_id2msg_.erase(item_id);
  engine_.remove(item_id);
}

void PullMediator::stop() { engine_.stop(); }

EnvelopePtr PullMediator::stored(const std::string& item_id) const {
  const auto it = item_id2msg_.find(item_id);
  return it == item_id2msg_.end() ? nullptr : it->second;
}

// spec §3.4 HandleMessage.
void PullMediator::handle_message(const PullReceivedMessage& msg) {
  if (engine_.stopped() || !msg.envelope()) return;
  const GossipMessage& m = msg.envelope()->msg();
  const std::optional<PullMsgType> type = pull_msg_type(m);
  if (!type || *type != config_.msg_type) return;  // not a pull message, or not ours

  const ReceivedPullContext context(msg);
  std::vector<std::string> item_ids;
  std::vector<EnvelopePtr> items;
  PullPhase phase = PullPhase::hello;
  if (const auto* hello = m.get_if<GossipHello>()) {
    engine_.on_hello(hello->nonce, context);
  } else if (const auto* digest = m.get_if<DataDigest>()) {
    phase = PullPhase::digest;
    item_ids = adapter_.ingress_digest_filter ? adapter_.ingress_digest_filter(digest->digests, msg) : digest->digests;
    engine_.on_digest(item_ids, digest->nonce, context);
  } else if (const auto* request = m.get_if<DataRequest>()) {
    phase = PullPhase::request;
    item_ids = request->digests;
    engine_.on_req(request->digests, request->nonce, context);
  } else if (const auto* update = m.get_if<DataUpdate>()) {
    phase = PullPhase::response;
    bool complete = false;
    handle_update(*update, item_ids, items, complete);
    if (!complete) return;
  }
  for (const PullMsgHook& hook : hooks_[static_cast<std::size_t>(phase)]) hook(item_ids, items, msg);
}

// spec §3.4, Appendix B.4 (reproduced quirk): every item is handed to the consumer and
// stored in itemID2Msg *before* the engine checks the nonce, so items of a stale or forged
// update are still delivered; they only fail to enter the engine's ID set. An item that
// cannot be read (a null envelope, our stand-in for a protobuf parse error) ends the
// processing as in Fabric: the items before it stay consumed, the engine and hooks are
// skipped.
void PullMediator::handle_update(const DataUpdate& update, std::vector<std::string>& item_ids,
                                 std::vector<EnvelopePtr>& items, bool& complete) {
  for (const EnvelopePtr& item : update.data) {
    if (!item) return;
    adapter_.msg_consumer(item);
    std::string id = adapter_.id_extractor(*item);
    item_id2msg_[id] = item;
    item_ids.push_back(std::move(id));
    items.push_back(item);
  }
  engine_.on_res(item_ids, update.nonce);
  complete = true;
}

// spec §3.4 SelectPeers: k = min(PeerCountToSelect, |membership|) distinct random members,
// addressed by PreferredEndpoint.
std::vector<std::string> PullMediator::select_peers() {
  std::vector<PullMember> pool = adapter_.get_membership();
  const std::size_t k = std::min(config_.peer_count_to_select, pool.size());
  Rng& rng = env_.rng(RngPurpose::pull);
  std::vector<std::string> endpoints;
  endpoints.reserve(k);
  for (std::size_t i = 0; i < k; ++i) {  // partial Fisher–Yates: uniform, distinct
    const std::size_t j = i + static_cast<std::size_t>(rng.below(pool.size() - i));
    std::swap(pool[i], pool[j]);
    endpoints.push_back(pool[i].preferred_endpoint());
  }
  return endpoints;
}

std::vector<PullMember> PullMediator::peers_with_endpoint(const std::string& endpoint) const {
  std::vector<PullMember> peers;
  for (PullMember& member : adapter_.get_membership()) {
    if (member.preferred_endpoint() == endpoint) peers.push_back(std::move(member));
  }
  return peers;
}

EnvelopePtr PullMediator::make_pull_message(Content content) const {
  return Envelope::make_unsigned(GossipMessage{0, config_.channel, config_.tag, std::move(content)});
}

// Hello and Request go through Sender to the member(s) with the chosen endpoint (a member
// that left the pool since SelectPeers gets nothing); Digest and Update answer on the
// received message's connection (spec §3.4).
void PullMediator::hello(const std::string& dest, std::uint64_t nonce) {
  const std::vector<PullMember> peers = peers_with_endpoint(dest);
  if (peers.empty()) return;
  adapter_.send(make_pull_message(GossipHello{nonce, config_.msg_type}), peers);
}

void PullMediator::send_digest(const std::vector<std::string>& digest, std::uint64_t nonce,
                               const PullContext& context) {
  received(context).respond(make_pull_message(DataDigest{nonce, digest, config_.msg_type}));
}

void PullMediator::send_req(const std::string& dest, const std::vector<std::string>& items, std::uint64_t nonce) {
  const std::vector<PullMember> peers = peers_with_endpoint(dest);
  if (peers.empty()) return;
  adapter_.send(make_pull_message(DataRequest{nonce, items, config_.msg_type}), peers);
}

void PullMediator::send_res(const std::vector<std::string>& items, const PullContext& context, std::uint64_t nonce) {
  std::vector<EnvelopePtr> data;
  for (const std::string& id : items) {
    if (const auto it = item_id2msg_.find(id); it != item_id2msg_.end()) data.push_back(it->second);
  }
  received(context).respond(make_pull_message(DataUpdate{nonce, std::move(data), config_.msg_type}));
}

}  // namespace gs::proto
