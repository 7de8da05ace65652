// The message store (spec §4, Fabric `msgstore/msgs.go`): an ordered list of messages
// governed by a replacement policy, optionally expiring entries after a TTL.
//
// Serves the block store (policy K = MaxBlockCountToStore), the StateInfo cache, the
// leadership store, the gossip-level StateInfo store and discovery's alive store
// (spec §4.3). Generic over the stored type: gossip uses EnvelopePtr with
// MessageComparator (instantiated once in msgstore.cpp); tests use ints.
//
// Index by invalidation key. Fabric's Add and CheckValid compare the new message with
// every stored one; with 1,000 peers the alive and StateInfo stores hold 1,000 entries
// and every received alive or StateInfo message paid 1,000 comparisons. A store given a
// KeyOf (MessageKeyOf for MessageComparator stores) keeps a hash index from key to
// entry and compares a keyed message with the entry of its key only. That is exact
// under the KeyOf contract: (a) the policy answers NO_ACTION for any two messages whose
// keys differ (or of which one has no key), and (b) never NO_ACTION for two messages
// with the same key. Then a store holds at most one entry per key, and every other
// comparison of Fabric's scan would have been NO_ACTION. Unkeyed messages (blocks) are
// compared by the scan, as before. Store order (get, purge, expiration, the order of
// callbacks) is unchanged: removed entries leave holes that are compacted away in order.
//
// Single-threaded: Fabric's external lock (taken by the expiration check) has no
// equivalent; whoever needs a consistent view simply runs in the same event.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/assert.hpp"
#include "base/time.hpp"
#include "protocol/env.hpp"
#include "protocol/message.hpp"

namespace gs::proto {

struct InvalidationKeyHash {
  std::size_t operator()(const InvalidationKey& k) const {
    return PkiIdHash{}(k.pki_id) * 31 + static_cast<std::size_t>(k.kind);
  }
};

template <typename Msg>
class MessageStore {
 public:
  // pol(this = new message, that = stored message), spec §1.5.
  using Policy = std::function<InvalidationResult(const Msg& this_msg, const Msg& that_msg)>;
  // Called with each message evicted by Add (INVALIDATES) or removed by Purge.
  using InvalidationTrigger = std::function<void(const Msg&)>;
  // Called once per entry when it expires (age > TTL).
  using ExpireCallback = std::function<void(const Msg&)>;
  // The invalidation key of a message, under the contract in the file comment; empty:
  // no index, every message is compared by scanning.
  using KeyOf = std::function<std::optional<InvalidationKey>(const Msg&)>;

  struct Expiration {
    Env* env = nullptr;
    Duration ttl;               // > 0
    ExpireCallback on_expire;   // may be empty
    const char* timer_name = "msgstore.expire";
  };

  // A store without expiration (spec §4.1).
  MessageStore(Policy pol, InvalidationTrigger trigger, KeyOf key_of = {})
      : pol_(std::move(pol)), trigger_(std::move(trigger)), key_of_(std::move(key_of)) {}

  // An expirable store (spec §4.2): a sleep-first check loop with period TTL/100 marks
  // entries older than TTL expired (calling on_expire) and silently removes entries
  // older than 2×TTL.
  MessageStore(Policy pol, InvalidationTrigger trigger, Expiration exp, KeyOf key_of = {})
      : pol_(std::move(pol)), trigger_(std::move(trigger)), key_of_(std::move(key_of)), exp_(std::move(exp)) {
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
    const std::optional<InvalidationKey> key = key_of(m);
    std::vector<Msg> evicted;
    bool rejected = false;
    if (key) {
      // Only the entry with m's key can answer anything but NO_ACTION (file comment).
      if (const auto it = index_.find(*key); it != index_.end()) {
        const std::size_t i = it->second;
        if (compare_same_key(m, entries_[i].msg) == InvalidationResult::INVALIDATED) {
          rejected = true;
        } else {
          evicted.push_back(take_at(i));
        }
      }
    } else {
      for (std::size_t i = 0; i < entries_.size() && !rejected; ++i) {
        if (entries_[i].removed) continue;
        const InvalidationResult r = pol_(m, entries_[i].msg);
        if (r == InvalidationResult::INVALIDATED) {
          rejected = true;
        } else if (r == InvalidationResult::INVALIDATES) {
          evicted.push_back(take_at(i));
        }
      }
    }
    maybe_compact();
    for (const Msg& e : evicted) fire_trigger(e);
    if (rejected) return false;
    append(std::move(m), key.has_value());
    return true;
  }

  // spec §4.1 CheckValid: false iff some stored entry (expired ones included) makes m
  // INVALIDATED.
  bool check_valid(const Msg& m) const {
    if (const std::optional<InvalidationKey> key = key_of(m)) {
      const auto it = index_.find(*key);
      return it == index_.end() || compare_same_key(m, entries_[it->second].msg) != InvalidationResult::INVALIDATED;
    }
    for (const Entry& e : entries_) {
      if (!e.removed && pol_(m, e.msg) == InvalidationResult::INVALIDATED) return false;
    }
    return true;
  }

  // Messages of non-expired entries, in store order.
  std::vector<Msg> get() const {
    std::vector<Msg> out;
    out.reserve(live_);
    for (const Entry& e : entries_) {
      if (!e.removed && !e.expired) out.push_back(e.msg);
    }
    return out;
  }

  // Count of non-expired entries.
  std::size_t size() const {
    std::size_t n = 0;
    for (const Entry& e : entries_) n += e.removed || e.expired ? 0 : 1;
    return n;
  }

  // spec §4.1 Purge: remove every entry (expired or not) matching pred, calling the
  // invalidation trigger for each, in store order.
  template <typename Pred>
  void purge(Pred&& pred) {
    std::vector<Msg> removed;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i].removed || !pred(static_cast<const Msg&>(entries_[i].msg))) continue;
      removed.push_back(take_at(i));
    }
    maybe_compact();
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
  std::size_t size_including_expired() const { return live_; }

 private:
  struct Entry {
    Msg msg;
    Time created;
    bool expired = false;
    bool removed = false;  // a hole left by a removal, dropped by the next compaction
    bool keyed = false;    // has an entry in index_
  };

  Time now() const { return exp_ ? exp_->env->now() : Time::zero(); }

  std::optional<InvalidationKey> key_of(const Msg& m) const {
    if (!key_of_) return std::nullopt;
    return key_of_(m);
  }

  // The policy on two messages of one key; NO_ACTION there would break the KeyOf
  // contract (a store could then hold two entries of one key).
  InvalidationResult compare_same_key(const Msg& m, const Msg& stored) const {
    const InvalidationResult r = pol_(m, stored);
    GS_ASSERT(r != InvalidationResult::NO_ACTION, "msgstore: NO_ACTION between two messages of one invalidation key");
    return r;
  }

  void append(Msg m, bool keyed) {
    entries_.push_back(Entry{std::move(m), now(), false, false, keyed});
    ++live_;
    // The key views the stored message (for EnvelopePtr: the shared envelope, which does
    // not move with the vector), valid while the entry exists.
    if (keyed) {
      const bool inserted = index_.emplace(*key_of(entries_.back().msg), entries_.size() - 1).second;
      GS_ASSERT(inserted, "msgstore: a second entry for one invalidation key");
    }
  }

  // Removes entry i from the index and leaves a hole there; returns its message.
  Msg take_at(std::size_t i) {
    Entry& e = entries_[i];
    if (e.keyed) index_.erase(*key_of(e.msg));
    e.removed = true;
    --live_;
    return std::move(e.msg);
  }

  // Drops the holes, keeping the order of the remaining entries, once they are at least
  // half the vector (amortised O(1) per removal).
  void maybe_compact() {
    const std::size_t holes = entries_.size() - live_;
    if (holes == 0 || holes < live_) return;
    std::size_t kept = 0;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i].removed) continue;
      if (kept != i) entries_[kept] = std::move(entries_[i]);
      if (entries_[kept].keyed) index_[*key_of(entries_[kept].msg)] = kept;
      ++kept;
    }
    entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(kept), entries_.end());
  }

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
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      Entry& e = entries_[i];
      if (e.removed) continue;
      const Duration age = t - e.created;
      if (!e.expired && age > ttl) {
        e.expired = true;
        if (exp_->on_expire) newly_expired.push_back(e.msg);
      } else if (e.expired && age > ttl * 2) {
        (void)take_at(i);  // removed silently
      }
    }
    maybe_compact();
    for (const Msg& m : newly_expired) exp_->on_expire(m);
  }

  Policy pol_;
  InvalidationTrigger trigger_;
  KeyOf key_of_;
  std::optional<Expiration> exp_;
  Duration check_interval_;
  std::vector<Entry> entries_;  // store order, with holes (removed) until compacted
  std::size_t live_ = 0;        // entries that are not holes
  std::unordered_map<InvalidationKey, std::size_t, InvalidationKeyHash> index_;  // key → position
  TimerHandle timer_;
  bool stopped_ = false;
};

extern template class MessageStore<EnvelopePtr>;
using GossipMessageStore = MessageStore<EnvelopePtr>;

}  // namespace gs::proto
