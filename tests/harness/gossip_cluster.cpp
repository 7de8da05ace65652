#include "gossip_cluster.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "base/assert.hpp"

namespace gs::testing {

namespace {

proto::GossipConfig standard_instance_config_for(proto::Profile profile, Duration pull_interval) {
  proto::GossipConfig c = proto::defaults_for(profile);
  c.max_propagation_burst_latency = Duration::milliseconds(500);
  c.max_propagation_burst_size = 20;
  c.propagate_iterations = 1;
  c.propagate_peer_num = 3;
  c.pull_interval = pull_interval;
  c.pull_peer_num = 5;
  c.publish_cert_period = Duration::seconds(4);
  c.publish_state_info_interval = Duration::seconds(1);
  c.request_state_info_interval = Duration::seconds(1);
  c.max_block_count_to_store = 100;
  return c;
}

// Global overrides of gossip_test.go (v1.0: its init(); latest: its discoveryConfig, the
// same values): alive 1 s, expiration 10 s (so the check interval, derived as expiration /
// 10, is 1 s), reconnect 1 s, 5 connection attempts.
proto::GossipConfig with_test_overrides(proto::GossipConfig c) {
  c.alive_time_interval = Duration::seconds(1);
  c.alive_expiration_timeout = Duration::seconds(10);
  c.reconnect_interval = Duration::seconds(1);
  c.max_connection_attempts = 5;
  return c;
}

}  // namespace

proto::GossipConfig standard_instance_config() {
  return standard_instance_config_for(proto::Profile::fabric_1_0, Duration::seconds(2));
}

proto::GossipConfig standard_test_config() { return with_test_overrides(standard_instance_config()); }

proto::GossipConfig latest_standard_test_config() {
  return with_test_overrides(standard_instance_config_for(proto::Profile::fabric_2_5, Duration::seconds(4)));
}

proto::GossipConfig pull_only_test_config() {
  proto::GossipConfig c = standard_test_config();
  c.propagate_iterations = 0;
  c.propagate_peer_num = 0;
  c.pull_interval = Duration::seconds(1);
  c.pull_peer_num = 20;
  c.max_propagation_burst_latency = Duration::seconds(1);
  c.max_propagation_burst_size = 10;
  c.publish_cert_period = Duration::zero();
  c.digest_wait_time = Duration::milliseconds(200);
  c.request_wait_time = Duration::milliseconds(200);
  c.response_wait_time = Duration::milliseconds(200);
  return c;
}

proto::GossipMessage make_data_message(std::uint64_t seq, const std::string& channel, std::uint64_t block_bytes) {
  proto::GossipMessage m;
  m.channel = channel;
  m.tag = proto::Tag::CHAN_AND_ORG;
  m.content = proto::DataMessage{proto::Payload{seq, std::make_shared<const proto::Block>(proto::Block{seq, block_bytes, false})}};
  return m;
}

proto::GossipMessage make_leadership_message(const proto::PkiId& pki_id, const std::string& channel, bool declaration,
                                             proto::PeerTime ts) {
  proto::GossipMessage m;
  m.channel = channel;
  m.tag = proto::Tag::CHAN_AND_ORG;
  m.content = proto::LeadershipMessage{pki_id, ts, declaration};
  return m;
}

InstanceSpec instance(proto::Endpoint endpoint, std::vector<proto::Endpoint> bootstrap, proto::GossipConfig config,
                      std::function<void(proto::GossipService&)> on_start, proto::Endpoint external_endpoint) {
  InstanceSpec s;
  s.endpoint = std::move(endpoint);
  s.external_endpoint = std::move(external_endpoint);
  s.bootstrap = std::move(bootstrap);
  s.config = std::move(config);
  s.on_start = std::move(on_start);
  return s;
}

proto::JoinChannelMessage join_message(std::vector<std::string> orgs) {
  proto::JoinChannelMessage j;
  j.sequence_number = 1;
  j.orgs = std::move(orgs);
  return j;
}

// ---------------------------------------------------------------------------------------
// TracedEnv: the instance's PeerEnv with every written and received envelope reported to
// the cluster (which forwards it to the message sink, if any). Everything else delegates.

class GossipCluster::TracedEnv final : public proto::Env, private proto::TransportHandler {
 public:
  TracedEnv(GossipCluster& cluster, std::size_t index, world::PeerEnv& inner)
      : cluster_(cluster), index_(index), inner_(inner) {}

  Time now() const override { return inner_.now(); }
  proto::TimerHandle set_timer(Duration after, const char* name, Callback cb) override {
    return inner_.set_timer(after, name, std::move(cb));
  }
  void cancel_timer(proto::TimerHandle h) override { inner_.cancel_timer(h); }
  proto::Rng& rng(proto::RngPurpose purpose) override { return inner_.rng(purpose); }
  void dial(const proto::Endpoint& to, Duration timeout, DialDone done) override {
    inner_.dial(to, timeout, std::move(done));
  }
  void write(proto::ConnId conn, proto::WirePacket packet) override {
    cluster_.trace(MessageEvent::Op::send, index_, conn, packet);
    inner_.write(conn, std::move(packet));
  }
  std::size_t unwritten(proto::ConnId conn) const override { return inner_.unwritten(conn); }
  void close(proto::ConnId conn) override { inner_.close(conn); }
  void set_transport_handler(proto::TransportHandler* handler) override {
    handler_ = handler;
    inner_.set_transport_handler(handler == nullptr ? nullptr : this);
  }
  void charge_cpu(Duration cost) override { inner_.charge_cpu(cost); }
  void observe(const proto::Observation& o) override { inner_.observe(o); }

 private:
  void on_inbound(proto::ConnId conn, const proto::Endpoint& remote) override { handler_->on_inbound(conn, remote); }
  void on_receive(proto::ConnId conn, const proto::WirePacket& packet) override {
    cluster_.trace(MessageEvent::Op::recv, index_, conn, packet);
    handler_->on_receive(conn, packet);
  }
  void on_closed(proto::ConnId conn) override { handler_->on_closed(conn); }
  void on_write_failed(proto::ConnId conn, std::uint8_t tag) override { handler_->on_write_failed(conn, tag); }

  GossipCluster& cluster_;
  std::size_t index_;
  world::PeerEnv& inner_;
  proto::TransportHandler* handler_ = nullptr;
};

// ---------------------------------------------------------------------------------------
// Construction

GossipCluster::GossipCluster(ClusterOptions options)
    : options_(std::move(options)), streams_(options_.seed), pki_(options_.identities) {
  network_ = std::make_unique<net::Network>(scheduler_, streams_);
  network_->set_default_link(options_.link);
  stream_ = std::make_unique<net::StreamTransport>(*network_);
}

GossipCluster::~GossipCluster() {
  // Services go before their envs, envs before the transport and network they use.
  for (auto& n : nodes_)
    if (n->service) {
      n->env->stop_process();
      n->service.reset();
    }
}

std::size_t GossipCluster::add(InstanceSpec spec) {
  GS_ASSERT(!spec.endpoint.empty() && !by_endpoint_.count(spec.endpoint), "cluster: bad or duplicate endpoint '{}'",
            spec.endpoint);
  proto::resolve(spec.config);
  const std::size_t i = nodes_.size();
  auto node = std::make_unique<Node>();
  node->host = network_->add_host(spec.endpoint, spec.org, spec.org);
  GS_ASSERT(node->host == i, "cluster: host ids follow instance indices");
  // Not listening until started: connects are refused.
  network_->crash_process(node->host);
  pki_.enroll(spec.endpoint, spec.org, spec.endpoint);
  world::PeerEnvContext ctx{&scheduler_, network_.get(), stream_.get(), &streams_, this, this};
  node->env = std::make_unique<world::PeerEnv>(ctx, node->host, static_cast<std::uint32_t>(i));
  node->traced = std::make_unique<TracedEnv>(*this, i, *node->env);
  node->spec = std::move(spec);
  by_endpoint_[node->spec.endpoint] = i;
  nodes_.push_back(std::move(node));
  return i;
}

std::optional<std::size_t> GossipCluster::index_of(const proto::Endpoint& endpoint) const {
  auto it = by_endpoint_.find(endpoint);
  if (it == by_endpoint_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::size_t> GossipCluster::index_of_pki(const proto::PkiId& pki_id) const {
  const proto::PeerCredentials* c = pki_.by_pki_id(pki_id);
  if (c == nullptr) return std::nullopt;
  return index_of(c->endpoint);
}

const proto::PkiId& GossipCluster::pki_id(std::size_t i) const { return pki_.by_name(nodes_[i]->spec.endpoint)->pki_id; }

// ---------------------------------------------------------------------------------------
// Lifecycle

void GossipCluster::start(std::size_t i) {
  Node& n = *nodes_[i];
  if (n.service) return;
  network_->restart(n.host);
  n.env->start_process();
  proto::GossipServiceSetup setup;
  setup.self = *pki_.by_name(n.spec.endpoint);
  setup.internal_endpoint = n.spec.endpoint;
  setup.external_endpoint = n.spec.external_endpoint;
  setup.bootstrap = n.spec.bootstrap;
  setup.config = n.spec.config;
  setup.crypto_costs = options_.crypto_costs;
  n.service = std::make_unique<proto::GossipService>(*n.traced, pki_, std::move(setup));
  n.service->subscribe([](const proto::DeliveredMessage&) { return true; },
                       [this, i](const proto::DeliveredMessage& d) { record_delivery(i, d); });
  if (n.spec.on_start) n.spec.on_start(*n.service);
}

void GossipCluster::stop(std::size_t i) {
  Node& n = *nodes_[i];
  if (!n.service) return;
  n.service->stop();  // Fabric Stop(): closes its connections (FINs go out)
  n.env->stop_process();
  network_->crash_process(n.host);  // nothing listens any more: connects are refused
  n.service.reset();
}

void GossipCluster::crash(std::size_t i) {
  Node& n = *nodes_[i];
  if (!n.service) return;
  n.env->stop_process();
  network_->crash_process(n.host);
  n.service.reset();
}

void GossipCluster::start_at(std::size_t i, Time t) { scheduler_.at(t, [this, i] { start(i); }, "cluster.start"); }
void GossipCluster::stop_at(std::size_t i, Time t) { scheduler_.at(t, [this, i] { stop(i); }, "cluster.stop"); }
void GossipCluster::crash_at(std::size_t i, Time t) { scheduler_.at(t, [this, i] { crash(i); }, "cluster.crash"); }

bool GossipCluster::wait_until(const std::function<bool()>& pred, Duration timeout, Duration poll) {
  const Time deadline = now() + timeout;
  while (!pred()) {
    if (now() >= deadline) return false;
    advance_to(std::min(deadline, now() + poll));
  }
  return true;
}

// ---------------------------------------------------------------------------------------
// Read-outs

proto::Env& GossipCluster::env(std::size_t i) { return *nodes_[i]->traced; }

proto::GossipService& GossipCluster::gossip(std::size_t i) {
  GS_ASSERT(nodes_[i]->service != nullptr, "cluster: instance {} is not running", i);
  return *nodes_[i]->service;
}

std::vector<proto::Endpoint> GossipCluster::view(std::size_t i) const {
  std::vector<proto::Endpoint> out;
  if (!nodes_[i]->service) return out;
  for (const proto::NetworkMember& m : nodes_[i]->service->peers()) out.push_back(m.preferred_endpoint());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<proto::ChannelMember> GossipCluster::channel_peers(std::size_t i, const std::string& channel) const {
  std::vector<proto::ChannelMember> out;
  if (!nodes_[i]->service) return out;
  out = nodes_[i]->service->peers_of_channel(channel);
  std::sort(out.begin(), out.end(), [](const proto::ChannelMember& a, const proto::ChannelMember& b) {
    return a.preferred_endpoint() < b.preferred_endpoint();
  });
  return out;
}

std::map<std::uint64_t, std::uint32_t> GossipCluster::blocks_delivered(std::size_t i, const std::string& channel) const {
  std::map<std::uint64_t, std::uint32_t> out;
  for (const Delivery& d : nodes_[i]->deliveries)
    if (d.kind == proto::MessageKind::data && d.channel == channel) ++out[d.seq];
  return out;
}

std::size_t GossipCluster::count_delivered(std::size_t i, proto::MessageKind kind) const {
  return static_cast<std::size_t>(std::count_if(nodes_[i]->deliveries.begin(), nodes_[i]->deliveries.end(),
                                                [kind](const Delivery& d) { return d.kind == kind; }));
}

void GossipCluster::record_delivery(std::size_t i, const proto::DeliveredMessage& d) {
  Delivery r;
  r.at = now();
  r.channel = d.channel;
  r.kind = d.msg->kind();
  if (const auto* data = d.msg->get_if<proto::DataMessage>()) r.seq = data->payload.seq_num;
  r.via = d.via;
  r.msg = d.msg;
  nodes_[i]->deliveries.push_back(std::move(r));
}

// ---------------------------------------------------------------------------------------
// Trace

std::size_t GossipCluster::index_of_host(net::HostId h) const { return h; }  // hosts follow indices

void GossipCluster::trace(MessageEvent::Op op, std::size_t self, proto::ConnId conn, const proto::WirePacket& p) {
  if (!message_sink_) return;
  const std::size_t remote = index_of_host(stream_->remote_host(conn));
  MessageEvent e{now(), op, op == MessageEvent::Op::send ? self : remote, op == MessageEvent::Op::send ? remote : self,
                 proto::from_packet(p)};
  message_sink_(e);
}

std::string GossipCluster::format(const MessageEvent& e) const {
  return fmt::format("{} {} {} -> {} {}", e.at, e.op == MessageEvent::Op::send ? "send" : "recv",
                     nodes_[e.from]->spec.endpoint, nodes_[e.to]->spec.endpoint, *e.msg);
}

// ---------------------------------------------------------------------------------------
// Env plumbing

void GossipCluster::on_observation(std::uint32_t peer, const proto::Observation& o) {
  nodes_[peer]->observations.push_back(o);
}

std::optional<net::HostId> GossipCluster::host_of(const std::string& endpoint) const {
  auto it = by_endpoint_.find(endpoint);
  if (it == by_endpoint_.end()) return std::nullopt;
  return nodes_[it->second]->host;
}

const std::string& GossipCluster::endpoint_of(net::HostId host) const { return nodes_[index_of_host(host)]->spec.endpoint; }

}  // namespace gs::testing
