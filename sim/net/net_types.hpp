// Vocabulary shared by every part of sim/net: host ids, packets, transports, drop reasons.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include <fmt/format.h>

namespace gs::net {

// Index of a host in its Network, assigned in add_host() order from 0.
using HostId = std::uint32_t;

// One endpoint of a stream connection. Encodes (slot, generation, side) so that a stale id
// never names a newer connection that reused the slot; 0 never names a connection.
using ConnId = std::uint64_t;

// Something on the wire. The body is immutable and shared by every recipient (a block is
// never copied per receiver); `bytes` is its wire size, `kind` a small label for counters.
// `tag` is the writer's own label, opaque to the network: carried with the packet and
// handed back unchanged with a write failure (StreamHandler::on_write_failed).
// Field for field the same as protocol/env.hpp's WirePacket, so the world layer converts
// one to the other by moving the four members.
struct Packet {
  std::shared_ptr<const void> body;
  std::uint32_t bytes = 0;
  std::uint16_t kind = 0;
  std::uint8_t tag = 0;
};
// Packets are queued per transmission in flight; the tag lives in padding.
static_assert(sizeof(Packet) == 24);

enum class Transport : std::uint8_t { stream, datagram };

// Why a message did not reach its destination's handler.
enum class DropReason : std::uint8_t {
  loss,               // datagram lost on the link
  partition,          // sender and receiver in different partition groups, or a one-way block
  no_route,           // the topology has no path between the two hosts
  host_down,          // sender or receiver host is down (unreachable)
  process_down,       // receiver host is up but its process is down (or not listening)
  connection_broken,  // stream connection broken (crash, detected partition); data in flight discarded
  connection_closed,  // stream data arrived at an endpoint that had closed its side
  count_,
};

std::string_view to_string(Transport t);
std::string_view to_string(DropReason r);

// How a host is doing. `process_down`: the machine answers (TCP RSTs, connects refused at once)
// but nothing listens; `host_down`: the machine is off or unreachable (connects time out).
enum class HostState : std::uint8_t { up, process_down, host_down };
std::string_view to_string(HostState s);

}  // namespace gs::net

template <>
struct fmt::formatter<gs::net::DropReason> : fmt::formatter<std::string_view> {
  auto format(gs::net::DropReason r, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(gs::net::to_string(r), ctx);
  }
};
template <>
struct fmt::formatter<gs::net::Transport> : fmt::formatter<std::string_view> {
  auto format(gs::net::Transport t, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(gs::net::to_string(t), ctx);
  }
};
template <>
struct fmt::formatter<gs::net::HostState> : fmt::formatter<std::string_view> {
  auto format(gs::net::HostState s, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(gs::net::to_string(s), ctx);
  }
};
