// CertStore tests: the identity puller and identity lifetime of spec §2.11 (Fabric
// certstore_test.go and the identity parts of gossip_test.go, §11.3). Peers use Fabric's
// unit-test identities (spec §0.2: identity = PKI-ID = endpoint), share one virtual clock
// and exchange messages with 100 µs latency. Virtual time only.
#include <catch2/catch.hpp>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "protocol/cert_store.hpp"
#include "protocol/config.hpp"
#include "protocol/crypto.hpp"
#include "protocol/identity_mapper.hpp"
#include "protocol/message.hpp"
#include "protocol/pull_mediator.hpp"
#include "pull_harness.hpp"

using namespace gs;
using namespace gs::literals;
using namespace gs::proto;
using namespace gs::proto::pulltest;

namespace {

// Pull timings of §11.3's pull-only instances (PullInterval 1 s, PullPeerNum 20, 200 ms
// digest wait), with request/response waits of 300 ms so that no request meets the v1.0
// nonce-expiry tie of §3.3.
GossipConfig test_config(Profile p = Profile::fabric_1_0) {
  GossipConfig c = defaults_for(p);
  c.pull_interval = 1_s;
  c.pull_peer_num = 20;
  c.digest_wait_time = 200_ms;
  c.request_wait_time = 300_ms;
  c.response_wait_time = 300_ms;
  return c;
}

// Lifetime loops far away unless a test sets them.
IdentityLifetimeConfig quiet_lifetime() {
  IdentityLifetimeConfig l;
  l.usage_threshold = Duration::hours(1000);
  l.inactivity_check_interval = Duration::hours(1000);
  l.revalidation_interval = std::nullopt;
  return l;
}

class CertNet;

struct CertPeer {
  const PeerCredentials* creds = nullptr;
  Endpoint external;  // "" = invisible to other orgs
  std::unique_ptr<PullTestEnv> env;
  std::unique_ptr<MessageCryptoService> mcs;
  std::unique_ptr<IdentityMapper> ids;
  std::map<PkiId, NetworkMember> alive;  // discovery's alive view (the puller's pool)
  std::map<PkiId, NetworkMember> dead;   // known but dead (Lookup only)
  std::vector<PkiId> closed;             // CloseConn calls
  std::vector<PkiId> forgotten;          // forget_peer calls
  std::unique_ptr<CertStore> store;      // last: destroyed first

  const PkiId& pki() const { return creds->pki_id; }
  NetworkMember self_member() const { return NetworkMember{external, {}, creds->pki_id, creds->endpoint}; }
  // The signed PeerIdentity this peer would publish (spec §2.11; tag ORG_ONLY, §1.4).
  EnvelopePtr identity_msg(const PkiId& claimed, const IdentityBytes& cert) const {
    return mcs->sign_message(GossipMessage{0, "", Tag::ORG_ONLY, PeerIdentity{claimed, cert}});
  }
  EnvelopePtr own_identity_msg() const { return identity_msg(creds->pki_id, creds->identity); }
};

struct Sent {
  PkiId from;
  PkiId to;
  EnvelopePtr msg;
  Time sent_at;
};

class Received final : public PullReceivedMessage {
 public:
  Received(CertNet& net, EnvelopePtr env, PkiId from, PkiId to)
      : net_(net), env_(std::move(env)), from_(std::move(from)), to_(std::move(to)) {}
  const EnvelopePtr& envelope() const override { return env_; }
  const PkiId& sender_pki_id() const override { return from_; }
  void respond(const EnvelopePtr& msg) const override;

 private:
  CertNet& net_;
  EnvelopePtr env_;
  PkiId from_;
  PkiId to_;
};

// A message handed straight to a store; what it answers is captured.
class Captured final : public PullReceivedMessage {
 public:
  Captured(EnvelopePtr env, PkiId from) : env_(std::move(env)), from_(std::move(from)) {}
  const EnvelopePtr& envelope() const override { return env_; }
  const PkiId& sender_pki_id() const override { return from_; }
  void respond(const EnvelopePtr& msg) const override { answers.push_back(msg); }
  mutable std::vector<EnvelopePtr> answers;

 private:
  EnvelopePtr env_;
  PkiId from_;
};

// A peer whose identity store answers everyone with everything it holds: a plain identity
// mediator without the §2.11 egress filter, used to hand a CertStore items in a regular
// pull round.
struct Seeder {
  std::unique_ptr<PullTestEnv> env;
  std::unique_ptr<PullMediator> mediator;
};

class CertNet {
 public:
  // Enrols and starts a peer: internal endpoint localhost:<port>, external 1.2.3.4:<port>
  // when `external` (spec §11.3's standard instance).
  CertPeer& spawn(const std::string& org, int port, bool external, const GossipConfig& cfg = test_config(),
                  IdentityLifetimeConfig lifetime = quiet_lifetime()) {
    const PeerCredentials& creds = pki_.enroll(org + "." + std::to_string(port), org, "localhost:" + std::to_string(port));
    auto peer = std::make_unique<CertPeer>();
    CertPeer* p = peer.get();
    p->creds = &creds;
    p->external = external ? "1.2.3.4:" + std::to_string(port) : "";
    p->env = std::make_unique<PullTestEnv>(clock_, pull_test_seed(creds.name));
    p->mcs = std::make_unique<MessageCryptoService>(*p->env, pki_, creds.pki_id);
    p->ids = std::make_unique<IdentityMapper>(*p->env, *p->mcs, pki_, creds.identity);
    CertStore::Adapter a;
    a.membership = [p] {
      auto out = std::make_shared<std::vector<MemberPtr>>();
      for (const auto& [pki, m] : p->alive) out->push_back(std::make_shared<const NetworkMember>(m));
      return MembershipView(std::move(out));
    };
    a.lookup = [p](const PkiId& pki) -> std::optional<NetworkMember> {
      if (pki == p->pki()) return p->self_member();
      if (const auto it = p->alive.find(pki); it != p->alive.end()) return it->second;
      if (const auto it = p->dead.find(pki); it != p->dead.end()) return it->second;
      return std::nullopt;
    };
    a.send = [this, p](const EnvelopePtr& msg, const std::vector<RemotePeer>& to) {
      for (const RemotePeer& r : to) send(p->pki(), r.pki_id, msg);
    };
    a.close_conn = [p](const PkiId& pki) { p->closed.push_back(pki); };
    a.forget_peer = [p](const PkiId& pki) { p->forgotten.push_back(pki); };
    p->store = std::make_unique<CertStore>(*p->env, *p->ids, *p->mcs, creds, cfg, std::move(a), lifetime);
    peers_.emplace(creds.pki_id, std::move(peer));
    return *p;
  }

  // A seeder (see Seeder) holding `items`; it never initiates rounds.
  PkiId spawn_seeder(const std::string& name, const GossipConfig& cfg, const std::vector<EnvelopePtr>& items) {
    Seeder s;
    s.env = std::make_unique<PullTestEnv>(clock_, pull_test_seed(name));
    PullMediatorConfig pc;
    pc.id = name;
    pc.msg_type = PullMsgType::IDENTITY_MSG;
    pc.tag = Tag::EMPTY;
    pc.peer_count_to_select = 0;
    pc.engine.digest_wait_time = cfg.digest_wait_time;
    pc.engine.request_wait_time = cfg.request_wait_time;
    pc.engine.response_wait_time = cfg.response_wait_time;
    pc.engine.pull_interval = cfg.pull_interval;
    PullMediatorAdapter pa;
    pa.send = [](const EnvelopePtr&, const std::vector<PullMember>&) {};
    pa.get_membership = [] { return std::vector<PullMember>{}; };
    pa.id_extractor = [](const Envelope& e) { return e.get_if<PeerIdentity>()->pki_id; };
    pa.msg_consumer = [](const EnvelopePtr&) {};
    s.mediator = std::make_unique<PullMediator>(*s.env, pc, std::move(pa));
    for (const EnvelopePtr& item : items) s.mediator->add(item);
    seeders_.emplace(name, std::move(s));
    return name;
  }

  CertPeer& peer(const PkiId& pki) { return *peers_.at(pki); }

  // `a`'s discovery sees `b` alive, as discovery would show it: internal endpoint only
  // within the org (spec §2.8).
  void see(CertPeer& a, const CertPeer& b) { a.alive[b.pki()] = member_as_seen(a, b); }
  void see_seeder(CertPeer& a, const PkiId& seeder) { a.alive[seeder] = NetworkMember{"", {}, seeder, seeder}; }
  static NetworkMember member_as_seen(const CertPeer& a, const CertPeer& b) {
    const bool same_org = a.creds->org == b.creds->org;
    return NetworkMember{b.external, {}, b.pki(), same_org ? b.creds->endpoint : ""};
  }
  // A comm handshake (§9.4): each side puts the other's identity into its mapper.
  static void handshake(CertPeer& a, CertPeer& b) {
    REQUIRE(IdentityMapper::ok(a.ids->put(b.pki(), b.creds->identity)));
    REQUIRE(IdentityMapper::ok(b.ids->put(a.pki(), a.creds->identity)));
  }

  void send(const PkiId& from, const PkiId& to, const EnvelopePtr& msg) {
    sent_.push_back({from, to, msg, clock_.now()});
    auto in_flight = std::make_shared<const Sent>(sent_.back());
    clock_.schedule(100_us, [this, in_flight] { deliver(*in_flight); });
  }
  void deliver(const Sent& s) {
    const Received received(*this, s.msg, s.from, s.to);
    if (const auto it = peers_.find(s.to); it != peers_.end()) {
      it->second->store->handle_message(received);
    } else if (const auto sit = seeders_.find(s.to); sit != seeders_.end()) {
      sit->second.mediator->handle_message(received);
    }
  }

  Pki& pki() { return pki_; }
  void run_for(Duration d) { clock_.run_for(d); }
  void run_until(Time t) { clock_.run_until(t); }
  Time now() const { return clock_.now(); }
  const std::vector<Sent>& sent() const { return sent_; }

 private:
  PullTestClock clock_;  // first: destroyed last, after the stores cancelled their timers
  Pki pki_{IdentityScheme::fabric_test()};
  std::vector<Sent> sent_;
  std::map<PkiId, std::unique_ptr<CertPeer>> peers_;
  std::map<std::string, Seeder> seeders_;
};

void Received::respond(const EnvelopePtr& msg) const { net_.send(to_, from_, msg); }

std::set<PkiId> ids_of(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

std::set<PkiId> update_ids(const EnvelopePtr& e) {
  std::set<PkiId> out;
  for (const EnvelopePtr& item : e->get_if<DataUpdate>()->data) out.insert(item->get_if<PeerIdentity>()->pki_id);
  return out;
}

EnvelopePtr identity_update(std::vector<EnvelopePtr> items) {
  return Envelope::make_unsigned(
      GossipMessage{0, "", Tag::EMPTY, DataUpdate{42, std::move(items), PullMsgType::IDENTITY_MSG}});
}

}  // namespace

TEST_CASE("cert store: a peer learns by pull an identity it did not have (spec §2.11, §13.1 step 4)") {
  CertNet net;
  CertPeer& p0 = net.spawn("Org1", 7000, true);
  CertPeer& p1 = net.spawn("Org1", 7001, true);
  CertPeer& p2 = net.spawn("Org1", 7002, true);
  // p1 and p2 bootstrap to p0 (§11.3 TestIdentityExpiration's topology): handshakes with p0
  // only; p0 sees both, each of them sees p0.
  CertNet::handshake(p0, p1);
  CertNet::handshake(p0, p2);
  net.see(p0, p1);
  net.see(p0, p2);
  net.see(p1, p0);
  net.see(p2, p0);
  REQUIRE_FALSE(p1.ids->contains(p2.pki()));
  // At start every puller holds exactly its own signed PeerIdentity.
  CHECK(p1.store->puller().engine().items() == std::vector<std::string>{p1.pki()});
  const EnvelopePtr own = p1.store->puller().stored(p1.pki());
  REQUIRE(own != nullptr);
  CHECK(own->get_if<PeerIdentity>()->cert == p1.creds->identity);
  CHECK(own->msg().tag == Tag::ORG_ONLY);
  CHECK(p1.mcs->verify_envelope(p1.creds->identity, *own));

  // Round 1 (t = 1 s): p0 pulls p1's and p2's items, p1 and p2 only p0's. Round 2: p1 and
  // p2 get each other's identity through p0.
  net.run_for(1500_ms);
  CHECK(p0.store->puller().engine().contains(p2.pki()));
  CHECK_FALSE(p1.ids->contains(p2.pki()));
  net.run_for(1_s);
  CHECK(p1.ids->contains(p2.pki()));
  CHECK(p2.ids->contains(p1.pki()));
  CHECK(p1.store->puller().engine().contains(p2.pki()));
  CHECK(p2.store->puller().stored(p1.pki()) != nullptr);

  // spec §2.11, §3.4: every message of the identity puller is IDENTITY_MSG, channel "",
  // tag EMPTY, unsigned.
  REQUIRE_FALSE(net.sent().empty());
  for (const Sent& s : net.sent()) {
    CHECK(pull_msg_type(s.msg->msg()) == PullMsgType::IDENTITY_MSG);
    CHECK(s.msg->msg().channel.empty());
    CHECK(s.msg->msg().tag == Tag::EMPTY);
    CHECK(s.msg->signature().empty());
  }
}

TEST_CASE("cert store: one bad identity drops the whole DataUpdate (spec §2.11, certstore_test.go TestCertStoreBadSignature / TestCertStoreMismatchedIdentity / TestCertRevocation)") {
  CertNet net;
  CertPeer& p0 = net.spawn("Org1", 7000, true);
  CertPeer& p1 = net.spawn("Org1", 7001, true);
  CertPeer& p2 = net.spawn("Org1", 7002, true);
  CertPeer& p3 = net.spawn("Org1", 7003, true);
  const EnvelopePtr good = p1.own_identity_msg();

  struct Case {
    const char* name;
    EnvelopePtr bad;
    bool revoke_p3;
  };
  const std::vector<Case> cases = {
      {"pki-id not GetPKIidOfCert(cert)", p2.identity_msg(p3.pki(), p2.creds->identity), false},
      {"signed by another peer than the cert's", p3.identity_msg(p2.pki(), p2.creds->identity), false},
      {"revoked identity", p3.own_identity_msg(), true},
      {"not a PeerIdentity",
       Envelope::make_unsigned(GossipMessage{0, "ch", Tag::CHAN_AND_ORG, DataMessage{Payload{1, nullptr}}}), false},
      {"unreadable item", nullptr, false},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.name) {
      net.pki().set_revoked(p3.pki(), c.revoke_p3);
      const Captured update(identity_update({good, c.bad}), p1.pki());
      p0.store->handle_message(update);
      CHECK(p0.store->rejected_updates() == 1);
      CHECK_FALSE(p0.ids->contains(p1.pki()));  // the good item is dropped too
      CHECK_FALSE(p0.ids->contains(p2.pki()));
      CHECK_FALSE(p0.ids->contains(p3.pki()));
      CHECK(p0.store->puller().stored(p1.pki()) == nullptr);
    }
  }
  SECTION("all items good: consumed even with a stale nonce (Appendix B.4)") {
    const Captured update(identity_update({good, p2.own_identity_msg()}), p1.pki());
    p0.store->handle_message(update);
    CHECK(p0.store->rejected_updates() == 0);
    CHECK(p0.ids->contains(p1.pki()));
    CHECK(p0.ids->contains(p2.pki()));
    CHECK(p0.store->puller().stored(p2.pki()) != nullptr);
    CHECK_FALSE(p0.store->puller().engine().contains(p2.pki()));  // nonce 42 was never ours
  }
}

TEST_CASE("cert store: sameOrgOrOurOrgPullFilter per requester org (spec §2.11 egress filter, §11.3 TestConfidentiality)") {
  const GossipConfig cfg = test_config();
  CertNet net;
  // The responder R (OrgA, external) and the owners of the identities it holds.
  CertPeer& r = net.spawn("OrgA", 9000, true, cfg);
  CertPeer& a1 = net.spawn("OrgA", 9001, true, cfg);   // my org, external
  CertPeer& a2 = net.spawn("OrgA", 9002, false, cfg);  // my org, no external endpoint
  CertPeer& b1 = net.spawn("OrgB", 9011, true, cfg);   // OrgB, external
  CertPeer& b2 = net.spawn("OrgB", 9012, false, cfg);  // OrgB, no external endpoint
  CertPeer& b3 = net.spawn("OrgB", 9013, true, cfg);   // OrgB, external but dead in R's view
  CertPeer& b4 = net.spawn("OrgB", 9014, true, cfg);   // OrgB, external, unknown to R's discovery
  CertPeer& c1 = net.spawn("OrgC", 9021, true, cfg);   // OrgC, external
  CertPeer& x1 = net.spawn("OrgC", 9022, true, cfg);   // identity item held, but not in R's mapper
  // Requesters.
  CertPeer& ra = net.spawn("OrgA", 9100, true, cfg);
  CertPeer& rb = net.spawn("OrgB", 9101, true, cfg);
  CertPeer& rc = net.spawn("OrgC", 9102, true, cfg);
  CertPeer& ru = net.spawn("OrgB", 9103, true, cfg);  // never handshaked with R: org unknown

  // R's discovery view (the external endpoints it knows).
  for (CertPeer* p : {&a1, &a2, &b1, &b2, &c1, &x1}) net.see(r, *p);
  r.dead[b3.pki()] = CertNet::member_as_seen(r, b3);
  // R fills its puller in a regular round from a seeder that holds every owner's identity.
  std::vector<EnvelopePtr> items;
  for (CertPeer* p : {&a1, &a2, &b1, &b2, &b3, &b4, &c1, &x1}) items.push_back(p->own_identity_msg());
  net.see_seeder(r, net.spawn_seeder("seeder", cfg, items));
  net.run_for(1500_ms);
  r.alive.erase("seeder");
  REQUIRE(r.store->puller().engine().items().size() == 9);
  r.ids->remove(x1.pki());  // e.g. purged from the mapper since
  for (CertPeer* p : {&ra, &rb, &rc}) REQUIRE(IdentityMapper::ok(r.ids->put(p->pki(), p->creds->identity)));

  const std::set<PkiId> everything = ids_of(r.store->puller().engine().items());
  struct Case {
    const CertPeer* requester;
    std::set<PkiId> expected;
  };
  const std::vector<Case> cases = {
      {&ra, everything},                        // requester in my org: everything
      // my org or OrgB, known org, external endpoint in my view (Lookup: alive or dead)
      {&rb, {r.pki(), a1.pki(), b1.pki(), b3.pki()}},
      {&rc, {r.pki(), a1.pki(), c1.pki()}},  // x1: org unknown to R
      {&ru, {}},                             // requester org unknown: nothing
  };
  std::uint64_t nonce = 1000;
  for (const Case& c : cases) {
    INFO("requester " << c.requester->creds->name);
    ++nonce;
    const Captured hello(
        Envelope::make_unsigned(GossipMessage{0, "", Tag::EMPTY, GossipHello{nonce, PullMsgType::IDENTITY_MSG}}),
        c.requester->pki());
    r.store->handle_message(hello);
    const Captured request(Envelope::make_unsigned(GossipMessage{
                               0, "", Tag::EMPTY,
                               DataRequest{nonce, r.store->puller().engine().items(), PullMsgType::IDENTITY_MSG}}),
                           c.requester->pki());
    r.store->handle_message(request);
    if (c.expected.empty()) {
      CHECK(hello.answers.empty());  // empty digests and updates are never sent (§3.3)
      CHECK(request.answers.empty());
      continue;
    }
    REQUIRE(hello.answers.size() == 1);
    CHECK(ids_of(hello.answers[0]->get_if<DataDigest>()->digests) == c.expected);
    REQUIRE(request.answers.size() == 1);
    CHECK(update_ids(request.answers[0]) == c.expected);
  }
}

TEST_CASE("cert store: an unused identity is purged after usageThreshold, removed from the puller, its connection closed (spec §2.11 v1.0)") {
  IdentityLifetimeConfig lifetime = quiet_lifetime();
  lifetime.usage_threshold = 5_s;
  lifetime.inactivity_check_interval = 1_s;
  CertNet net;
  CertPeer& p0 = net.spawn("Org1", 7000, true, test_config(), lifetime);
  CertPeer& p1 = net.spawn("Org1", 7001, true);
  CertPeer& p2 = net.spawn("Org1", 7002, true);
  // p1 knows p0 (so it answers p0's hellos); p0 learns p1's identity only by pull.
  REQUIRE(IdentityMapper::ok(p1.ids->put(p0.pki(), p0.creds->identity)));
  REQUIRE(IdentityMapper::ok(p0.ids->put(p2.pki(), p2.creds->identity)));
  net.see(p0, p1);
  net.run_for(1500_ms);  // round 1: p1's item arrives at ≈ 1.2 s
  REQUIRE(p0.ids->contains(p1.pki()));
  REQUIRE(p0.store->puller().engine().contains(p1.pki()));
  p0.alive.clear();  // p1 leaves p0's view: no further pulls re-learn it

  // p2's identity is in use: looked up every 2 s (as each org check of an active peer does).
  std::function<void()> use_p2 = [&] {
    (void)p0.ids->org_of(p2.pki());
    p0.env->set_timer(2_s, "test.use_p2", [&] { use_p2(); });
  };
  use_p2();

  // Stored at ≈ 1.2 s and never looked up since: checks at 2..6 s keep it (not unused for
  // more than 5 s yet); the check at 7 s removes it.
  net.run_for(5400_ms);  // t = 6.9 s
  CHECK(p0.ids->contains(p1.pki()));
  CHECK(p0.closed.empty());
  net.run_for(200_ms);  // t = 7.1 s
  CHECK_FALSE(p0.ids->contains(p1.pki()));
  CHECK_FALSE(p0.store->puller().engine().contains(p1.pki()));
  CHECK(p0.store->puller().stored(p1.pki()) == nullptr);
  CHECK(p0.closed == std::vector<PkiId>{p1.pki()});
  CHECK(p0.forgotten.empty());  // v1.0: discovery is not told (§6.10 is latest-only)
  net.run_for(20_s);
  CHECK(p0.ids->contains(p2.pki()));  // in use: never purged
  CHECK(p0.ids->contains(p0.pki()));  // self: never purged
  CHECK(p0.closed == std::vector<PkiId>{p1.pki()});
}

TEST_CASE("cert store: default identity lifetime periods, v1.0 10 min vs latest 6 min + forget (spec §2.11, Appendix A)") {
  const bool latest = GENERATE(false, true);
  const Profile profile = latest ? Profile::fabric_2_5 : Profile::fabric_1_0;
  const IdentityLifetimeConfig defaults = IdentityLifetimeConfig::defaults_for(profile);
  CHECK(defaults.usage_threshold == Duration::hours(1));
  CHECK(defaults.inactivity_check_interval == (latest ? Duration::minutes(6) : Duration::minutes(10)));
  CHECK(defaults.revalidation_interval == (latest ? std::nullopt : std::optional<Duration>(Duration::hours(24))));
  CHECK(defaults.forget_purged_peers == latest);

  CertNet net;
  CertPeer& p0 = net.spawn("Org1", 7000, true, test_config(profile), defaults);
  CertPeer& p1 = net.spawn("Org1", 7001, true, test_config(profile));
  REQUIRE(IdentityMapper::ok(p1.ids->put(p0.pki(), p0.creds->identity)));
  net.see(p0, p1);
  net.run_for(1500_ms);
  REQUIRE(p0.ids->contains(p1.pki()));
  p0.alive.clear();
  // Unused since ≈ 1.2 s: kept by the check at 60 min (not unused for more than 1 h
  // yet), removed by the next one: 66 min latest, 70 min v1.0.
  const Time purge_at = Time::zero() + (latest ? Duration::minutes(66) : Duration::minutes(70));
  net.run_until(Time::zero() + Duration::minutes(60) + 1_s);
  CHECK(p0.ids->contains(p1.pki()));
  net.run_until(purge_at - 1_s);
  CHECK(p0.ids->contains(p1.pki()));
  CHECK(p0.closed.empty());
  net.run_until(purge_at + 1_s);
  CHECK_FALSE(p0.ids->contains(p1.pki()));
  CHECK_FALSE(p0.store->puller().engine().contains(p1.pki()));
  CHECK(p0.closed == std::vector<PkiId>{p1.pki()});
  CHECK(p0.forgotten == (latest ? std::vector<PkiId>{p1.pki()} : std::vector<PkiId>{}));
}

TEST_CASE("cert store: a revoked identity is removed at re-validation everywhere and never re-learned (spec §11.3 TestIdentityExpiration, §2.11)") {
  // §11.3: 4 peers (7000–7003) bootstrapping to peer 0, identity check interval 1 s.
  IdentityLifetimeConfig lifetime = quiet_lifetime();
  lifetime.revalidation_interval = 1_s;
  CertNet net;
  std::vector<CertPeer*> peers;
  for (int i = 0; i < 4; ++i) peers.push_back(&net.spawn("Org1", 7000 + i, true, test_config(), lifetime));
  for (int i = 1; i < 4; ++i) CertNet::handshake(*peers[0], *peers[static_cast<std::size_t>(i)]);
  for (CertPeer* a : peers) {
    for (CertPeer* b : peers) {
      if (a != b) net.see(*a, *b);
    }
  }
  net.run_for(3_s);
  for (CertPeer* a : peers) {
    for (CertPeer* b : peers) CHECK(a->ids->contains(b->pki()));
  }

  CertPeer& revoked = *peers[3];
  net.pki().set_revoked(revoked.pki(), true);
  net.run_for(1_s);  // the next re-validation at every peer
  for (std::size_t i = 0; i < 3; ++i) {
    INFO("peer " << peers[i]->creds->name);
    CHECK_FALSE(peers[i]->ids->contains(revoked.pki()));
    CHECK(peers[i]->store->puller().stored(revoked.pki()) == nullptr);
    CHECK(peers[i]->closed == std::vector<PkiId>{revoked.pki()});
    CHECK(peers[i]->forgotten.empty());
  }
  CHECK(revoked.ids->contains(revoked.pki()));  // self is never re-validated away

  // The revoked peer keeps advertising its identity: whoever requests it gets an update
  // that fails the §2.11 check and is dropped whole; the others stop answering it (its org
  // is unknown to them now).
  net.run_for(10_s);
  std::uint64_t rejected = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK_FALSE(peers[i]->ids->contains(revoked.pki()));
    CHECK_FALSE(peers[i]->store->puller().engine().contains(revoked.pki()));
    rejected += peers[i]->store->rejected_updates();
  }
  CHECK(rejected > 0);
  const Time revoked_at = net.now() - 10_s;
  for (const Sent& s : net.sent()) {
    if (s.from == revoked.pki() || !s.msg->is<DataUpdate>()) continue;
    // Answers to the revoked peer after the removal: none (requester org unknown).
    if (s.to == revoked.pki()) CHECK(s.sent_at <= revoked_at);
  }
}

TEST_CASE("cert store: stop ends the pull rounds and the lifetime loops (spec §2.11)") {
  IdentityLifetimeConfig lifetime = quiet_lifetime();
  lifetime.usage_threshold = 1_s;
  lifetime.inactivity_check_interval = 1_s;
  lifetime.revalidation_interval = 1_s;
  CertNet net;
  CertPeer& p0 = net.spawn("Org1", 7000, true, test_config(), lifetime);
  CertPeer& p1 = net.spawn("Org1", 7001, true);
  CertNet::handshake(p0, p1);
  net.see(p0, p1);
  p0.store->stop();
  net.run_for(10_s);
  for (const Sent& s : net.sent()) CHECK(s.from != p0.pki());
  CHECK(p0.ids->contains(p1.pki()));  // no purge ran
  CHECK(p0.closed.empty());
  const Captured hello(
      Envelope::make_unsigned(GossipMessage{0, "", Tag::EMPTY, GossipHello{7, PullMsgType::IDENTITY_MSG}}), p1.pki());
  p0.store->handle_message(hello);
  CHECK(hello.answers.empty());
}
