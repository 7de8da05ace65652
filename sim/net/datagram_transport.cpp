#include "sim/net/datagram_transport.hpp"

#include <utility>

namespace gs::net {

void DatagramTransport::set_handler(HostId h, DatagramHandler* handler) {
  if (h >= handlers_.size()) handlers_.resize(h + 1u, nullptr);
  handlers_[h] = handler;
}

void DatagramTransport::send(HostId from, HostId to, Packet packet) {
  net_.record_send(Transport::datagram, from, to, packet);
  if (net_.state(from) != HostState::up) {
    net_.record_drop(Transport::datagram, from, to, packet,
                     net_.state(from) == HostState::host_down ? DropReason::host_down : DropReason::process_down);
    return;
  }
  const Time departure = net_.reserve_uplink(from, packet.bytes).leaves;
  if (const auto blocked = net_.path_blocked(from, to)) {
    net_.record_drop(Transport::datagram, from, to, packet, *blocked);
    return;
  }
  if (net_.sample_loss(from, to)) {
    net_.record_drop(Transport::datagram, from, to, packet, DropReason::loss);
    return;
  }
  const Time arrival = departure + net_.sample_propagation(from, to);
  net_.scheduler().at(
      arrival, [this, from, to, p = std::move(packet)]() mutable { arrive(from, to, p); }, "net.datagram");
}

void DatagramTransport::arrive(HostId from, HostId to, Packet& packet) {
  if (const auto blocked = net_.path_blocked(from, to)) {
    net_.record_drop(Transport::datagram, from, to, packet, *blocked);
    return;
  }
  DatagramHandler* h = handler(to);
  if (net_.state(to) != HostState::up || h == nullptr) {
    net_.record_drop(Transport::datagram, from, to, packet, DropReason::process_down);
    return;
  }
  net_.record_delivery(Transport::datagram, from, to, packet);
  h->on_datagram(from, packet);
}

}  // namespace gs::net
