// GossipCluster: N gossip instances (proto::GossipService) on the real simulated network
// (sim/net stream transport, world::PeerEnv), for end-to-end protocol tests in virtual time.
//
// What it gives a test (mirrors the helpers of Fabric's gossip_test.go):
//  - instances with their own GossipConfig (start from standard_test_config() or
//    pull_only_test_config() and override fields), endpoint, org, external endpoint and
//    bootstrap list; identities from a chosen IdentityScheme (default fabric_test():
//    PKI-ID = identity = endpoint, as Fabric's unit tests);
//  - a per-instance on_start hook run after every (re)start: join channels, publish
//    channel metadata — what a Fabric test does right after newGossipInstance();
//  - lifecycle at chosen virtual times: start / stop (graceful Stop()) / crash (the process
//    dies: connections reset) / restart (a new process, same identity), now or scheduled;
//  - advance(d) and wait_until(pred, timeout, poll) on virtual time;
//  - read-outs: alive views (peers()), channel peers with metadata, and every message the
//    gossip layer de-multiplexed to subscribers (blocks with their path, StateInfo,
//    leadership), recorded per instance across restarts;
//  - an optional message trace: every envelope written or received by an instance, with
//    the virtual time and both endpoints, in the messages' canonical text form (golden tests).
//
// Addressing: each instance is a network host named by its endpoint; an endpoint no
// instance owns behaves as an unreachable address (the dial times out). An instance that
// was added but is not running refuses connections (process down), like a port nobody
// listens on.
//
// Determinism: one root seed; the network and every PeerEnv draw from streams derived from
// it, so a test is reproduced by its seed alone.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/config.hpp"
#include "protocol/crypto.hpp"
#include "protocol/gossip_service.hpp"
#include "protocol/observation.hpp"
#include "sim/core/random.hpp"
#include "sim/core/scheduler.hpp"
#include "sim/net/network.hpp"
#include "sim/net/stream_transport.hpp"
#include "sim/world/peer_env.hpp"

namespace gs::testing {

// spec §11.3 "Global overrides" + "Standard instance" of Fabric's gossip_test.go (v1.0):
// burst 500 ms / 20, I 1, F 3, PullInterval 2 s, PullPeerNum 5, PublishCertPeriod 4 s,
// StateInfo publish/request 1 s, K 100, alive 1 s, expiration 10 s (check 1 s, derived),
// reconnect 1 s, MaxConnectionAttempts 5. Not resolved (the cluster resolves).
// The §11.3 standard instance fields alone (burst 500 ms/20, I 1, F 3, pull 2 s/5, cert 4 s,
// StateInfo 1 s/1 s, K 100) on the v1.0 defaults, without gossip_test.go's global overrides.
proto::GossipConfig standard_instance_config();
proto::GossipConfig standard_test_config();
// The same for the latest gossip_test.go (spec §11.3 "Latest"): fabric-2.5 defaults
// (RequestWaitTime 1.5 s among them) with PullInterval 4 s instead of 2 s.
proto::GossipConfig latest_standard_test_config();
// spec §11.3 TestPull's "pull-only" instance: the standard one with PropagateIterations 0,
// PropagatePeerNum 0 (no push, no alive gossip), PullInterval 1 s, PullPeerNum 20,
// burst 1 s / 10, PublishCertPeriod 0, digest/request/response wait 200 ms.
proto::GossipConfig pull_only_test_config();

struct InstanceSpec {
  proto::Endpoint endpoint;           // internal endpoint; also the host's name
  std::string org = "ORG1";
  proto::Endpoint external_endpoint;  // "" = invisible to other orgs (spec §2.8)
  std::vector<proto::Endpoint> bootstrap;
  proto::GossipConfig config = standard_test_config();  // resolved by the cluster
  // Run after every (re)start, with the fresh service (join channels, metadata, ...).
  std::function<void(proto::GossipService&)> on_start;
};

// InstanceSpec of Fabric's tests (org ORG1), in one expression.
InstanceSpec instance(proto::Endpoint endpoint, std::vector<proto::Endpoint> bootstrap,
                      proto::GossipConfig config = standard_test_config(),
                      std::function<void(proto::GossipService&)> on_start = {},
                      proto::Endpoint external_endpoint = {});

struct ClusterOptions {
  static ClusterOptions with_seed(std::uint64_t seed) {
    ClusterOptions o;
    o.seed = seed;
    return o;
  }
  std::uint64_t seed = 1;
  proto::IdentityScheme identities = proto::IdentityScheme::fabric_test();
  net::LinkParams link;  // every pair (default: 2 ms constant, no loss)
  proto::CryptoCosts crypto_costs;
};

// One message de-multiplexed to the gossip layer's subscribers (Fabric Accept(_, false)).
struct Delivery {
  Time at;
  std::string channel;
  proto::MessageKind kind = proto::MessageKind::data;
  std::uint64_t seq = 0;  // blocks only
  proto::BlockPath via = proto::BlockPath::push;  // blocks only
  proto::EnvelopePtr msg;
};

// One envelope on the wire as an instance saw it.
struct MessageEvent {
  enum class Op : std::uint8_t { send, recv };
  Time at;
  Op op = Op::send;
  std::size_t from = 0;  // instance indices
  std::size_t to = 0;
  proto::EnvelopePtr msg;
};

class GossipCluster final : private world::PeerEnvListener, private world::EndpointDirectory {
 public:
  explicit GossipCluster(ClusterOptions options = {});
  ~GossipCluster() override;
  GossipCluster(const GossipCluster&) = delete;
  GossipCluster& operator=(const GossipCluster&) = delete;

  // Adds an instance (enrolled, host created, not running). Returns its index.
  std::size_t add(InstanceSpec spec);
  std::size_t size() const { return nodes_.size(); }
  const InstanceSpec& spec(std::size_t i) const { return nodes_[i]->spec; }
  // Bootstrap list of the instance's next (re)start (e.g. a restart without bootstrap).
  void set_bootstrap(std::size_t i, std::vector<proto::Endpoint> bootstrap) { nodes_[i]->spec.bootstrap = std::move(bootstrap); }
  const proto::Endpoint& endpoint(std::size_t i) const { return nodes_[i]->spec.endpoint; }
  std::optional<std::size_t> index_of(const proto::Endpoint& endpoint) const;
  std::optional<std::size_t> index_of_pki(const proto::PkiId& pki_id) const;
  const proto::PkiId& pki_id(std::size_t i) const;

  // --- lifecycle (now) ---
  void start(std::size_t i);
  void stop(std::size_t i);   // graceful: GossipService::stop() (closes connections), then exit
  void crash(std::size_t i);  // the process dies; the OS resets its connections
  void restart(std::size_t i) {
    stop(i);
    start(i);
  }
  bool running(std::size_t i) const { return nodes_[i]->service != nullptr; }
  // --- lifecycle (scheduled at an absolute virtual time ≥ now) ---
  void start_at(std::size_t i, Time t);
  void stop_at(std::size_t i, Time t);
  void crash_at(std::size_t i, Time t);

  // --- time ---
  Time now() const { return scheduler_.now(); }
  void advance(Duration d) { scheduler_.run_until(scheduler_.now() + d); }
  void advance_to(Time t) { scheduler_.run_until(t); }
  // Advances by `poll` steps until pred() holds (checked now and after each step) or
  // `timeout` has passed; returns whether it held. Like Fabric's waitUntilOrFail.
  bool wait_until(const std::function<bool()>& pred, Duration timeout, Duration poll = Duration::milliseconds(100));

  // --- read-outs ---
  proto::GossipService& gossip(std::size_t i);
  // The Env instance i's protocol objects run on (its PeerEnv, traced): for companions of
  // the gossip service on the same peer, such as a state provider.
  proto::Env& env(std::size_t i);
  // Endpoints of the alive view (Peers()), sorted; empty when not running.
  std::vector<proto::Endpoint> view(std::size_t i) const;
  // PeersOfChannel(ch), sorted by endpoint; empty when not running.
  std::vector<proto::ChannelMember> channel_peers(std::size_t i, const std::string& channel) const;
  // Every delivery to instance i since it was added (all incarnations), in order.
  const std::vector<Delivery>& deliveries(std::size_t i) const { return nodes_[i]->deliveries; }
  // Block deliveries of `channel`: seq -> how many times delivered.
  std::map<std::uint64_t, std::uint32_t> blocks_delivered(std::size_t i, const std::string& channel) const;
  std::size_t count_delivered(std::size_t i, proto::MessageKind kind) const;
  // Observations reported by instance i (BlockReceived, ViewChanged, MessageDropped, ...).
  const std::vector<proto::Observation>& observations(std::size_t i) const { return nodes_[i]->observations; }

  // --- trace ---
  using MessageSink = std::function<void(const MessageEvent&)>;
  void set_message_sink(MessageSink sink) { message_sink_ = std::move(sink); }
  // Canonical line: "<time> <op> <from endpoint> -> <to endpoint> <envelope text>".
  std::string format(const MessageEvent& e) const;

  sim::Scheduler& scheduler() { return scheduler_; }
  net::Network& network() { return *network_; }
  const proto::Pki& pki() const { return pki_; }
  // Failure injection (revocation, channel read access) at run time.
  proto::Pki& pki() { return pki_; }

 private:
  class TracedEnv;
  struct Node {
    InstanceSpec spec;
    net::HostId host = 0;
    std::unique_ptr<world::PeerEnv> env;
    std::unique_ptr<TracedEnv> traced;
    std::unique_ptr<proto::GossipService> service;
    std::vector<Delivery> deliveries;
    std::vector<proto::Observation> observations;
  };

  void record_delivery(std::size_t i, const proto::DeliveredMessage& d);
  void trace(MessageEvent::Op op, std::size_t self, proto::ConnId conn, const proto::WirePacket& p);
  std::size_t index_of_host(net::HostId h) const;

  // PeerEnvListener
  void on_observation(std::uint32_t peer, const proto::Observation& o) override;
  // EndpointDirectory
  std::optional<net::HostId> host_of(const std::string& endpoint) const override;
  const std::string& endpoint_of(net::HostId host) const override;

  ClusterOptions options_;
  sim::Scheduler scheduler_;
  sim::RandomStreams streams_;
  std::unique_ptr<net::Network> network_;
  std::unique_ptr<net::StreamTransport> stream_;
  proto::Pki pki_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::map<proto::Endpoint, std::size_t> by_endpoint_;
  MessageSink message_sink_;
};

// Fabric test message builders (gossip_test.go createDataMsg / createLeadershipMsg).
proto::GossipMessage make_data_message(std::uint64_t seq, const std::string& channel, std::uint64_t block_bytes = 0);
proto::GossipMessage make_leadership_message(const proto::PkiId& pki_id, const std::string& channel, bool declaration,
                                             proto::PeerTime ts);
// JoinChan message of Fabric's tests: the given orgs, no anchor peers.
proto::JoinChannelMessage join_message(std::vector<std::string> orgs = {"ORG1"});

}  // namespace gs::testing
