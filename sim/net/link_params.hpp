// Parameters of the path from one host to another, resolved per ordered host pair by the Network
// (explicit site-pair override > class: same org / between orgs > default).
#pragma once

#include <cstdint>

#include "base/time.hpp"
#include "sim/net/latency_model.hpp"

namespace gs::net {

// Defaults mirror the scenario defaults of DESIGN.md (`network: latency 2ms, jitter 0ms,
// loss 0.0, bandwidth 1Gbps`): a data-centre LAN.
struct LinkParams {
  // One-way propagation latency, drawn per transmission. Ignored when a topology is attached
  // (the topology's shortest path gives the propagation latency; jitter and loss still apply).
  LatencyModel latency = LatencyModel::constant(Duration::milliseconds(2));
  // Extra delay uniform on [0, jitter], drawn per transmission (raises the mean by jitter/2).
  Duration jitter = Duration::zero();
  // Probability that one transmission is lost, in [0, 1]. Datagrams are dropped; stream data is
  // retransmitted (see StreamConfig).
  double loss = 0.0;

  // Mean one-way latency including jitter, in nanoseconds.
  double mean_latency_ns() const { return latency.mean_ns() + static_cast<double>(jitter.ns()) / 2; }
};

// Default per-host uplink bandwidth: 1 Gbit/s.
inline constexpr std::uint64_t kDefaultUplinkBps = 1'000'000'000;

}  // namespace gs::net
