// Fabric's discovery (membership) service, spec §6: `gossipDiscoveryImpl` as a sans-IO
// state machine behind the Discovery interface of protocol/discovery.hpp.
//
// v1.0 behaviour by default; the profiles for which is_latest() holds take the
// differences of spec §6.10 / §12. Appendix B quirks 6–9 are reproduced in v1.0 (8 in
// both), each marked "quirk B.n" where it happens.
//
// Wiring (the gossip core does this, or a test harness, see tests/protocol/discovery_harness.hpp):
//   DiscoveryImpl disc(env, resolved_cfg, self_member, self_identity, comm, crypto, policy);
//   for (boot : bootstrap) disc.connect({boot, {}, {}, boot}, handshake_identifier);
//   route Alive/MembershipRequest/MembershipResponse to disc.handle_message(env, sender);
//   every PullInterval (act-first): disc.initiate_sync(pull_peer_num);
//   comm's presumed-dead events: disc.on_presumed_dead(pki).
// The constructor starts the periodic tasks of spec §6.6 (incTime = env.now()).
//
// Determinism: every container whose order can reach a message, a timer or a random draw
// is a std::map keyed by PKI-ID (Fabric iterates Go maps in random order).
//
// Storage: Fabric's five per-member maps of spec §6.2 (id2Member, aliveLastTS,
// deadLastTS, aliveMembership, deadMembership) are kept as one record per known member
// (KnownPeer), in one map ordered by PKI-ID. Every iteration of one of Fabric's maps is
// an iteration of that map restricted to the alive or to the dead records, in the same
// (PKI-ID) order; the introspection accessors rebuild the five maps for tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include "base/time.hpp"
#include "protocol/config.hpp"
#include "protocol/discovery.hpp"
#include "protocol/env.hpp"
#include "protocol/message.hpp"
#include "protocol/msgstore.hpp"

namespace gs::proto {

// spec §6.5: the `before()` relation — `a` is older than `b`:
// (same inc and a.seq < b.seq) or a.inc < b.inc. A message is "newer" than the stored
// timestamp `ts` iff peer_time_before(ts, message timestamp).
constexpr bool peer_time_before(const PeerTime& a, const PeerTime& b) {
  return (a.inc_num == b.inc_num && a.seq_num < b.seq_num) || a.inc_num < b.inc_num;
}

// spec §4.3 / §6.2: discovery's alive store — a message store with the K = 0 comparator
// and TTL = aliveExpirationTimeout × msgExpirationFactor whose expire callback purges the
// member (§6.9). Only AliveMessages may enter it: any other message is a programming
// error (Fabric panics; TestAliveMsgStore pins it), here an always-on assertion.
class AliveMsgStore {
 public:
  using ExpireCallback = std::function<void(const EnvelopePtr&)>;
  AliveMsgStore(Env& env, Duration ttl, ExpireCallback on_expire);

  bool add(const EnvelopePtr& msg);
  bool check_valid(const EnvelopePtr& msg) const;
  std::vector<EnvelopePtr> get() const;  // non-expired entries
  std::size_t size() const;
  std::size_t size_including_expired() const;
  void stop();

 private:
  static void require_alive(const EnvelopePtr& msg);
  GossipMessageStore store_;
};

class DiscoveryImpl final : public Discovery {
 public:
  // spec §6.2: aliveLastTS / deadLastTS entries.
  struct LastTs {
    PeerTime ts;
    Time last_seen;
  };

  // `cfg` must be resolve()d (its `derived` values are used). `self` is this peer's
  // {external endpoint, metadata, PKI-ID, internal endpoint}; `self_identity` its
  // certificate, put into its alive messages while now < start + publishCertPeriod
  // (spec §1.3, §6.6).
  DiscoveryImpl(Env& env, const GossipConfig& cfg, NetworkMember self, IdentityBytes self_identity,
                DiscoveryComm& comm, DiscoveryCrypto& crypto, DisclosurePolicy policy);
  ~DiscoveryImpl() override;
  DiscoveryImpl(const DiscoveryImpl&) = delete;
  DiscoveryImpl& operator=(const DiscoveryImpl&) = delete;

  // --- Discovery ---------------------------------------------------------------------
  const NetworkMember* find(const PkiId& pki) const override;
  NetworkMember self() const override;
  void update_metadata(Bytes metadata) override;
  void update_endpoint(Endpoint endpoint) override;
  MembershipView membership() const override;
  void initiate_sync(std::uint32_t peer_num) override;
  void connect(NetworkMember member, Identifier identifier) override;
  void handle_message(const EnvelopePtr& msg, const PkiId& sender) override;
  void on_presumed_dead(const PkiId& pki) override;
  void stop() override;

  // spec §6.10 (latest only): an IdentitySwitch event (a peer came back with another
  // PKI-ID, or the identity mapper purged its identity) purges the old PKI-ID at once.
  // Ignored by fabric-1.0, which has no such event.
  void on_identity_switch(const PkiId& old_pki);

  // Dead members (Fabric's test-visible deadMembership), ordered by PKI-ID.
  std::vector<NetworkMember> get_dead_members() const;

  // --- Introspection: the fields Fabric's discovery tests read directly -----------------
  // Copies of Fabric's maps (spec §6.2), rebuilt from the records on every call.
  std::map<PkiId, MemberPtr> id2member() const;
  std::map<PkiId, LastTs> alive_last_ts() const { return last_ts_where(true); }
  std::map<PkiId, LastTs> dead_last_ts() const { return last_ts_where(false); }
  std::map<PkiId, EnvelopePtr> alive_membership() const { return membership_where(true); }
  std::map<PkiId, EnvelopePtr> dead_membership() const { return membership_where(false); }
  AliveMsgStore& msg_store() { return msg_store_; }
  const AliveMsgStore& msg_store() const { return msg_store_; }
  std::uint64_t inc_time() const { return inc_time_; }
  std::uint64_t seq_num() const { return seq_num_; }
  // Alive messages claiming our PKI-ID with other endpoints (Fabric logs "same PKI-ID as myself").
  std::uint64_t self_conflicts() const { return self_conflicts_; }
  bool stopped() const { return stopped_; }

  // --- Message construction (Fabric's tests call these internals directly) -----------
  // spec §6.6: seqNum++, then a signed Alive; secret with the internal endpoint iff asked.
  EnvelopePtr create_alive_message(bool include_internal_endpoint);
  // spec §6.3: MembershipRequest{self_information = new alive}, no-op signed, nonce 0.
  EnvelopePtr create_membership_request(bool include_internal_endpoint);
  // spec §6.4 createMembershipResponse: nullopt when the sieve rejects our own alive.
  std::optional<MembershipResponse> create_membership_response(const EnvelopePtr& own_alive,
                                                               const NetworkMember& target) const;

 private:
  struct PendingConnect {
    NetworkMember member;
    Identifier identifier;
    std::uint32_t attempts = 0;
    TimerHandle timer;
  };
  struct PendingAck {  // one sendUntilAcked (spec §6.3)
    NetworkMember peer;
    EnvelopePtr request;
    std::uint64_t nonce = 0;
    std::uint32_t attempts = 0;
    TimerHandle timer;
  };

  // spec §6.2: everything Fabric's five maps hold about one known peer p.
  //   id2Member[p]                             = *member
  //   aliveLastTS[p] / deadLastTS[p]           = last_ts,  in the one `alive` names
  //   aliveMembership[p] / deadMembership[p]   = msg,      likewise
  // A known peer is in exactly one of aliveLastTS/deadLastTS, and Fabric writes (and
  // moves) its LastTS and Membership entries together, so one flag says which pair.
  // Consequently the v1.0 panic "known but neither alive nor dead" (spec §6.5) cannot
  // happen here, nor can latest's re-learning of such a peer (§6.10).
  struct KnownPeer {
    MemberPtr member;  // never null
    EnvelopePtr msg;   // the latest alive message (its timestamp is last_ts.ts)
    LastTs last_ts;
    bool alive = false;
    const PkiId& pki_id() const { return member->pki_id; }
  };
  // The records' key: p, as the PKI-ID of the member the record was created with (a
  // record's later members have the same PKI-ID). Holding that member, which is shared
  // (announced_member), instead of a copy of p saves a heap-allocated PKI-ID per (peer,
  // known member). `prefix` is p's first 8 bytes as a big-endian number (zero-padded):
  // comparing prefixes first gives the same bytewise order as std::map<PkiId, ...>'s
  // and, PKI-IDs being SHA-256 digests, decides almost every comparison without
  // following `member`.
  static std::uint64_t prefix_of(std::string_view pki) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < 8; ++i)
      v = (v << 8) | (i < pki.size() ? static_cast<unsigned char>(pki[i]) : 0U);
    return v;
  }
  struct PkiIdKey {
    explicit PkiIdKey(MemberPtr m) : prefix(prefix_of(m->pki_id)), member(std::move(m)) {}
    std::uint64_t prefix;
    MemberPtr member;
  };
  // A PKI-ID to look up, its prefix computed once rather than at every comparison.
  struct PkiIdProbe {
    explicit PkiIdProbe(std::string_view p) : prefix(prefix_of(p)), pki(p) {}
    std::uint64_t prefix;
    std::string_view pki;
  };
  struct ByPkiId {
    using is_transparent = void;
    static bool less(std::uint64_t pa, std::string_view a, std::uint64_t pb, std::string_view b) {
      return pa != pb ? pa < pb : a < b;
    }
    bool operator()(const PkiIdKey& a, const PkiIdKey& b) const {
      return less(a.prefix, a.member->pki_id, b.prefix, b.member->pki_id);
    }
    bool operator()(const PkiIdKey& a, const PkiIdProbe& b) const { return less(a.prefix, a.member->pki_id, b.prefix, b.pki); }
    bool operator()(const PkiIdProbe& a, const PkiIdKey& b) const { return less(a.prefix, a.pki, b.prefix, b.member->pki_id); }
  };
  using KnownPeers = std::map<PkiIdKey, KnownPeer, ByPkiId>;

  bool latest() const { return latest_; }
  std::map<PkiId, LastTs> last_ts_where(bool alive) const;
  std::map<PkiId, EnvelopePtr> membership_where(bool alive) const;
  // Moves `k` between the alive and the dead maps (keeps the counts).
  void set_alive(KnownPeer& k, bool alive);
  bool is_my_own_endpoint(const Endpoint& endpoint) const;

  // spec §6.3
  void connect_attempt(std::uint64_t id);
  void on_identified(std::uint64_t id, const std::optional<PeerIdentification>& result);
  void send_until_acked(const NetworkMember& peer, const EnvelopePtr& request);
  void send_until_acked_attempt(std::uint64_t id);
  void on_ack_timeout(std::uint64_t id);
  void publish_ack(std::uint64_t nonce);
  void send_membership_request(const NetworkMember& peer, const EnvelopePtr& request);

  // spec §6.4
  void handle_alive_msg(const EnvelopePtr& msg, const PkiId& sender);
  void handle_mem_req(const EnvelopePtr& msg);
  void handle_mem_res(const EnvelopePtr& msg);
  void send_mem_response(const Member& target, const Endpoint& internal_endpoint, std::uint64_t nonce);

  // spec §6.5
  void handle_alive(const EnvelopePtr& msg);
  void learn_new_members(const std::vector<EnvelopePtr>& alive, const std::vector<EnvelopePtr>& dead);
  void learn_existing(KnownPeer& k, const EnvelopePtr& msg);
  void resurrect(KnownPeer& k, const EnvelopePtr& msg);

  // spec §6.6–§6.9
  void arm_send_alive();
  void on_send_alive_timer();
  void arm_check_alive();
  void on_check_alive_timer();
  void reconnect_round();
  void on_reconnect_ping(std::uint64_t round, const NetworkMember& member, bool ok);
  void expire_dead_members(const std::vector<PkiId>& dead);
  void on_alive_store_expire(const EnvelopePtr& msg);
  void purge(const PkiId& pki);
  void view_changed();
  // id2Member[p] := {the endpoint, metadata and PKI-ID of the alive message `msg`,
  // `internal_endpoint`}. Keeps the shared object when nothing changes (so that the
  // cached membership stays valid), and takes the envelope's announced_member() when it
  // is that; returns whether id2Member[p] changed.
  static bool set_member(KnownPeer& k, const EnvelopePtr& msg, const Endpoint& internal_endpoint);
  // Drops the cached membership snapshot; called wherever an entry of GetMembership()
  // may appear, disappear or change.
  void membership_changed() { membership_cache_.reset(); }

  Env& env_;
  GossipConfig cfg_;
  bool latest_;
  DiscoveryComm& comm_;
  DiscoveryCrypto& crypto_;
  DisclosurePolicy policy_;

  // spec §6.2 state
  NetworkMember self_;
  IdentityBytes self_identity_;
  Time start_;
  std::uint64_t inc_time_;
  std::uint64_t seq_num_ = 0;
  // id2Member, aliveLastTS, deadLastTS, aliveMembership, deadMembership: see KnownPeer.
  // For an alive member, `member` is exactly its GetMembership() entry (the alive
  // message's endpoint and metadata, the internal endpoint kept here): every update of
  // aliveMembership updates it from the same message. The snapshot shares these objects.
  KnownPeers known_;
  std::size_t alive_count_ = 0;  // |aliveMembership|
  std::size_t dead_count_ = 0;   // |deadMembership|
  AliveMsgStore msg_store_;
  mutable MembershipView membership_cache_;  // GetMembership() until the next change
  EnvelopePtr self_alive_msg_;            // latest: the last periodically sent self alive
  std::set<Endpoint> connected_endpoints_;  // latest purge exemption (bootstrap/anchor peers)

  // pub/sub of membership-request acknowledgements: nonce → PendingAck id
  std::map<std::uint64_t, std::uint64_t> ack_subscriptions_;
  std::map<std::uint64_t, PendingAck> pending_acks_;
  std::map<std::uint64_t, PendingConnect> pending_connects_;
  std::uint64_t next_id_ = 0;

  TimerHandle send_alive_timer_;
  TimerHandle check_alive_timer_;
  TimerHandle reconnect_timer_;
  std::uint64_t reconnect_round_ = 0;
  std::size_t pings_outstanding_ = 0;

  std::uint64_t self_conflicts_ = 0;
  bool stopped_ = false;
  // Async adapter callbacks (ping, handshake) hold a weak reference: they may report
  // after stop() or destruction and must then do nothing.
  std::shared_ptr<char> life_ = std::make_shared<char>();
};

}  // namespace gs::proto
