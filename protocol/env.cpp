#include "protocol/env.hpp"

namespace gs::proto {

std::string_view to_string(RngPurpose p) {
  switch (p) {
    case RngPurpose::routing: return "routing";
    case RngPurpose::pull: return "pull";
    case RngPurpose::discovery: return "discovery";
    case RngPurpose::channel: return "channel";
    case RngPurpose::election: return "election";
    case RngPurpose::state: return "state";
    case RngPurpose::count_: break;
  }
  return "?";
}

std::string_view to_string(DialError e) {
  switch (e) {
    case DialError::refused: return "refused";
    case DialError::timeout: return "timeout";
  }
  return "?";
}

}  // namespace gs::proto
