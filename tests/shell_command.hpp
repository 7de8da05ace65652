// Runs a shell command line from a test and captures its exit code and output (stdout and
// stderr together); makes an empty scratch directory. Shared by the CLI-level tests of
// test_harness and test_sweep.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include <catch2/catch.hpp>

namespace gs::testing {

struct CommandResult {
  int exit_code = -1;  // -1 when the command did not exit normally
  std::string output;  // stdout and stderr
};

inline CommandResult run_shell(const std::string& command_line) {
  CommandResult r;
  FILE* p = popen((command_line + " 2>&1").c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p) != nullptr) r.output += buf;
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// An empty directory gossipsim-<name> in the system's temporary directory.
inline std::filesystem::path scratch_dir(const std::string& name) {
  const std::filesystem::path d = std::filesystem::temp_directory_path() / ("gossipsim-" + name);
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

}  // namespace gs::testing
