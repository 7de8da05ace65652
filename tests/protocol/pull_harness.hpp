// Test harness for the pull engine (spec §11.7): a virtual clock, an Env over it, and a
// message router between engine instances with a configurable per-link delay.
//
// Mirrors Fabric's pull_test.go harness: every instance's SelectPeers returns a
// test-controlled list, messages travel with near-zero latency (100 µs by default here,
// instead of Go channel hand-offs), and every message sent is logged so tests can assert
// on digests, requests and responses. Everything runs on virtual time; a test of several
// simulated seconds takes milliseconds.
//
// Names carry a "PullTest" prefix so they never clash with other protocol test helpers.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/assert.hpp"
#include "base/callback.hpp"
#include "base/time.hpp"
#include "protocol/env.hpp"
#include "protocol/pull_engine.hpp"
#include "fake_env.hpp"

namespace gs::proto::pulltest {

// The deterministic test RNG shared by the protocol tests (splitmix64, unbiased below()).
using PullTestRng = test::FakeRng;

// A virtual clock with a timer queue ordered by (time, sequence number of scheduling).
class PullTestClock {
 public:
  Time now() const { return now_; }

  std::uint64_t schedule(Duration after, Callback cb) {
    GS_ASSERT(after >= Duration::zero(), "negative delay");
    const std::uint64_t id = ++seq_;
    const Key key{(now_ + after).ns(), id};
    queue_.emplace(key, std::move(cb));
    keys_.emplace(id, key);
    return id;
  }
  void cancel(std::uint64_t id) {
    const auto it = keys_.find(id);
    if (it == keys_.end()) return;
    queue_.erase(it->second);
    keys_.erase(it);
  }
  // Runs every event due at or before `limit`, then sets the clock to `limit`.
  void run_until(Time limit) {
    while (!queue_.empty() && queue_.begin()->first.first <= limit.ns()) {
      auto node = queue_.extract(queue_.begin());
      keys_.erase(node.key().second);
      now_ = Time::from_ns(node.key().first);
      node.mapped()();
    }
    now_ = limit;
  }
  void run_for(Duration d) { run_until(now_ + d); }
  std::size_t pending() const { return queue_.size(); }

 private:
  using Key = std::pair<std::int64_t, std::uint64_t>;
  Time now_ = Time::zero();
  std::uint64_t seq_ = 0;
  std::map<Key, Callback> queue_;
  std::map<std::uint64_t, Key> keys_;
};

// The timer and random-stream part of Env over a PullTestClock; the transport part is not
// used by pull tests and fails loudly if touched.
class PullTestEnv final : public Env {
 public:
  PullTestEnv(PullTestClock& clock, std::uint64_t seed) : clock_(clock), rng_(seed) {}

  Time now() const override { return clock_.now(); }
  TimerHandle set_timer(Duration after, const char* name, Callback cb) override {
    (void)name;
    return TimerHandle{clock_.schedule(after, std::move(cb))};
  }
  void cancel_timer(TimerHandle h) override {
    if (h) clock_.cancel(h.id);
  }
  Rng& rng(RngPurpose purpose) override {
    GS_ASSERT(purpose == RngPurpose::pull, "pull tests draw only from the pull stream");
    return rng_;
  }
  void dial(const Endpoint&, Duration, DialDone) override { GS_ASSERT(false, "pull tests do not dial"); }
  void write(ConnId, WirePacket) override { GS_ASSERT(false, "pull tests do not write"); }
  std::size_t unwritten(ConnId) const override { return 0; }
  void close(ConnId) override { GS_ASSERT(false, "pull tests do not close"); }
  void set_transport_handler(TransportHandler*) override {}
  void charge_cpu(Duration) override {}
  void observe(const Observation&) override {}

 private:
  PullTestClock& clock_;
  PullTestRng rng_;
};

inline std::uint64_t pull_test_seed(const std::string& name) {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a
  for (const char c : name) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  return h;
}

// One pull message on the test network.
enum class PullTestMsgKind { hello, digest, request, response };

struct PullTestMsg {
  PullTestMsgKind kind = PullTestMsgKind::hello;
  std::string from;
  std::string to;
  std::uint64_t nonce = 0;
  std::vector<std::string> items;
  Time sent_at;
};

class PullTestContext final : public PullContext {
 public:
  explicit PullTestContext(std::string sender) : sender_(std::move(sender)) {}
  const std::string& sender() const override { return sender_; }

 private:
  std::string sender_;
};

class PullEngineNet;

// One engine instance and its adapter (Fabric's pullTestInstance).
class PullEngineNode final : public PullAdapter {
 public:
  PullEngineNode(PullEngineNet& net, std::string name, std::uint64_t seed) : net_(net), name_(std::move(name)), env_(clock_of(net), seed) {}

  void start(PullEngineConfig config, PullDigestFilter filter) {
    engine_ = std::make_unique<PullEngine>(env_, *this, config, std::move(filter));
  }

  PullEngine& engine() { return *engine_; }
  const std::string& name() const { return name_; }
  // Fabric's setNextPeerSelection: SelectPeers returns this list from now on.
  void set_next_peer_selection(std::vector<std::string> peers) { selection_ = std::move(peers); }

  std::vector<std::string> select_peers() override { return selection_; }
  void hello(const std::string& dest, std::uint64_t nonce) override;
  void send_digest(const std::vector<std::string>& digest, std::uint64_t nonce, const PullContext& context) override;
  void send_req(const std::string& dest, const std::vector<std::string>& items, std::uint64_t nonce) override;
  void send_res(const std::vector<std::string>& items, const PullContext& context, std::uint64_t nonce) override;

 private:
  static PullTestClock& clock_of(PullEngineNet& net);

  PullEngineNet& net_;
  std::string name_;
  PullTestEnv env_;
  std::vector<std::string> selection_;
  std::unique_ptr<PullEngine> engine_;
};

// The network: named engine instances sharing one clock, per-link delays, a message log.
class PullEngineNet {
 public:
  explicit PullEngineNet(PullEngineConfig config, Duration default_delay = Duration::microseconds(100))
      : config_(config), default_delay_(default_delay) {}
  PullEngineNet(const PullEngineNet&) = delete;
  PullEngineNet& operator=(const PullEngineNet&) = delete;

  PullEngineNode& spawn(const std::string& name, PullDigestFilter filter = {}) {
    auto [it, inserted] = nodes_.emplace(name, std::make_unique<PullEngineNode>(*this, name, pull_test_seed(name)));
    GS_ASSERT(inserted, "duplicate node {}", name);
    it->second->start(config_, std::move(filter));
    return *it->second;
  }
  PullEngineNode& node(const std::string& name) {
    const auto it = nodes_.find(name);
    GS_ASSERT(it != nodes_.end(), "no node {}", name);
    return *it->second;
  }
  PullEngine& engine(const std::string& name) { return node(name).engine(); }

  // Every message `from` sends takes `d` (Fabric's LatePeers: a peer delaying all its messages).
  void set_send_delay(const std::string& from, Duration d) { send_delay_[from] = d; }
  void set_link_delay(const std::string& from, const std::string& to, Duration d) { link_delay_[{from, to}] = d; }
  Duration delay(const std::string& from, const std::string& to) const {
    if (const auto it = link_delay_.find({from, to}); it != link_delay_.end()) return it->second;
    if (const auto it = send_delay_.find(from); it != send_delay_.end()) return it->second;
    return default_delay_;
  }

  // Sends a message (logged; delivered after the link delay). Tests use it directly to
  // inject forged messages (ByzantineResponder).
  void send(PullTestMsg msg) {
    msg.sent_at = clock_.now();
    auto shared = std::make_shared<const PullTestMsg>(std::move(msg));
    log_.push_back(*shared);
    clock_.schedule(delay(shared->from, shared->to), [this, shared] { deliver(*shared); });
  }

  // Called for every message just before it is handed to its recipient (Fabric's
  // instance hooks).
  void set_delivery_hook(std::function<void(const PullTestMsg&)> hook) { delivery_hook_ = std::move(hook); }

  void run_for(Duration d) { clock_.run_for(d); }
  Time now() const { return clock_.now(); }
  PullTestClock& clock() { return clock_; }
  const std::vector<PullTestMsg>& log() const { return log_; }
  std::vector<PullTestMsg> sent(PullTestMsgKind kind, const std::string& from = "", const std::string& to = "") const {
    std::vector<PullTestMsg> out;
    for (const PullTestMsg& m : log_) {
      if (m.kind == kind && (from.empty() || m.from == from) && (to.empty() || m.to == to)) out.push_back(m);
    }
    return out;
  }

 private:
  void deliver(const PullTestMsg& m) {
    if (delivery_hook_) delivery_hook_(m);
    const auto it = nodes_.find(m.to);
    if (it == nodes_.end()) return;
    PullEngine& e = it->second->engine();
    const PullTestContext context(m.from);
    switch (m.kind) {
      case PullTestMsgKind::hello: e.on_hello(m.nonce, context); break;
      case PullTestMsgKind::digest: e.on_digest(m.items, m.nonce, context); break;
      case PullTestMsgKind::request: e.on_req(m.items, m.nonce, context); break;
      case PullTestMsgKind::response: e.on_res(m.items, m.nonce); break;
    }
  }

  PullEngineConfig config_;
  Duration default_delay_;
  PullTestClock clock_;
  std::map<std::string, std::unique_ptr<PullEngineNode>> nodes_;
  std::map<std::string, Duration> send_delay_;
  std::map<std::pair<std::string, std::string>, Duration> link_delay_;
  std::vector<PullTestMsg> log_;
  std::function<void(const PullTestMsg&)> delivery_hook_;
};

inline PullTestClock& PullEngineNode::clock_of(PullEngineNet& net) { return net.clock(); }

inline void PullEngineNode::hello(const std::string& dest, std::uint64_t nonce) {
  net_.send({PullTestMsgKind::hello, name_, dest, nonce, {}, {}});
}
inline void PullEngineNode::send_digest(const std::vector<std::string>& digest, std::uint64_t nonce,
                                        const PullContext& context) {
  net_.send({PullTestMsgKind::digest, name_, context.sender(), nonce, digest, {}});
}
inline void PullEngineNode::send_req(const std::string& dest, const std::vector<std::string>& items,
                                     std::uint64_t nonce) {
  net_.send({PullTestMsgKind::request, name_, dest, nonce, items, {}});
}
inline void PullEngineNode::send_res(const std::vector<std::string>& items, const PullContext& context,
                                     std::uint64_t nonce) {
  net_.send({PullTestMsgKind::response, name_, context.sender(), nonce, items, {}});
}

// Items "0".."n-1" as strings, the ids Fabric's tests use.
inline std::vector<std::string> pull_test_ids(int from, int to_exclusive) {
  std::vector<std::string> out;
  for (int i = from; i < to_exclusive; ++i) out.push_back(std::to_string(i));
  return out;
}

// §11.7 overrides: DigestWaitTime 100 ms, RequestWaitTime 200 ms, ResponseWaitTime 200 ms,
// PullInterval 500 ms.
inline PullEngineConfig pull_test_config() {
  PullEngineConfig c;
  c.digest_wait_time = Duration::milliseconds(100);
  c.request_wait_time = Duration::milliseconds(200);
  c.response_wait_time = Duration::milliseconds(200);
  c.pull_interval = Duration::milliseconds(500);
  return c;
}

}  // namespace gs::proto::pulltest
