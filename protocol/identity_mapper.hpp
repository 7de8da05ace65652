// Identity mapper (spec §2.11, §9.4; Fabric `gossip/identity/identity.go`): the peer's
// store of PKI-ID → identity (serialized certificate).
//
// Filled by comm's handshake (§9.4: the remote's ConnEstablish) and by the identity pull
// (§2.11: the certStore consumer). Read by everything that needs the org of a peer or
// has to verify a signature by a PKI-ID. Every lookup refreshes the entry's last-access
// time (Env clock), so identities of active peers never look unused.
//
// The periodic loops that act on this store belong to the gossip core (spec §2.11,
// Appendix A): v1.0 removes, every 10 min, identities other than self not accessed for
// more than 1 h (`unused_since(now - 1h)` then `remove`), and every 24 h re-validates
// all identities (`invalid_identities()` then `remove`); the caller also removes them
// from the identity puller and closes their connections. This class only exposes what
// those loops need; it never sets timers itself.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.hpp"
#include "protocol/crypto.hpp"
#include "protocol/env.hpp"
#include "protocol/message.hpp"

namespace gs::proto {

// One stored identity, as listed by IdentityMapper::entries().
struct IdentityEntry {
  PkiId pki_id;
  IdentityBytes identity;
  Time last_access;  // put time, refreshed by every lookup (spec §2.11)
};

class IdentityMapper {
 public:
  enum class PutResult : std::uint8_t {
    added,             // new entry stored
    already_present,   // spec §2.11: an already-present PKI-ID is left unchanged (success)
    invalid_identity,  // ValidateIdentity failed (unknown, revoked or expired)
    pki_id_mismatch,   // the PKI-ID is not GetPKIidOfCert(identity)
    empty_pki_id,      // an empty PKI-ID never names a peer
  };
  static bool ok(PutResult r) { return r == PutResult::added || r == PutResult::already_present; }

  // `advisor` is the SecurityAdvisor answering "which org is this identity in" (spec
  // §0.2). The own identity is inserted at construction, as NewIdentityMapper does; an
  // own identity the crypto service rejects is a configuration bug (assertion).
  IdentityMapper(Env& env, MessageCryptoService& mcs, const Pki& advisor, const IdentityBytes& self_identity);

  const PkiId& self_pki_id() const { return self_pki_id_; }
  const IdentityBytes& self_identity() const { return self_identity_; }
  MessageCryptoService& crypto() { return mcs_; }

  // spec §2.11 Put: validates the identity (ValidateIdentity) and that `pki_id` equals
  // GetPKIidOfCert(identity) — both charged to the peer through the crypto service —
  // and stores it unless the PKI-ID is already present (then nothing changes).
  PutResult put(const PkiId& pki_id, const IdentityBytes& identity);

  // The identity of `pki_id`, refreshing its last-access time; nullptr when unknown. The
  // pointer stays valid until that entry is removed.
  const IdentityBytes* get(const PkiId& pki_id);
  // Lookup without touching last-access (for listings and traces).
  const IdentityBytes* peek(const PkiId& pki_id) const;
  bool contains(const PkiId& pki_id) const { return stored(pki_id) != nullptr; }

  // The enrolment record (identity, org) of a stored PKI-ID, refreshing its last-access
  // time like every lookup; nullptr when unknown. Valid as long as the Pki.
  const PeerCredentials* lookup(const PkiId& pki_id);
  // lookup() without refreshing last access (to build such tables).
  const PeerCredentials* peek_credentials(const PkiId& pki_id) const;
  // Refreshes the last-access time of a stored identity whose record the caller already
  // holds (a table built from lookup()s; see generation()), as lookup() would; `now` =
  // Env::now() read once by a caller that refreshes many identities in one go.
  void touch(std::uint32_t identity_index, Time now) { slots_[identity_index].last_access = now; }
  // Changes whenever an identity is added or removed: a table of records obtained from
  // lookup() stays exact while the generation is unchanged.
  std::uint64_t generation() const { return generation_; }

  // Removes `pki_id`; the own identity is never removed. Returns whether it was present.
  bool remove(const PkiId& pki_id);

  // spec §0.2: the org of a PKI-ID = SecurityAdvisor(identity looked up here); counts as
  // an access. nullopt when the identity is unknown (the peer is then "not eligible").
  // The view is of the PKI's enrolment record and stays valid as long as the Pki.
  std::optional<std::string_view> org_of(const PkiId& pki_id);
  // The org of an identity not necessarily stored here.
  std::optional<std::string> org_of_identity(const IdentityBytes& identity) const;

  // Fabric IdentityMapper.Verify: signature by the holder of `pki_id`'s stored identity
  // over `digest`. false when the identity is unknown. Counts as an access.
  bool verify(const PkiId& pki_id, const Signature& sig, std::uint64_t digest);

  // Every entry (self included), ordered by PKI-ID.
  std::vector<IdentityEntry> entries() const;
  // PKI-IDs other than self whose last access is strictly before `t`, ordered by PKI-ID
  // (v1.0 inactivity purge: t = now − 1 h, spec §2.11).
  std::vector<PkiId> unused_since(Time t) const;
  // PKI-IDs other than self whose identity fails ValidateIdentity now, ordered by PKI-ID
  // (v1.0 daily re-validation, spec §2.11). Each check is charged to the peer.
  std::vector<PkiId> invalid_identities();

  std::size_t size() const { return size_; }

 private:
  // One slot per identity the PKI has enrolled, indexed by PeerCredentials::index.
  // The identity and its org are the PKI's enrolment record, shared by every peer's
  // mapper rather than copied into each (1,000 peers × 1,000 identities), and the org is
  // resolved once at put instead of on every lookup. Exact: put() only stores identities
  // that ValidateIdentity accepted, i.e. enrolled ones, whose bytes equal the record's.
  struct Slot {
    const PeerCredentials* credentials = nullptr;  // null: not stored
    Time last_access;
  };
  // The slot of a stored PKI-ID, or null. PKI-ID -> record goes through the PKI's shared
  // index, which every peer uses and which therefore stays in cache.
  const Slot* stored(const PkiId& pki_id) const;
  Slot* stored(const PkiId& pki_id);
  // PKI-IDs other than self, ordered, whose slot matches `pred(slot)`.
  template <typename Pred>
  std::vector<PkiId> sorted_ids_where(Pred&& pred) const;

  Env& env_;
  MessageCryptoService& mcs_;
  const Pki& advisor_;
  PkiId self_pki_id_;
  IdentityBytes self_identity_;
  // Listings sort by PKI-ID (they run every 10 min or 24 h).
  std::vector<Slot> slots_;
  std::size_t size_ = 0;
  std::uint64_t generation_ = 0;
};

std::string_view to_string(IdentityMapper::PutResult r);

}  // namespace gs::proto
