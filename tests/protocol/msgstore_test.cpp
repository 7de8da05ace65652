// Message store (spec §4) — reproduces Fabric's msgstore/msgs_test.go (spec §11.5) with
// exact numbers on virtual time, plus the block-store K window (spec §4.3).
#include <catch2/catch.hpp>

#include <memory>
#include <vector>

#include "fake_env.hpp"
#include "protocol/msgstore.hpp"

using namespace gs;
using namespace gs::literals;
using namespace gs::proto;
using gs::proto::test::FakeEnv;
using IR = InvalidationResult;

namespace {

// Fabric's compareInts: bigger wins, equal is unrelated.
IR compare_ints(const int& a, const int& b) {
  if (a == b) return IR::NO_ACTION;
  return a > b ? IR::INVALIDATES : IR::INVALIDATED;
}
// Fabric's nonReplaceInts: equal is a duplicate, everything else unrelated.
IR non_replace_ints(const int& a, const int& b) { return a == b ? IR::INVALIDATED : IR::NO_ACTION; }
IR always_no_action(const int&, const int&) { return IR::NO_ACTION; }

EnvelopePtr block_msg(std::uint64_t seq) {
  return Envelope::make_unsigned(GossipMessage{0, "ch1", Tag::CHAN_AND_ORG, DataMessage{Payload{seq, nullptr}}});
}

}  // namespace

TEST_CASE("msgstore: NewMessagesInvalidates (spec §11.5 TestNewMessagesInvalidates)") {
  std::vector<int> invalidated;
  MessageStore<int> store(compare_ints, [&](const int& m) { invalidated.push_back(m); });
  CHECK(store.add(0));
  for (int i = 1; i < 10; ++i) {
    CHECK(store.add(i));
    CHECK(invalidated.back() == i - 1);
    CHECK(store.size() == 1);
    CHECK(store.get() == std::vector<int>{i});
  }
  CHECK(invalidated == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8});
}

TEST_CASE("msgstore: MessagesInvalidated (spec §11.5 TestMessagesInvalidated)") {
  std::vector<int> invalidated;
  MessageStore<int> store(compare_ints, [&](const int& m) { invalidated.push_back(m); });
  CHECK(store.add(10));
  for (int i = 9; i >= 0; --i) {
    CHECK_FALSE(store.add(i));
    CHECK_FALSE(store.check_valid(i));
    CHECK(store.size() == 1);
    CHECK(store.get() == std::vector<int>{10});
  }
  CHECK(invalidated.empty());
}

TEST_CASE("msgstore: Expiration, TTL 3 s (spec §11.5 TestExpiration)") {
  FakeEnv env;
  int expired = 0;
  MessageStore<int> store(non_replace_ints, nullptr,
                          MessageStore<int>::Expiration{&env, 3_s, [&](const int&) { ++expired; }, "test.expire"});
  for (int i = 0; i < 10; ++i) CHECK(store.add(i));
  CHECK(store.size() == 10);

  env.advance(2_s);  // t = 2 s: nothing expired, duplicates still blocked
  CHECK(store.size() == 10);
  for (int i = 0; i < 10; ++i) {
    CHECK_FALSE(store.check_valid(i));
    CHECK_FALSE(store.add(i));
  }
  for (int i = 10; i < 20; ++i) CHECK(store.add(i));
  CHECK(store.size() == 20);
  CHECK(expired == 0);

  env.advance(2_s);  // t = 4 s: 0..9 expired (invisible but still blocking), 10..19 alive
  CHECK(store.size() == 10);
  CHECK(expired == 10);
  for (int i = 0; i < 10; ++i) {
    CHECK_FALSE(store.check_valid(i));
    CHECK_FALSE(store.add(i));
  }
  const std::vector<int> alive = store.get();
  CHECK(alive.front() == 10);
  CHECK(alive.back() == 19);

  env.advance(4_s);  // t = 8 s: 0..9 removed (> 2×TTL), 10..19 expired
  CHECK(store.size() == 0);
  CHECK(expired == 20);
  for (int i = 0; i < 10; ++i) CHECK(store.add(i));  // accepted again
  for (int i = 10; i < 20; ++i) CHECK_FALSE(store.add(i));  // expired but blocking until 8 s + ε
}

TEST_CASE("msgstore: expiration check is a sleep-first loop with period TTL/100 (spec §4.2)") {
  FakeEnv env;
  int expired = 0;
  MessageStore<int> store(non_replace_ints, nullptr,
                          MessageStore<int>::Expiration{&env, 1_s, [&](const int&) { ++expired; }, "test.expire"});
  store.add(1);
  env.advance(1_s);  // age == TTL is not older than TTL
  CHECK(expired == 0);
  env.advance(9_ms);
  CHECK(expired == 0);
  env.advance(1_ms);  // check at 1.010 s: age 1.010 s > 1 s
  CHECK(expired == 1);
  CHECK(env.pending_timer_names() == std::vector<std::string>{"test.expire"});
}

TEST_CASE("msgstore: Stop (spec §11.5 TestStop)") {
  FakeEnv env;
  int expired = 0;
  MessageStore<int> store(non_replace_ints, nullptr,
                          MessageStore<int>::Expiration{&env, 3_s, [&](const int&) { ++expired; }, "test.expire"});
  for (int i = 0; i < 10; ++i) store.add(i);
  store.stop();
  CHECK(env.pending_timers() == 0);
  env.advance(10_s);
  CHECK(expired == 0);
  CHECK(store.size() == 10);
}

TEST_CASE("msgstore: Purge (spec §11.5 TestPurge)") {
  std::vector<int> purged;
  MessageStore<int> store(always_no_action, [&](const int& m) { purged.push_back(m); });
  for (int i = 0; i < 10; ++i) CHECK(store.add(i));
  store.purge([](const int& m) { return m % 2 == 0; });
  CHECK(purged == std::vector<int>{0, 2, 4, 6, 8});
  CHECK(store.get() == std::vector<int>{1, 3, 5, 7, 9});
  CHECK(store.size() == 5);
}

TEST_CASE("msgstore: block store keeps K+1 blocks with K = 100 (spec §4.3, §11.6 TestChannelMsgStoreEviction)") {
  std::vector<std::uint64_t> evicted;
  GossipMessageStore store(MessageComparator{100}, [&](const EnvelopePtr& e) {
    evicted.push_back(e->get_if<DataMessage>()->payload.seq_num);
  });
  for (std::uint64_t seq = 0; seq <= 300; ++seq) CHECK(store.add(block_msg(seq)));
  REQUIRE(store.size() == 101);
  const auto kept = store.get();
  CHECK(kept.front()->get_if<DataMessage>()->payload.seq_num == 200);
  CHECK(kept.back()->get_if<DataMessage>()->payload.seq_num == 300);
  CHECK(evicted.size() == 200);
  CHECK(evicted.front() == 0);
  CHECK(evicted.back() == 199);

  CHECK_FALSE(store.add(block_msg(250)));  // duplicate
  CHECK_FALSE(store.add(block_msg(150)));  // older than max − K: rejected
  CHECK(store.add(block_msg(401)));        // newer than max + K: evicts everything below 301
  CHECK(store.size() == 1);
}

TEST_CASE("msgstore: alive store keeps the newest message per PKI-ID (spec §4.3, §1.5)") {
  GossipMessageStore store(MessageComparator{0}, nullptr);
  auto alive = [](const PkiId& pki, std::uint64_t seq) {
    return Envelope::make_unsigned(
        GossipMessage{0, "", Tag::EMPTY, AliveMessage{Member{"ep", "", pki}, PeerTime{1, seq}, ""}});
  };
  CHECK(store.add(alive("a", 1)));
  CHECK(store.add(alive("b", 1)));
  CHECK(store.add(alive("a", 2)));
  CHECK_FALSE(store.add(alive("b", 1)));
  CHECK_FALSE(store.check_valid(alive("a", 1)));
  CHECK(store.check_valid(alive("a", 3)));
  REQUIRE(store.size() == 2);
  CHECK(store.get()[0]->get_if<AliveMessage>()->membership.pki_id == "b");
  CHECK(store.get()[1]->get_if<AliveMessage>()->timestamp.seq_num == 2);
}

// The key index (MessageKeyOf) against the plain scan of spec §4.1 as the reference: the
// same random operations on two stores, one indexed and one not, must give the same
// answers, the same contents in the same order, and the same callbacks in the same order.
TEST_CASE("msgstore: the invalidation-key index behaves exactly like Fabric's scan (property)") {
  FakeEnv env;
  struct Log {
    std::vector<EnvelopePtr> triggered, expired;
  };
  Log indexed_log, scanned_log;
  auto make = [&env](Log& log, GossipMessageStore::KeyOf key_of) {
    return std::make_unique<GossipMessageStore>(
        MessageComparator{2}, [&log](const EnvelopePtr& m) { log.triggered.push_back(m); },
        GossipMessageStore::Expiration{&env, 10_s, [&log](const EnvelopePtr& m) { log.expired.push_back(m); },
                                       "test.expire"},
        std::move(key_of));
  };
  const auto indexed = make(indexed_log, MessageKeyOf{});
  const auto scanned = make(scanned_log, {});

  std::uint64_t state = 12345;
  auto next = [&state](std::uint64_t n) {  // a small LCG: the test's own, reproducible draws
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % n;
  };
  const std::vector<PkiId> ids{"a", "b", "c", "d", "e"};
  auto random_message = [&]() -> EnvelopePtr {
    const PkiId& pki = ids[next(ids.size())];
    const PeerTime ts{next(2), next(6)};
    switch (next(5)) {
      case 0: return Envelope::make_unsigned(GossipMessage{0, "", Tag::EMPTY, AliveMessage{Member{"ep", "", pki}, ts, ""}});
      case 1: return Envelope::make_unsigned(GossipMessage{0, "", Tag::CHAN_OR_ORG, StateInfo{"", ts, pki, "mac", {}}});
      case 2: return Envelope::make_unsigned(GossipMessage{0, "", Tag::ORG_ONLY, PeerIdentity{pki, "cert"}});
      case 3: return Envelope::make_unsigned(GossipMessage{0, "ch", Tag::CHAN_AND_ORG, LeadershipMessage{pki, ts, next(2) == 1}});
      default: return block_msg(next(8));
    }
  };

  for (int step = 0; step < 20000; ++step) {
    const EnvelopePtr m = random_message();
    switch (next(8)) {
      case 0: CHECK(indexed->check_valid(m) == scanned->check_valid(m)); break;
      case 1: {
        const PkiId& pki = ids[next(ids.size())];
        auto pred = [&pki](const EnvelopePtr& e) {
          const auto key = invalidation_key(e->msg());
          return key && key->pki_id == pki;
        };
        indexed->purge(pred);
        scanned->purge(pred);
        break;
      }
      case 2: env.advance(Duration::milliseconds(static_cast<std::int64_t>(next(3000)))); break;
      default: REQUIRE(indexed->add(m) == scanned->add(m));
    }
    REQUIRE(indexed->get() == scanned->get());
    REQUIRE(indexed->size_including_expired() == scanned->size_including_expired());
    REQUIRE(indexed_log.triggered == scanned_log.triggered);
    REQUIRE(indexed_log.expired == scanned_log.expired);
  }
  // The run exercised every path: evictions, rejections, expiry and silent removal.
  CHECK(indexed_log.triggered.size() > 100);
  CHECK(indexed_log.expired.size() > 100);
}
