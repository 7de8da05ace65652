// The message store (spec §4, Fabric `msgstore/msgs.go`): an ordered list of messages
// governed by a replacement policy, optionally expiring entries after a TTL.
//
// Serves the block store (policy K = MaxBlockCountToStore), the StateInfo cache, the
// leadership store, the gossip-level StateInfo store and discovery's alive store
// (spec §4.3). Generic over the stored type: gossip uses EnvelopePtr with
// MessageComparator (instantiated once in msgstore.cpp); tests use ints.
//
// Single-threaded: Fabric's external lock (taken by the expiration check) has no
// equivalent; whoever needs a consistent view simply runs in the same event.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "base/assert.hpp"
#include "base/time.hpp"
#include "protocol/env.hpp"
#include "protocol/message.hpp"

namespace gs::proto {

template <typename Msg>
class MessageStore {
 public:
  // pol(this = new message, that = stored message), spec §1.5.
  using Policy = std::function<InvalidationResult(const Msg& this_msg, const Msg& that_msg)>;
  // Called with each message evicted by Add (INVALIDATES) or removed by Purge.
  using InvalidationTrigger = std::function<void(const Msg&)>;
  // Called once per entry when it expires (age > TTL).
  using ExpireCallback = std::function<void(const Msg&)>;

  struct Expiration {
    Env* env = nullptr;
    Duration ttl;               // > 0
    ExpireCallback on_expire;   // may be empty
    const char* timer_name = "msgstore.expire";
  };

  // A store without expiration (spec §4.1).
  MessageStore(Policy pol, InvalidationTrigger trigger) : pol_(std::move(pol)), trigger_(std::move(trigger)) {}

  // An expirable store (spec §4.2): a sleep-first check loop with period TTL/100 marks
  // entries older than TTL expired (calling on_expire) and silently removes entries
  // older than 2×TTL.
  MessageStore(Policy pol, InvalidationTrigger trigger, Expiration exp)
      : pol_(std::move(pol)), trigger_(std::move(trigger)), exp_(std::move(exp)) {
    GS_ASSERT(exp_->env != nullptr, "msgstore: expirable store needs an Env");
    GS_ASSERT(exp_->ttl > Duration::zero(), "msgstore: TTL must be positive, got {}", exp_->ttl);
    check_interval_ = exp_->ttl / 100;
    if (check_interval_ <= Duration::zero()) check_interval_ = Duration::nanoseconds(1);
    arm_expiration_timer();
  }

  MessageStore(const MessageStore&) = delete;
  MessageStore& operator=(const MessageStore&) = delete;
  ~MessageStore() { stop(); }

  // spec §4.1 Add: scan in order; INVALIDATED rejects m (entries evicted earlier in the
  // scan stay evicted); INVALIDATES evicts the stored entry. Triggers of evicted entries
  // run after the scan, in store order (Fabric runs them under the store lock, so they
  // cannot observe the difference).
  bool add(Msg m) {
    std::vector<Msg> evicted;
    bool rejected = false;
    std::size_t kept = 0;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (!rejected) {
        const InvalidationResult r = pol_(m, entries_[i].msg);
        if (r == InvalidationResult::INVALIDATED) {
          rejected = true;
        } else if (r == InvalidationResult::INVALIDATES) {
          evicted.push_back(std::move(entries_[i].msg));
          continue;
        }
      }
      if (kept != i) entries_[kept] = std::move(entries_[i]);
      ++kept;
    }
    entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(kept), entries_.end());
    for (const Msg& e : evicted) fire_trigger(e);
    if (rejected) return false;
    entries_.push_back(Entry{std::move(m), now(), false});
    return true;
  }

  // spec §4.1 CheckValid: false iff some stored entry (expired ones included) makes m
  // INVALIDATED.
  bool check_valid(const Msg& m) const {
    for (const Entry& e : entries_) {
      if (pol_(m, e.msg) == InvalidationResult::INVALIDATED) return false;
    }
    return true;
  }

  // Messages of non-expired entries, in store order.
  std::vector<Msg> get() const {
    std::vector<Msg> out;
    out.reserve(entries_.size());
    for (const Entry& e : entries_) {
      if (!e.expired) out.push_back(e.msg);
    }
    return out;
  }

  // Count of non-expired entries.
  std::size_t size() const {
    std::size_t n = 0;
    for (const Entry& e : entries_) n += e.expired ? 0 : 1;
    return n;
  }

  // spec §4.1 Purge: remove every entry (expired or not) matching pred, calling the
  // invalidation trigger for each, in store order.
  template <typename Pred>
  void purge(Pred&& pred) {
    std::vector<Msg> removed;
    std::size_t kept = 0;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (pred(static_cast<const Msg&>(entries_[i].msg))) {
        removed.push_back(std::move(entries_[i].msg));
        continue;
      }
      if (kept != i) entries_[kept] = std::move(entries_[i]);
      ++kept;
    }
    entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(kept), entries_.end());
    for (const Msg& m : removed) fire_trigger(m);
  }

  // Ends expiration for good (spec §11.5 TestStop). Harmless on non-expirable stores.
  void stop() {
    stopped_ = true;
    if (exp_) exp_->env->cancel_timer(timer_);
    timer_ = TimerHandle{};
  }

  bool expirable() const { return exp_.has_value(); }
  // Every entry including expired ones (for diagnostics and invariant checks).
  std::size_t size_including_expired() const { return entries_.size(); }

 private:
  struct Entry {
    Msg msg;
    Time created;
    bool expired;
  };

  Time now() const { return exp_ ? exp_->env->now() : Time::zero(); }

  void fire_trigger(const Msg& m) {
    if (trigger_) trigger_(m);
  }

  void arm_expiration_timer() {
    timer_ = exp_->env->set_timer(check_interval_, exp_->timer_name, [this] { on_expiration_timer(); });
  }

  // spec §4.2: sleep-first, period TTL/100.
  void on_expiration_timer() {
    timer_ = TimerHandle{};
    if (stopped_) return;
    expire_entries();
    if (!stopped_) arm_expiration_timer();
  }

  // spec §4.2: !expired ∧ age > TTL → mark expired + callback; expired ∧ age > 2·TTL →
  // remove silently. Callbacks run after the pass, in store order, so that a callback
  // may use the store (discovery's purges do).
  void expire_entries() {
    const Time t = exp_->env->now();
    const Duration ttl = exp_->ttl;
    std::vector<Msg> newly_expired;
    std::size_t kept = 0;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      Entry& e = entries_[i];
      const Duration age = t - e.created;
      if (!e.expired && age > ttl) {
        e.expired = true;
        if (exp_->on_expire) newly_expired.push_back(e.msg);
      } else if (e.expired && age > ttl * 2) {
        continue;  // removed silently
      }
      if (kept != i) entries_[kept] = std::move(entries_[i]);
      ++kept;
    }
    entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(kept), entries_.end());
    for (const Msg& m : newly_expired) exp_->on_expire(m);
  }

  Policy pol_;
  InvalidationTrigger trigger_;
  std::optional<Expiration> exp_;
  Duration check_interval_;
  std::vector<Entry> entries_;
  TimerHandle timer_;
  bool stopped_ = false;
};

extern template class MessageStore<EnvelopePtr>;
using GossipMessageStore = MessageStore<EnvelopePtr>;

}  // namespace gs::proto
