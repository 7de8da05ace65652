#include "sim/sweep/plan.hpp"

#include <filesystem>

namespace gs::sweep {

std::string run_dir(const std::string& sweep_dir, const std::string& run_id) { return sweep_dir + "/runs/" + run_id; }

bool run_finished(const std::string& sweep_dir, const std::string& run_id) {
  std::error_code ec;
  return std::filesystem::is_regular_file(run_dir(sweep_dir, run_id) + "/report.json", ec);
}

std::vector<std::string> run_argv(const SweepSpec& spec, const RunSpec& run, const std::string& binary,
                                  const std::string& sweep_dir) {
  std::vector<std::string> argv{binary, "run", spec.scenario, "--seed", std::to_string(run.seed)};
  for (const auto& [key, value] : point_overrides(spec, run.point)) {
    argv.emplace_back("--set");
    argv.push_back(key + "=" + value);
  }
  argv.emplace_back("--out");
  argv.push_back(run_dir(sweep_dir, run.run_id));
  argv.emplace_back("--quiet");
  return argv;
}

std::string shell_quote(const std::string& word) {
  auto safe = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.' || c == '/' || c == '=' || c == ':' || c == ',' || c == '+' || c == '@' || c == '%';
  };
  bool all_safe = !word.empty();
  for (char c : word) all_safe = all_safe && safe(c);
  if (all_safe) return word;
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string command_line(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) out += (out.empty() ? "" : " ") + shell_quote(a);
  return out;
}

}  // namespace gs::sweep
