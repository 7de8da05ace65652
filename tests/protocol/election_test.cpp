// Leader election (spec §7.3–§7.5) on virtual time.
//
// Part 1 reproduces Fabric's gossip/election/election_test.go as listed in spec §11.2, with
// its overrides (grace 500 ms, sample 100 ms, LAT 500 ms, election 500 ms) and its polling
// helpers (300 ms polls, 5 s limit). Fabric's timeouts are upper bounds; here every check
// happens at the exact virtual instant Fabric's test would reach it, and every leadership
// change is asserted with the instant it happened. The instants follow from the harness's
// 1 ms delivery latency (election_harness.hpp) and are derived in each test's comments.
//
// Part 2 pins the subtle points of §7.3 one at a time, with a single election and a
// scripted adapter.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "election_harness.hpp"
#include "fake_env.hpp"
#include "protocol/config.hpp"
#include "protocol/election.hpp"

namespace gs::proto {
namespace {

using electiontest::ElectionCallbackEvent;
using electiontest::ElectionHarness;
using electiontest::ElectionTestPeer;
using Events = std::vector<ElectionCallbackEvent>;
using Names = std::vector<std::string>;

Time at_ms(std::int64_t ms) { return Time::zero() + Duration::milliseconds(ms); }
ElectionCallbackEvent became(std::int64_t ms) { return {at_ms(ms), true}; }
ElectionCallbackEvent lost(std::int64_t ms) { return {at_ms(ms), false}; }

std::vector<ElectionTestPeer*> without(std::vector<ElectionTestPeer*> peers, const ElectionTestPeer* p) {
  std::erase(peers, p);
  return peers;
}

// ---------------------------------------------------------------------------------------
// Part 1: spec §11.2.
// ---------------------------------------------------------------------------------------

TEST_CASE("election: InitPeersAtSameTime (spec §11.2 TestInitPeersAtSameTime)") {
  ElectionHarness h(false);
  // p9 first ... p0 last, all at t=0. Only p0 saw all 10 at its first sample, so it proposes
  // at 100 ms; the others' view grew after they started, so they propose at 200 ms. p0's
  // election ends at 600 ms with only higher proposals: leader. Its declaration (601 ms)
  // interrupts the others' elections.
  const auto peers = h.create_peers(Duration::zero(), {9, 8, 7, 6, 5, 4, 3, 2, 1, 0});
  ElectionTestPeer* p0 = peers.back();
  h.env.advance(h.config.startup_grace_period + h.config.leader_election_duration);
  CHECK(h.env.now() == at_ms(1000));
  CHECK(h.wait_for_leaders(peers) == Names{"p0"});
  CHECK(h.env.now() == at_ms(1000));
  CHECK(p0->callbacks == Events{became(600)});
  for (const ElectionTestPeer* p : without(peers, p0)) CHECK(p->callbacks.empty());
  // 10 proposals, then p0's declarations at 600 and 850 ms; followers stay silent.
  CHECK(h.gossip_count == 12);
}

TEST_CASE("election: InitPeersStartAtIntervals (spec §11.2 TestInitPeersStartAtIntervals)") {
  ElectionHarness h(false);
  // One peer every grace + declaration interval = 750 ms (createPeers also sleeps after the
  // last one: returns at 3 s). p3 leads from 600 ms; each later peer proposes once its view
  // settled (850, 1600, 2350 ms), hears p3's declaration 1 ms later and follows for good,
  // although its ID is lower (stickiness, spec §7.3).
  const Duration spawn = h.config.startup_grace_period + leader_declaration_interval(h.config);
  const auto peers = h.create_peers(spawn, {3, 2, 1, 0});
  CHECK(h.env.now() == at_ms(3000));
  CHECK(h.wait_for_leaders(peers) == Names{"p3"});
  CHECK(h.env.now() == at_ms(3000));
  CHECK(peers[0]->is_leader());
  CHECK(peers[0]->callbacks == Events{became(600)});
  for (const ElectionTestPeer* p : without(peers, peers[0])) CHECK(p->callbacks.empty());
}

TEST_CASE("election: Stop (spec §11.2 TestStop)") {
  ElectionHarness h(false);
  const auto peers = h.create_peers(Duration::zero(), {3, 2, 1, 0});
  // Polls at 0, 300, 600 ms; p0 became leader at 600 ms.
  REQUIRE(h.wait_for_leaders(peers) == Names{"p0"});
  CHECK(h.env.now() == at_ms(600));
  for (ElectionTestPeer* p : peers) p->stop();
  // 4 proposals and p0's first declaration were gossiped before the stop.
  CHECK(h.gossip_count == 5);
  h.env.advance(h.config.leader_alive_threshold);
  const std::uint64_t after_stop = h.gossip_count;
  CHECK(after_stop == 5);
  h.env.advance(h.config.leader_alive_threshold * 5);
  CHECK(h.gossip_count == after_stop);
  // Stop ended every election timer; the last deliveries were drained.
  CHECK(h.env.pending_timers() == 0);
  // Like Fabric's Stop, leadership is not revoked and no callback follows.
  CHECK(peers.back()->is_leader());
  CHECK(peers.back()->callbacks == Events{became(600)});
}

TEST_CASE("election: Convergence (spec §11.2 TestConvergence)") {
  ElectionHarness h(false);
  // Two isolated groups. Group 1: p0 leads from 600 ms. Group 2: p7 (created last) proposed
  // first and lost to the lower proposals; p4 leads from 700 ms.
  const auto peers1 = h.create_peers(Duration::zero(), {3, 2, 1, 0});
  const auto peers2 = h.create_peers(Duration::zero(), {4, 5, 6, 7});
  const auto leaders1 = h.wait_for_leaders(peers1);
  CHECK(h.env.now() == at_ms(600));
  const auto leaders2 = h.wait_for_leaders(peers2);
  CHECK(h.env.now() == at_ms(900));
  REQUIRE(leaders1 == Names{"p0"});
  REQUIRE(leaders2 == Names{"p4"});

  std::vector<ElectionTestPeer*> all = peers1;
  all.insert(all.end(), peers2.begin(), peers2.end());
  h.merge(all);  // gossip reaches all 8, Peers() returns all 8
  // p4 declares at 950 ms to all; p0 keeps leading and re-declares at once (951 ms); p4
  // hears the lower ID at 952 ms and steps down.
  h.env.advance(h.config.leader_alive_threshold * 5);
  CHECK(h.env.now() == at_ms(3400));
  const auto final_leaders = h.wait_for_leaders(all);
  CHECK(final_leaders == Names{"p0"});
  CHECK(h.env.now() == at_ms(3400));

  ElectionTestPeer* p0 = peers1.back();
  ElectionTestPeer* p4 = peers2.front();
  CHECK(p0->callbacks == Events{became(600)});
  CHECK(p4->callbacks == Events{became(700), lost(952)});
  CHECK_FALSE(p4->leader_from_callback());
  for (const ElectionTestPeer* p : all) {
    if (p == p0) continue;
    CHECK_FALSE(p->leader_from_callback());
    CHECK_FALSE(p->is_leader());
    if (p != p4) CHECK(p->callbacks.empty());
  }
}

TEST_CASE("election: LeadershipTakeover (spec §11.2 TestLeadershipTakeover)") {
  ElectionHarness h(false);
  const Duration spawn = h.config.startup_grace_period + leader_declaration_interval(h.config);
  const auto peers = h.create_peers(spawn, {5, 4, 3, 2});
  REQUIRE(h.wait_for_leaders(peers) == Names{"p5"});
  CHECK(h.env.now() == at_ms(3000));
  peers[0]->stop();
  // p5's last declaration reached the others at 2851 ms. Follower windows (not aligned):
  // p4 and p2 end theirs at ...2851, 3351, 3851 ms, p3 at ...3101, 3601 ms. p3's window
  // 3101-3601 is the first without a declaration: it proposes at 3601 ms; p4 and p2 propose
  // at 3851 ms. p3's election (ends 4101 ms) sees p2's lower proposal and gives up; p2's
  // (ends 4351 ms) sees only p3 and p4: p2 leads.
  h.env.advance(leader_declaration_interval(h.config) + h.config.leader_alive_threshold * 3);
  CHECK(h.env.now() == at_ms(4750));
  const auto rest = without(peers, peers[0]);
  CHECK(h.wait_for_leaders(rest) == Names{"p2"});
  CHECK(h.env.now() == at_ms(4750));
  CHECK(peers[3]->callbacks == Events{became(4351)});
  CHECK(peers[1]->callbacks.empty());
  CHECK(peers[2]->callbacks.empty());
  CHECK(peers[0]->callbacks == Events{became(600)});  // stopped: no callback after stop
}

TEST_CASE("election: Partition (spec §11.2 TestPartition)") {
  ElectionHarness h(false);
  const auto peers = h.create_peers(Duration::zero(), {5, 4, 3, 2, 1, 0});
  ElectionTestPeer* p0 = peers.back();
  REQUIRE(h.wait_for_leaders(peers) == Names{"p0"});
  CHECK(h.env.now() == at_ms(600));
  CHECK(p0->leader_from_callback());

  // Isolate everyone: empty view, gossip goes nowhere. p0's 600 ms declaration arrives at
  // 601 ms from a peer no longer in the view and is ignored, so the others' elections run to
  // 700 ms (p0's earlier proposal is lower: follow), their LAT sleep ends at 1200 ms with
  // no declaration heard, and their second election makes each a leader at 1700 ms.
  for (ElectionTestPeer* p : peers) p->isolated = true;
  h.env.advance(leader_declaration_interval(h.config) + h.config.leader_alive_threshold * 2);
  CHECK(h.env.now() == at_ms(1850));
  const auto all_leaders = h.wait_for_leaders(peers, 6);
  CHECK(all_leaders.size() == 6);
  CHECK(h.env.now() == at_ms(1850));
  for (const ElectionTestPeer* p : peers) CHECK(p->leader_from_callback());
  for (const ElectionTestPeer* p : without(peers, p0)) CHECK(p->callbacks == Events{became(1700)});

  // Heal. p1..p5 declare at 1950 ms: at 1951 ms every pN (N >= 2) hears p1 and steps down,
  // p0 and p1 hear higher IDs and re-declare at once; at 1952 ms p1 hears p0 and steps down.
  for (ElectionTestPeer* p : peers) p->isolated = false;
  h.env.advance(leader_declaration_interval(h.config) + h.config.leader_alive_threshold * 2);
  CHECK(h.env.now() == at_ms(3100));
  CHECK(h.wait_for_leaders(peers) == Names{"p0"});
  CHECK(h.env.now() == at_ms(3100));
  CHECK(p0->callbacks == Events{became(600)});
  CHECK(peers[4]->callbacks == Events{became(1700), lost(1952)});  // p1
  for (int i = 0; i < 4; ++i) CHECK(peers[static_cast<std::size_t>(i)]->callbacks == Events{became(1700), lost(1951)});
  for (const ElectionTestPeer* p : without(peers, p0)) CHECK_FALSE(p->leader_from_callback());
}

TEST_CASE("election: defaults (spec §11.2 TestConfigFromFile)") {
  const ElectionConfig c;
  CHECK(c.startup_grace_period == Duration::seconds(15));
  CHECK(c.membership_sample_interval == Duration::seconds(1));
  CHECK(c.leader_alive_threshold == Duration::seconds(10));
  CHECK(c.leader_election_duration == Duration::seconds(5));
  CHECK(leader_declaration_interval(c) == Duration::seconds(5));
  CHECK(yield_duration(c) == Duration::seconds(60));  // spec §7.4
  for (const Profile p : {Profile::fabric_1_0, Profile::fabric_2_5, Profile::fabric_3_0}) {
    INFO(to_string(p));
    GossipConfig g = defaults_for(p);
    resolve(g);
    CHECK(g.election.startup_grace_period == Duration::seconds(15));
    CHECK(g.election.membership_sample_interval == Duration::seconds(1));
    CHECK(g.election.leader_alive_threshold == Duration::seconds(10));
    CHECK(g.election.leader_election_duration == Duration::seconds(5));
    CHECK(g.derived.leader_declaration_interval == leader_declaration_interval(g.election));
  }
}

TEST_CASE("election: Yield (spec §11.2 latest TestYield)") {
  ElectionHarness h(true);
  // p0 first ... p5 last. p5 proposes at 100 ms and loses to the others' 200 ms proposals;
  // p0's election ends first at 700 ms: leader.
  const auto peers = h.create_peers(Duration::zero(), {0, 1, 2, 3, 4, 5});
  ElectionTestPeer* p0 = peers.front();
  REQUIRE(h.wait_for_leaders(peers) == Names{"p0"});
  CHECK(h.env.now() == at_ms(900));

  p0->election->yield();
  CHECK_FALSE(p0->is_leader());
  CHECK(p0->callbacks == Events{became(700), lost(900)});
  p0->election->yield();  // already yielding: no second callback
  CHECK(p0->callbacks.size() == 2);

  // Nobody declares after 700 ms. p5's window 1100-1600 ms is empty: it proposes at 1600 ms,
  // p1..p4 at 1700 ms. p5 loses to them at 2100 ms; p1 wins at 2200 ms. p0, yielding, never
  // proposes, and stops yielding at 2450 ms having heard p1.
  const auto p0_not_leader = [&] {
    const auto found = h.wait_for_leaders(peers);
    return found.size() == 1 && found[0] != "p0";
  };
  REQUIRE(h.wait_for(p0_not_leader));
  CHECK(h.env.now() == at_ms(2400));
  CHECK(h.leaders(peers) == Names{"p1"});
  h.env.advance(h.config.leader_alive_threshold * 2);
  REQUIRE(h.wait_for(p0_not_leader));
  CHECK(h.env.now() == at_ms(3400));
  // Well past the 6 × LAT yield timer p0 would have had: still p1.
  h.env.advance(Duration::seconds(5));
  CHECK(h.leaders(peers) == Names{"p1"});
  CHECK(p0->callbacks == Events{became(700), lost(900)});
  CHECK(peers[1]->callbacks == Events{became(2200)});
  for (std::size_t i = 2; i < peers.size(); ++i) CHECK(peers[i]->callbacks.empty());
}

TEST_CASE("election: YieldSinglePeer (spec §11.2 latest TestYieldSinglePeer)") {
  ElectionHarness h(true);
  const auto peers = h.create_peers(Duration::zero(), {0});
  ElectionTestPeer* p0 = peers[0];
  REQUIRE(h.wait_for_leaders(peers) == Names{"p0"});
  CHECK(h.env.now() == at_ms(600));
  p0->election->yield();
  CHECK_FALSE(p0->is_leader());
  // The yield timer (6 × LAT = 3 s) ends at 3600 ms; the LAT sleep running then ends at
  // 3850 ms; the election that follows makes p0 leader at 4350 ms; the 4500 ms poll sees it.
  h.env.advance_to(at_ms(3600));
  CHECK_FALSE(p0->is_leader());
  CHECK(h.wait_for_leaders(peers) == Names{"p0"});
  CHECK(h.env.now() == at_ms(4500));
  CHECK(p0->callbacks == Events{became(600), lost(600), became(4350)});
}

TEST_CASE("election: YieldAllPeers (spec §11.2 latest TestYieldAllPeers)") {
  ElectionHarness h(true);
  const auto peers = h.create_peers(Duration::zero(), {0, 1});
  ElectionTestPeer* p0 = peers[0];
  ElectionTestPeer* p1 = peers[1];
  REQUIRE(h.wait_for_leaders(peers) == Names{"p0"});
  CHECK(h.env.now() == at_ms(900));
  p0->election->yield();
  // p1's window 1100-1600 ms has no declaration: proposes at 1600 ms, leads at 2100 ms.
  REQUIRE(h.wait_for_leaders(peers) == Names{"p1"});
  CHECK(h.env.now() == at_ms(2100));
  p1->election->yield();
  // p0 heard p1's declaration (2101 ms), so at 2450 ms it stops yielding early (its own yield
  // timer would run to 3900 ms); its window 2450-2950 ms is empty, it proposes at 2950 ms and
  // leads at 3450 ms. p1, still yielding, does not compete.
  REQUIRE(h.wait_for_leaders(peers) == Names{"p0"});
  CHECK(h.env.now() == at_ms(3600));
  CHECK(p0->callbacks == Events{became(700), lost(900), became(3450)});
  CHECK(p1->callbacks == Events{became(2100), lost(2100)});
}

// ---------------------------------------------------------------------------------------
// Part 2: one election, a scripted view, every gossip recorded.
// ---------------------------------------------------------------------------------------

struct Gossiped {
  Time at;
  bool is_declaration;
  bool operator==(const Gossiped&) const = default;
};
Gossiped proposal_at(std::int64_t ms) { return {at_ms(ms), false}; }
Gossiped declaration_at(std::int64_t ms) { return {at_ms(ms), true}; }

class ScriptedAdapter final : public ElectionAdapter {
 public:
  ScriptedAdapter(test::FakeEnv& env, std::vector<PkiId> initial_view) : view(std::move(initial_view)), env_(env) {}
  void gossip(bool is_declaration) override { sent.push_back({env_.now(), is_declaration}); }
  std::vector<PkiId> peers() override { return view; }

  std::vector<PkiId> view;
  std::vector<Gossiped> sent;

 private:
  test::FakeEnv& env_;
};

struct Single {
  Single(PkiId self, std::vector<PkiId> view, bool yield_supported = false)
      : adapter(env, std::move(view)),
        election(env, adapter, std::move(self), electiontest::election_test_config(), yield_supported,
                 [this](bool is_leader) { callbacks.push_back({env.now(), is_leader}); }) {}
  void deliver_at(std::int64_t ms, const PkiId& from, bool is_declaration) {
    env.advance_to(at_ms(ms));
    election.handle_message(ElectionMessage{from, is_declaration});
  }
  test::FakeEnv env;
  ScriptedAdapter adapter;
  Events callbacks;
  LeaderElection election;
};

TEST_CASE("election: a leader hearing a higher ID keeps leading and re-declares at once (spec §7.3)") {
  Single s("p1", {"p1", "p2"});  // self in the view, as in Fabric's harness
  s.env.advance_to(at_ms(600));
  REQUIRE(s.election.is_leader());
  // Two declarations at one instant fill the one-slot interrupt once: one re-declaration.
  s.deliver_at(700, "p2", true);
  s.election.handle_message(ElectionMessage{"p2", true});
  s.env.advance_to(at_ms(1000));
  CHECK(s.election.is_leader());
  CHECK(s.callbacks == Events{became(600)});
  CHECK(s.adapter.sent ==
        std::vector<Gossiped>{proposal_at(100), declaration_at(600), declaration_at(700), declaration_at(950)});
}

TEST_CASE("election: a leader hearing a lower ID steps down and follows (spec §7.3)") {
  Single s("p1", {"p0", "p1"});
  s.env.advance_to(at_ms(600));
  REQUIRE(s.election.is_leader());
  s.deliver_at(700, "p0", true);
  CHECK_FALSE(s.election.is_leader());
  // Interrupted at 700 ms, follows until 1200 ms; nothing heard since: elects itself again.
  s.env.advance_to(at_ms(1800));
  CHECK(s.callbacks == Events{became(600), lost(700), became(1700)});
  CHECK(s.adapter.sent == std::vector<Gossiped>{proposal_at(100), declaration_at(600), proposal_at(1200),
                                                declaration_at(1700)});
}

TEST_CASE(
    "election: the follower sleep is not interruptible, a declaration during stabilization skips the election "
    "(spec §7.3)") {
  Single s("p1", {"p0", "p1"});
  s.deliver_at(50, "p0", true);  // before the first sample: stabilization ends at 100 ms, then follow
  s.deliver_at(300, "p0", true);  // inside the 100-600 ms follower sleep: no wake-up
  s.env.advance_to(at_ms(1100) - Duration::nanoseconds(1));
  CHECK(s.adapter.sent.empty());
  // The 600-1100 ms window was silent: election 1100-1600 ms.
  s.env.advance_to(at_ms(2000));
  CHECK(s.adapter.sent == std::vector<Gossiped>{proposal_at(1100), declaration_at(1600), declaration_at(1850)});
  CHECK(s.callbacks == Events{became(1600)});
}

TEST_CASE("election: stabilization samples until the view size is unchanged or the grace period passed (spec §7.3)") {
  Single s("p0", {"p0"});
  // The view grows at every sample until 700 ms: the sample at 600 ms is past the 500 ms
  // grace period and ends stabilization.
  for (int ms = 50; ms < 700; ms += 100) {
    s.env.advance_to(at_ms(ms));
    s.adapter.view.push_back("q" + std::to_string(ms));
  }
  s.env.advance_to(at_ms(1200));
  CHECK(s.adapter.sent == std::vector<Gossiped>{proposal_at(600), declaration_at(1100)});
}

TEST_CASE("election: proposals are kept until follower(), so an earlier lower proposal still wins (spec §7.3)") {
  Single s("p1", {"p0", "p1"});
  s.deliver_at(50, "p0", false);
  s.env.advance_to(at_ms(1700));
  // Election 100-600 ms lost to p0's old proposal; follower 600-1100 ms clears it; 1100-1600 ms won.
  CHECK(s.adapter.sent == std::vector<Gossiped>{proposal_at(100), proposal_at(1100), declaration_at(1600)});
  CHECK(s.callbacks == Events{became(1600)});
}

TEST_CASE("election: messages from senders outside the view are ignored (spec §7.3)") {
  Single s("p1", {"p1"});
  s.deliver_at(50, "p0", true);
  s.deliver_at(150, "p0", false);
  s.env.advance_to(at_ms(700));
  CHECK(s.callbacks == Events{became(600)});
  s.deliver_at(700, "p0", true);  // would unseat us if p0 were in the view
  CHECK(s.election.is_leader());
}

TEST_CASE("election: the tie-break compares PKI-IDs bytewise as unsigned bytes (spec §0.2)") {
  const PkiId high = "\xff";  // above every ASCII ID when compared as unsigned bytes
  Single lower("a", {"a", high});
  Single higher(high, {"a", high});
  lower.env.advance_to(at_ms(600));
  higher.env.advance_to(at_ms(600));
  REQUIRE(lower.election.is_leader());
  REQUIRE(higher.election.is_leader());
  lower.deliver_at(700, high, true);
  higher.deliver_at(700, "a", true);
  CHECK(lower.election.is_leader());
  CHECK_FALSE(higher.election.is_leader());
  // "p10" < "p9" bytewise.
  Single p9("p9", {"p10", "p9"});
  p9.env.advance_to(at_ms(600));
  p9.deliver_at(700, "p10", true);
  CHECK_FALSE(p9.election.is_leader());
}

TEST_CASE("election: stop ends every timer, no gossip or callback afterwards (spec §7.3)") {
  SECTION("leading") {
    Single s("p1", {"p0", "p1"}, true);
    s.env.advance_to(at_ms(600));
    REQUIRE(s.election.is_leader());
    s.election.stop();
    CHECK(s.env.pending_timers() == 0);
    s.election.handle_message(ElectionMessage{"p0", true});
    s.election.yield();
    s.election.stop();  // idempotent
    s.env.advance(Duration::seconds(10));
    CHECK(s.election.is_leader());  // Fabric's Stop does not revoke leadership
    CHECK(s.callbacks == Events{became(600)});
    CHECK(s.adapter.sent == std::vector<Gossiped>{proposal_at(100), declaration_at(600)});
  }
  SECTION("yielding") {
    Single s("p1", {"p1"}, true);
    s.env.advance_to(at_ms(600));
    s.election.yield();
    CHECK(s.env.pending_timer_names() == std::vector<std::string>{"election.declaration_wait", "election.yield"});
    s.election.stop();
    CHECK(s.env.pending_timers() == 0);
  }
  SECTION("stabilizing") {
    Single s("p1", {"p1"});
    s.election.stop();
    CHECK(s.env.pending_timers() == 0);
    s.env.advance(Duration::seconds(10));
    CHECK(s.adapter.sent.empty());
  }
}

TEST_CASE("election: fabric-1.0 (v1.0.0) has no Yield, and Yield needs leadership (spec §7.4)") {
  SECTION("v1.0.0") {
    Single s("p0", {"p0"}, false);
    s.env.advance_to(at_ms(600));
    s.election.yield();
    CHECK(s.election.is_leader());
    CHECK(s.callbacks == Events{became(600)});
  }
  SECTION("latest, not leading") {
    Single s("p1", {"p0", "p1"}, true);
    s.deliver_at(50, "p0", true);
    s.election.yield();
    s.env.advance_to(at_ms(300));
    CHECK(s.callbacks.empty());
    CHECK(s.env.pending_timer_names() == std::vector<std::string>{"election.follower_sleep"});
  }
}

}  // namespace
}  // namespace gs::proto
