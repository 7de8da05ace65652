#include "sim/metrics/recorder.hpp"

#include <algorithm>

#include "sim/world/world.hpp"

namespace gs::metrics {

void Recorder::on_start(const World& w) {
  world_ = &w;
  const std::size_t n = w.peer_count();
  up_.assign(n, false);
  last_start_.assign(n, Time::zero());
  exact_.assign(n, false);
  received_by_channel_.assign(n, {});
  dirty_.assign(n, true);
  revoked_.assign(n, false);
  for (std::size_t i = 0; i < n; ++i) peer_by_pki_[w.pki().by_name(w.info(i).name)->pki_id] = i;
  interval_sent_.assign(proto::kMessageKindCount, net::Counter{});
  for (const scenario::ChannelSpec& c : w.scenario().channels)
    for (const std::string& org : c.orgs) leadership_[{c.name, org}];
}

void Recorder::schedule_sampling(World& w) {
  w.scheduler().after(interval_, [this, &w] {
    sample(w);
    schedule_sampling(w);
  }, "metrics.sample");
}

void Recorder::on_net(const net::TraceEvent& e) {
  if (e.op != net::TraceOp::send) return;
  if (e.kind >= interval_sent_.size()) interval_sent_.resize(e.kind + 1u);
  interval_sent_[e.kind].add(e.bytes);
}

void Recorder::on_peer_up(std::size_t p, Time t) {
  up_[p] = true;
  last_start_[p] = t;
  mark_all_dirty();
}

void Recorder::on_peer_down(std::size_t p, Time) {
  up_[p] = false;
  mark_all_dirty();
  // A dead process leads nothing; it cannot say so itself.
  for (auto& [key, leaders] : leaders_) {
    auto it = std::find(leaders.begin(), leaders.end(), p);
    if (it == leaders.end()) continue;
    leaders.erase(it);
    ++leadership_[key].changes;
  }
}

void Recorder::on_block_injected(const std::string& channel, std::uint64_t seq, Time t) {
  if (blocks_.empty()) bytes_before_first_block_ = world_->network().stats().total().sent.bytes;
  BlockRecord r;
  r.channel = channel;
  r.seq = seq;
  r.injected = t;
  r.first_receipt.assign(up_.size(), std::nullopt);
  r.path.assign(up_.size(), proto::BlockPath::push);
  block_index_[{channel, seq}] = blocks_.size();
  ++injected_by_channel_[channel];
  blocks_.push_back(std::move(r));
}

void Recorder::on_observation(std::size_t p, const proto::Observation& o, Time t) {
  if (const auto* b = std::get_if<proto::BlockReceived>(&o.what)) {
    if (b->duplicate) {
      ++duplicates_;
      return;
    }
    auto it = block_index_.find({b->channel, b->seq});
    if (it == block_index_.end()) return;  // not from the orderer of this run (cannot happen)
    BlockRecord& r = blocks_[it->second];
    if (r.first_receipt[p]) {  // accepted again: the peer lost it (wipe, crash); the first time counts
      ++refills_[static_cast<std::size_t>(b->via)];
      return;
    }
    ++via_[static_cast<std::size_t>(b->via)];
    r.first_receipt[p] = t;
    r.path[p] = b->via;
    ++received_by_channel_[p][r.channel];
  } else if (std::holds_alternative<proto::ViewChanged>(o.what)) {
    dirty_[p] = true;
  } else if (const auto* l = std::get_if<proto::LeadershipChanged>(&o.what)) {
    std::vector<std::size_t>& leaders = leaders_[{l->channel, world_->info(p).org}];
    auto it = std::find(leaders.begin(), leaders.end(), p);
    if (l->is_leader == (it != leaders.end())) return;
    if (l->is_leader) leaders.push_back(p);
    else leaders.erase(it);
    ++leadership_[{l->channel, world_->info(p).org}].changes;
  } else if (const auto* d = std::get_if<proto::MessageDropped>(&o.what)) {
    ++peer_drops_[d->reason];
  }
}

void Recorder::on_timeline_event(const scenario::TimelineEvent& ev, Time t) {
  mark_all_dirty();  // reachability or liveness changed
  EventRecord r{t, std::string(scenario::kind_name(ev)), std::nullopt, std::nullopt, std::nullopt};
  if (const auto* churn = std::get_if<scenario::ChurnEvent>(&ev.what)) r.ends = churn->to;
  events_.push_back(std::move(r));
}

void Recorder::on_channel_left(std::size_t p, const std::string& channel, Time) { left_.emplace(p, channel); }

void Recorder::on_peer_revoked(std::size_t p, Time) {
  revoked_[p] = true;
  mark_all_dirty();
}

std::vector<std::size_t> Recorder::leaders_of(const std::string& channel, const std::string& org) const {
  auto it = leaders_.find({channel, org});
  if (it == leaders_.end()) return {};
  std::vector<std::size_t> out = it->second;
  std::sort(out.begin(), out.end());
  return out;
}

// ---------------------------------------------------------------------------------------
// Membership: the view a live peer should have (docs/report.md "membership").

// a may know b (b ≠ a, both live): same org, or — disclosure rules of spec §2.8, as
// TestConfidentiality and TestMultipleOrgEndpointLeakage expect — both publish an external
// endpoint and their orgs share a channel; and each can reach the other.
bool Recorder::may_know(const World& w, std::size_t a, std::size_t b) const {
  if (revoked_[a] || revoked_[b]) return false;  // a revoked identity is purged from every view
  const world::PeerInfo& pa = w.info(a);
  const world::PeerInfo& pb = w.info(b);
  if (pa.org != pb.org) {
    if (!pa.external || !pb.external) return false;
    bool share = false;
    for (const std::string& c : pa.channels)
      share = share || std::find(pb.channels.begin(), pb.channels.end(), c) != pb.channels.end();
    if (!share) return false;
  }
  return !w.network().path_blocked(pa.host, pb.host) && !w.network().path_blocked(pb.host, pa.host);
}

bool Recorder::view_is_exact(World& w, std::size_t p) {
  std::size_t expected = 0;
  for (std::size_t b = 0; b < up_.size(); ++b)
    if (b != p && up_[b] && may_know(w, p, b)) ++expected;
  // The shared snapshot, not a copy: every sample looks at every changed view.
  const proto::MembershipView view = w.peer(p)->gossip().discovery().membership();
  if (view->size() != expected) return false;
  for (const proto::MemberPtr& m : *view) {
    auto it = peer_by_pki_.find(m->pki_id);
    if (it == peer_by_pki_.end() || !up_[it->second] || !may_know(w, p, it->second)) return false;
  }
  return true;
}

void Recorder::sample(World& w) {
  const Time now = w.scheduler().now();
  Sample s;
  s.at = now;
  std::size_t live = 0, exact = 0;
  for (std::size_t p = 0; p < up_.size(); ++p) {
    if (!up_[p] || revoked_[p]) continue;  // a revoked peer's own view is not judged
    ++live;
    if (dirty_[p]) {
      exact_[p] = view_is_exact(w, p);
      dirty_[p] = false;
    }
    exact += exact_[p] ? 1 : 0;
  }
  s.membership_accuracy = live == 0 ? 0 : static_cast<double>(exact) / static_cast<double>(live);
  s.live_peers = static_cast<std::uint32_t>(live);
  if (live > 0 && exact == live && !membership_converged_at_) membership_converged_at_ = now;

  // Counts kept as blocks are injected and received: a sample costs peers × channels, not
  // blocks × peers (which would grow with the run).
  std::uint64_t delivered = 0, possible = 0;
  for (std::size_t p = 0; p < up_.size(); ++p) {
    if (!up_[p]) continue;
    for (const std::string& ch : w.info(p).channels) {
      if (!in_good_standing(p, ch)) continue;
      possible += injected_by_channel_[ch];
      delivered += received_by_channel_[p][ch];
    }
  }
  s.coverage = possible == 0 ? 0 : static_cast<double>(delivered) / static_cast<double>(possible);

  bool all_single = true;
  for (auto& [key, rec] : leadership_) {
    const std::size_t n = leaders_[key].size();
    s.leaders += static_cast<std::uint32_t>(n);
    if (n == 1 && !rec.converged_at) rec.converged_at = now;
    if (n == 0) rec.none_for += interval_;
    if (n > 1) rec.several_for += interval_;
    all_single = all_single && n == 1;
  }
  for (EventRecord& e : events_) {
    if (e.ends && now < *e.ends) continue;  // a window: recovery counts from its end
    if (!e.membership_converged_at && live > 0 && exact == live) e.membership_converged_at = now;
    if (!e.leaders_converged_at && all_single) e.leaders_converged_at = now;
  }
  s.sent_by_kind = interval_sent_;
  std::fill(interval_sent_.begin(), interval_sent_.end(), net::Counter{});
  samples_.push_back(std::move(s));
}

void Recorder::finish(World& w) {
  if (samples_.empty() || samples_.back().at != w.scheduler().now()) sample(w);
}

}  // namespace gs::metrics
