// Pull mediator tests: Fabric's gossip/gossip/pull/pullstore_test.go as listed in spec §11.7
// (pullInterval 500 ms, digest wait 100 ms, request/response wait 500 ms, PeerCountToSelect
// 3), plus the Update-consumed-before-nonce-check quirk (spec §3.4, Appendix B.4) and the
// message fields of §3.4. Virtual time only.
#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "protocol/message.hpp"
#include "protocol/pull_mediator.hpp"
#include "pull_harness.hpp"

using namespace gs;
using namespace gs::literals;
using namespace gs::proto;
using namespace gs::proto::pulltest;

namespace {

constexpr const char* kChannel = "ch1";

PullMediatorConfig mediator_config(const std::string& id) {
  PullMediatorConfig c;
  c.id = id;
  c.channel = kChannel;
  c.msg_type = PullMsgType::BLOCK_MSG;
  c.tag = Tag::CHAN_AND_ORG;
  c.peer_count_to_select = 3;
  c.engine.pull_interval = 500_ms;
  c.engine.digest_wait_time = 100_ms;
  c.engine.request_wait_time = 500_ms;
  c.engine.response_wait_time = 500_ms;
  return c;
}

// A block item as the block puller stores it (spec §5.4: id = decimal seq_num).
EnvelopePtr data_msg(std::uint64_t seq) {
  return Envelope::make_unsigned(GossipMessage{0, kChannel, Tag::CHAN_AND_ORG, DataMessage{Payload{seq, nullptr}}});
}

// The content of `e`, which must be a T (GS_ASSERT is [[noreturn]] on failure, so the
// optimiser sees no null dereference).
template <typename T>
const T& content(const EnvelopePtr& e) {
  const T* p = e->get_if<T>();
  GS_ASSERT(p != nullptr, "unexpected message {}", to_string(*e));
  return *p;
}

std::string block_id(const Envelope& e) {
  const auto* data = e.get_if<DataMessage>();
  GS_ASSERT(data != nullptr, "not a block");
  return std::to_string(data->payload.seq_num);
}

class MediatorNet;

// A message as received by a node, answerable on the same "connection".
class TestReceived final : public PullReceivedMessage {
 public:
  TestReceived(MediatorNet& net, EnvelopePtr env, std::string from, std::string to)
      : net_(net), env_(std::move(env)), from_(std::move(from)), to_(std::move(to)) {}
  const EnvelopePtr& envelope() const override { return env_; }
  const PkiId& sender_pki_id() const override { return from_; }
  void respond(const EnvelopePtr& msg) const override;

 private:
  MediatorNet& net_;
  EnvelopePtr env_;
  std::string from_;
  std::string to_;
};

struct Sent {
  std::string from;
  std::string to;
  EnvelopePtr msg;
};

struct MediatorNode {
  std::string name;
  std::unique_ptr<PullTestEnv> env;
  std::vector<EnvelopePtr> consumed;  // MsgConsumer calls, in order
  std::unique_ptr<PullMediator> mediator;
};

// Peers named by endpoint (= PKI-ID, as in Fabric's unit tests, spec §0.2); each node's pool
// is every other node; messages take 100 µs.
class MediatorNet {
 public:
  MediatorNode& spawn(const std::string& name,
                      std::function<bool(const PullReceivedMessage&, const std::string&)> filter = {},
                      decltype(PullMediatorAdapter::ingress_digest_filter) ingress = {}) {
    auto node = std::make_unique<MediatorNode>();
    node->name = name;
    node->env = std::make_unique<PullTestEnv>(clock_, pull_test_seed(name));
    MediatorNode* raw = node.get();
    PullMediatorAdapter adapter;
    adapter.send = [this, name](const EnvelopePtr& msg, const std::vector<PullMember>& peers) {
      for (const PullMember& p : peers) send(name, p.pki_id, msg);
    };
    adapter.get_membership = [this, name] {
      std::vector<PullMember> members;
      for (const auto& [other, n] : nodes_) {
        if (other != name) members.push_back(PullMember{other, "", other});
      }
      return members;
    };
    adapter.id_extractor = block_id;
    adapter.msg_consumer = [this, raw](const EnvelopePtr& item) {
      raw->consumed.push_back(item);
      if (consume_probe_) consume_probe_(*raw, item);
    };
    adapter.egress_digest_filter = std::move(filter);
    adapter.ingress_digest_filter = std::move(ingress);
    node->mediator = std::make_unique<PullMediator>(*node->env, mediator_config(name), std::move(adapter));
    return *nodes_.emplace(name, std::move(node)).first->second;
  }
  MediatorNode& node(const std::string& name) { return *nodes_.at(name); }
  PullMediator& mediator(const std::string& name) { return *node(name).mediator; }

  void send(const std::string& from, const std::string& to, const EnvelopePtr& msg) {
    sent_.push_back({from, to, msg});
    auto in_flight = std::make_shared<const Sent>(sent_.back());
    clock_.schedule(100_us, [this, in_flight] { deliver(in_flight->from, in_flight->to, in_flight->msg); });
  }
  void deliver(const std::string& from, const std::string& to, const EnvelopePtr& msg) {
    const auto it = nodes_.find(to);
    if (it == nodes_.end()) return;
    it->second->mediator->handle_message(TestReceived(*this, msg, from, to));
  }

  void run_for(Duration d) { clock_.run_for(d); }
  PullTestClock& clock() { return clock_; }
  const std::vector<Sent>& sent() const { return sent_; }
  template <typename T>
  std::vector<Sent> sent_of(const std::string& from = "", const std::string& to = "") const {
    std::vector<Sent> out;
    for (const Sent& s : sent_) {
      if (s.msg->is<T>() && (from.empty() || s.from == from) && (to.empty() || s.to == to)) out.push_back(s);
    }
    return out;
  }
  void set_consume_probe(std::function<void(MediatorNode&, const EnvelopePtr&)> probe) {
    consume_probe_ = std::move(probe);
  }

 private:
  PullTestClock clock_;  // first: destroyed last, after the mediators cancelled their timers
  std::map<std::string, std::unique_ptr<MediatorNode>> nodes_;
  std::vector<Sent> sent_;
  std::function<void(MediatorNode&, const EnvelopePtr&)> consume_probe_;
};

void TestReceived::respond(const EnvelopePtr& msg) const { net_.send(to_, from_, msg); }

std::set<std::string> consumed_ids(const MediatorNode& n) {
  std::set<std::string> out;
  for (const EnvelopePtr& e : n.consumed) out.insert(block_id(*e));
  return out;
}

}  // namespace

TEST_CASE("pull mediator: TestAddAndRemove (spec §11.7 pullstore_test.go TestAddAndRemove)") {
  MediatorNet net;
  net.spawn("p1");
  net.spawn("p2");
  // p1 adds 3 items 500 ms apart.
  for (std::uint64_t i = 0; i < 3; ++i) {
    net.clock().schedule(500_ms * static_cast<std::int64_t>(i + 1), [&net, i] { net.mediator("p1").add(data_msg(i)); });
  }
  net.run_for(3_s);
  CHECK(consumed_ids(net.node("p2")) == std::set<std::string>{"0", "1", "2"});
  // PullInterval == ResponseWaitTime here, so from the second round on each round's
  // responses arrive after the previous round's endPull cleared its nonces: the items reach
  // p2 only through the mediator's consume-before-nonce-check (Appendix B.4), and p2's
  // engine keeps just what the first round brought (docs/protocol-notes.md, "Overlapping
  // pull rounds").
  CHECK(net.mediator("p2").engine().items() == std::vector<std::string>{"0"});
  CHECK(net.mediator("p2").stored("2") != nullptr);

  const std::size_t sent_before_removal = net.sent().size();
  net.mediator("p2").remove("0");
  net.mediator("p1").remove("0");
  CHECK(net.mediator("p1").stored("0") == nullptr);
  CHECK_FALSE(net.mediator("p1").engine().contains("0"));
  net.node("p2").consumed.clear();
  net.mediator("p1").add(data_msg(10));
  net.run_for(3_s);
  const std::set<std::string> after = consumed_ids(net.node("p2"));
  CHECK(after.count("10") == 1);
  CHECK(after.count("0") == 0);
  // Nothing sent after the removal carries "0".
  for (std::size_t i = sent_before_removal; i < net.sent().size(); ++i) {
    const Sent& s = net.sent()[i];
    if (const auto* update = s.msg->get_if<DataUpdate>()) {
      for (const EnvelopePtr& item : update->data) CHECK(block_id(*item) != "0");
    }
    if (const auto* digest = s.msg->get_if<DataDigest>()) {
      for (const std::string& id : digest->digests) CHECK(id != "0");
    }
  }
}

TEST_CASE("pull mediator: TestFilter (spec §11.7 pullstore_test.go TestFilter)") {
  MediatorNet net;
  const auto even_only = [](const PullReceivedMessage&, const std::string& id) { return std::stoi(id) % 2 == 0; };
  net.spawn("p1", even_only);
  net.spawn("p2", even_only);
  for (std::uint64_t i = 0; i < 4; ++i) net.mediator("p1").add(data_msg(i));
  net.run_for(3_s);
  CHECK(consumed_ids(net.node("p2")) == std::set<std::string>{"0", "2"});
  CHECK(net.mediator("p2").engine().items() == std::vector<std::string>{"0", "2"});
  for (const Sent& s : net.sent_of<DataDigest>("p1", "p2")) {
    CHECK(content<DataDigest>(s.msg).digests == std::vector<std::string>{"0", "2"});
  }
}

TEST_CASE("pull mediator: TestHandleMessage (spec §11.7 pullstore_test.go TestHandleMessage)") {
  MediatorNet net;
  net.spawn("p1");
  net.spawn("p2");
  for (std::uint64_t i = 0; i < 3; ++i) net.mediator("p1").add(data_msg(i));
  int hellos_at_p1 = 0;
  bool digest_with_3 = false;
  bool response_with_3 = false;
  net.mediator("p1").register_msg_hook(PullPhase::hello, [&](const auto&, const auto&, const PullReceivedMessage& m) {
    CHECK(m.sender_pki_id() == "p2");
    ++hellos_at_p1;
  });
  net.mediator("p2").register_msg_hook(PullPhase::digest, [&](const std::vector<std::string>& ids, const auto&, const auto&) {
    if (ids.size() == 3) digest_with_3 = true;
  });
  net.mediator("p2").register_msg_hook(PullPhase::response,
                                       [&](const std::vector<std::string>& ids, const std::vector<EnvelopePtr>& items, const auto&) {
                                         CHECK(ids.size() == items.size());
                                         if (items.size() == 3) response_with_3 = true;
                                       });
  net.run_for(1_s);
  CHECK(hellos_at_p1 >= 1);
  CHECK(digest_with_3);
  CHECK(response_with_3);
  CHECK(consumed_ids(net.node("p2")) == std::set<std::string>{"0", "1", "2"});
}

TEST_CASE("pull mediator: pull messages carry the config's channel, tag and msg_type, outer nonce 0, no-op signed (spec §3.4)") {
  MediatorNet net;
  net.spawn("p1");
  net.spawn("p2");
  net.mediator("p1").add(data_msg(5));
  net.run_for(1_s);
  std::set<MessageKind> kinds;
  for (const Sent& s : net.sent()) {
    const GossipMessage& m = s.msg->msg();
    INFO(to_string(m));
    CHECK(m.nonce == 0);
    CHECK(m.channel == kChannel);
    CHECK(m.tag == Tag::CHAN_AND_ORG);
    CHECK(pull_msg_type(m) == PullMsgType::BLOCK_MSG);
    CHECK(s.msg->signature().empty());
    CHECK(is_tag_legal(m));
    kinds.insert(s.msg->kind());
  }
  CHECK(kinds == std::set<MessageKind>{MessageKind::hello_block, MessageKind::digest_block, MessageKind::request_block,
                                       MessageKind::update_block});
  // The update carries the stored item envelope itself (not a copy).
  const auto updates = net.sent_of<DataUpdate>("p1", "p2");
  REQUIRE(updates.size() == 1);
  CHECK(content<DataUpdate>(updates[0].msg).data.at(0) == net.mediator("p1").stored("5"));
}

TEST_CASE("pull mediator: SelectPeers picks min(PeerCountToSelect, |membership|) distinct members (spec §3.4)") {
  MediatorNet net;
  for (const char* p : {"p1", "p2", "p3", "p4", "p5"}) net.spawn(p);
  net.run_for(500_ms);  // one round for everyone
  for (const char* p : {"p1", "p2", "p3", "p4", "p5"}) {
    INFO(p);
    const auto hellos = net.sent_of<GossipHello>(p);
    REQUIRE(hellos.size() == 3);
    std::set<std::string> dests;
    for (const Sent& s : hellos) {
      CHECK(s.to != p);
      dests.insert(s.to);
    }
    CHECK(dests.size() == 3);
  }

  MediatorNet small;
  small.spawn("p1");
  small.spawn("p2");
  small.run_for(500_ms);
  CHECK(small.sent_of<GossipHello>("p1").size() == 1);
}

TEST_CASE("pull mediator: ignores non-pull messages and other msg_types (spec §3.4 HandleMessage)") {
  MediatorNet net;
  net.spawn("p1");
  net.mediator("p1").add(data_msg(1));
  int hooks_run = 0;
  net.mediator("p1").register_msg_hook(PullPhase::hello, [&](const auto&, const auto&, const auto&) { ++hooks_run; });
  // An identity hello reaching the block puller, and a plain block.
  net.deliver("x", "p1", Envelope::make_unsigned(GossipMessage{0, "", Tag::EMPTY, GossipHello{7, PullMsgType::IDENTITY_MSG}}));
  net.deliver("x", "p1", data_msg(2));
  CHECK(hooks_run == 0);
  CHECK(net.sent().empty());
  // A block hello of the right type is answered with a digest on the same connection.
  net.deliver("x", "p1", Envelope::make_unsigned(GossipMessage{0, kChannel, Tag::CHAN_AND_ORG, GossipHello{7, PullMsgType::BLOCK_MSG}}));
  CHECK(hooks_run == 1);
  REQUIRE(net.sent().size() == 1);
  CHECK(net.sent()[0].to == "x");
  CHECK(content<DataDigest>(net.sent()[0].msg).nonce == 7);
  CHECK(content<DataDigest>(net.sent()[0].msg).digests == std::vector<std::string>{"1"});
}

TEST_CASE("pull mediator: Update items are consumed before the nonce check (spec §3.4, Appendix B.4 quirk)") {
  MediatorNet net;
  net.spawn("p1");
  std::vector<std::string> hook_ids;
  net.mediator("p1").register_msg_hook(PullPhase::response,
                                       [&](const std::vector<std::string>& ids, const auto&, const auto&) { hook_ids = ids; });
  // No round is in progress: nonce 424242 was never sent by p1.
  const EnvelopePtr update = Envelope::make_unsigned(
      GossipMessage{0, kChannel, Tag::CHAN_AND_ORG, DataUpdate{424242, {data_msg(7), data_msg(8)}, PullMsgType::BLOCK_MSG}});
  net.deliver("byzantine", "p1", update);

  // Delivered to the consumer and stored anyway...
  CHECK(consumed_ids(net.node("p1")) == std::set<std::string>{"7", "8"});
  CHECK(net.mediator("p1").stored("7") != nullptr);
  CHECK(net.mediator("p1").stored("8") != nullptr);
  CHECK(hook_ids == std::vector<std::string>{"7", "8"});
  // ...but rejected by the engine's nonce check: never advertised in later digests.
  CHECK_FALSE(net.mediator("p1").engine().contains("7"));
  CHECK_FALSE(net.mediator("p1").engine().contains("8"));
  net.deliver("x", "p1", Envelope::make_unsigned(GossipMessage{0, kChannel, Tag::CHAN_AND_ORG, GossipHello{9, PullMsgType::BLOCK_MSG}}));
  CHECK(net.sent_of<DataDigest>("p1").empty());

  SECTION("with a valid nonce the consumer still runs before the engine adds the id") {
    net.spawn("p2").mediator->add(data_msg(3));
    std::vector<bool> engine_had_it_when_consumed;
    net.set_consume_probe([&](MediatorNode& n, const EnvelopePtr& item) {
      if (n.name == "p1") engine_had_it_when_consumed.push_back(n.mediator->engine().contains(block_id(*item)));
    });
    net.run_for(1_s);
    REQUIRE(net.mediator("p1").engine().contains("3"));
    CHECK(engine_had_it_when_consumed == std::vector<bool>{false});
  }
}

TEST_CASE("pull mediator: a null item ends update processing after consuming the items before it (spec §3.4)") {
  MediatorNet net;
  net.spawn("p1");
  int hooks_run = 0;
  net.mediator("p1").register_msg_hook(PullPhase::response, [&](const auto&, const auto&, const auto&) { ++hooks_run; });
  net.deliver("x", "p1",
              Envelope::make_unsigned(GossipMessage{
                  0, kChannel, Tag::CHAN_AND_ORG, DataUpdate{1, {data_msg(1), nullptr, data_msg(2)}, PullMsgType::BLOCK_MSG}}));
  CHECK(consumed_ids(net.node("p1")) == std::set<std::string>{"1"});
  CHECK(hooks_run == 0);
}

TEST_CASE("pull mediator: config validation (spec §1.4 tag legality)") {
  PullMediatorConfig c = mediator_config("p");
  CHECK_FALSE(c.problem().has_value());
  c.tag = Tag::EMPTY;
  CHECK(c.problem().has_value());
  c.msg_type = PullMsgType::IDENTITY_MSG;
  c.channel = "";
  CHECK_FALSE(c.problem().has_value());  // the identity puller's configuration (§2.11)
  c.msg_type = PullMsgType::UNDEFINED;
  CHECK(c.problem().has_value());
}

TEST_CASE("pull mediator: latest ingress digest filter drops advertised ids before the engine (spec §3.4 latest, §5.4)") {
  MediatorNet net;
  std::vector<std::string> hook_ids;
  // p2 considers only seqs >= 11 (its "ledger height").
  net.spawn("p2", {}, [](const std::vector<std::string>& ids, const PullReceivedMessage&) {
    std::vector<std::string> kept;
    for (const std::string& id : ids) {
      if (std::stoi(id) >= 11) kept.push_back(id);
    }
    return kept;
  });
  net.spawn("p1");
  net.mediator("p1").add(data_msg(10));
  net.mediator("p1").add(data_msg(11));
  net.mediator("p2").register_msg_hook(PullPhase::digest,
                                       [&](const std::vector<std::string>& ids, const auto&, const auto&) { hook_ids = ids; });
  net.run_for(700_ms);  // one round: hello 500 ms, request 600 ms, update 600.2 ms
  CHECK(hook_ids == std::vector<std::string>{"11"});
  const auto requests = net.sent_of<DataRequest>("p2", "p1");
  REQUIRE(requests.size() == 1);
  CHECK(content<DataRequest>(requests[0].msg).digests == std::vector<std::string>{"11"});
  CHECK(consumed_ids(net.node("p2")) == std::set<std::string>{"11"});
}
