#include "sim/net/net_stats.hpp"

#include <fmt/format.h>

namespace gs::net {
namespace {
void merge_counter(Counter& into, const Counter& c) {
  into.messages += c.messages;
  into.bytes += c.bytes;
}
}  // namespace

void KindStats::merge(const KindStats& o) {
  merge_counter(sent, o.sent);
  merge_counter(delivered, o.delivered);
  merge_counter(dropped, o.dropped);
  for (std::size_t i = 0; i < dropped_by.size(); ++i) merge_counter(dropped_by[i], o.dropped_by[i]);
}

void NetStats::count_dropped(std::uint16_t kind, std::uint32_t bytes, DropReason r) {
  KindStats& k = at(kind);
  k.dropped.add(bytes);
  k.dropped_by[static_cast<std::size_t>(r)].add(bytes);
}

KindStats& NetStats::at(std::uint16_t kind) {
  if (kind >= by_kind_.size()) {
    by_kind_.resize(kind + 1u);
    seen_.resize(kind + 1u, false);
  }
  seen_[kind] = true;
  return by_kind_[kind];
}

const KindStats& NetStats::kind(std::uint16_t kind) const {
  static const KindStats kEmpty;
  return kind < by_kind_.size() ? by_kind_[kind] : kEmpty;
}

KindStats NetStats::total() const {
  KindStats t;
  for (const KindStats& k : by_kind_) t.merge(k);
  return t;
}

std::vector<std::uint16_t> NetStats::kinds_seen() const {
  std::vector<std::uint16_t> out;
  for (std::size_t k = 0; k < seen_.size(); ++k)
    if (seen_[k]) out.push_back(static_cast<std::uint16_t>(k));
  return out;
}

std::string NetStats::kind_name(std::uint16_t kind) const {
  const auto it = names_.find(kind);
  return it != names_.end() ? it->second : fmt::format("kind{}", kind);
}

std::string_view to_string(TraceOp op) {
  switch (op) {
    case TraceOp::send: return "send";
    case TraceOp::deliver: return "deliver";
    case TraceOp::drop: return "drop";
  }
  return "?";
}

std::string format_trace(const TraceEvent& e) {
  std::string s = fmt::format("{} {} {} {}->{} kind={} bytes={}", e.at, to_string(e.op), e.transport, e.from, e.to,
                              e.kind, e.bytes);
  if (e.conn != 0) s += fmt::format(" conn={}", e.conn);
  if (e.op == TraceOp::drop) s += fmt::format(" reason={}", e.reason);
  return s;
}

}  // namespace gs::net
