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
  GS_ASSERT(credentials != nullptr, "identity mapper: the crypto service accepted {} but the PKI does not know it",
            printable_bytes(identity));
  const auto [it, inserted] = entries_.try_emplace(pki_id, Stored{credentials, env_.now()});
  (void)it;
  return inserted ? PutResult::added : PutResult::already_present;
}

const IdentityBytes* IdentityMapper::get(const PkiId& pki_id) {
  const auto it = entries_.find(pki_id);
  if (it == entries_.end()) return nullptr;
  it->second.last_access = env_.now();  // spec §2.11: every lookup refreshes
  return &it->second.credentials->identity;
}

const IdentityBytes* IdentityMapper::peek(const PkiId& pki_id) const {
  const auto it = entries_.find(pki_id);
  return it == entries_.end() ? nullptr : &it->second.credentials->identity;
}

bool IdentityMapper::remove(const PkiId& pki_id) {
  if (pki_id == self_pki_id_) return false;
  return entries_.erase(pki_id) != 0;
}

std::optional<std::string_view> IdentityMapper::org_of(const PkiId& pki_id) {
  const auto it = entries_.find(pki_id);
  if (it == entries_.end()) return std::nullopt;
  it->second.last_access = env_.now();  // spec §2.11: an org check is a lookup too
  return std::string_view(it->second.credentials->org);
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
  out.reserve(entries_.size());
  for (const auto& [pki, s] : entries_) out.push_back(IdentityEntry{pki, s.credentials->identity, s.last_access});
  std::sort(out.begin(), out.end(), [](const IdentityEntry& a, const IdentityEntry& b) { return a.pki_id < b.pki_id; });
  return out;
}

template <typename Pred>
std::vector<PkiId> IdentityMapper::sorted_ids_where(Pred&& pred) const {
  std::vector<PkiId> out;
  for (const auto& [pki, s] : entries_) {
    if (pki != self_pki_id_ && pred(s)) out.push_back(pki);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<PkiId> IdentityMapper::unused_since(Time t) const {
  return sorted_ids_where([t](const Stored& s) { return s.last_access < t; });
}

std::vector<PkiId> IdentityMapper::invalid_identities() {
  // Validated in PKI-ID order, as the ordered listing always did (each check is charged).
  std::vector<PkiId> out;
  for (const PkiId& pki : sorted_ids_where([](const Stored&) { return true; })) {
    if (!mcs_.validate_identity(entries_.at(pki).credentials->identity)) out.push_back(pki);
  }
  return out;
}

}  // namespace gs::proto
