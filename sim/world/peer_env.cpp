#include "sim/world/peer_env.hpp"

#include <fmt/format.h>

#include "base/assert.hpp"

namespace gs::world {

namespace {

net::Packet to_net(const proto::WirePacket& p) { return net::Packet{p.body, p.bytes, p.kind, p.tag}; }
proto::WirePacket to_proto(const net::Packet& p) { return proto::WirePacket{p.body, p.bytes, p.kind, p.tag}; }

// Handles pack (generation, slot) so a stale handle never cancels a reused slot.
proto::TimerHandle make_handle(std::uint32_t slot, std::uint32_t gen) {
  return proto::TimerHandle{(std::uint64_t{gen} << 32) | slot};
}

}  // namespace

PeerEnv::PeerEnv(PeerEnvContext ctx, net::HostId host, std::uint32_t peer_index)
    : ctx_(ctx), host_(host), peer_(peer_index) {
  for (std::size_t i = 0; i < rngs_.size(); ++i) {
    const auto purpose = static_cast<proto::RngPurpose>(i);
    rngs_[i] = std::make_unique<StreamRng>(ctx_.streams->stream(fmt::format("peer.{}", proto::to_string(purpose)), peer_));
  }
}

PeerEnv::~PeerEnv() {
  if (running_) stop_process();
}

void PeerEnv::start_process() {
  GS_ASSERT(!running_, "peer {} started twice", peer_);
  running_ = true;
  ++incarnation_;
  cpu_busy_until_ = now();
  ctx_.stream->set_handler(host_, this);
}

void PeerEnv::stop_process() {
  GS_ASSERT(running_, "peer {} stopped while not running", peer_);
  running_ = false;
  ctx_.stream->set_handler(host_, nullptr);
  inbox_.clear();  // the dead process never reads them
  drain_timer_ = {};
  for (std::uint32_t s = 1; s < timers_.size(); ++s)
    if (timers_[s].live) {
      ctx_.scheduler->cancel(timers_[s].id);
      free_timer(s);
    }
  handler_ = nullptr;
}

// ---- timers ----

proto::TimerHandle PeerEnv::set_timer(Duration after, const char* name, Callback cb) {
  // A dead process runs nothing: protocol objects being torn down after a crash may still
  // try to set a timer; it is dropped.
  if (!running_) return {};
  std::uint32_t slot = free_timer_;
  if (slot != 0) {
    free_timer_ = timers_[slot].next_free;
  } else {
    timers_.emplace_back();
    slot = static_cast<std::uint32_t>(timers_.size() - 1);
  }
  Timer& t = timers_[slot];
  t.cb = std::move(cb);
  t.live = true;
  const std::uint32_t gen = t.generation;
  t.id = ctx_.scheduler->after(after, [this, slot, gen] { fire(slot, gen); }, name);
  return make_handle(slot, gen);
}

void PeerEnv::fire(std::uint32_t slot, std::uint32_t generation) {
  Timer& t = timers_[slot];
  GS_ASSERT(t.live && t.generation == generation, "peer {} timer slot {} fired stale", peer_, slot);
  Callback cb = std::move(t.cb);
  free_timer(slot);  // before the call: the callback may set timers
  cb();
}

void PeerEnv::free_timer(std::uint32_t slot) {
  Timer& t = timers_[slot];
  t.cb.reset();
  t.live = false;
  ++t.generation;
  t.next_free = free_timer_;
  free_timer_ = slot;
}

void PeerEnv::cancel_timer(proto::TimerHandle h) {
  const auto slot = static_cast<std::uint32_t>(h.id & 0xFFFFFFFFu);
  const auto gen = static_cast<std::uint32_t>(h.id >> 32);
  if (slot == 0 || slot >= timers_.size()) return;
  Timer& t = timers_[slot];
  if (!t.live || t.generation != gen) return;
  ctx_.scheduler->cancel(t.id);
  free_timer(slot);
}

proto::Rng& PeerEnv::rng(proto::RngPurpose purpose) { return *rngs_[static_cast<std::size_t>(purpose)]; }

// ---- transport ----

void PeerEnv::dial(const proto::Endpoint& to, Duration timeout, DialDone done) {
  if (!running_) return;
  const std::optional<net::HostId> target = ctx_.directory->host_of(to);
  if (!target) {
    // No such host: like an address nobody answers, the dial times out. The pending
    // completion lives in a one-shot timer so that a crash cancels it with the rest.
    auto shared = std::make_shared<DialDone>(std::move(done));
    set_timer(timeout, "comm.dial_unroutable", [shared] { (*shared)(0, false, proto::DialError::timeout); });
    return;
  }
  ctx_.stream->connect(host_, *target, timeout,
                       [this, inc = incarnation_, done = std::move(done)](const net::ConnectResult& r) mutable {
                         if (!running_ || inc != incarnation_) return;  // the dialing process is gone
                         done(r.conn, r.ok(),
                              r.error == net::ConnectError::refused ? proto::DialError::refused
                                                                    : proto::DialError::timeout);
                       });
}

void PeerEnv::write(proto::ConnId conn, proto::WirePacket packet) {
  if (!running_) return;
  if (cpu_busy_until_ <= now()) {
    ctx_.stream->write(conn, to_net(packet));
    return;
  }
  // The peer's CPU is still busy with work charged earlier: the packet leaves when it is
  // done. Deferred writes keep their order because busy_until never decreases.
  set_timer(cpu_busy_until_ - now(), "cpu.deferred_write",
            [this, conn, p = to_net(packet)]() mutable { ctx_.stream->write(conn, std::move(p)); });
}

// Writes still deferred by the CPU are not counted: they stand for the sending handler
// running later, not for a backlog in the connection.
std::size_t PeerEnv::unwritten(proto::ConnId conn) const { return ctx_.stream->unsent(conn); }

void PeerEnv::close(proto::ConnId conn) { ctx_.stream->close(conn); }

void PeerEnv::charge_cpu(Duration cost) {
  cpu_used_ += cost;
  cpu_busy_until_ = (cpu_busy_until_ > now() ? cpu_busy_until_ : now()) + cost;
}

void PeerEnv::observe(const proto::Observation& o) {
  if (ctx_.listener != nullptr) ctx_.listener->on_observation(peer_, o);
}

// ---- inbound: one FIFO, handled when the CPU is free ----

void PeerEnv::on_accept(net::ConnId conn, net::HostId remote) {
  deliver_inbound({Inbound::Kind::accept, conn, remote, {}});
}
void PeerEnv::on_receive(net::ConnId conn, const net::Packet& packet) {
  deliver_inbound({Inbound::Kind::receive, conn, 0, packet});
}
void PeerEnv::on_closed(net::ConnId conn) { deliver_inbound({Inbound::Kind::closed, conn, 0, {}}); }
// Only the tag of the failed packet travels (in an otherwise empty packet).
void PeerEnv::on_write_failed(net::ConnId conn, std::uint8_t tag) {
  deliver_inbound({Inbound::Kind::write_failed, conn, 0, net::Packet{nullptr, 0, 0, tag}});
}

void PeerEnv::deliver_inbound(Inbound ev) {
  if (!running_) return;
  if (inbox_.empty() && cpu_busy_until_ <= now()) return dispatch(ev);  // idle: at once
  inbox_.push_back(std::move(ev));
  if (!drain_timer_)
    drain_timer_ = set_timer(cpu_busy_until_ - now(), "cpu.inbox", [this] {
      drain_timer_ = {};
      drain_inbox();
    });
}

void PeerEnv::drain_inbox() {
  while (running_ && !inbox_.empty() && cpu_busy_until_ <= now()) {
    const Inbound ev = std::move(inbox_.front());
    inbox_.pop_front();
    dispatch(ev);
  }
  if (running_ && !inbox_.empty() && !drain_timer_)
    drain_timer_ = set_timer(cpu_busy_until_ - now(), "cpu.inbox", [this] {
      drain_timer_ = {};
      drain_inbox();
    });
}

void PeerEnv::dispatch(const Inbound& ev) {
  if (handler_ == nullptr) return;
  switch (ev.kind) {
    case Inbound::Kind::accept: return handler_->on_inbound(ev.conn, ctx_.directory->endpoint_of(ev.remote));
    case Inbound::Kind::receive: return handler_->on_receive(ev.conn, to_proto(ev.packet));
    case Inbound::Kind::closed: return handler_->on_closed(ev.conn);
    case Inbound::Kind::write_failed: return handler_->on_write_failed(ev.conn, ev.packet.tag);
  }
}

}  // namespace gs::world
