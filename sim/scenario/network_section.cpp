#include <stdexcept>

#include <fmt/format.h>

#include "sim/scenario/sections.hpp"

namespace gs::scenario {

net::LatencyModel read_latency(const YamlSource& src, const YAML::Node& n, const std::string& key) {
  if (n.IsScalar()) {
    const Duration d = as_duration(src, n, key);
    if (d < Duration::zero()) src.fail(n, key, "a latency must not be negative");
    return net::LatencyModel::constant(d);
  }
  MapReader r(src, n, key);
  const std::string dist = as_string(src, r.require("dist"), key + ".dist");
  try {
    net::LatencyModel m;
    if (dist == "constant") {
      m = net::LatencyModel::constant(as_duration(src, r.require("value"), key + ".value"));
    } else if (dist == "uniform") {
      m = net::LatencyModel::uniform(as_duration(src, r.require("min"), key + ".min"),
                                     as_duration(src, r.require("max"), key + ".max"));
    } else if (dist == "normal" || dist == "lognormal") {
      const Duration mean = as_duration(src, r.require("mean"), key + ".mean");
      const Duration sd = as_duration(src, r.require("stddev"), key + ".stddev");
      m = dist == "normal" ? net::LatencyModel::normal(mean, sd) : net::LatencyModel::lognormal(mean, sd);
    } else if (dist == "pareto") {
      m = net::LatencyModel::pareto(as_duration(src, r.require("scale"), key + ".scale"),
                                    as_double(src, r.require("shape"), key + ".shape"));
    } else if (dist == "empirical") {
      const YAML::Node pts = r.require("points");
      if (!pts.IsSequence()) src.fail(pts, key + ".points", "expected a list of [latency, cumulative probability]");
      std::vector<std::pair<Duration, double>> points;
      for (const auto& p : pts) {
        if (!p.IsSequence() || p.size() != 2)
          src.fail(p, key + ".points", "each point is [latency, cumulative probability], e.g. [5ms, 0.5]");
        points.emplace_back(as_duration(src, p[0], key + ".points"), as_probability(src, p[1], key + ".points"));
      }
      m = net::LatencyModel::empirical(points);
    } else {
      src.fail(r.require("dist"), key + ".dist",
               fmt::format("unknown distribution \"{}\" (one of constant, uniform, normal, lognormal, pareto, "
                           "empirical)",
                           dist));
    }
    r.finish();
    return m;
  } catch (const std::invalid_argument& e) {
    src.fail(n, key, e.what());
  }
}

net::LinkParams read_link(MapReader& r, net::LinkParams base) {
  if (r.has("latency")) base.latency = read_latency(r.source(), r.child("latency"), r.key_path("latency"));
  if (auto j = r.opt_duration("jitter")) {
    if (*j < Duration::zero()) r.source().fail(r.child("jitter"), r.key_path("jitter"), "must not be negative");
    base.jitter = *j;
  }
  if (auto l = r.opt_probability("loss")) base.loss = *l;
  return base;
}

namespace {

TopologySpec read_topology(const YamlSource& src, const YAML::Node& n, const std::string& base_dir) {
  MapReader r(src, n, "network.topology");
  TopologySpec t;
  if (r.has("file"))
    t.file = resolve_scenario_file(src, r.child("file"), "network.topology.file", base_dir, "the graph file");
  if (auto g = r.opt_string("generator")) {
    static constexpr std::string_view kGenerators[] = {"complete", "ring", "grid", "erdos_renyi", "small_world",
                                                       "plod"};
    bool ok = false;
    for (std::string_view k : kGenerators) ok = ok || k == *g;
    if (!ok)
      src.fail(r.child("generator"), "network.topology.generator",
               fmt::format("unknown generator \"{}\" (one of complete, ring, grid, erdos_renyi, small_world, plod)",
                           *g));
    t.generator = *g;
  }
  if (t.file.empty() == t.generator.empty())
    src.fail(n, "network.topology", "give exactly one of `generator` or `file`");
  if (auto v = r.opt_uint("vertices")) t.vertices = *v;
  if (auto v = r.opt_uint("rows")) t.rows = *v;
  if (auto v = r.opt_uint("cols")) t.cols = *v;
  if (auto v = r.opt_probability("p")) t.p = *v;
  if (auto v = r.opt_uint("k")) t.k = *v;
  if (auto v = r.opt_double("alpha")) t.alpha = *v;
  if (auto v = r.opt_double("beta")) t.beta = *v;
  if (r.has("edge_latency")) t.edge_latency = read_latency(src, r.child("edge_latency"), "network.topology.edge_latency");
  if (t.generator == "grid" && (t.rows == 0 || t.cols == 0))
    src.fail(n, "network.topology", "the grid generator needs rows and cols");
  r.finish();
  return t;
}

}  // namespace

void read_network_section(const YamlSource& src, const YAML::Node& network, const std::string& base_dir,
                          NetworkSpec& out) {
  MapReader r(src, network, "network");
  if (auto t = r.opt_string("transport")) {
    if (*t == "stream") out.transport = net::Transport::stream;
    else if (*t == "datagram") out.transport = net::Transport::datagram;
    else src.fail(r.child("transport"), "network.transport", fmt::format("expected stream or datagram, got \"{}\"", *t));
  }
  out.link = read_link(r, out.link);
  if (auto b = r.opt_rate("bandwidth")) {
    if (*b == 0) src.fail(r.child("bandwidth"), "network.bandwidth", "must be positive");
    out.bandwidth_bps = *b;
  }
  if (r.has("between_orgs")) {
    MapReader b(src, r.child("between_orgs"), "network.between_orgs");
    out.between_orgs = read_link(b, out.link);
    b.finish();
  }
  if (r.has("topology")) out.topology = read_topology(src, r.child("topology"), base_dir);
  r.finish();
}

void check_network_assignment(const YamlSource& src, const YAML::Node& at, const std::string& key,
                              const YAML::Node& value) {
  if (key == "network.latency" || key == "network.between_orgs.latency") read_latency(src, value, key);
  else if (key == "network.jitter" || key == "network.between_orgs.jitter") as_duration(src, value, key);
  else if (key == "network.loss" || key == "network.between_orgs.loss") as_probability(src, value, key);
  else if (key == "network.bandwidth") as_rate(src, value, key);
  else {
    static const std::vector<std::string> kKeys{"network.latency", "network.jitter", "network.loss",
                                                "network.bandwidth", "network.between_orgs.latency",
                                                "network.between_orgs.jitter", "network.between_orgs.loss"};
    std::string msg = "cannot be changed during a run";
    if (auto hint = did_you_mean(key, kKeys)) msg += fmt::format(" (did you mean \"{}\"?)", *hint);
    else msg += fmt::format(" (settable: {})", fmt::join(kKeys, ", "));
    src.fail(at, key, msg);
  }
}

}  // namespace gs::scenario
