// spec §11.8 payloads_buffer_test.go and TestStateRequestValidator: the payload buffer
// (§8.3) and the responder's request validation (§8.4), table-driven.
#include <catch2/catch.hpp>

#include "protocol/payload_buffer.hpp"
#include "protocol/state_provider.hpp"

using namespace gs;
using namespace gs::proto;

namespace {
Payload payload(std::uint64_t seq) { return Payload{seq, std::make_shared<const Block>(Block{seq, 0, false})}; }
}  // namespace

TEST_CASE("payload buffer: push below next is rejected (TestPayloadsBufferImpl_Push)", "[state][payload]") {
  PayloadBuffer buf(5);
  CHECK_FALSE(buf.push(payload(4)));
  CHECK(buf.size() == 0);
  CHECK(buf.push(payload(5)));
  CHECK(buf.size() == 1);
  CHECK(buf.next() == 5);  // next unchanged until Pop
  CHECK_FALSE(buf.push(payload(5)));  // already buffered
}

TEST_CASE("payload buffer: ready is signalled on arrival of next (TestPayloadsBufferImpl_Ready)", "[state][payload]") {
  PayloadBuffer buf(1);
  CHECK(buf.push(payload(2)));
  CHECK_FALSE(buf.ready());
  CHECK_FALSE(buf.pop().has_value());
  CHECK(buf.push(payload(1)));
  CHECK(buf.ready());
  CHECK(buf.pop()->seq_num == 1);
  CHECK(buf.pop()->seq_num == 2);
  CHECK(buf.next() == 3);
  CHECK(buf.size() == 0);
}

TEST_CASE("payload buffer: 10 pushes of the same seq, exactly 1 succeeds (TestPayloadsBufferImpl_ConcurrentPush)",
          "[state][payload]") {
  PayloadBuffer buf(1);
  int accepted = 0;
  int ready_signals = 0;
  for (int i = 0; i < 10; ++i) {
    const bool ok = buf.push(payload(1));
    accepted += ok ? 1 : 0;
    ready_signals += (ok && buf.ready()) ? 1 : 0;  // the provider signals ready on an accepted push of next
  }
  CHECK(accepted == 1);
  CHECK(ready_signals == 1);
  CHECK(buf.size() == 1);
}

TEST_CASE("state request validation (TestStateRequestValidator)", "[state]") {
  struct Row {
    std::uint64_t start, end;
    bool valid;
  };
  const Row rows[] = {{10, 5, false}, {10, 30, false}, {10, 20, true}, {10, 21, false}, {10, 10, true}};
  for (Profile p : {Profile::fabric_2_5, Profile::fabric_1_0}) {
    for (const Row& r : rows) {
      INFO(fmt::format("profile {} [{}, {}]", to_string(p), r.start, r.end));
      CHECK(is_valid_state_request(RemoteStateRequest{r.start, r.end}, p, 10) == r.valid);
    }
  }
}
