// Scenarios run end to end: the example scenarios of scenarios/ (shortened), the join,
// leave and revoke timeline events, report.json against hand-computed values, and
// determinism of every output file of `gossipsim run` (DESIGN.md "Determinism").
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/metrics/recorder.hpp"
#include "sim/report/report.hpp"
#include "sim/scenario/scenario_loader.hpp"
#include "sim/world/world.hpp"

namespace {

using json = nlohmann::ordered_json;
using gs::scenario::LoadOptions;
using gs::scenario::Scenario;

// One run in-process. The World keeps a reference to the scenario: both live here.
struct Run {
  Scenario scenario;
  std::unique_ptr<gs::metrics::Recorder> recorder;
  std::unique_ptr<gs::world::World> world;
  json report;

  explicit Run(Scenario s) : scenario(std::move(s)) {
    recorder = std::make_unique<gs::metrics::Recorder>();
    world = std::make_unique<gs::world::World>(scenario, *recorder);
  }
  void finish() {
    world->run();
    recorder->finish(*world);
    report = gs::report::build_report(scenario, *world, *recorder, 0.0);
  }
  std::size_t index(const std::string& peer) const { return *world->peer_index(peer); }
};

Scenario from_text(const std::string& yaml, LoadOptions o = {}) { return gs::scenario::load_scenario_text(yaml, "test.yaml", o); }

Scenario from_file(const std::string& name, std::vector<std::pair<std::string, std::string>> overrides) {
  LoadOptions o;
  o.overrides = std::move(overrides);
  return gs::scenario::load_scenario_file(std::string(GOSSIPSIM_SOURCE_DIR) + "/scenarios/" + name, o);
}

bool in_view(gs::world::World& w, std::size_t viewer, std::size_t member) {
  const std::string& pki_id = w.pki().by_name(w.info(member).name)->pki_id;
  for (const auto& m : w.peer(viewer)->gossip().peers())
    if (m.pki_id == pki_id) return true;
  return false;
}

std::string figures(const json& r) {
  const json& b = r["blocks"];
  std::ostringstream out;
  out << r["scenario"].get<std::string>() << ": peers " << r["peers"]["count"] << ", simulated "
      << r["sim"]["duration_s"] << " s, blocks " << b["injected"] << ", coverage " << b["coverage"]
      << ", complete " << b["complete_blocks"] << ", latency p50 "
      << (b["latency_s"].is_null() ? json(nullptr) : b["latency_s"]["p50"]) << " s, membership converged at "
      << r["membership"]["converged_at_s"] << " s, final accuracy " << r["membership"]["final_accuracy"]
      << ", messages " << r["messages"]["sent"];
  return out.str();
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Example scenarios, shortened. Each must load unchanged and run with sensible figures.
// Shortened runs end 1 s after a block injection: a block injected at the run's last
// instant counts as expected but cannot arrive anywhere but at the leaders
// (docs/report.md "expected peer").

TEST_CASE("example scenarios run (shortened)", "[scenario][examples]") {
  SECTION("default") {
    Run r(from_file("default.yaml", {{"duration", "51s"}}));
    r.finish();
    WARN(figures(r.report));
    CHECK(r.report["blocks"]["coverage"].get<double>() > 0.99);
    CHECK(r.report["membership"]["final_accuracy"].get<double>() == 1.0);
  }
  SECTION("wan") {
    Run r(from_file("wan.yaml", {{"duration", "51s"}}));
    r.finish();
    WARN(figures(r.report));
    CHECK(r.report["blocks"]["coverage"].get<double>() > 0.9);
    // Between-org latency (mean 40 ms) shows in the slowest receipts.
    CHECK(r.report["blocks"]["latency_s"]["max"].get<double>() > 0.02);
  }
  SECTION("partition-heal") {
    Run r(from_file("partition-heal.yaml", {{"duration", "100s"}, {"events", "[{at: 40s, partition: [[Org1, Org2], [Org3, Org4]]}, {at: 70s, heal: true}]"}}));
    r.finish();
    WARN(figures(r.report));
    const json& evs = r.report["events"];
    REQUIRE(evs.size() == 2);
    CHECK(evs[0]["kind"] == "partition");
    CHECK(evs[1]["kind"] == "heal");
    CHECK_FALSE(evs[1]["membership_converged_at_s"].is_null());  // views grew back after the heal
    CHECK(r.report["blocks"]["coverage"].get<double>() > 0.9);
  }
  SECTION("churn") {
    // The file's window (40 s to 200 s) ends after a shortened run: an error. The same peers
    // and rate, with the window up to the new end.
    Run r(from_file("churn.yaml", {{"duration", "90s"},
                                   {"events", "[{from: 40s, to: 90s, churn: {peers: [Org2.peer1, Org2.peer2, Org2.peer3, "
                                              "Org2.peer4, Org2.peer5, Org2.peer6, Org2.peer7, Org2.peer8, Org2.peer9, "
                                              "Org3.peer1, Org3.peer2, Org3.peer3, Org3.peer4, Org3.peer5, Org3.peer6, "
                                              "Org3.peer7, Org3.peer8, Org3.peer9], rate: 0.01/s, "
                                              "downtime: {dist: exponential, mean: 20s}}}]"}}));
    r.finish();
    WARN(figures(r.report));
    CHECK(r.report["blocks"]["injected"].get<int>() > 0);
    CHECK(r.report["blocks"]["coverage"].get<double>() > 0.5);
  }
  SECTION("topology") {
    Run r(from_file("topology.yaml", {{"duration", "45s"}}));
    r.finish();
    WARN(figures(r.report));
    CHECK(r.report["blocks"]["coverage"].get<double>() > 0.99);
    // Edges are 3 ms: a receipt by push crosses at least one edge.
    CHECK(r.report["blocks"]["latency_s"]["max"].get<double>() >= 0.003);
  }
  SECTION("core-yaml-import") {
    Run r(from_file("core-yaml-import.yaml", {{"duration", "45s"}}));
    CHECK_FALSE(r.scenario.gossip.use_leader_election);  // as core.yaml v2.5.0 states
    CHECK(r.scenario.gossip.org_leader);
    CHECK(r.scenario.gossip.pull_interval == gs::Duration::seconds(4));  // the explicit key wins
    r.finish();
    WARN(figures(r.report));
    CHECK(r.report["membership"]["final_accuracy"].get<double>() == 1.0);
    // Every peer is an org leader: each block reaches each of the 10 peers from the orderer.
    CHECK(r.report["blocks"]["via"]["orderer"] == 10 * r.report["blocks"]["injected"].get<int>());
  }
  SECTION("leader-election") {
    Run r(from_file("leader-election.yaml",
                    {{"duration", "121s"},
                     {"events", "[{at: 60s, crash: [Org1.peer0, Org1.peer1, Org1.peer2]}, "
                                "{at: 100s, restart: [Org1.peer0, Org1.peer1, Org1.peer2]}]"}}));
    r.finish();
    WARN(figures(r.report) << "; leadership " << r.report["leadership"].dump());
    for (const char* org : {"Org1", "Org2"}) {
      INFO(org);
      CHECK(r.report["leadership"]["ch1"][org]["final_leaders"].size() == 1);
      CHECK_FALSE(r.report["leadership"]["ch1"][org]["converged_at_s"].is_null());
    }
    CHECK_FALSE(r.report["events"][0]["leaders_converged_at_s"].is_null());  // re-elected after the crash
    CHECK(r.report["blocks"]["coverage"].get<double>() > 0.9);
  }
  SECTION("peer-lifecycle") {
    Run r(from_file("peer-lifecycle.yaml", {{"duration", "121s"}, {"events", "[{at: 50s, join: [Org1.peer5]}, {at: 70s, leave: {peer: Org2.peer4, channel: ch1}}, {at: 80s, revoke: [Org2.peer5]}]"}}));
    r.finish();
    WARN(figures(r.report));
    CHECK(r.report["blocks"]["coverage"].get<double>() > 0.98);
  }
}

TEST_CASE("example scenario large-1000 loads", "[scenario][examples]") {
  const Scenario s = from_file("large-1000.yaml", {});
  CHECK(s.peer_count() == 1000);
  CHECK(s.orgs.size() == 10);
}

// 1,000 peers (10 orgs x 100, one channel, static leader peer0 per org), shortened to the
// first 4 s of virtual time: about 0.64 M events, ~10 s of wall time in a Release build
// (results/benchmarks.md). What those 4 s hold: every peer learns its 999 fellows through
// membership requests and responses (bootstrap at start, discovery sync rounds every
// PullInterval = 4 s) and alive messages, and two blocks (1 s, 3 s) reach the 10 org
// leaders from the orderer. They reach nobody else yet, and that is Fabric v1.0's rule,
// not a slow simulator: a peer pushes a block only to channel members whose StateInfo
// it holds (spec §2.6, §5.2), and the first StateInfo is published after
// publishStateInfoInterval = 4 s. Why not longer: at 4 s all 1,000 peers publish their
// StateInfo, which floods the network (every peer forwards every StateInfo, ~2.8 M
// messages, and opens connections to nearly every other peer): the next second alone is
// ~15 M events. Block dissemination itself is tested on 40- and 100-peer networks.
TEST_CASE("example scenario large-1000 runs (shortened)", "[large][scenario][examples]") {
  Run r(from_file("large-1000.yaml", {{"duration", "4s"}, {"workload.start", "1s"}}));
  auto mean_view_size = [&r] {
    std::size_t total = 0;
    for (std::size_t i = 0; i < r.world->peer_count(); ++i) total += r.world->peer(i)->gossip().peers().size();
    return static_cast<double>(total) / static_cast<double>(r.world->peer_count());
  };
  std::vector<double> views;  // mean view size at 1 s, 2 s, 3 s, 4 s
  for (int s = 1; s <= 3; ++s) {
    r.world->run(gs::Time::zero() + gs::Duration::seconds(s));
    views.push_back(mean_view_size());
  }
  r.finish();
  views.push_back(mean_view_size());
  WARN(figures(r.report) << "; mean view size at 1..4 s: " << views[0] << ", " << views[1] << ", " << views[2]
                         << ", " << views[3]);

  CHECK(r.report["peers"]["count"] == 1000);
  CHECK(r.report["peers"]["crashed_at_end"] == 0);
  // Membership forms: views grow (473, 920, 991, 991 members on average at 1..4 s) and
  // end within 5 % of the 999 possible; over 3/4 of the peers hold an exact view (0.78).
  CHECK(views[0] < views[1]);
  CHECK(views[1] < views[2]);
  CHECK(views[2] <= views[3]);
  CHECK(views[3] > 950.0);
  CHECK(r.report["membership"]["final_accuracy"].get<double>() >= 0.75);
  // Blocks: injected at 1 s and 3 s; each reached all 10 leaders from the orderer, and
  // (see above) nobody else: coverage = 2 x 10 / (2 x 1000).
  const json& b = r.report["blocks"];
  CHECK(b["injected"] == 2);
  CHECK(b["via"]["orderer"] == 20);
  CHECK(b["deliveries"] == 20);
  CHECK(b["coverage"].get<double>() >= 0.01);
  CHECK(r.report["messages"]["by_type"]["MembershipResponse"]["sent"].get<int>() > 10000);
}

// ---------------------------------------------------------------------------------------
// Timeline events: join, leave, revoke.

TEST_CASE("join: a late peer does not run before its join event", "[scenario][timeline]") {
  Run r(from_text(R"(name: join
duration: 40s
orgs:
  - { name: Org1, peers: 4, leaders: [0, 3] }
network: { latency: 2ms }
workload: { block_interval: 2s, block_size: 1KiB, start: 5s }
events:
  - { at: 20s, join: [Org1.peer3] }
)"));
  const std::size_t late = r.index("Org1.peer3");
  CHECK(r.scenario.starts_later("Org1.peer3"));
  r.world->run(gs::Time::zero() + gs::Duration::seconds(19));
  CHECK(r.world->peer(late) == nullptr);
  CHECK_FALSE(in_view(*r.world, 0, late));
  r.finish();
  REQUIRE(r.world->peer(late) != nullptr);
  CHECK(in_view(*r.world, 0, late));
  CHECK(in_view(*r.world, late, 0));
  // A static leader catches up from the orderer when it starts: its ledger is complete.
  CHECK(r.world->ledger(late, "ch1").height() == r.world->ledger(0, "ch1").height());
  CHECK(r.report["events"][0]["kind"] == "join");
  CHECK(r.report["config"]["events"][0]["peers"] == json::array({"Org1.peer3"}));
  CHECK(r.report["peers"]["crashed_at_end"] == 0);
  CHECK(r.report["membership"]["final_accuracy"] == 1.0);
}

TEST_CASE("leave: a peer leaves a channel under a latest profile", "[scenario][timeline]") {
  Run r(from_text(R"(name: leave
duration: 40s
profile: fabric-2.5
orgs: { count: 1, peers: 3 }
network: { latency: 2ms }
workload: { block_interval: 2s, block_size: 1KiB, start: 5s }
events:
  - { at: 20s, leave: { peer: Org1.peer2, channel: ch1 } }
)"));
  r.world->run(gs::Time::zero() + gs::Duration::seconds(19));
  CHECK(r.world->peer(0)->gossip().peers_of_channel("ch1").size() == 2);
  r.finish();
  // As Fabric's TestLeaveChannel: the others see one channel peer, the leaver sees none.
  CHECK(r.world->peer(0)->gossip().peers_of_channel("ch1").size() == 1);
  CHECK(r.world->peer(1)->gossip().peers_of_channel("ch1").size() == 1);
  CHECK(r.world->peer(2)->gossip().peers_of_channel("ch1").empty());
  // It stays in discovery: the org is still in the channel.
  CHECK(in_view(*r.world, 0, 2));
  CHECK(r.report["events"][0]["kind"] == "leave");
  CHECK(r.report["config"]["events"][0]["peer"] == "Org1.peer2");
  CHECK(r.report["config"]["events"][0]["channel"] == "ch1");
  // A peer that leaves is expected for no block: 2 peers × every block.
  const auto injected = r.report["blocks"]["injected"].get<std::uint64_t>();
  CHECK(r.report["blocks"]["expected_deliveries"] == 2 * injected);
}

TEST_CASE("revoke: the other peers purge a revoked identity", "[scenario][timeline]") {
  Run r(from_text(R"(name: revoke
duration: 90s
orgs: { count: 1, peers: 3 }
network: { latency: 2ms }
workload: { block_interval: 2s, block_size: 1KiB, start: 5s }
events:
  - { at: 20s, revoke: [Org1.peer2] }
)"));
  const std::size_t revoked = r.index("Org1.peer2");
  r.world->run(gs::Time::zero() + gs::Duration::seconds(19));
  CHECK(in_view(*r.world, 0, revoked));
  r.finish();
  CHECK(r.world->pki().is_revoked(r.world->pki().by_name("Org1.peer2")->pki_id));
  CHECK_FALSE(in_view(*r.world, 0, revoked));
  CHECK_FALSE(in_view(*r.world, 1, revoked));
  CHECK(r.report["events"][0]["kind"] == "revoke");
  CHECK_FALSE(r.report["events"][0]["membership_converged_at_s"].is_null());
  CHECK(r.report["membership"]["final_accuracy"] == 1.0);
  const auto injected = r.report["blocks"]["injected"].get<std::uint64_t>();
  CHECK(r.report["blocks"]["expected_deliveries"] == 2 * injected);
}

// ---------------------------------------------------------------------------------------
// report.json against hand-computed values.
//
// 1 org × 3 peers, peer0 the static leader, 3 blocks of 1 KiB at 10 s, 12 s, 14 s, a 2 ms
// LAN without loss, 20 s. By 10 s every view holds the two other peers (membership needs
// one alive round: 5 s). Then, per block:
//  - peer0 gets it from the orderer at its injection instant: via.orderer = 3, latency 0;
//  - every peer gossips a new block once to min(propagatePeerNum = 3, its 2 members) = 2
//    peers, so peer1 and peer2 first get it by push from peer0: via.push = 2 × 3 = 6, and
//    DataMessages sent = 3 peers × 2 × 3 blocks = 18 (6 per block);
//  - every peer is up from start to end: expected = 3 × 3 = 9, all delivered, coverage 1.

TEST_CASE("report.json: hand-computed figures of a small run", "[scenario][report]") {
  Run r(from_text(R"(name: hand
duration: 20s
orgs: { count: 1, peers: 3 }
network: { latency: 2ms }
workload: { block_interval: 2s, block_size: 1KiB, start: 10s, count: 3 }
)"));
  r.finish();
  const json& j = r.report;
  CHECK(j["schema"] == "gossipsim.report/1");
  CHECK(j["scenario"] == "hand");
  CHECK(j["seed"] == 1);
  CHECK(j["profile"] == "fabric-1.0");
  CHECK(j["sim"]["duration_s"] == 20.0);
  CHECK(j["peers"]["count"] == 3);
  CHECK(j["peers"]["crashed_at_end"] == 0);
  const json& b = j["blocks"];
  CHECK(b["injected"] == 3);
  CHECK(b["expected_deliveries"] == 9);
  CHECK(b["deliveries"] == 9);
  CHECK(b["coverage"] == 1.0);
  CHECK(b["complete_blocks"] == 3);
  CHECK(b["via"]["orderer"] == 3);
  CHECK(b["via"]["push"] == 6);
  CHECK(b["via"]["pull"] == 0);
  CHECK(b["via"]["state_transfer"] == 0);
  // Nearest-rank percentiles over the 9 latencies: 3 of them (the leader's) are 0, so the
  // p50 (5th value) is a push receipt, at least the 2 ms one-way latency.
  CHECK(b["latency_s"]["p50"].get<double>() >= 0.002);
  CHECK(b["latency_s"]["max"].get<double>() < 0.1);
  CHECK(j["messages"]["by_type"]["DataMessage"]["sent"] == 18);
  CHECK(j["messages"]["data_messages_per_block"] == 6.0);
  CHECK(j["membership"]["final_accuracy"] == 1.0);
  CHECK(j["membership"]["converged_at_s"].get<double>() <= 10.0);
  CHECK(j["leadership"]["ch1"]["Org1"]["final_leaders"] == json::array({"Org1.peer0"}));
  CHECK(j["leadership"]["ch1"]["Org1"]["changes"] == 1);
  CHECK(j["events"].empty());
  CHECK(b["refills"] == json({{"orderer", 0}, {"push", 0}, {"pull", 0}, {"state_transfer", 0}}));
  CHECK(j["ledgers"]["ch1"] == json({{"chain_height", 4}, {"running_members", 3}, {"complete", 3}, {"min_height", 4}}));

  // bytes_per_peer_per_s_from_first_block: the bytes of the samples after the first block
  // (injected at 10 s) over 3 peers x 10 s. Sends at exactly 10 s fall in the sample ending
  // at 10 s, so allow the few alive messages of that instant.
  const std::string series = gs::report::timeseries_csv(*r.recorder);
  std::istringstream rows(series);
  std::string row;
  std::getline(rows, row);
  double after_first_block = 0;
  while (std::getline(rows, row)) {
    std::vector<std::string> cells;
    std::istringstream cs(row);
    for (std::string c; std::getline(cs, c, ',');) cells.push_back(c);
    if (std::stod(cells[0]) <= 10.0) continue;
    for (std::size_t k = 6; k < cells.size(); k += 2) after_first_block += std::stod(cells[k]);
  }
  const double per_peer_s = j["messages"]["bytes_per_peer_per_s_from_first_block"].get<double>();
  CHECK(per_peer_s == Approx(after_first_block / 30.0).epsilon(0.05));
  CHECK(per_peer_s != Approx(j["messages"]["bytes_per_peer_per_s"].get<double>()).epsilon(0.05));

  // blocks.csv: one row per block with the same figures.
  const std::string csv = gs::report::blocks_csv(r.scenario, *r.world, *r.recorder);
  CHECK(csv.rfind("channel,seq,injected_at_s,expected_peers,reached_peers,time_to_all_s,orderer,push,pull,state_transfer\n", 0) == 0);
  CHECK_THAT(csv, Catch::Contains("\nch1,1,10.000000000,3,3,"));
  CHECK_THAT(csv, Catch::Contains("\nch1,3,14.000000000,3,3,"));
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 4);
  // timeseries.csv: one sample per second, the last at the end of the run.
  const std::string ts = gs::report::timeseries_csv(*r.recorder);
  CHECK(std::count(ts.begin(), ts.end(), '\n') == 21);
  CHECK_THAT(ts, Catch::Contains("\n20.000,1.000000,1.000000,1,"));
}

// A wiped ledger is refilled: its receipts of blocks it had before are refills, not first
// receipts, and at the end every running member holds the whole chain (docs/report.md).
TEST_CASE("report.json: refills of a wiped ledger and the ledgers at the end", "[scenario][report]") {
  Run r(from_text(R"(name: wipe
duration: 40s
orgs: { count: 1, peers: 4 }
network: { latency: 2ms }
workload: { block_interval: 1s, block_size: 1KiB, start: 5s }
events:
  - { at: 10.5s, crash: [Org1.peer2] }
  - { at: 12.5s, restart: [Org1.peer2], wipe: true }
)"));
  r.finish();
  const json& b = r.report["blocks"];
  const auto injected = b["injected"].get<std::uint64_t>();
  CHECK(injected == 35);  // 5 s, 6 s, ..., 39 s: strictly before the end
  const auto sum = [](const json& paths) {
    return paths["orderer"].get<std::uint64_t>() + paths["push"].get<std::uint64_t>() + paths["pull"].get<std::uint64_t>() +
           paths["state_transfer"].get<std::uint64_t>();
  };
  // Every peer receives every block once for the first time (peer2 catches up on 11 s and
  // 12 s after its restart)...
  CHECK(sum(b["via"]) == 4 * injected);
  // ... and peer2 receives again the 6 blocks (5 s .. 10 s) its wiped ledger lost.
  CHECK(sum(b["refills"]) == 6);
  CHECK(b["refills"]["orderer"] == 0);
  CHECK(r.report["ledgers"]["ch1"] == json({{"chain_height", injected + 1}, {"running_members", 4}, {"complete", 4},
                                            {"min_height", injected + 1}}));
  CHECK(r.world->ledger(r.index("Org1.peer2"), "ch1").height() == injected + 1);
}

// ---------------------------------------------------------------------------------------
// Determinism of `gossipsim run`: same seed, same bytes.

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// report.json without the wall-clock field.
std::string report_without_wall(const std::filesystem::path& dir) {
  json j = json::parse(slurp(dir / "report.json"));
  j["sim"].erase("wall_s");
  return j.dump(2);
}

void run_cli(const std::string& args) {
  const std::string cmd = std::string("\"") + GOSSIPSIM_BINARY + "\" run " + args + " --quiet --trace";
  const int status = std::system(cmd.c_str());
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
}

}  // namespace

TEST_CASE("gossipsim run: the same seed gives byte-identical outputs", "[scenario][determinism][cli]") {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "gossipsim-determinism";
  std::filesystem::remove_all(dir);
  const std::string scenario = std::string(GOSSIPSIM_SOURCE_DIR) + "/scenarios/wan.yaml";
  const std::string shorten = " --set duration=40s --set network.loss=0.02";
  run_cli(scenario + shorten + " --seed 7 --out " + (dir / "a").string());
  run_cli(scenario + shorten + " --seed 7 --out " + (dir / "b").string());
  run_cli(scenario + shorten + " --seed 8 --out " + (dir / "c").string());

  CHECK(report_without_wall(dir / "a") == report_without_wall(dir / "b"));
  for (const char* f : {"timeseries.csv", "blocks.csv", "trace.jsonl"}) {
    INFO(f);
    const std::string a = slurp(dir / "a" / f);
    CHECK_FALSE(a.empty());
    CHECK(a == slurp(dir / "b" / f));
  }
  // Another seed draws other latencies: the trace and the report differ.
  CHECK(slurp(dir / "a" / "trace.jsonl") != slurp(dir / "c" / "trace.jsonl"));
  CHECK(report_without_wall(dir / "a") != report_without_wall(dir / "c"));
  std::filesystem::remove_all(dir);
}
