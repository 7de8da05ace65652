#include "sim/net/network.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "base/assert.hpp"

namespace gs::net {

Network::Network(sim::Scheduler& scheduler, const sim::RandomStreams& streams)
    : scheduler_(scheduler), streams_(streams) {}

Network::Host& Network::host(HostId h) {
  GS_ASSERT(h < hosts_.size(), "unknown host {}", h);
  return hosts_[h];
}

const Network::Host& Network::host(HostId h) const {
  GS_ASSERT(h < hosts_.size(), "unknown host {}", h);
  return hosts_[h];
}

std::uint32_t Network::intern(std::vector<std::string>& table, const std::string& s) {
  const auto it = std::find(table.begin(), table.end(), s);
  if (it != table.end()) return static_cast<std::uint32_t>(it - table.begin());
  table.push_back(s);
  return static_cast<std::uint32_t>(table.size() - 1);
}

HostId Network::add_host(const std::string& name, const std::string& org, const std::string& site) {
  if (by_name_.contains(name)) throw std::invalid_argument(fmt::format("host '{}' added twice", name));
  const auto id = static_cast<HostId>(hosts_.size());
  hosts_.push_back(Host{name, intern(orgs_, org), intern(sites_, site), kDefaultUplinkBps, HostState::up, Time::zero(),
                        0, std::nullopt, streams_.stream("net.latency", id), streams_.stream("net.loss", id)});
  by_name_.emplace(name, id);
  return id;
}

std::optional<HostId> Network::host_by_name(const std::string& name) const {
  const auto it = by_name_.find(name);
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

void Network::clear_class_links() {
  same_org_link_.reset();
  between_orgs_link_.reset();
}

void Network::set_site_link(const std::string& from_site, const std::string& to_site, LinkParams p) {
  site_links_[{intern(sites_, from_site), intern(sites_, to_site)}] = std::move(p);
}

void Network::set_site_pair_link(const std::string& site_a, const std::string& site_b, const LinkParams& p) {
  set_site_link(site_a, site_b, p);
  set_site_link(site_b, site_a, p);
}

const LinkParams& Network::link(HostId from, HostId to) const {
  const Host& a = host(from);
  const Host& b = host(to);
  if (!site_links_.empty()) {
    const auto it = site_links_.find({a.site, b.site});
    if (it != site_links_.end()) return it->second;
  }
  const auto& by_class = a.org == b.org ? same_org_link_ : between_orgs_link_;
  return by_class ? *by_class : default_link_;
}

void Network::set_topology(std::shared_ptr<const Topology> topology) {
  topology_ = std::move(topology);
  notify_paths_changed();
}

void Network::clear_topology() {
  topology_.reset();
  for (Host& h : hosts_) h.vertex.reset();
  notify_paths_changed();
}

void Network::attach_host(HostId h, Topology::Vertex v) {
  GS_ASSERT(topology_ != nullptr, "attach_host({}) without a topology", h);
  if (v >= topology_->vertex_count())
    throw std::invalid_argument(fmt::format("host {}: vertex {} out of range (topology has {})", host(h).name, v,
                                            topology_->vertex_count()));
  host(h).vertex = v;
  notify_paths_changed();
}

void Network::attach_round_robin() {
  GS_ASSERT(topology_ != nullptr && topology_->vertex_count() > 0, "attach_round_robin needs a non-empty topology");
  for (HostId h = 0; h < hosts_.size(); ++h) hosts_[h].vertex = h % topology_->vertex_count();
  notify_paths_changed();
}

void Network::partition(const std::vector<std::vector<HostId>>& groups) {
  std::vector<std::uint32_t> group(hosts_.size(), 0);
  for (std::size_t g = 0; g < groups.size(); ++g)
    for (HostId h : groups[g]) {
      host(h);  // validates the id
      if (group[h] != 0) throw std::invalid_argument(fmt::format("host '{}' is in two partition groups", host(h).name));
      group[h] = static_cast<std::uint32_t>(g + 1);
    }
  for (HostId h = 0; h < hosts_.size(); ++h) hosts_[h].group = group[h];
  notify_paths_changed();
}

void Network::block_one_way(const std::vector<HostId>& from, const std::vector<HostId>& to) {
  for (HostId a : from)
    for (HostId b : to)
      if (a != b) blocked_.insert({a, b});
  notify_paths_changed();
}

void Network::heal() {
  for (Host& h : hosts_) h.group = 0;
  blocked_.clear();
  notify_paths_changed();
}

void Network::set_state(HostId h, HostState s) {
  const HostState before = host(h).state;
  if (before == s) return;
  host(h).state = s;
  // Copies: an observer may unregister itself while being told.
  const std::vector<NetworkObserver*> observers = observers_;
  for (NetworkObserver* o : observers) o->on_host_state_changed(h, before, s);
  notify_paths_changed();
}

void Network::notify_paths_changed() {
  const std::vector<NetworkObserver*> observers = observers_;
  for (NetworkObserver* o : observers) o->on_paths_changed();
}

void Network::remove_observer(NetworkObserver* o) {
  observers_.erase(std::remove(observers_.begin(), observers_.end(), o), observers_.end());
}

std::optional<DropReason> Network::path_blocked(HostId from, HostId to) const {
  const Host& a = host(from);
  const Host& b = host(to);
  if (a.state == HostState::host_down || b.state == HostState::host_down) return DropReason::host_down;
  if (a.group != b.group) return DropReason::partition;
  if (!blocked_.empty() && blocked_.contains({from, to})) return DropReason::partition;
  if (topology_) {
    GS_ASSERT(a.vertex && b.vertex, "host {} or {} not attached to the topology", a.name, b.name);
    if (!topology_->path_latency(*a.vertex, *b.vertex)) return DropReason::no_route;
  }
  return std::nullopt;
}

Duration Network::sample_propagation(HostId from, HostId to) {
  Host& a = host(from);
  const LinkParams& p = link(from, to);
  Duration d;
  if (topology_) {
    const auto path = topology_->path_latency(*a.vertex, *host(to).vertex);
    GS_ASSERT(path.has_value(), "no route from {} to {}", a.name, host(to).name);
    d = *path;
  } else {
    d = p.latency.sample(a.latency_rng);
  }
  return d + sample_jitter(p.jitter, a.latency_rng);
}

bool Network::sample_loss(HostId from, HostId to) {
  const double p = link(from, to).loss;
  if (p <= 0) return false;  // no draw: turning loss on later does not shift earlier runs' draws
  return host(from).loss_rng.bernoulli(p);
}

Duration Network::serialization_delay(std::uint32_t bytes, std::uint64_t bps) {
  if (bps == 0) return Duration::zero();
  // bits * 1e9 overflows 64 bits for messages over ~1 GB: use 128-bit integers (GCC/Clang).
  __extension__ using u128 = unsigned __int128;
  const u128 num = static_cast<u128>(bytes) * 8u * 1'000'000'000u;
  const u128 ns = (num + bps - 1) / bps;
  return Duration::nanoseconds(static_cast<std::int64_t>(ns));
}

Network::UplinkSlot Network::reserve_uplink(HostId from, std::uint32_t bytes) {
  Host& a = host(from);
  const Time start = std::max(now(), a.uplink_free_at);
  a.uplink_free_at = start + serialization_delay(bytes, a.uplink_bps);
  return {start, a.uplink_free_at};
}

void Network::trace(TraceOp op, Transport t, HostId from, HostId to, const Packet& p, DropReason r, ConnId conn) {
  trace_(TraceEvent{.at = now(), .op = op, .transport = t, .from = from, .to = to, .kind = p.kind, .bytes = p.bytes,
                    .reason = r, .conn = conn});
}

void Network::record_send(Transport t, HostId from, HostId to, const Packet& p, ConnId conn) {
  stats_.count_sent(p.kind, p.bytes);
  if (trace_) trace(TraceOp::send, t, from, to, p, DropReason::loss, conn);
}

void Network::record_delivery(Transport t, HostId from, HostId to, const Packet& p, ConnId conn) {
  stats_.count_delivered(p.kind, p.bytes);
  if (trace_) trace(TraceOp::deliver, t, from, to, p, DropReason::loss, conn);
}

void Network::record_drop(Transport t, HostId from, HostId to, const Packet& p, DropReason r, ConnId conn) {
  stats_.count_dropped(p.kind, p.bytes, r);
  if (trace_) trace(TraceOp::drop, t, from, to, p, r, conn);
}

}  // namespace gs::net
