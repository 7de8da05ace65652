#include "sim/scenario/params.hpp"

#include <fmt/format.h>

#include "base/assert.hpp"

namespace gs::scenario {

namespace {

using proto::GossipConfig;

// Field accessors are captureless lambdas so the table stays a constexpr-friendly array.
#define GS_FIELD(path) [](GossipConfig& c) -> void* { return &c.path; }

// clang-format off
const ParamInfo kParams[] = {
  {"useLeaderElection", ParamType::boolean, GS_FIELD(use_leader_election), "", "§7.1",
   "peers elect one leader per org and channel to receive blocks from the orderer"},
  {"orgLeader", ParamType::boolean, GS_FIELD(org_leader), "", "§7.1",
   "every peer is a static leader (connected to the orderer); per-org static leaders go under orgs[].leaders"},
  {"maxBlockCountToStore", ParamType::count, GS_FIELD(max_block_count_to_store), "blocks", "§4.3",
   "K of the channel block store: it keeps the newest K+1 sequence numbers"},
  {"maxPropagationBurstLatency", ParamType::duration, GS_FIELD(max_propagation_burst_latency), "duration", "§2.3",
   "emitter flush period L"},
  {"maxPropagationBurstSize", ParamType::count, GS_FIELD(max_propagation_burst_size), "messages", "§2.3",
   "emitter buffer size B that triggers an immediate flush"},
  {"propagateIterations", ParamType::count, GS_FIELD(propagate_iterations), "times", "§2.3",
   "times each emitted message is routed (I); 0 disables push entirely"},
  {"propagatePeerNum", ParamType::count, GS_FIELD(propagate_peer_num), "peers", "§2.4, §2.6",
   "fan-out F: peers chosen per routing of a pushed message"},
  {"pullInterval", ParamType::duration, GS_FIELD(pull_interval), "duration", "§3, §6.6",
   "period of block and identity pull rounds and of discovery sync"},
  {"pullPeerNum", ParamType::count, GS_FIELD(pull_peer_num), "peers", "§3, §5.3, §6.6",
   "peers per pull round, discovery sync and StateInfo request; 0 disables pull"},
  {"requestStateInfoInterval", ParamType::duration, GS_FIELD(request_state_info_interval), "duration", "§5.3",
   "StateInfo pull-request ticker"},
  {"publishStateInfoInterval", ParamType::duration, GS_FIELD(publish_state_info_interval), "duration", "§5.3",
   "StateInfo publish ticker"},
  {"publishCertPeriod", ParamType::duration, GS_FIELD(publish_cert_period), "duration", "§6.6",
   "time after start during which alive messages carry the certificate"},
  {"skipBlockVerification", ParamType::boolean, GS_FIELD(skip_block_verification), "", "§2.1",
   "read by Fabric but unused"},
  {"dialTimeout", ParamType::duration, GS_FIELD(dial_timeout), "duration", "§9.1", "connection dial timeout"},
  {"connTimeout", ParamType::duration, GS_FIELD(conn_timeout), "duration", "§9.1",
   "handshake read timeout (ConnEstablish)"},
  {"recvBuffSize", ParamType::count, GS_FIELD(recv_buff_size), "messages", "§9.1", "receive buffer per connection"},
  {"sendBuffSize", ParamType::count, GS_FIELD(send_buff_size), "messages", "§9.1",
   "send buffer per connection; a full buffer drops silently (core.yaml 200, code default 20)"},
  {"digestWaitTime", ParamType::duration, GS_FIELD(digest_wait_time), "duration", "§3.1",
   "pull initiator collects digests this long after its hellos"},
  {"requestWaitTime", ParamType::duration, GS_FIELD(request_wait_time), "duration", "§3.1, §3.3",
   "pull responder keeps a hello nonce valid this long"},
  {"responseWaitTime", ParamType::duration, GS_FIELD(response_wait_time), "duration", "§3.1",
   "pull initiator accepts updates this long after its requests"},
  {"aliveTimeInterval", ParamType::duration, GS_FIELD(alive_time_interval), "duration", "§6.6",
   "period of a peer's own alive message"},
  {"aliveExpirationTimeout", ParamType::duration, GS_FIELD(alive_expiration_timeout), "duration", "§6.6, §6.7",
   "a peer silent this long is declared dead (checked every timeout/10)"},
  {"reconnectInterval", ParamType::duration, GS_FIELD(reconnect_interval), "duration", "§6.3, §6.6",
   "period of the reconnect-to-dead loop and of connect retries"},
  {"maxConnectionAttempts", ParamType::count, GS_FIELD(max_connection_attempts), "attempts", "§6.3",
   "connect / membership-request retries (hard-coded 120 in v1.0)"},
  {"msgExpirationFactor", ParamType::count, GS_FIELD(msg_expiration_factor), "factor", "§4.3, §6.9",
   "alive-store TTL = aliveExpirationTimeout x this (hard-coded 20 in v1.0)"},
  {"membershipTrackerInterval", ParamType::duration, GS_FIELD(membership_tracker_interval), "duration", "§5.10",
   "channel membership tracker period (latest; logging/metrics only)"},
  {"nonBlockingCommitMode", ParamType::boolean, GS_FIELD(non_blocking_commit_mode), "", "§8.3",
   "orderer blocks enter the payload buffer without blocking (latest)"},
  {"election.startupGracePeriod", ParamType::duration, GS_FIELD(election.startup_grace_period), "duration", "§7.3",
   "longest wait for membership to stabilise before the first election"},
  {"election.membershipSampleInterval", ParamType::duration, GS_FIELD(election.membership_sample_interval),
   "duration", "§7.3", "membership sampling period during start-up"},
  {"election.leaderAliveThreshold", ParamType::duration, GS_FIELD(election.leader_alive_threshold), "duration",
   "§7.3", "followers start an election after this long without a declaration; leaders declare every half of it"},
  {"election.leaderElectionDuration", ParamType::duration, GS_FIELD(election.leader_election_duration),
   "duration", "§7.3", "wait after a proposal before declaring oneself leader"},
  {"state.enabled", ParamType::boolean, GS_FIELD(state.enabled), "", "§8.4",
   "anti-entropy state transfer on/off (v1.0 had no switch: always on)"},
  {"state.checkInterval", ParamType::duration, GS_FIELD(state.check_interval), "duration", "§8.4",
   "anti-entropy period"},
  {"state.responseTimeout", ParamType::duration, GS_FIELD(state.response_timeout), "duration", "§8.4",
   "wait for a state response before retrying"},
  {"state.batchSize", ParamType::count, GS_FIELD(state.batch_size), "blocks", "§8.4",
   "blocks per state request (a request covers up to batchSize+1)"},
  {"state.blockBufferSize", ParamType::count, GS_FIELD(state.block_buffer_size), "blocks", "§8.3",
   "payload buffer bound; 0 = unbounded (v1.0.0)"},
  {"state.maxRetries", ParamType::count, GS_FIELD(state.max_retries), "retries", "§8.4",
   "state request retries per batch before giving up on the range"},
  {"state.channelSize", ParamType::count, GS_FIELD(state.channel_size), "messages", "§8.4",
   "state request/response queue capacity"},
  {"deliveryclient.blockGossipEnabled", ParamType::boolean, GS_FIELD(block_gossip_enabled), "", "§7.1",
   "peer.deliveryclient.blockGossipEnabled: the orderer-connected peer gossips its blocks (latest profiles)"},
};
// clang-format on
#undef GS_FIELD

// spec §10, "code def." columns. The order matters: reconnectInterval follows the
// aliveExpirationTimeout resolved just before it.
const CodeDefault kCodeDefaults[] = {
  {"sendBuffSize", "20", [](GossipConfig& c) { c.send_buff_size = 20; }},
  {"aliveExpirationTimeout", "5 x aliveTimeInterval",
   [](GossipConfig& c) { c.alive_expiration_timeout = c.alive_time_interval * 5; }},
  {"reconnectInterval", "aliveExpirationTimeout",
   [](GossipConfig& c) { c.reconnect_interval = c.alive_expiration_timeout; }},
  {"deliveryclient.blockGossipEnabled", "true", [](GossipConfig& c) { c.block_gossip_enabled = true; }},
};

}  // namespace

std::span<const ParamInfo> gossip_params() { return kParams; }

std::span<const CodeDefault> code_default_exceptions() { return kCodeDefaults; }

const CodeDefault* find_code_default(std::string_view key) {
  for (const CodeDefault& d : kCodeDefaults)
    if (d.key == key) return &d;
  return nullptr;
}

const ParamInfo* find_param(std::string_view key) {
  for (const ParamInfo& p : kParams)
    if (p.key == key) return &p;
  return nullptr;
}

ParamValue get_param(const ParamInfo& p, const proto::GossipConfig& c) {
  void* f = p.field(const_cast<proto::GossipConfig&>(c));  // read only
  switch (p.type) {
    case ParamType::duration: return *static_cast<Duration*>(f);
    case ParamType::count: return static_cast<std::uint64_t>(*static_cast<std::uint32_t*>(f));
    case ParamType::boolean: return *static_cast<bool*>(f);
  }
  GS_ASSERT(false, "unknown parameter type");
}

void set_param(const ParamInfo& p, proto::GossipConfig& c, const ParamValue& v) {
  void* f = p.field(c);
  switch (p.type) {
    case ParamType::duration: *static_cast<Duration*>(f) = std::get<Duration>(v); return;
    case ParamType::count: *static_cast<std::uint32_t*>(f) = static_cast<std::uint32_t>(std::get<std::uint64_t>(v)); return;
    case ParamType::boolean: *static_cast<bool*>(f) = std::get<bool>(v); return;
  }
}

std::string format_param(const ParamValue& v) {
  if (const auto* d = std::get_if<Duration>(&v)) return format_duration(*d);
  if (const auto* n = std::get_if<std::uint64_t>(&v)) return std::to_string(*n);
  return std::get<bool>(v) ? "true" : "false";
}

}  // namespace gs::scenario
