// The simulated network: hosts, link parameters, topology, partitions, host failures, uplinks.
//
// The Network decides *whether* and *how late* bits get from one host to another; the
// transports (StreamTransport, DatagramTransport) build message semantics on top of it and
// share its counters and trace hook. It knows nothing about Fabric.
//
// Link parameter resolution for an ordered pair (from, to), first match wins:
//   1. an explicit override for the ordered site pair (site(from), site(to));
//   2. the class of the pair: same org, or between orgs (when that class was set);
//   3. the default.
// Every setter may be called at any virtual time; it applies to transmissions that start later.
//
// Random streams (DESIGN.md: one per purpose and index, so draws never shift each other):
//   "net.latency", index = sending host: propagation latency and jitter of every transmission
//                                       (stream data, handshake legs, datagrams);
//   "net.loss",    index = sending host: the Bernoulli loss draw of every transmission.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/random.hpp"
#include "sim/core/scheduler.hpp"
#include "sim/net/link_params.hpp"
#include "sim/net/net_stats.hpp"
#include "sim/net/net_types.hpp"
#include "sim/net/topology.hpp"

namespace gs::net {

// Told about changes that may affect established connections (StreamTransport is one).
class NetworkObserver {
 public:
  virtual ~NetworkObserver() = default;
  // A host's state changed (crash, take-down, restart). Called before on_paths_changed.
  virtual void on_host_state_changed(HostId host, HostState before, HostState after) = 0;
  // Reachability between some hosts may have changed (partition, heal, block, host state,
  // topology). Observers re-check what they care about.
  virtual void on_paths_changed() = 0;
};

class Network {
 public:
  Network(sim::Scheduler& scheduler, const sim::RandomStreams& streams);
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  // --- hosts ---
  // Names must be unique (throws std::invalid_argument otherwise). New hosts are up, with the
  // default uplink bandwidth, in the implicit partition group.
  HostId add_host(const std::string& name, const std::string& org, const std::string& site);
  std::size_t host_count() const { return hosts_.size(); }
  const std::string& host_name(HostId h) const { return host(h).name; }
  const std::string& host_org(HostId h) const { return orgs_[host(h).org]; }
  const std::string& host_site(HostId h) const { return sites_[host(h).site]; }
  std::optional<HostId> host_by_name(const std::string& name) const;

  // --- link parameters ---
  void set_default_link(LinkParams p) { default_link_ = std::move(p); }
  void set_same_org_link(LinkParams p) { same_org_link_ = std::move(p); }
  void set_between_orgs_link(LinkParams p) { between_orgs_link_ = std::move(p); }
  const LinkParams& default_link() const { return default_link_; }
  const std::optional<LinkParams>& between_orgs_link() const { return between_orgs_link_; }
  void clear_class_links();
  // Override for traffic from site `from_site` to site `to_site` (ordered); call twice, or use
  // set_site_pair_link, for both directions.
  void set_site_link(const std::string& from_site, const std::string& to_site, LinkParams p);
  void set_site_pair_link(const std::string& site_a, const std::string& site_b, const LinkParams& p);
  void clear_site_links() { site_links_.clear(); }
  // The parameters that apply to a transmission from `from` to `to` now.
  const LinkParams& link(HostId from, HostId to) const;

  // Uplink bandwidth in bits per second; 0 means unlimited (no serialization delay).
  void set_uplink_bps(HostId h, std::uint64_t bps) { host(h).uplink_bps = bps; }
  std::uint64_t uplink_bps(HostId h) const { return host(h).uplink_bps; }

  // --- topology ---
  // With a topology, propagation latency = shortest path between the hosts' vertices (the link
  // latency model is not used; jitter and loss still are) and pairs without a path have no
  // route. Every host must be attached before traffic flows (GS_ASSERT otherwise).
  void set_topology(std::shared_ptr<const Topology> topology);
  void clear_topology();
  void attach_host(HostId h, Topology::Vertex v);
  // Attaches every host, in id order, to vertices 0, 1, 2, ... wrapping around.
  void attach_round_robin();
  const Topology* topology() const { return topology_.get(); }

  // --- partitions ---
  // Splits hosts into groups that cannot reach each other (both directions). Hosts listed in no
  // group form one implicit extra group together. Replaces any previous symmetric partition;
  // one-way blocks are kept. A host listed twice is an error (std::invalid_argument).
  void partition(const std::vector<std::vector<HostId>>& groups);
  // Every host of `from` loses the ability to reach every host of `to`; the reverse direction is
  // unaffected (see docs/network.md for what that means for streams).
  void block_one_way(const std::vector<HostId>& from, const std::vector<HostId>& to);
  // Removes the symmetric partition and every one-way block.
  void heal();
  bool same_group(HostId a, HostId b) const { return host(a).group == host(b).group; }
  bool one_way_blocked(HostId from, HostId to) const { return blocked_.contains({from, to}); }

  // --- host failures ---
  // The process dies, the machine stays up: connects are refused, peers' connections reset.
  void crash_process(HostId h) { set_state(h, HostState::process_down); }
  // The machine is off or cut off: connects time out, connections break on keepalive detection.
  void take_down(HostId h) { set_state(h, HostState::host_down); }
  // Back up (from either failure mode), with no connections.
  void restart(HostId h) { set_state(h, HostState::up); }
  HostState state(HostId h) const { return host(h).state; }

  // --- used by transports ---
  // Why `from` cannot get packets to `to` now, or nullopt when it can. Process state is not
  // checked (a process_down host still has a network stack).
  std::optional<DropReason> path_blocked(HostId from, HostId to) const;
  // One propagation draw (latency + jitter) for a transmission from -> to. Requires a route.
  Duration sample_propagation(HostId from, HostId to);
  // One Bernoulli draw: is this transmission from -> to lost?
  bool sample_loss(HostId from, HostId to);
  // Queues `bytes` on from's uplink behind what is already queued: when its first bit goes
  // out and when its last bit leaves (both now when the uplink is unlimited and idle).
  struct UplinkSlot {
    Time starts;
    Time leaves;
  };
  UplinkSlot reserve_uplink(HostId from, std::uint32_t bytes);
  // Serialization time of `bytes` at `bps`, rounded up to the next nanosecond.
  static Duration serialization_delay(std::uint32_t bytes, std::uint64_t bps);

  // --- observability ---
  NetStats& stats() { return stats_; }
  const NetStats& stats() const { return stats_; }
  void set_trace_hook(TraceHook hook) { trace_ = std::move(hook); }
  void record_send(Transport t, HostId from, HostId to, const Packet& p, ConnId conn = 0);
  void record_delivery(Transport t, HostId from, HostId to, const Packet& p, ConnId conn = 0);
  void record_drop(Transport t, HostId from, HostId to, const Packet& p, DropReason r, ConnId conn = 0);

  sim::Scheduler& scheduler() { return scheduler_; }
  Time now() const { return scheduler_.now(); }
  const sim::RandomStreams& streams() const { return streams_; }

  void add_observer(NetworkObserver* o) { observers_.push_back(o); }
  void remove_observer(NetworkObserver* o);

 private:
  struct Host {
    std::string name;
    std::uint32_t org = 0;   // index into orgs_
    std::uint32_t site = 0;  // index into sites_
    std::uint64_t uplink_bps = kDefaultUplinkBps;
    HostState state = HostState::up;
    Time uplink_free_at;  // when the last queued bit leaves the uplink
    std::uint32_t group = 0;  // partition group; 0 = hosts listed in no group
    std::optional<Topology::Vertex> vertex;
    sim::RandomStream latency_rng;
    sim::RandomStream loss_rng;
  };

  Host& host(HostId h);
  const Host& host(HostId h) const;
  std::uint32_t intern(std::vector<std::string>& table, const std::string& s);
  void set_state(HostId h, HostState s);
  void notify_paths_changed();
  void trace(TraceOp op, Transport t, HostId from, HostId to, const Packet& p, DropReason r, ConnId conn);

  sim::Scheduler& scheduler_;
  sim::RandomStreams streams_;
  std::vector<Host> hosts_;
  std::map<std::string, HostId> by_name_;
  std::vector<std::string> orgs_, sites_;

  LinkParams default_link_;
  std::optional<LinkParams> same_org_link_, between_orgs_link_;
  std::map<std::pair<std::uint32_t, std::uint32_t>, LinkParams> site_links_;  // (from site, to site)

  std::shared_ptr<const Topology> topology_;
  std::set<std::pair<HostId, HostId>> blocked_;  // one-way blocks (from, to)

  NetStats stats_;
  TraceHook trace_;
  std::vector<NetworkObserver*> observers_;
};

}  // namespace gs::net
