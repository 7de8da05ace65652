// Acceptance of anti-entropy (spec §8.4, §13.3): a peer down for 60 s while 30 blocks are
// produced catches up by state transfer after it restarts, within one checkInterval plus
// the request rounds it needs, and the report attributes those blocks to state_transfer.
//
// Configuration: profile fabric-2.5 (latest) with state.enabled: true (its default is
// false since v2.2, and then the peer would never close the gap — Fabric's "straggler").
// Why anti-entropy and not pull or push fills the gap: the peer comes back at height 17
// with blocks 17..46 missing. With the latest payload buffer (blockBufferSize 20, §8.3) a
// block pushed or pulled is rejected when seq − height ≥ 20, i.e. from 37 on; and the
// block stores of the other peers keep only the newest K + 1 = 11 blocks (latest
// maxBlockCountToStore 10, §4.3, §12), which at the restarted peer's first pull round
// (4 s after restart, newest block ≥ 48) are all ≥ 38. So neither path can deliver any
// block of the gap, and only anti-entropy closes it. Under fabric-1.0 defaults
// (K = 100, unbounded buffer) block pull would win instead: the whole gap is in every
// peer's store and the first pull round (4 s) comes before the first anti-entropy round
// (10 s).
#include <catch2/catch.hpp>

#include <map>
#include <optional>

#include "sim/metrics/recorder.hpp"
#include "sim/report/report.hpp"
#include "sim/scenario/scenario_loader.hpp"
#include "sim/world/world.hpp"

namespace gs::testing {
namespace {

// Blocks every 2 s from 30 s: 1..16 by 60 s; Org1.peer3 is down from 61 s to 121 s while
// blocks 17..46 (30 blocks, at 62..120 s) are produced; production continues to block 60.
const char* kScenarioYaml = R"(
name: state-transfer-catch-up
duration: 200s
seed: 1
profile: fabric-2.5
gossip:
  state:
    enabled: true
orgs:
  - { name: Org1, peers: 6, leaders: [0] }
network:
  latency: 2ms
workload:
  block_interval: 2s
  block_size: 4KiB
  start: 30s
  count: 60
events:
  - { at: 61s, crash: [Org1.peer3] }
  - { at: 121s, restart: [Org1.peer3] }
)";

}  // namespace

TEST_CASE("state: acceptance — a peer down 60 s catches up by anti-entropy (state_transfer)", "[state]") {
  const scenario::Scenario s = scenario::load_scenario_text(kScenarioYaml, "state-transfer-catch-up.yaml");
  metrics::Recorder recorder;
  world::World w(s, recorder);
  const std::size_t p3 = *w.peer_index("Org1.peer3");
  const std::string ch = s.channels.at(0).name;
  std::map<std::uint64_t, proto::BlockPath> via;  // first receipts of peer3 after its restart
  std::map<std::uint64_t, Time> committed_at;
  const Time restart_at = Time::zero() + Duration::seconds(121);
  w.set_observation_sink([&](std::size_t peer, const proto::Observation& o) {
    if (peer != p3 || w.scheduler().now() < restart_at) return;
    if (const auto* r = std::get_if<proto::BlockReceived>(&o.what); r && !r->duplicate) via.emplace(r->seq, r->via);
    if (const auto* c = std::get_if<proto::BlockCommitted>(&o.what)) committed_at.emplace(c->seq, w.scheduler().now());
  });
  w.run(restart_at - Duration::seconds(1));
  REQUIRE(w.ledger(p3, ch).height() == 17);  // blocks 1..16 before the crash
  w.run();
  recorder.finish(w);

  // Every block of the gap arrived by state transfer, and none by another path.
  for (std::uint64_t seq = 17; seq <= 46; ++seq) {
    INFO("block " << seq);
    REQUIRE(via.count(seq) == 1);
    CHECK(via.at(seq) == proto::BlockPath::state_transfer);
  }
  // Caught up within one checkInterval (10 s, sleep-first from the restart) plus the
  // request rounds (a few ms each on a 2 ms network).
  const Duration bound = s.gossip.state.check_interval + Duration::seconds(1);
  REQUIRE(committed_at.count(46) == 1);
  CHECK(committed_at.at(46) - restart_at <= bound);
  CHECK(w.ledger(p3, ch).height() == 61);

  const nlohmann::ordered_json report = report::build_report(s, w, recorder, 0.0);
  CHECK(report["blocks"]["via"]["state_transfer"].get<std::uint64_t>() >= 30);
  WARN("peer3 caught up block 46 at +" << (committed_at.at(46) - restart_at).seconds_f() << " s after restart; "
       "blocks.via.state_transfer = " << report["blocks"]["via"]["state_transfer"].get<std::uint64_t>());
}

}  // namespace gs::testing
