// StateCluster: gossip instances of a GossipCluster, each with a ledger and a state
// provider (spec §8) of one channel — the shape of Fabric's gossip/state/state_test.go
// (newPeerNode: gossip + committer + state provider).
//
// The state provider runs on its peer's own Env (the cluster's PeerEnv for that instance):
// one clock, one CPU and one random-stream set per peer, timers cancelled with its process.
// Each provider may get its own MessageCryptoService over a separate Pki, as Fabric's test
// gives the state provider a crypto service with its own acceptor (TestAccessControl).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/assert.hpp"
#include "gossip_cluster.hpp"
#include "protocol/ledger.hpp"
#include "protocol/observation.hpp"
#include "protocol/state_provider.hpp"

namespace gs::testing {

inline constexpr const char* kStateTestChannel = "testchainid";

// spec §11.8: MaxBlockCountToStore 0, burst 10 ms / 10, I 1, F 3, PullInterval 4 s,
// PullPeerNum 5, PublishCertPeriod 10 s, StateInfo request/publish 4 s; discovery and
// anti-entropy keep their v1.0 values (10 s / 3 s / 10 / 3).
inline proto::GossipConfig state_test_config(proto::Profile profile = proto::Profile::fabric_1_0) {
  proto::GossipConfig c = proto::defaults_for(profile);
  c.max_block_count_to_store = 0;
  c.max_propagation_burst_latency = Duration::milliseconds(10);
  c.max_propagation_burst_size = 10;
  c.propagate_iterations = 1;
  c.propagate_peer_num = 3;
  c.pull_interval = Duration::seconds(4);
  c.pull_peer_num = 5;
  c.publish_cert_period = Duration::seconds(10);
  c.request_state_info_interval = Duration::seconds(4);
  c.publish_state_info_interval = Duration::seconds(4);
  return c;
}

// A block of the test chain (Fabric's tests commit small blocks).
inline proto::BlockRef test_block(std::uint64_t seq) {
  return std::make_shared<const proto::Block>(proto::Block{seq, 1024, false});
}

class StateCluster {
 public:
  explicit StateCluster(std::uint64_t seed = 1) : cluster_(options(seed)) {}
  ~StateCluster() {
    for (auto& n : nodes_) n->state.reset();  // before the gossip instances go
  }
  StateCluster(const StateCluster&) = delete;
  StateCluster& operator=(const StateCluster&) = delete;

  // Adds a peer whose ledger already holds blocks 1..`blocks` (genesis is block 0). With
  // `own_acl`, the state provider verifies with its own crypto service over acl_pki().
  std::size_t add(const proto::Endpoint& endpoint, std::vector<proto::Endpoint> bootstrap,
                  proto::GossipConfig config = state_test_config(), std::uint64_t blocks = 0, bool own_acl = false) {
    auto node = std::make_unique<Node>();
    const std::size_t index = nodes_.size();  // the cluster numbers instances the same way
    for (std::uint64_t s = 1; s <= blocks; ++s) node->ledger.commit(test_block(s));
    acl_pki_.enroll(endpoint, "ORG1", endpoint);
    Node* raw = node.get();
    InstanceSpec spec;
    spec.endpoint = endpoint;
    spec.bootstrap = std::move(bootstrap);
    spec.config = std::move(config);
    spec.on_start = [this, raw, own_acl, index](proto::GossipService& g) {
      proto::Env& env = cluster_.env(index);
      g.join_channel(join_message(), kStateTestChannel);
      if (own_acl) raw->mcs = std::make_unique<proto::MessageCryptoService>(env, acl_pki_, g.self_pki_id());
      raw->state = std::make_unique<proto::StateProvider>(env, g, kStateTestChannel, raw->ledger, raw->mcs.get());
    };
    const std::size_t i = cluster_.add(std::move(spec));
    GS_ASSERT(i == index, "state cluster: instance {} added as {}", index, i);
    nodes_.push_back(std::move(node));
    return i;
  }
  void start_all() {
    for (std::size_t i = 0; i < nodes_.size(); ++i) cluster_.start(i);
  }

  GossipCluster& cluster() { return cluster_; }
  // The state provider's policy view: deny a peer here to deny it state transfer only.
  proto::Pki& acl_pki() { return acl_pki_; }
  proto::StateProvider& state(std::size_t i) { return *nodes_[i]->state; }
  std::uint64_t height(std::size_t i) const { return nodes_[i]->ledger.height(); }
  const std::vector<proto::Observation>& observations(std::size_t i) const { return cluster_.observations(i); }
  // Sequence numbers received by state transfer (first receipts), in arrival order.
  std::vector<std::uint64_t> received_via(std::size_t i, proto::BlockPath via) const {
    std::vector<std::uint64_t> out;
    for (const proto::Observation& o : observations(i))
      if (const auto* r = std::get_if<proto::BlockReceived>(&o.what); r && r->via == via && !r->duplicate)
        out.push_back(r->seq);
    return out;
  }
  bool wait_until(const std::function<bool()>& pred, Duration timeout, Duration poll = Duration::seconds(1)) {
    return cluster_.wait_until(pred, timeout, poll);
  }

 private:
  static ClusterOptions options(std::uint64_t seed) {
    ClusterOptions o;
    o.seed = seed;
    return o;
  }
  struct Node {
    proto::Ledger ledger;
    std::unique_ptr<proto::MessageCryptoService> mcs;
    std::unique_ptr<proto::StateProvider> state;
  };
  GossipCluster cluster_;
  proto::Pki acl_pki_{proto::IdentityScheme::fabric_test()};
  std::vector<std::unique_ptr<Node>> nodes_;
};

}  // namespace gs::testing
