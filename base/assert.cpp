#include "base/assert.hpp"

namespace gs {
namespace {
thread_local AssertContext g_context;
}

void set_assert_context(AssertContext ctx) { g_context = std::move(ctx); }

std::string assert_context() { return g_context ? g_context() : std::string(); }

void assert_fail(const char* cond, const char* file, int line, const std::string& msg) {
  std::string ctx = assert_context();
  throw InvariantViolation(fmt::format("invariant broken: {} ({}) at {}:{}{}{}", msg, cond, file, line,
                                       ctx.empty() ? "" : "; ", ctx));
}

}  // namespace gs
