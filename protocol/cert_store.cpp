#include "protocol/cert_store.hpp"

#include <utility>

#include <fmt/format.h>

#include "base/assert.hpp"

namespace gs::proto {

namespace {

// spec §2.11: the identity puller's mediator configuration. The wait times are the
// profile's (GossipConfig carries them, spec §3.1: latest requestWaitTime 1.5 s).
PullMediatorConfig identity_puller_config(const GossipConfig& cfg) {
  PullMediatorConfig pc;
  pc.id = "identities";
  pc.channel = "";
  pc.msg_type = PullMsgType::IDENTITY_MSG;
  pc.tag = Tag::EMPTY;
  pc.peer_count_to_select = cfg.pull_peer_num;
  pc.engine.digest_wait_time = cfg.digest_wait_time;
  pc.engine.request_wait_time = cfg.request_wait_time;
  pc.engine.response_wait_time = cfg.response_wait_time;
  pc.engine.pull_interval = cfg.pull_interval;
  return pc;
}

IdentityLifetimeConfig checked(IdentityLifetimeConfig lifetime) {
  const std::optional<std::string> problem = lifetime.problem();
  GS_ASSERT(!problem, "cert store: {}", problem.value_or(""));
  return lifetime;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// IdentityLifetimeConfig

IdentityLifetimeConfig IdentityLifetimeConfig::defaults_for(Profile p) {
  IdentityLifetimeConfig c;
  if (is_latest(p)) {
    // spec §2.11 latest: the mapper purges unused identities every usageThreshold/10 and a
    // purge also makes discovery forget the PKI-ID (§6.10); no daily re-validation loop.
    c.inactivity_check_interval = c.usage_threshold / 10;
    c.revalidation_interval = std::nullopt;
    c.forget_purged_peers = true;
  }
  return c;
}

std::optional<std::string> IdentityLifetimeConfig::problem() const {
  if (usage_threshold <= Duration::zero()) return fmt::format("usage_threshold must be positive, got {}", usage_threshold);
  if (inactivity_check_interval <= Duration::zero()) {
    return fmt::format("inactivity_check_interval must be positive, got {}", inactivity_check_interval);
  }
  if (revalidation_interval && *revalidation_interval <= Duration::zero()) {
    return fmt::format("revalidation_interval must be positive, got {}", *revalidation_interval);
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------
// CertStore

CertStore::CertStore(Env& env, IdentityMapper& ids, MessageCryptoService& mcs, const PeerCredentials& self,
                     const GossipConfig& cfg, Adapter adapter)
    : CertStore(env, ids, mcs, self, cfg, std::move(adapter), IdentityLifetimeConfig::defaults_for(cfg.profile)) {}

CertStore::CertStore(Env& env, IdentityMapper& ids, MessageCryptoService& mcs, const PeerCredentials& self,
                     const GossipConfig& cfg, Adapter adapter, IdentityLifetimeConfig lifetime)
    : env_(env),
      ids_(ids),
      mcs_(mcs),
      self_org_(self.org),
      adapter_(std::move(adapter)),
      lifetime_(checked(lifetime)),
      puller_(env_, identity_puller_config(cfg), make_pull_adapter()) {
  GS_ASSERT(adapter_.membership && adapter_.lookup && adapter_.send && adapter_.close_conn,
            "cert store: adapter needs membership, lookup, send and close_conn");
  GS_ASSERT(ids_.self_pki_id() == self.pki_id, "cert store: identity mapper belongs to another peer");
  // spec §2.11: at start the peer adds its own signed PeerIdentity.
  puller_.add(make_self_identity_message(self));
  arm_inactivity_check();
  arm_revalidation();
}

CertStore::~CertStore() {
  env_.cancel_timer(inactivity_timer_);
  env_.cancel_timer(revalidation_timer_);
}

PullMediatorAdapter CertStore::make_pull_adapter() {
  PullMediatorAdapter pa;
  pa.send = [this](const EnvelopePtr& msg, const std::vector<PullMember>& peers) {
    std::vector<RemotePeer> to;
    to.reserve(peers.size());
    for (const PullMember& p : peers) to.push_back(RemotePeer{p.preferred_endpoint(), p.pki_id});
    adapter_.send(msg, to);
  };
  // spec §2.11: the peer pool is the full alive membership, all orgs.
  pa.get_membership = [this] {
    std::vector<PullMember> pool;
    const MembershipView view = adapter_.membership();
    pool.reserve(view->size());
    for (const MemberPtr& m : *view) pool.push_back(PullMember{m->endpoint, m->internal_endpoint, m->pki_id});
    return pool;
  };
  // Items are keyed by string(pki_id). Only checked PeerIdentity messages ever reach the
  // mediator (update_acceptable runs first; the own item is built here).
  pa.id_extractor = [](const Envelope& item) -> std::string {
    const auto* identity = item.get_if<PeerIdentity>();
    GS_ASSERT(identity != nullptr, "identity puller item is not a PeerIdentity: {}", to_string(item));
    return identity->pki_id;
  };
  pa.msg_consumer = [this](const EnvelopePtr& item) { consume(item); };
  pa.egress_digest_filter = [this](const PullReceivedMessage& request, const std::string& item_id) {
    return egress_allows(request, item_id);
  };
  return pa;
}

EnvelopePtr CertStore::make_self_identity_message(const PeerCredentials& self) {
  // spec §1.4: a PeerIdentity is tagged ORG_ONLY (the pull messages carrying it are EMPTY).
  return mcs_.sign_message(GossipMessage{0, "", Tag::ORG_ONLY, PeerIdentity{self.pki_id, self.identity}});
}

// spec §2.11 sameOrgOrOurOrgPullFilter. The requester's org comes from its identity in the
// mapper (comm's handshake put it there, §9.4); Fabric reads the same identity from the
// connection. Every org check is a mapper lookup and so refreshes last-access (§2.11).
bool CertStore::egress_allows(const PullReceivedMessage& request, const std::string& item_id) {
  const std::optional<std::string_view> requester_org = ids_.org_of(request.sender_pki_id());
  if (!requester_org) return false;             // requester org unknown: nothing
  if (*requester_org == self_org_) return true;  // requester in my org: everything
  const std::optional<std::string_view> owner_org = ids_.org_of(item_id);
  if (!owner_org) return false;
  // Identities of peers without an external endpoint in my view never leave my org.
  const std::optional<NetworkMember> owner = adapter_.lookup(item_id);
  if (!owner || owner->endpoint.empty()) return false;
  return *owner_org == self_org_ || *owner_org == *requester_org;
}

// spec §2.11: a DataUpdate is checked as a whole before the mediator sees it, so one bad
// item drops every item of it (none is consumed, none enters the puller).
void CertStore::handle_message(const PullReceivedMessage& msg) {
  if (stopped_ || !msg.envelope()) return;
  if (const auto* update = msg.envelope()->get_if<DataUpdate>(); update != nullptr && !update_acceptable(*update)) {
    ++rejected_updates_;
    return;
  }
  puller_.handle_message(msg);
}

bool CertStore::update_acceptable(const DataUpdate& update) {
  for (const EnvelopePtr& item : update.data) {
    if (!identity_item_acceptable(item)) return false;
  }
  return true;
}

bool CertStore::identity_item_acceptable(const EnvelopePtr& item) {
  if (!item) return false;  // stands for an item that does not parse
  const auto* identity = item->get_if<PeerIdentity>();
  if (identity == nullptr) return false;
  const std::optional<PkiId> derived = mcs_.get_pki_id_of_cert(identity->cert);
  if (!derived || *derived != identity->pki_id) return false;
  if (!mcs_.verify_envelope(identity->cert, *item)) return false;
  return mcs_.validate_identity(identity->cert);
}

// spec §2.11 consumer: store (pki_id → cert). A failed or redundant Put changes nothing
// (Fabric only logs it); the mediator keeps the item either way (§3.4).
void CertStore::consume(const EnvelopePtr& item) {
  const auto* identity = item->get_if<PeerIdentity>();
  if (identity == nullptr) return;
  (void)ids_.put(identity->pki_id, identity->cert);
}

void CertStore::stop() {
  if (stopped_) return;
  stopped_ = true;
  puller_.stop();
  env_.cancel_timer(inactivity_timer_);
  env_.cancel_timer(revalidation_timer_);
  inactivity_timer_ = {};
  revalidation_timer_ = {};
}

// ---------------------------------------------------------------------------------------
// Identity lifetime (spec §2.11, Appendix A): sleep-first loops.

void CertStore::arm_inactivity_check() {
  inactivity_timer_ = env_.set_timer(lifetime_.inactivity_check_interval, "certstore.identity_inactivity_check",
                                     [this] { tick_inactivity_check(); });
}

void CertStore::arm_revalidation() {
  if (!lifetime_.revalidation_interval) return;
  revalidation_timer_ = env_.set_timer(*lifetime_.revalidation_interval, "certstore.identity_revalidation",
                                       [this] { tick_revalidation(); });
}

// spec §2.11: identities other than self not accessed for more than usageThreshold.
void CertStore::tick_inactivity_check() {
  inactivity_timer_ = {};
  if (stopped_) return;
  purge(ids_.unused_since(env_.now() - lifetime_.usage_threshold));
  arm_inactivity_check();
}

// spec §2.11 (v1.0): every stored identity re-validated; the failing ones removed.
void CertStore::tick_revalidation() {
  revalidation_timer_ = {};
  if (stopped_) return;
  purge(ids_.invalid_identities());
  arm_revalidation();
}

void CertStore::purge(const std::vector<PkiId>& pki_ids) {
  for (const PkiId& pki : pki_ids) {
    ids_.remove(pki);
    puller_.remove(pki);
    adapter_.close_conn(pki);
    if (lifetime_.forget_purged_peers && adapter_.forget_peer) adapter_.forget_peer(pki);
  }
}

}  // namespace gs::proto
