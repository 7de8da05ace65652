// Test harness for the leader election (spec §11.2; Fabric gossip/election/election_test.go).
//
// All peers share ONE FakeEnv: one virtual clock and one timer queue ordered by (due time,
// scheduling order), so every peer's waits interleave deterministically. (The election
// draws no random numbers, so per-peer Rng streams are not needed.)
//
// Like Fabric's harness:
//   * peers are created into a group (Fabric's shared peer map); gossip() hands the message
//     to every other member of the sender's group, and peers() returns every member of the
//     group — self and stopped peers included — so the election must tolerate self in its
//     view. A peer joins its group before its election starts, so the first sample sees it
//     (in Fabric the election's start goroutine nearly always runs after the map insert).
//   * messages to stopped peers are dropped (Fabric fills a channel nobody reads);
//   * an isolated peer (TestPartition) sees an empty view and its gossip goes nowhere.
// Delivery: recipients are fixed when gossip() is called (Fabric pushes into their channels
// then), and each message arrives after a fixed latency, 1 ms by default. Go channel
// hand-offs take microseconds; 1 ms keeps a reaction strictly after its cause, so a message
// never races a timer due at the instant it was sent, and the exact instants asserted by the
// tests are easy to derive by hand. It is well below every election period (>= 100 ms).
//
// Names carry an "Election" prefix so they never clash with other protocol test helpers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/time.hpp"
#include "protocol/election.hpp"
#include "fake_env.hpp"

namespace gs::proto::electiontest {

// spec §11.2 overrides.
inline ElectionConfig election_test_config() {
  ElectionConfig c;
  c.startup_grace_period = Duration::milliseconds(500);
  c.membership_sample_interval = Duration::milliseconds(100);
  c.leader_alive_threshold = Duration::milliseconds(500);  // declaration interval 250 ms
  c.leader_election_duration = Duration::milliseconds(500);
  return c;
}

// spec §11.2 check helpers: poll every 300 ms, give up after 5 s.
inline constexpr Duration kElectionPollInterval = Duration::milliseconds(300);
inline constexpr Duration kElectionTestTimeout = Duration::seconds(5);

struct ElectionCallbackEvent {
  Time at;
  bool is_leader;
  bool operator==(const ElectionCallbackEvent&) const = default;
};

class ElectionTestPeer;
using ElectionGroup = std::vector<ElectionTestPeer*>;

class ElectionHarness {
 public:
  explicit ElectionHarness(bool yield_supported, Duration latency = Duration::milliseconds(1))
      : yield_supported_(yield_supported), latency_(latency) {}

  std::shared_ptr<ElectionGroup> new_group() { return std::make_shared<ElectionGroup>(); }

  // Fabric's createPeer: "p<n>" joins `group`, then its election starts at now().
  ElectionTestPeer& create_peer(int n, const std::shared_ptr<ElectionGroup>& group);

  // Fabric's createPeers(spawnInterval, ids...): each peer is created, then time advances by
  // the spawn interval (also after the last one, as in Fabric). All into a new group.
  std::vector<ElectionTestPeer*> create_peers(Duration spawn_interval, std::initializer_list<int> ids) {
    const auto group = new_group();
    std::vector<ElectionTestPeer*> out;
    for (const int id : ids) {
      out.push_back(&create_peer(id, group));
      env.advance(spawn_interval);
    }
    return out;
  }

  // Every peer in `peers` now sees (and gossips to) all of them: one new group.
  void merge(const std::vector<ElectionTestPeer*>& peers);

  static std::vector<std::string> leaders(const std::vector<ElectionTestPeer*>& peers);

  // Fabric's waitForMultipleLeadersElection: check, else advance one poll interval, until at
  // least `n` leaders or the timeout. Returns the leaders found (in `peers` order); fewer than
  // n on timeout.
  std::vector<std::string> wait_for_leaders(const std::vector<ElectionTestPeer*>& peers, std::size_t n = 1) {
    const Time end = env.now() + kElectionTestTimeout;
    for (;;) {
      auto found = leaders(peers);
      if (found.size() >= n || env.now() + kElectionPollInterval > end) return found;
      env.advance(kElectionPollInterval);
    }
  }

  // Fabric's waitForBoolFunc: the same polling for an arbitrary predicate.
  bool wait_for(const std::function<bool()>& pred) {
    const Time end = env.now() + kElectionTestTimeout;
    for (;;) {
      if (pred()) return true;
      if (env.now() + kElectionPollInterval > end) return false;
      env.advance(kElectionPollInterval);
    }
  }

  test::FakeEnv env;
  ElectionConfig config = election_test_config();
  std::uint64_t gossip_count = 0;  // every gossip() call (TestStop counts them)

 private:
  friend class ElectionTestPeer;
  void send(ElectionTestPeer& from, bool is_declaration);

  bool yield_supported_;
  Duration latency_;
  std::deque<ElectionTestPeer> peers_;  // stable addresses
};

class ElectionTestPeer final : public ElectionAdapter {
 public:
  ElectionTestPeer(ElectionHarness& h, int n, std::shared_ptr<ElectionGroup> group, bool yield_supported)
      : id("p" + std::to_string(n)), harness_(h), group_(std::move(group)) {
    group_->push_back(this);
    election.emplace(h.env, *this, id, h.config, yield_supported, [this](bool is_leader) {
      callbacks.push_back(ElectionCallbackEvent{harness_.env.now(), is_leader});
    });
  }

  // --- ElectionAdapter ---
  void gossip(bool is_declaration) override { harness_.send(*this, is_declaration); }
  std::vector<PkiId> peers() override {
    std::vector<PkiId> ids;
    if (isolated) return ids;
    for (const ElectionTestPeer* p : *group_) ids.push_back(p->id);
    return ids;
  }

  bool is_leader() const { return election->is_leader(); }
  void stop() {
    election->stop();
    stopped = true;
  }
  // Fabric's isLeaderFromCallback: the last value reported (false if never called).
  bool leader_from_callback() const { return !callbacks.empty() && callbacks.back().is_leader; }

  const std::string id;
  bool isolated = false;
  bool stopped = false;
  std::vector<ElectionCallbackEvent> callbacks;
  std::optional<LeaderElection> election;

 private:
  friend class ElectionHarness;
  ElectionHarness& harness_;
  std::shared_ptr<ElectionGroup> group_;
};

inline ElectionTestPeer& ElectionHarness::create_peer(int n, const std::shared_ptr<ElectionGroup>& group) {
  return peers_.emplace_back(*this, n, group, yield_supported_);
}

inline void ElectionHarness::merge(const std::vector<ElectionTestPeer*>& peers) {
  const auto group = std::make_shared<ElectionGroup>(peers.begin(), peers.end());
  for (ElectionTestPeer* p : peers) p->group_ = group;
}

inline std::vector<std::string> ElectionHarness::leaders(const std::vector<ElectionTestPeer*>& peers) {
  std::vector<std::string> out;
  for (const ElectionTestPeer* p : peers)
    if (p->is_leader()) out.push_back(p->id);
  return out;
}

inline void ElectionHarness::send(ElectionTestPeer& from, bool is_declaration) {
  ++gossip_count;
  if (from.isolated) return;
  for (ElectionTestPeer* to : *from.group_) {
    if (to == &from) continue;
    ElectionTestPeer* sender = &from;
    env.set_timer(latency_, "test.deliver", [to, sender, is_declaration] {
      if (to->stopped) return;
      to->election->handle_message(ElectionMessage{sender->id, is_declaration});
    });
  }
}

}  // namespace gs::proto::electiontest
