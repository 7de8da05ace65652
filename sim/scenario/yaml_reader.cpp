#include "sim/scenario/yaml_reader.hpp"

#include <algorithm>
#include <cctype>
#include <span>
#include <charconv>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>

namespace gs::scenario {

std::string to_string(const SourceLoc& loc) {
  return loc.line > 0 ? fmt::format("{}:{}:{}", loc.file, loc.line, loc.column) : loc.file;
}

ScenarioError::ScenarioError(SourceLoc loc, std::string key, const std::string& message)
    : std::runtime_error(fmt::format("{}: {}{}{}", to_string(loc), key, key.empty() ? "" : ": ", message)),
      loc_(std::move(loc)),
      key_(std::move(key)) {}

void YamlSource::add_override_root(const YAML::Node& n, std::string option_text, std::string key) {
  overrides_.push_back(Override{n, std::move(option_text), std::move(key)});
}

const YamlSource::Override* YamlSource::override_of(const YAML::Node& n) const {
  for (const Override& o : overrides_)
    if (o.root.is(n)) return &o;
  return nullptr;
}

SourceLoc YamlSource::loc(const YAML::Node& n) const {
  if (const Override* o = override_of(n)) return SourceLoc{o->option_text, 0, 0};
  const YAML::Mark m = n.Mark();
  if (m.line < 0) return SourceLoc{file_, 0, 0};
  return SourceLoc{file_, m.line + 1, m.column + 1};
}

bool YamlSource::from_option(const YAML::Node& n) const { return override_of(n) != nullptr; }

void YamlSource::fail(const YAML::Node& at, const std::string& key, const std::string& message) const {
  SourceLoc where = loc(at);
  if (where.line == 0 && where.file == file_)  // a node an option created: name the option
    for (const Override& o : overrides_)
      if (o.key == key || o.key.rfind(key + ".", 0) == 0) where = SourceLoc{o.option_text, 0, 0};
  throw ScenarioError(std::move(where), key, message);
}

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// The same word with other digits ("Org4" and "Org1"): another number was meant, not a
// typo, so a "did you mean" would mislead.
bool differs_only_in_digits(std::string_view a, std::string_view b) {
  auto letters = [](std::string_view s) {
    std::string out;
    for (char c : s) out += std::isdigit(static_cast<unsigned char>(c)) ? '#' : c;
    return out;
  };
  return letters(a) == letters(b);
}

}  // namespace

std::optional<std::string> did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const std::string& c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

std::string describe_names(const std::vector<std::string>& names) {
  auto split = [](const std::string& n) {
    const std::size_t digits = n.find_last_not_of("0123456789") + 1;
    return std::pair<std::string, std::string>(n.substr(0, digits), n.substr(digits));
  };
  bool run = names.size() >= 3;
  for (std::size_t i = 0; run && i < names.size(); ++i) {
    const auto [prefix, number] = split(names[i]);
    run = !number.empty() && number.size() < 9 && prefix == split(names[0]).first &&
          std::stoul(number) == std::stoul(split(names[0]).second) + i;
  }
  if (run) return fmt::format("{}..{}", names.front(), names.back());
  std::vector<std::string> shown(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(names.size(), 10)));
  return fmt::format("{}{}", fmt::join(shown, ", "), names.size() > 10 ? fmt::format(", ... ({} in all)", names.size()) : "");
}

std::optional<std::string> typo_hint(const std::string& name, const std::vector<std::string>& candidates) {
  auto hint = did_you_mean(name, candidates);
  if (hint && differs_only_in_digits(name, *hint)) return std::nullopt;
  return hint;
}

MapReader::MapReader(const YamlSource& src, YAML::Node node, std::string path)
    : src_(src), node_(std::move(node)), path_(std::move(path)) {
  if (node_.IsDefined() && !node_.IsNull() && !node_.IsMap())
    src_.fail(node_, path_, "expected a mapping of keys to values");
}

bool MapReader::has(const std::string& key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.push_back(key);
  return node_.IsMap() && node_[key].IsDefined() && !node_[key].IsNull();
}

YAML::Node MapReader::child(const std::string& key) {
  if (!has(key)) return YAML::Node(YAML::NodeType::Undefined);
  return node_[key];
}

YAML::Node MapReader::require(const std::string& key) {
  if (!has(key)) src_.fail(node_, key_path(key), "required key is missing");
  return node_[key];
}

void MapReader::finish() {
  if (!node_.IsMap()) return;
  for (const auto& kv : node_) {
    const std::string key = kv.first.as<std::string>();
    if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
    std::string msg = "unknown key";
    if (auto hint = did_you_mean(key, known_)) msg += fmt::format(" (did you mean \"{}\"?)", *hint);
    else if (!known_.empty()) msg += fmt::format(" (expected one of: {})", fmt::join(known_, ", "));
    src_.fail(kv.first, key_path(key), msg);
  }
}

std::optional<std::string> MapReader::opt_string(const std::string& key) {
  if (!has(key)) return std::nullopt;
  return as_string(src_, node_[key], key_path(key));
}
std::optional<Duration> MapReader::opt_duration(const std::string& key) {
  if (!has(key)) return std::nullopt;
  return as_duration(src_, node_[key], key_path(key));
}
std::optional<std::uint64_t> MapReader::opt_uint(const std::string& key, std::uint64_t max) {
  if (!has(key)) return std::nullopt;
  return as_uint(src_, node_[key], key_path(key), max);
}
std::optional<double> MapReader::opt_double(const std::string& key) {
  if (!has(key)) return std::nullopt;
  return as_double(src_, node_[key], key_path(key));
}
std::optional<double> MapReader::opt_probability(const std::string& key) {
  if (!has(key)) return std::nullopt;
  return as_probability(src_, node_[key], key_path(key));
}
std::optional<bool> MapReader::opt_bool(const std::string& key) {
  if (!has(key)) return std::nullopt;
  return as_bool(src_, node_[key], key_path(key));
}
std::optional<std::uint64_t> MapReader::opt_size(const std::string& key) {
  if (!has(key)) return std::nullopt;
  return as_size(src_, node_[key], key_path(key));
}
std::optional<std::uint64_t> MapReader::opt_rate(const std::string& key) {
  if (!has(key)) return std::nullopt;
  return as_rate(src_, node_[key], key_path(key));
}

std::optional<std::vector<std::string>> MapReader::opt_string_list(const std::string& key) {
  if (!has(key)) return std::nullopt;
  const YAML::Node n = node_[key];
  if (!n.IsSequence()) src_.fail(n, key_path(key), "expected a list, e.g. [a, b]");
  std::vector<std::string> out;
  for (const auto& item : n) out.push_back(as_string(src_, item, key_path(key)));
  return out;
}

std::optional<std::vector<std::uint64_t>> MapReader::opt_uint_list(const std::string& key) {
  if (!has(key)) return std::nullopt;
  const YAML::Node n = node_[key];
  if (!n.IsSequence()) src_.fail(n, key_path(key), "expected a list of numbers, e.g. [0, 1]");
  std::vector<std::uint64_t> out;
  for (const auto& item : n) out.push_back(as_uint(src_, item, key_path(key)));
  return out;
}

// ---- scalars ----

namespace {

const std::string& scalar(const YamlSource& src, const YAML::Node& n, const std::string& key, std::string_view what) {
  if (!n.IsScalar()) src.fail(n, key, fmt::format("expected {}, found a {}", what, n.IsMap() ? "mapping" : "list"));
  return n.Scalar();
}

bool parse_number(std::string_view s, double& out) {
  // from_chars for double is in GCC 12's libstdc++; it is locale-independent.
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::string as_string(const YamlSource& src, const YAML::Node& n, const std::string& key) {
  return scalar(src, n, key, "a string");
}

Duration as_duration(const YamlSource& src, const YAML::Node& n, const std::string& key) {
  const std::string& s = scalar(src, n, key, "a duration such as 10ms, 1.5s or 1m30s");
  try {
    return parse_duration(s);
  } catch (const DurationParseError& e) {
    src.fail(n, key, e.what());
  }
}

std::uint64_t as_uint(const YamlSource& src, const YAML::Node& n, const std::string& key, std::uint64_t max) {
  const std::string& s = scalar(src, n, key, "a non-negative integer");
  std::uint64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty())
    src.fail(n, key, fmt::format("expected a non-negative integer, got \"{}\"", s));
  if (v > max) src.fail(n, key, fmt::format("{} is too large (at most {})", v, max));
  return v;
}

double as_double(const YamlSource& src, const YAML::Node& n, const std::string& key, std::string_view expected) {
  const std::string& s = scalar(src, n, key, expected);
  double v = 0;
  if (!parse_number(s, v) || !std::isfinite(v)) src.fail(n, key, fmt::format("expected {}, got \"{}\"", expected, s));
  return v;
}

void fail_yaml_syntax(const std::string& file, const YAML::ParserException& e) {
  throw ScenarioError({file, e.mark.line + 1, e.mark.column + 1}, "", fmt::format("YAML syntax: {}", e.msg));
}

double as_probability(const YamlSource& src, const YAML::Node& n, const std::string& key) {
  constexpr std::string_view kExpected = "a probability in [0, 1], e.g. 0.02";
  const std::string& s = scalar(src, n, key, kExpected);
  double percent = 0;
  if (s.size() > 1 && s.back() == '%' && parse_number(std::string_view(s).substr(0, s.size() - 1), percent))
    src.fail(n, key, fmt::format("expected {}, got \"{}\" (a percentage: write {})", kExpected, s, percent / 100));
  const double v = as_double(src, n, key, kExpected);
  if (v < 0 || v > 1) src.fail(n, key, fmt::format("expected a probability in [0, 1], got {}", v));
  return v;
}

bool as_bool(const YamlSource& src, const YAML::Node& n, const std::string& key) {
  const std::string& s = scalar(src, n, key, "true or false");
  if (s == "true") return true;
  if (s == "false") return false;
  src.fail(n, key, fmt::format("expected true or false, got \"{}\"", s));
}

std::uint64_t as_size(const YamlSource& src, const YAML::Node& n, const std::string& key) {
  const std::string& s = scalar(src, n, key, "a size such as 32KiB or 1MB");
  try {
    return parse_size(s);
  } catch (const std::invalid_argument& e) {
    src.fail(n, key, e.what());
  }
}

std::uint64_t as_rate(const YamlSource& src, const YAML::Node& n, const std::string& key) {
  const std::string& s = scalar(src, n, key, "a rate such as 1Gbps or 100Mbps");
  try {
    return parse_rate(s);
  } catch (const std::invalid_argument& e) {
    src.fail(n, key, e.what());
  }
}

std::string resolve_scenario_file(const YamlSource& src, const YAML::Node& n, const std::string& key,
                                  const std::string& base_dir, std::string_view what) {
  namespace fs = std::filesystem;
  const std::string written = as_string(src, n, key);
  fs::path p(written);
  if (p.is_relative()) p = fs::path(base_dir) / p;
  std::error_code ec;
  std::string reason;
  if (fs::is_directory(p, ec)) {
    reason = "it is a directory";
  } else if (std::FILE* f = std::fopen(p.c_str(), "rb"); f != nullptr) {
    std::fclose(f);
    return p.string();
  } else {
    reason = std::strerror(errno);
  }
  const std::string shown = fs::absolute(p, ec).lexically_normal().string();
  src.fail(n, key,
           fs::path(written).is_relative()
               ? fmt::format("cannot read {} {} ({} is relative to the scenario's directory): {}", what, shown,
                             written, reason)
               : fmt::format("cannot read {} {}: {}", what, shown, reason));
}

namespace {

struct UnitFactor {
  std::string_view name;
  double factor;
};

std::uint64_t parse_with_units(std::string_view text, std::span<const UnitFactor> units, std::string_view what,
                               std::string_view example) {
  std::size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  double number = 0;
  if (i == 0 || !parse_number(text.substr(0, i), number))
    throw std::invalid_argument(fmt::format("invalid {} \"{}\" (expected e.g. {})", what, text, example));
  std::string_view unit = text.substr(i);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  for (const UnitFactor& u : units) {
    if (u.name != unit) continue;
    const double v = number * u.factor;
    if (v >= 1.8e19) throw std::invalid_argument(fmt::format("{} \"{}\" is too large", what, text));
    return static_cast<std::uint64_t>(std::llround(v));
  }
  std::vector<std::string_view> names;
  for (const UnitFactor& u : units)
    if (!u.name.empty()) names.push_back(u.name);
  throw std::invalid_argument(
      fmt::format("invalid {} \"{}\": unknown unit \"{}\" (one of {})", what, text, unit, fmt::join(names, ", ")));
}

}  // namespace

std::uint64_t parse_size(std::string_view text) {
  static constexpr UnitFactor kUnits[] = {
      {"", 1},       {"B", 1},          {"kB", 1e3},           {"KB", 1e3}, {"MB", 1e6},
      {"GB", 1e9},   {"KiB", 1024},     {"MiB", 1048576},      {"GiB", 1073741824.0},
  };
  return parse_with_units(text, kUnits, "size", "512, 32KiB or 1MB");
}

std::uint64_t parse_rate(std::string_view text) {
  static constexpr UnitFactor kUnits[] = {
      {"bps", 1}, {"kbps", 1e3}, {"Kbps", 1e3}, {"Mbps", 1e6}, {"Gbps", 1e9}, {"Tbps", 1e12},
  };
  return parse_with_units(text, kUnits, "rate", "100Mbps or 1Gbps");
}

}  // namespace gs::scenario
