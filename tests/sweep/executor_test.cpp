#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "sim/sweep/executor.hpp"

namespace fs = std::filesystem;
using gs::sweep::Job;
using gs::sweep::JobStatus;

TEST_CASE("executor: every job runs once; results in job order; exit codes, signals and start failures", "[sweep][executor]") {
  const fs::path dir = fs::temp_directory_path() / fmt::format("gossipsim-executor-{}", getpid());
  fs::remove_all(dir);
  auto job = [&](const std::string& script, const std::string& name) {
    return Job{{"/bin/sh", "-c", script}, (dir / name / "stderr.txt").string()};
  };
  const std::vector<Job> jobs{
      job("echo out; echo err >&2; exit 0", "a"),
      job("exit 3", "b"),
      job("kill -KILL $$", "c"),
      Job{{(dir / "no-such-binary").string()}, (dir / "d" / "stderr.txt").string()},
      job("for i in 1 2 3 4 5; do echo line$i >&2; done; exit 0", "e"),
  };
  std::vector<std::size_t> finished;
  std::size_t most_running = 0;
  const auto r = gs::sweep::execute(
      jobs, 2, [&](std::size_t i, const gs::sweep::JobResult&) { finished.push_back(i); },
      [&](const gs::sweep::Progress& p) {
        most_running = std::max(most_running, p.running);
        CHECK(p.total == 5);
        CHECK(p.running <= 2);
      });
  CHECK(r.interrupted_by == 0);
  REQUIRE(r.results.size() == 5);
  CHECK(r.results[0].status == JobStatus::ok);
  CHECK(r.results[1].status == JobStatus::failed);
  CHECK(r.results[1].exit_code == 3);
  CHECK(r.results[2].status == JobStatus::failed);
  CHECK(r.results[2].signal == 9);
  CHECK(r.results[3].status == JobStatus::failed);
  CHECK_THAT(r.results[3].error, Catch::Contains("cannot start"));
  CHECK(r.results[4].status == JobStatus::ok);
  std::sort(finished.begin(), finished.end());
  CHECK(finished == std::vector<std::size_t>{0, 1, 2, 3, 4});
  CHECK(most_running >= 1);

  // stderr goes to the log (its directory created), stdout nowhere.
  CHECK(gs::sweep::file_tail(jobs[0].log_path, 10) == "err\n");
  CHECK(gs::sweep::file_tail(jobs[4].log_path, 2) == "line4\nline5\n");
  CHECK(gs::sweep::file_tail(jobs[4].log_path, 10) == "line1\nline2\nline3\nline4\nline5\n");
  CHECK(gs::sweep::file_tail((dir / "missing").string(), 3).empty());
  fs::remove_all(dir);
}
