// Latest-profile discovery tests of spec §11.1 (gossip/discovery/discovery_test.go on
// `main`), with their overrides, on the flooding harness. Profile fabric-2.5.
#include <catch2/catch.hpp>

#include "discovery_harness.hpp"

namespace gs::proto::disctest {
namespace {

using namespace gs::literals;

}  // namespace

TEST_CASE("discovery: TestNoSigningIfNoMembership (latest): a lone peer signs nothing", "[discovery][spec11.1][latest]") {
  World w(latest_test_config());
  Instance& inst = w.add(7120);
  w.run_for(w.cfg().alive_time_interval * 10);
  CHECK(inst.crypto->signs == 0);
  CHECK(inst.disc->seq_num() == 0);  // spec §6.10: no seq increment either
  inst.disc->initiate_sync(10000);
  CHECK(inst.crypto->signs == 0);
  CHECK(inst.comm->sent_to_peer.empty());
  CHECK(inst.comm->gossiped.empty());
}

TEST_CASE("discovery: TestPeerIsolation (latest): the bootstrap peer is never purged", "[discovery][spec11.1][latest]") {
  GossipConfig cfg = latest_test_config();
  cfg.alive_expiration_timeout = cfg.alive_time_interval * 2;  // 600 ms
  resolve(cfg);
  World w(cfg);
  for (int p = 7121; p <= 7123; ++p) w.add(p, {7121});
  REQUIRE(w.wait_until([&] { return w.all_see(w.up_instances(), 2); }));
  w.stop(w.at(7121));
  w.stop(w.at(7122));
  REQUIRE(w.wait_until([&] { return w.at(7123).view_size() == 0; }));
  w.run_for(cfg.alive_expiration_timeout * 20 + 1_s);
  // 7122 was purged (TTL 12 s); the bootstrap peer 7121 stays dead and keeps being pinged.
  const DiscoveryImpl& d3 = *w.at(7123).disc;
  CHECK(d3.id2member().count(endpoint_of(7122)) == 0);
  CHECK(d3.dead_last_ts().count(endpoint_of(7121)) == 1);
  w.start(w.at(7121));
  w.start(w.at(7122));
  CHECK(w.wait_until([&] { return w.all_see(w.up_instances(), 2); }));
}

TEST_CASE("discovery: TestMembershipAfterExpiration (latest): anchor kept, others purged, then rejoin",
          "[discovery][spec11.1][latest]") {
  GossipConfig cfg = latest_test_config();
  cfg.alive_expiration_timeout = Duration::milliseconds(600);
  cfg.reconnect_interval = Duration::milliseconds(600);
  cfg.msg_expiration_factor = 5;  // alive-store TTL 3 s
  resolve(cfg);
  World w(cfg);
  Instance& anchor = w.add(9120);
  Instance& p1 = w.add(9121, {9120});
  Instance& p2 = w.add(9122, {9120});
  REQUIRE(w.wait_until([&] { return w.all_see(w.up_instances(), 2); }));
  w.stop(anchor);
  w.stop(p1);
  const DiscoveryImpl& d2 = *p2.disc;
  const bool purged = w.wait_until(
      [&] { return d2.id2member().count(endpoint_of(9121)) == 0; }, 3_s + 1_s, Duration::milliseconds(100));
  CHECK(purged);
  CHECK(d2.dead_last_ts().count(endpoint_of(9120)) == 1);  // "Do not remove bootstrap or anchor peer"
  CHECK(d2.get_dead_members().size() == 1);
  CHECK(p2.view_size() == 0);
  w.start(anchor);
  w.start(p1);  // connects to the anchor again (its bootstrap list)
  CHECK(w.wait_until([&] { return w.all_see(w.up_instances(), 2); }));
}

}  // namespace gs::proto::disctest
