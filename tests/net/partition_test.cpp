#include <catch2/catch.hpp>

#include "net_test_util.hpp"

using namespace gs;
using namespace gs::literals;
using namespace gs::net;
using gs::net::test::World;

namespace {
std::size_t received(World& w, HostId h) { return w.rec[h]->of("datagram").size(); }
}  // namespace

TEST_CASE("symmetric partition into groups - unlisted hosts form an implicit group - heal") {
  World w(5);
  w.net.partition({{0, 1}, {2, 3}});  // host 4 is alone in the implicit group
  CHECK(w.net.same_group(0, 1));
  CHECK_FALSE(w.net.same_group(1, 2));
  CHECK_FALSE(w.net.same_group(3, 4));
  w.datagram.send(0, 1, test::packet(10));
  w.datagram.send(0, 2, test::packet(10));
  w.datagram.send(2, 0, test::packet(10));
  w.datagram.send(4, 3, test::packet(10));
  w.datagram.send(3, 2, test::packet(10));
  w.run_for(1_s);
  CHECK(received(w, 1) == 1);
  CHECK(received(w, 2) == 1);  // from 3 only
  CHECK(received(w, 0) == 0);
  CHECK(received(w, 3) == 0);
  CHECK(w.net.stats().kind(1).drops(DropReason::partition).messages == 3);
  CHECK(w.dial(0, 2).error == ConnectError::timeout);

  w.net.heal();
  w.datagram.send(0, 2, test::packet(10));
  w.run_for(1_s);
  CHECK(received(w, 2) == 2);
  CHECK(w.dial(0, 2).ok());
  CHECK_THROWS_AS(w.net.partition({{0}, {0, 1}}), std::invalid_argument);
}

TEST_CASE("one-way partition: A cannot reach B - B reaches A") {
  World w(2);
  w.net.block_one_way({0}, {1});
  w.datagram.send(0, 1, test::packet(10));
  w.datagram.send(1, 0, test::packet(10));
  w.run_for(1_s);
  CHECK(received(w, 1) == 0);
  CHECK(received(w, 0) == 1);
  // Streams: A's connects time out; B's connects to A work both ways (stateful-firewall semantics).
  CHECK(w.dial(0, 1, 2_s).error == ConnectError::timeout);
  const ConnectResult r = w.dial(1, 0);
  REQUIRE(r.ok());
  w.run_for(1_s);
  const ConnId at_a = w.rec[0]->of("accept").at(0).conn;
  w.stream.write(at_a, test::packet(10, 1, 5));
  w.stream.write(r.conn, test::packet(10, 1, 6));
  w.run_for(1_s);
  CHECK(w.rec[1]->of("receive").size() == 1);
  CHECK(w.rec[0]->of("receive").size() == 1);

  w.net.heal();
  w.datagram.send(0, 1, test::packet(10));
  w.run_for(1_s);
  CHECK(received(w, 1) == 1);
  CHECK(w.dial(0, 1).ok());
}

TEST_CASE("a datagram in flight when a partition starts is dropped") {
  World w(2, 100_ms);
  w.datagram.send(0, 1, test::packet(10));
  w.run_for(50_ms);
  w.net.partition({{0}, {1}});
  w.run_for(1_s);
  CHECK(received(w, 1) == 0);
  CHECK(w.net.stats().kind(1).drops(DropReason::partition).messages == 1);
}
