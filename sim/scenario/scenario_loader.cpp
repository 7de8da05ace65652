#include "sim/scenario/scenario_loader.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "sim/scenario/sections.hpp"

namespace gs::scenario {

std::string peer_name(const std::string& org, std::uint32_t index) { return fmt::format("{}.peer{}", org, index); }

std::uint32_t Scenario::peer_count() const {
  std::uint32_t n = 0;
  for (const OrgSpec& o : orgs) n += o.peers;
  return n;
}

bool Scenario::starts_later(const std::string& peer) const {
  for (const TimelineEvent& e : events)
    if (const auto* j = std::get_if<JoinEvent>(&e.what))
      if (std::find(j->peers.begin(), j->peers.end(), peer) != j->peers.end()) return true;
  return false;
}

std::string_view kind_name(const TimelineEvent& e) {
  static constexpr std::string_view kNames[] = {"partition", "heal", "crash", "restart", "set",
                                                "churn",     "join", "leave", "revoke"};
  return kNames[e.what.index()];
}

namespace {

constexpr std::uint32_t kMaxPeersPerOrg = 100000;

std::vector<std::uint32_t> read_indices(MapReader& r, const std::string& key, std::uint32_t peers) {
  std::vector<std::uint32_t> out;
  const std::vector<std::uint64_t> indices = r.opt_uint_list(key).value_or(std::vector<std::uint64_t>{});
  for (std::size_t k = 0; k < indices.size(); ++k) {
    const std::uint64_t i = indices[k];
    if (i >= peers)
      r.source().fail(r.child(key)[k], r.key_path(key),
                      fmt::format("peer index {} does not exist (the org has {} peers: 0..{})", i, peers, peers - 1));
    out.push_back(static_cast<std::uint32_t>(i));
  }
  return out;
}

OrgSpec read_org(const YamlSource& src, const YAML::Node& n, const std::string& path) {
  MapReader r(src, n, path);
  OrgSpec o;
  o.name = as_string(src, r.require("name"), path + ".name");
  if (o.name.empty() || o.name.find_first_of(". \t") != std::string::npos)
    src.fail(r.child("name"), path + ".name", "an org name is a non-empty word without dots or spaces");
  o.peers = static_cast<std::uint32_t>(as_uint(src, r.require("peers"), path + ".peers", kMaxPeersPerOrg));
  if (o.peers == 0) src.fail(r.child("peers"), path + ".peers", "an org needs at least one peer");
  if (r.has("anchors")) o.anchors = read_indices(r, "anchors", o.peers);
  if (r.has("leaders")) o.leaders = read_indices(r, "leaders", o.peers);
  if (r.has("bootstrap")) o.bootstrap = read_indices(r, "bootstrap", o.peers);
  if (r.has("external_endpoints")) {
    const YAML::Node e = r.child("external_endpoints");
    if (e.IsScalar() && e.Scalar() == "all") o.external_endpoints.reset();
    else if (e.IsScalar() && e.Scalar() == "none") o.external_endpoints = std::vector<std::uint32_t>{};
    else if (e.IsSequence()) o.external_endpoints = read_indices(r, "external_endpoints", o.peers);
    else src.fail(e, path + ".external_endpoints", "expected all, none, or a list of peer indices");
  }
  r.finish();
  return o;
}

constexpr const char* kOrgForms =
    "the short form orgs: { count: N, peers: M } (orgs Org1..OrgN of M peers each), or the full form, a list "
    "with one mapping per org: orgs: [{ name: Org1, peers: M }, { name: Org2, peers: M }]";

std::vector<OrgSpec> read_orgs(const YamlSource& src, const YAML::Node& n) {
  std::vector<OrgSpec> orgs;
  if (n.IsMap()) {  // short form: { count: 4, peers: 10 } -> Org1..Org4
    MapReader r(src, n, "orgs");
    const auto count = as_uint(src, r.require("count"), "orgs.count", 10000);
    const auto peers = as_uint(src, r.require("peers"), "orgs.peers", kMaxPeersPerOrg);
    if (count == 0) src.fail(r.child("count"), "orgs.count", "at least one org is needed");
    if (peers == 0) src.fail(r.child("peers"), "orgs.peers", "an org needs at least one peer");
    r.finish();
    for (std::uint64_t i = 1; i <= count; ++i)
      orgs.push_back(OrgSpec{fmt::format("Org{}", i), static_cast<std::uint32_t>(peers), {0}, {}, {}, {}});
  } else if (n.IsSequence()) {
    std::set<std::string> names;
    for (std::size_t i = 0; i < n.size(); ++i) {
      const std::string path = fmt::format("orgs[{}]", i);
      if (n[i].IsScalar())
        src.fail(n[i], path,
                 fmt::format("\"{}\" is not an org: an org of the list is a mapping such as {{ name: {}, peers: 4 }}. "
                             "Accepted forms: {}",
                             n[i].Scalar(), n[i].Scalar(), kOrgForms));
      orgs.push_back(read_org(src, n[i], path));
      if (!names.insert(orgs.back().name).second)
        src.fail(n[i]["name"], path + ".name", fmt::format("duplicate org \"{}\"", orgs.back().name));
    }
    if (orgs.empty()) src.fail(n, "orgs", fmt::format("at least one org is needed: {}", kOrgForms));
  } else {
    src.fail(n, "orgs", fmt::format("expected {}", kOrgForms));
  }
  return orgs;
}

std::vector<std::string> org_names(const std::vector<OrgSpec>& orgs) {
  std::vector<std::string> names;
  for (const OrgSpec& o : orgs) names.push_back(o.name);
  return names;
}

// `what` "name" (did you mean "X"?) — or, when no plausible typo, what exists.
[[noreturn]] void fail_unknown(const YamlSource& src, const YAML::Node& at, const std::string& key, std::string_view what,
                               const std::string& name, const std::vector<std::string>& candidates,
                               std::string_view plural) {
  if (auto hint = typo_hint(name, candidates))
    src.fail(at, key, fmt::format("unknown {} \"{}\" (did you mean \"{}\"?)", what, name, *hint));
  src.fail(at, key, fmt::format("unknown {} \"{}\" (the {} are {})", what, name, plural, describe_names(candidates)));
}

std::vector<ChannelSpec> read_channels(const YamlSource& src, const YAML::Node& n, const std::vector<OrgSpec>& orgs) {
  const std::vector<std::string> all = org_names(orgs);
  if (!n.IsDefined() || n.IsNull()) return {ChannelSpec{"ch1", all}};
  if (!n.IsSequence()) src.fail(n, "channels", "expected a list such as [{ name: ch1, orgs: [Org1, Org2] }]");
  std::vector<ChannelSpec> out;
  std::set<std::string> names;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const std::string path = fmt::format("channels[{}]", i);
    MapReader r(src, n[i], path);
    ChannelSpec c;
    c.name = as_string(src, r.require("name"), path + ".name");
    if (!names.insert(c.name).second) src.fail(r.child("name"), path + ".name", fmt::format("duplicate channel \"{}\"", c.name));
    c.orgs = r.has("orgs") ? *r.opt_string_list("orgs") : all;
    for (std::size_t j = 0; j < c.orgs.size(); ++j)
      if (std::find(all.begin(), all.end(), c.orgs[j]) == all.end())
        fail_unknown(src, r.child("orgs")[j], path + ".orgs", "org", c.orgs[j], all, "orgs");
    if (c.orgs.empty()) src.fail(n[i], path + ".orgs", "a channel needs at least one org");
    r.finish();
    out.push_back(std::move(c));
  }
  if (out.empty()) src.fail(n, "channels", "at least one channel is needed");
  return out;
}

WorkloadSpec read_workload(const YamlSource& src, const YAML::Node& n) {
  WorkloadSpec w;
  MapReader r(src, n, "workload");
  if (auto v = r.opt_duration("block_interval")) {
    if (*v <= Duration::zero()) src.fail(r.child("block_interval"), "workload.block_interval", "must be positive");
    w.block_interval = *v;
  }
  if (auto v = r.opt_size("block_size")) w.block_size = *v;
  if (auto v = r.opt_duration("start")) {
    if (*v < Duration::zero()) src.fail(r.child("start"), "workload.start", "must not be negative");
    w.start = *v;
  }
  if (auto v = r.opt_uint("count")) w.count = *v;
  r.finish();
  return w;
}

// --- timeline ---

class PeerResolver {
 public:
  PeerResolver(const YamlSource& src, const std::vector<OrgSpec>& orgs) : src_(src) {
    for (const OrgSpec& o : orgs) {
      std::vector<std::string> members;
      for (std::uint32_t i = 0; i < o.peers; ++i) {
        members.push_back(peer_name(o.name, i));
        all_peers_.push_back(members.back());
      }
      by_org_.emplace_back(o.name, std::move(members));
    }
  }

  // Org names expand to their peers; peer names stand for themselves.
  std::vector<std::string> resolve(const YAML::Node& list, const std::string& key) const {
    std::vector<std::string> names;
    if (list.IsScalar()) names.push_back(list.Scalar());
    else if (list.IsSequence()) for (const auto& item : list) names.push_back(as_string(src_, item, key));
    else src_.fail(list, key, "expected a list of org or peer names, e.g. [Org1, Org2.peer3]");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < names.size(); ++i) {
      const YAML::Node at = list.IsSequence() ? list[i] : list;
      bool found = false;
      for (const auto& [org, members] : by_org_)
        if (org == names[i]) {
          out.insert(out.end(), members.begin(), members.end());
          found = true;
        }
      if (!found && std::find(all_peers_.begin(), all_peers_.end(), names[i]) != all_peers_.end()) {
        out.push_back(names[i]);
        found = true;
      }
      if (!found) fail_unknown_peer(at, key, names[i]);
    }
    return out;
  }

 private:
  // An org name, or a peer name of a known org with an index out of range, gets what
  // exists ("the orgs are Org1..Org3", "Org3 has peers 0..7"); a typo gets a hint.
  [[noreturn]] void fail_unknown_peer(const YAML::Node& at, const std::string& key, const std::string& name) const {
    const std::string unknown = fmt::format("unknown org or peer \"{}\"", name);
    std::vector<std::string> orgs;
    for (const auto& [org, members] : by_org_) orgs.push_back(org);
    const std::size_t dot = name.find('.');
    const std::string org = name.substr(0, dot);
    for (const auto& [o, members] : by_org_) {
      if (o != org || dot == std::string::npos) continue;
      const std::string range = members.size() == 1 ? fmt::format("{} has one peer, {}", o, members.front())
                                                    : fmt::format("{} has peers 0..{}", o, members.size() - 1);
      if (auto hint = typo_hint(name, members))
        src_.fail(at, key, fmt::format("{} (did you mean \"{}\"? {})", unknown, *hint, range));
      src_.fail(at, key, fmt::format("{} ({})", unknown, range));
    }
    if (auto hint = typo_hint(org, orgs)) {
      const std::string meant = dot == std::string::npos ? *hint : *hint + name.substr(dot);
      if (dot == std::string::npos || std::find(all_peers_.begin(), all_peers_.end(), meant) != all_peers_.end())
        src_.fail(at, key, fmt::format("{} (did you mean \"{}\"?)", unknown, meant));
    }
    src_.fail(at, key, fmt::format("{} (the orgs are {})", unknown, describe_names(orgs)));
  }

  const YamlSource& src_;
  std::vector<std::pair<std::string, std::vector<std::string>>> by_org_;
  std::vector<std::string> all_peers_;
};

ChurnEvent read_churn(const YamlSource& src, const YAML::Node& n, const PeerResolver& peers, const std::string& path) {
  MapReader r(src, n, path);
  ChurnEvent c;
  c.peers = peers.resolve(r.require("peers"), path + ".peers");
  const std::string rate = as_string(src, r.require("rate"), path + ".rate");
  const std::size_t slash = rate.find("/s");
  double v = 0;
  try {
    if (slash == std::string::npos || slash + 2 != rate.size()) throw std::invalid_argument("");
    std::size_t used = 0;
    v = std::stod(rate.substr(0, slash), &used);
    if (used != slash || v < 0) throw std::invalid_argument("");
  } catch (const std::exception&) {
    src.fail(r.child("rate"), path + ".rate", fmt::format("expected a rate per second such as 0.05/s, got \"{}\"", rate));
  }
  c.rate_per_s = v;
  if (r.has("downtime")) {
    MapReader d(src, r.child("downtime"), path + ".downtime");
    c.downtime_dist = d.opt_string("dist").value_or("exponential");
    if (c.downtime_dist == "exponential" || c.downtime_dist == "constant") {
      c.downtime_mean = as_duration(src, d.require("mean"), path + ".downtime.mean");
      if (c.downtime_mean <= Duration::zero()) src.fail(d.child("mean"), path + ".downtime.mean", "must be positive");
    } else if (c.downtime_dist == "uniform") {
      c.downtime_min = as_duration(src, d.require("min"), path + ".downtime.min");
      c.downtime_max = as_duration(src, d.require("max"), path + ".downtime.max");
      if (c.downtime_min < Duration::zero()) src.fail(d.child("min"), path + ".downtime.min", "must not be negative");
      if (c.downtime_max < c.downtime_min) src.fail(d.child("max"), path + ".downtime.max", "must not be below min");
    } else {
      src.fail(d.child("dist"), path + ".downtime.dist",
               fmt::format("unknown distribution \"{}\" (one of exponential, uniform, constant)", c.downtime_dist));
    }
    d.finish();
  }
  r.finish();
  return c;
}

LeaveEvent read_leave(const YamlSource& src, const YAML::Node& n, const PeerResolver& peers, const Scenario& s,
                      const std::string& path) {
  if (proto::is_latest(s.gossip.profile) == false)
    src.fail(n, path, fmt::format("a peer cannot leave a channel under profile {}: Fabric v1.0 has no LeaveChannel "
                                  "(it exists from the latest profiles on, spec §5.9); use profile fabric-2.5 or "
                                  "fabric-3.0, or crash the peer instead",
                                  proto::to_string(s.gossip.profile)));
  MapReader r(src, n, path);
  LeaveEvent l;
  const YAML::Node peer = r.require("peer");
  const std::vector<std::string> one = peers.resolve(peer, path + ".peer");
  if (one.size() != 1 || one.front() != as_string(src, peer, path + ".peer"))
    src.fail(peer, path + ".peer", "expected one peer name such as Org1.peer3");
  l.peer = one.front();
  l.channel = as_string(src, r.require("channel"), path + ".channel");
  const ChannelSpec* ch = nullptr;
  std::vector<std::string> names;
  for (const ChannelSpec& c : s.channels) {
    names.push_back(c.name);
    if (c.name == l.channel) ch = &c;
  }
  if (ch == nullptr) fail_unknown(src, r.child("channel"), path + ".channel", "channel", l.channel, names, "channels");
  const std::string org = l.peer.substr(0, l.peer.find('.'));
  if (std::find(ch->orgs.begin(), ch->orgs.end(), org) == ch->orgs.end())
    src.fail(r.child("channel"), path + ".channel",
             fmt::format("{} is not a member of channel {} (its org {} is not in the channel)", l.peer, l.channel, org));
  for (const OrgSpec& o : s.orgs) {
    if (o.name != org) continue;
    // "<Org>.peer<i>": the index follows ".peer".
    const std::uint32_t index = static_cast<std::uint32_t>(std::stoul(l.peer.substr(org.size() + 5)));
    const std::vector<std::uint32_t> leaders =
        o.leaders.value_or(s.gossip.use_leader_election ? std::vector<std::uint32_t>{} : std::vector<std::uint32_t>{0});
    if (s.gossip.org_leader || std::find(leaders.begin(), leaders.end(), index) != leaders.end())
      src.fail(peer, path + ".peer",
               fmt::format("{} is a static leader of {} (it receives the channel's blocks from the orderer); only a "
                           "non-leader peer can leave in a scenario",
                           l.peer, l.channel));
  }
  r.finish();
  return l;
}

// An instant of the timeline: a duration since the start, not negative, not after the end.
Time read_instant(const YamlSource& src, MapReader& r, const std::string& key, Duration duration) {
  const Duration d = as_duration(src, r.require(key), r.key_path(key));
  if (d < Duration::zero()) src.fail(r.child(key), r.key_path(key), "an instant of the run must not be negative");
  if (d > duration)
    src.fail(r.child(key), r.key_path(key),
             fmt::format("{} {} is after the end of the run (duration {})", key, d, duration));
  return Time::zero() + d;
}

TimelineEvent read_event(const YamlSource& src, const YAML::Node& n, const PeerResolver& peers, const Scenario& s,
                         std::size_t index) {
  const std::string path = fmt::format("events[{}]", index);
  MapReader r(src, n, path);
  TimelineEvent ev;
  ev.loc = src.loc(n);
  static const std::vector<std::string> kKinds{"partition", "heal", "crash", "restart", "set",
                                               "churn",     "join", "leave", "revoke"};
  std::vector<std::string> present;
  for (const std::string& k : kKinds)
    if (r.has(k)) present.push_back(k);
  if (present.size() != 1) {
    for (const char* k : {"at", "from", "to", "one_way", "wipe"}) r.has(k);  // known, for the hint
    r.finish();  // a misspelt key gets its "did you mean" before the kind error
    src.fail(n, path, present.empty() ? "an event needs one of: partition, heal, crash, restart, set, churn, join, "
                                        "leave, revoke"
                                      : fmt::format("one kind per event, found {}", fmt::join(present, " and ")));
  }
  const std::string& kind = present.front();
  if (kind == "churn") {
    ev.at = read_instant(src, r, "from", s.duration);
    ChurnEvent c = read_churn(src, r.child("churn"), peers, path + ".churn");
    c.to = read_instant(src, r, "to", s.duration);
    if (c.to < ev.at) src.fail(r.child("to"), path + ".to", "the window ends before it starts");
    ev.what = std::move(c);
  } else {
    ev.at = read_instant(src, r, "at", s.duration);
  }
  if (kind == "partition") {
    const YAML::Node groups = r.child("partition");
    if (!groups.IsSequence() || groups.size() < 2)
      src.fail(groups, path + ".partition", "expected two or more groups, e.g. [[Org1, Org2], [Org3]]");
    PartitionEvent p;
    std::set<std::string> seen;
    for (std::size_t g = 0; g < groups.size(); ++g) {
      p.groups.push_back(peers.resolve(groups[g], path + ".partition"));
      for (const std::string& peer : p.groups.back())
        if (!seen.insert(peer).second)
          src.fail(groups[g], path + ".partition", fmt::format("{} is in more than one group", peer));
    }
    p.one_way = r.opt_bool("one_way").value_or(false);
    if (p.one_way && p.groups.size() != 2)
      src.fail(r.child("one_way"), path + ".one_way", "a one-way partition has exactly two groups (from, to)");
    ev.what = std::move(p);
  } else if (kind == "heal") {
    if (!as_bool(src, r.child("heal"), path + ".heal")) src.fail(r.child("heal"), path + ".heal", "write heal: true");
    ev.what = HealEvent{};
  } else if (kind == "crash") {
    ev.what = CrashEvent{peers.resolve(r.child("crash"), path + ".crash")};
  } else if (kind == "restart") {
    ev.what = RestartEvent{peers.resolve(r.child("restart"), path + ".restart"), r.opt_bool("wipe").value_or(false)};
  } else if (kind == "set") {
    const YAML::Node set = r.child("set");
    if (!set.IsMap()) src.fail(set, path + ".set", "expected a mapping such as { network.loss: 0.1 }");
    SetEvent se;
    for (const auto& kv : set) {
      const std::string key = kv.first.as<std::string>();
      check_network_assignment(src, kv.first, key, kv.second);
      se.assignments.emplace_back(key, YAML::Dump(kv.second));
    }
    ev.what = std::move(se);
  } else if (kind == "join") {
    ev.what = JoinEvent{peers.resolve(r.child("join"), path + ".join")};
  } else if (kind == "leave") {
    ev.what = read_leave(src, r.child("leave"), peers, s, path + ".leave");
  } else if (kind == "revoke") {
    ev.what = RevokeEvent{peers.resolve(r.child("revoke"), path + ".revoke")};
  }
  r.finish();
  return ev;
}

// A run without blocks is legitimate (membership only) but usually a mistake: the
// default workload.start (30 s) is easily left at or past a short duration.
void warn_if_no_block(const YamlSource& src, const YAML::Node& duration, const YAML::Node& workload, Scenario& s) {
  const WorkloadSpec& w = s.workload;
  const YAML::Node absent(YAML::NodeType::Undefined);
  const YAML::Node start = workload.IsMap() ? workload["start"] : absent;
  const YAML::Node count = workload.IsMap() ? workload["count"] : absent;
  if (w.count && *w.count == 0) {
    s.warnings.push_back({src.loc(count), "workload.count is 0: no block will be injected"});
    return;
  }
  if (w.start < s.duration) return;
  const SourceLoc at = start.IsDefined()      ? src.loc(start)
                       : duration.IsDefined() ? src.loc(duration)
                                              : SourceLoc{src.file(), 0, 0};
  const std::string keys =
      fmt::format("workload.start {}{} is not before duration {}{}", w.start, start.IsDefined() ? "" : " (the default)",
                  s.duration, duration.IsDefined() ? "" : " (the default)");
  // Blocks are injected strictly before the end (World::schedule_orderer).
  s.warnings.push_back({at, keys + ": no block will be injected"});
}

// The orderer delivers only to leaders (spec §7.1): a channel none of whose orgs has a
// static leader, without election or orgLeader, injects blocks that reach nobody.
void warn_if_no_leader(const YamlSource& src, const YAML::Node& orgs, Scenario& s) {
  if (s.gossip.org_leader || s.gossip.use_leader_election) return;
  for (const ChannelSpec& c : s.channels) {
    const bool has_leader = std::any_of(c.orgs.begin(), c.orgs.end(), [&](const std::string& name) {
      const auto o = std::find_if(s.orgs.begin(), s.orgs.end(), [&](const OrgSpec& x) { return x.name == name; });
      return o != s.orgs.end() && (!o->leaders || !o->leaders->empty());
    });
    if (!has_leader)
      s.warnings.push_back({src.loc(orgs), fmt::format("channel {}: no org has a static leader (orgs[].leaders are "
                                                       "empty) and neither useLeaderElection nor orgLeader is on: "
                                                       "no peer receives blocks from the orderer",
                                                       c.name)});
  }
}

// --set KEY=VALUE: writes VALUE (parsed as YAML) at the dotted path in the tree.
void apply_override(YamlSource& src, YAML::Node root, const std::string& key, const std::string& value) {
  if (key.empty()) throw ScenarioError({fmt::format("--set {}={}", key, value), 0, 0}, key, "empty key");
  YAML::Node parsed;
  try {
    parsed = YAML::Load(value);
  } catch (const YAML::Exception& e) {
    throw ScenarioError({fmt::format("--set {}={}", key, value), 0, 0}, key, fmt::format("bad value: {}", e.msg));
  }
  // gossip keys are matched by their full dotted name; every other path is nested maps.
  std::vector<std::string> parts;
  if (key.rfind("gossip.", 0) == 0) parts = {"gossip", key.substr(7)};
  else for (std::size_t pos = 0, next; pos <= key.size(); pos = next + 1) {
      next = key.find('.', pos);
      if (next == std::string::npos) next = key.size();
      parts.push_back(key.substr(pos, next - pos));
    }
  YAML::Node cur = root;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node child = cur[parts[i]];
    if (!child.IsDefined() || child.IsNull()) {
      cur[parts[i]] = YAML::Node(YAML::NodeType::Map);
      child = cur[parts[i]];
    }
    if (!child.IsMap())
      throw ScenarioError({fmt::format("--set {}={}", key, value), 0, 0}, key,
                          fmt::format("\"{}\" is not a mapping in this scenario", parts[i]));
    cur.reset(child);
  }
  // A gossip key may also be written nested in the file (election: {leaderAliveThreshold: ..});
  // drop a nested spelling so the override is the only value.
  if (parts.size() == 2 && parts[0] == "gossip") {
    const std::size_t dot = parts[1].find('.');
    if (dot != std::string::npos) {
      YAML::Node nested = cur[parts[1].substr(0, dot)];
      if (nested.IsMap()) nested.remove(parts[1].substr(dot + 1));
    }
  }
  cur[parts.back()] = parsed;
  // Every node of the value (a list or mapping too) names the option, not a file position.
  const std::string option = fmt::format("--set {}={}", key, value);
  std::vector<YAML::Node> pending{cur[parts.back()]};
  while (!pending.empty()) {
    const YAML::Node n = pending.back();
    pending.pop_back();
    src.add_override_root(n, option, key);
    if (n.IsSequence())
      for (const auto& item : n) pending.push_back(item);
    else if (n.IsMap())
      for (const auto& kv : n) {
        pending.push_back(kv.first);
        pending.push_back(kv.second);
      }
  }
}

// Order-dependent rules, checked on the sorted timeline: a late peer joins once, and is not
// restarted or made to leave a channel before it runs; a peer leaves a channel once.
void check_timeline(const Scenario& s) {
  std::map<std::string, Time> joins_at;
  for (const TimelineEvent& e : s.events)
    if (const auto* j = std::get_if<JoinEvent>(&e.what))
      for (const std::string& p : j->peers)
        if (!joins_at.emplace(p, e.at).second)
          throw ScenarioError(e.loc, "join", fmt::format("{} joins twice (first at {})", p, joins_at[p].since_start()));
  std::set<std::string> joined;
  std::set<std::pair<std::string, std::string>> left;
  auto require_running = [&](const TimelineEvent& e, const std::string& p, std::string_view what) {
    auto it = joins_at.find(p);
    if (it != joins_at.end() && joined.count(p) == 0)
      throw ScenarioError(e.loc, std::string(kind_name(e)),
                          fmt::format("{} {} at {}, before it joins at {} (name the peers explicitly instead of "
                                      "its org)",
                                      p, what, e.at.since_start(), it->second.since_start()));
  };
  for (const TimelineEvent& e : s.events) {
    if (const auto* j = std::get_if<JoinEvent>(&e.what)) joined.insert(j->peers.begin(), j->peers.end());
    if (const auto* r = std::get_if<RestartEvent>(&e.what))
      for (const std::string& p : r->peers) require_running(e, p, "is restarted");
    if (const auto* l = std::get_if<LeaveEvent>(&e.what)) {
      require_running(e, l->peer, "leaves " + l->channel);
      if (!left.emplace(l->peer, l->channel).second)
        throw ScenarioError(e.loc, "leave", fmt::format("{} leaves {} twice", l->peer, l->channel));
    }
  }
}

void check_static_leaders(const YamlSource& src, const YAML::Node& orgs_node, const Scenario& s) {
  if (!s.gossip.use_leader_election) return;
  for (std::size_t i = 0; i < s.orgs.size(); ++i)
    if (s.orgs[i].leaders && !s.orgs[i].leaders->empty())
      src.fail(orgs_node.IsSequence() ? orgs_node[i]["leaders"] : orgs_node, fmt::format("orgs[{}].leaders", i),
               "static leaders with useLeaderElection: true is the misconfiguration Fabric rejects (spec §7.1); "
               "remove one of them");
}

Scenario parse(YamlSource& src, YAML::Node root, const std::string& base_dir, const LoadOptions& options) {
  for (const auto& [k, v] : options.overrides) apply_override(src, root, k, v);
  if (!root.IsMap()) src.fail(root, "", "a scenario file is a YAML mapping (name:, duration:, orgs:, ...)");
  MapReader r(src, root, "");
  Scenario s;
  s.source_file = src.file();
  s.name = as_string(src, r.require("name"), "name");
  s.description = r.opt_string("description").value_or("");
  if (auto d = r.opt_duration("duration")) {
    if (*d <= Duration::zero()) src.fail(r.child("duration"), "duration", "must be positive");
    s.duration = *d;
  }
  if (auto d = r.opt_duration("sample_interval")) {
    if (*d <= Duration::zero()) src.fail(r.child("sample_interval"), "sample_interval", "must be positive");
    s.sample_interval = *d;
  }
  s.seed = r.opt_uint("seed").value_or(1);  // read (and validated) even when --seed overrides it
  if (options.seed) s.seed = *options.seed;
  proto::Profile profile = proto::Profile::fabric_1_0;
  if (auto p = r.opt_string("profile")) {
    auto parsed = proto::parse_profile(*p);
    if (!parsed) src.fail(r.child("profile"), "profile", fmt::format("unknown profile \"{}\" (fabric-1.0, fabric-2.5 or fabric-3.0)", *p));
    profile = *parsed;
  }
  s.gossip = proto::defaults_for(profile);
  read_gossip_section(src, r.child("gossip"), base_dir, s);
  try {
    proto::resolve(s.gossip);
  } catch (const std::invalid_argument& e) {
    src.fail(r.has("gossip") ? r.child("gossip") : root, "gossip", e.what());
  }
  s.orgs = read_orgs(src, r.require("orgs"));
  check_static_leaders(src, r.child("orgs"), s);
  s.channels = read_channels(src, r.child("channels"), s.orgs);
  read_network_section(src, r.child("network"), base_dir, s.network);
  s.workload = read_workload(src, r.child("workload"));
  warn_if_no_block(src, r.child("duration"), r.child("workload"), s);
  warn_if_no_leader(src, r.child("orgs"), s);
  const PeerResolver peers(src, s.orgs);
  if (r.has("events")) {
    const YAML::Node evs = r.child("events");
    if (!evs.IsSequence()) src.fail(evs, "events", "expected a list of events");
    for (std::size_t i = 0; i < evs.size(); ++i) s.events.push_back(read_event(src, evs[i], peers, s, i));
  }
  std::stable_sort(s.events.begin(), s.events.end(), [](const auto& a, const auto& b) { return a.at < b.at; });
  check_timeline(s);
  r.finish();
  return s;
}

}  // namespace

Scenario load_scenario_text(const std::string& yaml, const std::string& source_name, const LoadOptions& options) {
  YamlSource src(source_name);
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::ParserException& e) {
    fail_yaml_syntax(source_name, e);
  }
  const std::string base_dir = std::filesystem::path(source_name).parent_path().string();
  return parse(src, root, base_dir, options);
}

Scenario load_scenario_file(const std::string& path, const LoadOptions& options) {
  std::ifstream in(path);
  if (!in) throw ScenarioError({path, 0, 0}, "", "cannot open the scenario file");
  std::stringstream buf;
  buf << in.rdbuf();
  return load_scenario_text(buf.str(), path, options);
}

}  // namespace gs::scenario
