#include <catch2/catch.hpp>

#include "base/time.hpp"

using namespace gs;
using namespace gs::literals;

TEST_CASE("duration: Go-style strings parse to exact nanoseconds") {
  struct Row { const char* text; std::int64_t ns; };
  const Row rows[] = {
      {"0", 0}, {"0s", 0}, {"1ns", 1}, {"250us", 250'000}, {"250\xC2\xB5s", 250'000},
      {"10ms", 10'000'000}, {"1.5s", 1'500'000'000}, {"1m30s", 90'000'000'000},
      {"1h", 3'600'000'000'000}, {"2h45m0.5s", 9'900'500'000'000}, {"-2s", -2'000'000'000},
      {"+3ms", 3'000'000}, {".5s", 500'000'000}, {"1.s", 1'000'000'000}, {"1.0000000019s", 1'000'000'001},
      {"100ms5us", 100'005'000}, {"2562047h47m16.854775807s", INT64_MAX},
  };
  for (const Row& r : rows) {
    INFO(r.text);
    CHECK(parse_duration(r.text).ns() == r.ns);
  }
}

TEST_CASE("duration: printing follows Go's Duration.String") {
  struct Row { std::int64_t ns; const char* text; };
  const Row rows[] = {
      {0, "0s"}, {1, "1ns"}, {999, "999ns"}, {1'500, "1.5us"}, {250'000, "250us"},
      {10'000'000, "10ms"}, {1'500'000, "1.5ms"}, {1'000'000'000, "1s"}, {1'500'000'000, "1.5s"},
      {90'000'000'000, "1m30s"}, {120'000'000'000, "2m0s"}, {3'600'000'000'000, "1h0m0s"},
      {-2'000'000'000, "-2s"}, {1'000'000'001, "1.000000001s"},
  };
  for (const Row& r : rows) {
    INFO(r.ns);
    CHECK(format_duration(Duration::nanoseconds(r.ns)) == r.text);
  }
}

TEST_CASE("duration: print then parse round-trips") {
  for (std::int64_t ns : {std::int64_t{1}, std::int64_t{999}, std::int64_t{1'234'567}, std::int64_t{59'999'999'999},
                          std::int64_t{3'723'000'000'001}, std::int64_t{-45'000'000}, INT64_MAX}) {
    const Duration d = Duration::nanoseconds(ns);
    CHECK(parse_duration(format_duration(d)) == d);
  }
}

TEST_CASE("duration: bad strings are rejected with a reason") {
  const char* bad[] = {"", "s", "10", "1.5", "10 ms", "10sec", "1d", "ms10", "--1s", "1..5s", ".s",
                       "9223372036854775808ns", "3000000h"};
  for (const char* text : bad) {
    INFO(text);
    CHECK_THROWS_AS(parse_duration(text), DurationParseError);
  }
  CHECK_THROWS_WITH(parse_duration("10"), Catch::Contains("missing unit"));
  CHECK_THROWS_WITH(parse_duration("1d"), Catch::Contains("unknown unit \"d\""));
  CHECK_THROWS_WITH(parse_duration("3000000h"), Catch::Contains("overflow"));
}

TEST_CASE("time: arithmetic and canonical text form") {
  const Time t = Time::zero() + 1500_ms;
  CHECK(t - Time::zero() == Duration::milliseconds(1500));
  CHECK(fmt::format("{}", t) == "1.500000000s");
  CHECK(fmt::format("{}", Time::from_ns(250)) == "0.000000250s");
  CHECK(fmt::format("{}", 90_s) == "1m30s");
  CHECK(Duration::seconds(10) / 4 == 2500_ms);
  CHECK(Duration::seconds(10) / Duration::seconds(3) == 3);
}
