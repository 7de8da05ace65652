#include "sim/sweep/grid.hpp"

#include <algorithm>
#include <limits>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "sim/scenario/scenario.hpp"

namespace gs::sweep {

namespace {

using scenario::ScenarioError;

constexpr std::size_t kMaxRangeValues = 100000;

[[noreturn]] void fail(const std::string& text, const std::string& key, const std::string& message) {
  throw ScenarioError({"--vary " + text, 0, 0}, key, message);
}

std::string trim(const std::string& s) {
  const std::size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  const std::size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

// Splits at commas that are not inside [], {} or quotes, so a YAML flow value stays whole.
std::vector<std::string> split_top_level(const std::string& s) {
  std::vector<std::string> items;
  std::string cur;
  int depth = 0;
  char quote = 0;
  for (char c : s) {
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    } else if (c == ',' && depth == 0) {
      items.push_back(trim(cur));
      cur.clear();
      continue;
    }
    cur += c;
  }
  items.push_back(trim(cur));
  return items;
}

// A decimal number in text form, exactly: mantissa / 10^scale.
struct Decimal {
  std::int64_t mantissa = 0;
  int scale = 0;
};

std::optional<Decimal> parse_decimal(const std::string& s) {
  std::size_t i = 0;
  const bool negative = !s.empty() && s[0] == '-';
  if (negative) ++i;
  Decimal d;
  bool digits = false, point = false;
  int significant = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '.' && !point) {
      point = true;
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    if (++significant > 17) return std::nullopt;  // keeps every product below 2^63
    d.mantissa = d.mantissa * 10 + (c - '0');
    digits = true;
    if (point) ++d.scale;
  }
  if (!digits || (point && d.scale == 0)) return std::nullopt;
  if (negative) d.mantissa = -d.mantissa;
  return d;
}

std::int64_t pow10(int n) {
  std::int64_t p = 1;
  while (n-- > 0) p *= 10;
  return p;
}

// mantissa at a finer scale; nullopt when it would leave +-4e18 (so that differences fit too).
std::optional<std::int64_t> rescale(const Decimal& d, int scale) {
  constexpr std::int64_t kLimit = 4'000'000'000'000'000'000;
  const std::int64_t factor = pow10(scale - d.scale);
  if (d.mantissa > kLimit / factor || d.mantissa < -kLimit / factor) return std::nullopt;
  return d.mantissa * factor;
}

// mantissa / 10^scale without trailing zeros: 1000 at scale 2 is "10", 20 at scale 3 "0.02".
std::string format_decimal(std::int64_t mantissa, int scale) {
  const bool negative = mantissa < 0;
  const std::uint64_t m = negative ? 0 - static_cast<std::uint64_t>(mantissa) : static_cast<std::uint64_t>(mantissa);
  const std::uint64_t unit = static_cast<std::uint64_t>(pow10(scale));
  std::string out = fmt::format("{}{}", negative ? "-" : "", m / unit);
  if (scale > 0 && m % unit != 0) {
    std::string frac = fmt::format("{:0{}}", m % unit, scale);
    frac.erase(frac.find_last_not_of('0') + 1);
    out += "." + frac;
  }
  return out;
}

// `A..B` or `A..B:STEP`, appended to `out`.
void expand_range(const std::string& text, const std::string& key, const std::string& item, std::vector<std::string>& out) {
  const std::size_t dots = item.find("..");
  const std::size_t colon = item.find(':', dots + 2);
  const std::string from_text = item.substr(0, dots);
  const std::string to_text = item.substr(dots + 2, colon == std::string::npos ? std::string::npos : colon - dots - 2);
  const auto from = parse_decimal(from_text);
  const auto to = parse_decimal(to_text);
  const auto step = colon == std::string::npos ? std::optional<Decimal>(Decimal{1, 0}) : parse_decimal(item.substr(colon + 1));
  const std::string usage = "a range is A..B (integers) or A..B:STEP; list other values with commas (1s,2s,5s)";
  if (!from || !to || !step) fail(text, key, fmt::format("bad range \"{}\": {}", item, usage));
  if (colon == std::string::npos && (from->scale > 0 || to->scale > 0))
    fail(text, key, fmt::format("range \"{}\": decimals need a step, e.g. {}:0.1", item, item));
  const int scale = std::max({from->scale, to->scale, step->scale});
  const auto ra = rescale(*from, scale), rb = rescale(*to, scale), rs = rescale(*step, scale);
  if (!ra || !rb || !rs) fail(text, key, fmt::format("range \"{}\": too many digits", item));
  const std::int64_t a = *ra, b = *rb, s = *rs;
  if (s <= 0) fail(text, key, fmt::format("range \"{}\": the step must be positive", item));
  if (b < a) fail(text, key, fmt::format("range \"{}\" is empty (it ends below its start)", item));
  if (static_cast<std::uint64_t>((b - a) / s) >= kMaxRangeValues)
    fail(text, key, fmt::format("range \"{}\" has more than {} values", item, kMaxRangeValues));
  for (std::int64_t v = a; v <= b; v += s) out.push_back(format_decimal(v, scale));
}

bool is_range(const std::string& item) {
  const char c = item.empty() ? '\0' : item[0];
  return item.find("..") != std::string::npos && c != '\'' && c != '"' && c != '[' && c != '{';
}

}  // namespace

Axis parse_vary(const std::string& text) {
  const std::size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    fail(text, "", "expected KEY=VALUES, e.g. --vary gossip.propagatePeerNum=1..6 or --vary network.loss=0,0.05");
  Axis axis;
  axis.key = trim(text.substr(0, eq));
  for (const std::string& item : split_top_level(text.substr(eq + 1))) {
    if (item.empty()) fail(text, axis.key, "empty value in the list");
    if (is_range(item))
      expand_range(text, axis.key, item, axis.values);
    else
      axis.values.push_back(item);
  }
  std::set<std::string> seen;
  for (const std::string& v : axis.values)
    if (!seen.insert(v).second) fail(text, axis.key, fmt::format("value \"{}\" is listed twice", v));
  return axis;
}

std::vector<std::uint64_t> seed_range(std::uint64_t first, std::uint64_t count) {
  if (count == 0) throw ScenarioError({"--seeds", 0, 0}, "", "needs at least 1 seed");
  if (count - 1 > std::numeric_limits<std::uint64_t>::max() - first)
    throw ScenarioError({"--first-seed", 0, 0}, "", "the last seed does not fit in 64 bits");
  if (count > kMaxRangeValues) throw ScenarioError({"--seeds", 0, 0}, "", fmt::format("at most {} seeds", kMaxRangeValues));
  std::vector<std::uint64_t> seeds;
  for (std::uint64_t i = 0; i < count; ++i) seeds.push_back(first + i);
  return seeds;
}

void check_axes(const std::vector<Axis>& axes) {
  std::set<std::string> keys;
  for (const Axis& a : axes) {
    const std::string option = fmt::format("--vary {}=...", a.key);
    if (a.key == "seed") throw ScenarioError({option, 0, 0}, a.key, "seeds are varied with --seeds N and --first-seed S");
    if (!keys.insert(a.key).second) throw ScenarioError({option, 0, 0}, a.key, "this key is varied twice");
  }
}

std::size_t Grid::point_count() const {
  std::size_t n = 1;
  for (const Axis& a : axes) n *= a.values.size();
  return n;
}

std::vector<std::string> Grid::point_values(std::size_t point) const {
  std::vector<std::string> values(axes.size());
  for (std::size_t i = axes.size(); i-- > 0;) {
    values[i] = axes[i].values[point % axes[i].values.size()];
    point /= axes[i].values.size();
  }
  return values;
}

std::string run_id(std::size_t point, std::uint64_t seed) { return fmt::format("p{:03}-s{:02}", point, seed); }

std::vector<RunSpec> expand(const Grid& g) {
  std::vector<RunSpec> runs;
  const std::size_t points = g.point_count();
  runs.reserve(points * g.seeds.size());
  for (std::size_t p = 0; p < points; ++p)
    for (std::uint64_t seed : g.seeds) runs.push_back(RunSpec{run_id(p, seed), p, seed});
  return runs;
}

}  // namespace gs::sweep
