// Leader election, one instance per channel (spec §7.3–§7.5; Fabric gossip/election/election.go).
//
// Fabric runs the election as three goroutines — a message handler, the run loop and (after
// Yield) a yield timer — that sleep on wall-clock time. Here they are one sans-IO state
// machine on the peer's virtual clock: every sleep of the run loop is one Env timer, and
// the code that follows the sleep is that timer's callback. The run loop is always in
// exactly one of these waits:
//
//   membership_sample   sleep-first sampling of |Peers()| (waitForMembershipStabilization)
//   proposal_wait       interruptible wait of LeaderElectionDuration after a proposal
//   declaration_wait    interruptible wait of LAT/2 after a declaration (leading)
//   follower_sleep      non-interruptible sleep of LAT (following)
//
// Interruptible waits end early when a declaration fills the one-slot interrupt (§7.3
// waitForInterrupt). The woken run loop continues at the same virtual instant but only
// after the message handler has finished (a zero-delay timer, "election.interrupted"):
// in Fabric the handler holds the election's lock while it fills the slot and steps down,
// so the woken loop sees the state the handler left.
//
// Messages and the view go through an ElectionAdapter (spec §7.2), implemented by the
// channel in a peer and by a harness in tests. The adapter must not call back into the
// election synchronously from gossip() or peers().
#pragma once

#include <cstddef>
#include <functional>
#include <set>
#include <vector>

#include "base/time.hpp"
#include "protocol/config.hpp"
#include "protocol/env.hpp"

namespace gs::proto {

// What the election sees of a LeadershipMessage (spec §1.3, §7.2): who sent it and whether
// it is a declaration ("I am the leader") or a proposal ("I could be the leader").
struct ElectionMessage {
  PkiId sender;
  bool is_declaration = false;
};

// The election's window on the rest of the peer (spec §7.2).
class ElectionAdapter {
 public:
  virtual ~ElectionAdapter() = default;
  // Create (seq++) and gossip a LeadershipMessage from this peer (spec §7.2 CreateMessage +
  // Gossip). Never delivered back to this peer.
  virtual void gossip(bool is_declaration) = 0;
  // The election's view (spec §7.2): v1.0 all alive discovery members; latest the same-org
  // members of the channel. A real view never contains self; the election also tolerates
  // one that does (Fabric's own election tests return every created peer, self included).
  virtual std::vector<PkiId> peers() = 0;
};

// Interval between a leader's declarations: LAT / 2 (spec §7.3, derived, not configurable).
constexpr Duration leader_declaration_interval(const ElectionConfig& cfg) { return cfg.leader_alive_threshold / 2; }
// Lifetime of the yield flag: 6 × LAT (spec §7.4).
constexpr Duration yield_duration(const ElectionConfig& cfg) { return cfg.leader_alive_threshold * 6; }

class LeaderElection {
 public:
  // Starts at once, as Fabric's NewLeaderElectionService does (spec §7.3 start()): the
  // first membership sample is taken now and the run loop begins after stabilization.
  // `yield_supported` selects v1.0.1+/latest behaviour (spec §7.4); fabric-1.0 (= v1.0.0)
  // has no Yield. `callback` reports every change of leadership (true: became leader,
  // false: stopped being leader); it may be empty, and it is never called after stop().
  // The callback may call yield() or stop().
  LeaderElection(Env& env, ElectionAdapter& adapter, PkiId self, const ElectionConfig& cfg, bool yield_supported,
                 std::function<void(bool is_leader)> callback);
  ~LeaderElection();
  LeaderElection(const LeaderElection&) = delete;
  LeaderElection& operator=(const LeaderElection&) = delete;

  // A leadership message de-multiplexed by the channel (spec §7.2 Accept). Ignored unless
  // its sender is in peers() (spec §7.3 onMessage), and ignored after stop().
  void handle_message(const ElectionMessage& m);

  // Spec §7.4: give up leadership for 6 × LAT (the delivery client cannot reach the
  // orderer). Does nothing unless yield is supported, this peer leads and is not yielding.
  void yield();

  // Ends every timer; no gossip and no callback afterwards. Idempotent. Like Fabric's
  // Stop, it leaves is_leader() as it was.
  void stop();

  bool is_leader() const { return is_leader_; }

 private:
  using Step = void (LeaderElection::*)();

  // --- waitForMembershipStabilization (§7.3) ---
  void on_membership_sample();
  // --- run loop (§7.3) ---
  void run_loop();
  void on_proposal_wait_end();
  void after_election();
  void become_leader_loop();
  void become_follower_loop();
  // --- waits ---
  void wait_for_interrupt(Duration d, const char* name, Step then);
  void end_wait();
  void wake_interrupted();
  void sleep(Duration d, const char* name, Step then);
  // --- role changes ---
  void become_leader();
  void stop_being_leader();
  void stop_yielding();
  bool in_view(const PkiId& id);

  Env& env_;
  ElectionAdapter& adapter_;
  const PkiId self_;
  const ElectionConfig cfg_;
  const bool yield_supported_;
  std::function<void(bool)> callback_;

  // Senders of proposals since the last follower() (§7.3: cleared only there). Ordered:
  // only membership and the minimum are read.
  std::set<PkiId> proposals_;
  bool leader_exists_ = false;
  bool is_leader_ = false;
  bool sleeping_ = false;   // inside an interruptible wait
  bool interrupt_ = false;  // the one-slot interrupt channel is full
  bool yielding_ = false;   // §7.4
  bool stopped_ = false;

  // The run loop's current wait (exactly one while running) and what follows it.
  TimerHandle wait_timer_;
  Step after_wait_ = nullptr;
  TimerHandle yield_timer_;

  // waitForMembershipStabilization state.
  Time stabilization_end_;
  std::size_t view_size_ = 0;
};

}  // namespace gs::proto
