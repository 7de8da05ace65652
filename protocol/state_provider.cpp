#include "protocol/state_provider.hpp"

#include <algorithm>

namespace gs::proto {

namespace {
// spec §8.3: blocking adds poll every 100 ms while the buffer is over its bound.
constexpr Duration kBlockingPoll = Duration::milliseconds(100);
}  // namespace

bool is_valid_state_request(const RemoteStateRequest& req, Profile profile, std::uint32_t batch_size) {
  if (req.start_seq_num > req.end_seq_num) return false;
  // Latest bounds the span by state.batchSize; v1.0's responder by a hard-coded 10
  // (end − start > 10 is ignored), whatever batch size a scenario gives the requesters.
  const std::uint64_t max_span = is_latest(profile) ? batch_size : 10;
  return req.end_seq_num - req.start_seq_num <= max_span;
}

StateProvider::StateProvider(Env& env, GossipService& gossip, std::string channel, Ledger& ledger,
                             MessageCryptoService* mcs)
    : env_(env), gossip_(gossip), channel_(std::move(channel)), ledger_(ledger), cfg_(gossip.config()),
      mcs_(mcs != nullptr ? *mcs : gossip.crypto()), buffer_(ledger.height()) {
  // spec §8.2: subscribe to the Data messages of this channel the gossip layer accepts.
  gossip_.subscribe(
      [ch = channel_](const DeliveredMessage& d) { return d.channel == ch && d.msg->msg().is<DataMessage>(); },
      [this](const DeliveredMessage& d) { on_block(d); });
  // spec §8.2: state requests and responses arrive raw from comm (pass-through Accept, §2.2).
  raw_subscription_ = gossip_.subscribe_raw([this](const ReceivedMessage& m) { return accept_remote_state(m); },
                                            [this](const ReceivedMessage& m) { on_remote_state(m); });
  publish_height();
  // spec §8.2/§8.4: v1.0 has no switch (anti-entropy always runs), latest reads
  // state.enabled. The simulator honours state.enabled in every profile (DESIGN.md: settable
  // everywhere); fabric-1.0's default is true, so v1.0 runs as Fabric does unless a
  // scenario turns it off to study the other paths.
  if (cfg_.state.enabled) arm_anti_entropy();
}

StateProvider::~StateProvider() { stop(); }

void StateProvider::stop() {
  if (stopped_) return;
  stopped_ = true;
  env_.cancel_timer(poll_timer_);
  env_.cancel_timer(anti_entropy_timer_);
  env_.cancel_timer(response_timer_);
  env_.cancel_timer(request_timer_);
  gossip_.comm().unsubscribe(raw_subscription_);
  transfer_.reset();
  responses_.clear();
  requests_.clear();
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
  maybe_continue_after_blocking();
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

// ---------------------------------------------------------------------------------------
// spec §8.2: access control of the pass-through subscription

// RemoteState messages only; latest also requires this channel. The sender's identity must
// pass VerifyByChannel(channel, identity, connAuthSignature, connAuthSignedData) — in v1.0
// only on authenticated (TLS) connections, in latest always. Modelling note: comm does not
// model TLS-bound handshake signatures (comm.hpp: its ConnEstablish carries the no-TLS
// "payload echo"), but it does authenticate the remote's identity in the handshake (§9.4).
// The check is therefore evaluated as on an authenticated connection, with the signature
// that handshake stands for: the remote's over its ConnEstablish. A real ECDSA signature,
// when comm produces one, is used as it is.
bool StateProvider::accept_remote_state(const ReceivedMessage& m) {
  if (stopped_ || !is_remote_state_message(m.msg())) return false;
  if (is_latest(cfg_.profile) && m.msg().channel != channel_) return false;
  const ConnectionInfo& info = m.connection_info();
  if (!info.auth) return false;
  Signature sig = info.auth->signature();
  if (sig.kind != Signature::Kind::ecdsa) sig = Signature{Signature::Kind::ecdsa, info.pki_id, info.auth->payload_digest()};
  if (mcs_.verify_by_channel(channel_, info.identity, sig, info.auth->payload_digest())) return true;
  if (m.msg().is<RemoteStateRequest>()) ++stats_.requests_dropped;
  env_.observe({MessageDropped{static_cast<std::uint16_t>(m.envelope()->kind()), 0, "state_access_denied"}});
  return false;
}

void StateProvider::on_remote_state(const ReceivedMessage& m) {
  if (m.msg().is<RemoteStateRequest>()) on_state_request(m);
  else on_state_response(m);
}

// ---------------------------------------------------------------------------------------
// spec §8.4: anti-entropy requester

// Sleep-first; the next sleep starts when the round (requestBlocksInRange, synchronous in
// Fabric's loop) has finished.
void StateProvider::arm_anti_entropy() {
  anti_entropy_timer_ = env_.set_timer(cfg_.state.check_interval, "state.anti_entropy", [this] { on_anti_entropy_timer(); });
}

// The advertised height of a channel peer as the profile publishes it (§8.1): v1.0 the
// metadata value (last block number, quirk B.2); latest properties.ledger_height (true
// height). Peers without it are ignored.
std::optional<std::uint64_t> StateProvider::advertised(const ChannelMember& m) const {
  if (is_latest(cfg_.profile)) {
    if (!m.properties) return std::nullopt;
    return m.properties->ledger_height;
  }
  return decode_ledger_height(m.metadata);
}

std::uint64_t StateProvider::max_advertised_height() {
  std::uint64_t max = 0;
  for (const ChannelMember& m : gossip_.peers_of_channel(channel_))
    if (std::optional<std::uint64_t> h = advertised(m)) max = std::max(max, *h);
  return max;
}

void StateProvider::on_anti_entropy_timer() {
  anti_entropy_timer_ = {};
  if (stopped_) return;
  const std::uint64_t h = ledger_.height();
  const std::uint64_t max = max_advertised_height();
  // v1.0 compares last block numbers (h − 1 vs metadata); latest compares heights.
  if (is_latest(cfg_.profile)) {
    if (h >= max) return arm_anti_entropy();
    return request_blocks_in_range(h, max - 1);
  }
  if (h - 1 >= max) return arm_anti_entropy();
  request_blocks_in_range(h, max);
}

// requestBlocksInRange(start, end), inclusive; stateTransferActive while it runs.
void StateProvider::request_blocks_in_range(std::uint64_t start, std::uint64_t end) {
  ++stats_.rounds;
  transfer_ = Transfer{start, end, 0, 0, 0, false};
  begin_batch();
}

// Quirk B.14: next = min(end, prev + batchSize), so one request covers batchSize + 1
// blocks. One random outer nonce per batch, reused by every try of it.
void StateProvider::begin_batch() {
  Transfer& t = *transfer_;
  if (t.prev > t.end) return finish_transfer();
  t.next = std::min(t.end, t.prev + cfg_.state.batch_size);
  t.nonce = env_.rng(RngPurpose::state).next_u64();
  t.tries = 0;
  send_try();
}

// One iteration of the try loop: give up on the WHOLE range after maxRetries + 1 sends
// (quirk B.13) or when no channel peer advertises a height ≥ next; otherwise send to a
// random such peer and wait for one response or the response timeout.
void StateProvider::send_try() {
  Transfer& t = *transfer_;
  t.waiting = false;
  if (t.tries > cfg_.state.max_retries) {
    ++stats_.gave_up;
    return finish_transfer();
  }
  std::vector<ChannelMember> candidates;
  for (ChannelMember& m : gossip_.peers_of_channel(channel_)) {
    const std::optional<std::uint64_t> h = advertised(m);
    if (h && *h >= t.next) candidates.push_back(std::move(m));
  }
  if (candidates.empty()) {
    ++stats_.gave_up;
    return finish_transfer();
  }
  const ChannelMember& peer = candidates[env_.rng(RngPurpose::state).below(candidates.size())];
  GossipMessage req;
  req.nonce = t.nonce;
  req.channel = channel_;
  req.tag = Tag::CHAN_OR_ORG;
  req.content = RemoteStateRequest{t.prev, t.next};
  gossip_.send(std::move(req), {RemotePeer{peer.preferred_endpoint(), peer.pki_id}});
  ++stats_.requests_sent;
  ++t.tries;
  t.waiting = true;
  response_timer_ = env_.set_timer(cfg_.state.response_timeout, "state.response_timeout", [this] { on_response_timer(); });
  // A response queued earlier (a late answer) is what this wait reads first.
  if (!responses_.empty()) {
    ReceivedMessage m = responses_.front();
    responses_.pop_front();
    on_state_response(m);
  }
}

void StateProvider::on_response_timer() {
  response_timer_ = {};
  if (stopped_ || !transfer_ || !transfer_->waiting) return;
  send_try();
}

// Responses are taken only while stateTransferActive; a response that arrives while the
// requester is not waiting (it is pushing a previous response's blocks) is queued.
void StateProvider::on_state_response(const ReceivedMessage& m) {
  if (!transfer_) return;
  Transfer& t = *transfer_;
  if (!t.waiting) {
    if (responses_.size() < cfg_.state.channel_size) responses_.push_back(m);
    return;
  }
  ++stats_.responses_received;
  env_.cancel_timer(response_timer_);
  response_timer_ = {};
  t.waiting = false;
  // Quirk B.13: a foreign nonce is discarded and costs a try.
  if (m.msg().nonce != t.nonce) return send_try();
  const std::optional<std::uint64_t> index = process_state_response(*m.msg().get_if<RemoteStateResponse>());
  if (!index) return send_try();
  ++stats_.responses_accepted;
  t.prev = *index + 1;
  maybe_continue_after_blocking();
}

// handleStateResponse: empty → error; VerifyBlock failure → error, the rest discarded;
// otherwise push each payload (v1.0.0 plain push; bounded profiles a blocking add) and
// return the highest sequence number seen. Rejections (duplicates) are only counted.
std::optional<std::uint64_t> StateProvider::process_state_response(const RemoteStateResponse& r) {
  if (r.payloads.empty()) return std::nullopt;
  std::uint64_t max = 0;
  for (const Payload& p : r.payloads) {
    if (!p.block || !mcs_.verify_block(channel_, p.seq_num, *p.block)) return std::nullopt;
    add_payload(p, Mode::blocking, BlockPath::state_transfer);
    max = std::max(max, p.seq_num);
  }
  return max;
}

// The blocking addPayload holds the requester's loop until its blocks are in the buffer;
// the next batch starts only then.
void StateProvider::maybe_continue_after_blocking() {
  if (!transfer_ || transfer_->waiting || response_timer_) return;
  const bool own_blocked = std::any_of(blocked_.begin(), blocked_.end(),
                                       [](const auto& e) { return e.second == BlockPath::state_transfer; });
  if (own_blocked) return;
  begin_batch();
}

void StateProvider::finish_transfer() {
  transfer_.reset();
  arm_anti_entropy();
}

// ---------------------------------------------------------------------------------------
// spec §8.4: responder

// Requests queue up to state.channelSize (more are dropped) and are handled one at a time.
void StateProvider::on_state_request(const ReceivedMessage& m) {
  if (requests_.size() >= cfg_.state.channel_size) {
    ++stats_.requests_dropped;
    env_.observe({MessageDropped{static_cast<std::uint16_t>(MessageKind::state_request), 0, "state_request_queue_full"}});
    return;
  }
  requests_.push_back(m);
  if (!request_timer_) request_timer_ = env_.set_timer(Duration{}, "state.request_processor", [this] { drain_requests(); });
}

void StateProvider::drain_requests() {
  request_timer_ = {};
  if (stopped_ || requests_.empty()) return;
  ReceivedMessage m = requests_.front();
  requests_.pop_front();
  handle_state_request(m);
  if (!requests_.empty()) request_timer_ = env_.set_timer(Duration{}, "state.request_processor", [this] { drain_requests(); });
}

// Quirk B.14: last = min(myHeight, end); block `myHeight` does not exist and is skipped.
// The reply carries the request's outer nonce, even when it has no payloads.
void StateProvider::handle_state_request(const ReceivedMessage& m) {
  const RemoteStateRequest& req = *m.msg().get_if<RemoteStateRequest>();
  if (!is_valid_state_request(req, cfg_.profile, cfg_.state.batch_size)) {
    ++stats_.requests_dropped;
    env_.observe({MessageDropped{static_cast<std::uint16_t>(MessageKind::state_request), 0, "state_request_invalid"}});
    return;
  }
  const std::uint64_t last = std::min(ledger_.height(), req.end_seq_num);
  RemoteStateResponse resp;
  for (std::uint64_t seq = req.start_seq_num; seq <= last; ++seq)
    if (BlockRef b = ledger_.get(seq)) resp.payloads.push_back(Payload{seq, std::move(b)});
  GossipMessage reply;
  reply.nonce = m.msg().nonce;
  reply.channel = channel_;
  reply.tag = Tag::CHAN_OR_ORG;
  reply.content = std::move(resp);
  m.respond(std::move(reply));
  ++stats_.requests_answered;
}

}  // namespace gs::proto
