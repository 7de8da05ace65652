#include "sim/net/net_types.hpp"

namespace gs::net {

std::string_view to_string(Transport t) {
  switch (t) {
    case Transport::stream: return "stream";
    case Transport::datagram: return "datagram";
  }
  return "?";
}

std::string_view to_string(DropReason r) {
  switch (r) {
    case DropReason::loss: return "loss";
    case DropReason::partition: return "partition";
    case DropReason::no_route: return "no_route";
    case DropReason::host_down: return "host_down";
    case DropReason::process_down: return "process_down";
    case DropReason::connection_broken: return "connection_broken";
    case DropReason::connection_closed: return "connection_closed";
    case DropReason::count_: break;
  }
  return "?";
}

std::string_view to_string(HostState s) {
  switch (s) {
    case HostState::up: return "up";
    case HostState::process_down: return "process_down";
    case HostState::host_down: return "host_down";
  }
  return "?";
}

}  // namespace gs::net
