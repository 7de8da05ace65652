// From the runs' report.json files to runs.csv and summary.csv (docs/sweeps.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/sweep/grid.hpp"
#include "sim/sweep/sweep_spec.hpp"

namespace gs::sweep {

// A headline figure: its column name and where it is in report.json.
struct Figure {
  const char* name;
  std::vector<const char*> path;
};
// The columns of runs.csv after `seed`, in order (names are a contract: extend, don't rename).
const std::vector<Figure>& headline_figures();

// One figure of one run: the CSV cell (integers as integers, other numbers in the shortest
// text that reads back as the same double, null as empty) and its value for statistics.
struct FigureValue {
  std::string cell;
  std::optional<double> value;
};

struct RunRow {
  RunSpec run;
  std::vector<FigureValue> figures;  // in headline_figures() order
};

// Checks that `report` belongs to `run` of `spec` (schema, seed, configuration digest of the
// run's grid point) and reads its headline figures. Throws SweepError naming `where`.
RunRow read_run(const SweepSpec& spec, const RunSpec& run, const nlohmann::ordered_json& report, const std::string& where);

struct Collected {
  std::vector<RunRow> rows;          // finished runs, in grid order
  std::vector<std::string> missing;  // run ids without report.json, in grid order
};
// Reads DIR/runs/<run_id>/report.json for every run of the spec.
Collected collect_runs(const SweepSpec& spec, const std::string& sweep_dir);

std::string runs_csv(const SweepSpec& spec, const std::vector<RunRow>& rows);
// One row per grid point (every point, also those without runs): the varied values, `runs`,
// then F_n, F_mean, F_ci95 for every headline figure F.
std::string summary_csv(const SweepSpec& spec, const std::vector<RunRow>& rows);

// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
std::string csv_field(const std::string& text);
// The shortest text that reads back as the same double (fmt's "{}").
std::string format_number(double v);

}  // namespace gs::sweep
