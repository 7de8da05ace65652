// Test harness for discovery (spec §11.1): Fabric's flooding harness of
// gossip/discovery/discovery_test.go on a virtual clock.
//
// Semantics reproduced from the spec's description of that harness:
// - A dummy comm per instance. gossip() sends to every peer this instance has a
//   "stream" to, i.e. every endpoint it ever pinged or sent a point-to-point message to
//   (streams are one-way: a receiver does not get a stream back). send_to_peer() dials
//   (pings) first when it has no stream. close_conn() drops the stream.
// - A receiving instance re-floods an alive message to all its streams when its seq is
//   greater than the last one it forwarded for that PKI-ID ("shouldGossip" instances only;
//   instances "without gossip" neither gossip nor re-flood).
// - ValidateAliveMsg is always true; signatures are simulated; PKI-ID = identity =
//   endpoint string "localhost:<port>".
// - Bootstrap identifiers answer at once {ID = boot endpoint, SelfOrg = true}.
// - Disclosure policy: disclose everything unless the test gives one.
// Modelling choices where real sockets have no virtual-time equivalent: every message
// takes kLatency; a ping answers after 2 × kLatency and succeeds iff the target is up; a
// stream belongs to one incarnation of its target (after a restart the old stream is
// broken, and the next send or ping dials anew); messages to a stopped instance are lost.
//
// Names live in gs::proto::disctest so they never clash with other protocol test helpers.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/assert.hpp"
#include "base/time.hpp"
#include "protocol/config.hpp"
#include "protocol/discovery.hpp"
#include "protocol/discovery_impl.hpp"
#include "protocol/env.hpp"
#include "protocol/message.hpp"
#include "protocol/observation.hpp"
#include "fake_env.hpp"

namespace gs::proto::disctest {

inline constexpr Duration kLatency = Duration::milliseconds(1);

inline Endpoint endpoint_of(int port) { return "localhost:" + std::to_string(port); }
inline int port_of(const Endpoint& e) { return std::stoi(e.substr(e.rfind(':') + 1)); }

// spec §11.1 global overrides (v1.0): alive 100 ms, expiration 1 s (check 100 ms),
// reconnect 1 s, MaxConnectionAttempts 10000, msgExpirationFactor 20 (TTL 20 s).
inline GossipConfig v10_test_config() {
  GossipConfig c = defaults_for(Profile::fabric_1_0);
  c.alive_time_interval = Duration::milliseconds(100);
  c.alive_expiration_timeout = Duration::seconds(1);
  c.reconnect_interval = Duration::seconds(1);
  c.max_connection_attempts = 10000;
  resolve(c);
  return c;
}

// spec §11.1 latest overrides: alive 300 ms, expiration 3 s (check 300 ms), reconnect 3 s.
inline GossipConfig latest_test_config() {
  GossipConfig c = defaults_for(Profile::fabric_2_5);
  c.alive_time_interval = Duration::milliseconds(300);
  c.alive_expiration_timeout = Duration::seconds(3);
  c.reconnect_interval = Duration::seconds(3);
  c.max_connection_attempts = 10000;
  resolve(c);
  return c;
}

inline DisclosurePolicy disclose_all() {
  return [](const NetworkMember&) {
    return std::pair<Sieve, EnvelopeFilter>{[](const EnvelopePtr&) { return true; },
                                            [](const EnvelopePtr& e) { return e; }};
  };
}

// Bootstrap identifier of the harness: at once {ID = endpoint, SelfOrg = true}.
inline Identifier boot_identifier(const Endpoint& ep) {
  return [ep](IdentifierDone done) { done(PeerIdentification{ep, true}); };
}

// Simulated signing as the instance; validation always succeeds (spec §11.1).
class HarnessCrypto final : public DiscoveryCrypto {
 public:
  explicit HarnessCrypto(PkiId self) : self_(std::move(self)) {}
  bool validate_alive_msg(const EnvelopePtr&) override {
    ++validations;
    return true;
  }
  EnvelopePtr sign_message(GossipMessage m, const Endpoint& internal_endpoint) override {
    ++signs;
    auto msg = std::make_shared<const GossipMessage>(std::move(m));
    const Signature sig{Signature::Kind::ecdsa, self_, payload_digest(*msg)};
    std::optional<SecretEnvelope> secret;
    if (!internal_endpoint.empty())
      secret = SecretEnvelope{internal_endpoint,
                              Signature{Signature::Kind::ecdsa, self_, secret_digest(internal_endpoint)}};
    return Envelope::make(std::move(msg), sig, std::move(secret));
  }
  std::uint64_t signs = 0;
  std::uint64_t validations = 0;

 private:
  PkiId self_;
};

class World;

// One instance's Env: the world's shared clock, its own random streams.
class InstanceEnv final : public Env {
 public:
  InstanceEnv(test::FakeEnv& clock, std::uint64_t seed) : clock_(clock), rng_(seed) {}
  Time now() const override { return clock_.now(); }
  TimerHandle set_timer(Duration after, const char* name, Callback cb) override {
    return clock_.set_timer(after, name, std::move(cb));
  }
  void cancel_timer(TimerHandle h) override { clock_.cancel_timer(h); }
  Rng& rng(RngPurpose) override { return rng_; }
  void dial(const Endpoint&, Duration, DialDone) override { GS_ASSERT(false, "discovery never dials"); }
  void write(ConnId, WirePacket) override { GS_ASSERT(false, "discovery never writes"); }
  std::size_t unwritten(ConnId) const override { return 0; }
  void close(ConnId) override { GS_ASSERT(false, "discovery never closes"); }
  void set_transport_handler(TransportHandler*) override {}
  void charge_cpu(Duration) override {}
  void observe(const Observation& o) override {
    if (std::holds_alternative<ViewChanged>(o.what)) ++view_changes;
  }
  std::uint64_t view_changes = 0;

 private:
  test::FakeEnv& clock_;
  test::FakeRng rng_;
};

struct SentToPeer {
  Time at;
  NetworkMember peer;
  EnvelopePtr msg;
};

class DummyComm final : public DiscoveryComm {
 public:
  DummyComm(World& world, std::uint32_t self) : world_(world), self_(self) {}
  void gossip(const EnvelopePtr& msg) override;
  void forward(const EnvelopePtr& msg, const PkiId&) override { gossip(msg); }
  void send_to_peer(const NetworkMember& peer, const EnvelopePtr& msg) override;
  void ping(const NetworkMember& peer, std::function<void(bool)> done) override;
  void close_conn(const NetworkMember& peer) override {
    ++closes;
    closed.push_back(peer);
    streams.erase(peer.endpoint);
  }
  // Re-flood of a received alive message (the harness's tryForwardMessage).
  void try_forward(const EnvelopePtr& msg);
  // Sends `msg` on every stream (a no-op for instances without gossip).
  void flood(const EnvelopePtr& msg);

  bool should_gossip = true;
  std::map<Endpoint, std::uint32_t> streams;  // endpoint → incarnation the stream reaches
  std::map<PkiId, std::uint64_t> last_seqs;
  std::vector<SentToPeer> sent_to_peer;  // every send_to_peer call
  std::vector<EnvelopePtr> gossiped;     // every gossip()/forward() call
  std::vector<NetworkMember> closed;
  std::uint64_t msgs_sent = 0;  // point-to-point messages put on a stream
  std::uint64_t pings = 0;
  std::uint64_t closes = 0;

 private:
  bool open_stream(const Endpoint& ep);
  World& world_;
  std::uint32_t self_;
};

struct Options {
  bool gossip = true;
  DisclosurePolicy policy;  // empty → disclose everything
  bool connect_bootstrap = true;
};

struct Instance {
  std::uint32_t idx = 0;
  int port = 0;
  Endpoint endpoint;
  std::vector<Endpoint> boot;
  Options opts;
  std::unique_ptr<InstanceEnv> env;
  std::unique_ptr<DummyComm> comm;
  std::unique_ptr<HarnessCrypto> crypto;
  std::unique_ptr<DiscoveryImpl> disc;
  bool up = false;
  std::uint32_t incarnation = 0;
  std::uint64_t received = 0;
  TimerHandle sync_timer;
  Duration sync_interval;
  std::uint32_t sync_peer_num = 0;

  std::size_t view_size() const { return disc->get_membership().size(); }
  std::vector<int> view_ports() const {
    std::vector<int> out;
    for (const NetworkMember& m : disc->get_membership()) out.push_back(port_of(m.endpoint));
    std::sort(out.begin(), out.end());
    return out;
  }
};

class World {
 public:
  explicit World(GossipConfig cfg) : cfg_(std::move(cfg)) {}
  World(const World&) = delete;
  World& operator=(const World&) = delete;
  ~World() {
    for (auto& inst : instances_)
      if (inst->disc) inst->disc->stop();
  }

  const GossipConfig& cfg() const { return cfg_; }
  Time now() const { return clock.now(); }

  // Creates the instance at `port` (not started when `start` is false).
  Instance& add(int port, std::vector<int> boot_ports = {}, Options opts = {}, bool start_now = true) {
    auto inst = std::make_unique<Instance>();
    inst->idx = static_cast<std::uint32_t>(instances_.size());
    inst->port = port;
    inst->endpoint = endpoint_of(port);
    for (int b : boot_ports) inst->boot.push_back(endpoint_of(b));
    inst->opts = std::move(opts);
    if (!inst->opts.policy) inst->opts.policy = disclose_all();
    inst->env = std::make_unique<InstanceEnv>(clock, static_cast<std::uint64_t>(port));
    by_endpoint_[inst->endpoint] = inst->idx;
    instances_.push_back(std::move(inst));
    Instance& ref = *instances_.back();
    if (start_now) start(ref);
    return ref;
  }

  Instance& at(int port) { return *instances_.at(by_endpoint_.at(endpoint_of(port))); }
  Instance& operator[](std::size_t i) { return *instances_.at(i); }
  std::size_t size() const { return instances_.size(); }
  Instance* find(const Endpoint& ep) {
    const auto it = by_endpoint_.find(ep);
    return it == by_endpoint_.end() ? nullptr : instances_[it->second].get();
  }

  // (Re)starts a process: a new incarnation with fresh comm state, then Connect to each
  // bootstrap peer (spec §2.9).
  void start(Instance& inst) {
    GS_ASSERT(!inst.up, "instance {} already up", inst.endpoint);
    inst.disc.reset();
    inst.comm = std::make_unique<DummyComm>(*this, inst.idx);
    inst.comm->should_gossip = inst.opts.gossip;
    inst.crypto = std::make_unique<HarnessCrypto>(inst.endpoint);
    ++inst.incarnation;
    inst.up = true;
    inst.disc = std::make_unique<DiscoveryImpl>(*inst.env, cfg_, NetworkMember{inst.endpoint, {}, inst.endpoint, inst.endpoint},
                                                "identity:" + inst.endpoint, *inst.comm, *inst.crypto,
                                                inst.opts.policy);
    if (inst.opts.connect_bootstrap)
      for (const Endpoint& b : inst.boot) inst.disc->connect(NetworkMember{b, {}, {}, b}, boot_identifier(b));
  }

  void stop(Instance& inst) {
    if (!inst.up) return;
    inst.up = false;
    inst.disc->stop();
    clock.cancel_timer(inst.sync_timer);
  }

  // The test's sync loop (TestInitiateSync, TestDisclosurePolicyWithPull): sleep-first.
  void start_sync(Instance& inst, Duration interval, std::uint32_t peer_num) {
    inst.sync_interval = interval;
    inst.sync_peer_num = peer_num;
    arm_sync(inst.idx);
  }

  void run_for(Duration d) { clock.advance(d); }

  // Fabric's waitUntilOrFail / assertMembership: checks `pred` every `poll` until it
  // holds (true) or `timeout` of virtual time has passed (false).
  template <typename Pred>
  bool wait_until(Pred pred, Duration timeout = Duration::seconds(15), Duration poll = Duration::milliseconds(1500)) {
    const Time limit = clock.now() + timeout;
    while (clock.now() < limit) {
      clock.advance(std::min(poll, limit - clock.now()));
      if (pred()) return true;
    }
    return false;
  }

  bool all_see(const std::vector<Instance*>& insts, std::size_t n) const {
    for (const Instance* i : insts)
      if (i->view_size() != n) return false;
    return true;
  }
  std::vector<Instance*> up_instances() {
    std::vector<Instance*> out;
    for (auto& i : instances_)
      if (i->up) out.push_back(i.get());
    return out;
  }

  // A message from instance `from` over a stream to `to_ep` (incarnation `inc`).
  void transmit(std::uint32_t from, const Endpoint& to_ep, std::uint32_t inc, const EnvelopePtr& msg) {
    const auto it = by_endpoint_.find(to_ep);
    if (it == by_endpoint_.end()) return;
    const std::uint32_t to = it->second;
    clock.set_timer(kLatency, "harness.deliver", [this, msg, from, to, inc] { deliver(from, to, inc, msg); });
  }

  // The stream a dial to `ep` would get: the incarnation of a running instance there.
  std::optional<std::uint32_t> dial(const Endpoint& ep) {
    Instance* t = find(ep);
    if (t == nullptr || !t->up) return std::nullopt;
    return t->incarnation;
  }

  void answer_ping_later(std::function<void(bool)> done, bool ok) {
    const std::uint64_t id = ++next_ping_;
    pending_pings_.emplace(id, std::move(done));
    clock.set_timer(kLatency * 2, "harness.ping", [this, id, ok] {
      auto node = pending_pings_.extract(id);
      node.mapped()(ok);
    });
  }

  test::FakeEnv clock;

 private:
  void deliver(std::uint32_t from, std::uint32_t to, std::uint32_t inc, const EnvelopePtr& msg) {
    Instance& dst = *instances_[to];
    if (!dst.up || dst.incarnation != inc) return;  // lost: process down or stream broken
    ++dst.received;
    dst.disc->handle_message(msg, instances_[from]->endpoint);
    if (msg->is<AliveMessage>() && dst.up) dst.comm->try_forward(msg);
  }

  void arm_sync(std::uint32_t idx) {
    Instance& inst = *instances_[idx];
    inst.sync_timer = clock.set_timer(inst.sync_interval, "harness.sync", [this, idx] {
      Instance& i = *instances_[idx];
      if (!i.up) return;
      i.disc->initiate_sync(i.sync_peer_num);
      arm_sync(idx);
    });
  }

  GossipConfig cfg_;
  std::vector<std::unique_ptr<Instance>> instances_;
  std::map<Endpoint, std::uint32_t> by_endpoint_;
  std::map<std::uint64_t, std::function<void(bool)>> pending_pings_;
  std::uint64_t next_ping_ = 0;
};

inline bool DummyComm::open_stream(const Endpoint& ep) {
  const std::optional<std::uint32_t> inc = world_.dial(ep);
  if (!inc) return false;
  streams[ep] = *inc;
  return true;
}

inline void DummyComm::gossip(const EnvelopePtr& msg) {
  gossiped.push_back(msg);
  flood(msg);
}

inline void DummyComm::flood(const EnvelopePtr& msg) {
  if (!should_gossip) return;
  for (const auto& [ep, inc] : streams) world_.transmit(self_, ep, inc, msg);
}

inline void DummyComm::send_to_peer(const NetworkMember& peer, const EnvelopePtr& msg) {
  sent_to_peer.push_back(SentToPeer{world_.now(), peer, msg});
  auto it = streams.find(peer.endpoint);
  const std::optional<std::uint32_t> current = world_.dial(peer.endpoint);
  if (it == streams.end() || (current && *current != it->second)) {
    if (!open_stream(peer.endpoint)) return;  // Fabric's harness pings first; failure drops the message
    it = streams.find(peer.endpoint);
  }
  world_.transmit(self_, peer.endpoint, it->second, msg);
  ++msgs_sent;
}

inline void DummyComm::ping(const NetworkMember& peer, std::function<void(bool)> done) {
  ++pings;
  const bool ok = open_stream(peer.endpoint);
  world_.answer_ping_later(std::move(done), ok);
}

inline void DummyComm::try_forward(const EnvelopePtr& msg) {
  if (!should_gossip) return;
  const AliveMessage& a = *msg->get_if<AliveMessage>();
  const auto it = last_seqs.find(a.membership.pki_id);
  if (it != last_seqs.end() && it->second >= a.timestamp.seq_num) return;
  last_seqs[a.membership.pki_id] = a.timestamp.seq_num;
  flood(msg);
}

}  // namespace gs::proto::disctest
