#include "protocol/state_provider.hpp"

namespace gs::proto {

namespace {
// spec §8.3: blocking adds poll every 100 ms while the buffer is over its bound.
constexpr Duration kBlockingPoll = Duration::milliseconds(100);
}  // namespace

StateProvider::StateProvider(Env& env, GossipService& gossip, std::string channel, Ledger& ledger)
    : env_(env), gossip_(gossip), channel_(std::move(channel)), ledger_(ledger), cfg_(gossip.config()),
      buffer_(ledger.height()) {
  // spec §8.2: subscribe to the Data messages of this channel the gossip layer accepts.
  gossip_.subscribe(
      [ch = channel_](const DeliveredMessage& d) { return d.channel == ch && d.msg->msg().is<DataMessage>(); },
      [this](const DeliveredMessage& d) { on_block(d); });
  publish_height();
}

void StateProvider::stop() {
  stopped_ = true;
  env_.cancel_timer(poll_timer_);
}

void StateProvider::on_block(const DeliveredMessage& d) {
  if (stopped_) return;
  add_payload(d.msg->msg().get_if<DataMessage>()->payload, Mode::non_blocking, d.via);
}

void StateProvider::add_payload_from_orderer(Payload p) {
  if (stopped_) return;
  // Latest: nonBlockingCommitMode makes orderer blocks non-blocking too (spec §8.3).
  add_payload(std::move(p), cfg_.non_blocking_commit_mode ? Mode::non_blocking : Mode::blocking, BlockPath::orderer);
}

// spec §8.3 addPayload. v1.0.0 (blockBufferSize 0): plain push, unbounded. Latest
// (blockBufferSize N): non-blocking adds are rejected N or more ahead of the ledger (the
// unsigned arithmetic also rejects blocks below it); blocking adds wait while more than
// 2N are buffered.
void StateProvider::add_payload(Payload p, Mode mode, BlockPath via) {
  const std::uint64_t bound = cfg_.state.block_buffer_size;
  if (bound == 0) return push(std::move(p), via);
  if (mode == Mode::non_blocking) {
    if (p.seq_num - ledger_.height() >= bound) {
      env_.observe({MessageDropped{static_cast<std::uint16_t>(MessageKind::data), 0, "payload_buffer_distance"}});
      return;
    }
    return push(std::move(p), via);
  }
  if (!blocked_.empty() || buffer_.size() > 2 * bound) {
    blocked_.emplace_back(std::move(p), via);
    if (!poll_timer_) poll_timer_ = env_.set_timer(kBlockingPoll, "state.blocking_add_poll", [this] { retry_blocked(); });
    return;
  }
  push(std::move(p), via);
}

void StateProvider::retry_blocked() {
  poll_timer_ = {};
  const std::uint64_t bound = cfg_.state.block_buffer_size;
  while (!blocked_.empty() && buffer_.size() <= 2 * bound) {
    auto [p, via] = std::move(blocked_.front());
    blocked_.pop_front();
    push(std::move(p), via);
  }
  if (!blocked_.empty()) poll_timer_ = env_.set_timer(kBlockingPoll, "state.blocking_add_poll", [this] { retry_blocked(); });
}

void StateProvider::push(Payload p, BlockPath via) {
  const std::uint64_t seq = p.seq_num;
  const bool accepted = buffer_.push(std::move(p));
  env_.observe({BlockReceived{channel_, seq, via, !accepted}});
  if (accepted && buffer_.ready()) deliver_payloads();
}

// spec §8.3 deliverPayloads: commit everything that is now in order.
void StateProvider::deliver_payloads() {
  while (std::optional<Payload> p = buffer_.pop()) {
    ledger_.commit(p->block);
    env_.observe({BlockCommitted{channel_, p->seq_num}});
    publish_height();
  }
}

// spec §8.1: v1.0 publishes the last committed block number (height − 1, quirk B.2);
// latest publishes the true height.
void StateProvider::publish_height() {
  const std::uint64_t h = ledger_.height();
  gossip_.update_ledger_height(is_latest(cfg_.profile) ? h : h - 1, channel_);
}

}  // namespace gs::proto
