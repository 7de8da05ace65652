// A peer's ledger of one channel: the committed blocks, in order. Owned by the world (like
// a disk) so that it survives a process restart unless the scenario wipes it.
#pragma once

#include <cstdint>
#include <vector>

#include "base/assert.hpp"
#include "protocol/message.hpp"

namespace gs::proto {

class Ledger {
 public:
  // Every ledger starts with the genesis block 0 (Fabric requires height ≥ 1, spec §8.2).
  Ledger() : blocks_{std::make_shared<const Block>(Block{0, 0, false})} {}

  // Height = number of committed blocks = the next block number to commit.
  std::uint64_t height() const { return blocks_.size(); }
  void commit(BlockRef block) {
    GS_ASSERT(block && block->number == height(), "ledger: commit of block {} at height {}",
              block ? block->number : 0, height());
    blocks_.push_back(std::move(block));
  }
  // nullptr when not committed.
  BlockRef get(std::uint64_t seq) const { return seq < blocks_.size() ? blocks_[seq] : nullptr; }
  void wipe() { blocks_.resize(1); }

 private:
  std::vector<BlockRef> blocks_;
};

}  // namespace gs::proto
