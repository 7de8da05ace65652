#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <unistd.h>

#include "base/assert.hpp"
#include "sim/cli/commands.hpp"
#include "sim/metrics/recorder.hpp"
#include "sim/report/report.hpp"
#include "sim/scenario/scenario_loader.hpp"
#include "sim/world/world.hpp"

namespace gs::cli {

namespace {

using WallClock = std::chrono::steady_clock;  // progress display and wall_s only

// "\r  t=123.4s/300s  41%  1.2M events/s  ETA 3s" on stderr, when it is a terminal.
void install_progress(world::World& w, Duration total, WallClock::time_point start) {
  w.scheduler().set_progress_hook(200000, [total, start](const sim::Scheduler& s) {
    const double wall = std::chrono::duration<double>(WallClock::now() - start).count();
    const double done = s.now().seconds_f() / total.seconds_f();
    const double rate = wall > 0 ? static_cast<double>(s.stats().events_run) / wall : 0;
    const double eta = done > 0 ? wall * (1 - done) / done : 0;
    std::fprintf(stderr, "\r  t=%.1fs/%.0fs  %3.0f%%  %.2fM events/s  ETA %.0fs   ", s.now().seconds_f(), total.seconds_f(),
                 100 * done, rate / 1e6, eta);
  });
}

std::string trace_line(const world::World& w, const net::TraceEvent& e) {
  std::string line = fmt::format(R"({{"t":{:.9f},"op":"{}","transport":"{}","from":"{}","to":"{}","type":"{}","bytes":{})",
                                 e.at.seconds_f(), net::to_string(e.op), net::to_string(e.transport), w.info(e.from).name,
                                 w.info(e.to).name, w.network().stats().kind_name(e.kind), e.bytes);
  if (e.op == net::TraceOp::drop) line += fmt::format(R"(,"reason":"{}")", net::to_string(e.reason));
  return line + "}\n";
}

}  // namespace

int run_command(const RunOptions& o) {
  const scenario::Scenario s = load_scenario(o);
  print_warnings(s);  // --quiet too: it silences progress and the summary, not what may be wrong
  const std::string out_dir = o.out.empty() ? "results/" + s.name : o.out;
  metrics::Recorder recorder(s.sample_interval);
  world::World w(s, recorder);
  set_assert_context([&w, seed = s.seed, path = o.scenario] {
    return fmt::format("seed {}, virtual time {}; reproduce with: gossipsim run {} --seed {}", seed,
                       w.scheduler().now(), path, seed);
  });
  std::filesystem::create_directories(out_dir);
  const std::string trace_path = out_dir + "/trace.jsonl";
  std::ofstream trace;
  if (o.trace) {
    trace.open(trace_path + ".tmp", std::ios::trunc);
    w.set_trace_sink([&](const net::TraceEvent& e) { trace << trace_line(w, e); });
  }
  const auto start = WallClock::now();
  const bool progress = !o.quiet && isatty(STDERR_FILENO) != 0;
  if (progress) install_progress(w, s.duration, start);
  w.run();
  recorder.finish(w);
  if (progress) std::fprintf(stderr, "\r%70s\r", "");
  const double wall_s = std::chrono::duration<double>(WallClock::now() - start).count();

  const auto report = report::build_report(s, w, recorder, wall_s);
  report::write_file_atomically(out_dir + "/timeseries.csv", report::timeseries_csv(recorder));
  report::write_file_atomically(out_dir + "/blocks.csv", report::blocks_csv(s, w, recorder));
  report::write_file_atomically(out_dir + "/receipts.csv", report::receipts_csv(w, recorder));
  if (o.trace) {
    trace.close();
    std::filesystem::rename(trace_path + ".tmp", trace_path);
  }
  // Last: a run is finished when its report.json exists (sweeps resume on this; docs/sweeps.md).
  report::write_file_atomically(out_dir + "/report.json", report.dump(2) + "\n");
  set_assert_context(nullptr);
  if (!o.quiet) std::fputs((report::summary_table(report) + "  outputs     " + out_dir + "/\n").c_str(), stdout);
  return 0;
}

scenario::Scenario load_scenario(const RunOptions& o) {
  scenario::LoadOptions lo;
  lo.overrides = parse_sets(o.sets);
  lo.seed = o.seed;
  return scenario::load_scenario_file(o.scenario, lo);
}

std::vector<std::pair<std::string, std::string>> parse_sets(const std::vector<std::string>& sets) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& kv : sets) {
    const std::size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      throw scenario::ScenarioError({"--set " + kv, 0, 0}, "", "expected KEY=VALUE, e.g. --set gossip.propagatePeerNum=5");
    out.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return out;
}

}  // namespace gs::cli
