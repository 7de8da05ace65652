#include "sim/report/report.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

#include "protocol/message.hpp"
#include "sim/scenario/params.hpp"
#include "sim/world/world.hpp"

namespace gs::report {

using json = nlohmann::ordered_json;

namespace {

double seconds(Duration d) { return d.seconds_f(); }
double seconds(Time t) { return t.seconds_f(); }
json optional_seconds(const std::optional<Time>& t) { return t ? json(seconds(*t)) : json(nullptr); }

// Nearest-rank percentile of sorted values (docs/report.md).
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

json latency_json(std::vector<double> v, bool with_p90) {
  std::sort(v.begin(), v.end());
  json j;
  j["mean"] = mean(v);
  j["p50"] = percentile(v, 50);
  if (with_p90) j["p90"] = percentile(v, 90);
  j["p99"] = percentile(v, 99);
  j["max"] = v.empty() ? 0 : v.back();
  return j;
}

json latency_json_or_null(const std::vector<double>& v, bool with_p90) {
  return v.empty() ? json(nullptr) : latency_json(v, with_p90);
}

bool in_channel(const world::PeerInfo& p, const std::string& channel) {
  return std::find(p.channels.begin(), p.channels.end(), channel) != p.channels.end();
}

// An expected peer of a block: a peer of the block's channel that is up from the block's
// injection to the end of the run, and is never revoked nor leaves the channel during the
// run (DESIGN.md; docs/report.md).
bool expected(const world::World& w, const metrics::Recorder& r, const metrics::BlockRecord& b, std::size_t p) {
  return in_channel(w.info(p), b.channel) && r.up_since(p, b.injected) && r.in_good_standing(p, b.channel);
}

json by_path_json(const std::array<std::uint64_t, 4>& n) {
  return {{"orderer", n[0]}, {"push", n[1]}, {"pull", n[2]}, {"state_transfer", n[3]}};
}

struct BlockFigures {
  std::size_t expected_peers = 0, reached = 0;
  std::optional<double> time_to_all;
  std::array<std::uint64_t, 4> by_path{};
};

BlockFigures block_figures(const world::World& w, const metrics::Recorder& r, const metrics::BlockRecord& b,
                           std::vector<double>* latencies) {
  BlockFigures f;
  double worst = 0;
  for (std::size_t p = 0; p < w.peer_count(); ++p) {
    if (b.first_receipt[p]) ++f.by_path[static_cast<std::size_t>(b.path[p])];
    if (!expected(w, r, b, p)) continue;
    ++f.expected_peers;
    if (!b.first_receipt[p]) continue;
    ++f.reached;
    const double lat = seconds(*b.first_receipt[p] - b.injected);
    worst = std::max(worst, lat);
    if (latencies) latencies->push_back(lat);
  }
  if (f.expected_peers > 0 && f.reached == f.expected_peers) f.time_to_all = worst;
  return f;
}

// Per channel: the ledgers of its running members at the end (a wiped ledger refilled or
// not shows here). "Complete" = holds every block the orderer injected (height = injected + 1,
// the genesis block counts).
json ledgers_json(const scenario::Scenario& s, const world::World& w, const metrics::Recorder& r) {
  json out = json::object();
  for (const scenario::ChannelSpec& c : s.channels) {
    const std::uint64_t injected = r.injected(c.name);
    std::uint64_t members = 0, complete = 0;
    std::optional<std::uint64_t> lowest;
    for (std::size_t p = 0; p < w.peer_count(); ++p) {
      if (!in_channel(w.info(p), c.name) || !r.up_at_end(p) || !r.in_good_standing(p, c.name)) continue;
      const std::uint64_t h = w.ledger(p, c.name).height();
      ++members;
      complete += h == injected + 1 ? 1 : 0;
      lowest = lowest ? std::min(*lowest, h) : h;
    }
    out[c.name] = {{"chain_height", injected + 1},
                   {"running_members", members},
                   {"complete", complete},
                   {"min_height", lowest ? json(*lowest) : json(nullptr)}};
  }
  return out;
}

json link_json(const net::LinkParams& l) {
  return json{{"latency", l.latency.describe()}, {"jitter", format_duration(l.jitter)}, {"loss", l.loss}};
}

json event_json(const scenario::TimelineEvent& e) {
  json j{{"at_s", seconds(e.at)}, {"kind", std::string(scenario::kind_name(e))}};
  if (const auto* p = std::get_if<scenario::PartitionEvent>(&e.what)) {
    j["groups"] = p->groups;
    j["one_way"] = p->one_way;
  } else if (const auto* c = std::get_if<scenario::CrashEvent>(&e.what)) {
    j["peers"] = c->peers;
  } else if (const auto* r = std::get_if<scenario::RestartEvent>(&e.what)) {
    j["peers"] = r->peers;
    j["wipe"] = r->wipe;
  } else if (const auto* s = std::get_if<scenario::SetEvent>(&e.what)) {
    for (const auto& [k, v] : s->assignments) j["set"][k] = v;
  } else if (const auto* jn = std::get_if<scenario::JoinEvent>(&e.what)) {
    j["peers"] = jn->peers;
  } else if (const auto* l = std::get_if<scenario::LeaveEvent>(&e.what)) {
    j["peer"] = l->peer;
    j["channel"] = l->channel;
  } else if (const auto* rv = std::get_if<scenario::RevokeEvent>(&e.what)) {
    j["peers"] = rv->peers;
  } else if (const auto* ch = std::get_if<scenario::ChurnEvent>(&e.what)) {
    j["peers"] = ch->peers;
    j["to_s"] = seconds(ch->to);
    j["rate_per_s"] = ch->rate_per_s;
    j["downtime"] = {{"dist", ch->downtime_dist},
                     {"mean", format_duration(ch->downtime_mean)},
                     {"min", format_duration(ch->downtime_min)},
                     {"max", format_duration(ch->downtime_max)}};
  }
  return j;
}

}  // namespace

json config_json(const scenario::Scenario& s) {
  json c;
  c["name"] = s.name;
  c["description"] = s.description;
  c["duration"] = format_duration(s.duration);
  c["sample_interval"] = format_duration(s.sample_interval);
  c["seed"] = s.seed;
  c["profile"] = std::string(proto::to_string(s.gossip.profile));
  json g;
  for (const scenario::ParamInfo& p : scenario::gossip_params())
    g[std::string(p.key)] = scenario::format_param(scenario::get_param(p, s.gossip));
  c["gossip"] = g;
  c["gossip_import"] = s.gossip_import.empty() ? json(nullptr) : json(s.gossip_import);
  json orgs = json::array();
  for (const scenario::OrgSpec& o : s.orgs) {
    json jo{{"name", o.name}, {"peers", o.peers}, {"anchors", o.anchors}};
    jo["leaders"] = o.leaders ? json(*o.leaders) : json("default");
    jo["external_endpoints"] = o.external_endpoints ? json(*o.external_endpoints) : json("all");
    jo["bootstrap"] = o.bootstrap ? json(*o.bootstrap) : json("default");
    orgs.push_back(jo);
  }
  c["orgs"] = orgs;
  json chans = json::array();
  for (const scenario::ChannelSpec& ch : s.channels) chans.push_back(json{{"name", ch.name}, {"orgs", ch.orgs}});
  c["channels"] = chans;
  json n = link_json(s.network.link);
  n["transport"] = std::string(net::to_string(s.network.transport));
  n["bandwidth_bps"] = s.network.bandwidth_bps;
  n["between_orgs"] = s.network.between_orgs ? link_json(*s.network.between_orgs) : json(nullptr);
  if (s.network.topology) {
    const scenario::TopologySpec& t = *s.network.topology;
    n["topology"] = t.file.empty() ? json{{"generator", t.generator}, {"vertices", t.vertices}, {"edge_latency", t.edge_latency.describe()}}
                                   : json{{"file", t.file}};
  } else {
    n["topology"] = nullptr;
  }
  c["network"] = n;
  c["workload"] = {{"block_interval", format_duration(s.workload.block_interval)},
                   {"block_size", s.workload.block_size},
                   {"start", format_duration(s.workload.start)},
                   {"count", s.workload.count ? json(*s.workload.count) : json(nullptr)}};
  json evs = json::array();
  for (const scenario::TimelineEvent& e : s.events) evs.push_back(event_json(e));
  c["events"] = evs;
  return c;
}

json build_report(const scenario::Scenario& s, const world::World& w, const metrics::Recorder& r, double wall_s) {
  json j;
  j["schema"] = kSchema;
  j["scenario"] = s.name;
  j["seed"] = s.seed;
  j["profile"] = std::string(proto::to_string(s.gossip.profile));
  j["config"] = config_json(s);
  j["sim"] = {{"duration_s", seconds(s.duration)}, {"events", w.scheduler().stats().events_run}, {"wall_s", wall_s}};
  std::size_t crashed = 0;
  for (std::size_t p = 0; p < w.peer_count(); ++p) crashed += r.up_at_end(p) ? 0 : 1;
  j["peers"] = {{"count", w.peer_count()}, {"crashed_at_end", crashed}};

  std::vector<double> latencies, to_all;
  std::uint64_t expected_total = 0, delivered = 0, complete = 0;
  for (const metrics::BlockRecord& b : r.blocks()) {
    const BlockFigures f = block_figures(w, r, b, &latencies);
    expected_total += f.expected_peers;
    delivered += f.reached;
    if (f.time_to_all) {
      ++complete;
      to_all.push_back(*f.time_to_all);
    }
  }
  const auto& via = r.first_receipts_by_path();
  j["blocks"] = {{"injected", r.blocks().size()},
                 {"expected_deliveries", expected_total},
                 {"deliveries", delivered},
                 {"coverage", expected_total == 0 ? 0.0 : static_cast<double>(delivered) / static_cast<double>(expected_total)},
                 {"latency_s", latency_json_or_null(latencies, true)},
                 {"time_to_all_s", latency_json_or_null(to_all, false)},
                 {"complete_blocks", complete},
                 {"via", by_path_json(via)},
                 {"refills", by_path_json(r.refills_by_path())},
                 {"duplicates_received", r.duplicate_blocks()}};
  j["ledgers"] = ledgers_json(s, w, r);

  j["membership"] = {{"converged_at_s", optional_seconds(r.membership_converged_at())},
                     {"final_accuracy", r.final_membership_accuracy()}};

  json lead = json::object();
  for (const auto& [key, rec] : r.leadership()) {
    json names = json::array();
    for (std::size_t p : r.leaders_of(key.first, key.second)) names.push_back(w.info(p).name);
    lead[key.first][key.second] = {{"converged_at_s", optional_seconds(rec.converged_at)},
                                   {"changes", rec.changes},
                                   {"final_leaders", names},
                                   {"no_leader_s", seconds(rec.none_for)},
                                   {"several_leaders_s", seconds(rec.several_for)}};
  }
  j["leadership"] = lead;

  json evs = json::array();
  for (const metrics::EventRecord& e : r.events())
    evs.push_back({{"at_s", seconds(e.at)},
                   {"kind", e.kind},
                   {"ends_at_s", optional_seconds(e.ends)},
                   {"membership_converged_at_s", optional_seconds(e.membership_converged_at)},
                   {"leaders_converged_at_s", optional_seconds(e.leaders_converged_at)}});
  j["events"] = evs;

  const net::NetStats& stats = w.network().stats();
  const net::KindStats total = stats.total();
  json by_type = json::object();
  for (std::uint16_t k : stats.kinds_seen()) {
    const net::KindStats& ks = stats.kind(k);
    by_type[stats.kind_name(k)] = {{"sent", ks.sent.messages}, {"bytes", ks.sent.bytes}};
  }
  json drops = json::object();
  for (std::size_t i = 0; i < static_cast<std::size_t>(net::DropReason::count_); ++i)
    if (total.dropped_by[i].messages > 0)
      drops[std::string(net::to_string(static_cast<net::DropReason>(i)))] = total.dropped_by[i].messages;
  for (const auto& [reason, n] : r.peer_drops()) drops[reason] = n;
  const double peer_seconds = static_cast<double>(w.peer_count()) * seconds(s.duration);
  json from_first_block = nullptr;  // the traffic while blocks flow, without the warm-up
  if (!r.blocks().empty()) {  // injected strictly before the end: the span is positive
    const double span = seconds(s.duration) - seconds(r.blocks().front().injected);
    from_first_block = static_cast<double>(total.sent.bytes - r.bytes_sent_before_first_block()) /
                       (static_cast<double>(w.peer_count()) * span);
  }
  j["messages"] = {{"sent", total.sent.messages},
                   {"bytes", total.sent.bytes},
                   {"dropped", total.dropped.messages},
                   {"by_type", by_type},
                   {"dropped_by_reason", drops},
                   {"retransmissions", stats.retransmissions()},
                   {"bytes_per_peer_per_s", peer_seconds > 0 ? static_cast<double>(total.sent.bytes) / peer_seconds : 0.0},
                   {"bytes_per_peer_per_s_from_first_block", from_first_block},
                   {"data_messages_per_block",
                    r.blocks().empty() ? 0.0
                                       : static_cast<double>(stats.kind(static_cast<std::uint16_t>(proto::MessageKind::data)).sent.messages) /
                                             static_cast<double>(r.blocks().size())}};
  return j;
}

std::string timeseries_csv(const metrics::Recorder& r) {
  std::string out = "time_s,coverage,membership_accuracy,leaders,live_peers";
  for (std::size_t k = 0; k < proto::kMessageKindCount; ++k) {
    const std::string name(proto::to_string(static_cast<proto::MessageKind>(k)));
    out += fmt::format(",{}_sent,{}_bytes", name, name);
  }
  out += "\n";
  for (const metrics::Sample& s : r.samples()) {
    out += fmt::format("{:.3f},{:.6f},{:.6f},{},{}", seconds(s.at), s.coverage, s.membership_accuracy, s.leaders,
                       s.live_peers);
    for (std::size_t k = 0; k < proto::kMessageKindCount; ++k) {
      const net::Counter c = k < s.sent_by_kind.size() ? s.sent_by_kind[k] : net::Counter{};
      out += fmt::format(",{},{}", c.messages, c.bytes);
    }
    out += "\n";
  }
  return out;
}

std::string blocks_csv(const scenario::Scenario&, const world::World& w, const metrics::Recorder& r) {
  std::string out = "channel,seq,injected_at_s,expected_peers,reached_peers,time_to_all_s,orderer,push,pull,state_transfer\n";
  for (const metrics::BlockRecord& b : r.blocks()) {
    const BlockFigures f = block_figures(w, r, b, nullptr);
    out += fmt::format("{},{},{:.9f},{},{},{},{},{},{},{}\n", b.channel, b.seq, seconds(b.injected), f.expected_peers,
                       f.reached, f.time_to_all ? fmt::format("{:.9f}", *f.time_to_all) : std::string(),
                       f.by_path[0], f.by_path[1], f.by_path[2], f.by_path[3]);
  }
  return out;
}

std::string receipts_csv(const world::World& w, const metrics::Recorder& r) {
  std::string out = "channel,seq,peer,expected,received_at_s,latency_s,via\n";
  for (const metrics::BlockRecord& b : r.blocks())
    for (std::size_t p = 0; p < w.peer_count(); ++p) {
      const bool exp = expected(w, r, b, p);
      if (!b.first_receipt[p] && !exp) continue;
      out += fmt::format("{},{},{},{},", b.channel, b.seq, w.info(p).name, exp ? 1 : 0);
      if (b.first_receipt[p])
        out += fmt::format("{:.9f},{:.9f},{}\n", seconds(*b.first_receipt[p]), seconds(*b.first_receipt[p] - b.injected),
                           proto::to_string(b.path[p]));
      else
        out += ",,\n";  // expected but never received
    }
  return out;
}

std::string summary_table(const json& j) {
  auto num = [](const json& v, const char* fmtstr) {
    return v.is_null() ? std::string("never") : fmt::format(fmt::runtime(fmtstr), v.get<double>());
  };
  const json& b = j["blocks"];
  std::string out;
  out += fmt::format("scenario {}  seed {}  profile {}  peers {}  simulated {}s in {:.2f}s wall ({} events)\n",
                     j["scenario"].get<std::string>(), j["seed"].get<std::uint64_t>(), j["profile"].get<std::string>(),
                     j["peers"]["count"].get<std::uint64_t>(), j["sim"]["duration_s"].get<double>(),
                     j["sim"]["wall_s"].get<double>(), j["sim"]["events"].get<std::uint64_t>());
  out += fmt::format("  blocks      {} injected, coverage {:.4f} ({} of {} expected deliveries), {} complete\n",
                     b["injected"].get<std::uint64_t>(), b["coverage"].get<double>(), b["deliveries"].get<std::uint64_t>(),
                     b["expected_deliveries"].get<std::uint64_t>(), b["complete_blocks"].get<std::uint64_t>());
  if (!b["latency_s"].is_null())
    out += fmt::format("  latency     p50 {:.3f}s  p90 {:.3f}s  p99 {:.3f}s  max {:.3f}s\n", b["latency_s"]["p50"].get<double>(),
                       b["latency_s"]["p90"].get<double>(), b["latency_s"]["p99"].get<double>(), b["latency_s"]["max"].get<double>());
  if (!b["time_to_all_s"].is_null())
    out += fmt::format("  time to all p50 {:.3f}s  p99 {:.3f}s  max {:.3f}s  (over the {} complete blocks)\n",
                       b["time_to_all_s"]["p50"].get<double>(), b["time_to_all_s"]["p99"].get<double>(),
                       b["time_to_all_s"]["max"].get<double>(), b["complete_blocks"].get<std::uint64_t>());
  const auto by_path = [](const json& n) {
    return fmt::format("via orderer {}  push {}  pull {}  state transfer {}", n["orderer"].get<std::uint64_t>(),
                       n["push"].get<std::uint64_t>(), n["pull"].get<std::uint64_t>(),
                       n["state_transfer"].get<std::uint64_t>());
  };
  out += fmt::format("  first receipts {}\n", by_path(b["via"]));
  if (b["refills"] != by_path_json({}))
    out += fmt::format("  lost blocks received again {}\n", by_path(b["refills"]));
  for (const auto& [channel, l] : j["ledgers"].items())
    out += fmt::format("  ledgers     {}: {} of {} running members hold all {} blocks{}\n", channel,
                       l["complete"].get<std::uint64_t>(), l["running_members"].get<std::uint64_t>(),
                       l["chain_height"].get<std::uint64_t>() - 1,
                       l["min_height"].is_null() ? std::string()
                                                 : fmt::format(" (lowest height {})", l["min_height"].get<std::uint64_t>()));
  out += fmt::format("  membership  converged at {}  final accuracy {:.4f}\n",
                     num(j["membership"]["converged_at_s"], "{:.1f}s"), j["membership"]["final_accuracy"].get<double>());
  const json& m = j["messages"];
  out += fmt::format("  messages    {} sent, {:.1f} MB, {} dropped, {:.0f} B/peer/s{}\n", m["sent"].get<std::uint64_t>(),
                     static_cast<double>(m["bytes"].get<std::uint64_t>()) / 1e6, m["dropped"].get<std::uint64_t>(),
                     m["bytes_per_peer_per_s"].get<double>(),
                     m["bytes_per_peer_per_s_from_first_block"].is_null()
                         ? std::string()
                         : fmt::format(" ({:.0f} from the first block on)", m["bytes_per_peer_per_s_from_first_block"].get<double>()));
  return out;
}

void write_file_atomically(const std::string& path, const std::string& content) {
  const std::filesystem::path target(path);
  const std::filesystem::path tmp = target.parent_path() / (target.filename().string() + ".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error(fmt::format("cannot write {}", tmp.string()));
    out << content;
    out.flush();
    if (!out) throw std::runtime_error(fmt::format("cannot write {}", tmp.string()));
  }
  std::filesystem::rename(tmp, target);
}

}  // namespace gs::report
