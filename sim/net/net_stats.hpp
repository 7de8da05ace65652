// Observability of the network: counters by message kind and a trace hook.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "sim/net/net_types.hpp"

namespace gs::net {

struct Counter {
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
  void add(std::uint32_t b) {
    ++messages;
    bytes += b;
  }
  friend bool operator==(const Counter&, const Counter&) = default;
};

// Counters of one message kind. `dropped` is the sum of `dropped_by`.
struct KindStats {
  Counter sent;
  Counter delivered;
  Counter dropped;
  std::array<Counter, static_cast<std::size_t>(DropReason::count_)> dropped_by{};
  const Counter& drops(DropReason r) const { return dropped_by[static_cast<std::size_t>(r)]; }
  void merge(const KindStats& o);
};

class NetStats {
 public:
  void count_sent(std::uint16_t kind, std::uint32_t bytes) { at(kind).sent.add(bytes); }
  void count_delivered(std::uint16_t kind, std::uint32_t bytes) { at(kind).delivered.add(bytes); }
  void count_dropped(std::uint16_t kind, std::uint32_t bytes, DropReason r);
  void count_retransmission() { ++retransmissions_; }

  // Counters of one kind (all zero for a kind never seen).
  const KindStats& kind(std::uint16_t kind) const;
  // Sum over every kind.
  KindStats total() const;
  // Stream transmissions lost and retransmitted (each adds a retransmission timeout).
  std::uint64_t retransmissions() const { return retransmissions_; }
  // Kinds seen so far, ascending.
  std::vector<std::uint16_t> kinds_seen() const;

  // Display names for kinds; an unregistered kind prints as "kind<k>".
  void register_kind(std::uint16_t kind, std::string name) { names_[kind] = std::move(name); }
  std::string kind_name(std::uint16_t kind) const;

 private:
  KindStats& at(std::uint16_t kind);

  std::vector<KindStats> by_kind_;  // indexed by kind: kinds are small label indices
  std::vector<bool> seen_;
  std::uint64_t retransmissions_ = 0;
  std::map<std::uint16_t, std::string> names_;
};

enum class TraceOp : std::uint8_t { send, deliver, drop };
std::string_view to_string(TraceOp op);

// One fact for the trace hook. `conn` is the sender-side endpoint of a stream message (0 for
// datagrams); `reason` is meaningful for drops only.
struct TraceEvent {
  Time at;
  TraceOp op = TraceOp::send;
  Transport transport = Transport::stream;
  HostId from = 0;
  HostId to = 0;
  std::uint16_t kind = 0;
  std::uint32_t bytes = 0;
  DropReason reason = DropReason::loss;
  ConnId conn = 0;
};
// Canonical one-line text form ("1.000000000s deliver stream 0->3 kind=2 bytes=100 conn=5").
std::string format_trace(const TraceEvent& e);

using TraceHook = std::function<void(const TraceEvent&)>;

}  // namespace gs::net
