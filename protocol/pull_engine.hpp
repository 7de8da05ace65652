// The pull engine (spec §3.1–3.3; Fabric gossip/gossip/algo/pull.go).
//
// A four-phase anti-entropy exchange over opaque string item IDs:
//
//   initiator                         responder
//     Hello{n}        ------------->  remember n for RequestWaitTime
//                     <-------------  Digest{n, ids}   (only if non-empty after the filter)
//     ... DigestWaitTime after the hellos: choose one owner per missing id ...
//     Request{n, ids} ------------->  (only if n is still remembered)
//                     <-------------  Update{n, ids}   (only if non-empty after the filter)
//     ... responses accepted for ResponseWaitTime after the requests ...
//
// Sans-IO: the engine never sends anything itself. Messages leave through a PullAdapter
// (implemented by the pull mediator, §3.4, or by a test harness); time, timers and random
// draws come from the peer's Env (stream RngPurpose::pull). Incoming messages are fed in
// with on_hello / on_digest / on_req / on_res.
//
// The adapter must not call back into the engine synchronously from one of its methods
// (a transport delivers later, never inside the send call).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "protocol/env.hpp"

namespace gs::proto {

// Timings of one engine (spec §3.1 table, §10 peer.gossip.* keys). Fabric reads these once,
// per engine, at construction.
struct PullEngineConfig {
  // peer.gossip.digestWaitTime: how long the initiator collects digests after sending its
  // hellos before it requests what it lacks. v1.0 and latest: 1 s.
  Duration digest_wait_time = Duration::seconds(1);
  // peer.gossip.requestWaitTime: how long a responder keeps an incoming hello nonce valid
  // (counted from when the hello was received). v1.0: 1 s; latest (since v1.2): 1.5 s — it
  // "should be slightly bigger than digestWaitTime" (spec §3.3 timing hazard; see
  // docs/protocol-notes.md for the boundary rule this engine implements).
  Duration request_wait_time = Duration::seconds(1);
  // peer.gossip.responseWaitTime: how long the initiator accepts updates after sending its
  // requests (a closed window: an update arriving exactly at its end is still accepted).
  // v1.0 and latest: 2 s.
  Duration response_wait_time = Duration::seconds(2);
  // peer.gossip.pullInterval: period of the sleep-first round loop (the first round starts
  // one interval after construction). 4 s. Should exceed digest_wait_time +
  // response_wait_time so that rounds do not overlap; like Fabric, this is not enforced
  // (spec §3.3 notes) and overlapping rounds share the engine's per-round maps.
  Duration pull_interval = Duration::seconds(4);

  // v1.0 defaults (spec §3.1): 1 s / 1 s / 2 s, PullInterval 4 s.
  static PullEngineConfig fabric_1_0() { return {}; }
  // latest defaults (spec §3.1, §12): 1 s / 1.5 s / 2 s, PullInterval 4 s.
  static PullEngineConfig latest() {
    PullEngineConfig c;
    c.request_wait_time = Duration::milliseconds(1500);
    return c;
  }

  // Why these timings cannot run, or nullopt when they can. Every duration must be
  // positive (a zero pull interval would start rounds forever at one instant).
  std::optional<std::string> problem() const;
};

// The message a hello or request arrived in, as the engine sees it. The engine only hands
// it back, unchanged and synchronously, to the adapter (SendDigest / SendRes answer on it:
// the mediator's Respond(), spec §3.4) and to the egress digest filter (which decides per
// requester, §2.11). Callers derive their own context type from it.
class PullContext {
 public:
  virtual ~PullContext() = default;
  // Name of the peer the hello/request came from (for filters, logs and tests).
  virtual const std::string& sender() const = 0;
};

// How the engine reaches the outside world (Fabric's PullAdapter, spec §3.3 pseudocode).
// Peer names are whatever the adapter uses (the mediator: endpoints).
class PullAdapter {
 public:
  virtual ~PullAdapter() = default;
  // SelectPeers: the peers to pull from in this round.
  virtual std::vector<std::string> select_peers() = 0;
  // Hello: start the exchange with `dest`, identified by `nonce`.
  virtual void hello(const std::string& dest, std::uint64_t nonce) = 0;
  // SendDigest: answer a hello (received in `context`) with the ids we hold.
  virtual void send_digest(const std::vector<std::string>& digest, std::uint64_t nonce,
                           const PullContext& context) = 0;
  // SendReq: ask `dest` for `items` under the nonce of the hello we sent it.
  virtual void send_req(const std::string& dest, const std::vector<std::string>& items,
                        std::uint64_t nonce) = 0;
  // SendRes: answer a request (received in `context`) with the items.
  virtual void send_res(const std::vector<std::string>& items, const PullContext& context,
                        std::uint64_t nonce) = 0;
};

// Egress digest filter (Fabric's DigestFilter): may `item` be shown to the requester of
// `context`? Applied to digests and to responses (spec §3.3 OnHello/OnReq). Empty = show all.
using PullDigestFilter = std::function<bool(const PullContext& context, const std::string& item)>;

class PullEngine {
 public:
  // Starts the sleep-first round loop at once (first round at now + pull_interval), as
  // Fabric's constructor does. `env` and `adapter` must outlive the engine.
  PullEngine(Env& env, PullAdapter& adapter, PullEngineConfig config, PullDigestFilter egress_filter = {});
  ~PullEngine();
  PullEngine(const PullEngine&) = delete;
  PullEngine& operator=(const PullEngine&) = delete;

  // Local item set (spec §3.2 `state`). Adding a present id / removing an absent one is
  // harmless.
  void add(const std::string& item);
  void add(const std::vector<std::string>& items);
  void remove(const std::string& item);
  bool contains(const std::string& item) const { return state_.count(item) != 0; }
  std::size_t size() const { return state_.size(); }
  // The ids held, in ascending order.
  std::vector<std::string> items() const { return {state_.begin(), state_.end()}; }

  // Stops the engine for good: no further rounds, every pending timer cancelled, and
  // every later on_* call ignored (a stopped peer neither initiates nor answers). Fabric's
  // Stop only ends the round loop and relies on the peer's comm layer being stopped too;
  // a sans-IO engine cannot rely on that, so it goes inert itself.
  void stop();
  bool stopped() const { return stopped_; }

  // Incoming pull messages (spec §3.3).
  void on_hello(std::uint64_t nonce, const PullContext& context);
  void on_digest(const std::vector<std::string>& digest, std::uint64_t nonce, const PullContext& context);
  void on_req(const std::vector<std::string>& items, std::uint64_t nonce, const PullContext& context);
  void on_res(const std::vector<std::string>& items, std::uint64_t nonce);

  const PullEngineConfig& config() const { return config_; }

 private:
  struct IncomingNonce {
    Time received_at;
    TimerHandle forget_timer;
  };

  void schedule_round();
  void initiate_pull();
  void process_incoming_digests();
  void end_pull();
  void forget_incoming_nonce(std::uint64_t nonce);
  bool incoming_nonce_valid(std::uint64_t nonce) const;
  std::uint64_t new_nonce();
  bool passes_filter(const PullContext& context, const std::string& item) const;
  // One-shot timers of a round (digest wait, response wait), tracked so that stop() and the
  // destructor can cancel them.
  void set_round_timer(Duration after, const char* name, void (PullEngine::*action)());

  Env& env_;
  PullAdapter& adapter_;
  PullEngineConfig config_;
  PullDigestFilter egress_filter_;
  bool stopped_ = false;

  // spec §3.2. Ordered containers: digests, request grouping and owner draws follow key
  // order, so runs are reproducible (DESIGN.md "Determinism").
  std::set<std::string> state_;
  std::map<std::string, std::vector<std::string>> item2owners_;
  std::map<std::string, std::uint64_t> peers2nonces_;
  std::map<std::uint64_t, std::string> nonces2peers_;
  std::set<std::uint64_t> outgoing_nonces_;
  std::map<std::uint64_t, IncomingNonce> incoming_nonces_;
  bool accepting_digests_ = false;
  bool accepting_responses_ = false;

  TimerHandle round_timer_;
  std::uint64_t next_round_timer_key_ = 0;
  std::map<std::uint64_t, TimerHandle> round_timers_;
};

}  // namespace gs::proto
