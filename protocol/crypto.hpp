// Simulated MessageCryptoService (spec §0.2, Fabric `gossip/api/crypto.go`,
// `peer/gossip/mcs.go`) and the simulated PKI behind it.
//
// Crypto is a set of predicates with a CPU cost (DESIGN.md "Fidelity rules"):
//  - `Pki` is shared by every peer of a world: it enrols peers (name, org, endpoint),
//    derives their identities and PKI-IDs, answers "which org is this identity in" (the
//    SecurityAdvisor), and holds the failure injections a scenario can switch on:
//    revocation, bad signatures from a peer, channel read access denied, block
//    verification failures.
//  - `MessageCryptoService` is one peer's view: it signs as that peer and verifies,
//    charging each operation's CPU cost to the peer through Env::charge_cpu.
//
// Identity and PKI-ID derivation (pluggable through IdentityScheme):
//  - production (default): identity = "<MSP-ID>|<peer name>" standing for the MSP
//    SerializedIdentity (counted as kIdentityBytes on the wire); MSP-ID = "<org>MSP";
//    PKI-ID = SHA-256(MSP-ID ‖ identity), 32 raw bytes, as Fabric's mcs.go does.
//  - fabric_test: Fabric's unit-test convention (spec §0.2): identity = PKI-ID =
//    the peer's endpoint string, e.g. "localhost:5611".
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/time.hpp"
#include "protocol/env.hpp"
#include "protocol/message.hpp"

namespace gs::proto {

// CPU cost per operation, charged to the calling peer. Defaults come from OpenSSL
// `openssl speed ecdsap256` on a current x86-64 core (≈ 35–45 k sign/s, ≈ 12–15 k
// verify/s) and Go's assembly P-256, rounded: sign 30 µs, verify 80 µs. An MSP identity
// validation walks the certificate chain (≈ one verify plus parsing): 100 µs. A channel
// read-access check verifies the signature and evaluates the policy: 100 µs. Block
// verification checks the orderer signature (one verify) and hashes the block data
// (SHA-256 at ≈ 1 GB/s: ≈ 1 µs per KiB). GetPKIidOfCert hashes an 800-byte identity: 2 µs.
struct CryptoCosts {
  Duration sign = Duration::microseconds(30);
  Duration verify = Duration::microseconds(80);
  Duration validate_identity = Duration::microseconds(100);
  Duration verify_by_channel = Duration::microseconds(100);
  Duration verify_block = Duration::microseconds(80);
  Duration verify_block_per_kib = Duration::microseconds(1);
  Duration pki_id_of_cert = Duration::microseconds(2);
};

struct IdentityScheme {
  // (peer name, MSP-ID, endpoint) -> serialized identity stand-in.
  std::function<IdentityBytes(const std::string& peer_name, const std::string& msp_id, const Endpoint& endpoint)>
      identity;
  // (MSP-ID, identity) -> PKI-ID.
  std::function<PkiId(const std::string& msp_id, const IdentityBytes& identity)> pki_id;

  static IdentityScheme production();  // identity "<MSP>|<name>", PKI-ID SHA-256(MSP ‖ identity)
  static IdentityScheme fabric_test();  // identity = PKI-ID = endpoint
};

// The credentials of one enrolled peer.
struct PeerCredentials {
  std::string name;    // e.g. "Org1.peer0"
  std::string org;     // e.g. "Org1"
  std::string msp_id;  // e.g. "Org1MSP"
  Endpoint endpoint;
  IdentityBytes identity;
  PkiId pki_id;
  // Dense numbers given at enrolment, for per-peer tables indexed by identity and quick
  // org comparisons: index 0, 1, 2, ... in enrolment order; org_index the same for every
  // peer of one org (0 for the first org enrolled, ...).
  std::uint32_t index = 0;
  std::uint32_t org_index = 0;
};

class Pki {
 public:
  explicit Pki(IdentityScheme scheme = IdentityScheme::production());

  // Enrols a peer (name must be new; its identity and PKI-ID must be unique).
  const PeerCredentials& enroll(const std::string& peer_name, const std::string& org, const Endpoint& endpoint);

  // Lookups; nullptr / nullopt when unknown.
  const PeerCredentials* by_name(const std::string& peer_name) const;
  const PeerCredentials* by_identity(const IdentityBytes& identity) const;
  const PeerCredentials* by_pki_id(const PkiId& pki_id) const;
  // SecurityAdvisor.OrgByPeerIdentity: the org of an enrolled identity.
  std::optional<std::string> org_of_identity(const IdentityBytes& identity) const;
  // Enrolled peers and distinct orgs so far (bounds of PeerCredentials::index/org_index).
  std::size_t size() const { return by_name_.size(); }
  std::size_t org_count() const { return org_names_.size(); }
  const std::string& org_name(std::uint32_t org_index) const { return org_names_.at(org_index); }

  // --- failure injection (scenario events) ---------------------------------------------
  // Revocation/expiry: ValidateIdentity fails, and so does Verify with that identity.
  void set_revoked(const PkiId& pki_id, bool revoked);
  // Signatures made by this peer fail Verify (and VerifyByChannel).
  void set_bad_signatures(const PkiId& pki_id, bool bad);
  // Channel read access denied: VerifyByChannel(channel, identity of pki_id, …) fails.
  void set_channel_access_denied(const std::string& channel, const PkiId& pki_id, bool denied);
  // VerifyBlock(channel, seq, …) fails (blocks marked Block::forged always fail).
  void set_block_invalid(const std::string& channel, std::uint64_t seq, bool invalid);

  bool is_revoked(const PkiId& pki_id) const { return revoked_.count(pki_id) != 0; }
  bool has_bad_signatures(const PkiId& pki_id) const { return bad_signers_.count(pki_id) != 0; }
  bool is_channel_access_denied(const std::string& channel, const PkiId& pki_id) const {
    return denied_.count({channel, pki_id}) != 0;
  }
  bool is_block_invalid(const std::string& channel, std::uint64_t seq) const {
    return invalid_blocks_.count({channel, seq}) != 0;
  }

 private:
  IdentityScheme scheme_;
  // Node-based: the credentials never move, so the indexes (and every peer's identity
  // mapper, which shares them instead of copying) can point at them.
  std::map<std::string, PeerCredentials> by_name_;
  // Lookup-only indexes (never iterated), hashed: every signature check and every org
  // lookup of every peer goes through them.
  std::unordered_map<IdentityBytes, const PeerCredentials*> by_identity_;
  std::unordered_map<PkiId, const PeerCredentials*, PkiIdHash> by_pki_id_;
  std::map<std::string, std::uint32_t> org_index_;
  std::vector<std::string> org_names_;  // by org_index
  std::set<PkiId> revoked_;
  std::set<PkiId> bad_signers_;
  std::set<std::pair<std::string, PkiId>> denied_;
  std::set<std::pair<std::string, std::uint64_t>> invalid_blocks_;
};

// One peer's MessageCryptoService (spec §0.2). Every operation charges its cost.
class MessageCryptoService {
 public:
  MessageCryptoService(Env& env, const Pki& pki, PkiId self, CryptoCosts costs = {});

  const PkiId& self() const { return self_; }
  const CryptoCosts& costs() const { return costs_; }

  // Sign(msg): a signature by this peer over `digest` (a payload_digest()).
  Signature sign(std::uint64_t digest);
  // Verify(identity, signature, msg): the signature was made by the holder of `identity`
  // over `digest`; the identity is enrolled and valid (not revoked); its owner is not
  // flagged for bad signatures.
  bool verify(const IdentityBytes& identity, const Signature& sig, std::uint64_t digest);
  // VerifyBlock(channel, seq, block): not forged, not flagged invalid, seq matches.
  bool verify_block(std::string_view channel, std::uint64_t seq, const Block& block);
  // VerifyByChannel(channel, identity, sig, msg): Verify plus channel read access.
  bool verify_by_channel(std::string_view channel, const IdentityBytes& identity, const Signature& sig,
                         std::uint64_t digest);
  // ValidateIdentity(identity): enrolled and not revoked.
  bool validate_identity(const IdentityBytes& identity);
  // GetPKIidOfCert(identity): nullopt for an identity the PKI does not know.
  std::optional<PkiId> get_pki_id_of_cert(const IdentityBytes& identity);

  // --- envelope helpers ------------------------------------------------------------------
  // Signs `m` as this peer (spec §1.1 "signing"); with `internal_endpoint`, also attaches a
  // signed SecretEnvelope (AliveMessages, spec §1.1).
  EnvelopePtr sign_message(GossipMessage m, std::optional<Endpoint> internal_endpoint = std::nullopt);
  // spec §1.1: verification of a signed envelope: signature present and valid for
  // `identity`; if a secret envelope is present, its signature too. Payloads of
  // simulated messages are never empty, so that rule is implicit.
  bool verify_envelope(const IdentityBytes& identity, const Envelope& e);

 private:
  bool signature_ok(const IdentityBytes& identity, const Signature& sig, std::uint64_t digest) const;

  Env& env_;
  const Pki& pki_;
  PkiId self_;
  CryptoCosts costs_;
};

}  // namespace gs::proto
