// Fabric's membership end-to-end tests of gossip_test.go (spec §11.3) on the real simulated
// network: TestMembership, TestConnectToAnchorPeers, TestMembershipConvergence,
// TestMembershipRequestSpoofing, TestDataLeakage, TestIdentityExpiration.
// Instances use the spec's standard instance (standard_test_config(): the global overrides
// alive 1 s, expiration 10 s, reconnect 1 s, MaxConnectionAttempts 5 included). Fabric's
// timeouts (180 s, polling every 3 s) are upper bounds on virtual time here.
#include <catch2/catch.hpp>

#include <set>

#include <fmt/format.h>

#include "gossip_cluster.hpp"

namespace gs::testing {
namespace {

const Duration kTimeout = Duration::seconds(180);  // gossip_test.go timeout
const Duration kPoll = Duration::seconds(3);        // gossip_test.go polling interval

std::string localhost(int port) { return fmt::format("localhost:{}", port); }

bool views_have(const GossipCluster& c, const std::vector<std::size_t>& who, std::size_t n) {
  for (std::size_t i : who)
    if (c.view(i).size() != n) return false;
  return true;
}

std::vector<std::size_t> range(std::size_t from, std::size_t to) {  // [from, to)
  std::vector<std::size_t> out;
  for (std::size_t i = from; i < to; ++i) out.push_back(i);
  return out;
}

// Discovery metadata of `pki` in instance i's alive view (Fabric metadataOfPeer), or nullopt.
std::optional<proto::Bytes> metadata_of(GossipCluster& c, std::size_t i, const proto::PkiId& pki) {
  if (!c.running(i)) return std::nullopt;
  for (const proto::NetworkMember& m : c.gossip(i).peers())
    if (m.pki_id == pki) return m.metadata;
  return std::nullopt;
}

std::function<void(proto::GossipService&)> join(const std::string& channel, proto::Bytes metadata,
                                                proto::JoinChannelMessage jcm = join_message()) {
  return [channel, metadata, jcm](proto::GossipService& g) {
    g.join_channel(jcm, channel);
    g.update_channel_metadata(metadata, channel);
  };
}


// Identities of peers that started more than PublishCertPeriod (4 s) before someone
// learns of them travel only by identity pull (§2.11), whose v1.0 request is accepted only
// if it arrives before the responder forgets the hello's nonce (RequestWaitTime after the
// hello, §3.3 "timing hazard"). On constant 2 ms links every request ties with that timer
// and loses; real networks have jitter. The tests whose peers start at different times
// (late anchor, connector) therefore run on links with 0-2 ms of jitter.
ClusterOptions jittery(std::uint64_t seed) {
  ClusterOptions o = ClusterOptions::with_seed(seed);
  o.link.jitter = Duration::milliseconds(2);
  return o;
}

}  // namespace


// spec §11.3 TestMembership: boot (4610) + 10 peers bootstrapping to it, all join "A".
// Every peer sees 10; after the last peer sets (discovery) metadata "bla bla", the boot and
// peers 1..9 see it.
TEST_CASE("TestMembership: boot + 10 peers, full views and metadata update", "[e2e][discovery]") {
  const int n = 10;
  GossipCluster c(ClusterOptions::with_seed(21));
  c.add(instance(localhost(4610), {}, standard_test_config(), join("A", "bla bla")));
  for (int i = 1; i <= n; ++i)
    c.add(instance(localhost(4610 + i), {localhost(4610)}, standard_test_config(), join("A", "bla bla")));
  for (std::size_t i = 0; i < c.size(); ++i) c.start(i);

  REQUIRE(c.wait_until([&] { return views_have(c, range(1, c.size()), n); }, kTimeout, kPoll));
  CHECK(c.view(0).size() == static_cast<std::size_t>(n));

  const std::size_t last = static_cast<std::size_t>(n);
  c.gossip(last).update_metadata("bla bla");
  const Time updated = c.now();
  REQUIRE(c.wait_until(
      [&] {
        for (std::size_t i = 0; i < last; ++i)
          if (metadata_of(c, i, c.pki_id(last)) != std::optional<proto::Bytes>{"bla bla"}) return false;
        return true;
      },
      kTimeout, Duration::milliseconds(100)));
  WARN(fmt::format("TestMembership: metadata seen by all {} after the update", c.now() - updated));
}

// spec §11.3 TestConnectToAnchorPeers: 10 peers (8613-8622), no bootstrap; they join "A"
// whose ORG1 anchors are localhost:8610-8612, none running. After 5 s one random anchor
// starts. Every peer then sees 10 members and PeersOfChannel("A") = 10. The anchor
// connection is retried MaxConnectionAttempts (5) times, each a refused dial retried until
// the 3 s dial timeout plus the 1 s ReconnectInterval: a ≈20 s window the anchor's start
// at 5 s falls into. The peers started more than PublishCertPeriod (4 s) before the anchor
// told them about each other, so their alive messages carry no certificate: each other's
// identities reach them only by identity pull through the anchor (spec §2.11).
namespace {

struct LateAnchorRun {
  bool converged = false;
  Time at;
  std::size_t anchor = 0;
};

LateAnchorRun run_late_anchor(const proto::GossipConfig& config, std::uint64_t seed) {
  const int n = 10;
  GossipCluster c(jittery(seed));
  proto::JoinChannelMessage jcm = join_message();
  for (int a = 0; a < 3; ++a) jcm.anchor_peers["ORG1"].push_back(localhost(8610 + a));
  for (int a = 0; a < 3; ++a) c.add(instance(localhost(8610 + a), {}, config, join("A", "bla", jcm)));
  for (int i = 0; i < n; ++i) c.add(instance(localhost(8613 + i), {}, config, join("A", "bla", jcm)));
  for (std::size_t i = 3; i < c.size(); ++i) c.start(i);
  sim::RandomStream pick(seed);
  LateAnchorRun run;
  run.anchor = pick.below(3);
  c.start_at(run.anchor, c.now() + Duration::seconds(5));

  const auto peers = range(3, c.size());
  run.converged = c.wait_until(
      [&] {
        for (std::size_t i : peers) {
          const auto v = c.view(i);
          if (v.size() != static_cast<std::size_t>(n) || std::count(v.begin(), v.end(), c.endpoint(run.anchor)) != 1)
            return false;
          if (c.channel_peers(i, "A").size() != static_cast<std::size_t>(n)) return false;
        }
        return true;
      },
      kTimeout, kPoll);
  run.at = c.now();
  return run;
}

}  // namespace

// Fabric v1.0's standard config has PullInterval 2 s, shorter than DigestWaitTime +
// ResponseWaitTime (1 s + 2 s): identity-pull rounds overlap, and each round's endPull falls
// on the very instant the next round processes its digests (Go timers differ there by
// microseconds of overshoot). Either order loses the newer round (its owners are cleared
// before it requests, or its nonces before the responses arrive; spec §3.3 notes,
// docs/protocol-notes.md "Overlapping pull rounds"), so only a peer's first round ever pulls.
// Fabric's run of the test passes when timer overshoot happens to give a response its
// sub-millisecond round trip; exact virtual timers never do. The test therefore runs the v1.0
// behaviour with PullInterval 4 s (latest's value, rounds no longer overlap) and, separately,
// pins the quirk's outcome with the original 2 s.
TEST_CASE("TestConnectToAnchorPeers (fabric-1.0, PullInterval 4 s): peers find each other through a late anchor",
          "[e2e][discovery]") {
  proto::GossipConfig config = standard_test_config();
  config.pull_interval = Duration::seconds(4);
  for (std::uint64_t seed : {31u, 32u}) {
    const LateAnchorRun run = run_late_anchor(config, seed);
    CHECK(run.converged);
    WARN(fmt::format("TestConnectToAnchorPeers v1.0 seed {}: anchor {} started at 5 s, full views and channel at {}",
                     seed, run.anchor, run.at));
  }
}

TEST_CASE("TestConnectToAnchorPeers (fabric-2.5 standard config): peers find each other through a late anchor",
          "[e2e][discovery]") {
  for (std::uint64_t seed : {31u, 32u}) {
    const LateAnchorRun run = run_late_anchor(latest_standard_test_config(), seed);
    CHECK(run.converged);
    WARN(fmt::format("TestConnectToAnchorPeers latest seed {}: anchor {} started at 5 s, full views and channel at {}",
                     seed, run.anchor, run.at));
  }
}

TEST_CASE("quirk: with v1.0's PullInterval 2 s overlapping identity-pull rounds never spread a late anchor's identities",
          "[e2e][discovery][quirk]") {
  const LateAnchorRun run = run_late_anchor(standard_test_config(), 31);
  CHECK_FALSE(run.converged);
}

// spec §11.3 TestMembershipConvergence: boots 0,1,2 (2610-2612); peers 3..14 bootstrap to
// (i mod 3): each sees 4. Connector 15 (2625) bootstraps to 0,1,2 and sets metadata
// "Connector": all 15 see 15 incl. that metadata. Stop the connector, 15 s later all see
// 14. Restart it without bootstrap, metadata "Connector2": all 15 see 15 with
// "Connector2" (the others' reconnect-to-dead loop finds it).
TEST_CASE("TestMembershipConvergence: three islands joined by a connector, which leaves and comes back",
          "[e2e][discovery]") {
  GossipCluster c(jittery(41));
  for (int i = 0; i < 15; ++i) {
    std::vector<proto::Endpoint> boot;
    if (i >= 3) boot.push_back(localhost(2610 + i % 3));
    c.add(instance(localhost(2610 + i), boot));
  }
  const auto others = range(0, 15);
  for (std::size_t i : others) c.start(i);
  REQUIRE(c.wait_until([&] { return views_have(c, others, 4); }, kTimeout, kPoll));

  auto connector_md = std::make_shared<std::string>("Connector");
  const std::size_t conn =
      c.add(instance(localhost(2625), {localhost(2610), localhost(2611), localhost(2612)}, standard_test_config(),
                     [connector_md](proto::GossipService& g) { g.update_metadata(*connector_md); }));
  c.start(conn);
  auto all_see_connector = [&](const std::string& md) {
    if (!views_have(c, others, 15)) return false;
    for (std::size_t i : others)
      if (metadata_of(c, i, c.pki_id(conn)) != std::optional<proto::Bytes>{md}) return false;
    return true;
  };
  REQUIRE(c.wait_until([&] { return all_see_connector("Connector"); }, kTimeout, kPoll));
  CHECK(c.view(conn).size() == 15);
  const Time joined = c.now();

  c.stop(conn);
  c.advance(Duration::seconds(15));
  CHECK(views_have(c, others, 14));

  // Restart: a new process (new incarnation), same identity, no bootstrap peers.
  c.set_bootstrap(conn, {});
  *connector_md = "Connector2";
  c.start(conn);
  const Time restarted = c.now();
  REQUIRE(c.wait_until([&] { return all_see_connector("Connector2"); }, kTimeout, kPoll));
  CHECK(c.view(conn).size() == 15);
  WARN(fmt::format("TestMembershipConvergence: connector known to all at {}; after the restart without bootstrap "
                   "all 15 see 15 with \"Connector2\" {} later",
                   joined, c.now() - restarted));
}

// spec §11.3 TestMembershipRequestSpoofing: g1 (2000); g2 (2001) and g3 (2002) bootstrap to
// each other. g2 sends g1 a MembershipRequest carrying g3's alive message: g1 must not
// answer within 1 s (the self information is not the sender's, §2.7). g3 sends the same
// message: g1 answers within 1 s.
TEST_CASE("TestMembershipRequestSpoofing: a membership request about someone else is not answered",
          "[e2e][discovery]") {
  GossipCluster c(ClusterOptions::with_seed(51));
  const std::size_t g1 = c.add(instance(localhost(2000), {}));
  const std::size_t g2 = c.add(instance(localhost(2001), {localhost(2002)}));
  const std::size_t g3 = c.add(instance(localhost(2002), {localhost(2001)}));
  for (std::size_t i = 0; i < c.size(); ++i) c.start(i);

  // An alive message of g3, as g2 receives it (Fabric: g2.Accept(alive about g3, passThrough)).
  proto::EnvelopePtr g3_alive;
  c.gossip(g2).subscribe_raw(
      [&](const proto::ReceivedMessage& m) {
        const auto* a = m.msg().get_if<proto::AliveMessage>();
        return a != nullptr && a->membership.pki_id == c.pki_id(g3);
      },
      [&](const proto::ReceivedMessage& m) {
        if (!g3_alive) g3_alive = m.envelope();
      });
  // Anything g1 sends to g2, resp. to g3.
  std::size_t g1_to_g2 = 0, g1_to_g3 = 0;
  c.gossip(g2).subscribe_raw([&](const proto::ReceivedMessage& m) { return m.sender() == c.pki_id(g1); },
                             [&](const proto::ReceivedMessage&) { ++g1_to_g2; });
  c.gossip(g3).subscribe_raw([&](const proto::ReceivedMessage& m) { return m.sender() == c.pki_id(g1); },
                             [&](const proto::ReceivedMessage&) { ++g1_to_g3; });
  REQUIRE(c.wait_until([&] { return g3_alive != nullptr; }, kTimeout, Duration::milliseconds(100)));

  proto::GossipMessage spoof;
  spoof.tag = proto::Tag::EMPTY;
  spoof.nonce = 0;
  spoof.content = proto::MembershipRequest{g3_alive, {}};
  const proto::RemotePeer to_g1{c.endpoint(g1), c.pki_id(g1)};

  c.gossip(g2).send(spoof, {to_g1});
  c.advance(Duration::seconds(1));
  CHECK(g1_to_g2 == 0);
  CHECK(c.view(g1).empty());

  c.gossip(g3).send(spoof, {to_g1});
  REQUIRE(c.wait_until([&] { return g1_to_g3 > 0; }, Duration::seconds(1), Duration::milliseconds(10)));
  CHECK(g1_to_g2 == 0);
}

// spec §11.3 TestDataLeakage: 10 peers (1610-1619) each bootstrapping to all others;
// VerifyByChannel allows only 1610,1611,1612 on channel A and 1615,1616,1617 on B (every
// other peer is denied read access). Peers 0-4 join A, 5-9 join B, with metadata per
// channel. Peers 0-2 and 5-7 each see exactly 2 channel peers with the right metadata;
// peer 0 gossips block 1 on A, peer 5 block 2 on B: peers 1,2 get the A block and 6,7
// the B block.
TEST_CASE("TestDataLeakage: channel membership and blocks stay within readers of the channel", "[e2e][discovery]") {
  const int n = 10;
  GossipCluster c(ClusterOptions::with_seed(61));
  const std::vector<std::string> channels{"A", "B"};
  auto channel_of = [](int i) { return i < 5 ? std::string("A") : std::string("B"); };
  auto metadata_for = [](const std::string& ch) { return ch == "A" ? proto::Bytes("\x01") : proto::Bytes("\x02"); };
  for (int i = 0; i < n; ++i) {
    std::vector<proto::Endpoint> boot;
    for (int j = 0; j < n; ++j)
      if (j != i) boot.push_back(localhost(1610 + j));
    c.add(instance(localhost(1610 + i), boot, standard_test_config(),
                   join(channel_of(i), metadata_for(channel_of(i)))));
  }
  auto allowed = [](int i, const std::string& ch) { return ch == "A" ? (i <= 2) : (i >= 5 && i <= 7); };
  for (int i = 0; i < n; ++i)
    for (const std::string& ch : channels)
      if (!allowed(i, ch)) c.pki().set_channel_access_denied(ch, c.pki_id(static_cast<std::size_t>(i)), true);
  for (std::size_t i = 0; i < c.size(); ++i) c.start(i);

  REQUIRE(c.wait_until([&] { return views_have(c, range(0, c.size()), n - 1); }, kTimeout, kPoll));
  const std::vector<std::size_t> readers{0, 1, 2, 5, 6, 7};
  REQUIRE(c.wait_until(
      [&] {
        for (std::size_t i : readers)
          if (c.channel_peers(i, channel_of(static_cast<int>(i))).size() < 2) return false;
        return true;
      },
      kTimeout, kPoll));
  for (std::size_t i : readers) {
    const std::string ch = channel_of(static_cast<int>(i));
    const auto members = c.channel_peers(i, ch);
    CHECK(members.size() == 2);
    for (const proto::ChannelMember& m : members) {
      CHECK(m.metadata == metadata_for(ch));
      const auto idx = c.index_of_pki(m.pki_id);
      REQUIRE(idx.has_value());
      CHECK(allowed(static_cast<int>(*idx), ch));
    }
  }

  c.gossip(0).gossip(make_data_message(1, "A"));
  c.gossip(5).gossip(make_data_message(2, "B"));
  REQUIRE(c.wait_until(
      [&] {
        return c.blocks_delivered(1, "A").count(1) && c.blocks_delivered(2, "A").count(1) &&
               c.blocks_delivered(6, "B").count(2) && c.blocks_delivered(7, "B").count(2);
      },
      kTimeout, Duration::milliseconds(100)));
  c.advance(Duration::seconds(5));
  for (std::size_t i : {std::size_t{1}, std::size_t{2}}) CHECK(c.blocks_delivered(i, "A").size() == 1);
  for (std::size_t i : {std::size_t{6}, std::size_t{7}}) CHECK(c.blocks_delivered(i, "B").size() == 1);
  // No leakage across channels: nobody in B got the A block and vice versa.
  for (std::size_t i = 5; i < 10; ++i) CHECK(c.blocks_delivered(i, "A").empty());
  for (std::size_t i = 0; i < 5; ++i) CHECK(c.blocks_delivered(i, "B").empty());
}

// spec §11.3 TestIdentityExpiration: 4 peers (7000-7003) bootstrap to peer 0; one of them
// is revoked (its identity no longer validates, its signatures no longer verify). The 3
// others eventually see 2 members each and the revoked one sees 0. Run for every choice
// of the revoked peer (Fabric picks one at random).
TEST_CASE("TestIdentityExpiration: a revoked peer is dropped by all and drops all", "[e2e][discovery]") {
  for (std::size_t revoked = 0; revoked < 4; ++revoked) {
    GossipCluster c(ClusterOptions::with_seed(71 + revoked));
    for (int i = 0; i < 4; ++i)
      c.add(instance(localhost(7000 + i), i == 0 ? std::vector<proto::Endpoint>{} : std::vector<proto::Endpoint>{localhost(7000)}));
    for (std::size_t i = 0; i < c.size(); ++i) c.start(i);
    REQUIRE(c.wait_until([&] { return views_have(c, range(0, 4), 3); }, kTimeout, kPoll));

    c.pki().set_revoked(c.pki_id(revoked), true);
    const Time at = c.now();
    std::vector<std::size_t> rest;
    for (std::size_t i = 0; i < 4; ++i)
      if (i != revoked) rest.push_back(i);
    INFO("revoked peer " << revoked);
    REQUIRE(c.wait_until([&] { return views_have(c, rest, 2) && c.view(revoked).empty(); }, kTimeout, kPoll));
    for (std::size_t i : rest) {
      const auto v = c.view(i);
      CHECK(std::count(v.begin(), v.end(), c.endpoint(revoked)) == 0);
    }
    // And it stays so.
    c.advance(Duration::seconds(20));
    CHECK(views_have(c, rest, 2));
    CHECK(c.view(revoked).empty());
    WARN(fmt::format("TestIdentityExpiration: revoked {}, views settled {} after the revocation", revoked,
                     c.now() - at - Duration::seconds(20)));
  }
}

}  // namespace gs::testing
