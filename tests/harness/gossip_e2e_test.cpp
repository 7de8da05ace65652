// Fabric's gossip core end-to-end tests (spec §11.3, gossip/gossip/gossip_test.go) on the
// real simulated network: TestPull and TestDissemination. Fabric's timeouts (180 s, polling
// every 3 s) are upper bounds on virtual time here; the figures a run reaches are printed
// with the seed so a regression can be compared and reproduced.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "gossip_cluster.hpp"

namespace gs::testing {
namespace {

constexpr const char* kChannel = "A";
const Duration kTimeout = Duration::seconds(180);  // gossip_test.go timeout
const Duration kPoll = Duration::seconds(3);        // gossip_test.go polling interval

std::string localhost(int port) { return fmt::format("localhost:{}", port); }

// Joins "A" and publishes metadata, as each test does right after newGossipInstance().
std::function<void(proto::GossipService&)> join_a(std::string metadata = "1") {
  return [metadata](proto::GossipService& g) {
    g.join_channel(join_message(), kChannel);
    g.update_channel_metadata(metadata, kChannel);
  };
}

bool every_view_has(const GossipCluster& c, std::size_t n) {
  for (std::size_t i = 0; i < c.size(); ++i)
    if (c.view(i).size() != n) return false;
  return true;
}

bool all_blocks_delivered(const GossipCluster& c, std::size_t from, std::uint64_t count) {
  for (std::size_t i = from; i < c.size(); ++i)
    if (c.blocks_delivered(i, kChannel).size() != count) return false;
  return true;
}

}  // namespace

// spec §11.3 TestPull: pull-only instances (no push, no alive gossip); peers 1..5 bootstrap
// to peer 0, which starts 1 s later. Each sees 5 members; the boot Gossips blocks 1..10,
// which reach every peer by block pull alone.
TEST_CASE("TestPull: pull-only instances receive every block by pull", "[e2e][pull]") {
  const std::uint64_t seed = 11;
  GossipCluster c(ClusterOptions::with_seed(seed));
  const std::size_t boot = c.add(instance(localhost(5610), {}, pull_only_test_config(), join_a(), "1.2.3.4:5610"));
  for (int i = 1; i <= 5; ++i)
    c.add(instance(localhost(5610 + i), {localhost(5610)}, pull_only_test_config(), join_a(),
                   fmt::format("1.2.3.4:{}", 5610 + i)));
  for (std::size_t i = 1; i < c.size(); ++i) c.start(i);
  c.start_at(boot, c.now() + Duration::seconds(1));

  REQUIRE(c.wait_until([&] { return every_view_has(c, 5); }, kTimeout, kPoll));
  const Time membership_at = c.now();
  for (std::uint64_t seq = 1; seq <= 10; ++seq) c.gossip(boot).gossip(make_data_message(seq, kChannel));
  const Time injected = c.now();
  REQUIRE(c.wait_until([&] { return all_blocks_delivered(c, 1, 10); }, kTimeout, Duration::milliseconds(100)));
  UNSCOPED_INFO("seed " << seed);
  WARN(fmt::format("TestPull seed {}: membership of 5 at {}, all 10 blocks at every peer {} after Gossip()", seed,
                   membership_at, c.now() - injected));

  for (std::size_t i = 1; i < c.size(); ++i) {
    const auto blocks = c.blocks_delivered(i, kChannel);
    CHECK(blocks.size() == 10);
    for (const auto& [seq, times] : blocks) CHECK(times == 1);
    // Pull-only: nothing was pushed (PropagateIterations 0), so every block came by pull.
    for (const Delivery& d : c.deliveries(i))
      if (d.kind == proto::MessageKind::data) CHECK(d.via == proto::BlockPath::pull);
  }
}

// spec §11.3 TestDissemination: boot + 10 peers bootstrapping to it, all join "A"; peer 10
// publishes channel metadata "bla bla". After full membership the boot gossips blocks 1..10:
// each peer gets exactly 10 data messages; boot and peers 1-9 see peer 10's metadata; then
// one leadership declaration from the boot reaches each of the 10 exactly once.
TEST_CASE("TestDissemination: exactly-once blocks and leadership, channel metadata", "[e2e][push]") {
  const std::uint64_t seed = 7;
  const int n = 10;
  GossipCluster c(ClusterOptions::with_seed(seed));
  const std::size_t boot = c.add(instance(localhost(3610), {}, standard_test_config(), join_a(), "1.2.3.4:3610"));
  for (int i = 1; i <= n; ++i)
    c.add(instance(localhost(3610 + i), {localhost(3610)}, standard_test_config(), join_a(i == n ? "bla bla" : "1"),
                   fmt::format("1.2.3.4:{}", 3610 + i)));
  for (std::size_t i = 0; i < c.size(); ++i) c.start(i);

  REQUIRE(c.wait_until([&] { return every_view_has(c, n); }, kTimeout, kPoll));
  const Time membership_at = c.now();
  for (std::uint64_t seq = 1; seq <= 10; ++seq) c.gossip(boot).gossip(make_data_message(seq, kChannel));
  const Time injected = c.now();
  REQUIRE(c.wait_until([&] { return all_blocks_delivered(c, 1, 10); }, kTimeout, Duration::milliseconds(100)));
  const Duration to_all = c.now() - injected;

  std::size_t pulled = 0;
  for (std::size_t i = 1; i < c.size(); ++i) {
    // "each peer receives exactly 10 data messages": 10 distinct blocks, each delivered once.
    CHECK(c.count_delivered(i, proto::MessageKind::data) == 10);
    for (const auto& [seq, times] : c.blocks_delivered(i, kChannel)) CHECK(times == 1);
    for (const Delivery& d : c.deliveries(i))
      if (d.kind == proto::MessageKind::data && d.via == proto::BlockPath::pull) ++pulled;
  }
  // Deliveries stay exactly once a while later too (pull rounds keep running).
  c.advance(Duration::seconds(10));
  for (std::size_t i = 1; i < c.size(); ++i) CHECK(c.count_delivered(i, proto::MessageKind::data) == 10);

  // Boot and peers 1..9 see peer 10's channel metadata.
  const proto::PkiId& last = c.pki_id(n);
  auto sees_bla_bla = [&](std::size_t i) {
    for (const proto::ChannelMember& m : c.channel_peers(i, kChannel))
      if (m.pki_id == last && m.metadata == "bla bla") return true;
    return false;
  };
  REQUIRE(c.wait_until(
      [&] {
        for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i)
          if (!sees_bla_bla(i)) return false;
        return true;
      },
      kTimeout, kPoll));

  // One leadership declaration: every peer receives exactly one (never forwarded, §5.7;
  // routed to all eligible peers, §2.6).
  c.gossip(boot).gossip(make_leadership_message(c.pki_id(boot), kChannel, true, proto::PeerTime{1, 1}));
  REQUIRE(c.wait_until(
      [&] {
        for (std::size_t i = 1; i < c.size(); ++i)
          if (c.count_delivered(i, proto::MessageKind::leadership) == 0) return false;
        return true;
      },
      kTimeout, Duration::milliseconds(100)));
  c.advance(Duration::seconds(5));
  for (std::size_t i = 1; i < c.size(); ++i) CHECK(c.count_delivered(i, proto::MessageKind::leadership) == 1);

  WARN(fmt::format("TestDissemination seed {}: membership of {} at {}, 10 blocks at all peers {} after Gossip() "
                   "({} of {} block deliveries by pull)",
                   seed, n, membership_at, to_all, pulled, 10 * n));
}

// The harness itself: a stopped instance disappears from the others' views (declared dead
// after the alive expiration) and a restart brings it back (new incarnation).
TEST_CASE("GossipCluster: stop and restart of an instance", "[e2e][harness]") {
  GossipCluster c(ClusterOptions::with_seed(3));
  for (int i = 0; i < 4; ++i)
    c.add(instance(localhost(4610 + i),
                   i == 0 ? std::vector<proto::Endpoint>{} : std::vector<proto::Endpoint>{localhost(4610)},
                   standard_test_config(), join_a()));
  for (std::size_t i = 0; i < c.size(); ++i) c.start(i);
  REQUIRE(c.wait_until([&] { return every_view_has(c, 3); }, Duration::seconds(30)));

  c.stop_at(3, c.now() + Duration::seconds(1));
  c.advance(Duration::seconds(2));
  CHECK_FALSE(c.running(3));
  CHECK(c.view(3).empty());
  REQUIRE(c.wait_until([&] { return c.view(0).size() == 2 && c.view(1).size() == 2 && c.view(2).size() == 2; },
                       Duration::seconds(30)));

  c.start(3);
  REQUIRE(c.wait_until([&] { return every_view_has(c, 3); }, Duration::seconds(30)));
  CHECK(c.index_of_pki(c.pki_id(3)) == std::optional<std::size_t>{3});
}

}  // namespace gs::testing
