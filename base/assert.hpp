// Always-on invariant checks (kept in release builds, as TigerBeetle does).
//
// A broken invariant is a bug, never bad input: GS_ASSERT throws InvariantViolation
// carrying the failed condition, its location, and the run context (seed, virtual
// time, peer) supplied by whoever set an AssertContext on this thread. `main`
// turns it into exit code 1 with a reproduce line.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace gs {

struct InvariantViolation : std::logic_error {
  using std::logic_error::logic_error;
};

// Describes the current run for failure messages, e.g. "seed 7, t=12.000000000s, peer Org1.peer3".
// Thread-local so that parallel sweep runs each describe their own run.
using AssertContext = std::function<std::string()>;
void set_assert_context(AssertContext ctx);
std::string assert_context();

[[noreturn]] void assert_fail(const char* cond, const char* file, int line, const std::string& msg);

}  // namespace gs

#define GS_ASSERT(cond, ...)                                                            \
  do {                                                                                  \
    if (!(cond)) [[unlikely]]                                                           \
      ::gs::assert_fail(#cond, __FILE__, __LINE__, ::fmt::format(__VA_ARGS__));         \
  } while (0)
