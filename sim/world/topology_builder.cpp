#include "sim/world/topology_builder.hpp"

#include <memory>

#include "sim/net/topology.hpp"

namespace gs::world {

namespace {

net::Topology generate(const scenario::TopologySpec& t, std::size_t peers, sim::RandomStream& rng) {
  const std::size_t n = t.vertices != 0 ? t.vertices : peers;
  if (t.generator == "complete") return net::Topology::complete(n, t.edge_latency, rng);
  if (t.generator == "ring") return net::Topology::ring(n, t.edge_latency, rng);
  if (t.generator == "grid") return net::Topology::grid(t.rows, t.cols, t.edge_latency, rng);
  if (t.generator == "erdos_renyi") return net::Topology::erdos_renyi(n, t.p, t.edge_latency, rng);
  if (t.generator == "small_world") return net::Topology::small_world(n, t.k, t.p, t.edge_latency, rng);
  return net::Topology::plod(n, t.alpha, t.beta, t.edge_latency, rng);  // the loader allows nothing else
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

void attach_topology(net::Network& network, const scenario::TopologySpec& spec, const sim::RandomStreams& streams,
                     const scenario::Scenario& s) {
  std::shared_ptr<const net::Topology> topo;
  if (!spec.file.empty()) {
    const bool dot = ends_with(spec.file, ".dot") || ends_with(spec.file, ".gv");
    topo = std::make_shared<const net::Topology>(dot ? net::Topology::read_dot(spec.file)
                                                     : net::Topology::read_graphml(spec.file));
  } else {
    sim::RandomStream rng = streams.stream("world.topology");
    topo = std::make_shared<const net::Topology>(generate(spec, s.peer_count(), rng));
  }
  network.set_topology(topo);
  network.attach_round_robin();
}

}  // namespace gs::world
