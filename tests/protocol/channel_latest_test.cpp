// GossipChannel, latest behaviour (fabric-2.5 / fabric-3.0 profiles): spec §11.6 "Latest
// additions" and the §5 "Latest:" differences. Virtual time only.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "channel_harness.hpp"

using namespace gs;
using namespace gs::proto;
using namespace gs::proto::chantest;

namespace {

ChannelConfig latest_config() { return test_config(Profile::fabric_3_0); }

StateInfoProperties props(std::uint64_t height, bool left = false) { return StateInfoProperties{height, left}; }

}  // namespace

TEST_CASE("channel: TestChannelPullWithDigestsFilter: ledger height 11 - digest {10 11} -> only 11 requested",
          "[channel][latest]") {
  ChannelFixture f(latest_config());
  f.add_eligible("p1");
  f.channel->update_ledger_height(11);
  const auto requested = f.pull_round("p1", {"10", "11"}, [](const std::vector<std::string>&) {
    return std::vector<EnvelopePtr>{block_msg(11)};
  });
  CHECK(requested == std::vector<std::string>{"11"});
  CHECK(f.delivered_block(11));
  CHECK_FALSE(f.delivered_block(10));
}

TEST_CASE("channel: TestChannelPullWithDigestsFilter (v1.0 contrast): everything advertised is requested", "[channel]") {
  ChannelFixture f;
  f.add_eligible("p1");
  f.channel->update_ledger_height(11);
  const auto requested = f.pull_round("p1", {"10", "11"}, [](const std::vector<std::string>&) {
    return std::vector<EnvelopePtr>{block_msg(10), block_msg(11)};
  });
  CHECK(requested.size() == 2);
}

TEST_CASE("channel: TestLeaveChannel: left members excluded from GetPeers - a peer that left goes quiet",
          "[channel][latest]") {
  ChannelFixture f(latest_config());
  f.adapter.orgs["p3"] = kOrg1;
  f.adapter.membership = {member("p1"), member("p3")};
  f.receive(state_info_msg("p1", 1, {}, props(5)), "p1");
  f.receive(state_info_msg("p3", 1, {}, props(5, true)), "p3");
  auto peers = f.channel->get_peers();
  REQUIRE(peers.size() == 1);
  CHECK(peers[0].pki_id == "p1");
  REQUIRE(peers[0].properties.has_value());
  CHECK(peers[0].properties->ledger_height == 5);

  f.channel->add_to_msg_store(block_msg(3));
  CHECK(f.receive(hello_msg(1), "p1").size() == 1);

  f.channel->leave_channel();
  CHECK(f.channel->has_left());
  CHECK(f.channel->get_peers().empty());
  const StateInfo& own = *f.channel->own_state_info()->get_if<StateInfo>();
  REQUIRE(own.properties.has_value());
  CHECK(own.properties->left_channel);
  CHECK(f.channel->should_gossip_state_info());
  CHECK(f.receive(hello_msg(2), "p1").empty());  // block pull messages ignored

  const std::size_t hellos = f.sent_of<GossipHello>().size();
  f.env.advance(Duration::seconds(3));
  CHECK(f.sent_of<GossipHello>().size() == hellos);  // puller membership empty
  REQUIRE(f.gossiped_of<StateInfo>() >= 1);           // left_channel published
  CHECK(f.adapter.gossiped.back()->get_if<StateInfo>()->properties->left_channel);
}

TEST_CASE("channel: TestFilterForeignOrgLeadershipMessages: sender or creator of another org -> dropped",
          "[channel][latest]") {
  ChannelFixture f(latest_config(), {kOrg1, kOrg2});
  f.receive(leadership_msg("p2", 1), "p2");  // foreign sender and creator
  f.receive(leadership_msg("p2", 2), "p1");  // foreign creator relayed by own org
  f.receive(leadership_msg("p1", 1), "p2");  // own creator, foreign sender
  CHECK(f.adapter.delivered.empty());
  f.receive(leadership_msg("p1", 2), "p1");
  CHECK(f.adapter.delivered.size() == 1);

  ChannelFixture v10(test_config(), {kOrg1, kOrg2});
  v10.receive(leadership_msg("p2", 1), "p2");
  CHECK(v10.adapter.delivered.size() == 1);  // v1.0 accepts any org of the channel
}

TEST_CASE("channel: TestNoGossipOrSigningWhenEmptyMembership: nothing signed nor sent while the view is empty",
          "[channel][latest]") {
  ChannelConfig cfg = latest_config();
  cfg.publish_state_info_interval = Duration::seconds(1);
  ChannelFixture f(cfg);
  f.channel->update_ledger_height(1);
  CHECK(f.adapter.sign_count == 1);
  f.env.advance(Duration::seconds(3));
  CHECK(f.adapter.sign_count == 1);
  CHECK(f.gossiped_of<StateInfo>() == 0);
  f.adapter.membership.push_back(member("p1"));
  f.env.advance(Duration::seconds(1));
  CHECK(f.adapter.sign_count == 2);
  CHECK(f.gossiped_of<StateInfo>() == 1);
  f.env.advance(Duration::seconds(2));
  CHECK(f.gossiped_of<StateInfo>() == 1);
}

TEST_CASE("channel: Latest: StateInfo validated on insertion - cache re-validated on reconfiguration (spec 5.2)",
          "[channel][latest]") {
  ChannelFixture f(latest_config(), {kOrg1, kOrg2});
  f.adapter.membership = {member("p1"), member("p1ne"), member("p2")};
  f.receive(state_info_msg("p1", 1), "p1");
  f.receive(state_info_msg("p1ne", 1), "p1ne");  // VerifyByChannel fails: not cached
  f.receive(state_info_msg("p2", 1), "p2");
  CHECK(f.channel->state_info_of("p1ne") == nullptr);
  CHECK(f.channel->get_peers().size() == 2);
  f.channel->configure(join(2, {kOrg1}));
  CHECK(f.channel->state_info_of("p2") == nullptr);
  CHECK(f.channel->get_peers().size() == 1);
}

TEST_CASE("channel: Latest: forwarding excludes the sender (Forward) - blocks added to puller only if stored",
          "[channel][latest]") {
  ChannelConfig cfg = latest_config();
  cfg.max_block_count_to_store = 10;  // the latest default
  ChannelFixture f(cfg);
  f.add_eligible("p1");
  CHECK(f.adapter.gossiped.empty());
  REQUIRE(f.adapter.forwarded.size() == 1);  // p1's StateInfo
  f.receive(block_msg(7), "p1");
  REQUIRE(f.adapter.forwarded.size() == 2);
  CHECK(f.adapter.forwarded.back().second == "p1");
  CHECK(f.delivered_block(7));
  // Latest K = 10 would reject a block 20 below the newest; v1.0 would still advertise it.
  f.channel->add_to_msg_store(block_msg(30));
  f.channel->add_to_msg_store(block_msg(5));
  CHECK(f.channel->block_store_size() == 1);
  CHECK_FALSE(f.channel->block_puller().engine().contains("5"));
}

TEST_CASE("channel: membership tracker (spec 5.10) counts joins and leaves of GetPeers every 5 s",
          "[channel][latest]") {
  ChannelFixture f(latest_config());
  f.add_eligible("p1");
  f.env.advance(Duration::seconds(5));
  CHECK(f.channel->membership_tracker_stats().checks == 1);
  CHECK(f.channel->membership_tracker_stats().joined == 1);
  f.adapter.membership.clear();
  f.env.advance(Duration::seconds(5));
  CHECK(f.channel->membership_tracker_stats().checks == 2);
  CHECK(f.channel->membership_tracker_stats().left == 1);

  ChannelFixture v10;
  v10.env.advance(Duration::seconds(10));
  CHECK(v10.channel->membership_tracker_stats().checks == 0);  // v1.0 has no tracker
}
