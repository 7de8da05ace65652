// GossipChannel, fabric-1.0 behaviour: spec §11.6 (Fabric channel_test.go) with its
// configuration and assertions, plus §5.3 snapshot rules and quirk B.3. Virtual time only.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "channel_harness.hpp"

using namespace gs;
using namespace gs::proto;
using namespace gs::proto::chantest;

namespace {

std::vector<EnvelopePtr> blocks_for(const std::vector<std::string>&, std::uint64_t from, std::uint64_t to) {
  std::vector<EnvelopePtr> out;
  for (std::uint64_t s = from; s <= to; ++s) out.push_back(block_msg(s));
  return out;
}

std::size_t digest_size(const std::vector<EnvelopePtr>& responses) {
  for (const auto& r : responses) {
    if (const auto* d = r->get_if<DataDigest>()) return d->digests.size();
  }
  return 0;
}

std::size_t snapshot_size(const std::vector<EnvelopePtr>& responses) {
  REQUIRE(responses.size() == 1);
  REQUIRE(responses[0]->is<StateInfoSnapshot>());
  return responses[0]->get_if<StateInfoSnapshot>()->elements.size();
}

}  // namespace

TEST_CASE("channel: TestChannelPeriodicalPublishStateInfo: StateInfo with height 5 gossiped within 5 s", "[channel]") {
  ChannelFixture f;
  f.adapter.membership.push_back(member("p1"));
  f.channel->update_ledger_height(5);
  f.env.advance(Duration::seconds(5));
  REQUIRE(f.gossiped_of<StateInfo>() >= 1);
  const StateInfo& si = *f.adapter.gossiped.front()->get_if<StateInfo>();
  CHECK(si.pki_id == "self");
  CHECK(si.timestamp.inc_num == kStateInfoIncNumV10);
  CHECK(decode_ledger_height(si.metadata) == 5u);
  // Membership non-empty: pushed exactly once after the update (§5.3).
  CHECK(f.gossiped_of<StateInfo>() == 1);
}

TEST_CASE("channel: TestChannelPull: digest {10 11} -> requests exactly {10 11} - de-multiplexes both", "[channel]") {
  ChannelFixture f;
  f.add_eligible("p1");
  const auto requested = f.pull_round("p1", {"10", "11"}, [](const std::vector<std::string>& ids) {
    std::vector<EnvelopePtr> items;
    for (const auto& id : ids) items.push_back(block_msg(std::stoull(id)));
    return items;
  });
  std::vector<std::string> sorted = requested;
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == std::vector<std::string>{"10", "11"});
  CHECK(f.delivered_block(10));
  CHECK(f.delivered_block(11));
  CHECK(f.channel->block_store_size() == 2);
  // Blocks obtained by pull are delivered but not pushed further (§5.7).
  CHECK(f.gossiped_of<DataMessage>() == 0);
}

TEST_CASE("channel: TestChannelMsgStoreEviction: after 4 rounds the digest has exactly K+1 = 101 items (150..250)",
          "[channel]") {
  ChannelFixture f;
  f.add_eligible("p1");
  const std::uint64_t ranges[4][2] = {{50, 100}, {100, 150}, {150, 200}, {200, 250}};
  for (const auto& r : ranges) {
    const auto requested = f.pull_round("p1", {"10", "11"}, [&](const std::vector<std::string>& ids) {
      return blocks_for(ids, r[0], r[1]);
    });
    REQUIRE(!requested.empty());
  }
  const auto responses = f.receive(hello_msg(777), "p1");
  REQUIRE(responses.size() == 1);
  const DataDigest& d = *responses[0]->get_if<DataDigest>();
  CHECK(d.digests.size() == 101);
  for (std::uint64_t s = 150; s <= 250; ++s) {
    CHECK(std::find(d.digests.begin(), d.digests.end(), std::to_string(s)) != d.digests.end());
  }
  CHECK(f.channel->block_store_size() == 101);
}

TEST_CASE("channel: TestChannelPullAccessControl: no digest to ORG2 - hellos only to the ORG1 peer", "[channel]") {
  ChannelFixture f(test_config(), {kOrg1, kOrg2});
  f.add_eligible("p1");
  f.add_eligible("p2");
  f.channel->add_to_msg_store(block_msg(5));
  const auto responses = f.receive(hello_msg(1), "p2");
  f.env.advance(Duration::seconds(1));
  CHECK(responses.empty());
  f.env.advance(Duration::seconds(2));
  const auto hellos = f.sent_of<GossipHello>();
  REQUIRE(!hellos.empty());
  for (const auto* h : hellos) {
    REQUIRE(h->peers.size() == 1);
    CHECK(h->peers[0].pki_id == "p1");
  }
}

TEST_CASE("channel: TestChannelPeerNotInChannel: blocks - hellos and StateInfo requests from outsiders are ignored",
          "[channel]") {
  ChannelFixture f;
  f.add_eligible("p1");
  f.add_eligible("p1ne");
  f.adapter.membership.push_back(member("p2"));

  f.receive(block_msg(5), "");
  f.receive(block_msg(5), "p2");
  CHECK(f.channel->block_store_size() == 0);
  f.receive(block_msg(5), "p1");
  CHECK(f.channel->block_store_size() == 1);

  CHECK(f.receive(hello_msg(1), "p2").empty());
  CHECK(f.receive(hello_msg(2), "p1ne").empty());
  CHECK(digest_size(f.receive(hello_msg(3), "p1")) == 1);

  CHECK(f.receive(state_info_pull_request("p1"), "p1").size() == 1);   // right org, right MAC
  CHECK(f.receive(state_info_pull_request("p2"), "p2").empty());       // org not in channel
  CHECK(f.receive(state_info_pull_request("p1ne"), "p1").empty());     // MAC of another PKI-ID
}

TEST_CASE("channel: TestChannelAddToMessageStore: a locally added block is not de-multiplexed again", "[channel]") {
  ChannelFixture f;
  f.channel->add_to_msg_store(block_msg(11));
  f.receive(block_msg(11), "p1");
  CHECK_FALSE(f.delivered_block(11));
  f.receive(block_msg(12), "p1");
  CHECK(f.delivered_block(12));
  CHECK(f.gossiped_of<DataMessage>() == 1);  // only block 12 is forwarded (v1.0: Gossip)
}

TEST_CASE("channel: TestChannelBlockExpiration: expired block still blocks duplicates until 2xTTL", "[channel]") {
  ChannelFixture f;
  f.add_eligible("p1");
  f.receive(block_msg(11), "p1");
  CHECK(f.adapter.delivered.back()->is<DataMessage>());
  const std::size_t delivered = f.adapter.delivered.size();
  CHECK(digest_size(f.receive(hello_msg(1), "p1")) == 1);

  f.env.advance(Duration::seconds(6) + Duration::seconds(1));  // > TTL: expired
  f.receive(block_msg(11), "p1");
  CHECK(f.adapter.delivered.size() == delivered);       // still rejected
  CHECK(f.receive(hello_msg(2), "p1").empty());         // puller item removed at expiry
  CHECK(f.channel->block_store_size() == 0);

  f.env.advance(Duration::seconds(7));  // > 2×TTL: gone
  f.receive(block_msg(11), "p1");
  CHECK(f.adapter.delivered.size() == delivered + 1);
  CHECK(digest_size(f.receive(hello_msg(3), "p1")) == 1);
}

TEST_CASE("channel: TestMsgStoreNotExpire: StateInfo cache swept only of peers discovery forgot", "[channel]") {
  ChannelFixture f;
  f.adapter.orgs["p3"] = kOrg1;
  f.add_eligible("p1");
  f.add_eligible("p3");
  f.channel->update_ledger_height(1);  // own StateInfo: the third element
  CHECK(snapshot_size(f.receive(state_info_pull_request("p1"), "p1")) == 3);
  f.env.advance(Duration::seconds(10));  // not expirable: still 3
  CHECK(snapshot_size(f.receive(state_info_pull_request("p1"), "p1")) == 3);

  f.adapter.unknown_to_discovery.insert("p3");
  f.env.advance(Duration::seconds(2));
  CHECK(snapshot_size(f.receive(state_info_pull_request("p1"), "p1")) == 2);
  CHECK(f.channel->state_info_of("p3") == nullptr);
}

TEST_CASE("channel: TestChannelReconfigureChannel: older join ignored - newer replaces the org set", "[channel]") {
  ChannelFixture f;
  f.channel->configure(join(5, {kOrg1}));
  f.channel->configure(join(4, {kOrg2}));  // lower sequence: ignored
  CHECK(f.channel->is_org_in_channel(kOrg1));
  CHECK_FALSE(f.channel->is_org_in_channel(kOrg2));
  CHECK(f.receive(state_info_pull_request("p1"), "p1").size() == 1);

  f.channel->configure(join(6, {kOrg2}));
  CHECK_FALSE(f.channel->is_org_in_channel(kOrg1));
  CHECK(f.channel->join_message().sequence_number == 6);
  CHECK(f.receive(state_info_pull_request("p1"), "p1").empty());
  CHECK(f.receive(state_info_pull_request("p2"), "p2").size() == 1);
  f.channel->configure(join(7, {}));  // no members: ignored
  CHECK(f.channel->is_org_in_channel(kOrg2));
}

TEST_CASE("channel: TestChannelGetPeers: only the eligible peer - with its metadata - corrupt MAC not counted", "[channel]") {
  ChannelFixture f;
  f.adapter.orgs["pbadmac"] = kOrg1;
  for (const PkiId p : {"p1", "p1ne", "p2", "pbadmac"}) f.adapter.membership.push_back(member(p));
  f.receive(state_info_msg("p1", 1, encode_ledger_height(7)), "p1");
  f.receive(state_info_msg("p1ne", 1), "p1ne");
  f.channel->add_to_msg_store(state_info_msg("p2", 1));  // foreign org: cached, yet not eligible
  f.receive(state_info_msg("pbadmac", 1, {}, std::nullopt, "other-channel"), "pbadmac");
  CHECK(f.channel->state_info_of("pbadmac") == nullptr);

  const auto peers = f.channel->get_peers();
  REQUIRE(peers.size() == 1);
  CHECK(peers[0].pki_id == "p1");
  CHECK(decode_ledger_height(peers[0].metadata) == 7u);
}

TEST_CASE("channel: TestOnDemandGossip: re-pushed while membership empty (quirk B.10) - once otherwise", "[channel]") {
  ChannelConfig cfg = test_config();
  cfg.publish_state_info_interval = Duration::milliseconds(200);
  ChannelFixture f(cfg);
  f.env.advance(Duration::seconds(1));
  CHECK(f.gossiped_of<StateInfo>() == 0);  // nothing before the first update

  f.channel->update_ledger_height(3);
  f.env.advance(Duration::milliseconds(200));
  CHECK(f.gossiped_of<StateInfo>() == 1);
  f.env.advance(Duration::milliseconds(200));
  CHECK(f.gossiped_of<StateInfo>() == 2);  // membership empty: gossiped again

  f.adapter.membership.push_back(member("p1"));
  f.env.advance(Duration::milliseconds(200));
  CHECK(f.gossiped_of<StateInfo>() == 3);  // one more, then dirty is cleared
  f.env.advance(Duration::milliseconds(500));
  CHECK(f.gossiped_of<StateInfo>() == 3);

  f.channel->update_ledger_height(4);
  f.env.advance(Duration::milliseconds(200));
  CHECK(f.gossiped_of<StateInfo>() == 4);
}

TEST_CASE("channel: StateInfo request ticker: pull request with own MAC to channel members only (spec 5.3)", "[channel]") {
  ChannelFixture f;
  for (const PkiId p : {"p1", "p2", "pnil"}) f.adapter.membership.push_back(member(p));
  f.env.advance(Duration::milliseconds(100));
  const auto reqs = f.sent_of<StateInfoPullRequest>();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0]->msg->get_if<StateInfoPullRequest>()->channel_mac == channel_mac("self", kChannel));
  REQUIRE(reqs[0]->peers.size() == 1);
  CHECK(reqs[0]->peers[0].pki_id == "p1");
  f.env.advance(Duration::milliseconds(200));
  CHECK(f.sent_of<StateInfoPullRequest>().size() == 3);  // ticker: every 100 ms
}

TEST_CASE("channel: StateInfo snapshot: disclosure to other orgs - abort on a bad element - unknown skipped (spec 5.3)",
          "[channel]") {
  ChannelFixture f(test_config(), {kOrg1, kOrg2});
  f.adapter.orgs["p1hidden"] = kOrg1;
  f.add_eligible("p1");
  f.add_eligible("p1hidden");
  f.adapter.membership.back().endpoint.clear();  // no external endpoint
  f.add_eligible("p2");
  CHECK(snapshot_size(f.receive(state_info_pull_request("p1"), "p1")) == 3);
  CHECK(snapshot_size(f.receive(state_info_pull_request("p2"), "p2")) == 2);  // p1hidden withheld

  ChannelFixture g(test_config(), {kOrg1, kOrg2});
  g.adapter.orgs["p3"] = kOrg1;
  g.adapter.orgs["p4"] = kOrg1;
  g.adapter.unknown_to_discovery.insert("p3");
  g.adapter.membership.push_back(member("p1"));
  const std::vector<EnvelopePtr> elements = {
      state_info_msg("p3", 1),                                      // unknown to discovery: skipped
      state_info_msg("p1", 1),                                      // cached
      state_info_msg("pnil", 1),                                    // unknown org: aborts the rest
      state_info_msg("p4", 1),
  };
  g.receive(Envelope::make_unsigned(GossipMessage{0, kChannel, Tag::CHAN_OR_ORG, StateInfoSnapshot{elements}}), "p1");
  CHECK(g.channel->state_info_of("p3") == nullptr);
  CHECK(g.channel->state_info_of("p1") != nullptr);
  CHECK(g.channel->state_info_of("p4") == nullptr);
  CHECK(g.adapter.gossiped.empty());   // not re-gossiped
  CHECK(g.adapter.delivered.empty());  // not de-multiplexed
}

TEST_CASE("channel: DataUpdate: quirk B.3 (outer CheckValid) - duplicates dropped - bad block drops all (spec 5.7)",
          "[channel]") {
  ChannelFixture f;
  f.add_eligible("p1");
  f.receive(block_msg(10), "p1");
  f.adapter.delivered.clear();
  // Unsolicited update (stale nonce): items are consumed anyway (quirk B.4), the duplicate
  // block 10 is filtered by the store's Add, block 11 is delivered.
  f.receive(update_msg(12345, {block_msg(10), block_msg(11)}), "p1");
  CHECK_FALSE(f.delivered_block(10));
  CHECK(f.delivered_block(11));
  CHECK(f.channel->block_store_size() == 2);

  f.adapter.invalid_blocks.insert(13);
  f.adapter.delivered.clear();
  f.receive(update_msg(1, {block_msg(12), block_msg(13), block_msg(14)}), "p1");
  CHECK(f.adapter.delivered.empty());                // whole update dropped
  CHECK(f.channel->block_store_size() == 3);         // block 12 was stored before the bad one

  f.receive(update_msg(2, {block_msg(15, "other")}), "p1");  // foreign channel item
  CHECK(f.adapter.delivered.empty());
}

TEST_CASE("channel: Leadership messages: stored and de-multiplexed once - never forwarded (spec 5.7)", "[channel]") {
  ChannelFixture f(test_config(), {kOrg1, kOrg2});
  f.receive(leadership_msg("p2", 1), "p2");
  f.receive(leadership_msg("p2", 1), "p2");  // duplicate
  CHECK(f.adapter.delivered.size() == 1);    // v1.0: any org of the channel
  CHECK(f.adapter.gossiped.empty());
  CHECK(f.channel->leadership_store_size() == 1);
  f.env.advance(Duration::seconds(101));  // TTL LAT×10 = 100 s
  CHECK(f.channel->leadership_store_size() == 0);
}

TEST_CASE("channel: Stop: no timer left - messages ignored", "[channel]") {
  ChannelFixture f;
  f.add_eligible("p1");
  f.channel->stop();
  f.receive(block_msg(1), "p1");
  CHECK(f.channel->block_store_size() == 0);
  const std::size_t sent = f.adapter.sent.size();
  f.env.advance(Duration::seconds(5));
  CHECK(f.adapter.sent.size() == sent);
  CHECK(f.env.pending_timers() == 0);
}

TEST_CASE("channel: ChannelConfig: defaults per profile and derived values (spec 4.3 - 12)", "[channel]") {
  const ChannelConfig v10 = ChannelConfig::defaults_for(Profile::fabric_1_0).resolved();
  CHECK(v10.max_block_count_to_store == 100);
  CHECK(*v10.block_expiration_interval == Duration::seconds(400));
  CHECK(*v10.state_info_cache_sweep_interval == Duration::seconds(20));
  CHECK(*v10.leadership_msg_expiration == Duration::seconds(100));
  CHECK(v10.request_wait_time == Duration::seconds(1));
  const ChannelConfig latest = ChannelConfig::defaults_for(Profile::fabric_3_0).resolved();
  CHECK(latest.latest());
  CHECK(latest.max_block_count_to_store == 10);
  CHECK(latest.request_wait_time == Duration::milliseconds(1500));
}
