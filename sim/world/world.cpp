#include "sim/world/world.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "base/assert.hpp"
#include "sim/metrics/recorder.hpp"
#include "sim/scenario/sections.hpp"
#include "sim/world/topology_builder.hpp"

namespace gs::world {

namespace {
constexpr const char* kPort = ":7051";
}

World::World(const scenario::Scenario& s, Recorder& recorder)
    : scenario_(s), recorder_(recorder), streams_(s.seed), churn_rng_(streams_.stream("world.churn")) {
  build_network();
  pki_ = std::make_unique<proto::Pki>(proto::IdentityScheme::production());
  build_peers();
  recorder_.on_start(*this);
  network_->set_trace_hook([this](const net::TraceEvent& e) {
    recorder_.on_net(e);
    if (trace_sink_) trace_sink_(e);
  });
  for (std::size_t i = 0; i < infos_.size(); ++i) {
    if (scenario_.starts_later(infos_[i].name)) network_->crash_process(infos_[i].host);  // until its join event
    else start_peer(i);
  }
  schedule_orderer();
  schedule_timeline();
  recorder_.schedule_sampling(*this);
}

World::~World() {
  // Tear peers down before the transport and network they use.
  for (std::size_t i = 0; i < peers_.size(); ++i)
    if (peers_[i]) {
      envs_[i]->stop_process();
      peers_[i].reset();
    }
}

void World::run(std::optional<Time> until) {
  const Time end = Time::zero() + scenario_.duration;
  scheduler_.run_until(until && *until < end ? *until : end);
}

// ---------------------------------------------------------------------------------------
// Construction

void World::build_network() {
  network_ = std::make_unique<net::Network>(scheduler_, streams_);
  const scenario::NetworkSpec& n = scenario_.network;
  network_->set_default_link(n.link);
  if (n.between_orgs) network_->set_between_orgs_link(*n.between_orgs);
  for (const scenario::OrgSpec& o : scenario_.orgs)
    for (std::uint32_t i = 0; i < o.peers; ++i) {
      const std::string name = scenario::peer_name(o.name, i);
      const net::HostId h = network_->add_host(name, o.name, o.name);
      network_->set_uplink_bps(h, n.bandwidth_bps);
      const std::string endpoint = name + kPort;
      host_by_endpoint_[endpoint] = h;
      endpoint_by_host_.push_back(endpoint);
    }
  if (n.topology) attach_topology(*network_, *n.topology, streams_, scenario_);
  for (std::uint16_t k = 0; k < proto::kMessageKindCount; ++k)
    network_->stats().register_kind(k, std::string(proto::to_string(static_cast<proto::MessageKind>(k))));
  stream_ = std::make_unique<net::StreamTransport>(*network_);
}

// gossip.orgLeader makes every peer a static leader (every peer's core.yaml says so);
// otherwise the org's `leaders` list, by default [0] — or none with useLeaderElection.
bool World::is_static_leader(const scenario::OrgSpec& o, std::uint32_t i) const {
  if (scenario_.gossip.org_leader) return true;
  if (o.leaders) return std::find(o.leaders->begin(), o.leaders->end(), i) != o.leaders->end();
  return !scenario_.gossip.use_leader_election && i == 0;
}

void World::build_peers() {
  PeerEnvContext ctx{&scheduler_, network_.get(), stream_.get(), &streams_, this, this};
  for (const scenario::OrgSpec& o : scenario_.orgs) {
    for (std::uint32_t i = 0; i < o.peers; ++i) {
      PeerInfo p;
      p.name = scenario::peer_name(o.name, i);
      p.org = o.name;
      p.index_in_org = i;
      p.host = *network_->host_by_name(p.name);
      p.endpoint = p.name + kPort;
      p.external = !o.external_endpoints ||
                   std::find(o.external_endpoints->begin(), o.external_endpoints->end(), i) != o.external_endpoints->end();
      // Bootstrap: the org's list, or peer0 (peer1 for peer0 itself); never oneself.
      std::vector<std::uint32_t> boot = o.bootstrap.value_or(std::vector<std::uint32_t>{i == 0 ? 1u : 0u});
      for (std::uint32_t b : boot)
        if (b != i && b < o.peers) p.bootstrap.push_back(scenario::peer_name(o.name, b) + kPort);
      const bool is_leader = is_static_leader(o, i);
      for (const scenario::ChannelSpec& c : scenario_.channels)
        if (std::find(c.orgs.begin(), c.orgs.end(), o.name) != c.orgs.end()) {
          p.channels.push_back(c.name);
          if (is_leader) p.leader_channels.push_back(c.name);
        }
      pki_->enroll(p.name, p.org, p.endpoint);
      by_name_[p.name] = infos_.size();
      envs_.push_back(std::make_unique<PeerEnv>(ctx, p.host, static_cast<std::uint32_t>(infos_.size())));
      ledgers_.emplace_back();
      for (const std::string& ch : p.channels) ledgers_.back()[ch];
      infos_.push_back(std::move(p));
    }
  }
  peers_.resize(infos_.size());
}

proto::PeerSetup World::peer_setup(std::size_t i) {
  const PeerInfo& p = infos_[i];
  proto::PeerSetup s;
  s.gossip.self = *pki_->by_name(p.name);
  s.gossip.internal_endpoint = p.endpoint;
  s.gossip.external_endpoint = p.external ? p.endpoint : "";
  s.gossip.bootstrap = p.bootstrap;
  s.gossip.config = scenario_.gossip;
  s.gossip.config.org_leader = !p.leader_channels.empty();
  for (const scenario::ChannelSpec& c : scenario_.channels) {
    if (std::find(p.channels.begin(), p.channels.end(), c.name) == p.channels.end()) continue;
    if (left_channels_.count({i, c.name}) != 0) continue;  // left before this (re)start
    proto::PeerChannelSetup ch;
    ch.name = c.name;
    ch.join.orgs = c.orgs;
    for (const scenario::OrgSpec& o : scenario_.orgs)
      if (std::find(c.orgs.begin(), c.orgs.end(), o.name) != c.orgs.end())
        for (std::uint32_t a : o.anchors) ch.join.anchor_peers[o.name].push_back(scenario::peer_name(o.name, a) + kPort);
    ch.static_leader = std::find(p.leader_channels.begin(), p.leader_channels.end(), c.name) != p.leader_channels.end();
    ch.ledger = &ledgers_[i][c.name];
    s.channels.push_back(std::move(ch));
  }
  return s;
}

void World::start_peer(std::size_t i) {
  envs_[i]->start_process();
  recorder_.on_peer_up(i, scheduler_.now());
  peers_[i] = std::make_unique<proto::Peer>(*envs_[i], *pki_, peer_setup(i));
}

// ---------------------------------------------------------------------------------------
// Orderer

void World::schedule_orderer() {
  const scenario::WorkloadSpec& w = scenario_.workload;
  const Time end = Time::zero() + scenario_.duration;
  for (const scenario::ChannelSpec& c : scenario_.channels) {
    chains_[c.name];
    std::uint64_t seq = 1;
    // Strictly before the end: a block injected at the last instant could reach only the leaders.
    for (Time t = Time::zero() + w.start; t < end && (!w.count || seq <= *w.count); t += w.block_interval, ++seq)
      scheduler_.at(t, [this, ch = &c.name, seq] { inject_block(*ch, seq); }, "orderer.block");
  }
}

void World::inject_block(const std::string& channel, std::uint64_t seq) {
  auto block = std::make_shared<const proto::Block>(proto::Block{seq, scenario_.workload.block_size, false});
  chains_[channel].push_back(block);
  recorder_.on_block_injected(channel, seq, scheduler_.now());
  for (std::size_t i = 0; i < peers_.size(); ++i)
    if (peers_[i] && peers_[i]->connected_to_orderer(channel)) peers_[i]->deliver_from_orderer(channel, block);
}

// A peer that starts receiving from the orderer gets every block from its ledger height.
void World::catch_up_from_orderer(std::size_t i, const std::string& channel) {
  proto::Peer* p = peers_[i].get();
  if (p == nullptr || !p->connected_to_orderer(channel)) return;
  const std::vector<proto::BlockRef>& chain = chains_[channel];
  for (std::uint64_t seq = p->ledger_height(channel); seq <= chain.size(); ++seq)
    p->deliver_from_orderer(channel, chain[seq - 1]);
}

void World::on_observation(std::uint32_t peer, const proto::Observation& o) {
  recorder_.on_observation(peer, o, scheduler_.now());
  if (observation_sink_) observation_sink_(peer, o);
  if (const auto* l = std::get_if<proto::LeadershipChanged>(&o.what); l != nullptr && l->is_leader) {
    // Connect to the orderer after the current step (the peer may be mid-construction).
    // The channel's name lives in the scenario for the whole run.
    for (const scenario::ChannelSpec& c : scenario_.channels)
      if (c.name == l->channel)
        scheduler_.after(Duration::zero(), [this, peer, ch = &c.name] { catch_up_from_orderer(peer, *ch); },
                         "orderer.connect");
  }
}

// ---------------------------------------------------------------------------------------
// Timeline

void World::schedule_timeline() {
  for (const scenario::TimelineEvent& ev : scenario_.events)
    scheduler_.at(ev.at, [this, e = &ev] { apply_event(*e); }, "timeline.event");
}

std::vector<net::HostId> World::hosts_of(const std::vector<std::string>& names) const {
  std::vector<net::HostId> out;
  for (const std::string& n : names) out.push_back(infos_[by_name_.at(n)].host);
  return out;
}

void World::apply_event(const scenario::TimelineEvent& ev) {
  using namespace scenario;
  if (const auto* p = std::get_if<PartitionEvent>(&ev.what)) {
    if (p->one_way) network_->block_one_way(hosts_of(p->groups[0]), hosts_of(p->groups[1]));
    else {
      std::vector<std::vector<net::HostId>> groups;
      for (const auto& g : p->groups) groups.push_back(hosts_of(g));
      network_->partition(groups);
    }
  } else if (std::holds_alternative<HealEvent>(ev.what)) {
    network_->heal();
  } else if (const auto* c = std::get_if<CrashEvent>(&ev.what)) {
    for (const std::string& n : c->peers) crash(by_name_.at(n));
  } else if (const auto* r = std::get_if<RestartEvent>(&ev.what)) {
    for (const std::string& n : r->peers) restart(by_name_.at(n), r->wipe);
  } else if (const auto* s = std::get_if<SetEvent>(&ev.what)) {
    for (const auto& [key, value] : s->assignments) apply_network_assignment(key, value);
  } else if (const auto* ch = std::get_if<ChurnEvent>(&ev.what)) {
    schedule_churn(*ch, ev.at);
  } else if (const auto* j = std::get_if<JoinEvent>(&ev.what)) {
    for (const std::string& n : j->peers) join(by_name_.at(n));
  } else if (const auto* l = std::get_if<LeaveEvent>(&ev.what)) {
    leave_channel(by_name_.at(l->peer), l->channel);
  } else if (const auto* rv = std::get_if<RevokeEvent>(&ev.what)) {
    for (const std::string& n : rv->peers) revoke(by_name_.at(n));
  }
  recorder_.on_timeline_event(ev, scheduler_.now());
}

void World::crash(std::size_t i) {
  if (!peers_[i]) return;
  // The process dies: no more callbacks, the OS resets its connections, then the protocol
  // objects go (their shutdown cannot reach the network any more).
  envs_[i]->stop_process();
  network_->crash_process(infos_[i].host);
  peers_[i].reset();
  recorder_.on_peer_down(i, scheduler_.now());
}

void World::restart(std::size_t i, bool wipe_ledger) {
  if (peers_[i]) return;
  if (wipe_ledger)
    for (auto& [ch, ledger] : ledgers_[i]) ledger.wipe();
  network_->restart(infos_[i].host);
  start_peer(i);
}

void World::join(std::size_t i) {
  if (peers_[i]) return;
  network_->restart(infos_[i].host);
  start_peer(i);
}

void World::leave_channel(std::size_t i, const std::string& channel) {
  if (!left_channels_.emplace(i, channel).second) return;
  if (peers_[i]) peers_[i]->gossip().leave_channel(channel);
  recorder_.on_channel_left(i, channel, scheduler_.now());
}

void World::revoke(std::size_t i) {
  pki_->set_revoked(pki_->by_name(infos_[i].name)->pki_id, true);
  recorder_.on_peer_revoked(i, scheduler_.now());
}

void World::apply_network_assignment(const std::string& key, const std::string& yaml_value) {
  const scenario::YamlSource src("set event");
  const YAML::Node v = YAML::Load(yaml_value);
  if (key == "network.bandwidth") {
    const std::uint64_t bps = scenario::as_rate(src, v, key);
    for (const PeerInfo& p : infos_) network_->set_uplink_bps(p.host, bps);
    return;
  }
  const bool between = key.rfind("network.between_orgs.", 0) == 0;
  net::LinkParams link = between ? network_->between_orgs_link().value_or(network_->default_link())
                                 : network_->default_link();
  const std::string field = key.substr(key.rfind('.') + 1);
  if (field == "latency") link.latency = scenario::read_latency(src, v, key);
  else if (field == "jitter") link.jitter = scenario::as_duration(src, v, key);
  else if (field == "loss") link.loss = scenario::as_probability(src, v, key);
  if (between) network_->set_between_orgs_link(link);
  else network_->set_default_link(link);
}

// Churn: each listed peer that is up crashes at rate `rate_per_s` (exponential gaps)
// within the window, and restarts after a downtime drawn from the given distribution.
// Draws come from the run's "world.churn" stream.
void World::schedule_churn(const scenario::ChurnEvent& c, Time from) {
  if (c.rate_per_s <= 0) return;
  for (const std::string& name : c.peers) {
    const std::size_t i = by_name_.at(name);
    churn_crash_at(&c, i, from + churn_gap(c));
  }
}

void World::churn_crash_at(const scenario::ChurnEvent* c, std::size_t i, Time t) {
  if (t > c->to) return;
  scheduler_.at(t, [this, c, i] {
    if (!peers_[i]) return churn_crash_at(c, i, scheduler_.now() + churn_gap(*c));  // down already
    crash(i);
    scheduler_.after(churn_downtime(*c), [this, c, i] {
      restart(i, false);
      churn_crash_at(c, i, scheduler_.now() + churn_gap(*c));
    }, "churn.restart");
  }, "churn.crash");
}

Duration World::churn_gap(const scenario::ChurnEvent& c) {
  return Duration::nanoseconds(static_cast<std::int64_t>(churn_rng_.exponential(1e9 / c.rate_per_s)));
}

Duration World::churn_downtime(const scenario::ChurnEvent& c) {
  if (c.downtime_dist == "constant") return c.downtime_mean;
  if (c.downtime_dist == "uniform")
    return Duration::nanoseconds(static_cast<std::int64_t>(
        churn_rng_.uniform_real(static_cast<double>(c.downtime_min.ns()), static_cast<double>(c.downtime_max.ns()))));
  return Duration::nanoseconds(static_cast<std::int64_t>(churn_rng_.exponential(static_cast<double>(c.downtime_mean.ns()))));
}

// ---------------------------------------------------------------------------------------
// Lookups

std::optional<std::size_t> World::peer_index(const std::string& name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

const proto::Ledger& World::ledger(std::size_t i, const std::string& channel) const { return ledgers_[i].at(channel); }

std::optional<net::HostId> World::host_of(const std::string& endpoint) const {
  auto it = host_by_endpoint_.find(endpoint);
  if (it == host_by_endpoint_.end()) return std::nullopt;
  return it->second;
}

const std::string& World::endpoint_of(net::HostId host) const { return endpoint_by_host_.at(host); }

}  // namespace gs::world
