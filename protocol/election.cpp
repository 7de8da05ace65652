#include "protocol/election.hpp"

#include <algorithm>
#include <utility>

#include "base/assert.hpp"

namespace gs::proto {

LeaderElection::LeaderElection(Env& env, ElectionAdapter& adapter, PkiId self, const ElectionConfig& cfg,
                               bool yield_supported, std::function<void(bool is_leader)> callback)
    : env_(env),
      adapter_(adapter),
      self_(std::move(self)),
      cfg_(cfg),
      yield_supported_(yield_supported),
      callback_(std::move(callback)) {
  // resolve() rejects these for scenarios; a zero period here would spin the run loop at one
  // instant forever, so reaching this with one is a bug.
  GS_ASSERT(cfg_.membership_sample_interval > Duration::zero(), "election {}: membershipSampleInterval {} not positive",
            self_, cfg_.membership_sample_interval);
  GS_ASSERT(leader_declaration_interval(cfg_) > Duration::zero(), "election {}: leaderAliveThreshold {} too small",
            self_, cfg_.leader_alive_threshold);
  GS_ASSERT(cfg_.leader_election_duration >= Duration::zero(), "election {}: negative leaderElectionDuration {}",
            self_, cfg_.leader_election_duration);
  // spec §7.3 start() -> waitForMembershipStabilization(StartupGracePeriod). The message
  // handler is live from here on: a declaration heard now already counts.
  stabilization_end_ = env_.now() + cfg_.startup_grace_period;
  view_size_ = adapter_.peers().size();
  sleep(cfg_.membership_sample_interval, "election.membership_sample", &LeaderElection::on_membership_sample);
}

LeaderElection::~LeaderElection() { stop(); }

// spec §7.3 waitForMembershipStabilization: sleep-first sampling; stop on an unchanged view
// size, on passing the deadline (strictly after it, like Go's time.After), or once some
// leader has declared itself.
void LeaderElection::on_membership_sample() {
  const std::size_t size = adapter_.peers().size();
  if (size == view_size_ || env_.now() > stabilization_end_ || leader_exists_) {
    run_loop();
    return;
  }
  view_size_ = size;
  sleep(cfg_.membership_sample_interval, "election.membership_sample", &LeaderElection::on_membership_sample);
}

// spec §7.3 run(): one iteration, up to its first wait.
void LeaderElection::run_loop() {
  if (stopped_) return;
  if (!leader_exists_) {
    // leaderElection(). spec §7.4: a yielding peer neither proposes nor can win.
    if (!yielding_) {
      adapter_.gossip(false);
      wait_for_interrupt(cfg_.leader_election_duration, "election.proposal_wait",
                         &LeaderElection::on_proposal_wait_end);
      return;
    }
  }
  after_election();
}

// spec §7.3 leaderElection() after its wait: give up if anyone declared, if we started
// yielding meanwhile, or if a lower PKI-ID proposed since our last follower() (proposals
// are not cleared between elections: a proposal heard before ours still counts).
void LeaderElection::on_proposal_wait_end() {
  const bool lower_candidate = !proposals_.empty() && *proposals_.begin() < self_;
  if (!leader_exists_ && !yielding_ && !lower_candidate) {
    become_leader();
    leader_exists_ = true;  // after the callback, as Fabric orders it
  }
  after_election();
}

// spec §7.3 run(), the rest of the iteration.
void LeaderElection::after_election() {
  // spec §7.4: somebody declared while we were yielding: stop yielding early.
  if (leader_exists_ && yielding_) stop_yielding();
  if (stopped_) return;
  if (is_leader_) {
    become_leader_loop();
  } else {
    become_follower_loop();
  }
}

// spec §7.3 leader(): declare, then wait LAT/2 — interruptible, so a declaration from
// anyone (a higher ID: we keep leading) makes us re-declare at once.
void LeaderElection::become_leader_loop() {
  adapter_.gossip(true);
  wait_for_interrupt(leader_declaration_interval(cfg_), "election.declaration_wait", &LeaderElection::run_loop);
}

// spec §7.3 follower(): forget proposals and the leader, then sleep LAT without interrupt;
// a declaration heard during the sleep sets leader_exists_ again and so keeps us following
// (stickiness).
void LeaderElection::become_follower_loop() {
  proposals_.clear();
  leader_exists_ = false;
  sleep(cfg_.leader_alive_threshold, "election.follower_sleep", &LeaderElection::run_loop);
}

void LeaderElection::wait_for_interrupt(Duration d, const char* name, Step then) {
  sleeping_ = true;
  sleep(d, name, then);
}

void LeaderElection::sleep(Duration d, const char* name, Step then) {
  GS_ASSERT(!wait_timer_, "election {}: run loop entered a second wait ({})", self_, name);
  after_wait_ = then;
  wait_timer_ = env_.set_timer(d, name, [this] { end_wait(); });
}

// The run loop's wait is over (timeout or interrupt). spec §7.3 waitForInterrupt: leave the
// sleeping state and drain the interrupt slot, so declarations heard during this wait do not
// cut the next one short.
void LeaderElection::end_wait() {
  wait_timer_ = {};
  sleeping_ = false;
  interrupt_ = false;
  const Step next = std::exchange(after_wait_, nullptr);
  (this->*next)();
}

// The interrupt slot was just filled: the waiting run loop resumes now, after the handler.
void LeaderElection::wake_interrupted() {
  env_.cancel_timer(wait_timer_);
  wait_timer_ = env_.set_timer(Duration::zero(), "election.interrupted", [this] { end_wait(); });
}

// spec §7.3 onMessage.
void LeaderElection::handle_message(const ElectionMessage& m) {
  if (stopped_ || !in_view(m.sender)) return;
  if (!m.is_declaration) {
    proposals_.insert(m.sender);
    return;
  }
  leader_exists_ = true;
  // The slot is filled only while sleeping in an interruptible wait, and only once.
  const bool wake = sleeping_ && !interrupt_;
  if (wake) interrupt_ = true;
  // Tie-break (spec §0.2): bytewise, lowest PKI-ID wins; a higher one does not unseat us.
  if (m.sender < self_ && is_leader_) stop_being_leader();
  if (wake && !stopped_) wake_interrupted();
}

// spec §7.4 Yield.
void LeaderElection::yield() {
  if (!yield_supported_ || stopped_ || !is_leader_ || yielding_) return;
  yielding_ = true;
  stop_being_leader();
  leader_exists_ = false;  // we might have been the leader everybody (including us) saw
  if (stopped_) return;    // the callback stopped us
  yield_timer_ = env_.set_timer(yield_duration(cfg_), "election.yield", [this] {
    yield_timer_ = {};
    yielding_ = false;
  });
}

void LeaderElection::stop_yielding() {
  yielding_ = false;
  env_.cancel_timer(yield_timer_);
  yield_timer_ = {};
}

void LeaderElection::stop() {
  if (stopped_) return;
  stopped_ = true;
  env_.cancel_timer(wait_timer_);
  env_.cancel_timer(yield_timer_);
  wait_timer_ = {};
  yield_timer_ = {};
  after_wait_ = nullptr;
  sleeping_ = false;
  interrupt_ = false;
}

void LeaderElection::become_leader() {
  is_leader_ = true;
  if (callback_) callback_(true);
}

void LeaderElection::stop_being_leader() {
  is_leader_ = false;
  if (callback_ && !stopped_) callback_(false);
}

// spec §7.3: messages from peers outside the view are ignored (Fabric's isAlive).
bool LeaderElection::in_view(const PkiId& id) {
  const std::vector<PkiId> view = adapter_.peers();
  return std::find(view.begin(), view.end(), id) != view.end();
}

}  // namespace gs::proto
