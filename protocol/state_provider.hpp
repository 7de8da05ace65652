// The state provider of one channel (spec §8; Fabric gossip/state/state.go): receives
// blocks from gossip (pushed or pulled) and from the orderer, buffers them (§8.3), commits
// them to the ledger strictly in order, and advertises the ledger height in the channel's
// StateInfo (§8.1, with v1.0's last-block-number quirk B.2).
//
// Anti-entropy (§8.4): every state.checkInterval (v1.0 always; latest only with
// state.enabled) the provider compares its height with the heights its channel peers
// advertise and fetches the missing range point to point in batches (RemoteStateRequest /
// RemoteStateResponse over the comm pass-through subscription, §2.2), and it answers the
// requests of others. Quirks B.13 and B.14 are reproduced.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "protocol/gossip_service.hpp"
#include "protocol/ledger.hpp"
#include "protocol/payload_buffer.hpp"

namespace gs::proto {

// spec §8.4 responder validation: v1.0 ignores `end − start > batch` or `start > end`;
// latest ignores `start > end` or `end > start + batch` (the same boundary).
bool is_valid_state_request(const RemoteStateRequest& req, Profile profile, std::uint32_t batch_size);

// Counters of the anti-entropy requester and responder of one channel (tests, reports).
struct StateTransferStats {
  std::uint64_t rounds = 0;              // anti-entropy ticks that found the ledger behind
  std::uint64_t requests_sent = 0;       // RemoteStateRequest sends (every try)
  std::uint64_t responses_received = 0;  // RemoteStateResponses taken while a transfer was active
  std::uint64_t responses_accepted = 0;  // of those, processed successfully (a batch advanced)
  std::uint64_t gave_up = 0;             // ranges abandoned (tries exhausted or no peer high enough)
  std::uint64_t requests_answered = 0;   // responses this peer sent
  std::uint64_t requests_dropped = 0;    // invalid, denied or over the request queue capacity
};

class StateProvider {
 public:
  // Subscribes to the channel's blocks and to state messages, publishes the initial
  // height and starts anti-entropy. `mcs` is the provider's own MessageCryptoService
  // (Fabric passes one to NewGossipStateProvider; tests give one with its own channel
  // policy), by default the gossip core's. `gossip`, `ledger`, `env`, `mcs` outlive it.
  StateProvider(Env& env, GossipService& gossip, std::string channel, Ledger& ledger,
                MessageCryptoService* mcs = nullptr);
  ~StateProvider();
  StateProvider(const StateProvider&) = delete;
  StateProvider& operator=(const StateProvider&) = delete;

  // AddPayload (spec §7.1, §8.3): a block from the orderer; blocking add.
  void add_payload_from_orderer(Payload p);
  void stop();

  const Ledger& ledger() const { return ledger_; }
  std::size_t buffered() const { return buffer_.size(); }
  // stateTransferActive (spec §8.4): a requestBlocksInRange is under way.
  bool state_transfer_active() const { return transfer_.has_value(); }
  const StateTransferStats& transfer_stats() const { return stats_; }

 private:
  enum class Mode : std::uint8_t { non_blocking, blocking };
  // One requestBlocksInRange (spec §8.4): the current batch is [prev, next] of [.., end].
  struct Transfer {
    std::uint64_t prev = 0;
    std::uint64_t end = 0;
    std::uint64_t next = 0;
    std::uint64_t nonce = 0;
    std::uint32_t tries = 0;
    bool waiting = false;  // a request is out and the 3 s wait runs
  };

  // spec §8.2 access control of the pass-through subscription.
  bool accept_remote_state(const ReceivedMessage& m);
  void on_remote_state(const ReceivedMessage& m);
  // spec §8.4 requester
  void arm_anti_entropy();
  void on_anti_entropy_timer();
  std::uint64_t max_advertised_height();
  std::optional<std::uint64_t> advertised(const ChannelMember& m) const;
  void request_blocks_in_range(std::uint64_t start, std::uint64_t end);
  void begin_batch();
  void send_try();
  void on_response_timer();
  void on_state_response(const ReceivedMessage& m);
  std::optional<std::uint64_t> process_state_response(const RemoteStateResponse& r);
  void maybe_continue_after_blocking();
  void finish_transfer();
  // spec §8.4 responder
  void on_state_request(const ReceivedMessage& m);
  void drain_requests();
  void handle_state_request(const ReceivedMessage& m);
  void on_block(const DeliveredMessage& d);
  void add_payload(Payload p, Mode mode, BlockPath via);
  void push(Payload p, BlockPath via);
  void retry_blocked();
  void deliver_payloads();
  void publish_height();

  Env& env_;
  GossipService& gossip_;
  std::string channel_;
  Ledger& ledger_;
  const GossipConfig& cfg_;
  MessageCryptoService& mcs_;
  PayloadBuffer buffer_;
  // Blocking adds waiting for room (latest bounds), in arrival order; polled every 100 ms.
  std::deque<std::pair<Payload, BlockPath>> blocked_;
  TimerHandle poll_timer_;
  bool stopped_ = false;

  Comm::SubscriptionId raw_subscription_ = 0;
  TimerHandle anti_entropy_timer_;
  TimerHandle response_timer_;
  std::optional<Transfer> transfer_;
  // Responses taken while stateTransferActive and not yet consumed (Fabric's
  // stateResponsesCh, capacity state.channelSize): a late answer to an earlier try stays
  // here and is read by a later wait, where its nonce may be foreign (quirk B.13).
  std::deque<ReceivedMessage> responses_;
  // Requests waiting for the responder (capacity state.channelSize; one at a time).
  std::deque<ReceivedMessage> requests_;
  TimerHandle request_timer_;
  StateTransferStats stats_;
};

}  // namespace gs::proto
