#include "sim/sweep/executor.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>

extern char** environ;

namespace gs::sweep {

namespace {

// Signals the executor waits for instead of dying of them; blocked while it runs, so none
// is lost between two waits. Restored on every exit path.
class SignalGuard {
 public:
  SignalGuard() {
    sigemptyset(&set_);
    for (int s : {SIGCHLD, SIGINT, SIGTERM, SIGHUP}) sigaddset(&set_, s);
    sigprocmask(SIG_BLOCK, &set_, &old_mask_);
    // With the default (ignore) action a blocked SIGCHLD may be discarded; a no-op handler
    // keeps it pending. The wait also times out, so nothing depends on it.
    struct sigaction sa {};
    sa.sa_handler = [](int) {};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, &old_chld_);
  }
  ~SignalGuard() {
    sigaction(SIGCHLD, &old_chld_, nullptr);
    sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
  }
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;

  // The signal received within `ms` milliseconds, or 0.
  int wait(long ms) const {
    timespec ts{ms / 1000, (ms % 1000) * 1000000L};
    const int s = sigtimedwait(&set_, nullptr, &ts);
    return s > 0 ? s : 0;
  }

 private:
  sigset_t set_{}, old_mask_{};
  struct sigaction old_chld_ {};
};

// posix_spawn with stdout to /dev/null, stderr to the log, default signal actions and an
// empty signal mask (the child must die of SIGINT/SIGTERM like any process).
pid_t spawn(const Job& job, std::string& error) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(job.log_path).parent_path(), ec);
  if (ec) {
    error = fmt::format("cannot create the directory of {}: {}", job.log_path, ec.message());
    return -1;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, job.log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int s : {SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE}) sigaddset(&defaults, s);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> argv;
  for (const std::string& a : job.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    error = fmt::format("cannot start {}: {}", job.argv[0], std::strerror(rc));
    return -1;
  }
  return pid;
}

JobResult result_of(int status, bool interrupted) {
  JobResult r;
  if (WIFEXITED(status)) {
    r.exit_code = WEXITSTATUS(status);
    r.status = r.exit_code == 0 ? JobStatus::ok : JobStatus::failed;
  } else if (WIFSIGNALED(status)) {
    r.signal = WTERMSIG(status);
    r.status = JobStatus::failed;
  }
  // A child that dies of the interrupt (ours, or the terminal's Ctrl-C to the whole process
  // group) was interrupted, not failed.
  if (interrupted && r.status == JobStatus::failed) r.status = JobStatus::interrupted;
  return r;
}

}  // namespace

ExecuteResult execute(const std::vector<Job>& jobs, std::size_t workers,
                      const std::function<void(std::size_t, const JobResult&)>& on_finished,
                      const std::function<void(const Progress&)>& on_tick) {
  ExecuteResult out;
  out.results.resize(jobs.size());
  Progress progress;
  progress.total = jobs.size();
  std::map<pid_t, std::size_t> running;  // pid -> job index
  std::size_t next = 0;
  const SignalGuard signals;
  auto finish = [&](std::size_t job, const JobResult& r) {
    out.results[job] = r;
    ++progress.done;
    if (r.status == JobStatus::failed) ++progress.failed;
    on_finished(job, r);
  };
  while (true) {
    while (out.interrupted_by == 0 && running.size() < workers && next < jobs.size()) {
      std::string error;
      const pid_t pid = spawn(jobs[next], error);
      if (pid > 0) {
        running.emplace(pid, next);
      } else {
        JobResult r;
        r.status = JobStatus::failed;
        r.error = error;
        finish(next, r);
      }
      ++next;
    }
    progress.running = running.size();
    on_tick(progress);
    if (running.empty()) break;
    const int sig = signals.wait(500);
    if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
      // A second signal while the children are stopping kills them outright.
      const int how = out.interrupted_by == 0 ? SIGTERM : SIGKILL;
      if (out.interrupted_by == 0) out.interrupted_by = sig;
      for (const auto& [pid, job] : running) kill(pid, how);
    }
    for (auto it = running.begin(); it != running.end();) {
      int status = 0;
      const pid_t done = waitpid(it->first, &status, WNOHANG);
      if (done == it->first) {
        finish(it->second, result_of(status, out.interrupted_by != 0));
        it = running.erase(it);
      } else {
        ++it;
      }
    }
  }
  return out;
}

std::string file_tail(const std::string& path, std::size_t max_lines) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return "";
  const std::streamoff size = in.tellg();
  const std::streamoff from = size > 4096 ? size - 4096 : 0;
  in.seekg(from);
  std::string text(static_cast<std::size_t>(size - from), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) lines.push_back(text.substr(start, nl - start));
  if (start < text.size()) lines.push_back(text.substr(start));
  if (from > 0 && !lines.empty()) lines.erase(lines.begin());  // cut in the middle
  std::string out;
  for (std::size_t i = lines.size() > max_lines ? lines.size() - max_lines : 0; i < lines.size(); ++i) out += lines[i] + "\n";
  return out;
}

}  // namespace gs::sweep
