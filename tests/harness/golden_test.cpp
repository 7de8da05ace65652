// Golden interaction tests (STYLE.md §9): scripts in tests/testdata/golden/*.txt drive a
// GossipCluster step by step; each step's output is compared with the expected text
// stored under it. GOSSIPSIM_REWRITE_GOLDEN=1 rewrites the files with the actual output
// (review the diff; commit a rewrite only with an explanation).
//
// File format (like etcd-io/raft's datadriven testdata): blocks separated by blank lines;
// a block is optional '#' comment lines, one command line, a "----" line, and the
// command's output (never blank lines; "ok" for commands that print nothing).
//
// Commands:
//   config standard|pull-only        base GossipConfig for peers added later (§11.3)
//   set KEY=VALUE...                 override peer.gossip keys (core.yaml names) of the base
//   seed N                           root seed (before the first `peers`)
//   peers N                          add and start N instances localhost:7050+i; each
//                                    bootstraps to the first, joins channel "A" and
//                                    publishes metadata "1"
//   advance D                        advance virtual time by a Go-style duration
//   trace KIND...                    record messages of these kinds (MessageKind names);
//                                    `trace off` stops recording
//   gossip-block SEQ [PEER]          PEER (default 0) Gossip()s block SEQ on channel "A"
//   dump-trace                       print the recorded lines and clear them: time, send|recv,
//                                    from -> to, the envelope's canonical text; nonces of
//                                    pull messages are replaced by N1, N2, ... in order of
//                                    first appearance in the script (stable across draws)
//   dump-views                       each instance's alive view
//   dump-blocks                      each instance's delivered blocks: seq, path, time
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "gossip_cluster.hpp"

namespace gs::testing {
namespace {

struct Step {
  std::vector<std::string> comments;
  std::string command;
  std::string expected;
};

std::vector<std::string> split_words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::vector<Step> parse_script(const std::string& path) {
  std::ifstream in(path);
  std::vector<Step> steps;
  Step cur;
  enum { head, body } state = head;
  auto flush = [&] {
    if (!cur.command.empty()) steps.push_back(cur);
    cur = Step{};
    state = head;
  };
  for (std::string line; std::getline(in, line);) {
    if (state == head) {
      if (line.empty()) continue;
      if (line[0] == '#') cur.comments.push_back(line);
      else if (line == "----") state = body;
      else cur.command = line;
    } else if (line.empty()) {
      flush();
    } else {
      cur.expected += line + "\n";
    }
  }
  flush();
  return steps;
}

// Runs a script's commands against one cluster.
class ScriptRunner {
 public:
  std::string run(const std::string& command) {
    const std::vector<std::string> w = split_words(command);
    REQUIRE_FALSE(w.empty());
    const std::string& op = w[0];
    if (op == "config") return config(w);
    if (op == "set") return set(w);
    if (op == "seed") {
      seed_ = std::stoull(w.at(1));
      return "ok\n";
    }
    if (op == "peers") return peers(std::stoi(w.at(1)));
    if (op == "advance") {
      cluster().advance(parse_duration(w.at(1)));
      return "ok\n";
    }
    if (op == "trace") return trace(w);
    if (op == "gossip-block") return gossip_block(w);
    if (op == "dump-trace") return dump_trace();
    if (op == "dump-views") return dump_views();
    if (op == "dump-blocks") return dump_blocks();
    FAIL("unknown command: " << command);
    return {};
  }

 private:
  GossipCluster& cluster() {
    REQUIRE(cluster_ != nullptr);
    return *cluster_;
  }

  std::string config(const std::vector<std::string>& w) {
    if (w.at(1) == "standard") base_ = standard_test_config();
    else if (w.at(1) == "pull-only") base_ = pull_only_test_config();
    else FAIL("config: standard or pull-only, not " << w.at(1));
    return "ok\n";
  }

  std::string set(const std::vector<std::string>& w) {
    for (std::size_t k = 1; k < w.size(); ++k) {
      const auto eq = w[k].find('=');
      REQUIRE(eq != std::string::npos);
      const std::string key = w[k].substr(0, eq), value = w[k].substr(eq + 1);
      auto u32 = [&] { return static_cast<std::uint32_t>(std::stoul(value)); };
      if (key == "propagateIterations") base_.propagate_iterations = u32();
      else if (key == "propagatePeerNum") base_.propagate_peer_num = u32();
      else if (key == "pullPeerNum") base_.pull_peer_num = u32();
      else if (key == "pullInterval") base_.pull_interval = parse_duration(value);
      else if (key == "maxPropagationBurstLatency") base_.max_propagation_burst_latency = parse_duration(value);
      else if (key == "maxPropagationBurstSize") base_.max_propagation_burst_size = u32();
      else if (key == "digestWaitTime") base_.digest_wait_time = parse_duration(value);
      else if (key == "requestWaitTime") base_.request_wait_time = parse_duration(value);
      else if (key == "responseWaitTime") base_.response_wait_time = parse_duration(value);
      else if (key == "aliveTimeInterval") base_.alive_time_interval = parse_duration(value);
      else FAIL("set: unsupported key " << key);
    }
    return "ok\n";
  }

  std::string peers(int n) {
    if (!cluster_) {
      cluster_ = std::make_unique<GossipCluster>(ClusterOptions::with_seed(seed_));
      cluster_->set_message_sink([this](const MessageEvent& e) {
        if (kinds_.count(e.msg->kind())) lines_.push_back(elide_nonces(cluster_->format(e)));
      });
    }
    for (int k = 0; k < n; ++k) {
      const std::size_t first = cluster_->size();
      InstanceSpec s;
      s.endpoint = fmt::format("localhost:{}", 7050 + first);
      if (first > 0) s.bootstrap = {cluster_->endpoint(0)};
      s.config = base_;
      s.on_start = [](proto::GossipService& g) {
        g.join_channel(join_message(), "A");
        g.update_channel_metadata("1", "A");
      };
      cluster_->start(cluster_->add(std::move(s)));
    }
    return "ok\n";
  }

  std::string trace(const std::vector<std::string>& w) {
    kinds_.clear();
    if (w.size() == 2 && w[1] == "off") return "ok\n";
    for (std::size_t k = 1; k < w.size(); ++k) {
      bool found = false;
      for (std::size_t m = 0; m < proto::kMessageKindCount; ++m)
        if (proto::to_string(static_cast<proto::MessageKind>(m)) == w[k]) {
          kinds_.insert(static_cast<proto::MessageKind>(m));
          found = true;
        }
      if (!found) FAIL("trace: unknown message kind " << w[k]);
    }
    return "ok\n";
  }

  std::string gossip_block(const std::vector<std::string>& w) {
    const std::uint64_t seq = std::stoull(w.at(1));
    const std::size_t from = w.size() > 2 ? std::stoul(w[2]) : 0;
    cluster().gossip(from).gossip(make_data_message(seq, "A", 1024));
    return "ok\n";
  }

  std::string dump_trace() {
    std::string out;
    for (const std::string& l : lines_) out += l + "\n";
    lines_.clear();
    return out.empty() ? "(no messages)\n" : out;
  }

  std::string dump_views() {
    std::string out;
    for (std::size_t i = 0; i < cluster().size(); ++i) {
      std::string members;
      for (const proto::Endpoint& e : cluster().view(i)) members += (members.empty() ? "" : " ") + e;
      out += fmt::format("{}: [{}]\n", cluster().endpoint(i), members);
    }
    return out;
  }

  std::string dump_blocks() {
    std::string out;
    for (std::size_t i = 0; i < cluster().size(); ++i) {
      std::string blocks;
      for (const Delivery& d : cluster().deliveries(i))
        if (d.kind == proto::MessageKind::data)
          blocks += fmt::format("{}{}:{}@{}", blocks.empty() ? "" : " ", d.seq, proto::to_string(d.via), d.at);
      out += fmt::format("{}: [{}]\n", cluster().endpoint(i), blocks);
    }
    return out;
  }

  // Pull nonces are random draws: name them by order of first appearance.
  std::string elide_nonces(const std::string& line) {
    static const std::regex re("nonce=([0-9]+)");
    std::string out;
    auto begin = std::sregex_iterator(line.begin(), line.end(), re);
    std::size_t last = 0;
    for (auto it = begin; it != std::sregex_iterator(); ++it) {
      const std::string n = (*it)[1].str();
      auto [pos, fresh] = nonces_.emplace(n, nonces_.size() + 1);
      out += line.substr(last, static_cast<std::size_t>(it->position()) - last) + fmt::format("nonce=N{}", pos->second);
      last = static_cast<std::size_t>(it->position() + it->length());
    }
    return out + line.substr(last);
  }

  std::uint64_t seed_ = 1;
  proto::GossipConfig base_ = standard_test_config();
  std::unique_ptr<GossipCluster> cluster_;
  std::set<proto::MessageKind> kinds_;
  std::vector<std::string> lines_;
  std::map<std::string, std::size_t> nonces_;
};

std::string render(const std::vector<Step>& steps, const std::vector<std::string>& outputs) {
  std::string s;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (i > 0) s += "\n";
    for (const std::string& c : steps[i].comments) s += c + "\n";
    s += steps[i].command + "\n----\n" + outputs[i];
  }
  return s;
}

}  // namespace

TEST_CASE("golden interaction scripts", "[golden]") {
  const std::filesystem::path dir = std::filesystem::path(GOSSIPSIM_TESTDATA) / "golden";
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".txt") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 2);
  const char* rewrite_env = std::getenv("GOSSIPSIM_REWRITE_GOLDEN");
  const bool rewrite = rewrite_env != nullptr && std::string(rewrite_env) == "1";

  for (const auto& file : files) {
    SECTION(file.filename().string()) {
      const std::vector<Step> steps = parse_script(file.string());
      REQUIRE_FALSE(steps.empty());
      ScriptRunner runner;
      std::vector<std::string> outputs;
      for (const Step& step : steps) {
        outputs.push_back(runner.run(step.command));
        if (!rewrite) {
          INFO(file.filename().string() << ": " << step.command);
          CHECK(outputs.back() == step.expected);
        }
      }
      if (rewrite) {
        std::ofstream(file) << render(steps, outputs);
        WARN("rewrote " << file.string());
      }
    }
  }
}

}  // namespace gs::testing
