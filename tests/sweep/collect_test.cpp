#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "sim/sweep/collect.hpp"
#include "sim/sweep/sweep_error.hpp"

using gs::sweep::Axis;
using gs::sweep::Grid;
using gs::sweep::SweepError;
using gs::sweep::SweepSpec;
using json = nlohmann::ordered_json;

namespace {

json config_of(const std::string& loss, std::uint64_t seed) {
  return json{{"name", "hand"}, {"seed", seed}, {"network", {{"loss", loss}}}};
}

// A report with every headline figure; tests change single fields.
json report(std::uint64_t seed, const std::string& loss) {
  json j;
  j["schema"] = "gossipsim.report/1";
  j["scenario"] = "hand";
  j["seed"] = seed;
  j["config"] = config_of(loss, seed);
  j["sim"] = {{"duration_s", 60.0}, {"events", 99999}, {"wall_s", 1.23}};
  j["blocks"] = {{"injected", 10},
                 {"coverage", 1.0},
                 {"latency_s", {{"mean", 0.5}, {"p50", 0.25}, {"p90", 1.0}, {"p99", 2.0}, {"max", 3.0}}},
                 {"time_to_all_s", {{"mean", 1.5}, {"p50", 1.0}, {"p99", 4.0}, {"max", 4.0}}},
                 {"complete_blocks", 9},
                 {"via", {{"orderer", 10}, {"push", 80}, {"pull", 5}, {"state_transfer", 0}}},
                 {"duplicates_received", 7}};
  j["membership"] = {{"converged_at_s", 12.5}, {"final_accuracy", 1.0}};
  j["messages"] = {{"sent", 1000}, {"bytes", 123456}, {"dropped", 3}, {"bytes_per_peer_per_s", 0.1},
                     {"bytes_per_peer_per_s_from_first_block", 0.2}, {"data_messages_per_block", 8.5}};
  return j;
}

SweepSpec hand_spec() {
  SweepSpec s;
  s.scenario = "hand.yaml";
  s.grid = Grid{{Axis{"network.loss", {"0", "0.5"}}}, {1, 2}};
  s.point_digests = {gs::sweep::config_digest(config_of("0", 1)), gs::sweep::config_digest(config_of("0.5", 1))};
  return s;
}

std::filesystem::path scratch(const std::string& name) {
  const auto d = std::filesystem::temp_directory_path() / fmt::format("gossipsim-collect-{}-{}", name, getpid());
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

void put(const std::filesystem::path& dir, const std::string& run_id, const json& r) {
  std::filesystem::create_directories(dir / "runs" / run_id);
  std::ofstream(dir / "runs" / run_id / "report.json") << r.dump(2) << "\n";
}

// CSV without quoted fields -> rows of column name -> cell.
std::vector<std::map<std::string, std::string>> table(const std::string& csv) {
  std::istringstream in(csv);
  std::vector<std::vector<std::string>> cells;
  for (std::string line; std::getline(in, line);) {
    cells.emplace_back();
    std::size_t start = 0;
    for (std::size_t comma; (comma = line.find(',', start)) != std::string::npos; start = comma + 1)
      cells.back().push_back(line.substr(start, comma - start));
    cells.back().push_back(line.substr(start));
  }
  std::vector<std::map<std::string, std::string>> rows;
  for (std::size_t r = 1; r < cells.size(); ++r) {
    REQUIRE(cells[r].size() == cells[0].size());
    rows.emplace_back();
    for (std::size_t c = 0; c < cells[0].size(); ++c) rows.back()[cells[0][c]] = cells[r][c];
  }
  return rows;
}

}  // namespace

TEST_CASE("collect: hand-made reports give hand-computed runs.csv rows", "[sweep][collect]") {
  const auto dir = scratch("rows");
  const SweepSpec spec = hand_spec();
  json second = report(2, "0");
  second["blocks"]["coverage"] = 0.5;
  second["blocks"]["latency_s"] = nullptr;  // nothing delivered: every latency figure is null
  second["membership"]["converged_at_s"] = nullptr;
  put(dir, "p000-s01", report(1, "0"));
  put(dir, "p000-s02", second);
  put(dir, "p001-s01", report(1, "0.5"));
  std::filesystem::create_directories(dir / "runs" / "p001-s02");  // started, never finished
  std::ofstream(dir / "runs" / "p001-s02" / "timeseries.csv") << "time_s\n";

  const gs::sweep::Collected c = gs::sweep::collect_runs(spec, dir.string());
  CHECK(c.missing == std::vector<std::string>{"p001-s02"});
  REQUIRE(c.rows.size() == 3);
  const std::string csv = gs::sweep::runs_csv(spec, c.rows);
  const std::string expected =
      "run_id,network.loss,seed,coverage,latency_mean_s,latency_p50_s,latency_p90_s,latency_p99_s,latency_max_s,"
      "time_to_all_mean_s,time_to_all_p50_s,time_to_all_p99_s,time_to_all_max_s,complete_blocks,blocks_injected,"
      "via_orderer,via_push,via_pull,via_state_transfer,membership_converged_at_s,membership_final_accuracy,"
      "messages_sent,bytes,bytes_per_peer_per_s,bytes_per_peer_per_s_from_first_block,data_messages_per_block,dropped,"
      "duplicates_received,events\n"
      "p000-s01,0,1,1,0.5,0.25,1,2,3,1.5,1,4,4,9,10,10,80,5,0,12.5,1,1000,123456,0.1,0.2,8.5,3,7,99999\n"
      "p000-s02,0,2,0.5,,,,,,1.5,1,4,4,9,10,10,80,5,0,,1,1000,123456,0.1,0.2,8.5,3,7,99999\n"
      "p001-s01,0.5,1,1,0.5,0.25,1,2,3,1.5,1,4,4,9,10,10,80,5,0,12.5,1,1000,123456,0.1,0.2,8.5,3,7,99999\n";
  CHECK(csv == expected);
  std::filesystem::remove_all(dir);
}

TEST_CASE("collect: summary.csv has n, mean and the Student-t half-width per grid point", "[sweep][collect]") {
  const auto dir = scratch("summary");
  const SweepSpec spec = hand_spec();
  json second = report(2, "0");
  second["blocks"]["coverage"] = 0.5;
  second["blocks"]["latency_s"] = nullptr;
  second["messages"]["sent"] = 1100;
  put(dir, "p000-s01", report(1, "0"));
  put(dir, "p000-s02", second);
  put(dir, "p001-s01", report(1, "0.5"));
  const auto c = gs::sweep::collect_runs(spec, dir.string());
  const std::string csv = gs::sweep::summary_csv(spec, c.rows);
  CHECK(csv.rfind("network.loss,runs,coverage_n,coverage_mean,coverage_ci95,latency_mean_s_n,", 0) == 0);
  const auto rows = table(csv);
  REQUIRE(rows.size() == 2);
  const auto& p0 = rows[0];
  CHECK(p0.at("network.loss") == "0");
  CHECK(p0.at("runs") == "2");
  CHECK(p0.at("coverage_n") == "2");
  CHECK(p0.at("coverage_mean") == "0.75");
  // s = sqrt(2 x 0.25^2 / 1) = 0.353553; t(0.975, 1) s / sqrt(2) = 12.706205 x 0.25.
  CHECK(std::stod(p0.at("coverage_ci95")) == Approx(12.706205 * 0.25).epsilon(1e-6));
  CHECK(p0.at("latency_mean_s_n") == "1");
  CHECK(p0.at("latency_mean_s_mean") == "0.5");
  CHECK(p0.at("latency_mean_s_ci95").empty());  // one value: no interval
  CHECK(p0.at("messages_sent_mean") == "1050");
  CHECK(std::stod(p0.at("messages_sent_ci95")) == Approx(12.706205 * 50).epsilon(1e-6));
  CHECK(p0.at("events_mean") == "99999");
  CHECK(p0.at("events_ci95") == "0");
  const auto& p1 = rows[1];
  CHECK(p1.at("network.loss") == "0.5");
  CHECK(p1.at("runs") == "1");
  CHECK(p1.at("coverage_mean") == "1");
  CHECK(p1.at("coverage_ci95").empty());

  // A point without any finished run still has its row.
  const auto only_first = gs::sweep::summary_csv(spec, {c.rows[0]});
  const auto rows2 = table(only_first);
  REQUIRE(rows2.size() == 2);
  CHECK(rows2[1].at("runs") == "0");
  CHECK(rows2[1].at("coverage_n") == "0");
  CHECK(rows2[1].at("coverage_mean").empty());
  std::filesystem::remove_all(dir);
}

TEST_CASE("collect: reports of another seed or configuration, or not reports, are refused", "[sweep][collect][errors]") {
  const SweepSpec spec = hand_spec();
  const gs::sweep::RunSpec run{"p000-s01", 0, 1};
  CHECK_NOTHROW(gs::sweep::read_run(spec, run, report(1, "0"), "r.json"));
  CHECK_THROWS_WITH(gs::sweep::read_run(spec, run, report(2, "0"), "r.json"), Catch::Contains("r.json: the report is not of seed 1"));
  json other = report(1, "0.5");  // point 1's configuration under point 0's id
  CHECK_THROWS_WITH(gs::sweep::read_run(spec, run, other, "r.json"), Catch::Contains("another configuration than grid point 0"));
  json renamed = report(1, "0");
  renamed["config"]["name"] = "renamed";  // name and description do not change a run
  CHECK_NOTHROW(gs::sweep::read_run(spec, run, renamed, "r.json"));
  json no_field = report(1, "0");
  no_field["messages"].erase("dropped");
  CHECK_THROWS_WITH(gs::sweep::read_run(spec, run, no_field, "r.json"), Catch::Contains("no field messages.dropped"));
  json text_field = report(1, "0");
  text_field["blocks"]["coverage"] = "high";
  CHECK_THROWS_WITH(gs::sweep::read_run(spec, run, text_field, "r.json"), Catch::Contains("blocks.coverage is not a number"));
  json wrong_schema = report(1, "0");
  wrong_schema["schema"] = "something/1";
  CHECK_THROWS_AS(gs::sweep::read_run(spec, run, wrong_schema, "r.json"), SweepError);

  const auto dir = scratch("bad");
  std::filesystem::create_directories(dir / "runs" / "p000-s01");
  std::ofstream(dir / "runs" / "p000-s01" / "report.json") << "{ truncated";
  CHECK_THROWS_WITH(gs::sweep::collect_runs(spec, dir.string()), Catch::Contains("unreadable"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("collect: CSV fields and numbers have one text form", "[sweep][collect]") {
  CHECK(gs::sweep::csv_field("0.05") == "0.05");
  CHECK(gs::sweep::csv_field("{count: 2, peers: 3}") == "\"{count: 2, peers: 3}\"");
  CHECK(gs::sweep::csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(gs::sweep::format_number(1.0) == "1");
  CHECK(gs::sweep::format_number(0.1) == "0.1");
  CHECK(gs::sweep::format_number(0.1 + 0.2) == "0.30000000000000004");  // round-trips, never rounded
  CHECK(gs::sweep::format_number(1e-7) == "1e-07");
  CHECK(gs::sweep::format_number(123456789.0) == "123456789");

  SweepSpec spec;
  spec.grid = Grid{{Axis{"orgs", {"{count: 2, peers: 3}"}}}, {1}};
  spec.point_digests = {"x"};
  gs::sweep::RunRow row{{"p000-s01", 0, 1}, {}};
  for (std::size_t i = 0; i < gs::sweep::headline_figures().size(); ++i) row.figures.push_back({"1", 1.0});
  const std::string csv = gs::sweep::runs_csv(spec, {row});
  CHECK(csv.substr(csv.find('\n') + 1, 34) == "p000-s01,\"{count: 2, peers: 3}\",1,");
  CHECK(csv.rfind("run_id,orgs,seed,coverage,", 0) == 0);
}
