// Datagram transport: UDP-like, for textbook comparisons with the stream transport.
//
// send(from, to, packet) queues the packet on the sender's uplink, then:
//   - a partition, a one-way block, a missing route or a down host at send time drops it;
//   - a loss draw (link loss probability) drops it;
//   - otherwise it arrives after its own latency draw, so packets can overtake each other;
//   - at arrival, it is dropped if the path got blocked meanwhile, or if the receiver's host or
//     process is down or no handler is registered.
// Drops are silent to both ends (counted and traced only).
#pragma once

#include <vector>

#include "sim/net/network.hpp"

namespace gs::net {

class DatagramHandler {
 public:
  virtual ~DatagramHandler() = default;
  virtual void on_datagram(HostId from, const Packet& packet) = 0;
};

class DatagramTransport {
 public:
  explicit DatagramTransport(Network& net) : net_(net) {}
  DatagramTransport(const DatagramTransport&) = delete;
  DatagramTransport& operator=(const DatagramTransport&) = delete;

  // nullptr unregisters. The handler must outlive its registration.
  void set_handler(HostId h, DatagramHandler* handler);
  void send(HostId from, HostId to, Packet packet);

 private:
  void arrive(HostId from, HostId to, Packet& packet);
  DatagramHandler* handler(HostId h) const { return h < handlers_.size() ? handlers_[h] : nullptr; }

  Network& net_;
  std::vector<DatagramHandler*> handlers_;
};

}  // namespace gs::net
