// The parameter grid of a sweep (docs/sweeps.md): `--vary KEY=VALUES` axes, the seeds, and
// the runs they expand to, in grid order (first axis slowest, then seed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gs::sweep {

// One `--vary`: a scenario key and its values, kept verbatim as `--set` strings.
struct Axis {
  std::string key;
  std::vector<std::string> values;
};

// Parses `KEY=V1,V2,...`; an item may be a range `A..B` (integers, step 1) or `A..B:STEP`
// (decimals; exact decimal arithmetic, so 0..0.1:0.02 gives 0, 0.02, ..., 0.1). Commas inside
// [], {} or quotes do not split (`orgs={count: 2, peers: 3}`). Throws ScenarioError naming
// `--vary <text>` on a malformed list, an empty or reversed range, or a repeated value.
Axis parse_vary(const std::string& text);

// Seeds first, first+1, ..., first+count-1. Throws ScenarioError when count is 0 or the
// last seed overflows.
std::vector<std::uint64_t> seed_range(std::uint64_t first, std::uint64_t count);

struct Grid {
  std::vector<Axis> axes;             // in --vary order
  std::vector<std::uint64_t> seeds;   // in run order

  // Grid points: the product of the axes' sizes (1 when nothing varies).
  std::size_t point_count() const;
  // The values of point `point`, one per axis; the first axis varies slowest.
  std::vector<std::string> point_values(std::size_t point) const;
};

// Throws ScenarioError when two axes share a key or an axis varies the seed.
void check_axes(const std::vector<Axis>& axes);

// A run: a grid point and a seed. run_id is `p<point, 3+ digits>-s<seed, 2+ digits>`: it
// depends on the point and seed only, so adding seeds keeps the existing ids.
struct RunSpec {
  std::string run_id;
  std::size_t point = 0;
  std::uint64_t seed = 0;
};

std::string run_id(std::size_t point, std::uint64_t seed);

// Every run of the grid: points in order, and for each point every seed in order.
std::vector<RunSpec> expand(const Grid& g);

}  // namespace gs::sweep
