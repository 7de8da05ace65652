// The state provider of one channel (spec §8; Fabric gossip/state/state.go): receives
// blocks from gossip (pushed or pulled) and from the orderer, buffers them (§8.3), commits
// them to the ledger strictly in order, and advertises the ledger height in the channel's
// StateInfo (§8.1, with v1.0's last-block-number quirk B.2).
//
// This file covers §8.1–§8.3. Anti-entropy (§8.4) is added by the leader-election and
// state-transfer work (issue 5); until then a gap older than the block stores' window is
// never closed, exactly as it would not be in Fabric without anti-entropy.
#pragma once

#include <cstdint>
#include <deque>
#include <string>

#include "protocol/gossip_service.hpp"
#include "protocol/ledger.hpp"
#include "protocol/payload_buffer.hpp"

namespace gs::proto {

class StateProvider {
 public:
  // Subscribes to the channel's blocks and publishes the initial height. `gossip`,
  // `ledger` and `env` outlive it.
  StateProvider(Env& env, GossipService& gossip, std::string channel, Ledger& ledger);
  StateProvider(const StateProvider&) = delete;
  StateProvider& operator=(const StateProvider&) = delete;

  // AddPayload (spec §7.1, §8.3): a block from the orderer; blocking add.
  void add_payload_from_orderer(Payload p);
  void stop();

  const Ledger& ledger() const { return ledger_; }
  std::size_t buffered() const { return buffer_.size(); }

 private:
  enum class Mode : std::uint8_t { non_blocking, blocking };
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
  PayloadBuffer buffer_;
  // Blocking adds waiting for room (latest bounds), in arrival order; polled every 100 ms.
  std::deque<std::pair<Payload, BlockPath>> blocked_;
  TimerHandle poll_timer_;
  bool stopped_ = false;
};

}  // namespace gs::proto
