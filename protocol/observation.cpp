#include "protocol/observation.hpp"

namespace gs::proto {

std::string_view to_string(BlockPath p) {
  switch (p) {
    case BlockPath::orderer: return "orderer";
    case BlockPath::push: return "push";
    case BlockPath::pull: return "pull";
    case BlockPath::state_transfer: return "state_transfer";
  }
  return "?";
}

}  // namespace gs::proto
