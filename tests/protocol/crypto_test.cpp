// Simulated MessageCryptoService (spec §0.2): derivations, predicates, failure
// injection, CPU charging.
#include <catch2/catch.hpp>

#include <memory>

#include "fake_env.hpp"
#include "protocol/crypto.hpp"
#include "protocol/sha256.hpp"

using namespace gs;
using namespace gs::proto;
using gs::proto::test::FakeEnv;

namespace {

GossipMessage alive_of(const PeerCredentials& c, std::uint64_t seq) {
  return GossipMessage{0, "", Tag::EMPTY, AliveMessage{Member{c.endpoint, "", c.pki_id}, PeerTime{1, seq}, c.identity}};
}

}  // namespace

TEST_CASE("crypto: production identity and PKI-ID derivation (spec §0.2)") {
  Pki pki;
  const auto& p0 = pki.enroll("Org1.peer0", "Org1", "peer0.org1:7051");
  CHECK(p0.msp_id == "Org1MSP");
  CHECK(p0.identity == "Org1MSP|Org1.peer0");
  CHECK(p0.pki_id == sha256_bytes("Org1MSPOrg1MSP|Org1.peer0"));
  CHECK(p0.pki_id.size() == 32);
  CHECK(pki.org_of_identity(p0.identity) == std::optional<std::string>("Org1"));
  CHECK_FALSE(pki.org_of_identity("Org9MSP|nobody").has_value());
  CHECK(pki.by_pki_id(p0.pki_id) == &p0);
}

TEST_CASE("crypto: Fabric test convention identity = PKI-ID = endpoint (spec §0.2)") {
  Pki pki(IdentityScheme::fabric_test());
  const auto& p = pki.enroll("p0", "Org1", "localhost:5611");
  CHECK(p.identity == "localhost:5611");
  CHECK(p.pki_id == "localhost:5611");
}

TEST_CASE("crypto: sign and verify, envelopes with secrets, CPU charged per operation") {
  FakeEnv env;
  Pki pki;
  const auto& a = pki.enroll("Org1.peer0", "Org1", "a:7051");
  const auto& b = pki.enroll("Org1.peer1", "Org1", "b:7051");
  MessageCryptoService mcs_a(env, pki, a.pki_id);
  MessageCryptoService mcs_b(env, pki, b.pki_id);
  const CryptoCosts costs;

  const auto e = mcs_a.sign_message(alive_of(a, 1), Endpoint("10.0.0.1:7051"));
  CHECK(env.cpu_charged == costs.sign * 2);  // payload + secret
  REQUIRE(e->secret().has_value());
  CHECK(mcs_b.verify_envelope(a.identity, *e));
  CHECK(env.cpu_charged == costs.sign * 2 + costs.verify * 2);
  CHECK_FALSE(mcs_b.verify_envelope(b.identity, *e));  // wrong identity
  CHECK(mcs_b.verify_envelope(a.identity, *strip_secret(e)));  // the signature covers the payload only

  // A signature over other content does not verify.
  const Signature sig = mcs_a.sign(12345);
  CHECK(mcs_b.verify(a.identity, sig, 12345));
  CHECK_FALSE(mcs_b.verify(a.identity, sig, 12346));
  CHECK_FALSE(mcs_b.verify(a.identity, Signature{}, 12345));
  CHECK_FALSE(mcs_b.verify("Org1MSP|stranger", sig, 12345));
  // Unsigned envelopes never pass signed-envelope verification (spec §1.1).
  CHECK_FALSE(mcs_b.verify_envelope(a.identity, *Envelope::make_unsigned(alive_of(a, 2))));

  CHECK(mcs_b.get_pki_id_of_cert(a.identity) == std::optional<PkiId>(a.pki_id));
  CHECK_FALSE(mcs_b.get_pki_id_of_cert("unknown").has_value());
}

TEST_CASE("crypto: failure injection for chosen peers (spec §0.2 pluggable predicates)") {
  FakeEnv env;
  Pki pki;
  const auto& a = pki.enroll("Org1.peer0", "Org1", "a:7051");
  const auto& b = pki.enroll("Org2.peer0", "Org2", "b:7051");
  MessageCryptoService mcs(env, pki, b.pki_id);
  MessageCryptoService signer(env, pki, a.pki_id);
  const Signature sig = signer.sign(99);

  SECTION("revocation: ValidateIdentity and Verify fail") {
    CHECK(mcs.validate_identity(a.identity));
    pki.set_revoked(a.pki_id, true);
    CHECK_FALSE(mcs.validate_identity(a.identity));
    CHECK_FALSE(mcs.verify(a.identity, sig, 99));
    CHECK(mcs.validate_identity(b.identity));
    pki.set_revoked(a.pki_id, false);
    CHECK(mcs.validate_identity(a.identity));
  }
  SECTION("bad signatures from a peer: Verify fails, identity still valid") {
    pki.set_bad_signatures(a.pki_id, true);
    CHECK_FALSE(mcs.verify(a.identity, sig, 99));
    CHECK_FALSE(mcs.verify_by_channel("ch1", a.identity, sig, 99));
    CHECK(mcs.validate_identity(a.identity));
  }
  SECTION("channel read access denied: VerifyByChannel fails on that channel only") {
    CHECK(mcs.verify_by_channel("ch1", a.identity, sig, 99));
    pki.set_channel_access_denied("ch1", a.pki_id, true);
    CHECK_FALSE(mcs.verify_by_channel("ch1", a.identity, sig, 99));
    CHECK(mcs.verify_by_channel("ch2", a.identity, sig, 99));
    CHECK(mcs.verify(a.identity, sig, 99));
  }
  SECTION("block verification failure") {
    const Block good{7, 4096, false};
    CHECK(mcs.verify_block("ch1", 7, good));
    CHECK_FALSE(mcs.verify_block("ch1", 8, good));  // sequence mismatch
    CHECK_FALSE(mcs.verify_block("ch1", 7, Block{7, 4096, true}));  // forged
    pki.set_block_invalid("ch1", 7, true);
    CHECK_FALSE(mcs.verify_block("ch1", 7, good));
    CHECK(mcs.verify_block("ch2", 7, good));
  }
}

TEST_CASE("crypto: block verification cost grows with block size") {
  FakeEnv env;
  Pki pki;
  const auto& a = pki.enroll("Org1.peer0", "Org1", "a:7051");
  CryptoCosts costs;
  costs.verify_block = Duration::microseconds(50);
  costs.verify_block_per_kib = Duration::microseconds(2);
  MessageCryptoService mcs(env, pki, a.pki_id, costs);
  mcs.verify_block("ch1", 1, Block{1, 32 * 1024, false});
  CHECK(env.cpu_charged == Duration::microseconds(50 + 64));
}
