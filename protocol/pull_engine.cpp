#include "protocol/pull_engine.hpp"

#include <utility>

#include <fmt/format.h>

#include "base/assert.hpp"

namespace gs::proto {

std::optional<std::string> PullEngineConfig::problem() const {
  const std::pair<const char*, Duration> timings[] = {
      {"digestWaitTime", digest_wait_time},
      {"requestWaitTime", request_wait_time},
      {"responseWaitTime", response_wait_time},
      {"pullInterval", pull_interval},
  };
  for (const auto& [key, value] : timings) {
    if (value <= Duration::zero()) {
      return fmt::format("peer.gossip.{} must be positive, got {}", key, value);
    }
  }
  return std::nullopt;
}

PullEngine::PullEngine(Env& env, PullAdapter& adapter, PullEngineConfig config, PullDigestFilter egress_filter)
    : env_(env), adapter_(adapter), config_(config), egress_filter_(std::move(egress_filter)) {
  const auto problem = config_.problem();
  GS_ASSERT(!problem, "pull engine config: {}", problem.value_or(""));
  schedule_round();
}

PullEngine::~PullEngine() { stop(); }

void PullEngine::add(const std::string& item) { state_.insert(item); }

void PullEngine::add(const std::vector<std::string>& items) { state_.insert(items.begin(), items.end()); }

void PullEngine::remove(const std::string& item) { state_.erase(item); }

void PullEngine::stop() {
  if (stopped_) return;
  stopped_ = true;
  env_.cancel_timer(round_timer_);
  round_timer_ = {};
  for (const auto& [key, handle] : round_timers_) env_.cancel_timer(handle);
  round_timers_.clear();
  for (const auto& [nonce, entry] : incoming_nonces_) env_.cancel_timer(entry.forget_timer);
  incoming_nonces_.clear();
}

// spec §0.2 sleep-first loop, period PullInterval: wait, initiate, wait, initiate... A round
// does not delay the next one (a simulated round takes no time to initiate).
void PullEngine::schedule_round() {
  round_timer_ = env_.set_timer(config_.pull_interval, "pull.round", [this] {
    round_timer_ = {};
    initiate_pull();
    if (!stopped_) schedule_round();
  });
}

void PullEngine::set_round_timer(Duration after, const char* name, void (PullEngine::*action)()) {
  const std::uint64_t key = next_round_timer_key_++;
  round_timers_[key] = env_.set_timer(after, name, [this, key, action] {
    round_timers_.erase(key);
    (this->*action)();
  });
}

// spec §3.3 initiatePull.
void PullEngine::initiate_pull() {
  accepting_digests_ = true;
  for (const std::string& peer : adapter_.select_peers()) {
    const std::uint64_t nonce = new_nonce();
    outgoing_nonces_.insert(nonce);
    nonces2peers_[nonce] = peer;
    peers2nonces_[peer] = nonce;
    adapter_.hello(peer, nonce);
  }
  set_round_timer(config_.digest_wait_time, "pull.digest_wait", &PullEngine::process_incoming_digests);
}

// spec §3.3: a fresh random uint64 not already among this round's outgoing nonces.
std::uint64_t PullEngine::new_nonce() {
  Rng& rng = env_.rng(RngPurpose::pull);
  for (;;) {
    const std::uint64_t n = rng.next_u64();
    if (outgoing_nonces_.count(n) == 0) return n;
  }
}

// spec §3.3 processIncomingDigests: one owner per wanted id, chosen uniformly at random
// among the peers that advertised it; one request per chosen owner.
void PullEngine::process_incoming_digests() {
  accepting_digests_ = false;
  std::map<std::string, std::vector<std::string>> requests;  // owner -> ids
  Rng& rng = env_.rng(RngPurpose::pull);
  for (const auto& [item, owners] : item2owners_) {
    const std::string& owner = owners[rng.below(owners.size())];
    requests[owner].push_back(item);
  }
  accepting_responses_ = true;
  for (const auto& [owner, items] : requests) {
    // An owner is in item2owners only through a digest carrying one of our outgoing
    // nonces; if a newer round re-selected that peer, peers2nonces holds the newer nonce,
    // as in Fabric (the maps are shared by overlapping rounds, spec §3.3 notes).
    const auto nonce = peers2nonces_.find(owner);
    GS_ASSERT(nonce != peers2nonces_.end(), "pull: digest owner {} has no outgoing nonce", owner);
    adapter_.send_req(owner, items, nonce->second);
  }
  // The response window is closed, like the responder's nonce window: a response arriving
  // exactly ResponseWaitTime after the requests is accepted, because endPull runs 1 ns later
  // (every response is scheduled after this timer, so nothing else can fall between). It
  // also settles the tie of Fabric's own mediator tests (PullInterval == ResponseWaitTime):
  // the next round's digest processing, due at the same instant as this round's endPull,
  // runs first. See docs/protocol-notes.md "Overlapping pull rounds".
  set_round_timer(config_.response_wait_time + Duration::nanoseconds(1), "pull.response_wait", &PullEngine::end_pull);
}

// spec §3.3 endPull. Clears the maps shared by all rounds: when rounds overlap
// (PullInterval < DigestWaitTime + ResponseWaitTime), the end of an older round also
// discards the newer round's nonces and stops it accepting responses — reproduced as is.
void PullEngine::end_pull() {
  accepting_responses_ = false;
  outgoing_nonces_.clear();
  item2owners_.clear();
  peers2nonces_.clear();
  nonces2peers_.clear();
}

bool PullEngine::passes_filter(const PullContext& context, const std::string& item) const {
  return !egress_filter_ || egress_filter_(context, item);
}

// spec §3.3 OnHello. The nonce's lifetime is measured from its receipt; see
// incoming_nonce_valid() for the boundary rule.
void PullEngine::on_hello(std::uint64_t nonce, const PullContext& context) {
  if (stopped_) return;
  IncomingNonce& entry = incoming_nonces_[nonce];
  env_.cancel_timer(entry.forget_timer);  // the same nonce again restarts its lifetime
  entry.received_at = env_.now();
  // The forget-nonce timer fires 1 ns after the last instant at which the nonce is valid,
  // so whatever order same-instant events run in, the nonce is present for the whole
  // inclusive window [received_at, received_at + RequestWaitTime].
  entry.forget_timer = env_.set_timer(config_.request_wait_time + Duration::nanoseconds(1), "pull.forget_nonce",
                                      [this, nonce] { forget_incoming_nonce(nonce); });

  std::vector<std::string> digest;
  for (const std::string& item : state_) {
    if (passes_filter(context, item)) digest.push_back(item);
  }
  if (digest.empty()) return;  // spec §3.3: empty digests are never sent
  adapter_.send_digest(digest, nonce, context);
}

void PullEngine::forget_incoming_nonce(std::uint64_t nonce) { incoming_nonces_.erase(nonce); }

// spec §3.3 timing hazard (v1.0 quirk, Appendix B.5). Rule implemented: a hello nonce is
// valid while now − received_at ≤ RequestWaitTime — inclusive, so a request arriving
// exactly at the expiry instant is still accepted. This equals Fabric's behaviour with the
// forget-nonce timer processed after same-instant deliveries (the spec's recommendation),
// makes the outcome independent of event tie-breaking, and, with positive network latency
// and the v1.0 defaults (RequestWaitTime = DigestWaitTime), accepts a request iff
// latency(request) ≤ latency(hello). The explicit time check (not only the timer) keeps the
// rule exact even for a request delivered at the forget timer's own instant but ordered
// before it.
bool PullEngine::incoming_nonce_valid(std::uint64_t nonce) const {
  const auto it = incoming_nonces_.find(nonce);
  return it != incoming_nonces_.end() && env_.now() - it->second.received_at <= config_.request_wait_time;
}

// spec §3.3 OnDigest.
void PullEngine::on_digest(const std::vector<std::string>& digest, std::uint64_t nonce, const PullContext& context) {
  (void)context;  // Fabric attributes the digest to the nonce's peer, not to its sender
  if (stopped_ || !accepting_digests_ || outgoing_nonces_.count(nonce) == 0) return;
  const std::string& owner = nonces2peers_.at(nonce);
  for (const std::string& item : digest) {
    if (state_.count(item) != 0) continue;
    item2owners_[item].push_back(owner);
  }
}

// spec §3.3 OnReq.
void PullEngine::on_req(const std::vector<std::string>& items, std::uint64_t nonce, const PullContext& context) {
  if (stopped_ || !incoming_nonce_valid(nonce)) return;
  std::vector<std::string> to_send;
  for (const std::string& item : items) {
    if (state_.count(item) != 0 && passes_filter(context, item)) to_send.push_back(item);
  }
  if (to_send.empty()) return;
  adapter_.send_res(to_send, context, nonce);
}

// spec §3.3 OnRes: every item of an accepted response enters the state, requested or not.
void PullEngine::on_res(const std::vector<std::string>& items, std::uint64_t nonce) {
  if (stopped_ || outgoing_nonces_.count(nonce) == 0 || !accepting_responses_) return;
  add(items);
}

}  // namespace gs::proto
