// SHA-256 against FIPS 180-2 Appendix B vectors, and the channel MAC of spec §1.6.
#include <catch2/catch.hpp>

#include <string>

#include "protocol/message.hpp"
#include "protocol/sha256.hpp"

using namespace gs::proto;

TEST_CASE("sha256: FIPS 180-2 test vectors") {
  struct Vector {
    std::string input;
    const char* hex;
  };
  const Vector vectors[] = {
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
      {std::string(1'000'000, 'a'), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
  };
  for (const auto& v : vectors) {
    INFO("input length " << v.input.size());
    CHECK(to_hex(sha256(v.input)) == v.hex);
    CHECK(sha256_bytes(v.input).size() == 32);
  }
}

TEST_CASE("sha256: incremental updates equal one-shot hashing across block boundaries") {
  const std::string data(200, 'x');
  for (std::size_t cut : {0U, 1U, 55U, 56U, 63U, 64U, 65U, 128U, 200U}) {
    Sha256 h;
    h.update(std::string_view(data).substr(0, cut)).update(std::string_view(data).substr(cut));
    CHECK(to_hex(h.finish()) == to_hex(sha256(data)));
  }
}

TEST_CASE("message: channel MAC is SHA-256(pkiID || channelID) (spec §1.6)") {
  CHECK(channel_mac("abc", "") == sha256_bytes("abc"));
  CHECK(to_hex(channel_mac("a", "bc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(channel_mac("peer0", "ch1").size() == kMacBytes);
  CHECK(channel_mac("peer0", "ch1") != channel_mac("peer0", "ch2"));
  CHECK(channel_mac("peer0", "ch1") != channel_mac("peer1", "ch1"));
}
