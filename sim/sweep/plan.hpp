// The command line of each run of a sweep (docs/sweeps.md "Plans"): the built-in executor
// runs exactly these, and `--plan` prints them for GNU parallel, ssh hosts or a Slurm array.
#pragma once

#include <string>
#include <vector>

#include "sim/sweep/grid.hpp"
#include "sim/sweep/sweep_spec.hpp"

namespace gs::sweep {

// DIR/runs/<run_id>: the ordinary output directory of `gossipsim run` for that run.
std::string run_dir(const std::string& sweep_dir, const std::string& run_id);
// A run is finished when its report.json exists: `gossipsim run` writes it atomically and last.
bool run_finished(const std::string& sweep_dir, const std::string& run_id);

// `BINARY run SCENARIO --seed S --set K=V ... --out DIR/runs/<run_id> --quiet`: the fixed
// --sets first, then one per axis in --vary order.
std::vector<std::string> run_argv(const SweepSpec& spec, const RunSpec& run, const std::string& binary,
                                  const std::string& sweep_dir);

// POSIX shell quoting: words of safe characters as they are, others in single quotes.
std::string shell_quote(const std::string& word);
std::string command_line(const std::vector<std::string>& argv);

}  // namespace gs::sweep
