#include <catch2/catch.hpp>

#include <cmath>

#include "net_test_util.hpp"

using namespace gs;
using namespace gs::literals;
using namespace gs::net;
using gs::net::test::World;

TEST_CASE("datagram: loss drops roughly p of the messages") {
  World w(2, 10_ms);
  LinkParams p;
  p.latency = LatencyModel::constant(10_ms);
  p.loss = 0.1;
  w.net.set_default_link(p);
  const int n = 20'000;
  for (int i = 0; i < n; ++i) w.datagram.send(0, 1, test::packet(10, 1, i));
  w.run_for(1_s);
  const auto lost = w.net.stats().kind(1).drops(DropReason::loss).messages;
  // Binomial(20000, 0.1): sd = 42; 5 sd = 212 messages.
  CHECK(std::abs(static_cast<double>(lost) - 2000.0) < 212);
  CHECK(w.rec[1]->of("datagram").size() == n - lost);
}

TEST_CASE("datagram: independent latency draws reorder messages") {
  World w(2);
  LinkParams p;
  p.latency = LatencyModel::uniform(1_ms, 50_ms);
  w.net.set_default_link(p);
  for (int i = 0; i < 100; ++i) w.datagram.send(0, 1, test::packet(10, 1, i));
  w.run_for(1_s);
  const auto got = w.rec[1]->of("datagram");
  REQUIRE(got.size() == 100);
  int inversions = 0;
  for (std::size_t i = 1; i < got.size(); ++i) inversions += got[i].payload < got[i - 1].payload;
  CHECK(inversions > 10);
}

TEST_CASE("datagram: down hosts and missing handlers drop") {
  World w(3);
  w.net.take_down(1);
  w.datagram.send(0, 1, test::packet(10));
  w.net.crash_process(2);
  w.datagram.send(0, 2, test::packet(10));
  w.run_for(1_s);
  CHECK(w.net.stats().kind(1).drops(DropReason::host_down).messages == 1);
  CHECK(w.net.stats().kind(1).drops(DropReason::process_down).messages == 1);
  w.net.restart(1);
  w.datagram.send(0, 1, test::packet(10));
  w.run_for(1_s);
  CHECK(w.rec[1]->of("datagram").size() == 1);
}
