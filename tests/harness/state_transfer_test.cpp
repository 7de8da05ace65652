// spec §11.8: Fabric's gossip/state/state_test.go on virtual time — gossip instances on the
// simulated network, each with a ledger and a state provider (§8) — and the v1.0.2+/latest
// additions. Timeouts are upper bounds on virtual time; waits poll every 1 s like Fabric's
// waitUntilTrueOrTimeout.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "state_cluster.hpp"

using namespace gs;
using namespace gs::testing;
using proto::BlockPath;

namespace {

std::string ep(int port) { return fmt::format("localhost:{}", port); }

// 5 bootstrap peers (5610–5614) and 10 peers (5615–5624) bootstrapping to all 5.
void add_access_control_topology(StateCluster& sc, bool own_acl) {
  std::vector<proto::Endpoint> boots;
  for (int p = 5610; p < 5615; ++p) {
    sc.add(ep(p), {}, state_test_config(), 0, own_acl);
    boots.push_back(ep(p));
  }
  for (int p = 5615; p < 5625; ++p) sc.add(ep(p), boots, state_test_config(), 0, own_acl);
}

void add_payloads(StateCluster& sc, std::size_t i, std::uint64_t from, std::uint64_t to) {
  for (std::uint64_t s = from; s <= to; ++s) sc.state(i).add_payload_from_orderer(proto::Payload{s, test_block(s)});
}

proto::GossipMessage state_request(std::uint64_t nonce, std::uint64_t start, std::uint64_t end) {
  proto::GossipMessage m;
  m.nonce = nonce;
  m.channel = kStateTestChannel;
  m.tag = proto::Tag::CHAN_OR_ORG;
  m.content = proto::RemoteStateRequest{start, end};
  return m;
}

}  // namespace

TEST_CASE("state: TestGossipReception — a block on a wrong channel is ignored, then committed", "[state]") {
  StateCluster sc;
  const std::size_t boot = sc.add(ep(5610), {});
  const std::size_t peer = sc.add(ep(5611), {ep(5610)});
  sc.start_all();
  // The sender also joins the wrong channel so that its Gossip() does not drop the block.
  sc.cluster().gossip(boot).join_channel(join_message(), "wrongchain");
  REQUIRE(sc.wait_until([&] { return sc.cluster().channel_peers(boot, kStateTestChannel).size() == 1; },
                        Duration::seconds(30)));
  const Time t0 = sc.cluster().now();
  sc.cluster().gossip(boot).gossip(make_data_message(1, "wrongchain", 1024));
  sc.cluster().advance(Duration::seconds(1));
  CHECK(sc.height(peer) == 1);
  sc.cluster().gossip(boot).gossip(make_data_message(1, kStateTestChannel, 1024));
  REQUIRE(sc.wait_until([&] { return sc.height(peer) == 2; }, Duration::seconds(15)));
  CHECK(sc.cluster().now() - t0 <= Duration::seconds(15));
  CHECK(sc.received_via(peer, BlockPath::push) == std::vector<std::uint64_t>{1});
}

TEST_CASE("state: TestAccessControl — only the peers the ACL allows reach height 6", "[state]") {
  StateCluster sc;
  add_access_control_topology(sc, true);
  const std::set<int> allowed = {5610, 5615, 5618, 5621};
  for (int p = 5610; p < 5625; ++p)
    if (!allowed.count(p)) sc.acl_pki().set_channel_access_denied(kStateTestChannel, ep(p), true);
  sc.start_all();
  add_payloads(sc, 0, 1, 5);  // AddPayload on 5610: committed, not gossiped
  REQUIRE(sc.height(0) == 6);
  const Time t0 = sc.cluster().now();
  REQUIRE(sc.wait_until(
      [&] {
        for (std::size_t i = 5; i < 15; ++i)
          if (sc.cluster().channel_peers(i, kStateTestChannel).size() != 14) return false;
        return true;
      },
      Duration::seconds(30)));
  REQUIRE(sc.wait_until([&] { return sc.height(5) == 6 && sc.height(8) == 6 && sc.height(11) == 6; },
                        Duration::seconds(60)));
  sc.cluster().advance_to(t0 + Duration::seconds(60));
  for (std::size_t i = 5; i < 15; ++i) {
    INFO("peer " << ep(5610 + static_cast<int>(i)));
    CHECK(sc.height(i) == (allowed.count(5610 + static_cast<int>(i)) ? 6u : 1u));
  }
  for (std::size_t i : {5u, 8u, 11u})
    CHECK(sc.received_via(i, BlockPath::state_transfer) == std::vector<std::uint64_t>{1, 2, 3, 4, 5});
}

TEST_CASE("state: TestNewGossipStateProvider_SendingManyMessages — all reach height 11 by anti-entropy", "[state]") {
  StateCluster sc;
  add_access_control_topology(sc, false);
  sc.start_all();
  add_payloads(sc, 0, 1, 10);
  REQUIRE(sc.wait_until(
      [&] {
        for (std::size_t i = 5; i < 15; ++i)
          if (sc.height(i) != 11) return false;
        return true;
      },
      Duration::seconds(60)));
  for (std::size_t i = 5; i < 15; ++i) {
    CHECK(sc.received_via(i, BlockPath::push).empty());
    CHECK(sc.received_via(i, BlockPath::pull).empty());
    CHECK(sc.received_via(i, BlockPath::state_transfer).size() == 10);
  }
}

TEST_CASE("state: TestGossipStateProvider_TestStateMessages — a request is answered", "[state]") {
  StateCluster sc;
  const std::size_t boot = sc.add(ep(5610), {});
  const std::size_t peer = sc.add(ep(5611), {ep(5610)});
  sc.start_all();
  int requests_seen = 0;
  int responses_seen = 0;
  sc.cluster().gossip(boot).subscribe_raw([](const proto::ReceivedMessage& m) { return m.msg().is<proto::RemoteStateRequest>(); },
                                          [&](const proto::ReceivedMessage&) { ++requests_seen; });
  sc.cluster().gossip(peer).subscribe_raw(
      [](const proto::ReceivedMessage& m) { return m.msg().is<proto::RemoteStateResponse>(); },
      [&](const proto::ReceivedMessage& m) {
        CHECK(m.msg().nonce == 42);
        ++responses_seen;
      });
  sc.cluster().advance(Duration::seconds(5));
  sc.cluster().gossip(peer).send(state_request(42, 0, 1),
                                 {proto::RemotePeer{ep(5610), sc.cluster().pki_id(boot)}});
  REQUIRE(sc.wait_until([&] { return requests_seen == 1 && responses_seen == 1; }, Duration::seconds(10)));
}

TEST_CASE("state: TestNewGossipStateProvider_BatchingOfStateRequest — exactly 2 responses [1..11] and [12..15]",
          "[state]") {
  StateCluster sc;
  const std::size_t boot = sc.add(ep(5610), {}, state_test_config(), 15);
  const std::size_t peer = sc.add(ep(5611), {ep(5610)});
  sc.start_all();
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  sc.cluster().gossip(peer).subscribe_raw(
      [](const proto::ReceivedMessage& m) { return m.msg().is<proto::RemoteStateResponse>(); },
      [&](const proto::ReceivedMessage& m) {
        const auto& ps = m.msg().get_if<proto::RemoteStateResponse>()->payloads;
        ranges.emplace_back(ps.empty() ? 0 : ps.front().seq_num, ps.empty() ? 0 : ps.back().seq_num);
      });
  REQUIRE(sc.wait_until([&] { return ranges.size() >= 2; }, Duration::seconds(2 * 10 + 1)));
  REQUIRE(sc.wait_until([&] { return sc.height(peer) == 16; }, Duration::seconds(60)));
  sc.cluster().advance(Duration::seconds(30));  // no further request: the peer is level with boot
  using R = std::vector<std::pair<std::uint64_t, std::uint64_t>>;
  CHECK(ranges == R{{1, 11}, {12, 15}});
  CHECK(sc.state(peer).transfer_stats().requests_sent == 2);
  CHECK(sc.state(boot).transfer_stats().requests_answered == 2);
}

// --- v1.0.2+/latest additions (latest numbers: blockBufferSize 20, batch 10) -------------

namespace {
proto::GossipConfig latest_state_config(bool anti_entropy) {
  proto::GossipConfig c = state_test_config(proto::Profile::fabric_2_5);
  c.state.enabled = anti_entropy;
  return c;
}
}  // namespace

// Fabric commits one block per 20 ms there; the simulated ledger commits at once, so a
// buffer fed only by state transfer is drained as soon as `next` arrives (peer 5611). To
// load the bound, peer 5612 also gets blocks 2..200 by blocking AddPayload while block 1
// is missing: they wait while more than 2 × 20 are buffered. Block 1 then comes by push
// (a non-blocking add): a blocking add of it — state transfer's — would wait behind the
// full buffer for ever, as in Fabric, where nothing but a non-blocking add can unblock it.
TEST_CASE("state: TestLargeBlockGap — the payload buffer never exceeds 2 x 20 + 10", "[state]") {
  StateCluster sc;
  sc.add(ep(5610), {}, latest_state_config(true), 500);
  const std::size_t peer = sc.add(ep(5611), {ep(5610)}, latest_state_config(true));
  const std::size_t loaded = sc.add(ep(5612), {ep(5610)}, latest_state_config(true));
  sc.start_all();
  add_payloads(sc, loaded, 2, 200);
  REQUIRE(sc.wait_until([&] { return sc.cluster().channel_peers(0, kStateTestChannel).size() == 2; },
                        Duration::seconds(30)));
  CHECK(sc.state(loaded).buffered() == 41);
  sc.cluster().gossip(0).gossip(make_data_message(1, kStateTestChannel, 1024));
  std::size_t max_buffered = 0;
  std::size_t max_loaded = 0;
  REQUIRE(sc.wait_until(
      [&] {
        max_buffered = std::max(max_buffered, sc.state(peer).buffered());
        max_loaded = std::max(max_loaded, sc.state(loaded).buffered());
        return sc.height(peer) == 501 && sc.height(loaded) == 501;
      },
      Duration::seconds(300), Duration::milliseconds(1)));
  CHECK(max_buffered <= 50);
  CHECK(max_loaded <= 50);
  CHECK(max_loaded == 41);  // blocking adds push while size ≤ 40 (§8.3)
  // Block 1 is also pushed to 5611 and may reach it first; 2..500 only come by state transfer.
  CHECK(sc.received_via(peer, BlockPath::state_transfer).size() >= 499);
}

// Fabric's mock ledger stays at height 1 while blocks are added, so its window is 10–20;
// here 1–4 are committed at once (height 5), so the window of non-blocking adds is
// seq − 5 < 20: 10–24 are buffered and 25–200 rejected.
TEST_CASE("state: TestOverPopulation — non-blocking adds beyond blockBufferSize are rejected", "[state]") {
  StateCluster sc;
  proto::GossipConfig sender = latest_state_config(false);
  sender.max_block_count_to_store = 200;
  proto::GossipConfig receiver = sender;
  const std::size_t boot = sc.add(ep(5610), {}, sender);
  const std::size_t peer = sc.add(ep(5611), {ep(5610)}, receiver);
  sc.start_all();
  REQUIRE(sc.wait_until([&] { return sc.cluster().channel_peers(boot, kStateTestChannel).size() == 1; },
                        Duration::seconds(30)));
  for (std::uint64_t s = 1; s <= 200; ++s)
    if (s < 5 || s >= 10) sc.cluster().gossip(boot).gossip(make_data_message(s, kStateTestChannel, 1024));
  sc.cluster().advance(Duration::seconds(10));
  std::vector<std::uint64_t> expected = {1, 2, 3, 4};
  for (std::uint64_t s = 10; s <= 24; ++s) expected.push_back(s);
  std::vector<std::uint64_t> got = sc.received_via(peer, BlockPath::push);
  std::sort(got.begin(), got.end());
  CHECK(got == expected);
  CHECK(sc.height(peer) == 5);
  CHECK(sc.state(peer).buffered() < 20);
}

TEST_CASE("state: TestBlockingEnqueue — orderer and gossip blocks are committed strictly in order", "[state]") {
  StateCluster sc;
  proto::GossipConfig cfg = latest_state_config(false);
  cfg.max_block_count_to_store = 500;
  const std::size_t boot = sc.add(ep(5610), {}, cfg);
  const std::size_t peer = sc.add(ep(5611), {ep(5610)}, cfg);
  sc.start_all();
  REQUIRE(sc.wait_until([&] { return sc.cluster().channel_peers(boot, kStateTestChannel).size() == 1; },
                        Duration::seconds(30)));
  sim::RandomStream rng(7);
  sim::Scheduler& sched = sc.cluster().scheduler();
  for (std::uint64_t s = 1; s <= 500; ++s)
    sched.after(Duration::milliseconds(static_cast<std::int64_t>(s)),
                [&sc, peer, s] { sc.state(peer).add_payload_from_orderer(proto::Payload{s, test_block(s)}); });
  for (int k = 0; k < 250; ++k) {
    const std::uint64_t s = rng.uniform_int(1, 500);
    sched.after(Duration::milliseconds(static_cast<std::int64_t>(rng.uniform_int(1, 500))),
                [&sc, boot, s] { sc.cluster().gossip(boot).gossip(make_data_message(s, kStateTestChannel, 1024)); });
  }
  REQUIRE(sc.wait_until([&] { return sc.height(peer) == 501; }, Duration::seconds(60)));
  std::vector<std::uint64_t> committed;
  for (const proto::Observation& o : sc.observations(peer))
    if (const auto* c = std::get_if<proto::BlockCommitted>(&o.what)) committed.push_back(c->seq);
  std::vector<std::uint64_t> expected(500);
  for (std::uint64_t s = 0; s < 500; ++s) expected[s] = s + 1;
  CHECK(committed == expected);
}
