// End-to-end: the gossipsim binary's sweep command on a tiny scenario (runs take milliseconds).
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <fmt/format.h>

#include "../shell_command.hpp"

namespace fs = std::filesystem;

namespace {

using Result = gs::testing::CommandResult;

// Runs a shell command line; `gossipsim` at its start is the built binary.
Result shell(const std::string& command) {
  return gs::testing::run_shell(
      std::regex_replace(command, std::regex("^gossipsim "), std::string("\"") + GOSSIPSIM_BINARY + "\" "));
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path scratch(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / fmt::format("gossipsim-sweep-{}-{}", name, getpid());
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

const std::string kTiny = std::string(GOSSIPSIM_TESTDATA) + "/sweep/tiny.yaml";
// 2 values x 2 seeds.
const std::string kGrid = " --vary gossip.propagatePeerNum=1,3 --seeds 2 --set duration=16s";

std::string sweep(const fs::path& out, const std::string& more = "") {
  return "gossipsim sweep " + kTiny + kGrid + " --out " + out.string() + more;
}

// "sweep: 4 runs (2 points x 2 seeds), 1 already finished, 3 to run, 2 at a time" -> 3
int to_run(const std::string& output) {
  std::smatch m;
  REQUIRE(std::regex_search(output, m, std::regex(R"(already finished, (\d+) to run)")));
  return std::stoi(m[1]);
}

int executed(const std::string& output) {
  std::smatch m;
  REQUIRE(std::regex_search(output, m, std::regex(R"(sweep: (\d+) executed, 0 failed)")));
  return std::stoi(m[1]);
}

}  // namespace

TEST_CASE("gossipsim sweep: --jobs 1 and --jobs 2 write byte-identical files", "[sweep][cli][determinism]") {
  const fs::path dir = scratch("jobs");
  const Result one = shell(sweep(dir / "j1", " --jobs 1"));
  INFO(one.output);
  REQUIRE(one.exit_code == 0);
  CHECK(executed(one.output) == 4);
  const Result two = shell(sweep(dir / "j2", " --jobs 2"));
  INFO(two.output);
  REQUIRE(two.exit_code == 0);
  for (const char* f : {"runs.csv", "summary.csv", "sweep.json"}) {
    INFO(f);
    const std::string a = slurp(dir / "j1" / f);
    CHECK_FALSE(a.empty());
    CHECK(a == slurp(dir / "j2" / f));
  }
  const std::string runs = slurp(dir / "j1" / "runs.csv");
  CHECK(runs.rfind("run_id,gossip.propagatePeerNum,seed,coverage,latency_mean_s,", 0) == 0);
  // Grid order: the varied value, then the seed.
  CHECK(runs.find("\np000-s01,1,1,") < runs.find("\np000-s02,1,2,"));
  CHECK(runs.find("\np000-s02,1,2,") < runs.find("\np001-s01,3,1,"));
  CHECK(runs.find("\np001-s01,3,1,") < runs.find("\np001-s02,3,2,"));
  CHECK(slurp(dir / "j1" / "summary.csv").find("\n3,2,2,") != std::string::npos);
  // Each run directory is the ordinary output of gossipsim run.
  for (const char* f : {"report.json", "timeseries.csv", "blocks.csv", "receipts.csv"}) CHECK(fs::exists(dir / "j2" / "runs" / "p001-s02" / f));
  CHECK_FALSE(fs::exists(dir / "j2" / "runs" / "p001-s02" / "stderr.txt"));  // empty logs are removed
  fs::remove_all(dir);
}

TEST_CASE("gossipsim sweep: a re-run executes only the unfinished runs and gives the same files", "[sweep][cli][resume]") {
  const fs::path dir = scratch("resume");
  const fs::path out = dir / "s";
  const Result first = shell(sweep(out, " --jobs 2"));
  INFO(first.output);
  REQUIRE(first.exit_code == 0);
  const std::string runs = slurp(out / "runs.csv"), summary = slurp(out / "summary.csv");

  // Everything finished: nothing runs, the tables are rewritten identically.
  const Result again = shell(sweep(out, " --jobs 2"));
  REQUIRE(again.exit_code == 0);
  CHECK(to_run(again.output) == 0);
  CHECK(executed(again.output) == 0);
  CHECK(slurp(out / "runs.csv") == runs);

  // One run lost, one interrupted half-way (no report.json yet: it is written last).
  const auto kept_time = fs::last_write_time(out / "runs" / "p000-s01" / "report.json");
  fs::remove_all(out / "runs" / "p000-s02");
  fs::remove(out / "runs" / "p001-s01" / "report.json");
  std::ofstream(out / "runs" / "p001-s01" / "report.json.tmp") << "{ half";
  const Result resumed = shell(sweep(out, " --jobs 2"));
  INFO(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  CHECK_THAT(resumed.output, Catch::Contains("2 already finished, 2 to run"));
  CHECK(executed(resumed.output) == 2);
  CHECK(fs::last_write_time(out / "runs" / "p000-s01" / "report.json") == kept_time);
  CHECK(slurp(out / "runs.csv") == runs);
  CHECK(slurp(out / "summary.csv") == summary);

  // More seeds for the same grid: only the new seeds run; the ids of the old runs stay.
  const Result more = shell("gossipsim sweep " + kTiny +
                            " --vary gossip.propagatePeerNum=1,3 --seeds 3 --set duration=16s --jobs 2 --out " + out.string());
  INFO(more.output);
  REQUIRE(more.exit_code == 0);
  CHECK(to_run(more.output) == 2);
  CHECK(fs::exists(out / "runs" / "p001-s03" / "report.json"));
  fs::remove_all(dir);
}

TEST_CASE("gossipsim sweep --plan | parallel, then --collect, gives the built-in sweep's files", "[sweep][cli][plan]") {
  REQUIRE(shell("command -v parallel").exit_code == 0);  // Debian package `parallel` (scripts/setup)
  const fs::path dir = scratch("plan");
  const Result builtin = shell(sweep(dir / "builtin", " --jobs 2"));
  REQUIRE(builtin.exit_code == 0);

  const fs::path out = dir / "planned";
  const Result plan = shell(sweep(out, " --plan --quiet") + " > " + (dir / "plan.out").string());
  REQUIRE(plan.exit_code == 0);
  const std::string lines = slurp(dir / "plan.out");
  CHECK(lines == slurp(out / "plan.txt"));
  CHECK(std::count(lines.begin(), lines.end(), '\n') == 4);
  CHECK_THAT(lines, Catch::Contains(" run " + kTiny + " --seed 2 --set duration=16s --set gossip.propagatePeerNum=3 --out " +
                                    (out / "runs" / "p001-s02").string() + " --quiet\n"));
  CHECK_FALSE(fs::exists(out / "runs" / "p000-s01"));  // nothing ran

  // Collecting before the runs: an error naming the missing runs.
  const Result early = shell("gossipsim sweep --collect " + out.string());
  CHECK(early.exit_code == 2);
  CHECK_THAT(early.output, Catch::Contains("4 of 4 runs have no report.json: p000-s01, p000-s02, p001-s01, p001-s02"));

  const Result par = shell("parallel --will-cite -j 2 < " + (dir / "plan.out").string());
  INFO(par.output);
  REQUIRE(par.exit_code == 0);
  const Result collect = shell("gossipsim sweep --collect " + out.string());
  INFO(collect.output);
  REQUIRE(collect.exit_code == 0);
  CHECK(slurp(out / "summary.csv") == slurp(dir / "builtin" / "summary.csv"));
  CHECK(slurp(out / "runs.csv") == slurp(dir / "builtin" / "runs.csv"));
  CHECK(slurp(out / "sweep.json") == slurp(dir / "builtin" / "sweep.json"));

  // A plan of a finished sweep is empty.
  const Result done = shell(sweep(out, " --plan"));
  CHECK(done.exit_code == 0);
  CHECK(slurp(out / "plan.txt").empty());
  fs::remove_all(dir);
}

TEST_CASE("gossipsim sweep: bad --vary keys and values exit with 2 and write nothing", "[sweep][cli][errors]") {
  const fs::path dir = scratch("errors");
  const fs::path out = dir / "s";
  struct Case {
    std::string args;
    std::string message;
  };
  const std::vector<Case> cases{
      {" --vary gossip.propagatePeerNu=1,2 --seeds 2", "did you mean \"propagatePeerNum\""},
      {" --vary network.loss=0,1.5 --seeds 2", "grid point network.loss=1.5"},
      {" --vary gossip.propagatePeerNum=3..1 --seeds 2", "is empty"},
      {" --vary gossip.propagatePeerNum=1,2", "--seeds N is required"},
      {" --vary gossip.propagatePeerNum=1,2 --seeds 0", "at least 1 seed"},
      {" --vary gossip.propagatePeerNum=1,2 --seeds 2 --jobs 0", "--jobs must be at least 1"},
      {" --vary seed=1,2 --seeds 2", "--first-seed"},
  };
  for (const Case& c : cases) {
    INFO(c.args);
    const Result r = shell("gossipsim sweep " + kTiny + c.args + " --out " + out.string());
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains(c.message));
    CHECK_FALSE(fs::exists(out));
  }
  const Result no_out = shell("gossipsim sweep " + kTiny + " --seeds 2");
  CHECK(no_out.exit_code == 2);
  CHECK_THAT(no_out.output, Catch::Contains("--out DIR is required"));
  const Result mixed = shell("gossipsim sweep " + kTiny + " --seeds 2 --collect " + out.string());
  CHECK(mixed.exit_code == 2);
  const Result no_dir = shell("gossipsim sweep --collect " + (dir / "nothing").string());
  CHECK(no_dir.exit_code == 2);
  CHECK_THAT(no_dir.output, Catch::Contains("sweep.json: cannot read it"));

  // A directory holding another sweep is refused before anything runs.
  REQUIRE(shell(sweep(out, " --quiet")).exit_code == 0);
  const Result other = shell("gossipsim sweep " + kTiny + " --vary gossip.propagatePeerNum=1,2 --seeds 2 --set duration=16s --out " + out.string());
  CHECK(other.exit_code == 2);
  CHECK_THAT(other.output, Catch::Contains("holds another sweep"));
  CHECK_FALSE(fs::exists(out / "runs" / "p001-s01" / "stderr.txt"));
  fs::remove_all(dir);
}

TEST_CASE("gossipsim sweep: a failed run is reported, the others are kept, the sweep exits 1", "[sweep][cli][errors]") {
  const fs::path dir = scratch("failure");
  const fs::path out = dir / "s";
  // A stand-in binary that fails for one run, like a broken invariant would.
  const fs::path fake = dir / "failing-gossipsim";
  std::ofstream(fake) << "#!/bin/sh\ncase \"$*\" in *p001-s01*) echo 'run failed: invariant X broke at 3.5s' >&2; exit 1;; esac\n"
                      << "exec \"" << GOSSIPSIM_BINARY << "\" \"$@\"\n";
  fs::permissions(fake, fs::perms::owner_all);
  const Result r = shell(sweep(out, " --jobs 2 --binary " + fake.string()));
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("run p001-s01 failed (exit 1): " + fake.string() + " run "));
  CHECK_THAT(r.output, Catch::Contains("invariant X broke at 3.5s"));
  CHECK_THAT(r.output, Catch::Contains("1 of 4 runs failed: p001-s01"));
  CHECK(fs::exists(out / "runs" / "p000-s01" / "report.json"));
  CHECK(fs::exists(out / "runs" / "p001-s02" / "report.json"));
  CHECK_FALSE(fs::exists(out / "runs.csv"));

  const Result strict = shell("gossipsim sweep --collect " + out.string());
  CHECK(strict.exit_code == 2);
  CHECK_THAT(strict.output, Catch::Contains("1 of 4 runs have no report.json: p001-s01"));
  const Result partial = shell("gossipsim sweep --collect " + out.string() + " --partial");
  CHECK(partial.exit_code == 0);
  const std::string runs = slurp(out / "runs.csv");
  CHECK(std::count(runs.begin(), runs.end(), '\n') == 4);  // header + 3 runs
  CHECK(runs.find("p001-s01") == std::string::npos);

  // Retrying with the real binary runs the failed run only.
  const Result retry = shell(sweep(out, " --jobs 2"));
  INFO(retry.output);
  CHECK(retry.exit_code == 0);
  CHECK(to_run(retry.output) == 1);
  fs::remove_all(dir);
}

TEST_CASE("gossipsim sweep: a run that exits with 0 without a report.json fails the sweep", "[sweep][cli][errors]") {
  const fs::path dir = scratch("noreport");
  const fs::path fake = dir / "silent-gossipsim";
  std::ofstream(fake) << "#!/bin/sh\ncase \"$*\" in *p000-s02*) exit 0;; esac\nexec \"" << GOSSIPSIM_BINARY << "\" \"$@\"\n";
  fs::permissions(fake, fs::perms::owner_all);
  const Result r = shell(sweep(dir / "s", " --binary " + fake.string()));
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("1 runs exited with 0 but wrote no report.json: p000-s02"));
  CHECK_FALSE(fs::exists(dir / "s" / "runs.csv"));
  fs::remove_all(dir);
}

TEST_CASE("gossipsim sweep: SIGTERM stops the sweep, kills the running run, keeps the finished ones", "[sweep][cli][resume]") {
  const fs::path dir = scratch("interrupt");
  const fs::path out = dir / "s";
  // A stand-in binary: the third run signals the sweep, then blocks until it is killed.
  const fs::path fake = dir / "interrupting-gossipsim";
  std::ofstream(fake) << "#!/bin/sh\ncase \"$*\" in *p001-s01*) kill -TERM $PPID; exec tail -f /dev/null;; esac\n"
                      << "exec \"" << GOSSIPSIM_BINARY << "\" \"$@\"\n";
  fs::permissions(fake, fs::perms::owner_all);
  const Result r = shell(sweep(out, " --jobs 1 --binary " + fake.string()));
  INFO(r.output);
  CHECK(r.exit_code == 128 + 15);
  CHECK_THAT(r.output, Catch::Contains("interrupted (SIGTERM); 2 runs of this invocation finished and are kept"));
  CHECK(fs::exists(out / "runs" / "p000-s02" / "report.json"));
  CHECK_FALSE(fs::exists(out / "runs" / "p001-s01" / "report.json"));
  CHECK_FALSE(fs::exists(out / "runs" / "p001-s02"));  // never started
  CHECK_FALSE(fs::exists(out / "runs.csv"));

  const Result resumed = shell(sweep(out, " --jobs 1"));
  INFO(resumed.output);
  CHECK(resumed.exit_code == 0);
  CHECK(to_run(resumed.output) == 2);
  CHECK(executed(resumed.output) == 2);
  fs::remove_all(dir);
}
