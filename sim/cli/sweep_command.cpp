// gossipsim sweep (docs/sweeps.md): the grid × seeds as child processes `gossipsim run ...`
// (exactly the lines --plan prints), then the collection of their report.json files into
// runs.csv and summary.csv. Sweep = plan + local executor + collect, so that the built-in
// route and the plan/collect route give the same files by construction.
#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "sim/cli/commands.hpp"
#include "sim/report/report.hpp"
#include "sim/scenario/scenario_loader.hpp"
#include "sim/sweep/collect.hpp"
#include "sim/sweep/executor.hpp"
#include "sim/sweep/plan.hpp"
#include "sim/sweep/stats.hpp"
#include "sim/sweep/sweep_error.hpp"

namespace gs::cli {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;
using sweep::SweepError;
using WallClock = std::chrono::steady_clock;  // progress display and the final line only

[[noreturn]] void usage(const std::string& message) { throw SweepError("sweep: " + message); }

std::string own_executable() {
  std::error_code ec;
  const fs::path p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) usage("cannot find this executable's path (/proc/self/exe); give it with --binary");
  return p.string();
}

std::size_t available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return static_cast<std::size_t>(CPU_COUNT(&set));
  return std::max(1U, std::thread::hardware_concurrency());
}

std::string without_trailing_slash(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

json read_json_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw SweepError(fmt::format("{}: cannot read it (is this a sweep directory?)", path));
  std::stringstream text;
  text << in.rdbuf();
  try {
    return json::parse(text.str());
  } catch (const json::exception& e) {
    throw SweepError(fmt::format("{}: unreadable: {}", path, e.what()));
  }
}

std::string list_runs(const std::vector<std::string>& ids) {
  std::string out;
  for (std::size_t i = 0; i < ids.size() && i < 10; ++i) out += (i ? ", " : "") + ids[i];
  if (ids.size() > 10) out += fmt::format(", ... ({} more)", ids.size() - 10);
  return out;
}

std::string format_wall(double s) {
  const auto total = static_cast<long>(s + 0.5);
  return total >= 60 ? fmt::format("{}m{:02}s", total / 60, total % 60) : fmt::format("{}s", total);
}

void write_tables(const sweep::SweepSpec& spec, const std::vector<sweep::RunRow>& rows, const std::string& dir) {
  report::write_file_atomically(dir + "/runs.csv", sweep::runs_csv(spec, rows));
  report::write_file_atomically(dir + "/summary.csv", sweep::summary_csv(spec, rows));
}

// A few headline figures per grid point on the terminal; the full table is summary.csv.
void print_table(const sweep::SweepSpec& spec, const std::vector<sweep::RunRow>& rows) {
  const std::vector<std::pair<const char*, std::size_t>> shown{{"coverage", 0}, {"latency_p99_s", 4}, {"time_to_all_p99_s", 8},
                                                               {"bytes_per_peer_per_s", 20}};
  std::vector<std::size_t> widths;
  std::string line = "  ";
  for (const sweep::Axis& a : spec.grid.axes) {
    const std::string name = a.key.substr(a.key.rfind('.') + 1);
    std::size_t w = std::max<std::size_t>(8, name.size());
    for (const std::string& v : a.values) w = std::max(w, v.size());
    widths.push_back(w);
    line += fmt::format("{:>{}} ", name, w);
  }
  line += " runs";
  for (const auto& [name, k] : shown) line += fmt::format("  {:>24}", fmt::format("{} ±95%", name));
  std::puts(line.c_str());
  for (std::size_t p = 0; p < spec.grid.point_count(); ++p) {
    line = "  ";
    const std::vector<std::string> values = spec.grid.point_values(p);
    for (std::size_t i = 0; i < values.size(); ++i) line += fmt::format("{:>{}} ", values[i], widths[i]);
    std::vector<const sweep::RunRow*> mine;
    for (const sweep::RunRow& r : rows)
      if (r.run.point == p) mine.push_back(&r);
    line += fmt::format("{:5}", mine.size());
    for (const auto& [name, k] : shown) {
      std::vector<std::optional<double>> figure;
      for (const sweep::RunRow* r : mine) figure.push_back(r->figures[k].value);
      const sweep::Estimate e = sweep::estimate(figure);
      const std::string text = !e.mean ? "-" : e.ci95 ? fmt::format("{:.4g} ± {:.2g}", *e.mean, *e.ci95) : fmt::format("{:.4g}", *e.mean);
      line += fmt::format("  {:>24}", text);
    }
    std::puts(line.c_str());
  }
}

// The sweep as described on the command line, every key and value validated (nothing is
// written before this returns).
sweep::SweepSpec spec_from_options(const SweepOptions& o) {
  if (o.scenario.empty()) usage("give a scenario file (or --collect DIR)");
  if (!o.seeds) usage("--seeds N is required (seeds first-seed .. first-seed+N-1)");
  if (o.out.empty()) usage("--out DIR is required");
  if (o.partial) usage("--partial goes with --collect only");
  if (o.jobs && *o.jobs == 0) usage("--jobs must be at least 1");
  sweep::Grid grid;
  for (const std::string& v : o.vary) grid.axes.push_back(sweep::parse_vary(v));
  grid.seeds = sweep::seed_range(o.first_seed, *o.seeds);
  return sweep::make_spec(o.scenario, parse_sets(o.sets), std::move(grid));
}

// Refuses a directory that holds another sweep; seeds may be added to the same grid.
void check_same_sweep(const sweep::SweepSpec& spec, const std::string& dir) {
  const std::string path = dir + "/sweep.json";
  if (!fs::exists(path)) return;
  const sweep::SweepSpec old = sweep::spec_from_json(read_json_file(path), path);
  const std::string why = sweep::incompatibility(old, spec);
  if (!why.empty())
    throw SweepError(fmt::format("{} holds another sweep: {}. Use another --out, or delete {} to start over", dir, why, dir));
}

// The scenario's warnings (e.g. no block before the end), each once, naming the grid points
// it concerns unless it concerns them all. Each run also writes them to its stderr.txt.
void print_warnings_of_grid(const sweep::SweepSpec& spec) {
  std::map<std::string, std::vector<std::string>> points_of;
  std::vector<std::string> order;
  for (std::size_t p = 0; p < spec.grid.point_count(); ++p)
    for (const std::string& w : spec.point_warnings.at(p)) {
      std::vector<std::string>& points = points_of[w];
      if (points.empty()) order.push_back(w);
      points.push_back(sweep::describe_point(spec.grid, p));
    }
  for (const std::string& w : order) {
    const std::vector<std::string>& points = points_of[w];
    if (points.size() == spec.grid.point_count()) std::fprintf(stderr, "warning: %s\n", w.c_str());
    else std::fprintf(stderr, "warning: %s (grid points: %s)\n", w.c_str(), fmt::format("{}", fmt::join(points, "; ")).c_str());
  }
}

std::string progress_line(const sweep::Progress& p, double elapsed) {
  std::string eta = "?";
  if (p.done > 0 && p.done < p.total) eta = format_wall(elapsed / static_cast<double>(p.done) * static_cast<double>(p.total - p.done));
  if (p.done == p.total) eta = "0s";
  return fmt::format("\r  sweep {}/{} done, {} running, {} failed, ETA {}   ", p.done, p.total, p.running, p.failed, eta);
}

void report_failure(const std::string& run_id, const sweep::Job& job, const sweep::JobResult& r) {
  const std::string how = !r.error.empty() ? r.error
                          : r.signal != 0  ? fmt::format("killed by signal {}", r.signal)
                                           : fmt::format("exit {}", r.exit_code);
  std::string tail = sweep::file_tail(job.log_path, 12);
  std::string indented;
  std::istringstream lines(tail);
  for (std::string l; std::getline(lines, l);) indented += "    " + l + "\n";
  std::fprintf(stderr, "run %s failed (%s): %s\n%s%s", run_id.c_str(), how.c_str(), sweep::command_line(job.argv).c_str(),
               indented.empty() ? "" : fmt::format("  stderr ({}):\n", job.log_path).c_str(), indented.c_str());
}

// Runs the unfinished runs with `jobs` workers; returns the exit code.
int execute_runs(const SweepOptions& o, const sweep::SweepSpec& spec, const std::string& dir,
                 const std::vector<sweep::RunSpec>& todo, const std::string& binary) {
  std::vector<sweep::Job> jobs;
  for (const sweep::RunSpec& run : todo)
    jobs.push_back({sweep::run_argv(spec, run, binary, dir), sweep::run_dir(dir, run.run_id) + "/stderr.txt"});
  const bool progress = !o.quiet && isatty(STDERR_FILENO) != 0;
  const auto start = WallClock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(WallClock::now() - start).count(); };
  std::vector<std::string> failed;
  const sweep::ExecuteResult result = sweep::execute(
      jobs, o.jobs.value_or(available_cores()),
      [&](std::size_t i, const sweep::JobResult& r) {
        if (r.status == sweep::JobStatus::ok) {
          std::error_code ec;
          if (fs::file_size(jobs[i].log_path, ec) == 0 && !ec) fs::remove(jobs[i].log_path, ec);
        } else if (r.status == sweep::JobStatus::failed) {
          if (progress) std::fprintf(stderr, "\r%78s\r", "");
          report_failure(todo[i].run_id, jobs[i], r);
          failed.push_back(todo[i].run_id);
        }
      },
      [&](const sweep::Progress& p) {
        if (progress) std::fputs(progress_line(p, elapsed()).c_str(), stderr);
      });
  if (progress) std::fprintf(stderr, "\r%78s\r", "");
  std::size_t executed = 0;
  for (const sweep::JobResult& r : result.results) executed += r.status == sweep::JobStatus::ok ? 1 : 0;
  if (!o.quiet) std::printf("sweep: %zu executed, %zu failed, %s wall\n", executed, failed.size(), format_wall(elapsed()).c_str());
  if (result.interrupted_by != 0) {
    const int sig = result.interrupted_by;
    std::fprintf(stderr, "sweep: interrupted (%s); %zu runs of this invocation finished and are kept. Run the same command "
                 "again to resume.\n", sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP", executed);
    return 128 + result.interrupted_by;
  }
  if (!failed.empty()) {
    std::fprintf(stderr, "sweep: %zu of %zu runs failed: %s. The other runs are kept; runs.csv and summary.csv are written once "
                 "every run has finished (run the same command again to retry the failed ones, or aggregate what is "
                 "there with: gossipsim sweep --collect %s --partial)\n", failed.size(), todo.size(), list_runs(failed).c_str(), dir.c_str());
    return 1;
  }
  return 0;
}

int collect_command(const SweepOptions& o) {
  if (!o.scenario.empty() || !o.vary.empty() || !o.sets.empty() || o.seeds || !o.out.empty() || o.plan || o.jobs ||
      !o.binary.empty() || o.first_seed != 1)
    usage("--collect DIR takes everything from DIR/sweep.json: give no scenario, --vary, --set, --seeds, --first-seed, "
          "--jobs, --binary, --plan or --out with it");
  const std::string dir = without_trailing_slash(o.collect);
  const std::string path = dir + "/sweep.json";
  const sweep::SweepSpec spec = sweep::spec_from_json(read_json_file(path), path);
  const sweep::Collected c = sweep::collect_runs(spec, dir);
  const std::size_t total = c.rows.size() + c.missing.size();
  if (!c.missing.empty() && !o.partial)
    throw SweepError(fmt::format("{}: {} of {} runs have no report.json: {}. Run their plan lines (gossipsim sweep ... --plan "
                                 "lists the unfinished ones), or aggregate the finished runs with --partial",
                                 dir, c.missing.size(), total, list_runs(c.missing)));
  write_tables(spec, c.rows, dir);
  if (!o.quiet) {
    std::printf("collect: %zu of %zu runs -> %s/runs.csv, %s/summary.csv\n", c.rows.size(), total, dir.c_str(), dir.c_str());
    print_table(spec, c.rows);
  }
  return 0;
}

int plan_or_sweep(const SweepOptions& o) {
  const sweep::SweepSpec spec = spec_from_options(o);
  if (!o.quiet) print_warnings_of_grid(spec);  // --quiet: errors only
  const std::string dir = without_trailing_slash(o.out);
  check_same_sweep(spec, dir);
  const sweep::Collected done = sweep::collect_runs(spec, dir);  // also refuses runs of another configuration
  std::vector<sweep::RunSpec> todo;
  for (const sweep::RunSpec& run : sweep::expand(spec.grid))
    if (!sweep::run_finished(dir, run.run_id)) todo.push_back(run);
  const std::string binary = o.binary.empty() ? own_executable() : o.binary;

  fs::create_directories(dir + "/runs");
  report::write_file_atomically(dir + "/sweep.json", sweep::to_json(spec).dump(2) + "\n");
  if (!todo.empty()) {  // runs.csv and summary.csv exist only when they cover every run of sweep.json
    fs::remove(dir + "/runs.csv");
    fs::remove(dir + "/summary.csv");
  }
  const std::size_t total = spec.grid.point_count() * spec.grid.seeds.size();
  if (o.plan) {
    std::string plan;
    for (const sweep::RunSpec& run : todo) plan += sweep::command_line(sweep::run_argv(spec, run, binary, dir)) + "\n";
    report::write_file_atomically(dir + "/plan.txt", plan);
    std::fputs(plan.c_str(), stdout);
    if (!o.quiet)
      std::fprintf(stderr, "plan: %zu runs, %zu already finished: %zu command lines in %s/plan.txt; then: gossipsim sweep --collect %s\n",
                   total, done.rows.size(), todo.size(), dir.c_str(), dir.c_str());
    return 0;
  }
  if (!o.quiet)
    std::printf("sweep: %zu runs (%zu points x %zu seeds), %zu already finished, %zu to run, %zu at a time\n", total,
                spec.grid.point_count(), spec.grid.seeds.size(), done.rows.size(), todo.size(),
                o.jobs.value_or(available_cores()));
  std::fflush(stdout);
  if (const int rc = execute_runs(o, spec, dir, todo, binary); rc != 0) return rc;
  const sweep::Collected all = sweep::collect_runs(spec, dir);
  if (!all.missing.empty()) {  // a run exited with 0 without writing its report (a wrapper given as --binary?)
    std::fprintf(stderr, "sweep: %zu runs exited with 0 but wrote no report.json: %s\n", all.missing.size(),
                 list_runs(all.missing).c_str());
    return 1;
  }
  write_tables(spec, all.rows, dir);
  if (!o.quiet) {
    std::printf("  outputs     %s/runs.csv, %s/summary.csv\n", dir.c_str(), dir.c_str());
    print_table(spec, all.rows);
  }
  return 0;
}

}  // namespace

int sweep_command(const SweepOptions& o) {
  try {
    return o.collect.empty() ? plan_or_sweep(o) : collect_command(o);
  } catch (const fs::filesystem_error& e) {
    throw SweepError(e.what());
  }
}

}  // namespace gs::cli
