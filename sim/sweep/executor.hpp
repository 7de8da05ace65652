// The local executor of a sweep: runs command lines as child processes, at most `workers` at
// a time, in the given order (docs/sweeps.md). Each child is an ordinary `gossipsim run`;
// a crash stays inside its process. SIGINT, SIGTERM or SIGHUP stop the sweep: the children
// are terminated (a run writes its report.json last, so a killed run leaves no report and
// counts as unfinished), and no new child is started.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace gs::sweep {

struct Job {
  std::vector<std::string> argv;  // argv[0] is the executable's path (not searched in PATH)
  std::string log_path;           // the child's stderr (its directory is created); stdout goes to /dev/null
};

enum class JobStatus { not_started, ok, failed, interrupted };

struct JobResult {
  JobStatus status = JobStatus::not_started;
  int exit_code = 0;  // when the child exited
  int signal = 0;     // when a signal killed it
  std::string error;  // when it could not be started
};

struct Progress {
  std::size_t total = 0, done = 0, failed = 0, running = 0;
};

struct ExecuteResult {
  std::vector<JobResult> results;  // per job, in job order
  int interrupted_by = 0;          // the signal that stopped the sweep; 0 when none did
};

// `on_finished(job index, result)` is called as each job ends, in completion order (for
// display only); `on_tick` at least twice a second and after every change.
ExecuteResult execute(const std::vector<Job>& jobs, std::size_t workers,
                      const std::function<void(std::size_t, const JobResult&)>& on_finished,
                      const std::function<void(const Progress&)>& on_tick);

// The last `max_lines` lines of a text file (at most the last 4 KiB of it).
std::string file_tail(const std::string& path, std::size_t max_lines);

}  // namespace gs::sweep
