// Fabric's organisation tests (spec §11.3 "Organisation tests": gossip/gossip/orgs_test.go
// and anchor_test.go) on the real simulated network: TestMultipleOrgEndpointLeakage,
// TestConfidentiality, TestAnchorPeer, TestBootstrapPeerMisConfiguration. They exercise the
// disclosure rules of spec §2.8 and the bootstrap/anchor rules of §2.9 / §6.3.
// Standard instance config; a peer's external endpoint, when it has one, equals its
// internal endpoint ("localhost:port"), as in orgs_test.go. Timeouts are upper bounds on
// virtual time.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "gossip_cluster.hpp"

namespace gs::testing {
namespace {

const Duration kTimeout = Duration::seconds(180);
const Duration kPoll = Duration::seconds(1);

std::string localhost(int port) { return fmt::format("localhost:{}", port); }

InstanceSpec org_instance(int port, std::string org, bool external, std::vector<proto::Endpoint> bootstrap = {},
                          std::function<void(proto::GossipService&)> on_start = {}) {
  InstanceSpec s = instance(localhost(port), std::move(bootstrap), standard_test_config(), std::move(on_start),
                            external ? localhost(port) : proto::Endpoint{});
  s.org = std::move(org);
  return s;
}

std::string org_of_pki(const GossipCluster& c, const proto::PkiId& pki) {
  const auto i = c.index_of_pki(pki);
  return i ? c.spec(*i).org : std::string("?");
}

// Every PKI-ID a membership-carrying message names (spec §11.3 TestConfidentiality: alive,
// StateInfo, StateInfo snapshot, membership request/response, identity digests/updates).
std::vector<proto::PkiId> pki_ids_in(const proto::Envelope& e) {
  std::vector<proto::PkiId> out;
  auto alive_of = [&](const proto::EnvelopePtr& a) {
    if (!a) return;
    if (const auto* am = a->get_if<proto::AliveMessage>()) out.push_back(am->membership.pki_id);
  };
  auto state_info_of = [&](const proto::EnvelopePtr& s) {
    if (!s) return;
    if (const auto* si = s->get_if<proto::StateInfo>()) out.push_back(si->pki_id);
  };
  const proto::GossipMessage& m = e.msg();
  if (const auto* a = m.get_if<proto::AliveMessage>()) out.push_back(a->membership.pki_id);
  if (const auto* r = m.get_if<proto::MembershipRequest>()) alive_of(r->self_information);
  if (const auto* r = m.get_if<proto::MembershipResponse>()) {
    for (const auto& a : r->alive) alive_of(a);
    for (const auto& d : r->dead) alive_of(d);
  }
  if (const auto* s = m.get_if<proto::StateInfo>()) out.push_back(s->pki_id);
  if (const auto* s = m.get_if<proto::StateInfoSnapshot>())
    for (const auto& el : s->elements) state_info_of(el);
  if (const auto* d = m.get_if<proto::DataDigest>(); d && d->msg_type == proto::PullMsgType::IDENTITY_MSG)
    for (const auto& dig : d->digests) out.push_back(dig);
  if (const auto* u = m.get_if<proto::DataUpdate>(); u && u->msg_type == proto::PullMsgType::IDENTITY_MSG)
    for (const auto& item : u->data)
      if (item)
        if (const auto* pi = item->get_if<proto::PeerIdentity>()) out.push_back(pi->pki_id);
  if (const auto* pi = m.get_if<proto::PeerIdentity>()) out.push_back(pi->pki_id);
  return out;
}

}  // namespace

// spec §11.3 TestMultipleOrgEndpointLeakage: orgA = 11610-11614 (bootstrap to 11610), orgB
// = 11615-11619 (no bootstrap); the first 2 peers of each org have external endpoints;
// channel "TEST" anchors: orgA {11611, 11616}, orgB {11615}. View sizes: 6 for peers with
// an external endpoint (4 of their org + 2 foreign), 4 for the others; a peer knows a
// foreign peer only if both have external endpoints; internal endpoints are known only for
// same-org peers.
TEST_CASE("TestMultipleOrgEndpointLeakage: endpoints are disclosed to other orgs only as allowed", "[e2e][orgs]") {
  GossipCluster c(ClusterOptions::with_seed(81));
  proto::JoinChannelMessage jcm = join_message({"ORG1", "ORG2"});
  jcm.anchor_peers["ORG1"] = {localhost(11611), localhost(11616)};
  jcm.anchor_peers["ORG2"] = {localhost(11615)};
  auto join_test = [jcm](proto::GossipService& g) {
    g.join_channel(jcm, "TEST");
    g.update_channel_metadata("", "TEST");
  };
  for (int org = 0; org < 2; ++org)
    for (int i = 0; i < 5; ++i) {
      std::vector<proto::Endpoint> boot;
      if (org == 0) boot.push_back(localhost(11610));
      c.add(org_instance(11610 + org * 5 + i, org == 0 ? "ORG1" : "ORG2", i < 2, boot, join_test));
    }
  for (std::size_t i = 0; i < c.size(); ++i) c.start(i);

  auto has_external = [&](std::size_t i) { return !c.spec(i).external_endpoint.empty(); };
  auto expected = [&](std::size_t i) -> std::size_t { return has_external(i) ? 6 : 4; };
  std::size_t too_big = 0;
  REQUIRE(c.wait_until(
      [&] {
        bool all = true;
        for (std::size_t i = 0; i < c.size(); ++i) {
          const std::size_t n = c.view(i).size();
          if (n > expected(i)) ++too_big;
          if (n != expected(i)) all = false;
        }
        return all;
      },
      kTimeout, kPoll));
  c.advance(Duration::seconds(10));  // and it stays so
  CHECK(too_big == 0);

  for (std::size_t i = 0; i < c.size(); ++i) {
    const auto members = c.gossip(i).peers();
    CHECK(members.size() == expected(i));
    for (const proto::NetworkMember& m : members) {
      const auto j = c.index_of_pki(m.pki_id);
      REQUIRE(j.has_value());
      const bool same_org = c.spec(*j).org == c.spec(i).org;
      INFO(c.endpoint(i) << " knows " << c.endpoint(*j) << " (internal '" << m.internal_endpoint << "')");
      if (!same_org) {
        CHECK(has_external(i));
        CHECK(has_external(*j));
        CHECK(m.internal_endpoint.empty());
      } else {
        CHECK(m.internal_endpoint == c.endpoint(*j));
      }
    }
  }
}

// spec §11.3 TestConfidentiality: 4 orgs x 3 peers (12610-12621), the first 2 of each org
// with external endpoints; channels C0{A,B}, C1{A,C}, C2{B,C}, C3{B,D}; the first peer of
// each org is its anchor (no bootstrap). View sizes (x = 3, y = 2, y = 0 for peers without
// an external endpoint, minus self): A x+2y-1, B x+3y-1, C x+2y-1, D x+y-1. Every received
// alive / StateInfo / snapshot / membership request / response / identity message crossing
// orgs names only peers of the sender's or the receiver's org; D never hears of A or C,
// and A and C never of D.
TEST_CASE("TestConfidentiality: no org learns about orgs it shares no channel with", "[e2e][orgs]") {
  const std::vector<std::string> orgs{"A", "B", "C", "D"};
  const std::map<std::string, std::vector<std::string>> channels{
      {"C0", {"A", "B"}}, {"C1", {"A", "C"}}, {"C2", {"B", "C"}}, {"C3", {"B", "D"}}};
  const int x = 3, y = 2;
  GossipCluster c(ClusterOptions::with_seed(91));

  std::map<std::string, proto::Endpoint> anchor_of;
  for (std::size_t o = 0; o < orgs.size(); ++o) anchor_of[orgs[o]] = localhost(12610 + static_cast<int>(o) * x);
  for (std::size_t o = 0; o < orgs.size(); ++o) {
    const std::string org = orgs[o];
    std::vector<std::pair<std::string, proto::JoinChannelMessage>> joins;
    for (const auto& [ch, members] : channels) {
      if (std::find(members.begin(), members.end(), org) == members.end()) continue;
      proto::JoinChannelMessage jcm = join_message(members);
      for (const std::string& m : members) jcm.anchor_peers[m] = {anchor_of[m]};
      joins.emplace_back(ch, jcm);
    }
    for (int j = 0; j < x; ++j)
      c.add(org_instance(12610 + static_cast<int>(o) * x + j, org, j < y, {}, [joins](proto::GossipService& g) {
        for (const auto& [ch, jcm] : joins) {
          g.join_channel(jcm, ch);
          g.update_channel_metadata("", ch);
        }
      }));
  }

  std::size_t inspected = 0;
  std::vector<std::string> leaks;
  c.set_message_sink([&](const MessageEvent& e) {
    if (e.op != MessageEvent::Op::recv) return;
    const std::string src = c.spec(e.from).org, dst = c.spec(e.to).org;
    const auto pkis = pki_ids_in(*e.msg);
    if (pkis.empty()) return;
    ++inspected;
    if (src == dst) return;  // within an org anything may be said
    for (const proto::PkiId& p : pkis) {
      const std::string org = org_of_pki(c, p);
      const bool leak = (org != src && org != dst) || (dst == "D" && (org == "A" || org == "C")) ||
                        ((dst == "A" || dst == "C") && org == "D");
      if (leak && leaks.size() < 20) leaks.push_back(c.format(e) + " names " + p + " of org " + org);
    }
  });
  for (std::size_t i = 0; i < c.size(); ++i) c.start(i);

  auto expected = [&](std::size_t i) -> std::size_t {
    const std::string& org = c.spec(i).org;
    const int yy = c.spec(i).external_endpoint.empty() ? 0 : y;
    const int factor = org == "B" ? 3 : (org == "D" ? 1 : 2);
    return static_cast<std::size_t>(x + factor * yy - 1);
  };
  std::size_t too_big = 0;
  REQUIRE(c.wait_until(
      [&] {
        bool all = true;
        for (std::size_t i = 0; i < c.size(); ++i) {
          const std::size_t n = c.view(i).size();
          if (n > expected(i)) ++too_big;
          if (n < expected(i)) all = false;
        }
        return all;
      },
      kTimeout, kPoll));
  const Time converged = c.now();
  c.advance(Duration::seconds(20));  // keep inspecting a while after convergence
  for (std::size_t i = 0; i < c.size(); ++i) CHECK(c.view(i).size() == expected(i));
  CHECK(too_big == 0);
  CHECK(inspected > 1000);
  for (const std::string& l : leaks) UNSCOPED_INFO(l);
  CHECK(leaks.empty());
  WARN(fmt::format("TestConfidentiality: views converged at {}, {} membership messages inspected", converged,
                   inspected));
}

// spec §11.3 (anchor_test.go) TestAnchorPeer: p (org A, with an external endpoint) joins a
// channel whose anchors are ap1 (org A) and ap2 (org B). The membership request p sends to
// ap1 carries p's internal endpoint (the signed secret of its alive message); the one to
// ap2 does not.
TEST_CASE("TestAnchorPeer: internal endpoint disclosed to a same-org anchor only", "[e2e][orgs]") {
  GossipCluster c(ClusterOptions::with_seed(101));
  proto::JoinChannelMessage jcm = join_message({"ORGA", "ORGB"});
  jcm.anchor_peers["ORGA"] = {localhost(13611)};
  jcm.anchor_peers["ORGB"] = {localhost(13612)};
  const std::size_t p = c.add(org_instance(13610, "ORGA", true, {}, [jcm](proto::GossipService& g) {
    g.join_channel(jcm, "A");
  }));
  const std::size_t ap1 = c.add(org_instance(13611, "ORGA", false));
  const std::size_t ap2 = c.add(org_instance(13612, "ORGB", true));

  std::map<std::size_t, std::vector<proto::EnvelopePtr>> requests;  // to -> MembershipRequests from p
  c.set_message_sink([&](const MessageEvent& e) {
    if (e.op == MessageEvent::Op::send && e.from == p && e.msg->is<proto::MembershipRequest>())
      requests[e.to].push_back(e.msg);
  });
  c.start(ap1);
  c.start(ap2);
  c.start(p);
  REQUIRE(c.wait_until([&] { return !requests[ap1].empty() && !requests[ap2].empty(); }, Duration::seconds(30),
                       Duration::milliseconds(100)));
  c.advance(Duration::seconds(5));

  auto secret_of = [](const proto::EnvelopePtr& req) -> std::optional<proto::SecretEnvelope> {
    const auto& self = req->get_if<proto::MembershipRequest>()->self_information;
    return self ? self->secret() : std::nullopt;
  };
  const auto first_to_ap1 = secret_of(requests[ap1].front());
  REQUIRE(first_to_ap1.has_value());
  CHECK(first_to_ap1->internal_endpoint == c.endpoint(p));
  for (const auto& r : requests[ap1]) CHECK(secret_of(r).has_value());
  for (const auto& r : requests[ap2]) CHECK_FALSE(secret_of(r).has_value());
  CHECK(c.view(p).size() == 2);
}

// spec §11.3 (anchor_test.go) TestBootstrapPeerMisConfiguration: p (org A) has bootstrap
// peers bs1 (org B) and bs2 (org A). bs1 is never sent a membership request, only
// handshakes (≥ 3 attempts: the identifier rejects a bootstrap peer of another org and
// discovery retries); bs2 is sent one and answers.
TEST_CASE("TestBootstrapPeerMisConfiguration: a foreign-org bootstrap peer is never asked for membership",
          "[e2e][orgs]") {
  GossipCluster c(ClusterOptions::with_seed(111));
  const std::size_t bs1 = c.add(org_instance(14611, "ORGB", true));
  const std::size_t bs2 = c.add(org_instance(14612, "ORGA", true));
  const std::size_t p = c.add(org_instance(14610, "ORGA", true, {localhost(14611), localhost(14612)}));

  std::map<std::pair<std::size_t, proto::MessageKind>, std::size_t> sent_by_p, sent_to_p;
  c.set_message_sink([&](const MessageEvent& e) {
    if (e.op != MessageEvent::Op::send) return;
    if (e.from == p) ++sent_by_p[{e.to, e.msg->kind()}];
    if (e.to == p) ++sent_to_p[{e.from, e.msg->kind()}];
  });
  for (std::size_t i = 0; i < c.size(); ++i) c.start(i);
  c.advance(Duration::seconds(30));

  CHECK(sent_by_p[{bs1, proto::MessageKind::mem_req}] == 0);
  CHECK(sent_by_p[{bs1, proto::MessageKind::conn}] >= 3);
  CHECK(sent_to_p[{bs1, proto::MessageKind::mem_res}] == 0);
  CHECK(sent_by_p[{bs2, proto::MessageKind::mem_req}] >= 1);
  CHECK(sent_to_p[{bs2, proto::MessageKind::mem_res}] >= 1);
  const auto v = c.view(p);
  CHECK(v == std::vector<proto::Endpoint>{c.endpoint(bs2)});
  WARN(fmt::format("TestBootstrapPeerMisConfiguration: {} handshakes p -> bs1 in 30 s",
                   sent_by_p[{bs1, proto::MessageKind::conn}]));
}

}  // namespace gs::testing
