#include "sim/net/stream_transport.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "base/assert.hpp"

namespace gs::net {

namespace {
constexpr std::uint32_t kNoSlot = std::numeric_limits<std::uint32_t>::max();
int other(int side) { return 1 - side; }
}  // namespace

std::string_view to_string(ConnectError e) {
  switch (e) {
    case ConnectError::none: return "none";
    case ConnectError::refused: return "refused";
    case ConnectError::timeout: return "timeout";
  }
  return "?";
}

StreamTransport::StreamTransport(Network& net, StreamConfig config) : net_(net), config_(config) {
  net_.add_observer(this);
}

StreamTransport::~StreamTransport() {
  net_.remove_observer(this);
  for (const Connection& c : conns_)
    for (const Direction& d : c.dir) net_.scheduler().cancel(d.head_timer);
  for (const Connection& c : conns_)
    for (const End& e : c.end) net_.scheduler().cancel(e.detect_timer);
  for (const PendingConnect& p : pending_) net_.scheduler().cancel(p.timer);
}

void StreamTransport::notify_closed(HostId h, ConnId id) {
  if (StreamHandler* x = handler(h)) x->on_closed(id);
}

void StreamTransport::notify_write_failed(HostId h, ConnId id, std::uint8_t tag) {
  if (StreamHandler* x = handler(h)) x->on_write_failed(id, tag);
}

void StreamTransport::set_handler(HostId h, StreamHandler* handler) {
  if (h >= handlers_.size()) handlers_.resize(h + 1u, nullptr);
  handlers_[h] = handler;
}

const StreamTransport::Serial& StreamTransport::serial_info(ConnId id) const {
  const std::uint32_t s = serial_of(id);
  GS_ASSERT(s != 0 && s < serials_.size(), "connection id {} was never issued", id);
  return serials_[s];
}

StreamTransport::Connection* StreamTransport::live(std::uint32_t serial) {
  const std::uint32_t slot = serials_[serial].slot;
  return slot == kNoSlot ? nullptr : &conns_[slot];
}

bool StreamTransport::is_open(ConnId id) const {
  const Serial& s = serial_info(id);
  return s.slot != kNoSlot && conns_[s.slot].end[static_cast<std::size_t>(side_of(id))].open;
}

std::size_t StreamTransport::unsent(ConnId id) const {
  const Serial& s = serial_info(id);
  if (s.slot == kNoSlot) return 0;
  const InFlightQueue& q = conns_[s.slot].dir[static_cast<std::size_t>(side_of(id))].queue;
  // Transmissions start in write order, so the unsent ones are a suffix of the queue.
  std::size_t n = 0;
  for (auto it = q.end(); it != q.begin() && (it - 1)->starts > net_.now(); --it) ++n;
  return n;
}

HostId StreamTransport::local_host(ConnId id) const { return serial_info(id).host[static_cast<std::size_t>(side_of(id))]; }
HostId StreamTransport::remote_host(ConnId id) const {
  return serial_info(id).host[static_cast<std::size_t>(other(side_of(id)))];
}

// ---------------------------------------------------------------------------------------------
// connect

Duration StreamTransport::handshake_leg(HostId from, HostId to) {
  Duration d = net_.sample_propagation(from, to);
  Duration rto = config_.handshake_retransmit_timeout;
  for (int i = 0; i < config_.max_retransmissions && net_.sample_loss(from, to); ++i) {
    net_.stats().count_retransmission();
    d += rto;
    rto = rto * config_.retransmit_backoff;
  }
  return d;
}

void StreamTransport::connect(HostId from, HostId to, Duration timeout, ConnectCallback done) {
  GS_ASSERT(net_.state(from) == HostState::up, "connect from host {} whose process is not up", from);
  std::uint32_t p;
  if (!free_pending_.empty()) {
    p = free_pending_.back();
    free_pending_.pop_back();
  } else {
    p = static_cast<std::uint32_t>(pending_.size());
    pending_.emplace_back();
  }
  const Time deadline = net_.now() + timeout;
  PendingConnect& pc = pending_[p];
  pc.in_use = true;
  pc.from = from;
  pc.to = to;
  pc.deadline = deadline;
  pc.done = std::move(done);

  if (net_.path_blocked(from, to)) return schedule_outcome(p, deadline, Outcome::time_out);
  // The first round trip: SYN there, then SYN-ACK (or RST when nothing listens) back.
  Duration setup = handshake_leg(from, to) + handshake_leg(to, from);
  Outcome outcome = Outcome::refuse;
  if (listening(to)) {
    outcome = Outcome::establish;
    for (int i = 1; i < config_.handshake_rtts; ++i) setup += handshake_leg(from, to) + handshake_leg(to, from);
  }
  if (net_.now() + setup > deadline) return schedule_outcome(p, deadline, Outcome::time_out);
  schedule_outcome(p, net_.now() + setup, outcome);
}

void StreamTransport::schedule_outcome(std::uint32_t pending, Time at, Outcome outcome) {
  pending_[pending].timer = net_.scheduler().at(
      at, [this, pending, outcome] { finish_connect(pending, outcome); }, "net.stream.connect");
}

void StreamTransport::finish_connect(std::uint32_t pending, Outcome outcome) {
  PendingConnect& p = pending_[pending];
  p.timer = {};
  if (outcome == Outcome::establish) {
    // The world may have changed during the handshake.
    if (net_.path_blocked(p.from, p.to)) {
      if (p.deadline > net_.now()) return schedule_outcome(pending, p.deadline, Outcome::time_out);
      outcome = Outcome::time_out;
    } else if (!listening(p.to)) {
      outcome = Outcome::refuse;
    }
  }
  if (outcome == Outcome::establish) return establish(pending);
  ConnectCallback done = std::move(p.done);
  p.in_use = false;
  free_pending_.push_back(pending);
  done(ConnectResult{0, outcome == Outcome::refuse ? ConnectError::refused : ConnectError::timeout});
}

std::uint32_t StreamTransport::alloc_connection(HostId dialer, HostId acceptor) {
  std::uint32_t slot;
  if (!free_conns_.empty()) {
    slot = free_conns_.back();
    free_conns_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(conns_.size());
    conns_.emplace_back();
  }
  GS_ASSERT(serials_.size() < std::numeric_limits<std::uint32_t>::max(), "too many connections");
  const auto serial = static_cast<std::uint32_t>(serials_.size());
  serials_.push_back(Serial{slot, {dialer, acceptor}});
  Connection& c = conns_[slot];
  c.serial = serial;
  c.path_ok = true;
  c.end[0] = End{};
  c.end[0].host = dialer;
  c.end[0].open = true;
  c.end[1] = End{};
  c.end[1].host = acceptor;
  c.end[1].open = true;
  for (Direction& d : c.dir) d.stalled = false;
  return slot;
}

void StreamTransport::establish(std::uint32_t pending) {
  PendingConnect& p = pending_[pending];
  const HostId from = p.from, to = p.to;
  ConnectCallback done = std::move(p.done);
  p.in_use = false;
  free_pending_.push_back(pending);

  const std::uint32_t slot = alloc_connection(from, to);
  // The acceptor learns of the connection when the handshake's last ACK arrives; queued like data
  // so that nothing the dialer writes next can overtake it.
  enqueue(slot, 0, InFlight{{}, transmission_arrival(from, to, 0), Marker::accept, Time{}});
  done(ConnectResult{make_id(conns_[slot].serial, 0), ConnectError::none});
}

// ---------------------------------------------------------------------------------------------
// data path

Duration StreamTransport::retransmission_delay(HostId from, HostId to) {
  Duration delay = Duration::zero();
  Duration rto = config_.retransmit_timeout;
  for (int i = 0; i < config_.max_retransmissions && net_.sample_loss(from, to); ++i) {
    net_.stats().count_retransmission();
    delay += rto;
    rto = std::min(rto * config_.retransmit_backoff, config_.retransmit_timeout_max);
  }
  return delay;
}

Time StreamTransport::transmission_arrival(HostId from, HostId to, std::uint32_t bytes, Time* starts) {
  const Network::UplinkSlot slot = net_.reserve_uplink(from, bytes);
  const Time departure = slot.leaves;
  if (starts != nullptr) *starts = slot.starts;
  // A blocked path: the head stalls when it gets there; its latency is drawn when the path heals.
  if (net_.path_blocked(from, to)) return departure;
  return departure + net_.sample_propagation(from, to) + retransmission_delay(from, to);
}

void StreamTransport::write(ConnId id, Packet packet) {
  const Serial& s = serial_info(id);
  const int side = side_of(id);
  const HostId writer = s.host[static_cast<std::size_t>(side)];
  const HostId reader = s.host[static_cast<std::size_t>(other(side))];
  net_.record_send(Transport::stream, writer, reader, packet, id);
  Connection* c = live(serial_of(id));
  if (c == nullptr || !c->end[static_cast<std::size_t>(side)].open) {
    const DropReason why = c == nullptr ? DropReason::connection_closed : c->end[static_cast<std::size_t>(side)].closed_reason;
    net_.record_drop(Transport::stream, writer, reader, packet, why, id);
    return fail_write_later(id, writer, packet.tag);
  }
  Time starts;
  const Time arrival = transmission_arrival(writer, reader, packet.bytes, &starts);
  enqueue(s.slot, side, InFlight{std::move(packet), arrival, Marker::data, starts});
}

void StreamTransport::enqueue(std::uint32_t slot, int side, InFlight f) {
  Direction& d = conns_[slot].dir[static_cast<std::size_t>(side)];
  d.queue.push_back(std::move(f));
  if (d.queue.size() == 1 && !d.stalled) arm_head(slot, side);
}

void StreamTransport::arm_head(std::uint32_t slot, int side) {
  Connection& c = conns_[slot];
  Direction& d = c.dir[static_cast<std::size_t>(side)];
  const Time at = std::max(d.queue.front().arrival, net_.now());
  const std::uint32_t serial = c.serial;
  d.head_timer = net_.scheduler().at(at, [this, serial, side] { on_head_arrival(serial, side); }, "net.stream.deliver");
}

void StreamTransport::on_head_arrival(std::uint32_t serial, int side) {
  Connection* c = live(serial);
  if (c == nullptr) return;
  const std::uint32_t slot = serials_[serial].slot;
  Direction& d = c->dir[static_cast<std::size_t>(side)];
  d.head_timer = {};
  if (!c->path_ok) {
    d.stalled = true;
    return;
  }
  const InFlight f = std::move(d.queue.front());
  d.queue.pop_front();
  if (!d.queue.empty()) arm_head(slot, side);
  deliver(slot, side, f);
  maybe_free(slot);
}

void StreamTransport::deliver(std::uint32_t slot, int side, const InFlight& f) {
  Connection& c = conns_[slot];
  const End& to = c.end[static_cast<std::size_t>(other(side))];
  const HostId from_host = c.end[static_cast<std::size_t>(side)].host;
  const ConnId to_id = make_id(c.serial, other(side));
  StreamHandler* h = handler(to.host);
  if (!to.open || (f.marker != Marker::fin && h == nullptr)) return reset_writer(slot, side, f);
  switch (f.marker) {
    case Marker::accept: return h->on_accept(to_id, from_host);
    case Marker::fin: return close_end(slot, other(side), DropReason::connection_closed, true);
    case Marker::data:
      net_.record_delivery(Transport::stream, from_host, to.host, f.packet, make_id(c.serial, side));
      return h->on_receive(to_id, f.packet);
  }
}

// Something arrived at an endpoint that no longer exists: its host answers with a RST, which
// fails the write and resets the writer's end.
void StreamTransport::reset_writer(std::uint32_t slot, int side, const InFlight& f) {
  Connection& c = conns_[slot];
  const End& to = c.end[static_cast<std::size_t>(other(side))];
  End& writer = c.end[static_cast<std::size_t>(side)];
  const ConnId writer_id = make_id(c.serial, side);
  if (f.marker == Marker::fin) return;  // both sides are done: nothing to reset
  if (f.marker == Marker::data) {
    const DropReason why = to.open ? DropReason::process_down : to.closed_reason;
    net_.record_drop(Transport::stream, writer.host, to.host, f.packet, why, writer_id);
    if (may_notify(writer)) notify_write_failed(writer.host, writer_id, f.packet.tag);
  }
  if (writer.open) close_end(slot, side, DropReason::connection_broken, true);
}

void StreamTransport::unstall(std::uint32_t slot, int side) {
  Connection& c = conns_[slot];
  Direction& d = c.dir[static_cast<std::size_t>(side)];
  if (!d.stalled) return;
  d.stalled = false;
  if (d.queue.empty()) return;
  // The retransmission that finally gets through: it left long ago, only propagation remains.
  const HostId from = c.end[static_cast<std::size_t>(side)].host, to = c.end[static_cast<std::size_t>(other(side))].host;
  d.queue.front().arrival = net_.now() + net_.sample_propagation(from, to);
  arm_head(slot, side);
}

// ---------------------------------------------------------------------------------------------
// teardown

void StreamTransport::fail_write_later(ConnId id, HostId writer, std::uint8_t tag) {
  net_.scheduler().after(
      Duration::zero(),
      [this, id, writer, tag] {
        if (listening(writer)) notify_write_failed(writer, id, tag);
      },
      "net.stream.write_failed");
}

std::vector<std::uint8_t> StreamTransport::drop_outgoing(std::uint32_t slot, int side, DropReason reason) {
  Connection& c = conns_[slot];
  Direction& d = c.dir[static_cast<std::size_t>(side)];
  net_.scheduler().cancel(d.head_timer);
  d.head_timer = {};
  d.stalled = false;
  std::vector<std::uint8_t> failed;
  const End& from = c.end[static_cast<std::size_t>(side)];
  const End& to = c.end[static_cast<std::size_t>(other(side))];
  for (const InFlight& f : d.queue) {
    if (f.marker != Marker::data) continue;
    net_.record_drop(Transport::stream, from.host, to.host, f.packet, reason, make_id(c.serial, side));
    failed.push_back(f.packet.tag);
  }
  d.queue.clear();
  return failed;
}

void StreamTransport::close_end(std::uint32_t slot, int side, DropReason reason, bool notify) {
  End& e = conns_[slot].end[static_cast<std::size_t>(side)];
  if (!e.open) return;
  e.open = false;
  e.closed_reason = reason;
  net_.scheduler().cancel(e.detect_timer);
  e.detect_timer = {};
  if (notify && may_notify(e)) notify_closed(e.host, make_id(conns_[slot].serial, side));
}

// Keepalive detection fired for end `side`: gRPC gives up on the connection.
void StreamTransport::break_end(std::uint32_t serial, int side) {
  Connection* c = live(serial);
  if (c == nullptr) return;
  const std::uint32_t slot = serials_[serial].slot;
  End& e = c->end[static_cast<std::size_t>(side)];
  e.detect_timer = {};
  if (!e.open) return;
  const std::vector<std::uint8_t> failed = drop_outgoing(slot, side, DropReason::connection_broken);
  const ConnId id = make_id(serial, side);
  const HostId host = e.host;
  const bool notify = may_notify(e);
  close_end(slot, side, DropReason::connection_broken, false);
  if (notify) {
    for (const std::uint8_t tag : failed) notify_write_failed(host, id, tag);
    if (listening(host)) notify_closed(host, id);
  }
  maybe_free(slot);
}

void StreamTransport::close(ConnId id) {
  const Serial& s = serial_info(id);
  Connection* c = live(serial_of(id));
  const int side = side_of(id);
  if (c == nullptr || !c->end[static_cast<std::size_t>(side)].open) return;
  End& e = c->end[static_cast<std::size_t>(side)];
  e.closed_by_owner = true;
  close_end(s.slot, side, DropReason::connection_closed, false);
  if (c->end[static_cast<std::size_t>(other(side))].open) {
    const Time arrival = transmission_arrival(e.host, s.host[static_cast<std::size_t>(other(side))], 0);
    enqueue(s.slot, side, InFlight{{}, arrival, Marker::fin, Time{}});
  }
  maybe_free(s.slot);
}

// Frees the slot once both ends are closed. What is still in flight would only reach closed
// endpoints; its writers are told now rather than after a partition that may never heal.
void StreamTransport::maybe_free(std::uint32_t slot) {
  Connection& c = conns_[slot];
  if (c.serial == 0 || c.end[0].open || c.end[1].open) return;
  for (int side = 0; side < 2; ++side) {
    const End& writer = c.end[static_cast<std::size_t>(side)];
    const std::vector<std::uint8_t> failed =
        drop_outgoing(slot, side, c.end[static_cast<std::size_t>(other(side))].closed_reason);
    if (may_notify(writer))
      for (const std::uint8_t tag : failed) fail_write_later(make_id(c.serial, side), writer.host, tag);
  }
  for (End& e : c.end) net_.scheduler().cancel(e.detect_timer);
  serials_[c.serial].slot = kNoSlot;
  c.serial = 0;
  free_conns_.push_back(slot);
}

// ---------------------------------------------------------------------------------------------
// reacting to the network

void StreamTransport::on_host_state_changed(HostId host, HostState before, HostState after) {
  if (before != HostState::up) return;  // its ends were already torn down
  const DropReason reason = after == HostState::host_down ? DropReason::host_down : DropReason::process_down;
  for (std::uint32_t p = 0; p < pending_.size(); ++p) {
    PendingConnect& pc = pending_[p];
    if (!pc.in_use || pc.from != host) continue;
    net_.scheduler().cancel(pc.timer);
    pc = PendingConnect{};
    free_pending_.push_back(p);
  }
  for (std::uint32_t slot = 0; slot < conns_.size(); ++slot) {
    for (int side = 0; side < 2; ++side) {
      Connection& c = conns_[slot];
      End& e = c.end[static_cast<std::size_t>(side)];
      if (c.serial == 0 || e.host != host || !e.open) continue;
      e.owner_gone = true;
      drop_outgoing(slot, side, reason);
      close_end(slot, side, reason, false);
      // A dead process's sockets are closed by its OS, which resets the peer; a dead host says nothing.
      if (after == HostState::process_down && c.end[static_cast<std::size_t>(other(side))].open) {
        const HostId peer = c.end[static_cast<std::size_t>(other(side))].host;
        enqueue(slot, side, InFlight{{}, transmission_arrival(host, peer, 0), Marker::fin, Time{}});
      }
      maybe_free(slot);
    }
  }
}

void StreamTransport::start_detection(std::uint32_t slot, int side) {
  Connection& c = conns_[slot];
  End& e = c.end[static_cast<std::size_t>(side)];
  if (!e.open || e.detect_timer) return;
  const Duration after = side == 0 ? config_.dialer_break_detection : config_.acceptor_break_detection;
  const std::uint32_t serial = c.serial;
  e.detect_timer = net_.scheduler().after(after, [this, serial, side] { break_end(serial, side); }, "net.stream.detect");
}

void StreamTransport::on_paths_changed() {
  for (std::uint32_t slot = 0; slot < conns_.size(); ++slot) {
    Connection& c = conns_[slot];
    if (c.serial == 0) continue;
    // TCP needs both directions, but a one-way block only stops connections initiated across it
    // (stateful-firewall semantics), so the dialer->acceptor check decides (docs/network.md).
    const bool ok = !net_.path_blocked(c.end[0].host, c.end[1].host);
    if (ok == c.path_ok) continue;
    c.path_ok = ok;
    if (!ok) {
      start_detection(slot, 0);
      start_detection(slot, 1);
      continue;
    }
    // Keepalive pings are answered again: detection stops, unless the other end is gone (then the
    // next ping, or the stalled data, draws a reset).
    if (c.end[0].open && c.end[1].open)
      for (End& e : c.end) {
        net_.scheduler().cancel(e.detect_timer);
        e.detect_timer = {};
      }
    unstall(slot, 0);
    unstall(slot, 1);
  }
}

}  // namespace gs::net
