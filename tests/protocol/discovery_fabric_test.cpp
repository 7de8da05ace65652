// Fabric's discovery tests of spec §11.1 (gossip/discovery/discovery_test.go, v1.0) on
// the flooding harness (discovery_harness.hpp). Timeouts are upper bounds on virtual time.
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <vector>

#include "discovery_harness.hpp"

namespace gs::proto::disctest {
namespace {

using namespace gs::literals;

bool has_secret(const EnvelopePtr& mem_req) {
  return mem_req->get_if<MembershipRequest>()->self_information->secret().has_value();
}

}  // namespace

TEST_CASE("discovery: TestConnect: ring of 10 Connects with SelfOrg=false, memReqs without internal endpoint",
          "[discovery][spec11.1]") {
  World w(v10_test_config());
  for (int p = 7611; p <= 7620; ++p) w.add(p);
  for (std::size_t i = 0; i < 10; ++i) {
    const Endpoint next = endpoint_of(7611 + static_cast<int>((i + 1) % 10));
    w[i].disc->connect(NetworkMember{next, {}, {}, next},
                       [](IdentifierDone done) { done(PeerIdentification{PkiId{}, false}); });
  }
  w.run_for(3_s);
  std::size_t first_mem_reqs = 0;
  for (std::size_t i = 0; i < 10; ++i) {
    for (const SentToPeer& s : w[i].comm->sent_to_peer) {
      if (!s.msg->is<MembershipRequest>() || s.msg->msg().nonce == 0) continue;
      ++first_mem_reqs;
      CHECK_FALSE(has_secret(s.msg));  // SelfOrg=false: internal endpoint not disclosed
      CHECK(s.at == Time::zero());
    }
  }
  CHECK(first_mem_reqs == 10);  // each acknowledged at the first attempt
  CHECK(w.wait_until([&] { return w[9].view_size() == 9; }));

  CHECK(has_secret(w[0].disc->create_membership_request(true)));
  CHECK_FALSE(has_secret(w[0].disc->create_membership_request(false)));
}

TEST_CASE("discovery: TestUpdate: metadata and endpoint updates propagate", "[discovery][spec11.1]") {
  World w(v10_test_config());
  for (int p = 6611; p <= 6615; ++p) w.add(p, {6611, 6612});
  REQUIRE(w.wait_until([&] { return w.at(6615).view_size() == 4; }));
  w.at(6611).disc->update_metadata("bla bla");
  w.at(6615).disc->update_endpoint("localhost:5511");
  CHECK(w.wait_until([&] {
    const auto m1 = w.at(6615).disc->lookup(endpoint_of(6611));
    const auto m5 = w.at(6611).disc->lookup(endpoint_of(6615));
    return m1 && m1->metadata == "bla bla" && m5 && m5->endpoint == "localhost:5511";
  }));
}

TEST_CASE("discovery: TestInitiateSync: membership spreads by pull alone", "[discovery][spec11.1]") {
  World w(v10_test_config());
  Options no_gossip;
  no_gossip.gossip = false;
  for (int p = 3611; p <= 3620; ++p) w.add(p, {3611, 3612}, no_gossip);
  for (std::size_t i = 0; i < w.size(); ++i) w.start_sync(w[i], w.cfg().alive_expiration_timeout / 3, 9);
  w.run_for(4_s);
  CHECK(w.wait_until([&] { return w.all_see(w.up_instances(), 9); }));
  for (std::size_t i = 0; i < w.size(); ++i) CHECK(w[i].received > 0);
}

TEST_CASE("discovery: TestExpiration: stopped peers leave the views", "[discovery][spec11.1]") {
  World w(v10_test_config());
  for (int p = 2611; p <= 2615; ++p) w.add(p, {2611, 2612});
  REQUIRE(w.wait_until([&] { return w.all_see(w.up_instances(), 4); }));
  w.stop(w.at(2615));
  w.stop(w.at(2614));
  CHECK(w.wait_until([&] { return w.all_see(w.up_instances(), 2); }));
  for (Instance* i : w.up_instances()) {
    CHECK(i->disc->dead_last_ts().size() == 2);
    CHECK(i->comm->closes >= 2);  // spec §6.7: connections to expired members closed
  }
}

TEST_CASE("discovery: TestGetFullMembership: 15 peers, bootstrap peers start 1 s late", "[discovery][spec11.1]") {
  World w(v10_test_config());
  for (int p = 5513; p <= 5525; ++p) w.add(p, {5511, 5512});
  w.run_for(1_s);
  w.add(5511, {5511, 5512});
  w.add(5512, {5511, 5512});
  REQUIRE(w.wait_until([&] { return w.all_see(w.up_instances(), 14); }));
  for (Instance* i : w.up_instances()) {
    for (const NetworkMember& m : i->disc->get_membership()) {
      CHECK_FALSE(m.endpoint.empty());
      CHECK_FALSE(m.internal_endpoint.empty());
      const auto looked_up = i->disc->lookup(m.pki_id);
      REQUIRE(looked_up);
      CHECK(looked_up->endpoint == m.pki_id);
    }
  }
}

TEST_CASE("discovery: TestGossipDiscoverySkipConnectingToLocalhostBootstrap: no connection to myself",
          "[discovery][spec11.1]") {
  World w(v10_test_config());
  Instance& inst = w.add(11611, {}, {}, false);
  inst.boot = {"localhost:11611", "127.0.0.1:11611"};
  w.start(inst);
  w.run_for(3_s);
  CHECK(inst.comm->sent_to_peer.empty());
  CHECK(inst.comm->pings == 0);
}

TEST_CASE("discovery: TestConvergence: three groups joined by a 13th peer, then it leaves", "[discovery][spec11.1]") {
  World w(v10_test_config());
  for (int leader : {4611, 4615, 4619}) {
    w.add(leader);
    for (int minion = leader + 1; minion < leader + 4; ++minion) w.add(minion, {leader});
  }
  REQUIRE(w.wait_until([&] { return w.all_see(w.up_instances(), 3); }));
  w.add(4623, {4611, 4615, 4619});
  REQUIRE(w.wait_until([&] { return w.all_see(w.up_instances(), 12); }));
  w.stop(w.at(4623));
  CHECK(w.wait_until([&] { return w.all_see(w.up_instances(), 11); }));
}

namespace {

// TestDisclosurePolicyWithPull's policy: two groups {8610–8614}, {8615–8619}; within a
// group everything is disclosed; across groups only alive messages of even ports to
// even-port targets; the secret is stripped across groups.
DisclosurePolicy group_policy(int self_port) {
  return [self_port](const NetworkMember& remote) {
    const int target = port_of(remote.endpoint);
    Sieve sieve = [target](const EnvelopePtr& m) {
      const int owner = port_of(m->get_if<AliveMessage>()->membership.endpoint);
      if ((owner < 8615) == (target < 8615)) return true;
      return owner % 2 == 0 && target % 2 == 0;
    };
    EnvelopeFilter filter = [self_port, target](const EnvelopePtr& m) {
      return (self_port < 8615) == (target < 8615) ? m : strip_secret(m);
    };
    return std::pair<Sieve, EnvelopeFilter>{std::move(sieve), std::move(filter)};
  };
}

}  // namespace

TEST_CASE("discovery: TestDisclosurePolicyWithPull: exact views, internal endpoints and dead counts",
          "[discovery][spec11.1]") {
  World w(v10_test_config());
  const std::map<int, int> boot = {{8610, 8616}, {8611, 8610}, {8612, 8610}, {8613, 8610}, {8614, 8610},
                                   {8615, 8616}, {8616, 8610}, {8617, 8616}, {8618, 8616}, {8619, 8616}};
  const std::map<int, std::vector<int>> expected = {
      {8610, {8611, 8612, 8613, 8614, 8616, 8618}},
      {8611, {8610, 8612, 8613, 8614}},
      {8612, {8610, 8611, 8613, 8614, 8616, 8618}},
      {8613, {8610, 8611, 8612, 8614}},
      {8614, {8610, 8611, 8612, 8613, 8616, 8618}},
      {8615, {8616, 8617, 8618, 8619}},
      {8616, {8610, 8612, 8614, 8615, 8617, 8618, 8619}},
      {8617, {8615, 8616, 8618, 8619}},
      {8618, {8610, 8612, 8614, 8615, 8616, 8617, 8619}},
      {8619, {8615, 8616, 8617, 8618}},
  };
  for (const auto& [port, b] : boot) {
    Options o;
    o.gossip = false;
    o.policy = group_policy(port);
    w.add(port, {b}, o);
  }
  for (std::size_t i = 0; i < w.size(); ++i) w.start_sync(w[i], w.cfg().alive_expiration_timeout / 3, 10);
  const bool converged = w.wait_until([&] {
    for (const auto& [port, view] : expected)
      if (w.at(port).view_ports() != view) return false;
    return true;
  });
  REQUIRE(converged);
  for (const auto& [port, view] : expected) {
    INFO("peer " << port);
    CHECK(w.at(port).view_ports() == view);
    // Internal endpoints are known exactly for the members of one's own group.
    for (const NetworkMember& m : w.at(port).disc->get_membership()) {
      const bool same_group = (port < 8615) == (port_of(m.endpoint) < 8615);
      CHECK(m.internal_endpoint.empty() == !same_group);
    }
  }
  w.stop(w.at(8610));
  w.run_for(3_s);
  for (const auto& [port, view] : expected) {
    if (port == 8610) continue;
    INFO("peer " << port);
    const bool knew_8610 = std::find(view.begin(), view.end(), 8610) != view.end();
    CHECK(w.at(port).disc->get_dead_members().size() == (knew_8610 ? 1U : 0U));
  }
}

TEST_CASE("discovery: TestMsgStoreExpiration: stopped peers are purged from every map and the store",
          "[discovery][spec11.1]") {
  World w(v10_test_config());
  for (int p = 12611; p <= 12614; ++p) w.add(p, {12611, 12612});
  REQUIRE(w.wait_until([&] { return w.all_see(w.up_instances(), 3); }));
  w.stop(w.at(12614));
  w.stop(w.at(12613));
  REQUIRE(w.wait_until([&] { return w.all_see(w.up_instances(), 1); }));
  const std::vector<PkiId> gone = {endpoint_of(12613), endpoint_of(12614)};
  const auto purged_everywhere = [&] {
    for (Instance* i : w.up_instances()) {
      const DiscoveryImpl& d = *i->disc;
      for (const PkiId& p : gone) {
        if (d.alive_last_ts().count(p) || d.dead_last_ts().count(p) || d.id2member().count(p) ||
            d.alive_membership().count(p) || d.dead_membership().count(p))
          return false;
        for (const EnvelopePtr& m : d.msg_store().get())
          if (m->get_if<AliveMessage>()->membership.pki_id == p) return false;
      }
    }
    return true;
  };
  CHECK(w.wait_until(purged_everywhere, w.cfg().alive_expiration_timeout * (20 + 5)));
  CHECK(w.all_see(w.up_instances(), 1));
}

TEST_CASE("discovery: TestMsgStoreExpirationWithMembershipMessages: expired entries block old messages",
          "[discovery][spec11.1]") {
  World w(v10_test_config());
  Options no_gossip;
  no_gossip.gossip = false;
  for (int p = 22610; p <= 22612; ++p) w.add(p, {}, no_gossip);
  const std::size_t n = w.size();
  std::vector<EnvelopePtr> mem_reqs, alive, new_alive;
  std::map<std::size_t, std::vector<MembershipResponse>> mem_resps;
  for (std::size_t i = 0; i < n; ++i) mem_reqs.push_back(w[i].disc->create_membership_request(true));
  for (std::size_t i = 0; i < n; ++i) alive.push_back(w[i].disc->create_alive_message(true));
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t k = 0; k < n; ++k) w[i].disc->handle_message(alive[k], w[k].endpoint);

  const auto check_exists = [&](const std::vector<EnvelopePtr>& msgs) {
    for (std::size_t i = 0; i < n; ++i) {
      const DiscoveryImpl& d = *w[i].disc;
      const std::vector<EnvelopePtr> stored = d.msg_store().get();
      for (std::size_t k = 0; k < n; ++k) {
        if (k == i) continue;
        CHECK(d.alive_last_ts().count(w[k].endpoint) == 1);
        CHECK(d.id2member().count(w[k].endpoint) == 1);
        CHECK(d.alive_membership().count(w[k].endpoint) == 1);
        CHECK(std::find(stored.begin(), stored.end(), msgs[k]) != stored.end());
      }
    }
  };
  check_exists(alive);

  for (std::size_t i = 0; i < n; ++i) {
    const NetworkMember target{w[i].endpoint, {}, w[i].endpoint, w[i].endpoint};
    for (std::size_t k = 0; k < n; ++k) {
      if (k == i) continue;
      const auto res = w[k].disc->create_membership_response(w[k].disc->create_alive_message(true), target);
      REQUIRE(res);
      mem_resps[i].push_back(*res);
    }
  }
  for (std::size_t i = 0; i < n; ++i) new_alive.push_back(w[i].disc->create_alive_message(true));
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t k = 0; k < n; ++k) w[i].disc->handle_message(new_alive[k], w[k].endpoint);
  check_exists(new_alive);

  const auto check_empty = [&](const char* step) {
    for (std::size_t i = 0; i < n; ++i) {
      INFO(step << ", instance " << i);
      const DiscoveryImpl& d = *w[i].disc;
      CHECK(d.alive_last_ts().empty());
      CHECK(d.dead_last_ts().empty());
      CHECK(d.id2member().empty());
      CHECK(d.msg_store().get().empty());
      CHECK(d.alive_membership().empty());
      CHECK(d.dead_membership().empty());
    }
  };
  w.run_for(w.cfg().alive_expiration_timeout * (20 + 5));
  check_empty("step 3: expiration");
  // The replays run at one virtual instant, as the Go test checks right after handing the
  // messages over: responses they trigger are still in flight.
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t k = 0; k < n; ++k)
      if (k != i) w[i].disc->handle_message(mem_reqs[k], w[k].endpoint);
  check_empty("step 4: old membership requests");
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t k = 0; k < n; ++k) w[i].disc->handle_message(alive[k], w[k].endpoint);
  check_empty("step 5: old alive messages");
  for (std::size_t i = 0; i < n; ++i) {
    for (const MembershipResponse& r : mem_resps[i]) {
      GossipMessage m;
      m.tag = Tag::EMPTY;
      m.content = r;
      w[i].disc->handle_message(Envelope::make_unsigned(std::move(m)), "someone");
    }
  }
  check_empty("step 6: old membership responses");
}

TEST_CASE("discovery: TestAliveMsgStore: CheckValid/Add semantics, non-alive messages are a bug", "[discovery][spec11.1]") {
  World w(v10_test_config());
  w.add(32610);
  w.add(32611);
  std::vector<EnvelopePtr> mem_reqs, alive;
  for (std::size_t i = 0; i < 2; ++i) mem_reqs.push_back(w[i].disc->create_membership_request(true));
  for (std::size_t i = 0; i < 2; ++i) alive.push_back(w[i].disc->create_alive_message(true));
  AliveMsgStore& store = w[0].disc->msg_store();
  for (const EnvelopePtr& m : alive) CHECK(store.check_valid(m));
  for (const EnvelopePtr& m : alive) CHECK(store.add(m));
  for (const EnvelopePtr& m : alive) CHECK_FALSE(store.check_valid(m));
  for (const EnvelopePtr& m : mem_reqs) {
    CHECK_THROWS_AS(w[1].disc->msg_store().check_valid(m), InvariantViolation);
    CHECK_THROWS_AS(w[1].disc->msg_store().add(m), InvariantViolation);
  }
}

TEST_CASE("discovery: TestMemRespDisclosurePol: the bootstrap peer ignores a peer it must not disclose to",
          "[discovery][spec11.1]") {
  World w(v10_test_config());
  Options d1_opts;
  d1_opts.policy = [](const NetworkMember& remote) {
    const bool allowed = remote.endpoint == "localhost:7880";
    return std::pair<Sieve, EnvelopeFilter>{[allowed](const EnvelopePtr&) { return allowed; },
                                            [](const EnvelopePtr& e) { return e; }};
  };
  Instance& d1 = w.add(7878, {}, d1_opts);
  Instance& d2 = w.add(7879, {7878});
  Instance& d3 = w.add(7880, {7878});
  CHECK(w.wait_until([&] { return d1.view_size() == 2 && d3.view_size() == 2; }));
  CHECK(w.wait_until([&] { return d2.view_size() == 0; }));
  CHECK(d2.received == 0);
  CHECK(d2.comm->msgs_sent > 0);
  CHECK(d1.comm->closes > 0);  // spec §6.4: closes instead of answering
}

}  // namespace gs::proto::disctest
