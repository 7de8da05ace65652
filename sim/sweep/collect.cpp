#include "sim/sweep/collect.hpp"

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "sim/sweep/plan.hpp"
#include "sim/sweep/stats.hpp"
#include "sim/sweep/sweep_error.hpp"

namespace gs::sweep {

using json = nlohmann::ordered_json;

const std::vector<Figure>& headline_figures() {
  static const std::vector<Figure> figures{
      {"coverage", {"blocks", "coverage"}},
      {"latency_mean_s", {"blocks", "latency_s", "mean"}},
      {"latency_p50_s", {"blocks", "latency_s", "p50"}},
      {"latency_p90_s", {"blocks", "latency_s", "p90"}},
      {"latency_p99_s", {"blocks", "latency_s", "p99"}},
      {"latency_max_s", {"blocks", "latency_s", "max"}},
      {"time_to_all_mean_s", {"blocks", "time_to_all_s", "mean"}},
      {"time_to_all_p50_s", {"blocks", "time_to_all_s", "p50"}},
      {"time_to_all_p99_s", {"blocks", "time_to_all_s", "p99"}},
      {"time_to_all_max_s", {"blocks", "time_to_all_s", "max"}},
      {"complete_blocks", {"blocks", "complete_blocks"}},
      {"blocks_injected", {"blocks", "injected"}},
      {"via_orderer", {"blocks", "via", "orderer"}},
      {"via_push", {"blocks", "via", "push"}},
      {"via_pull", {"blocks", "via", "pull"}},
      {"via_state_transfer", {"blocks", "via", "state_transfer"}},
      {"membership_converged_at_s", {"membership", "converged_at_s"}},
      {"membership_final_accuracy", {"membership", "final_accuracy"}},
      {"messages_sent", {"messages", "sent"}},
      {"bytes", {"messages", "bytes"}},
      {"bytes_per_peer_per_s", {"messages", "bytes_per_peer_per_s"}},
      {"bytes_per_peer_per_s_from_first_block", {"messages", "bytes_per_peer_per_s_from_first_block"}},
      {"data_messages_per_block", {"messages", "data_messages_per_block"}},
      {"dropped", {"messages", "dropped"}},
      {"duplicates_received", {"blocks", "duplicates_received"}},
      {"events", {"sim", "events"}},
  };
  return figures;
}

std::string format_number(double v) { return fmt::format("{}", v); }

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

namespace {

[[noreturn]] void bad(const std::string& where, const std::string& what) { throw SweepError(fmt::format("{}: {}", where, what)); }

// A null anywhere on the path (e.g. latency_s is null when nothing was delivered) is a null
// figure; a missing key is an error: the report is not what this binary writes.
FigureValue read_figure(const json& report, const Figure& f, const std::string& where) {
  const json* node = &report;
  std::string path;
  for (const char* key : f.path) {
    path += (path.empty() ? "" : ".") + std::string(key);
    if (node->is_null()) return {};
    if (!node->is_object() || !node->contains(key)) bad(where, fmt::format("no field {} (for {})", path, f.name));
    node = &(*node)[key];
  }
  if (node->is_null()) return {};
  if (node->is_number_unsigned()) return {std::to_string(node->get<std::uint64_t>()), node->get<double>()};
  if (node->is_number_integer()) return {std::to_string(node->get<std::int64_t>()), node->get<double>()};
  if (node->is_number_float()) return {format_number(node->get<double>()), node->get<double>()};
  bad(where, fmt::format("{} is not a number", path));
}

std::string header_prefix(const SweepSpec& spec) {
  std::string out;
  for (const Axis& a : spec.grid.axes) out += csv_field(a.key) + ",";
  return out;
}

std::string values_prefix(const SweepSpec& spec, std::size_t point) {
  std::string out;
  for (const std::string& v : spec.grid.point_values(point)) out += csv_field(v) + ",";
  return out;
}

std::string cell(const std::optional<double>& v) { return v ? format_number(*v) : std::string(); }

}  // namespace

RunRow read_run(const SweepSpec& spec, const RunSpec& run, const json& report, const std::string& where) {
  if (!report.is_object() || report.value("schema", "") != "gossipsim.report/1") bad(where, "not a gossipsim.report/1 file");
  if (!report.contains("seed") || !report["seed"].is_number_unsigned() || report["seed"].get<std::uint64_t>() != run.seed)
    bad(where, fmt::format("the report is not of seed {}", run.seed));
  if (!report.contains("config") || config_digest(report["config"]) != spec.point_digests.at(run.point))
    bad(where, fmt::format("made with another configuration than grid point {} of sweep.json (the scenario or a --set "
                           "changed since it ran); delete its run directory to run it again",
                           run.point));
  RunRow row{run, {}};
  for (const Figure& f : headline_figures()) row.figures.push_back(read_figure(report, f, where));
  return row;
}

Collected collect_runs(const SweepSpec& spec, const std::string& sweep_dir) {
  Collected c;
  for (const RunSpec& run : expand(spec.grid)) {
    if (!run_finished(sweep_dir, run.run_id)) {
      c.missing.push_back(run.run_id);
      continue;
    }
    const std::string path = run_dir(sweep_dir, run.run_id) + "/report.json";
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    json report;
    try {
      report = json::parse(text.str());
    } catch (const json::exception& e) {
      bad(path, fmt::format("unreadable: {}", e.what()));
    }
    c.rows.push_back(read_run(spec, run, report, path));
  }
  return c;
}

std::string runs_csv(const SweepSpec& spec, const std::vector<RunRow>& rows) {
  std::string out = "run_id," + header_prefix(spec) + "seed";
  for (const Figure& f : headline_figures()) out += fmt::format(",{}", f.name);
  out += "\n";
  for (const RunRow& r : rows) {
    out += r.run.run_id + "," + values_prefix(spec, r.run.point) + std::to_string(r.run.seed);
    for (const FigureValue& v : r.figures) out += "," + v.cell;
    out += "\n";
  }
  return out;
}

std::string summary_csv(const SweepSpec& spec, const std::vector<RunRow>& rows) {
  const std::vector<Figure>& figures = headline_figures();
  std::string out = header_prefix(spec) + "runs";
  for (const Figure& f : figures) out += fmt::format(",{0}_n,{0}_mean,{0}_ci95", f.name);
  out += "\n";
  std::size_t next = 0;  // rows are in grid order: each point's rows are consecutive
  for (std::size_t p = 0; p < spec.grid.point_count(); ++p) {
    const std::size_t begin = next;
    while (next < rows.size() && rows[next].run.point == p) ++next;
    out += values_prefix(spec, p) + std::to_string(next - begin);
    for (std::size_t k = 0; k < figures.size(); ++k) {
      std::vector<std::optional<double>> values;
      for (std::size_t i = begin; i < next; ++i) values.push_back(rows[i].figures[k].value);
      const Estimate e = estimate(values);
      out += fmt::format(",{},{},{}", e.n, cell(e.mean), cell(e.ci95));
    }
    out += "\n";
  }
  if (next != rows.size()) throw SweepError("internal: runs are not in grid order");
  return out;
}

}  // namespace gs::sweep
