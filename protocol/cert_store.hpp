// The identity puller and the identity lifetime loops of one peer (spec §2.11; Fabric
// gossip/gossip/certstore.go, createCertStorePuller and the identity loops of
// gossip_impl.go / gossip/identity/identity.go).
//
// - A pull mediator (§3.4) over IDENTITY_MSG, channel "", tag EMPTY, whose items are the
//   signed PeerIdentity messages of every peer, keyed by string(pki_id). The own signed
//   PeerIdentity is added at construction.
// - Egress filter sameOrgOrOurOrgPullFilter (§2.11): what a requester may learn.
// - Ingress check of every DataUpdate (§2.11): one bad item drops the whole update before
//   the mediator sees it. Accepted items go into the identity mapper.
// - Identity lifetime (§2.11, Appendix A): purge of unused identities and re-validation,
//   removing the PKI-ID from the identity mapper and the puller and closing its connection
//   (latest: also telling discovery to forget it, §6.10).
//
// Sans-IO: timers, clock and random draws through Env; sending, discovery lookups and
// connection closing through the Adapter.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "protocol/comm.hpp"
#include "protocol/config.hpp"
#include "protocol/crypto.hpp"
#include "protocol/discovery.hpp"
#include "protocol/env.hpp"
#include "protocol/identity_mapper.hpp"
#include "protocol/message.hpp"
#include "protocol/pull_mediator.hpp"

namespace gs::proto {

// The identity lifetime periods (spec §2.1 derived values, §2.11, Appendix A). Not core.yaml
// keys: Fabric hard-codes them; tests override them (spec §11.3: "identity check interval
// 1 s").
struct IdentityLifetimeConfig {
  // identity.usageThreshold: an identity (other than self) not looked up for strictly
  // longer than this is purged at the next inactivity check. 1 h in v1.0 and latest.
  Duration usage_threshold = Duration::hours(1);
  // Period of the sleep-first inactivity check loop. v1.0: identityInactivityCheckInterval
  // = 10 min; latest: the mapper's own purge loop, usage_threshold / 10 = 6 min.
  Duration inactivity_check_interval = Duration::minutes(10);
  // Period of the sleep-first re-validation loop (ValidateIdentity of every stored identity,
  // removal of the failing ones). v1.0: identityExpirationCheckInterval = 24 h. nullopt = no
  // such loop: latest (spec §2.11 lists only the unused purge and removal at certificate
  // expiry, and the simulated PKI has no expiry dates, only revocation).
  std::optional<Duration> revalidation_interval = Duration::hours(24);
  // Latest (spec §2.11, §6.10): a purged PKI-ID is also forgotten by discovery.
  bool forget_purged_peers = false;

  static IdentityLifetimeConfig defaults_for(Profile p);
  // Why these periods cannot run (zero or negative period), or nullopt.
  std::optional<std::string> problem() const;
};

class CertStore {
 public:
  struct Adapter {
    std::function<MembershipView()> membership;                        // discovery's full alive membership (all orgs)
    std::function<std::optional<NetworkMember>(const PkiId&)> lookup;  // discovery Lookup (alive or dead), for external endpoints
    std::function<void(const EnvelopePtr&, const std::vector<RemotePeer>&)> send;  // comm Send (no-op signed already)
    std::function<void(const PkiId&)> close_conn;                      // comm CloseConn (identity removed)
    std::function<void(const PkiId&)> forget_peer;                     // latest: discovery purges the PKI-ID (§6.10); may be empty
  };

  // Starts the identity puller (first round one PullInterval after construction) and the
  // identity lifetime loops of IdentityLifetimeConfig::defaults_for(cfg.profile). `env`,
  // `ids` and `mcs` must outlive the store.
  CertStore(Env& env, IdentityMapper& ids, MessageCryptoService& mcs, const PeerCredentials& self,
            const GossipConfig& cfg, Adapter adapter);
  // Same, with explicit lifetime periods (tests, spec §11.3).
  CertStore(Env& env, IdentityMapper& ids, MessageCryptoService& mcs, const PeerCredentials& self,
            const GossipConfig& cfg, Adapter adapter, IdentityLifetimeConfig lifetime);
  ~CertStore();
  CertStore(const CertStore&) = delete;
  CertStore& operator=(const CertStore&) = delete;

  // An identity pull message (Hello/Digest/Request/Update of IDENTITY_MSG). A DataUpdate is
  // dropped whole unless every item passes the §2.11 check (see update_acceptable).
  void handle_message(const PullReceivedMessage& msg);
  // Stops the puller and the lifetime loops; later messages are ignored.
  void stop();

  // --- inspection (tests, traces) --------------------------------------------------------
  const PullMediator& puller() const { return puller_; }
  const IdentityLifetimeConfig& lifetime() const { return lifetime_; }
  // DataUpdates of identities dropped by the §2.11 check so far.
  std::uint64_t rejected_updates() const { return rejected_updates_; }

 private:
  PullMediatorAdapter make_pull_adapter();
  // spec §2.11 sameOrgOrOurOrgPullFilter: may identity `item_id` be shown to `request`'s sender?
  bool egress_allows(const PullReceivedMessage& request, const std::string& item_id);
  // spec §2.11: every item is a signed PeerIdentity whose PKI-ID is GetPKIidOfCert(cert),
  // whose signature verifies with that cert and whose cert passes ValidateIdentity.
  bool update_acceptable(const DataUpdate& update);
  bool identity_item_acceptable(const EnvelopePtr& item);
  // The consumer of every accepted item: identity mapper Put.
  void consume(const EnvelopePtr& item);
  EnvelopePtr make_self_identity_message(const PeerCredentials& self);

  void arm_inactivity_check();
  void arm_revalidation();
  void tick_inactivity_check();
  void tick_revalidation();
  // Removes each PKI-ID from the mapper and the puller, closes its connection and (latest)
  // makes discovery forget it.
  void purge(const std::vector<PkiId>& pki_ids);

  Env& env_;
  IdentityMapper& ids_;
  MessageCryptoService& mcs_;
  std::string self_org_;
  Adapter adapter_;
  IdentityLifetimeConfig lifetime_;
  TimerHandle inactivity_timer_;
  TimerHandle revalidation_timer_;
  bool stopped_ = false;
  std::uint64_t rejected_updates_ = 0;
  PullMediator puller_;  // last: its adapter captures the members above
};

}  // namespace gs::proto
