#include "protocol/crypto.hpp"

#include "base/assert.hpp"
#include "protocol/sha256.hpp"

namespace gs::proto {

// ---------------------------------------------------------------------------------------
// Identity schemes

IdentityScheme IdentityScheme::production() {
  IdentityScheme s;
  s.identity = [](const std::string& peer_name, const std::string& msp_id, const Endpoint&) {
    return msp_id + "|" + peer_name;
  };
  // spec §0.2: PKI-ID = SHA-256(MSP-ID ‖ serialized identity) (peer/gossip/mcs.go).
  s.pki_id = [](const std::string& msp_id, const IdentityBytes& identity) {
    return Sha256().update(msp_id).update(identity).finish_bytes();
  };
  return s;
}

IdentityScheme IdentityScheme::fabric_test() {
  IdentityScheme s;
  // spec §0.2: in Fabric's gossip unit tests identity and PKI-ID are the endpoint.
  s.identity = [](const std::string&, const std::string&, const Endpoint& endpoint) { return endpoint; };
  s.pki_id = [](const std::string&, const IdentityBytes& identity) { return identity; };
  return s;
}

// ---------------------------------------------------------------------------------------
// Pki

Pki::Pki(IdentityScheme scheme) : scheme_(std::move(scheme)) {
  GS_ASSERT(scheme_.identity && scheme_.pki_id, "Pki: identity scheme incomplete");
}

const PeerCredentials& Pki::enroll(const std::string& peer_name, const std::string& org, const Endpoint& endpoint) {
  GS_ASSERT(by_name_.count(peer_name) == 0, "Pki: peer {} enrolled twice", peer_name);
  PeerCredentials c;
  c.name = peer_name;
  c.org = org;
  c.msp_id = org + "MSP";
  c.endpoint = endpoint;
  c.identity = scheme_.identity(peer_name, c.msp_id, endpoint);
  c.pki_id = scheme_.pki_id(c.msp_id, c.identity);
  GS_ASSERT(!c.identity.empty() && !c.pki_id.empty(), "Pki: empty identity for {}", peer_name);
  GS_ASSERT(by_identity_.count(c.identity) == 0, "Pki: identity of {} not unique", peer_name);
  GS_ASSERT(by_pki_id_.count(c.pki_id) == 0, "Pki: PKI-ID of {} not unique", peer_name);
  c.index = static_cast<std::uint32_t>(by_name_.size());
  const auto [org_it, new_org] = org_index_.try_emplace(org, static_cast<std::uint32_t>(org_names_.size()));
  if (new_org) org_names_.push_back(org);
  c.org_index = org_it->second;
  const PeerCredentials& stored = by_name_.emplace(peer_name, std::move(c)).first->second;
  by_identity_.emplace(stored.identity, &stored);
  by_pki_id_.emplace(stored.pki_id, &stored);
  return stored;
}

const PeerCredentials* Pki::by_name(const std::string& peer_name) const {
  const auto it = by_name_.find(peer_name);
  return it == by_name_.end() ? nullptr : &it->second;
}

const PeerCredentials* Pki::by_identity(const IdentityBytes& identity) const {
  const auto it = by_identity_.find(identity);
  return it == by_identity_.end() ? nullptr : it->second;
}

const PeerCredentials* Pki::by_pki_id(const PkiId& pki_id) const {
  const auto it = by_pki_id_.find(pki_id);
  return it == by_pki_id_.end() ? nullptr : it->second;
}

std::optional<std::string> Pki::org_of_identity(const IdentityBytes& identity) const {
  const PeerCredentials* c = by_identity(identity);
  if (c == nullptr) return std::nullopt;
  return c->org;
}

void Pki::set_revoked(const PkiId& pki_id, bool revoked) {
  if (revoked) {
    revoked_.insert(pki_id);
  } else {
    revoked_.erase(pki_id);
  }
}

void Pki::set_bad_signatures(const PkiId& pki_id, bool bad) {
  if (bad) {
    bad_signers_.insert(pki_id);
  } else {
    bad_signers_.erase(pki_id);
  }
}

void Pki::set_channel_access_denied(const std::string& channel, const PkiId& pki_id, bool denied) {
  if (denied) {
    denied_.insert({channel, pki_id});
  } else {
    denied_.erase({channel, pki_id});
  }
}

void Pki::set_block_invalid(const std::string& channel, std::uint64_t seq, bool invalid) {
  if (invalid) {
    invalid_blocks_.insert({channel, seq});
  } else {
    invalid_blocks_.erase({channel, seq});
  }
}

// ---------------------------------------------------------------------------------------
// MessageCryptoService

MessageCryptoService::MessageCryptoService(Env& env, const Pki& pki, PkiId self, CryptoCosts costs)
    : env_(env), pki_(pki), self_(std::move(self)), costs_(costs) {
  GS_ASSERT(pki_.by_pki_id(self_) != nullptr, "MessageCryptoService for a peer the PKI does not know");
}

Signature MessageCryptoService::sign(std::uint64_t digest) {
  env_.charge_cpu(costs_.sign);
  return Signature{Signature::Kind::ecdsa, self_, digest};
}

bool MessageCryptoService::signature_ok(const IdentityBytes& identity, const Signature& sig,
                                        std::uint64_t digest) const {
  const PeerCredentials* c = pki_.by_identity(identity);
  if (c == nullptr || pki_.is_revoked(c->pki_id)) return false;  // mcs.go validates the identity first
  if (sig.kind != Signature::Kind::ecdsa) return false;
  if (sig.signer != c->pki_id || sig.digest != digest) return false;
  return !pki_.has_bad_signatures(c->pki_id);
}

bool MessageCryptoService::verify(const IdentityBytes& identity, const Signature& sig, std::uint64_t digest) {
  env_.charge_cpu(costs_.verify);
  return signature_ok(identity, sig, digest);
}

bool MessageCryptoService::verify_block(std::string_view channel, std::uint64_t seq, const Block& block) {
  env_.charge_cpu(costs_.verify_block + costs_.verify_block_per_kib * static_cast<std::int64_t>(block.size_bytes / 1024));
  if (block.forged || block.number != seq) return false;
  return !pki_.is_block_invalid(std::string(channel), seq);
}

bool MessageCryptoService::verify_by_channel(std::string_view channel, const IdentityBytes& identity,
                                             const Signature& sig, std::uint64_t digest) {
  env_.charge_cpu(costs_.verify_by_channel);
  if (!signature_ok(identity, sig, digest)) return false;
  const PeerCredentials* c = pki_.by_identity(identity);
  return !pki_.is_channel_access_denied(std::string(channel), c->pki_id);
}

bool MessageCryptoService::validate_identity(const IdentityBytes& identity) {
  env_.charge_cpu(costs_.validate_identity);
  const PeerCredentials* c = pki_.by_identity(identity);
  return c != nullptr && !pki_.is_revoked(c->pki_id);
}

std::optional<PkiId> MessageCryptoService::get_pki_id_of_cert(const IdentityBytes& identity) {
  env_.charge_cpu(costs_.pki_id_of_cert);
  const PeerCredentials* c = pki_.by_identity(identity);
  if (c == nullptr) return std::nullopt;
  return c->pki_id;
}

EnvelopePtr MessageCryptoService::sign_message(GossipMessage m, std::optional<Endpoint> internal_endpoint) {
  auto msg = std::make_shared<const GossipMessage>(std::move(m));
  const std::uint64_t digest = payload_digest(*msg);
  Signature sig = sign(digest);
  std::optional<SecretEnvelope> secret;
  if (internal_endpoint) {
    Signature secret_sig = sign(secret_digest(*internal_endpoint));
    secret = SecretEnvelope{std::move(*internal_endpoint), std::move(secret_sig)};
  }
  return Envelope::make(std::move(msg), std::move(sig), std::move(secret), digest);
}

bool MessageCryptoService::verify_envelope(const IdentityBytes& identity, const Envelope& e) {
  if (e.signature().empty()) return false;
  if (!verify(identity, e.signature(), e.payload_digest())) return false;
  if (const auto& s = e.secret()) {
    if (s->signature.empty()) return false;  // a set Secret never serializes empty
    if (!verify(identity, s->signature, secret_digest(s->internal_endpoint))) return false;
  }
  return true;
}

}  // namespace gs::proto
