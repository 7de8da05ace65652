#include <catch2/catch.hpp>

#include "net_test_util.hpp"

using namespace gs;
using namespace gs::literals;
using namespace gs::net;
using gs::net::test::World;

TEST_CASE("stream: connect costs the handshake round trips - acceptor told before any data") {
  StreamConfig tls;
  tls.handshake_rtts = 3;
  for (const int rtts : {1, 3}) {
    World w(2, 10_ms, 1, rtts == 1 ? StreamConfig{} : tls);
    const ConnectResult r = w.dial(0, 1);
    REQUIRE(r.ok());
    CHECK(w.sched.now() == Time::zero() + 20_ms * rtts);
    CHECK(w.stream.local_host(r.conn) == 0);
    CHECK(w.stream.remote_host(r.conn) == 1);
    w.stream.write(r.conn, test::packet(10, 1, 1));
    w.run_for(1_s);
    REQUIRE(w.rec[1]->events.size() == 2);
    CHECK(w.rec[1]->events[0].what == "accept");
    CHECK(w.rec[1]->events[0].remote == 0);
    CHECK(w.rec[1]->events[1].what == "receive");
    CHECK(w.rec[1]->events[1].at == Time::zero() + 20_ms * rtts + 10_ms);
  }
}

TEST_CASE("stream: process down -> refused after one RTT - host unreachable -> timeout at the given timeout") {
  World w(3, 10_ms);
  w.net.crash_process(1);
  const ConnectResult refused = w.dial(0, 1, 5_s);
  CHECK(refused.error == ConnectError::refused);
  CHECK(w.sched.now() == Time::zero() + 20_ms);

  w.net.take_down(2);
  const Time t0 = w.sched.now();
  const ConnectResult timed_out = w.dial(0, 2, 3_s);
  CHECK(timed_out.error == ConnectError::timeout);
  CHECK(w.sched.now() - t0 == 3_s);

  // A handshake slower than the timeout also times out, at the timeout.
  const Time t1 = w.sched.now();
  w.net.restart(1);
  CHECK(w.dial(0, 1, 15_ms).error == ConnectError::timeout);
  CHECK(w.sched.now() - t1 == 15_ms);
  CHECK(w.dial(0, 1).ok());
}

TEST_CASE("stream: loss becomes retransmission delay - everything arrives - in order") {
  World w(2, 10_ms, 7);
  LinkParams p;
  p.latency = LatencyModel::uniform(5_ms, 15_ms);
  p.loss = 0.2;
  w.net.set_default_link(p);
  const ConnId c = w.dial(0, 1).conn;
  REQUIRE(c != 0);
  const Time t0 = w.sched.now();
  const int n = 2000;
  for (int i = 0; i < n; ++i) w.stream.write(c, test::packet(100, 1, i));
  w.run_for(60_s);
  const auto got = w.rec[1]->of("receive");
  REQUIRE(got.size() == n);
  for (int i = 0; i < n; ++i) CHECK(got[static_cast<std::size_t>(i)].payload == i);
  CHECK(w.net.stats().retransmissions() > 300);  // ~ n * p / (1 - p) = 500 expected
  CHECK(w.net.stats().kind(1).dropped.messages == 0);
  // At least one message waited a retransmission timeout (200 ms) beyond the latency.
  CHECK(got.back().at - t0 >= 200_ms + 5_ms);
}

TEST_CASE("stream: a retransmitted message holds back later ones (head-of-line)") {
  // Loss 1 with max_retransmissions 1: every transmission is lost once, then gets through.
  StreamConfig cfg;
  cfg.max_retransmissions = 1;
  World w(2, 10_ms, 1, cfg);
  const ConnId c = w.dial(0, 1).conn;
  LinkParams p;
  p.latency = LatencyModel::constant(10_ms);
  p.loss = 1.0;
  w.net.set_default_link(p);
  const Time t0 = w.sched.now();
  w.stream.write(c, test::packet(10, 1, 1));
  w.net.set_default_link(LinkParams{LatencyModel::constant(10_ms), Duration::zero(), 0.0});
  w.stream.write(c, test::packet(10, 1, 2));
  w.run_for(1_s);
  const auto got = w.rec[1]->of("receive");
  REQUIRE(got.size() == 2);
  CHECK(got[0].at - t0 == 210_ms);
  CHECK(got[1].at - t0 == 210_ms);  // arrived at 10 ms but could not overtake
  CHECK(got[1].payload == 2);
}

TEST_CASE("stream: partition breaks a connection after the detection time - later writes fail and are reported") {
  World w(2, 10_ms);
  const ConnId c = w.dial(0, 1).conn;
  w.run_for(1_s);
  const ConnId c_acc = w.rec[1]->of("accept").at(0).conn;
  const Time t_part = w.sched.now();
  w.net.partition({{0}, {1}});
  w.stream.write(c, test::packet(10, 1, 1));  // stalls, then fails at detection
  w.run_for(319_s);
  CHECK(w.rec[0]->of("closed").empty());
  CHECK(w.stream.is_open(c));
  w.run_for(2_s);
  const auto closed = w.rec[0]->of("closed");
  REQUIRE(closed.size() == 1);
  CHECK(closed[0].at - t_part == 320_s);  // Fabric v1.0 client keepalive 300 s + 20 s
  const auto failed = w.rec[0]->of("write_failed");
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].at - t_part == 320_s);
  CHECK(w.net.stats().kind(1).drops(DropReason::connection_broken).messages == 1);

  w.stream.write(c, test::packet(10, 1, 2));
  w.run_for(1_ms);
  CHECK(w.rec[0]->of("write_failed").size() == 2);
  CHECK(w.rec[1]->of("receive").empty());
  // The accepting side uses the server keepalive (7200 s + 20 s).
  CHECK(w.stream.is_open(c_acc));
  w.run_for(7220_s);
  CHECK(w.rec[1]->of("closed").size() == 1);
  CHECK(w.stream.live_connections() == 0);
}

TEST_CASE("stream: a partition healed before detection only delays the data") {
  World w(2, 10_ms);
  const ConnId c = w.dial(0, 1).conn;
  w.net.partition({{0}, {1}});
  w.stream.write(c, test::packet(10, 1, 1));
  w.stream.write(c, test::packet(10, 1, 2));
  w.run_for(30_s);
  const Time t_heal = w.sched.now();
  w.net.heal();
  w.run_for(1_s);
  const auto got = w.rec[1]->of("receive");
  REQUIRE(got.size() == 2);
  CHECK(got[0].at - t_heal == 10_ms);
  CHECK(got[1].payload == 2);
  w.run_for(400_s);
  CHECK(w.rec[0]->of("closed").empty());
  CHECK(w.stream.is_open(c));
}

TEST_CASE("stream: close by either side notifies the other after the data in flight") {
  World w(2, 10_ms);
  const ConnId c = w.dial(0, 1).conn;
  w.stream.write(c, test::packet(10, 1, 1));
  w.stream.close(c);
  w.stream.close(c);  // harmless
  w.run_for(1_s);
  const auto& ev = w.rec[1]->events;
  REQUIRE(ev.size() == 3);
  CHECK(ev[1].what == "receive");
  CHECK(ev[2].what == "closed");
  CHECK_FALSE(w.stream.is_open(ev[2].conn));
  CHECK(w.stream.live_connections() == 0);
  w.stream.write(ev[2].conn, test::packet(10));  // after being told: fails at once
  w.run_for(1_ms);
  CHECK(w.rec[1]->of("write_failed").size() == 1);
  CHECK(w.rec[0]->of("closed").empty());  // the closer is not told about its own close

  // Acceptor closes.
  const ConnId c2 = w.dial(0, 1).conn;
  w.run_for(1_s);
  w.stream.close(w.rec[1]->of("accept").back().conn);
  const Time t = w.sched.now();
  w.run_for(1_s);
  REQUIRE(w.rec[0]->of("closed").size() == 1);
  CHECK(w.rec[0]->of("closed")[0].conn == c2);
  CHECK(w.rec[0]->of("closed")[0].at - t == 10_ms);
}

TEST_CASE("stream: process crash resets the remote side after one-way latency - writes fail") {
  World w(2, 10_ms);
  const ConnId c = w.dial(0, 1).conn;
  w.run_for(1_s);
  const Time t_crash = w.sched.now();
  w.net.crash_process(1);
  w.stream.write(c, test::packet(10, 1, 1));  // reaches a dead process: RST
  w.run_for(1_s);
  const auto closed = w.rec[0]->of("closed");
  REQUIRE(closed.size() == 1);
  CHECK(closed[0].at - t_crash == 10_ms);
  const auto failed = w.rec[0]->of("write_failed");
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].at - t_crash == 10_ms);
  CHECK(w.net.stats().kind(1).drops(DropReason::process_down).messages == 1);
  CHECK(w.rec[1]->of("closed").empty());  // the dead process hears nothing
  CHECK(w.stream.live_connections() == 0);

  w.net.restart(1);
  CHECK(w.dial(0, 1).ok());
}

TEST_CASE("stream: host down breaks connections by keepalive detection - its pending connects vanish") {
  World w(3, 10_ms);
  const ConnId c = w.dial(0, 1).conn;
  w.run_for(1_s);
  bool called = false;
  w.stream.connect(1, 2, 5_s, [&](const ConnectResult&) { called = true; });
  const Time t_down = w.sched.now();
  w.net.take_down(1);
  w.run_for(10_s);
  CHECK_FALSE(called);
  CHECK(w.rec[0]->of("closed").empty());
  w.run_for(400_s);
  REQUIRE(w.rec[0]->of("closed").size() == 1);
  CHECK(w.rec[0]->of("closed")[0].at - t_down == 320_s);
  CHECK_FALSE(w.stream.is_open(c));
}

TEST_CASE("stream: a host that restarts before detection resets the remote's next write") {
  World w(2, 10_ms);
  const ConnId c = w.dial(0, 1).conn;
  w.run_for(1_s);
  w.net.take_down(1);
  w.run_for(5_s);
  w.net.restart(1);
  const Time t = w.sched.now();
  w.stream.write(c, test::packet(10, 1, 1));
  w.run_for(1_s);
  REQUIRE(w.rec[0]->of("write_failed").size() == 1);
  CHECK(w.rec[0]->of("write_failed")[0].at - t == 10_ms);
  CHECK(w.rec[0]->of("closed").size() == 1);
}

// What comm's send buffer counts on an open connection (spec §9.5): writes whose
// transmission has not started, behind earlier data of any connection on the uplink.
TEST_CASE("stream: unsent counts the writes still waiting for the writer's uplink") {
  World w(3, 10_ms);
  w.net.set_uplink_bps(0, 8'000'000);  // 1,000 bytes take 1 ms
  const ConnId to1 = w.dial(0, 1).conn;
  const ConnId to2 = w.dial(0, 2).conn;
  REQUIRE(to1 != 0);
  REQUIRE(to2 != 0);
  w.run_for(1_s);  // the accept markers have left
  CHECK(w.stream.unsent(to1) == 0);
  for (int i = 0; i < 3; ++i) w.stream.write(to1, test::packet(1000, 1, 1));
  w.stream.write(to2, test::packet(1000, 1, 1));  // behind to1's three on the shared uplink
  CHECK(w.stream.unsent(to1) == 2);               // the first is on the wire
  CHECK(w.stream.unsent(to2) == 1);
  w.run_for(1_ms);
  CHECK(w.stream.unsent(to1) == 1);
  CHECK(w.stream.unsent(to2) == 1);
  w.run_for(1_ms);
  CHECK(w.stream.unsent(to1) == 0);
  CHECK(w.stream.unsent(to2) == 1);
  w.run_for(1_ms);
  CHECK(w.stream.unsent(to2) == 0);
  w.run_for(1_s);
  CHECK(w.rec[1]->of("receive").size() == 3);
  CHECK(w.stream.unsent(to1) == 0);
}

// The tag is the writer's label (protocol comm tells Send from Respond writes by it): every
// failure path hands it back unchanged, and the failing end is reported closed in the same
// event (reset, keepalive) or was reported closed before (a write on a closed end).
TEST_CASE("stream: write failures hand back the packet's tag - the end is reported closed with them") {
  SECTION("reset by a crashed process, then a write on the closed end") {
    World w(2, 10_ms);
    const ConnId c = w.dial(0, 1).conn;
    w.run_for(1_s);
    w.net.crash_process(1);
    w.stream.write(c, test::packet(10, 1, 1, 7));  // in flight before the FIN arrives
    w.run_for(1_s);
    w.stream.write(c, test::packet(10, 1, 2, 9));  // on the closed end
    w.run_for(1_ms);
    const auto failed = w.rec[0]->of("write_failed");
    REQUIRE(failed.size() == 2);
    CHECK(failed[0].tag == 7);
    CHECK(failed[1].tag == 9);
    REQUIRE(w.rec[0]->of("closed").size() == 1);
    CHECK(w.rec[0]->of("closed")[0].at <= failed[0].at);
  }
  SECTION("reset by a restarted host: the failure, then the close, in one event") {
    World w(2, 10_ms);
    const ConnId c = w.dial(0, 1).conn;
    w.run_for(1_s);
    w.net.take_down(1);
    w.net.restart(1);
    w.stream.write(c, test::packet(10, 1, 1, 3));
    w.run_for(1_s);
    const auto& ev = w.rec[0]->events;
    REQUIRE(ev.size() == 2);
    CHECK(ev[0].what == "write_failed");
    CHECK(ev[0].tag == 3);
    CHECK(ev[1].what == "closed");
    CHECK(ev[1].at == ev[0].at);
  }
  SECTION("keepalive detection: every write in flight, in write order, then the close") {
    World w(2, 10_ms);
    const ConnId c = w.dial(0, 1).conn;
    w.run_for(1_s);
    w.net.partition({{0}, {1}});
    for (std::uint8_t tag = 1; tag <= 3; ++tag) w.stream.write(c, test::packet(10, 1, tag, tag));
    w.run_for(400_s);
    const auto& ev = w.rec[0]->events;
    REQUIRE(ev.size() == 4);
    for (std::size_t i = 0; i < 3; ++i) {
      CHECK(ev[i].what == "write_failed");
      CHECK(ev[i].tag == static_cast<std::uint8_t>(i + 1));
    }
    CHECK(ev[3].what == "closed");
    CHECK(ev[3].at == ev[0].at);
  }
}
