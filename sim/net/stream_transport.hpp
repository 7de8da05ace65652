// Stream transport: TCP-like connections, the model of Fabric's gRPC streams (the default).
//
// Semantics (docs/network.md has the full story and the sources of the defaults):
//   connect  costs `handshake_rtts` round trips (each leg's loss adds a SYN retransmission
//            timeout). Host up but process down (or no handler registered): refused after one
//            RTT. Unreachable (host down, partition, one-way block dialer->acceptor, no route):
//            times out at the caller's timeout. Reachability is decided when connect() is
//            called and re-checked when the handshake completes.
//   write    queues on the writer's uplink, then travels with one latency draw; each lost
//            transmission (Bernoulli per transmission) adds a retransmission timeout (200 ms,
//            doubling) and the message still arrives. Per connection and direction, delivery is
//            strictly in write order: nothing overtakes a retransmitted message.
//   partition  a blocked path stalls the connection (data waits, as TCP retransmits); if it heals
//            before detection, the data flows again. Otherwise each endpoint gives up after its
//            detection time (gRPC keepalive): on_write_failed for every write it still had in
//            flight, then on_closed.
//   close    the other side gets on_closed after the data already written (FIN follows data).
//   crash    process down: its ends vanish silently; the OS resets the remote ends (on_closed after
//            one-way latency). Host down: no reset; the remote ends find out by keepalive.
//   Every accepted write ends in exactly one of: on_receive at the remote, or on_write_failed at
//   the writer — unless the writer closed the connection itself or its process/host went down.
//   on_write_failed hands back the failed packet's tag (Packet::tag). An end whose write failed
//   is also reported closed (on_closed), in the same event or earlier, unless its owner closed
//   it: a reset closes the writer's end, keepalive detection closes it after the failures.
//
// Handlers are called from scheduler events, never from inside connect/write/close.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/callback.hpp"
#include "sim/net/network.hpp"

namespace gs::net {

struct StreamConfig {
  // Round trips before the dialer may send: 1 for TCP (SYN, SYN-ACK). TLS 1.2 adds 2 (total 3),
  // TLS 1.3 adds 1 (total 2); Fabric v1.0 with TLS enabled uses TLS 1.2.
  int handshake_rtts = 1;
  // Retransmission timeout of a lost handshake packet: 1 s (RFC 6298 §2.1 initial RTO; Linux
  // TCP_TIMEOUT_INIT), doubling per further loss.
  Duration handshake_retransmit_timeout = Duration::seconds(1);
  // Retransmission timeout of lost data: 200 ms (Linux TCP_RTO_MIN, the RTO of a LAN-fast
  // connection), multiplied by `retransmit_backoff` per further loss, capped at the maximum
  // (Linux TCP_RTO_MAX = 120 s).
  Duration retransmit_timeout = Duration::milliseconds(200);
  Duration retransmit_timeout_max = Duration::seconds(120);
  std::int64_t retransmit_backoff = 2;
  // Loss draws per transmission are capped here (Linux tcp_retries2 = 15) so that loss 1.0
  // cannot loop forever; after the cap the transmission gets through. Model a dead link with a
  // partition instead.
  int max_retransmissions = 15;
  // How long an endpoint takes to notice a broken path: gRPC keepalive time + keepalive timeout.
  // Fabric v1.0.0 core/comm/config.go: ClientKeepaliveTime 300 s, ClientKeepaliveTimeout 20 s
  // (the gossip dialer uses the client options, peer/node/start.go); ServerKeepaliveTime 7200 s,
  // ServerKeepaliveTimeout 20 s for the accepting side.
  Duration dialer_break_detection = Duration::seconds(320);
  Duration acceptor_break_detection = Duration::seconds(7220);
};

enum class ConnectError : std::uint8_t { none, refused, timeout };
std::string_view to_string(ConnectError e);

struct ConnectResult {
  ConnId conn = 0;  // the dialer's endpoint when ok
  ConnectError error = ConnectError::none;
  bool ok() const { return error == ConnectError::none; }
};
// Large enough to wrap protocol/env.hpp's 64-byte DialDone plus a pointer.
using ConnectCallback = InplaceFunction<void(const ConnectResult&), 96>;

// One per host (its process). Registering nullptr = nothing listens (connects are refused).
class StreamHandler {
 public:
  virtual ~StreamHandler() = default;
  virtual void on_accept(ConnId conn, HostId remote) = 0;
  virtual void on_receive(ConnId conn, const Packet& packet) = 0;
  virtual void on_closed(ConnId conn) = 0;
  // `tag`: the failed packet's Packet::tag.
  virtual void on_write_failed(ConnId conn, std::uint8_t tag) = 0;
};

class StreamTransport final : private NetworkObserver {
 public:
  explicit StreamTransport(Network& net, StreamConfig config = {});
  ~StreamTransport() override;
  StreamTransport(const StreamTransport&) = delete;
  StreamTransport& operator=(const StreamTransport&) = delete;

  // Applies to connects, writes and path breaks that start afterwards.
  void set_config(const StreamConfig& config) { config_ = config; }
  const StreamConfig& config() const { return config_; }

  // The handler must outlive its registration. A restarted process registers a new one.
  void set_handler(HostId h, StreamHandler* handler);

  // Reports exactly once through `done` (from a scheduler event), unless `from`'s process or host
  // goes down first, in which case the attempt is dropped silently with the process.
  void connect(HostId from, HostId to, Duration timeout, ConnectCallback done);
  void write(ConnId conn, Packet packet);
  // Closing an already closed endpoint is harmless.
  void close(ConnId conn);

  bool is_open(ConnId conn) const;
  // Writes made on `conn` whose transmission has not started yet: they wait on the writer's
  // uplink behind earlier data (of any connection of that host). Fabric's writer has not
  // taken them from the connection's send buffer yet (spec §9.5); comm bounds this count by
  // sendBuffSize. 0 for a closed or unknown end.
  std::size_t unsent(ConnId conn) const;
  HostId local_host(ConnId conn) const;
  HostId remote_host(ConnId conn) const;
  // Connections whose state is still kept (at least one end open or data in flight).
  std::size_t live_connections() const { return conns_.size() - free_conns_.size(); }

 private:
  enum class Marker : std::uint8_t { data, accept, fin };
  struct InFlight {
    Packet packet;
    Time arrival;
    Marker marker = Marker::data;
    Time starts;  // data: when its first bit goes onto the writer's uplink
  };
  // A FIFO that allocates nothing until used. A 1,000-peer network holds hundreds of
  // thousands of mostly idle connections with two queues each; std::deque allocates a
  // 512-byte block even when empty (over 1 KB per connection). Popped items are dropped
  // from the front in bulk once they are half the buffer (amortised O(1)).
  class InFlightQueue {
   public:
    bool empty() const { return head_ == items_.size(); }
    std::size_t size() const { return items_.size() - head_; }
    InFlight& front() { return items_[head_]; }
    void push_back(InFlight f) { items_.push_back(std::move(f)); }
    void pop_front() {
      items_[head_++] = InFlight{};  // release the packet now, as the deque did
      if (head_ == items_.size()) {
        clear();
      } else if (head_ * 2 >= items_.size()) {
        items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
      }
    }
    void clear() {
      items_.clear();
      head_ = 0;
    }
    auto begin() const { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
    auto end() const { return items_.end(); }

   private:
    std::vector<InFlight> items_;
    std::size_t head_ = 0;
  };
  struct Direction {  // what end[s] sent towards the other end
    InFlightQueue queue;
    sim::TimerId head_timer;
    bool stalled = false;  // the head reached a blocked path; waits for on_paths_changed
  };
  struct End {
    HostId host = 0;
    bool open = false;
    bool closed_by_owner = false;  // close() was called: no more callbacks
    bool owner_gone = false;       // its process/host went down: no more callbacks
    DropReason closed_reason = DropReason::connection_closed;
    sim::TimerId detect_timer;
  };
  struct Connection {
    std::uint32_t serial = 0;  // 0 = free slot
    bool path_ok = true;
    std::array<End, 2> end;  // [0] dialer, [1] acceptor
    std::array<Direction, 2> dir;
  };
  struct Serial {  // per connection ever made: where it lives and who owns each end
    std::uint32_t slot;
    std::array<HostId, 2> host;
  };
  struct PendingConnect {
    bool in_use = false;
    HostId from = 0, to = 0;
    Time deadline;
    ConnectCallback done;
    sim::TimerId timer;
  };
  enum class Outcome : std::uint8_t { establish, refuse, time_out };

  static ConnId make_id(std::uint32_t serial, int side) { return (ConnId{serial} << 1) | static_cast<ConnId>(side); }
  static std::uint32_t serial_of(ConnId id) { return static_cast<std::uint32_t>(id >> 1); }
  static int side_of(ConnId id) { return static_cast<int>(id & 1); }
  const Serial& serial_info(ConnId id) const;
  Connection* live(std::uint32_t serial);

  StreamHandler* handler(HostId h) const { return h < handlers_.size() ? handlers_[h] : nullptr; }
  bool listening(HostId h) const { return net_.state(h) == HostState::up && handler(h) != nullptr; }
  void notify_closed(HostId h, ConnId id);
  void notify_write_failed(HostId h, ConnId id, std::uint8_t tag);
  bool may_notify(const End& e) const { return !e.closed_by_owner && !e.owner_gone && listening(e.host); }

  // connect
  Duration handshake_leg(HostId from, HostId to);
  void schedule_outcome(std::uint32_t pending, Time at, Outcome outcome);
  void finish_connect(std::uint32_t pending, Outcome outcome);
  void establish(std::uint32_t pending);
  std::uint32_t alloc_connection(HostId dialer, HostId acceptor);

  // data path
  // Reserves the uplink; `starts` (if given) receives when the transmission begins.
  Time transmission_arrival(HostId from, HostId to, std::uint32_t bytes, Time* starts = nullptr);
  Duration retransmission_delay(HostId from, HostId to);
  void enqueue(std::uint32_t slot, int side, InFlight f);
  void arm_head(std::uint32_t slot, int side);
  void on_head_arrival(std::uint32_t serial, int side);
  void deliver(std::uint32_t slot, int side, const InFlight& f);
  void reset_writer(std::uint32_t slot, int side, const InFlight& f);
  void unstall(std::uint32_t slot, int side);

  // teardown
  void fail_write_later(ConnId id, HostId writer, std::uint8_t tag);
  // Drops what end[side] still has in flight; returns the tags of the writes that failed, in
  // write order (nothing is allocated when none did).
  std::vector<std::uint8_t> drop_outgoing(std::uint32_t slot, int side, DropReason reason);
  void break_end(std::uint32_t serial, int side);
  void close_end(std::uint32_t slot, int side, DropReason reason, bool notify);
  void maybe_free(std::uint32_t slot);

  void on_host_state_changed(HostId host, HostState before, HostState after) override;
  void on_paths_changed() override;
  void start_detection(std::uint32_t slot, int side);

  Network& net_;
  StreamConfig config_;
  std::vector<StreamHandler*> handlers_;
  std::vector<Connection> conns_;
  std::vector<std::uint32_t> free_conns_;
  std::vector<Serial> serials_{Serial{0, {0, 0}}};  // serial 0 never names a connection
  std::vector<PendingConnect> pending_;
  std::vector<std::uint32_t> free_pending_;
};

}  // namespace gs::net
