#include "protocol/identity_mapper.hpp"

#include <algorithm>

#include "base/assert.hpp"

namespace gs::proto {

std::string_view to_string(IdentityMapper::PutResult r) {
  switch (r) {
    case IdentityMapper::PutResult::added: return "added";
    case IdentityMapper::PutResult::already_present: return "already_present";
    case IdentityMapper::PutResult::invalid_identity: return "invalid_identity";
    case IdentityMapper::PutResult::pki_id_mismatch: return "pki_id_mismatch";
    case IdentityMapper::PutResult::empty_pki_id: return "empty_pki_id";
  }
  return "?";
}

IdentityMapper::IdentityMapper(Env& env, MessageCryptoService& mcs, const Pki& advisor,
                               const IdentityBytes& self_identity)
    : env_(env), mcs_(mcs), advisor_(advisor), self_identity_(self_identity) {
  const std::optional<PkiId> self = mcs_.get_pki_id_of_cert(self_identity);
  GS_ASSERT(self.has_value(), "own identity {} unknown to the PKI", printable_bytes(self_identity));
  self_pki_id_ = *self;
  const PutResult r = put(self_pki_id_, self_identity_);
  GS_ASSERT(ok(r), "own identity rejected by the crypto service: {}", to_string(r));
}

IdentityMapper::PutResult IdentityMapper::put(const PkiId& pki_id, const IdentityBytes& identity) {
  if (pki_id.empty()) return PutResult::empty_pki_id;
  // spec §2.11: validation comes first, even for a PKI-ID already present.
  if (!mcs_.validate_identity(identity)) return PutResult::invalid_identity;
  const std::optional<PkiId> derived = mcs_.get_pki_id_of_cert(identity);
  if (!derived || *derived != pki_id) return PutResult::pki_id_mismatch;
  const PeerCredentials* credentials = advisor_.by_identity(identity);
  GS_ASSERT(credentials != nullptr && credentials->pki_id == pki_id,
            "identity mapper: the crypto service accepted {} but the PKI does not know it", printable_bytes(identity));
  if (slots_.size() <= credentials->index) slots_.resize(std::max<std::size_t>(advisor_.size(), credentials->index + 1));
  Slot& slot = slots_[credentials->index];
  if (slot.credentials != nullptr) return PutResult::already_present;
  slot = Slot{credentials, env_.now()};
  ++size_;
  ++generation_;
  return PutResult::added;
}

const IdentityMapper::Slot* IdentityMapper::stored(const PkiId& pki_id) const {
  const PeerCredentials* c = advisor_.by_pki_id(pki_id);
  if (c == nullptr || c->index >= slots_.size() || slots_[c->index].credentials == nullptr) return nullptr;
  return &slots_[c->index];
}

IdentityMapper::Slot* IdentityMapper::stored(const PkiId& pki_id) {
  return const_cast<Slot*>(static_cast<const IdentityMapper*>(this)->stored(pki_id));
}

const PeerCredentials* IdentityMapper::lookup(const PkiId& pki_id) {
  Slot* slot = stored(pki_id);
  if (slot == nullptr) return nullptr;
  slot->last_access = env_.now();  // spec §2.11: every lookup refreshes
  return slot->credentials;
}

const PeerCredentials* IdentityMapper::peek_credentials(const PkiId& pki_id) const {
  const Slot* slot = stored(pki_id);
  return slot == nullptr ? nullptr : slot->credentials;
}

const IdentityBytes* IdentityMapper::get(const PkiId& pki_id) {
  const PeerCredentials* c = lookup(pki_id);
  return c == nullptr ? nullptr : &c->identity;
}

const IdentityBytes* IdentityMapper::peek(const PkiId& pki_id) const {
  const Slot* slot = stored(pki_id);
  return slot == nullptr ? nullptr : &slot->credentials->identity;
}

bool IdentityMapper::remove(const PkiId& pki_id) {
  if (pki_id == self_pki_id_) return false;
  Slot* slot = stored(pki_id);
  if (slot == nullptr) return false;
  *slot = Slot{};
  --size_;
  ++generation_;
  return true;
}

std::optional<std::string_view> IdentityMapper::org_of(const PkiId& pki_id) {
  const PeerCredentials* c = lookup(pki_id);  // an org check is a lookup too (spec §2.11)
  if (c == nullptr) return std::nullopt;
  return std::string_view(c->org);
}

std::optional<std::string> IdentityMapper::org_of_identity(const IdentityBytes& identity) const {
  return advisor_.org_of_identity(identity);
}

bool IdentityMapper::verify(const PkiId& pki_id, const Signature& sig, std::uint64_t digest) {
  const IdentityBytes* identity = get(pki_id);
  if (identity == nullptr) return false;
  return mcs_.verify(*identity, sig, digest);
}

std::vector<IdentityEntry> IdentityMapper::entries() const {
  std::vector<IdentityEntry> out;
  out.reserve(size_);
  for (const Slot& s : slots_) {
    if (s.credentials != nullptr) out.push_back(IdentityEntry{s.credentials->pki_id, s.credentials->identity, s.last_access});
  }
  std::sort(out.begin(), out.end(), [](const IdentityEntry& a, const IdentityEntry& b) { return a.pki_id < b.pki_id; });
  return out;
}

template <typename Pred>
std::vector<PkiId> IdentityMapper::sorted_ids_where(Pred&& pred) const {
  std::vector<PkiId> out;
  for (const Slot& s : slots_) {
    if (s.credentials != nullptr && s.credentials->pki_id != self_pki_id_ && pred(s)) out.push_back(s.credentials->pki_id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<PkiId> IdentityMapper::unused_since(Time t) const {
  return sorted_ids_where([t](const Slot& s) { return s.last_access < t; });
}

std::vector<PkiId> IdentityMapper::invalid_identities() {
  // Validated in PKI-ID order, as the ordered listing always did (each check is charged).
  std::vector<PkiId> out;
  for (const PkiId& pki : sorted_ids_where([](const Slot&) { return true; })) {
    if (!mcs_.validate_identity(stored(pki)->credentials->identity)) out.push_back(pki);
  }
  return out;
}

}  // namespace gs::proto
