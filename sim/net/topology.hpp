// Network topologies as Boost.Graph graphs whose edges carry one-way link latencies.
//
// Edges are bidirectional links (undirected graph); the one-way latency between two vertices is
// the shortest path over edge latencies (Dijkstra), computed lazily once per source vertex and
// cached. Two vertices without a path are unreachable (path_latency returns nullopt). Two hosts
// attached to the same vertex are 0 apart.
//
// Sources: generators seeded from a RandomStream (edge latencies drawn from a LatencyModel with
// the same stream, after the structure), or files (GraphML, Graphviz DOT) whose edges carry a
// `latency` attribute holding a Go-style duration ("5ms"). Bad files raise TopologyError naming
// the file and the problem.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/graph/adjacency_list.hpp>

#include "base/time.hpp"
#include "sim/core/random.hpp"
#include "sim/net/latency_model.hpp"

namespace gs::net {

struct TopologyError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Topology {
 public:
  struct VertexProps {
    std::string name;
  };
  struct EdgeProps {
    std::int64_t latency_ns = 0;
  };
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS, VertexProps, EdgeProps>;
  using Vertex = std::size_t;

  Topology() = default;

  // --- building ---
  Vertex add_vertex(std::string name);
  // Throws TopologyError for an unknown vertex or a negative latency.
  void add_edge(Vertex a, Vertex b, Duration latency);

  // --- generators (vertices are named "v0", "v1", ...) ---
  // Every pair linked: n(n-1)/2 edges.
  static Topology complete(std::size_t n, const LatencyModel& edge_latency, sim::RandomStream& rng);
  // i linked to i+1 mod n: n edges for n >= 3.
  static Topology ring(std::size_t n, const LatencyModel& edge_latency, sim::RandomStream& rng);
  // rows x cols 2-D grid (vertex r*cols+c), 4-neighbour links: rows(cols-1) + cols(rows-1) edges.
  static Topology grid(std::size_t rows, std::size_t cols, const LatencyModel& edge_latency, sim::RandomStream& rng);
  // G(n, p) without self-loops (boost::sorted_erdos_renyi_iterator).
  static Topology erdos_renyi(std::size_t n, double p, const LatencyModel& edge_latency, sim::RandomStream& rng);
  // Watts–Strogatz: ring lattice with k neighbours per vertex, each edge rewired with probability p
  // (boost::small_world_iterator): exactly n*k/2 edges.
  static Topology small_world(std::size_t n, std::size_t k, double p, const LatencyModel& edge_latency,
                              sim::RandomStream& rng);
  // Power-law out-degree (PLOD, boost::plod_iterator): degree of a vertex ~ beta * x^-alpha.
  static Topology plod(std::size_t n, double alpha, double beta, const LatencyModel& edge_latency,
                       sim::RandomStream& rng);

  // --- files ---
  // GraphML: an edge attribute named "latency" (attr.type "string") on every edge; an optional
  // vertex attribute "name" (vertices are otherwise named by their position "v<i>").
  static Topology read_graphml(const std::string& path);
  static Topology read_graphml(std::istream& in, const std::string& source_name);
  // Graphviz DOT, undirected (`graph { a -- b [latency="5ms"]; }`); vertices named by node id.
  static Topology read_dot(const std::string& path);
  static Topology read_dot(std::istream& in, const std::string& source_name);

  // --- queries ---
  std::size_t vertex_count() const { return boost::num_vertices(g_); }
  std::size_t edge_count() const { return boost::num_edges(g_); }
  const std::string& vertex_name(Vertex v) const { return g_[v].name; }
  std::optional<Vertex> vertex_by_name(const std::string& name) const;
  // Shortest-path one-way latency; nullopt when no path exists.
  std::optional<Duration> path_latency(Vertex from, Vertex to) const;
  const Graph& graph() const { return g_; }

 private:
  template <typename EdgeIterator>
  static Topology from_edges(std::size_t n, EdgeIterator first, EdgeIterator last, const LatencyModel& edge_latency,
                             sim::RandomStream& rng);
  const std::vector<std::int64_t>& distances_from(Vertex source) const;

  Graph g_;
  // dist_[s] = shortest distances from s (ns; int64 max = unreachable); empty until first asked.
  mutable std::vector<std::vector<std::int64_t>> dist_;
};

}  // namespace gs::net
