// SHA-256 (FIPS 180-4), small and dependency-free.
//
// Used for the channel MAC of spec §1.6 (SHA-256(pkiID ‖ channelID)) and for PKI-IDs
// derived as in production Fabric (spec §0.2: SHA-256(MSP-ID ‖ identity)). Performance
// is irrelevant here: each peer hashes a handful of short strings per channel.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gs::proto {

using Sha256Digest = std::array<std::uint8_t, 32>;

class Sha256 {
 public:
  Sha256();
  Sha256& update(std::string_view data);
  // Finishes the hash; the object must not be updated afterwards.
  Sha256Digest finish();
  // finish() as 32 raw bytes in a std::string.
  std::string finish_bytes();

 private:
  void compress(const std::uint8_t* block);

  std::array<std::uint32_t, 8> h_;
  std::array<std::uint8_t, 64> buf_{};
  std::size_t buf_len_ = 0;
  std::uint64_t total_len_ = 0;
  bool finished_ = false;
};

Sha256Digest sha256(std::string_view data);
// The digest as 32 raw bytes in a std::string (the form PKI-IDs and MACs take).
std::string sha256_bytes(std::string_view data);
// Lower-case hex of arbitrary bytes.
std::string to_hex(std::string_view bytes);
std::string to_hex(const Sha256Digest& d);

}  // namespace gs::proto
