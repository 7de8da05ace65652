// Scenario mistakes (DESIGN.md "Scenario files", docs/scenarios.md): each one is rejected
// with the exact file:line:column, the offending key and a message saying what was
// expected. Columns are located from the text of the line (the n-th occurrence of a
// token), so each expectation reads as "the error points at this word".
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <sys/wait.h>

#include "../shell_command.hpp"
#include "sim/scenario/scenario_loader.hpp"

namespace {

using gs::scenario::LoadOptions;
using gs::scenario::ScenarioError;
using gs::scenario::load_scenario_text;

constexpr const char* kFile = "mistake.yaml";

std::string line_of(const std::string& text, int line) {
  std::size_t begin = 0;
  for (int i = 1; i < line; ++i) begin = text.find('\n', begin) + 1;
  return text.substr(begin, text.find('\n', begin) - begin);
}

// 1-based column of the `occurrence`-th `token` on `line` of `text`.
int column_of(const std::string& text, int line, const std::string& token, int occurrence) {
  const std::string l = line_of(text, line);
  std::size_t pos = l.find(token);
  for (int i = 1; i < occurrence && pos != std::string::npos; ++i) pos = l.find(token, pos + 1);
  REQUIRE(pos != std::string::npos);
  return static_cast<int>(pos) + 1;
}

ScenarioError load_error(const std::string& yaml, const LoadOptions& options = {}) {
  try {
    load_scenario_text(yaml, kFile, options);
  } catch (const ScenarioError& e) {
    return e;
  }
  FAIL("the scenario was accepted:\n" << yaml);
  throw;  // unreachable: FAIL throws
}

struct Where {
  int line;
  std::string token;  // the error's column is where this token starts on that line
  int occurrence = 1;
};

void require_error(const std::string& yaml, Where where, const std::string& key,
                   std::initializer_list<std::string> gist) {
  const ScenarioError e = load_error(yaml);
  INFO("error: " << e.what());
  CHECK(e.loc().file == kFile);
  CHECK(e.loc().line == where.line);
  CHECK(e.loc().column == column_of(yaml, where.line, where.token, where.occurrence));
  CHECK(e.key() == key);
  for (const std::string& g : gist) CHECK_THAT(e.what(), Catch::Contains(g));
  // The message starts with file:line:column, as editors and compilers print it.
  CHECK_THAT(e.what(), Catch::StartsWith(std::string(kFile) + ":" + std::to_string(where.line) + ":"));
}

// An option's mistake names the option instead of a file position.
void require_option_error(const std::string& yaml, const std::string& key, const std::string& value,
                          const std::string& error_key, std::initializer_list<std::string> gist) {
  LoadOptions o;
  o.overrides.emplace_back(key, value);
  const ScenarioError e = load_error(yaml, o);
  INFO("error: " << e.what());
  CHECK(e.loc().file == "--set " + key + "=" + value);
  CHECK(e.loc().line == 0);
  CHECK(e.key() == error_key);
  for (const std::string& g : gist) CHECK_THAT(e.what(), Catch::Contains(g));
}

const std::string kHead = "name: t\norgs: { count: 2, peers: 3 }\n";  // lines 1-2

}  // namespace

TEST_CASE("scenario errors: unknown keys get a did-you-mean hint", "[scenario][errors]") {
  SECTION("top-level key") {
    require_error(kHead + "duraton: 10s\n", {3, "duraton"}, "duraton", {"unknown key", "did you mean \"duration\"?"});
  }
  SECTION("gossip key") {
    require_error(kHead + "gossip:\n  propagatePeerNu: 3\n", {4, "propagatePeerNu"}, "gossip.propagatePeerNu",
                  {"unknown gossip key", "did you mean \"propagatePeerNum\"?", "gossipsim params"});
  }
  SECTION("nested gossip key") {
    require_error(kHead + "gossip:\n  election:\n    leaderAliveThreshhold: 10s\n", {5, "leaderAlive"},
                  "gossip.election.leaderAliveThreshhold", {"did you mean \"election.leaderAliveThreshold\"?"});
  }
  SECTION("dotted gossip key") {
    require_error(kHead + "gossip:\n  state.enabeld: true\n", {4, "state"}, "gossip.state.enabeld",
                  {"did you mean \"state.enabled\"?"});
  }
  SECTION("key inside an event") {
    require_error(kHead + "events:\n  - { at: 10s, restart: [Org1.peer1], wip: true }\n", {4, "wip"}, "events[0].wip",
                  {"did you mean \"wipe\"?"});
  }
  SECTION("per-peer core.yaml key under gossip") {
    require_error(kHead + "gossip: { bootstrap: 127.0.0.1 }\n", {3, "bootstrap"}, "gossip.bootstrap",
                  {"orgs[].bootstrap"});
  }
}

TEST_CASE("scenario errors: typed values", "[scenario][errors]") {
  SECTION("a list where a number is expected") {
    require_error(kHead + "gossip:\n  propagatePeerNum: [3]\n", {4, "["}, "gossip.propagatePeerNum",
                  {"expected a non-negative integer, found a list"});
  }
  SECTION("bad duration") {
    require_error(kHead + "duration: 10 seconds\n", {3, "10"}, "duration", {"invalid duration \"10 seconds\"", "1m30s"});
  }
  SECTION("zero duration") {
    require_error(kHead + "duration: 0s\n", {3, "0s"}, "duration", {"must be positive"});
  }
  SECTION("negative duration") {
    require_error(kHead + "duration: -5m\n", {3, "-5m"}, "duration", {"must be positive"});
  }
  SECTION("bad size") {
    require_error(kHead + "workload:\n  block_size: 32Kb\n", {4, "32Kb"}, "workload.block_size",
                  {"unknown unit \"Kb\"", "KiB"});
  }
  SECTION("bad rate") {
    require_error(kHead + "network: { bandwidth: 1GB }\n", {3, "1GB"}, "network.bandwidth",
                  {"unknown unit \"GB\"", "Gbps"});
  }
  SECTION("probability out of range") {
    require_error(kHead + "network: { loss: 1.5 }\n", {3, "1.5"}, "network.loss",
                  {"expected a probability in [0, 1], got 1.5"});
  }
  SECTION("probability written as a percentage") {
    require_error(kHead + "network: { loss: 2% }\n", {3, "2%"}, "network.loss",
                  {"network.loss: expected a probability in [0, 1], e.g. 0.02, got \"2%\" (a percentage: write 0.02)"});
  }
  SECTION("every probability key says what a probability is") {
    require_error(kHead + "network: { between_orgs: { loss: high } }\n", {3, "high"}, "network.between_orgs.loss",
                  {"expected a probability in [0, 1], e.g. 0.02, got \"high\""});
    require_error(kHead + "network: { topology: { generator: erdos_renyi, p: 10% } }\n", {3, "10%"},
                  "network.topology.p", {"expected a probability in [0, 1], e.g. 0.02, got \"10%\" (a percentage: write 0.1)"});
    require_error(kHead + "network: { latency: { dist: empirical, points: [[1ms, half], [2ms, 1]] } }\n", {3, "half"},
                  "network.latency.points", {"expected a probability in [0, 1], e.g. 0.02, got \"half\""});
    require_error(kHead + "events:\n  - { at: 1s, set: { network.loss: [0.1] } }\n", {4, "[0.1]"}, "network.loss",
                  {"expected a probability in [0, 1], e.g. 0.02, found a list"});
  }
  SECTION("size unit of another spelling") {
    require_error(kHead + "workload:\n  block_size: 64kb\n", {4, "64kb"}, "workload.block_size",
                  {"invalid size \"64kb\": unknown unit \"kb\" (one of B, kB, KB, MB, GB, KiB, MiB, GiB)"});
  }
  SECTION("zero sample interval") {
    require_error(kHead + "sample_interval: 0s\n", {3, "0s"}, "sample_interval", {"must be positive"});
  }
  SECTION("negative latency") {
    require_error(kHead + "network: { latency: -2ms }\n", {3, "-2ms"}, "network.latency", {"must not be negative"});
  }
  SECTION("boolean spelt yes") {
    require_error(kHead + "gossip: { useLeaderElection: yes }\n", {3, "yes"}, "gossip.useLeaderElection",
                  {"expected true or false, got \"yes\""});
  }
  SECTION("unknown profile") {
    require_error(kHead + "profile: fabric-2.0\n", {3, "fabric"}, "profile",
                  {"unknown profile \"fabric-2.0\"", "fabric-2.5"});
  }
}

TEST_CASE("scenario errors: orgs and channels", "[scenario][errors]") {
  SECTION("missing name") {
    require_error("orgs: { count: 2, peers: 3 }\n", {1, "orgs"}, "name", {"required key is missing"});
  }
  SECTION("missing orgs") {
    require_error("name: t\nduration: 1m\n", {1, "name"}, "orgs", {"required key is missing"});
  }
  SECTION("peer index out of range in anchors") {
    require_error("name: t\norgs:\n  - { name: Org1, peers: 3, anchors: [0, 5] }\n", {3, "5"}, "orgs[0].anchors",
                  {"peer index 5 does not exist (the org has 3 peers: 0..2)"});
  }
  SECTION("peer index out of range in leaders") {
    require_error("name: t\norgs:\n  - { name: Org1, peers: 3, leaders: [3] }\n", {3, "3", 2}, "orgs[0].leaders",
                  {"peer index 3 does not exist"});
  }
  SECTION("duplicate org") {
    require_error("name: t\norgs:\n  - { name: Org1, peers: 3 }\n  - { name: Org1, peers: 2 }\n", {4, "Org1"},
                  "orgs[1].name", {"duplicate org \"Org1\""});
  }
  SECTION("org with no peers") {
    require_error("name: t\norgs: { count: 2, peers: 0 }\n", {2, "0"}, "orgs.peers", {"at least one peer"});
  }
  SECTION("an org out of range in a channel: what exists, not a did-you-mean") {
    require_error(kHead + "channels:\n  - { name: ch1, orgs: [Org1, Org3] }\n", {4, "Org3"}, "channels[0].orgs",
                  {"channels[0].orgs: unknown org \"Org3\" (the orgs are Org1, Org2)"});
  }
  SECTION("a misspelt org in a channel") {
    require_error(kHead + "channels:\n  - { name: ch1, orgs: [Org1, org2] }\n", {4, "org2"}, "channels[0].orgs",
                  {"unknown org \"org2\" (did you mean \"Org2\"?)"});
  }
  SECTION("orgs as a list of names") {
    require_error("name: t\norgs: [Org1, Org2]\n", {2, "Org1"}, "orgs[0]",
                  {"\"Org1\" is not an org: an org of the list is a mapping such as { name: Org1, peers: 4 }",
                   "the short form orgs: { count: N, peers: M }",
                   "the full form, a list with one mapping per org: orgs: [{ name: Org1, peers: M }, { name: Org2, peers: M }]"});
  }
  SECTION("orgs as a number") {
    require_error("name: t\norgs: 4\n", {2, "4"}, "orgs",
                  {"expected the short form orgs: { count: N, peers: M }", "or the full form"});
  }
  SECTION("useLeaderElection and orgLeader both true") {
    require_error(kHead + "gossip:\n  useLeaderElection: true\n  orgLeader: true\n", {4, "useLeaderElection"}, "gossip",
                  {"useLeaderElection and orgLeader are both true", "spec §7.1"});
  }
  SECTION("static leaders with useLeaderElection") {
    require_error("name: t\ngossip: { useLeaderElection: true }\norgs:\n  - { name: Org1, peers: 3, leaders: [1] }\n",
                  {4, "[1]"}, "orgs[0].leaders", {"static leaders with useLeaderElection: true", "spec §7.1"});
  }
}

TEST_CASE("scenario errors: network", "[scenario][errors]") {
  SECTION("unknown latency distribution") {
    require_error(kHead + "network: { latency: { dist: gamma, mean: 2ms } }\n", {3, "gamma"}, "network.latency.dist",
                  {"unknown distribution \"gamma\"", "lognormal"});
  }
  SECTION("empirical CDF not ending at 1") {
    require_error(kHead + "network: { latency: { dist: empirical, points: [[1ms, 0.5], [5ms, 0.9]] } }\n",
                  {3, "{", 2}, "network.latency", {"the last point's cumulative probability must be 1"});
  }
  SECTION("grid topology without rows") {
    require_error(kHead + "network: { topology: { generator: grid, cols: 3 } }\n", {3, "{", 2}, "network.topology",
                  {"the grid generator needs rows and cols"});
  }
  SECTION("unknown transport") {
    require_error(kHead + "network: { transport: udp }\n", {3, "udp"}, "network.transport",
                  {"expected stream or datagram, got \"udp\""});
  }
}

TEST_CASE("scenario errors: timeline events", "[scenario][errors]") {
  SECTION("a peer index out of range in an event: the org's range") {
    require_error(kHead + "events:\n  - { at: 10s, crash: [Org1.peer7] }\n", {4, "Org1.peer7"}, "events[0].crash",
                  {"unknown org or peer \"Org1.peer7\" (Org1 has peers 0..2)"});
  }
  SECTION("an org out of range in an event: the orgs") {
    require_error("name: t\norgs: { count: 3, peers: 8 }\nevents:\n  - { at: 20s, partition: [[Org1, Org2], [Org4]] }\n",
                  {4, "Org4"}, "events[0].partition", {"unknown org or peer \"Org4\" (the orgs are Org1..Org3)"});
    require_error("name: t\norgs: { count: 3, peers: 8 }\nevents:\n  - { at: 20s, crash: [Org4.peer1] }\n",
                  {4, "Org4.peer1"}, "events[0].crash", {"unknown org or peer \"Org4.peer1\" (the orgs are Org1..Org3)"});
  }
  SECTION("a misspelt org or peer in an event") {
    require_error(kHead + "events:\n  - { at: 10s, crash: [org2] }\n", {4, "org2"}, "events[0].crash",
                  {"unknown org or peer \"org2\" (did you mean \"Org2\"?)"});
    require_error(kHead + "events:\n  - { at: 10s, crash: [Org1.pear1] }\n", {4, "Org1.pear1"}, "events[0].crash",
                  {"unknown org or peer \"Org1.pear1\" (did you mean \"Org1.peer1\"? Org1 has peers 0..2)"});
  }
  SECTION("event after the end: the error points at the at value") {
    require_error("name: t\nduration: 1m\norgs: { count: 2, peers: 3 }\nevents:\n  - { at: 2m, heal: true }\n",
                  {5, "2m"}, "events[0].at", {"events[0].at: at 2m0s is after the end of the run (duration 1m0s)"});
  }
  SECTION("churn window ending after the end") {
    require_error("name: t\nduration: 1m\norgs: { count: 2, peers: 3 }\nevents:\n"
                  "  - { from: 10s, to: 70s, churn: { peers: [Org1], rate: 0.05/s } }\n",
                  {5, "70s"}, "events[0].to", {"events[0].to: to 1m10s is after the end of the run (duration 1m0s)"});
  }
  SECTION("churn window starting after the end") {
    require_error("name: t\nduration: 1m\norgs: { count: 2, peers: 3 }\nevents:\n"
                  "  - { from: 61s, to: 62s, churn: { peers: [Org1], rate: 0.05/s } }\n",
                  {5, "61s"}, "events[0].from", {"from 1m1s is after the end of the run (duration 1m0s)"});
  }
  SECTION("an event after a --set duration") {
    LoadOptions o;
    o.overrides.emplace_back("duration", "30s");
    const ScenarioError e = load_error(kHead + "events:\n  - { at: 40s, heal: true }\n", o);
    CHECK(std::string(e.what()) == "mistake.yaml:4:11: events[0].at: at 40s is after the end of the run (duration 30s)");
  }
  SECTION("negative event time") {
    require_error(kHead + "events:\n  - { at: -5s, heal: true }\n", {4, "-5s"}, "events[0].at", {"must not be negative"});
  }
  SECTION("two kinds in one event") {
    require_error(kHead + "events:\n  - { at: 10s, crash: [Org1.peer1], heal: true }\n", {4, "{"}, "events[0]",
                  {"one kind per event, found heal and crash"});
  }
  SECTION("an event without a kind") {
    require_error(kHead + "events:\n  - { at: 10s }\n", {4, "{"}, "events[0]", {"an event needs one of", "revoke"});
  }
  SECTION("one_way with three groups") {
    require_error(kHead + "events:\n  - { at: 10s, partition: [[Org1.peer0], [Org1.peer1], [Org2]], one_way: true }\n",
                  {4, "true"}, "events[0].one_way", {"exactly two groups"});
  }
  SECTION("a peer in two partition groups") {
    require_error(kHead + "events:\n  - { at: 10s, partition: [[Org1], [Org1.peer1, Org2]] }\n", {4, "[Org1.peer1"},
                  "events[0].partition", {"Org1.peer1 is in more than one group"});
  }
  SECTION("churn rate without /s") {
    require_error(kHead + "events:\n  - { from: 10s, to: 60s, churn: { peers: [Org1], rate: 0.05 } }\n", {4, "0.05"},
                  "events[0].churn.rate", {"expected a rate per second such as 0.05/s, got \"0.05\""});
  }
  SECTION("churn window ending before it starts") {
    require_error(kHead + "events:\n  - { from: 60s, to: 10s, churn: { peers: [Org1], rate: 0.05/s } }\n", {4, "10s"},
                  "events[0].to", {"ends before it starts"});
  }
  SECTION("set event on a key that cannot change") {
    require_error(kHead + "events:\n  - { at: 10s, set: { network.transport: datagram } }\n", {4, "network.transport"},
                  "network.transport", {"cannot be changed during a run"});
  }
  SECTION("heal: false") {
    require_error(kHead + "events:\n  - { at: 10s, heal: false }\n", {4, "false"}, "events[0].heal", {"write heal: true"});
  }
}

TEST_CASE("scenario errors: join, leave and revoke", "[scenario][errors]") {
  SECTION("leave under fabric-1.0") {
    require_error(kHead + "events:\n  - { at: 10s, leave: { peer: Org1.peer1, channel: ch1 } }\n", {4, "{", 2},
                  "events[0].leave", {"profile fabric-1.0", "no LeaveChannel", "spec §5.9"});
  }
  SECTION("leave of an unknown channel") {
    require_error(kHead + "profile: fabric-2.5\nevents:\n  - { at: 10s, leave: { peer: Org1.peer1, channel: ch2 } }\n",
                  {5, "ch2"}, "events[0].leave.channel", {"unknown channel \"ch2\" (the channels are ch1)"});
  }
  SECTION("leave by a static leader") {
    require_error(kHead + "profile: fabric-3.0\nevents:\n  - { at: 10s, leave: { peer: Org1.peer0, channel: ch1 } }\n",
                  {5, "Org1.peer0"}, "events[0].leave.peer", {"static leader of ch1"});
  }
  SECTION("leave of a channel the peer's org is not in") {
    require_error(kHead +
                      "profile: fabric-2.5\nchannels: [{ name: ch1, orgs: [Org1] }, { name: ch2, orgs: [Org2] }]\n"
                      "events:\n  - { at: 10s, leave: { peer: Org1.peer1, channel: ch2 } }\n",
                  {6, "ch2"}, "events[0].leave.channel", {"Org1.peer1 is not a member of channel ch2"});
  }
  SECTION("leave names an org, not a peer") {
    require_error(kHead + "profile: fabric-2.5\nevents:\n  - { at: 10s, leave: { peer: Org2, channel: ch1 } }\n",
                  {5, "Org2"}, "events[0].leave.peer", {"expected one peer name"});
  }
  SECTION("restart of a late peer before it joins") {
    require_error(kHead + "events:\n  - { at: 10s, restart: [Org1.peer2] }\n  - { at: 20s, join: [Org1.peer2] }\n",
                  {4, "{"}, "restart", {"Org1.peer2 is restarted at 10s, before it joins at 20s"});
  }
  SECTION("a peer joining twice") {
    require_error(kHead + "events:\n  - { at: 10s, join: [Org1.peer2] }\n  - { at: 20s, join: [Org1] }\n", {5, "{"},
                  "join", {"Org1.peer2 joins twice (first at 10s)"});
  }
  SECTION("revoke of an unknown peer") {
    require_error(kHead + "events:\n  - { at: 10s, revoke: [Org3.peer0] }\n", {4, "Org3.peer0"}, "events[0].revoke",
                  {"unknown org or peer \"Org3.peer0\" (the orgs are Org1, Org2)"});
  }
}

TEST_CASE("scenario errors: files a scenario names", "[scenario][errors]") {
  // load_scenario_text's source "mistake.yaml" is in the current directory: relative paths
  // resolve there, and the message shows the absolute path and the OS's reason.
  const std::string missing = std::filesystem::absolute("nope.yaml").lexically_normal().string();
  SECTION("a missing core.yaml") {
    require_error(kHead + "gossip: { import: nope.yaml }\n", {3, "nope"}, "gossip.import",
                  {"gossip.import: cannot read core.yaml " + missing +
                   " (nope.yaml is relative to the scenario's directory): No such file or directory"});
  }
  SECTION("a missing graph file") {
    require_error(kHead + "network: { topology: { file: nope.yaml } }\n", {3, "nope"}, "network.topology.file",
                  {"network.topology.file: cannot read the graph file " + missing +
                   " (nope.yaml is relative to the scenario's directory): No such file or directory"});
  }
  SECTION("an absolute path to a directory") {
    const std::string dir = std::filesystem::temp_directory_path().string();
    require_error(kHead + "gossip: { import: " + dir + " }\n", {3, dir}, "gossip.import",
                  {"cannot read core.yaml " + std::filesystem::path(dir).lexically_normal().string() + ": it is a directory"});
  }
}

TEST_CASE("scenario errors: YAML syntax", "[scenario][errors]") {
  const std::string yaml = "name: t\norgs: { count: 2, peers: 3 }\nworkload: [1, 2\nduration: 1m\n";
  const ScenarioError e = load_error(yaml);
  INFO("error: " << e.what());
  CHECK(e.loc().file == kFile);
  CHECK(e.loc().line >= 3);  // yaml-cpp reports where it gave up: at or after the open list
  CHECK(e.loc().column >= 1);
  CHECK_THAT(e.what(), Catch::Contains("YAML syntax"));
}

TEST_CASE("scenario errors: --set names the option", "[scenario][errors]") {
  SECTION("a path through a non-mapping") {
    require_option_error(kHead + "duration: 1m\n", "duration.extra", "1", "duration.extra",
                         {"\"duration\" is not a mapping"});
  }
  SECTION("a path that makes a mapping of a scalar key") {
    require_option_error(kHead, "duration.extra", "1", "duration", {"expected a duration", "found a mapping"});
  }
  SECTION("unknown gossip key") {
    require_option_error(kHead, "gossip.propagatePeerNu", "3", "gossip.propagatePeerNu",
                         {"did you mean \"propagatePeerNum\"?"});
  }
  SECTION("unknown top-level key") {
    require_option_error(kHead, "duraton", "5s", "duraton", {"did you mean \"duration\"?"});
  }
  SECTION("bad value") {
    require_option_error(kHead, "network.loss", "2", "network.loss", {"expected a probability in [0, 1], got 2"});
  }
  SECTION("a value that is a mapping with a mistake inside") {
    require_option_error(kHead, "network.latency", "{ dist: gamma }", "network.latency.dist",
                         {"unknown distribution \"gamma\""});
  }
  SECTION("value that is not YAML") {
    require_option_error(kHead, "network.loss", "[0.1", "network.loss", {"bad value"});
  }
}

// --- the gossipsim binary: exit code 2, nothing written ------------------------------------

namespace {

using gs::testing::CommandResult;

CommandResult run_gossipsim(const std::string& args) {
  return gs::testing::run_shell(std::string("\"") + GOSSIPSIM_BINARY + "\" " + args);
}

}  // namespace

TEST_CASE("gossipsim run: a bad scenario exits with 2 and writes nothing", "[scenario][errors][cli]") {
  const std::filesystem::path dir = gs::testing::scratch_dir("errors-cli");
  const std::filesystem::path bad = dir / "bad.yaml";
  std::ofstream(bad) << "name: bad\norgs: { count: 2, peers: 3 }\ngossip:\n  propagatePeerNu: 3\n";
  const std::filesystem::path good = dir / "good.yaml";
  std::ofstream(good) << "name: good\nduration: 5s\norgs: { count: 1, peers: 2 }\n";
  const std::filesystem::path out = dir / "out";

  SECTION("file error") {
    const CommandResult r = run_gossipsim("run " + bad.string() + " --quiet --out " + out.string());
    INFO(r.output);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains(bad.string() + ":4:3: gossip.propagatePeerNu: unknown gossip key"));
    CHECK_THAT(r.output, Catch::Contains("did you mean \"propagatePeerNum\"?"));
    CHECK_FALSE(std::filesystem::exists(out));
  }
  SECTION("check reports the same error") {
    const CommandResult r = run_gossipsim("check " + bad.string());
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains(bad.string() + ":4:3:"));
  }
  SECTION("--set error names the option") {
    const CommandResult r =
        run_gossipsim("run " + good.string() + " --quiet --set network.loss=1.5 --out " + out.string());
    INFO(r.output);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains("--set network.loss=1.5: network.loss: expected a probability in [0, 1]"));
    CHECK_FALSE(std::filesystem::exists(out));
  }
  SECTION("--set without =") {
    const CommandResult r = run_gossipsim("run " + good.string() + " --quiet --set network.loss --out " + out.string());
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains("--set network.loss"));
    CHECK_THAT(r.output, Catch::Contains("expected KEY=VALUE"));
    CHECK_FALSE(std::filesystem::exists(out));
  }
  SECTION("a missing scenario file is bad usage") {
    const CommandResult r = run_gossipsim("run " + (dir / "absent.yaml").string() + " --out " + out.string());
    CHECK(r.exit_code == 2);
    CHECK_FALSE(std::filesystem::exists(out));
  }
  SECTION("a good scenario runs and writes its outputs") {
    const CommandResult r = run_gossipsim("run " + good.string() + " --quiet --out " + out.string());
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(std::filesystem::exists(out / "report.json"));
  }
  std::filesystem::remove_all(dir);
}
