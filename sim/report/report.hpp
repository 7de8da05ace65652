// The outputs of a run (DESIGN.md "report.json"; field-by-field schema in docs/report.md):
// report.json, timeseries.csv, blocks.csv, and the terminal summary. Files are written to
// a temporary name and renamed, so a reader never sees a half-written file.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "sim/metrics/recorder.hpp"
#include "sim/scenario/scenario.hpp"

namespace gs::world {
class World;
}

namespace gs::report {

inline constexpr const char* kSchema = "gossipsim.report/1";

nlohmann::ordered_json config_json(const scenario::Scenario& s);
nlohmann::ordered_json build_report(const scenario::Scenario& s, const world::World& w, const metrics::Recorder& r,
                                    double wall_s);
std::string timeseries_csv(const metrics::Recorder& r);
std::string blocks_csv(const scenario::Scenario& s, const world::World& w, const metrics::Recorder& r);
// One row per first receipt of a block by a peer: what the convergence plots read.
std::string receipts_csv(const world::World& w, const metrics::Recorder& r);
std::string summary_table(const nlohmann::ordered_json& report);

// Writes `content` to `path` atomically (temporary file in the same directory, then rename).
void write_file_atomically(const std::string& path, const std::string& content);

}  // namespace gs::report
