// Identity mapper (spec §2.11, §9.4).
#include <catch2/catch.hpp>

#include "fake_env.hpp"
#include "protocol/crypto.hpp"
#include "protocol/identity_mapper.hpp"

using namespace gs;
using namespace gs::literals;
using namespace gs::proto;
using namespace gs::proto::test;

namespace {

struct Fixture {
  FakeEnv env;
  Pki pki;  // production scheme: PKI-ID = SHA-256(MSP-ID ‖ identity)
  const PeerCredentials& self = pki.enroll("Org1.peer0", "Org1", "p0:7051");
  const PeerCredentials& p1 = pki.enroll("Org1.peer1", "Org1", "p1:7051");
  const PeerCredentials& p2 = pki.enroll("Org2.peer0", "Org2", "p2:7051");
  MessageCryptoService mcs{env, pki, self.pki_id};
  IdentityMapper ids{env, mcs, pki, self.identity};
};

}  // namespace

TEST_CASE("identity mapper: own identity at construction, put validates (spec §2.11)", "[identity]") {
  Fixture f;
  CHECK(f.ids.self_pki_id() == f.self.pki_id);
  CHECK(f.ids.size() == 1);
  CHECK(f.ids.put(f.p1.pki_id, f.p1.identity) == IdentityMapper::PutResult::added);
  CHECK(f.ids.put(f.p1.pki_id, f.p1.identity) == IdentityMapper::PutResult::already_present);
  CHECK(f.ids.put(f.p2.pki_id, f.p1.identity) == IdentityMapper::PutResult::pki_id_mismatch);
  CHECK(f.ids.put(f.p2.pki_id, "unknown identity") == IdentityMapper::PutResult::invalid_identity);
  CHECK(f.ids.put(PkiId{}, f.p2.identity) == IdentityMapper::PutResult::empty_pki_id);
  f.pki.set_revoked(f.p2.pki_id, true);
  CHECK(f.ids.put(f.p2.pki_id, f.p2.identity) == IdentityMapper::PutResult::invalid_identity);
  CHECK(f.ids.size() == 2);
  CHECK(f.env.cpu_charged > Duration::zero());  // validation is charged to the peer
}

TEST_CASE("identity mapper: an already-present PKI-ID is left unchanged (spec §2.11)", "[identity]") {
  Fixture f;
  REQUIRE(IdentityMapper::ok(f.ids.put(f.p1.pki_id, f.p1.identity)));
  f.env.advance(5_s);
  CHECK(f.ids.put(f.p1.pki_id, f.p1.identity) == IdentityMapper::PutResult::already_present);
  CHECK(f.ids.entries().at(1).last_access == Time::zero());  // put of a present entry: no refresh
}

TEST_CASE("identity mapper: lookups refresh last access, unused_since lists idle peers (spec §2.11)",
          "[identity]") {
  Fixture f;
  REQUIRE(IdentityMapper::ok(f.ids.put(f.p1.pki_id, f.p1.identity)));
  REQUIRE(IdentityMapper::ok(f.ids.put(f.p2.pki_id, f.p2.identity)));
  f.env.advance(30_min);
  REQUIRE(f.ids.get(f.p1.pki_id) != nullptr);          // refreshes p1
  CHECK(f.ids.org_of(f.p2.pki_id) == "Org2");          // an org check is a lookup too
  f.env.advance(31_min);
  CHECK(f.ids.get("nobody") == nullptr);
  CHECK(f.ids.unused_since(f.env.now() - 1_min * 60).empty());
  f.env.advance(30_min);
  // 1 h 1 min after the last lookups: both idle; self is never listed.
  const auto idle = f.ids.unused_since(f.env.now() - 1_min * 60);
  CHECK(idle.size() == 2);
  CHECK(f.ids.peek(f.p1.pki_id) != nullptr);
  CHECK(f.ids.unused_since(f.env.now() - 1_min * 60).size() == 2);  // peek does not refresh
}

TEST_CASE("identity mapper: remove, org lookup, verify, re-validation (spec §2.11, §0.2)", "[identity]") {
  Fixture f;
  REQUIRE(IdentityMapper::ok(f.ids.put(f.p1.pki_id, f.p1.identity)));
  REQUIRE(IdentityMapper::ok(f.ids.put(f.p2.pki_id, f.p2.identity)));
  CHECK(f.ids.org_of(f.p1.pki_id) == "Org1");
  CHECK(f.ids.org_of("nobody") == std::nullopt);
  CHECK(f.ids.org_of_identity(f.p2.identity) == "Org2");

  CHECK_FALSE(f.ids.remove(f.self.pki_id));  // own identity stays
  CHECK(f.ids.remove(f.p1.pki_id));
  CHECK_FALSE(f.ids.contains(f.p1.pki_id));
  CHECK(f.ids.org_of(f.p1.pki_id) == std::nullopt);

  FakeEnv env2;
  MessageCryptoService mcs2{env2, f.pki, f.p2.pki_id};
  const Signature sig = mcs2.sign(1234);
  CHECK(f.ids.verify(f.p2.pki_id, sig, 1234));
  CHECK_FALSE(f.ids.verify(f.p2.pki_id, sig, 999));
  CHECK_FALSE(f.ids.verify(f.p1.pki_id, sig, 1234));  // removed: unknown

  CHECK(f.ids.invalid_identities().empty());
  f.pki.set_revoked(f.p2.pki_id, true);
  CHECK(f.ids.invalid_identities() == std::vector<PkiId>{f.p2.pki_id});
}
