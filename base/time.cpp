#include "base/time.hpp"

#include <array>
#include <cstdint>

namespace gs {
namespace {

__extension__ typedef __int128 i128;  // GCC and Clang both provide it; keeps unit scaling exact.

constexpr std::int64_t kMaxNs = std::numeric_limits<std::int64_t>::max();

struct Unit {
  std::string_view name;
  std::int64_t ns;
};

// Longest names first so "ms" is not read as "m" followed by garbage.
constexpr std::array<Unit, 8> kUnits{{
    {"ns", 1},
    {"us", 1'000},
    {"\xC2\xB5s", 1'000},  // U+00B5 micro sign, accepted as Go does
    {"\xCE\xBCs", 1'000},  // U+03BC Greek mu
    {"ms", 1'000'000},
    {"s", 1'000'000'000},
    {"m", 60'000'000'000},
    {"h", 3'600'000'000'000},
}};

[[noreturn]] void fail(std::string_view text, std::string_view why) {
  throw DurationParseError(fmt::format("invalid duration \"{}\": {} (expected e.g. 10ms, 1.5s, 1m30s)",
                                       text, why));
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Duration parse_duration(std::string_view text) {
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return Duration::zero();
  if (s.empty()) fail(text, "empty");

  i128 total = 0;
  while (!s.empty()) {
    // Integer part.
    i128 whole = 0;
    std::size_t i = 0;
    while (i < s.size() && is_digit(s[i])) {
      whole = whole * 10 + (s[i] - '0');
      if (whole > kMaxNs) fail(text, "overflow");
      ++i;
    }
    const bool had_whole = i > 0;
    // Fraction: keep up to 18 digits; further digits are below a nanosecond for every unit.
    i128 frac = 0, scale = 1;
    bool had_frac = false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && is_digit(s[i])) {
        if (scale < 1'000'000'000'000'000'000) {
          frac = frac * 10 + (s[i] - '0');
          scale *= 10;
        }
        had_frac = true;
        ++i;
      }
    }
    if (!had_whole && !had_frac) fail(text, "expected a number");
    s.remove_prefix(i);

    std::size_t u = 0;
    while (u < s.size() && s[u] != '.' && !is_digit(s[u])) ++u;
    const std::string_view unit_name = s.substr(0, u);
    if (unit_name.empty()) fail(text, "missing unit (one of ns, us or µs, ms, s, m, h)");
    const Unit* unit = nullptr;
    for (const Unit& cand : kUnits)
      if (cand.name == unit_name) unit = &cand;
    if (unit == nullptr) fail(text, fmt::format("unknown unit \"{}\" (one of ns, us or µs, ms, s, m, h)", unit_name));
    s.remove_prefix(u);

    total += whole * unit->ns + frac * unit->ns / scale;  // truncates below 1 ns, as Go does
    if (total > kMaxNs) fail(text, "overflow");
  }
  return Duration::nanoseconds(static_cast<std::int64_t>(negative ? -total : total));
}

namespace {

// Appends v / 10^prec with trailing fractional zeros (and a bare '.') removed.
void append_fraction(std::string& out, std::uint64_t v, int prec) {
  std::uint64_t pow = 1;
  for (int i = 0; i < prec; ++i) pow *= 10;
  out += std::to_string(v / pow);
  std::uint64_t rem = v % pow;
  if (rem == 0) return;
  std::string digits(static_cast<std::size_t>(prec), '0');
  for (int i = prec - 1; i >= 0; --i) {
    digits[static_cast<std::size_t>(i)] = static_cast<char>('0' + rem % 10);
    rem /= 10;
  }
  while (!digits.empty() && digits.back() == '0') digits.pop_back();
  out += '.';
  out += digits;
}

}  // namespace

std::string format_duration(Duration d) {
  std::int64_t ns = d.ns();
  if (ns == 0) return "0s";
  std::string out;
  // Magnitude as unsigned so that INT64_MIN is handled.
  const std::uint64_t u = ns < 0 ? static_cast<std::uint64_t>(-(ns + 1)) + 1 : static_cast<std::uint64_t>(ns);
  if (ns < 0) out += '-';
  if (u < 1'000'000'000u) {
    if (u < 1'000u) {
      out += std::to_string(u) + "ns";
    } else if (u < 1'000'000u) {
      append_fraction(out, u, 3);
      out += "us";
    } else {
      append_fraction(out, u, 6);
      out += "ms";
    }
    return out;
  }
  const std::uint64_t hours = u / 3'600'000'000'000u;
  const std::uint64_t minutes = (u / 60'000'000'000u) % 60;
  const std::uint64_t sec_ns = u % 60'000'000'000u;
  if (hours > 0) out += std::to_string(hours) + "h";
  if (hours > 0 || minutes > 0) out += std::to_string(minutes) + "m";
  append_fraction(out, sec_ns, 9);
  out += "s";
  return out;
}

}  // namespace gs
