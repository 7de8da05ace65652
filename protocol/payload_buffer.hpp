// spec §8.3: the payload buffer of the state provider — blocks waiting to be committed in
// order. `next` is the sequence number the ledger needs next.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include "protocol/message.hpp"

namespace gs::proto {

class PayloadBuffer {
 public:
  explicit PayloadBuffer(std::uint64_t next) : next_(next) {}

  // Push(p): rejected ("already processed") if below `next` or already buffered.
  bool push(Payload p) {
    if (p.seq_num < next_ || buf_.count(p.seq_num) != 0) return false;
    buf_.emplace(p.seq_num, std::move(p));
    return true;
  }
  // Pop(): the payload `next` if buffered (and next advances), else nothing.
  std::optional<Payload> pop() {
    auto it = buf_.find(next_);
    if (it == buf_.end()) return std::nullopt;
    Payload p = std::move(it->second);
    buf_.erase(it);
    ++next_;
    return p;
  }
  bool ready() const { return buf_.count(next_) != 0; }
  std::uint64_t next() const { return next_; }
  std::size_t size() const { return buf_.size(); }

 private:
  std::uint64_t next_;
  std::map<std::uint64_t, Payload> buf_;
};

}  // namespace gs::proto
