// What a valid scenario resolves to beyond its values (docs/scenarios.md): the warnings
// `check` and `run` print for a workload that injects no block, a core.yaml import with
// Fabric's code defaults for keys it leaves out or sets to 0, and where every gossip key's
// value came from (`gossipsim check --resolved`).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "../shell_command.hpp"
#include "sim/scenario/scenario_loader.hpp"

namespace {

using gs::Duration;
using gs::scenario::LoadOptions;
using gs::scenario::ParamOrigin;
using gs::scenario::Scenario;

constexpr const char* kHead = "name: t\norgs: { count: 2, peers: 3 }\n";  // lines 1-2

Scenario load(const std::string& yaml, LoadOptions o = {}) { return gs::scenario::load_scenario_text(yaml, "w.yaml", o); }

std::string only_warning(const Scenario& s) {
  REQUIRE(s.warnings.size() == 1);
  return s.warnings.front().text();
}

}  // namespace

TEST_CASE("scenario warnings: a workload that injects no block before the end", "[scenario][warnings]") {
  SECTION("the default start after a short duration: at the duration") {
    CHECK(only_warning(load(kHead + std::string("duration: 20s\n"))) ==
          "w.yaml:3:11: workload.start 30s (the default) is not before duration 20s: no block will be injected");
  }
  SECTION("an explicit start: at the start") {
    CHECK(only_warning(load(kHead + std::string("duration: 30s\nworkload:\n  start: 40s\n"))) ==
          "w.yaml:5:10: workload.start 40s is not before duration 30s: no block will be injected");
  }
  SECTION("start at the last instant: blocks are injected strictly before the end") {
    CHECK(only_warning(load(kHead + std::string("duration: 30s\n"))) ==
          "w.yaml:3:11: workload.start 30s (the default) is not before duration 30s: no block will be injected");
  }
  SECTION("no leader in a channel: blocks reach nobody") {
    CHECK(only_warning(load("name: t\norgs: [{ name: A, peers: 2, leaders: [] }]\n")) ==
          "w.yaml:2:7: channel ch1: no org has a static leader (orgs[].leaders are empty) and neither "
          "useLeaderElection nor orgLeader is on: no peer receives blocks from the orderer");
    CHECK(load("name: t\norgs: [{ name: A, peers: 2, leaders: [] }]\ngossip: { useLeaderElection: true }\n")
              .warnings.empty());
  }
  SECTION("count 0") {
    CHECK(only_warning(load(kHead + std::string("workload: { count: 0 }\n"))) ==
          "w.yaml:3:20: workload.count is 0: no block will be injected");
  }
  SECTION("a --set duration names the option") {
    LoadOptions o;
    o.overrides.emplace_back("duration", "10s");
    CHECK(only_warning(load(kHead, o)) ==
          "--set duration=10s: workload.start 30s (the default) is not before duration 10s: no block will be injected");
  }
  SECTION("no warning when a block is injected before the end") {
    CHECK(load(kHead + std::string("duration: 31s\n")).warnings.empty());
    CHECK(load(kHead + std::string("duration: 20s\nworkload: { start: 0s }\n")).warnings.empty());
  }
}

TEST_CASE("example scenarios warn only about what they mean", "[scenario][warnings][examples]") {
  for (const auto& entry : std::filesystem::directory_iterator(std::string(GOSSIPSIM_SOURCE_DIR) + "/scenarios")) {
    if (entry.path().extension() != ".yaml") continue;
    INFO(entry.path().string());
    const Scenario s = gs::scenario::load_scenario_file(entry.path().string());
    if (entry.path().filename() == "discovery-100.yaml") {  // membership only, on purpose
      REQUIRE(s.warnings.size() == 1);
      CHECK_THAT(s.warnings.front().text(), Catch::EndsWith("workload.count is 0: no block will be injected"));
    } else {
      CHECK(s.warnings.empty());
    }
  }
}

TEST_CASE("sample_interval sets the metrics resolution", "[scenario]") {
  CHECK(load(kHead).sample_interval == Duration::seconds(1));
  CHECK(load(kHead + std::string("sample_interval: 100ms\n")).sample_interval == Duration::milliseconds(100));
}

TEST_CASE("core.yaml import: Fabric's code defaults and where each value came from", "[scenario][import]") {
  const std::filesystem::path dir = gs::testing::scratch_dir("resolution-import");
  std::ofstream(dir / "core.yaml") << "peer:\n"
                                      "  gossip:\n"
                                      "    pullInterval: 2s\n"          // line 3: stated
                                      "    pullPeerNum: 0\n"            // line 4: 0 -> code default
                                      "    aliveTimeInterval: 2s\n"     // line 5
                                      "    aliveExpirationTimeout: 0\n"  // line 6: 5 x aliveTimeInterval
                                      "    election:\n"
                                      "      leaderAliveThreshold: 0s\n";  // line 8
  std::ofstream(dir / "s.yaml") << "name: s\n"
                                   "profile: fabric-3.0\n"
                                   "orgs: { count: 1, peers: 2 }\n"
                                   "gossip:\n"
                                   "  import: core.yaml\n"
                                   "  propagatePeerNum: 4\n";  // line 6
  LoadOptions o;
  o.overrides.emplace_back("gossip.digestWaitTime", "2s");
  const Scenario s = gs::scenario::load_scenario_file((dir / "s.yaml").string(), o);
  const std::string core = (dir / "core.yaml").string();
  CHECK(s.gossip_import == core);

  // Values: stated, 0 and absent keys (code defaults), derived code defaults.
  CHECK(s.gossip.pull_interval == Duration::seconds(2));
  CHECK(s.gossip.pull_peer_num == 3);
  CHECK(s.gossip.send_buff_size == 20);                                 // absent: code default, not core.yaml's 200
  CHECK(s.gossip.alive_expiration_timeout == Duration::seconds(10));    // 5 x the imported aliveTimeInterval
  CHECK(s.gossip.reconnect_interval == Duration::seconds(10));          // = aliveExpirationTimeout
  CHECK(s.gossip.block_gossip_enabled);                                 // absent: true, although fabric-3.0 says false
  CHECK(s.gossip.election.leader_alive_threshold == Duration::seconds(10));
  CHECK(s.gossip.propagate_peer_num == 4);
  CHECK(s.gossip.digest_wait_time == Duration::seconds(2));

  auto origin = [&](const char* key) { return s.gossip_sources.at(key); };
  CHECK(origin("pullInterval").origin == ParamOrigin::core_yaml);
  CHECK(origin("pullInterval").loc.file == core);
  CHECK(origin("pullInterval").loc.line == 3);
  CHECK(origin("pullPeerNum").origin == ParamOrigin::code_default);
  CHECK(origin("pullPeerNum").loc.line == 4);
  CHECK(origin("sendBuffSize").origin == ParamOrigin::code_default);
  CHECK(origin("sendBuffSize").loc.line == 0);
  CHECK(origin("election.leaderAliveThreshold").origin == ParamOrigin::code_default);
  CHECK(origin("election.leaderAliveThreshold").loc.line == 8);
  CHECK(origin("propagatePeerNum").origin == ParamOrigin::scenario);
  CHECK(origin("propagatePeerNum").loc.file == (dir / "s.yaml").string());
  CHECK(origin("propagatePeerNum").loc.line == 6);
  CHECK(origin("digestWaitTime").origin == ParamOrigin::option);
  CHECK(origin("digestWaitTime").loc.file == "--set gossip.digestWaitTime=2s");

  // The derived code defaults see the merged configuration: an aliveTimeInterval set by
  // --set (or the scenario) over the imported one gives 5 x that value.
  LoadOptions faster = o;
  faster.overrides.emplace_back("gossip.aliveTimeInterval", "1s");
  const Scenario f = gs::scenario::load_scenario_file((dir / "s.yaml").string(), faster);
  CHECK(f.gossip.alive_expiration_timeout == Duration::seconds(5));
  CHECK(f.gossip.reconnect_interval == Duration::seconds(5));
  CHECK(f.gossip_sources.at("aliveExpirationTimeout").origin == ParamOrigin::code_default);

  // Without an import, untouched keys keep the profile default and have no entry.
  const Scenario plain = load(kHead + std::string("gossip: { pullInterval: 3s }\n"));
  CHECK(plain.gossip_import.empty());
  CHECK(plain.gossip_sources.size() == 1);
  CHECK(plain.gossip_sources.at("pullInterval").origin == ParamOrigin::scenario);
  std::filesystem::remove_all(dir);
}
