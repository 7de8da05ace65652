#include "sim/net/topology.hpp"

#include <fstream>
#include <limits>

#include <boost/graph/dijkstra_shortest_paths.hpp>
#include <boost/graph/erdos_renyi_generator.hpp>
#include <boost/graph/graphml.hpp>
#include <boost/graph/graphviz.hpp>
#include <boost/graph/plod_generator.hpp>
#include <boost/graph/small_world_generator.hpp>
#include <boost/property_map/dynamic_property_map.hpp>
#include <fmt/format.h>

namespace gs::net {
namespace {

// Boost's generator iterators copy their engine in places (e.g. small_world_iterator builds a
// uniform_01 from *gen by value), which would replay the same draws. Handing them this
// pointer-sized handle makes every copy draw from the one RandomStream engine.
struct EngineRef {
  using result_type = std::uint64_t;
  boost::random::mt19937_64* engine;
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return std::numeric_limits<result_type>::max(); }
  result_type operator()() { return (*engine)(); }
};

// A graph as read from a file, latencies still text.
struct RawVertex {
  std::string name;
};
struct RawEdge {
  std::string latency;
};
using RawGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS, RawVertex, RawEdge>;

std::string vertex_label(const RawGraph& raw, std::size_t v) {
  return raw[v].name.empty() ? fmt::format("v{}", v) : raw[v].name;
}

Topology from_raw(const RawGraph& raw, const std::string& source) {
  Topology t;
  for (std::size_t v = 0; v < boost::num_vertices(raw); ++v) t.add_vertex(vertex_label(raw, v));
  for (auto [it, end] = boost::edges(raw); it != end; ++it) {
    const std::size_t a = boost::source(*it, raw), b = boost::target(*it, raw);
    const std::string& text = raw[*it].latency;
    const std::string edge = fmt::format("edge {} -- {}", vertex_label(raw, a), vertex_label(raw, b));
    if (text.empty()) throw TopologyError(fmt::format("{}: {} has no 'latency' attribute", source, edge));
    Duration latency;
    try {
      latency = parse_duration(text);
    } catch (const DurationParseError& e) {
      throw TopologyError(fmt::format("{}: {}: bad latency '{}': {}", source, edge, text, e.what()));
    }
    if (latency < Duration::zero()) throw TopologyError(fmt::format("{}: {}: negative latency '{}'", source, edge, text));
    t.add_edge(a, b, latency);
  }
  return t;
}

std::ifstream open_or_throw(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw TopologyError(fmt::format("{}: cannot open topology file", path));
  return in;
}

}  // namespace

Topology::Vertex Topology::add_vertex(std::string name) {
  dist_.clear();
  return boost::add_vertex(VertexProps{std::move(name)}, g_);
}

void Topology::add_edge(Vertex a, Vertex b, Duration latency) {
  if (a >= vertex_count() || b >= vertex_count())
    throw TopologyError(fmt::format("edge {} -- {}: unknown vertex (have {})", a, b, vertex_count()));
  if (latency < Duration::zero()) throw TopologyError(fmt::format("edge {} -- {}: negative latency", a, b));
  dist_.clear();
  boost::add_edge(a, b, EdgeProps{latency.ns()}, g_);
}

template <typename EdgeIterator>
Topology Topology::from_edges(std::size_t n, EdgeIterator first, EdgeIterator last, const LatencyModel& edge_latency,
                              sim::RandomStream& rng) {
  Topology t;
  for (std::size_t v = 0; v < n; ++v) t.add_vertex(fmt::format("v{}", v));
  // Structure first, latencies second: the edge list does not depend on the latency model.
  std::vector<std::pair<std::size_t, std::size_t>> pairs(first, last);
  for (const auto& [a, b] : pairs) t.add_edge(a, b, edge_latency.sample(rng));
  return t;
}

Topology Topology::complete(std::size_t n, const LatencyModel& edge_latency, sim::RandomStream& rng) {
  std::vector<std::pair<std::size_t, std::size_t>> e;
  for (std::size_t a = 0; a < n; ++a)
    for (std::size_t b = a + 1; b < n; ++b) e.emplace_back(a, b);
  return from_edges(n, e.begin(), e.end(), edge_latency, rng);
}

Topology Topology::ring(std::size_t n, const LatencyModel& edge_latency, sim::RandomStream& rng) {
  std::vector<std::pair<std::size_t, std::size_t>> e;
  if (n == 2) e.emplace_back(0, 1);
  if (n >= 3)
    for (std::size_t a = 0; a < n; ++a) e.emplace_back(a, (a + 1) % n);
  return from_edges(n, e.begin(), e.end(), edge_latency, rng);
}

Topology Topology::grid(std::size_t rows, std::size_t cols, const LatencyModel& edge_latency, sim::RandomStream& rng) {
  std::vector<std::pair<std::size_t, std::size_t>> e;
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) {
      const std::size_t v = r * cols + c;
      if (c + 1 < cols) e.emplace_back(v, v + 1);
      if (r + 1 < rows) e.emplace_back(v, v + cols);
    }
  return from_edges(rows * cols, e.begin(), e.end(), edge_latency, rng);
}

Topology Topology::erdos_renyi(std::size_t n, double p, const LatencyModel& edge_latency, sim::RandomStream& rng) {
  using It = boost::sorted_erdos_renyi_iterator<EngineRef, Graph>;
  EngineRef gen{&rng.engine()};
  return from_edges(n, It(gen, n, p, false), It(), edge_latency, rng);
}

Topology Topology::small_world(std::size_t n, std::size_t k, double p, const LatencyModel& edge_latency,
                               sim::RandomStream& rng) {
  using It = boost::small_world_iterator<EngineRef, Graph>;
  EngineRef gen{&rng.engine()};
  return from_edges(n, It(gen, n, k, p, false), It(), edge_latency, rng);
}

Topology Topology::plod(std::size_t n, double alpha, double beta, const LatencyModel& edge_latency,
                        sim::RandomStream& rng) {
  using It = boost::plod_iterator<EngineRef, Graph>;
  EngineRef gen{&rng.engine()};
  return from_edges(n, It(gen, n, alpha, beta, false), It(), edge_latency, rng);
}

Topology Topology::read_graphml(const std::string& path) {
  std::ifstream in = open_or_throw(path);
  return read_graphml(in, path);
}

Topology Topology::read_graphml(std::istream& in, const std::string& source_name) {
  RawGraph raw;
  boost::dynamic_properties dp(boost::ignore_other_properties);
  dp.property("name", boost::get(&RawVertex::name, raw));
  dp.property("latency", boost::get(&RawEdge::latency, raw));
  try {
    boost::read_graphml(in, raw, dp);
  } catch (const std::exception& e) {
    throw TopologyError(fmt::format("{}: malformed GraphML: {}", source_name, e.what()));
  }
  return from_raw(raw, source_name);
}

Topology Topology::read_dot(const std::string& path) {
  std::ifstream in = open_or_throw(path);
  return read_dot(in, path);
}

Topology Topology::read_dot(std::istream& in, const std::string& source_name) {
  RawGraph raw;
  boost::dynamic_properties dp(boost::ignore_other_properties);
  dp.property("node_id", boost::get(&RawVertex::name, raw));
  dp.property("latency", boost::get(&RawEdge::latency, raw));
  try {
    if (!boost::read_graphviz(in, raw, dp, "node_id"))
      throw TopologyError(fmt::format("{}: malformed DOT: the parser rejected the graph", source_name));
  } catch (const TopologyError&) {
    throw;
  } catch (const std::exception& e) {
    throw TopologyError(fmt::format("{}: malformed DOT: {}", source_name, e.what()));
  }
  return from_raw(raw, source_name);
}

std::optional<Topology::Vertex> Topology::vertex_by_name(const std::string& name) const {
  for (Vertex v = 0; v < vertex_count(); ++v)
    if (g_[v].name == name) return v;
  return std::nullopt;
}

const std::vector<std::int64_t>& Topology::distances_from(Vertex source) const {
  if (dist_.size() != vertex_count()) dist_.assign(vertex_count(), {});
  std::vector<std::int64_t>& d = dist_[source];
  if (!d.empty()) return d;
  constexpr std::int64_t kInf = std::numeric_limits<std::int64_t>::max();
  d.assign(vertex_count(), kInf);
  boost::dijkstra_shortest_paths(
      g_, source,
      boost::weight_map(boost::get(&EdgeProps::latency_ns, g_))
          .distance_map(boost::make_iterator_property_map(d.begin(), boost::get(boost::vertex_index, g_)))
          .distance_inf(kInf));
  return d;
}

std::optional<Duration> Topology::path_latency(Vertex from, Vertex to) const {
  if (from >= vertex_count() || to >= vertex_count()) return std::nullopt;
  if (from == to) return Duration::zero();
  const std::int64_t d = distances_from(from)[to];
  if (d == std::numeric_limits<std::int64_t>::max()) return std::nullopt;
  return Duration::nanoseconds(d);
}

}  // namespace gs::net
