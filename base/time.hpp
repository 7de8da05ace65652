// Virtual time: strong types over int64 nanoseconds.
//
// Shared by sim/ and protocol/ (which may not include sim/), so it lives in base/.
// Integer nanoseconds keep event ordering exact and identical across compilers;
// floating point never enters the ordering path (DESIGN.md "Determinism").
#pragma once

#include <compare>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace gs {

class Duration {
 public:
  constexpr Duration() = default;
  static constexpr Duration nanoseconds(std::int64_t n) { return Duration(n); }
  static constexpr Duration microseconds(std::int64_t n) { return Duration(n * 1'000); }
  static constexpr Duration milliseconds(std::int64_t n) { return Duration(n * 1'000'000); }
  static constexpr Duration seconds(std::int64_t n) { return Duration(n * 1'000'000'000); }
  static constexpr Duration minutes(std::int64_t n) { return seconds(n * 60); }
  static constexpr Duration hours(std::int64_t n) { return minutes(n * 60); }
  static constexpr Duration zero() { return Duration(0); }
  static constexpr Duration max() { return Duration(std::numeric_limits<std::int64_t>::max()); }

  constexpr std::int64_t ns() const { return ns_; }
  // For reports only: never use the result to order events.
  constexpr double seconds_f() const { return static_cast<double>(ns_) / 1e9; }

  constexpr auto operator<=>(const Duration&) const = default;
  constexpr Duration operator+(Duration o) const { return Duration(ns_ + o.ns_); }
  constexpr Duration operator-(Duration o) const { return Duration(ns_ - o.ns_); }
  constexpr Duration operator-() const { return Duration(-ns_); }
  constexpr Duration operator*(std::int64_t k) const { return Duration(ns_ * k); }
  constexpr Duration operator/(std::int64_t k) const { return Duration(ns_ / k); }
  constexpr std::int64_t operator/(Duration o) const { return ns_ / o.ns_; }
  constexpr Duration operator%(Duration o) const { return Duration(ns_ % o.ns_); }
  constexpr Duration& operator+=(Duration o) { ns_ += o.ns_; return *this; }
  constexpr Duration& operator-=(Duration o) { ns_ -= o.ns_; return *this; }

 private:
  constexpr explicit Duration(std::int64_t n) : ns_(n) {}
  std::int64_t ns_ = 0;
};

constexpr Duration operator*(std::int64_t k, Duration d) { return d * k; }

// An instant of virtual time: nanoseconds since the start of the run.
class Time {
 public:
  constexpr Time() = default;
  static constexpr Time from_ns(std::int64_t n) { return Time(n); }
  static constexpr Time zero() { return Time(0); }
  static constexpr Time max() { return Time(std::numeric_limits<std::int64_t>::max()); }

  constexpr std::int64_t ns() const { return ns_; }
  constexpr Duration since_start() const { return Duration::nanoseconds(ns_); }
  constexpr double seconds_f() const { return static_cast<double>(ns_) / 1e9; }

  constexpr auto operator<=>(const Time&) const = default;
  constexpr Time operator+(Duration d) const { return Time(ns_ + d.ns()); }
  constexpr Time operator-(Duration d) const { return Time(ns_ - d.ns()); }
  constexpr Duration operator-(Time o) const { return Duration::nanoseconds(ns_ - o.ns_); }
  constexpr Time& operator+=(Duration d) { ns_ += d.ns(); return *this; }

 private:
  constexpr explicit Time(std::int64_t n) : ns_(n) {}
  std::int64_t ns_ = 0;
};

namespace literals {
constexpr Duration operator""_ns(unsigned long long n) { return Duration::nanoseconds(static_cast<std::int64_t>(n)); }
constexpr Duration operator""_us(unsigned long long n) { return Duration::microseconds(static_cast<std::int64_t>(n)); }
constexpr Duration operator""_ms(unsigned long long n) { return Duration::milliseconds(static_cast<std::int64_t>(n)); }
constexpr Duration operator""_s(unsigned long long n) { return Duration::seconds(static_cast<std::int64_t>(n)); }
constexpr Duration operator""_min(unsigned long long n) { return Duration::minutes(static_cast<std::int64_t>(n)); }
}  // namespace literals

struct DurationParseError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// Parses Go's time.ParseDuration syntax: an optional sign, then one or more
// "<decimal number><unit>" with units ns, us (or µs), ms, s, m, h — e.g. "1m30s",
// "1.5s", "250us", "-2h". "0" alone is accepted. Fractions finer than 1 ns are
// truncated, as Go does. Throws DurationParseError naming the problem.
Duration parse_duration(std::string_view text);

// Go's Duration.String(): "1m30s", "10ms", "1.5s", "250µs" is printed "250us"
// (ASCII, so logs and CSVs stay 7-bit), "0s" for zero.
std::string format_duration(Duration d);

}  // namespace gs

template <>
struct fmt::formatter<gs::Duration> : fmt::formatter<std::string_view> {
  auto format(gs::Duration d, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(gs::format_duration(d), ctx);
  }
};

// A Time prints as seconds since start with nanosecond precision ("12.000000250s"),
// the canonical form used by traces and golden tests.
template <>
struct fmt::formatter<gs::Time> : fmt::formatter<std::string_view> {
  auto format(gs::Time t, fmt::format_context& ctx) const {
    const std::int64_t ns = t.ns();
    const char* sign = ns < 0 ? "-" : "";
    const std::uint64_t a = ns < 0 ? static_cast<std::uint64_t>(-(ns + 1)) + 1 : static_cast<std::uint64_t>(ns);
    return fmt::format_to(ctx.out(), "{}{}.{:09}s", sign, a / 1'000'000'000u, a % 1'000'000'000u);
  }
};
