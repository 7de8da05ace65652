#include <catch2/catch.hpp>

#include <memory>

#include "base/callback.hpp"

using gs::Callback;
using gs::InplaceFunction;

TEST_CASE("callback: runs, moves and destroys its capture exactly once") {
  auto token = std::make_shared<int>(0);
  {
    Callback a = [token] { ++*token; };
    CHECK(token.use_count() == 2);
    Callback b = std::move(a);
    CHECK_FALSE(a);
    CHECK(token.use_count() == 2);
    b();
    b();
    CHECK(*token == 2);
    b.reset();
    CHECK(token.use_count() == 1);
    b = [token] { *token += 10; };
    b();
  }
  CHECK(*token == 12);
  CHECK(token.use_count() == 1);
}

TEST_CASE("callback: passes arguments and returns results") {
  InplaceFunction<int(int, int)> add = [](int x, int y) { return x + y; };
  CHECK(add(2, 3) == 5);
}
