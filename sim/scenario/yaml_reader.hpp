// Strict reading of YAML scenario nodes: every error names file:line:column and the key,
// unknown keys are errors with a "did you mean" hint, and values are typed (durations,
// sizes, rates, probabilities) with messages that say what was expected.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "base/time.hpp"
#include "sim/scenario/scenario.hpp"

namespace gs::scenario {

// Knows which file (or --set option) nodes came from, to build locations.
class YamlSource {
 public:
  explicit YamlSource(std::string file) : file_(std::move(file)) {}
  // Nodes parsed from a --set value report that option instead of a file position; so
  // does an error about `key` (the option's KEY) at a node without a position (the key
  // node the option created).
  void add_override_root(const YAML::Node& n, std::string option_text, std::string key);
  SourceLoc loc(const YAML::Node& n) const;
  // The node was written by a --set option (not in the file).
  bool from_option(const YAML::Node& n) const;
  [[noreturn]] void fail(const YAML::Node& at, const std::string& key, const std::string& message) const;
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  struct Override {
    YAML::Node root;
    std::string option_text;
    std::string key;
  };
  std::vector<Override> overrides_;
  const Override* override_of(const YAML::Node& n) const;  // the --set that wrote n, if any
};

// Closest candidate by edit distance, if close enough to be a plausible typo.
std::optional<std::string> did_you_mean(std::string_view word, const std::vector<std::string>& candidates);
// did_you_mean, except for the same word with other digits ("Org4" for "Org1"): another
// number was meant, so the answer is what exists (describe_names), not a hint.
std::optional<std::string> typo_hint(const std::string& name, const std::vector<std::string>& candidates);
// "Org1..Org4" for one prefix with consecutive numbers (three or more names), else the
// names one by one (the first ten).
std::string describe_names(const std::vector<std::string>& names);

// Reads a YAML mapping. Every key it is asked about is recorded; finish() rejects any
// other key present, suggesting the nearest recorded key.
class MapReader {
 public:
  MapReader(const YamlSource& src, YAML::Node node, std::string path);

  bool has(const std::string& key);
  // The child node, or an undefined node when absent (also records the key as known).
  YAML::Node child(const std::string& key);
  YAML::Node require(const std::string& key);
  const YAML::Node& node() const { return node_; }
  const std::string& path() const { return path_; }
  std::string key_path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  void finish();

  std::optional<std::string> opt_string(const std::string& key);
  std::optional<Duration> opt_duration(const std::string& key);
  std::optional<std::uint64_t> opt_uint(const std::string& key, std::uint64_t max = UINT64_MAX);
  std::optional<double> opt_double(const std::string& key);
  std::optional<double> opt_probability(const std::string& key);
  std::optional<bool> opt_bool(const std::string& key);
  std::optional<std::uint64_t> opt_size(const std::string& key);   // bytes: 32KiB, 1MB, 512
  std::optional<std::uint64_t> opt_rate(const std::string& key);   // bits/s: 1Gbps, 100Mbps
  std::optional<std::vector<std::string>> opt_string_list(const std::string& key);
  std::optional<std::vector<std::uint64_t>> opt_uint_list(const std::string& key);

  const YamlSource& source() const { return src_; }

 private:
  const YamlSource& src_;
  YAML::Node node_;
  std::string path_;
  std::vector<std::string> known_;
};

// Scalar conversions shared with --set and `set` events; throw ScenarioError at `n`.
std::string as_string(const YamlSource& src, const YAML::Node& n, const std::string& key);
Duration as_duration(const YamlSource& src, const YAML::Node& n, const std::string& key);
std::uint64_t as_uint(const YamlSource& src, const YAML::Node& n, const std::string& key,
                      std::uint64_t max = UINT64_MAX);
// `expected` names what the key wants in the error ("a number", "a probability ...").
double as_double(const YamlSource& src, const YAML::Node& n, const std::string& key, std::string_view expected = "a number");
// A YAML syntax error of `file` as a ScenarioError at its position.
[[noreturn]] void fail_yaml_syntax(const std::string& file, const YAML::ParserException& e);
double as_probability(const YamlSource& src, const YAML::Node& n, const std::string& key);
bool as_bool(const YamlSource& src, const YAML::Node& n, const std::string& key);
std::uint64_t as_size(const YamlSource& src, const YAML::Node& n, const std::string& key);
std::uint64_t as_rate(const YamlSource& src, const YAML::Node& n, const std::string& key);

// A file the scenario names (gossip.import, network.topology.file): a relative path is
// relative to the scenario file's directory `base_dir`. Returns the path so resolved;
// fails at `n` with the absolute path and the OS's reason when the file cannot be read.
std::string resolve_scenario_file(const YamlSource& src, const YAML::Node& n, const std::string& key,
                                  const std::string& base_dir, std::string_view what);

// Parsers of the unit-bearing strings (std::invalid_argument with the reason).
std::uint64_t parse_size(std::string_view text);
std::uint64_t parse_rate(std::string_view text);

}  // namespace gs::scenario
