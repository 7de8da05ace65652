// Facts a peer reports through Env::observe for metrics and traces (DESIGN.md "Layers":
// block committed, view changed, leader changed, messages). The Env knows which peer
// reports; observations carry only what the peer knows.
//
// Messages sent and received on the wire are counted by the Env at its transport (every
// write and every receipt, with the packet's kind and size); the protocol reports only
// what the Env cannot see, such as drops inside the peer.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "protocol/env.hpp"

namespace gs::proto {

// How a block first reached a peer (report.json `via`).
enum class BlockPath : std::uint8_t { orderer, push, pull, state_transfer };
std::string_view to_string(BlockPath p);

// A block entered the peer's payload buffer or ledger path for the first time (a later
// copy by any path is a duplicate and reported with duplicate = true).
struct BlockReceived {
  std::string channel;
  std::uint64_t seq = 0;
  BlockPath via = BlockPath::push;
  bool duplicate = false;
};

// A block was committed to the ledger (in order).
struct BlockCommitted {
  std::string channel;
  std::uint64_t seq = 0;
};

// The alive membership view changed (a member learned, expired, resurrected or purged).
struct ViewChanged {};

// This peer started or stopped being a leader (receiving blocks from the orderer) of a channel.
struct LeadershipChanged {
  std::string channel;
  bool is_leader = false;
};

// A message the peer dropped itself (never put on the wire, or discarded on receipt).
struct MessageDropped {
  std::uint16_t kind = 0;  // MessageKind
  std::uint32_t bytes = 0;
  const char* reason = "";  // static string: "send_buffer_full", "invalid", ...
};

struct Observation {
  std::variant<BlockReceived, BlockCommitted, ViewChanged, LeadershipChanged, MessageDropped> what;
};

}  // namespace gs::proto
