// Acceptance of leader election and orderer delivery (issue "Leader election, orderer
// delivery ..."; spec §7.1–7.3, §13.3) on the World: 4 orgs × 10 peers, one channel,
// Fabric v1.0 defaults with useLeaderElection (grace 15 s, LAT 10 s, election 5 s), a
// block every 2 s from t = 5 s. PKI-IDs are production ones (SHA-256 of MSP-ID ‖ identity),
// so "the lowest ID" is computed from World::pki(), never read off the names.
//
// One run, phases on virtual time (the figures it reaches are printed with the seed):
//   1. start: exactly one leader per org by StartupGracePeriod + LeaderElectionDuration
//      + LAT/2 (stabilization ends by the grace period at the latest, the election lasts
//      LeaderElectionDuration, and concurrent winners hear each other's next declaration
//      within LAT/2), unchanged until the partition;
//   2. partition Org1.peer5–9 from everything else: each side of Org1 has its own leader;
//   3. heal: one Org1 leader again, the lowest PKI-ID of the two, within 2 × LAT;
//   4. crash Org1's leader: a new one takes over; blocks injected while Org1 had no leader
//      reach it from the orderer from its ledger height (spec §7.1 catch-up);
//   5. the end: every live peer has committed every block (ledgers checked).
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sim/metrics/recorder.hpp"
#include "sim/scenario/scenario_loader.hpp"
#include "sim/world/world.hpp"

namespace gs::testing {
namespace {

constexpr const char* kScenarioYaml = R"(
name: election-acceptance
description: 4 orgs x 10 peers, leader election, partition of Org1, leader crash
duration: 190s
seed: 3
profile: fabric-1.0
gossip:
  useLeaderElection: true
  orgLeader: false
orgs: { count: 4, peers: 10 }
network:
  latency: 2ms
workload:
  block_interval: 2s
  block_size: 4KiB
  start: 5s
  count: 75
)";

// Leadership is sampled every 100 ms (World has no observation hook in every tree this
// test builds in); the times it reports are therefore exact to 100 ms.
const Duration kPoll = Duration::milliseconds(100);

struct LeaderEvent {
  Time at;  // the sample that first saw the change
  std::size_t peer = 0;
  bool is_leader = false;
};

// The world plus a sampled log of who leads.
struct ElectionRun {
  scenario::Scenario scenario;
  metrics::Recorder recorder;
  std::unique_ptr<world::World> world;
  std::string channel;
  std::vector<bool> leading;               // per peer, at the last sample
  std::vector<LeaderEvent> leader_events;  // changes between samples, in order

  ElectionRun() : scenario(scenario::load_scenario_text(kScenarioYaml, "election-acceptance")) {
    world = std::make_unique<world::World>(scenario, recorder);
    channel = scenario.channels.at(0).name;
    leading.assign(world->peer_count(), false);
  }

  Time now() const { return world->scheduler().now(); }
  // Runs to `t`, sampling leadership every kPoll.
  void run_to(Time t) {
    while (now() < t) {
      world->run(std::min(t, now() + kPoll));
      sample();
    }
  }
  void sample() {
    for (std::size_t i = 0; i < world->peer_count(); ++i) {
      const bool l = world->peer(i) != nullptr && world->peer(i)->connected_to_orderer(channel);
      if (l != leading[i]) leader_events.push_back({now(), i, l});
      leading[i] = l;
    }
  }
  std::vector<std::size_t> peers_of(const std::string& org) const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < world->peer_count(); ++i)
      if (world->info(i).org == org) out.push_back(i);
    return out;
  }
  std::vector<std::size_t> leaders(const std::vector<std::size_t>& among) const {
    std::vector<std::size_t> out;
    for (std::size_t i : among)
      if (world->peer(i) != nullptr && world->peer(i)->connected_to_orderer(channel)) out.push_back(i);
    return out;
  }
  const proto::PkiId& pki_id(std::size_t i) const { return world->pki().by_name(world->info(i).name)->pki_id; }
  std::size_t lowest_pki_id(const std::vector<std::size_t>& among) const {
    return *std::min_element(among.begin(), among.end(),
                             [this](std::size_t a, std::size_t b) { return pki_id(a) < pki_id(b); });
  }
  const std::string& name(std::size_t i) const { return world->info(i).name; }
  // Runs until pred() holds, at most until `deadline`; returns whether it held.
  bool poll_until(const std::function<bool()>& pred, Time deadline) {
    while (!pred()) {
      if (now() >= deadline) return false;
      run_to(std::min(deadline, now() + kPoll));
    }
    return true;
  }
  // Last sampled change among `among` at or after `since`.
  std::optional<Time> last_change(const std::vector<std::size_t>& among, Time since) const {
    std::optional<Time> t;
    for (const LeaderEvent& e : leader_events)
      if (e.at >= since && std::find(among.begin(), among.end(), e.peer) != among.end()) t = e.at;
    return t;
  }
};

std::vector<std::size_t> subset(const std::vector<std::size_t>& v, std::size_t from, std::size_t to) {
  return {v.begin() + static_cast<std::ptrdiff_t>(from), v.begin() + static_cast<std::ptrdiff_t>(to)};
}

}  // namespace

TEST_CASE("election acceptance: 4 orgs x 10, partition, heal, leader crash, no block lost", "[election][acceptance]") {
  ElectionRun r;
  world::World& w = *r.world;
  INFO("seed " << r.scenario.seed);
  REQUIRE(w.peer_count() == 40);
  const proto::ElectionConfig& ecfg = r.scenario.gossip.election;
  const Duration lat = ecfg.leader_alive_threshold;
  std::vector<std::string> orgs;
  for (const scenario::OrgSpec& o : r.scenario.orgs) orgs.push_back(o.name);
  const std::vector<std::size_t> org1 = r.peers_of(orgs[0]);

  // --- 1. Startup: one leader per org by grace + election + LAT/2 = 25 s, stable to 40 s.
  const Time startup_bound = Time::zero() + ecfg.startup_grace_period + ecfg.leader_election_duration + lat / 2;
  r.run_to(startup_bound);
  std::map<std::string, std::size_t> leader_of;
  std::map<std::string, Time> converged_at;
  for (const std::string& org : orgs) {
    const std::vector<std::size_t> l = r.leaders(r.peers_of(org));
    INFO(org);
    REQUIRE(l.size() == 1);
    leader_of[org] = l[0];
    converged_at[org] = *r.last_change(r.peers_of(org), Time::zero());
  }
  const Time partition_at = Time::zero() + Duration::seconds(40);
  r.run_to(partition_at);
  for (const std::string& org : orgs) {
    INFO(org);
    CHECK(r.leaders(r.peers_of(org)) == std::vector<std::size_t>{leader_of[org]});
    // Peers whose views stabilised before StateInfo made them eligible for leadership
    // messages (§2.6 group 2) elect themselves concurrently; every leader that hears a
    // lower PKI-ID's declaration steps down (§7.3), so the lowest of them remains.
    std::vector<std::size_t> startup_leaders;
    for (const LeaderEvent& e : r.leader_events)
      if (e.is_leader && w.info(e.peer).org == org) startup_leaders.push_back(e.peer);
    CHECK(leader_of[org] == r.lowest_pki_id(startup_leaders));
  }

  // --- 2. Partition Org1.peer5–9 from everyone else: each side of Org1 elects its own.
  const std::vector<std::size_t> side_a = subset(org1, 0, 5), side_b = subset(org1, 5, 10);
  std::vector<net::HostId> isolated;
  for (std::size_t i : side_b) isolated.push_back(w.info(i).host);
  w.network().partition({isolated});
  const bool split = r.poll_until(
      [&] { return r.leaders(side_a).size() == 1 && r.leaders(side_b).size() == 1; }, partition_at + Duration::seconds(35));
  REQUIRE(split);
  const Time split_at = r.now();
  r.run_to(split_at + Duration::seconds(5));  // still one per side 5 s later
  const std::vector<std::size_t> leader_a = r.leaders(side_a), leader_b = r.leaders(side_b);
  REQUIRE(leader_a.size() == 1);
  REQUIRE(leader_b.size() == 1);
  for (std::size_t k = 1; k < orgs.size(); ++k)
    CHECK(r.leaders(r.peers_of(orgs[k])) == std::vector<std::size_t>{leader_of[orgs[k]]});

  // --- 3. Heal: the lower-PKI-ID leader's declaration makes the other step down (§7.3).
  const Time heal_at = r.now();
  w.network().heal();
  const std::size_t expected = r.lowest_pki_id({leader_a[0], leader_b[0]});
  const bool merged = r.poll_until([&] { return r.leaders(org1).size() == 1; }, heal_at + lat * 2);
  const Time merged_at = r.last_change(org1, heal_at).value_or(r.now());
  CHECK(merged);
  CHECK(r.leaders(org1) == std::vector<std::size_t>{expected});
  CHECK(merged_at - heal_at <= lat * 2);

  // --- 4. Crash Org1's leader 10 s later: a new leader, gap blocks from the orderer.
  r.run_to(r.now() + Duration::seconds(10));
  REQUIRE(r.leaders(org1) == std::vector<std::size_t>{expected});
  const Time crash_at = r.now();
  w.crash(expected);
  std::vector<std::size_t> survivors;
  for (std::size_t i : org1)
    if (i != expected) survivors.push_back(i);
  // Spec §7.3: a follower's first LAT window without a declaration ends in (t, t + LAT];
  // so the new leader appears ≈ 15–25 s after the crash. Allow one more second of slack.
  const bool took_over = r.poll_until([&] { return r.leaders(survivors).size() == 1; },
                                      crash_at + lat * 2 + ecfg.leader_election_duration + Duration::seconds(1));
  REQUIRE(took_over);
  const std::size_t new_leader = r.leaders(survivors)[0];
  const auto took = std::find_if(r.leader_events.begin(), r.leader_events.end(), [&](const LeaderEvent& e) {
    return e.at >= crash_at && e.peer == new_leader && e.is_leader;
  });
  REQUIRE(took != r.leader_events.end());
  const Time new_leader_at = took->at;  // sampled: at most kPoll after the callback
  const Duration failover = new_leader_at - crash_at;
  CHECK(failover >= lat);  // not before the first follower window without a declaration
  CHECK(failover <= lat * 2 + ecfg.leader_election_duration + kPoll);
  // Blocks injected while Org1 had no leader. Org1 peers may get some of them from other
  // orgs' peers by anti-entropy (spec §13.2 item 5: state transfer may cross orgs) before
  // the takeover; the new leader gets the rest from the orderer at the takeover, from its
  // ledger height on (§7.1) — so those form a suffix of the gap.
  std::vector<std::uint64_t> gap_blocks;
  std::size_t gap_by_orderer = 0;
  std::map<std::string, std::size_t> gap_paths;  // how they first reached the new leader
  bool orderer_suffix = true;
  for (const metrics::BlockRecord& b : r.recorder.blocks()) {
    if (b.injected <= crash_at || b.injected >= new_leader_at - kPoll) continue;
    gap_blocks.push_back(b.seq);
    INFO("gap block " << b.seq);
    REQUIRE(b.first_receipt[new_leader]);
    const bool by_orderer = b.path[new_leader] == proto::BlockPath::orderer;
    if (by_orderer) {
      ++gap_by_orderer;
      CHECK(*b.first_receipt[new_leader] > new_leader_at - kPoll);  // at the takeover's catch-up
    } else {
      CHECK(*b.first_receipt[new_leader] <= new_leader_at);  // before it, by another path
      orderer_suffix = orderer_suffix && gap_by_orderer == 0;
    }
    ++gap_paths[std::string(proto::to_string(b.path[new_leader]))];
  }
  CHECK(!gap_blocks.empty());
  CHECK(orderer_suffix);

  // --- 5. To the end: every live peer commits every block; one leader per org.
  r.run_to(Time::zero() + r.scenario.duration);
  r.recorder.finish(w);
  const std::uint64_t blocks = *r.scenario.workload.count;
  REQUIRE(r.recorder.blocks().size() == blocks);
  for (std::size_t i = 0; i < w.peer_count(); ++i) {
    if (w.peer(i) == nullptr) continue;
    INFO(r.name(i));
    const proto::Ledger& l = w.ledger(i, r.channel);
    CHECK(l.height() == blocks + 1);
  }
  CHECK(r.leaders(org1) == std::vector<std::size_t>{new_leader});
  for (std::size_t k = 1; k < orgs.size(); ++k) {
    CHECK(r.leaders(r.peers_of(orgs[k])) == std::vector<std::size_t>{leader_of[orgs[k]]});
    CHECK(r.recorder.leaders_of(r.channel, orgs[k]) == std::vector<std::size_t>{leader_of[orgs[k]]});
  }
  CHECK(r.recorder.leaders_of(r.channel, orgs[0]) == std::vector<std::size_t>{new_leader});

  std::string startup;
  for (const std::string& org : orgs)
  {
    const std::vector<std::size_t> members = r.peers_of(org);
    const auto became = std::count_if(r.leader_events.begin(), r.leader_events.end(), [&](const LeaderEvent& e) {
      return e.is_leader && e.at < partition_at && std::find(members.begin(), members.end(), e.peer) != members.end();
    });
    startup += fmt::format(" {} {} at {} ({} became leader meanwhile);", org, r.name(leader_of[org]), converged_at[org], became);
  }
  WARN(fmt::format(
      "election acceptance seed {}: startup (bound {}):{} partition at {}: sides' leaders {} and {} by {}; "
      "heal at {}: one leader {} (lowest PKI-ID) after {}; crash of {} at {}: new leader {} after {} "
      "(spec §7.3: ≈15–25 s); {} blocks injected without a leader, {} reached the new leader from the orderer "
      "at the takeover; first receipt paths at the new leader: {}",
      r.scenario.seed, startup_bound, startup, partition_at, r.name(leader_a[0]), r.name(leader_b[0]), split_at,
      heal_at, r.name(expected), merged_at - heal_at, r.name(expected), crash_at, r.name(new_leader), failover,
      gap_blocks.size(), gap_by_orderer, fmt::join(gap_paths, ", ")));
}

}  // namespace gs::testing
