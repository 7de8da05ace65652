// The Recorder turns a run's observations into the figures of the report (DESIGN.md
// "report.json"; every rule is documented in docs/report.md):
//  - blocks: first receipt time and path of every (block, peer), latency, time to all;
//  - membership: whether each live peer's view is exact, sampled every interval, with the
//    expected view computed from the disclosure rules (spec §2.8) and reachability;
//  - leadership: live leaders per (channel, org) over time;
//  - messages: counts and bytes by type per interval (from the network trace) and drops.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "protocol/observation.hpp"
#include "sim/net/net_stats.hpp"
#include "sim/scenario/scenario.hpp"

namespace gs::world {
class World;
}

namespace gs::metrics {

using world::World;

struct BlockRecord {
  std::string channel;
  std::uint64_t seq = 0;
  Time injected;
  std::vector<std::optional<Time>> first_receipt;  // per peer
  std::vector<proto::BlockPath> path;              // per peer, valid where first_receipt is set
};

struct Sample {
  Time at;
  double coverage = 0;             // delivered / (injected blocks × live channel peers)
  double membership_accuracy = 0;  // fraction of live peers whose view is exact
  std::uint32_t leaders = 0;       // live leaders, all channels and orgs
  std::uint32_t live_peers = 0;    // peers running and not revoked (those judged for membership)
  std::vector<net::Counter> sent_by_kind;  // messages put on the wire during the interval
};

struct LeadershipRecord {
  std::optional<Time> converged_at;  // first sample with exactly one live leader
  std::uint32_t changes = 0;         // became-leader and stopped-being-leader transitions
  Duration none_for, several_for;    // sampled time with no live leader / several
};

struct EventRecord {
  Time at;
  std::string kind;
  // A window's end (churn): recovery is measured from here, not from `at` (views are still
  // exact when a churn window opens). Unset for instantaneous events.
  std::optional<Time> ends;
  std::optional<Time> membership_converged_at;
  std::optional<Time> leaders_converged_at;
};

class Recorder {
 public:
  explicit Recorder(Duration sample_interval = Duration::seconds(1)) : interval_(sample_interval) {}

  // --- called by the World ---
  void on_start(const World& w);
  void schedule_sampling(World& w);
  void on_net(const net::TraceEvent& e);
  void on_peer_up(std::size_t peer, Time t);
  void on_peer_down(std::size_t peer, Time t);
  void on_block_injected(const std::string& channel, std::uint64_t seq, Time t);
  void on_observation(std::size_t peer, const proto::Observation& o, Time t);
  void on_timeline_event(const scenario::TimelineEvent& ev, Time t);
  void on_channel_left(std::size_t peer, const std::string& channel, Time t);
  void on_peer_revoked(std::size_t peer, Time t);
  // Takes the last sample at the end of the run.
  void finish(World& w);

  // --- read by the report ---
  const std::vector<BlockRecord>& blocks() const { return blocks_; }
  const std::vector<Sample>& samples() const { return samples_; }
  const std::vector<EventRecord>& events() const { return events_; }
  const std::map<std::pair<std::string, std::string>, LeadershipRecord>& leadership() const { return leadership_; }
  // Final leaders per (channel, org): peer indices.
  std::vector<std::size_t> leaders_of(const std::string& channel, const std::string& org) const;
  std::optional<Time> membership_converged_at() const { return membership_converged_at_; }
  double final_membership_accuracy() const { return samples_.empty() ? 0 : samples_.back().membership_accuracy; }
  // Peer `p` was up continuously from `t` to the end of the run (DESIGN.md "expected").
  bool up_since(std::size_t p, Time t) const { return up_[p] && last_start_[p] <= t; }
  bool up_at_end(std::size_t p) const { return up_[p]; }
  // Neither revoked nor gone from `channel` at any time of the run (docs/report.md "expected").
  bool in_good_standing(std::size_t p, const std::string& channel) const {
    return !revoked_[p] && left_.count({p, channel}) == 0;
  }
  bool revoked(std::size_t p) const { return revoked_[p]; }
  const std::array<std::uint64_t, 4>& first_receipts_by_path() const { return via_; }
  std::uint64_t duplicate_blocks() const { return duplicates_; }
  std::uint64_t injected(const std::string& channel) const {
    const auto it = injected_by_channel_.find(channel);
    return it == injected_by_channel_.end() ? 0 : it->second;
  }
  // Receipts of a block a peer had received before, accepted again because it lost it
  // meanwhile (ledger wiped, or only buffered when the peer crashed), by path.
  const std::array<std::uint64_t, 4>& refills_by_path() const { return refills_; }
  // Bytes sent by all peers before the first block's injection (meaningful once a block was).
  std::uint64_t bytes_sent_before_first_block() const { return bytes_before_first_block_; }
  const std::map<std::string, std::uint64_t>& peer_drops() const { return peer_drops_; }
  Duration sample_interval() const { return interval_; }

 private:
  void sample(World& w);
  bool view_is_exact(World& w, std::size_t p);
  bool may_know(const World& w, std::size_t a, std::size_t b) const;
  void mark_all_dirty() { std::fill(dirty_.begin(), dirty_.end(), true); }

  Duration interval_;
  std::vector<bool> up_;
  std::vector<Time> last_start_;
  std::vector<bool> exact_, dirty_;
  std::vector<bool> revoked_;                          // identity revoked (a revoke event)
  std::set<std::pair<std::size_t, std::string>> left_;  // (peer, channel) after a leave event
  std::map<std::string, std::size_t> peer_by_pki_;
  std::vector<std::vector<std::string>> channels_of_org_;  // per peer: channels of its org
  std::vector<BlockRecord> blocks_;
  std::map<std::pair<std::string, std::uint64_t>, std::size_t> block_index_;
  std::map<std::string, std::uint64_t> injected_by_channel_;
  std::vector<std::map<std::string, std::uint64_t>> received_by_channel_;  // per peer: first receipts
  std::array<std::uint64_t, 4> via_{};
  std::uint64_t duplicates_ = 0;
  std::array<std::uint64_t, 4> refills_{};
  std::uint64_t bytes_before_first_block_ = 0;
  std::map<std::string, std::uint64_t> peer_drops_;
  // Live leaders per (channel, org).
  std::map<std::pair<std::string, std::string>, std::vector<std::size_t>> leaders_;
  std::map<std::pair<std::string, std::string>, LeadershipRecord> leadership_;
  std::vector<Sample> samples_;
  std::vector<net::Counter> interval_sent_;
  std::vector<EventRecord> events_;
  std::optional<Time> membership_converged_at_;
  const World* world_ = nullptr;
};

}  // namespace gs::metrics
