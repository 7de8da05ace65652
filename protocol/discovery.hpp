// Discovery (membership), spec §6: the interface the gossip core uses and the adapters
// discovery needs from it — the same seams as Fabric's gossip/discovery package
// (Discovery, CommService, CryptoService, DisclosurePolicy), made asynchronous where the
// simulator spends virtual time (ping, handshake).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "protocol/comm.hpp"
#include "protocol/message.hpp"

namespace gs::proto {

// spec §6.2: a known peer. `endpoint` is the external endpoint ("" = invisible to other
// orgs), `internal_endpoint` the one published to its own org.
struct NetworkMember {
  Endpoint endpoint;
  Bytes metadata;
  PkiId pki_id;
  Endpoint internal_endpoint;

  // spec §2.4: RemotePeer.PreferredEndpoint = internal endpoint if known, else external.
  const Endpoint& preferred_endpoint() const { return internal_endpoint.empty() ? endpoint : internal_endpoint; }
  RemotePeer remote_peer() const { return RemotePeer{preferred_endpoint(), pki_id}; }
  friend bool operator==(const NetworkMember&, const NetworkMember&) = default;
};

// A known member as discovery holds it: immutable and shared (discovery replaces it when
// it changes), so that membership snapshots cost a pointer per member, not a copy.
using MemberPtr = std::shared_ptr<const NetworkMember>;
// The alive members at one moment, ordered by PKI-ID: an immutable snapshot that stays
// valid (and unchanged) while the caller holds it, whatever discovery does meanwhile.
using MembershipView = std::shared_ptr<const std::vector<MemberPtr>>;

// The member an AliveMessage envelope announces: its endpoint, metadata and PKI-ID, and
// the internal endpoint of its SecretEnvelope ("" without one) — what learnNewMembers
// puts into id2Member for a peer it did not know (spec §6.5). Made on the first call and
// then the same object, so that every peer's discovery that learns a member from one
// (shared) envelope shares one NetworkMember instead of holding a copy.
MemberPtr announced_member(const EnvelopePtr& alive);

// What discovery needs from the gossip core's comm side (Fabric discovery.CommService).
class DiscoveryComm {
 public:
  virtual ~DiscoveryComm() = default;
  // Into the emitter (own periodic alive messages and forwarded new ones, spec §6.4/§6.6).
  virtual void gossip(const EnvelopePtr& msg) = 0;
  // Latest: forward a received message through the emitter, excluding its sender (§2.6).
  virtual void forward(const EnvelopePtr& msg, const PkiId& sender) = 0;
  // Point-to-point (membership requests/responses).
  virtual void send_to_peer(const NetworkMember& peer, const EnvelopePtr& msg) = 0;
  // comm Probe (§9.4): dial + Ping only; done(true) iff reachable.
  virtual void ping(const NetworkMember& peer, std::function<void(bool)> done) = 0;
  virtual void close_conn(const NetworkMember& peer) = 0;
};

// What discovery needs for signatures (Fabric discovery.CryptoService).
class DiscoveryCrypto {
 public:
  virtual ~DiscoveryCrypto() = default;
  // spec §2.7 ValidateAliveMsg: membership with pki_id, signed, identity known or carried
  // (a carried identity is put into the identity mapper), signature (and secret) verify.
  virtual bool validate_alive_msg(const EnvelopePtr& msg) = 0;
  // Signs `msg` with the local key, attaching a signed SecretEnvelope carrying
  // `internal_endpoint` when it is non-empty (spec §1.1).
  virtual EnvelopePtr sign_message(GossipMessage msg, const Endpoint& internal_endpoint) = 0;
};

// spec §2.8: per remote peer, which alive messages may be disclosed to it (sieve) and how
// an envelope is filtered before it is sent there (strip the secret across orgs).
using Sieve = std::function<bool(const EnvelopePtr& alive)>;
using EnvelopeFilter = std::function<EnvelopePtr(const EnvelopePtr&)>;
using DisclosurePolicy = std::function<std::pair<Sieve, EnvelopeFilter>(const NetworkMember& remote)>;

// spec §2.9: identifies a bootstrap/anchor peer (comm Handshake). Reports the remote's
// PKI-ID and whether it is in our org, or nullopt on failure (connect retries later).
struct PeerIdentification {
  PkiId id;
  bool self_org = false;
};
using IdentifierDone = std::function<void(std::optional<PeerIdentification>)>;
using Identifier = std::function<void(IdentifierDone done)>;

class Discovery {
 public:
  virtual ~Discovery() = default;
  // spec §6.2: self if `pki` is ours, else any known member, alive or dead.
  std::optional<NetworkMember> lookup(const PkiId& pki) const {
    const NetworkMember* m = find(pki);
    if (m == nullptr) return std::nullopt;
    return *m;
  }
  // lookup() without a copy; the pointer is valid until discovery next changes.
  virtual const NetworkMember* find(const PkiId& pki) const = 0;
  virtual NetworkMember self() const = 0;
  virtual void update_metadata(Bytes metadata) = 0;
  virtual void update_endpoint(Endpoint endpoint) = 0;
  // Alive members, ordered by PKI-ID (deterministic; Fabric iterates a Go map).
  std::vector<NetworkMember> get_membership() const {
    const MembershipView view = membership();
    std::vector<NetworkMember> out;
    out.reserve(view->size());
    for (const MemberPtr& m : *view) out.push_back(*m);
    return out;
  }
  // The same as a shared snapshot: the routing of every emitted message reads the
  // membership, which changes far less often than that (DESIGN.md "Performance shape").
  virtual MembershipView membership() const = 0;
  // spec §6.6: membership requests to min(peer_num, |alive|) random alive members.
  virtual void initiate_sync(std::uint32_t peer_num) = 0;
  // spec §6.3: connect to a bootstrap/anchor peer with retries.
  virtual void connect(NetworkMember member, Identifier identifier) = 0;
  // Alive, MembershipRequest and MembershipResponse messages routed by the gossip core
  // (spec §2.7, §6.4), with the PKI-ID of the connection they arrived on. Discovery never
  // answers on the arriving connection (responses go through send_to_peer), so it needs
  // no ReceivedMessage and can be driven by Fabric's flooding test harness (§11.1).
  virtual void handle_message(const EnvelopePtr& msg, const PkiId& sender) = 0;
  // spec §2.10: comm reported a failed send to `pki`.
  virtual void on_presumed_dead(const PkiId& pki) = 0;
  virtual void stop() = 0;
};

}  // namespace gs::proto
