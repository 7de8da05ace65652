// Env: the only door between a peer's protocol code and the world (DESIGN.md "Layers").
//
// Everything under protocol/ is sans-IO: it reads the clock, sets timers, draws random
// numbers, dials and writes connections, and reports observations only through this
// interface. sim/world implements it on the simulated network; a real-time
// implementation could be written later without touching protocol/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/callback.hpp"
#include "base/time.hpp"

namespace gs::proto {

// Opaque PKI-ID bytes. std::string compares bytewise as unsigned char, which is the
// ordering Fabric uses for the election tie-break (spec §0.2).
using PkiId = std::string;
// "host:port" as in core.yaml.
using Endpoint = std::string;

// Hash of a PKI-ID for hashed indexes that are only looked up, never iterated where the
// order could be observed (STYLE.md 4). Production PKI-IDs are SHA-256 digests (spec
// §0.2), whose bytes are already uniformly distributed, so two 8-byte words of them (the
// first and the last) make the hash instead of a pass over all 32 bytes; shorter ids
// (Fabric's test scheme uses endpoints) take std::hash. Deliberately not noexcept:
// libstdc++ then keeps each node's hash code, as for std::hash<std::string>, so that a
// lookup compares the codes along a bucket's chain before any key bytes.
struct PkiIdHash {
  std::size_t operator()(std::string_view pki) const {
    if (pki.size() < 16) return std::hash<std::string_view>{}(pki);
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    std::memcpy(&first, pki.data(), sizeof first);
    std::memcpy(&last, pki.data() + pki.size() - sizeof last, sizeof last);
    return static_cast<std::size_t>(first ^ (last * 0x9E3779B97F4A7C15ULL) ^ pki.size());
  }
};

// Independent random streams of one peer, one per purpose, so that extra draws by one
// component never shift another's (STYLE.md, "Random streams per (purpose, peer)").
enum class RngPurpose : std::uint8_t {
  routing,    // emitter peer selection (§2.4, §2.6)
  pull,       // pull peer selection, nonces, owner choice (§3)
  discovery,  // sync targets, membership-request nonces (§6)
  channel,    // StateInfo request targets (§5.3)
  election,   // (reserved; the election itself is deterministic) (§7)
  state,      // anti-entropy peer choice and nonces (§8.4)
  count_,
};
std::string_view to_string(RngPurpose p);

class Rng {
 public:
  virtual ~Rng() = default;
  virtual std::uint64_t next_u64() = 0;
  // Uniform in [0, n); n > 0.
  virtual std::uint64_t below(std::uint64_t n) = 0;
};

struct TimerHandle {
  std::uint64_t id = 0;  // 0 = no timer
  explicit operator bool() const { return id != 0; }
};

// A connection of the stream transport, as seen by one endpoint of it.
using ConnId = std::uint64_t;

enum class DialError : std::uint8_t {
  refused,  // the host answered but nothing listens (process down): fails at once
  timeout,  // no answer before the timeout (host down, partitioned, unknown address)
};
std::string_view to_string(DialError e);

// Something put on the wire: an immutable message shared by every recipient, with the
// size its protobuf encoding would have. `kind` is a small label index for per-type
// counters (see MessageKind in protocol/message.hpp); `body` is opaque to the network.
// `tag` is opaque to the transport too: the writer's own label for the write, carried
// with the packet and handed back unchanged by on_write_failed (comm marks which of its
// writes a failure belongs to: a Send's, a Respond's or its handshake's). It fits in the
// padding: the struct stays 24 bytes.
struct WirePacket {
  std::shared_ptr<const void> body;
  std::uint32_t bytes = 0;
  std::uint16_t kind = 0;
  std::uint8_t tag = 0;
};
static_assert(sizeof(WirePacket) == 24);

// Notifications from the transport to the peer's comm layer (§9). The Env calls these;
// comm registers itself with Env::set_transport_handler.
class TransportHandler {
 public:
  virtual ~TransportHandler() = default;
  // A remote peer opened a connection to us. `remote` is its address as the network
  // knows it (not authenticated: comm's handshake authenticates, §9.4).
  virtual void on_inbound(ConnId conn, const Endpoint& remote) = 0;
  // A packet arrived on a connection; per connection, packets arrive in send order.
  virtual void on_receive(ConnId conn, const WirePacket& packet) = 0;
  // The connection is gone: closed by the remote, or broken (crash, partition detected).
  // A broken stream is noticed by its reader too: a connection whose write failed is also
  // reported closed (before or after the failure), unless we closed it ourselves.
  virtual void on_closed(ConnId conn) = 0;
  // A write we made on `conn` failed (the stream is broken). Reported once per write,
  // with the `tag` of the packet that failed.
  virtual void on_write_failed(ConnId conn, std::uint8_t tag) = 0;
};

// Facts the metrics need (DESIGN.md: block committed, view changed, leader changed,
// message sent/received). Delivered synchronously; observers must not call back into
// the peer.
struct Observation;  // defined in protocol/observation.hpp

class Env {
 public:
  virtual ~Env() = default;

  virtual Time now() const = 0;

  // One-shot timer. `name` is a static string used in traces ("emitter.flush").
  virtual TimerHandle set_timer(Duration after, const char* name, Callback cb) = 0;
  // Cancelling a fired, cancelled or empty handle is harmless.
  virtual void cancel_timer(TimerHandle h) = 0;

  virtual Rng& rng(RngPurpose purpose) = 0;

  // Stream transport (TCP-like, like Fabric's gRPC streams). dial() reports exactly
  // once: a ConnId on success, or a DialError. A connection attempt that exceeds
  // `timeout` fails with DialError::timeout.
  using DialDone = InplaceFunction<void(ConnId conn, bool ok, DialError err), 64>;
  virtual void dial(const Endpoint& to, Duration timeout, DialDone done) = 0;
  virtual void write(ConnId conn, WirePacket packet) = 0;
  // Messages written on `conn` that the connection has not started to transmit yet (they
  // wait behind earlier data on this peer's uplink): Fabric's "queued in the send buffer,
  // not yet written to the stream" (spec §9.5). 0 for a closed connection.
  virtual std::size_t unwritten(ConnId conn) const = 0;
  virtual void close(ConnId conn) = 0;
  virtual void set_transport_handler(TransportHandler* handler) = 0;

  // CPU time charged to the peer by simulated crypto (§ MessageCryptoService). The
  // world may delay the peer's subsequent work by it; the protocol only reports it.
  virtual void charge_cpu(Duration cost) = 0;

  virtual void observe(const Observation& o) = 0;
};

}  // namespace gs::proto
