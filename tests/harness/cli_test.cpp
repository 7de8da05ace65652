// The gossipsim command line as a new user meets it: help (also `gossipsim help [cmd]`),
// each subcommand's own examples, every path the help and the docs mention, `check`'s
// summary, warnings and --resolved table, the alignment of `params`, and the units the
// docs list against those the parsers accept.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "../shell_command.hpp"
#include "sim/scenario/params.hpp"
#include "sim/scenario/yaml_reader.hpp"

namespace {

using gs::testing::CommandResult;

const std::string kSource = GOSSIPSIM_SOURCE_DIR;

std::string quoted_binary() { return std::string("\"") + GOSSIPSIM_BINARY + "\" "; }

// stdout and stderr together.
CommandResult gossipsim(const std::string& args) { return gs::testing::run_shell(quoted_binary() + args); }
// One stream only (run_shell appends 2>&1 to the group, not to gossipsim).
CommandResult gossipsim_stdout(const std::string& args) {
  return gs::testing::run_shell("{ " + quoted_binary() + args + " 2>/dev/null; }");
}
CommandResult gossipsim_stderr(const std::string& args) {
  return gs::testing::run_shell("{ " + quoted_binary() + args + " 2>&1 >/dev/null; }");
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

const std::vector<std::string> kSubcommands{"run", "check", "params", "sweep", "help"};

// The code points of a UTF-8 line, so that offsets are terminal columns.
std::u32string code_points(const std::string& s) {
  std::u32string out;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    char32_t cp = n == 1 ? c : c & (0xFF >> (n + 1));
    for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back(cp);
    i += n;
  }
  return out;
}

// Backticked words of the docs/scenarios.md "Value types" row for `type`, in its second cell.
std::set<std::string> documented_units(const std::string& type) {
  for (const std::string& l : lines_of(read_file(kSource + "/docs/scenarios.md"))) {
    if (l.rfind("| " + type + " |", 0) != 0) continue;
    const std::size_t begin = l.find('|', 1) + 1;
    const std::string cell = l.substr(begin, l.find('|', begin) - begin);
    std::set<std::string> units;
    const std::regex word("`([^`]+)`");
    for (auto it = std::sregex_iterator(cell.begin(), cell.end(), word); it != std::sregex_iterator(); ++it)
      units.insert((*it)[1]);
    return units;
  }
  FAIL("no row for " << type << " in docs/scenarios.md");
  return {};
}

// The "(one of A, B, C)" list of a parser's unknown-unit message.
std::set<std::string> hinted_units(const std::string& message) {
  const std::size_t begin = message.rfind("(one of ") + 8;
  const std::string list = message.substr(begin, message.find(')', begin) - begin);
  std::set<std::string> units;
  std::istringstream in(list);
  for (std::string u; std::getline(in, u, ',');) units.insert(u.substr(u.find_first_not_of(' ')));
  return units;
}

}  // namespace

TEST_CASE("gossipsim help [subcommand] prints the help and exits 0", "[cli][help]") {
  const CommandResult global = gossipsim("help");
  INFO(global.output);
  CHECK(global.exit_code == 0);
  CHECK_THAT(global.output, Catch::Contains("Subcommands:"));
  CHECK_THAT(global.output, Catch::Contains("gossipsim help run"));
  for (const std::string& sub : kSubcommands) {
    const CommandResult r = gossipsim("help " + sub);
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.output == gossipsim(sub + " --help").output);  // the same text as `gossipsim <sub> --help`
  }
  const CommandResult bad = gossipsim("help nope");
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.output, Catch::Contains("error: help: unknown subcommand \"nope\" (one of run, check, params, sweep, help)"));
}

TEST_CASE("each subcommand's help has its own examples", "[cli][help]") {
  for (const std::string& sub : kSubcommands) {
    const CommandResult r = gossipsim(sub + " --help");
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    const std::vector<std::string> lines = lines_of(r.output);
    std::size_t examples = 0;
    for (const std::string& l : lines)
      if (l.rfind("  gossipsim ", 0) == 0) {
        ++examples;
        CHECK_THAT(l, Catch::StartsWith("  gossipsim " + sub));
      }
    CHECK(examples >= 2);
  }
}

TEST_CASE("every scenario path in the help, README.md and docs/*.md exists", "[cli][help][docs]") {
  std::vector<std::pair<std::string, std::string>> texts{{"gossipsim --help", gossipsim("--help").output}};
  for (const std::string& sub : kSubcommands) texts.emplace_back("gossipsim " + sub + " --help", gossipsim(sub + " --help").output);
  texts.emplace_back("README.md", read_file(kSource + "/README.md"));
  for (const auto& e : std::filesystem::directory_iterator(kSource + "/docs"))
    if (e.path().extension() == ".md") texts.emplace_back("docs/" + e.path().filename().string(), read_file(e.path().string()));
  const std::regex path(R"(scenarios/[A-Za-z0-9_./-]*\.(yaml|yml|graphml|dot|gv))");
  std::size_t checked = 0;
  for (const auto& [where, text] : texts)
    for (auto it = std::sregex_iterator(text.begin(), text.end(), path); it != std::sregex_iterator(); ++it) {
      INFO(where << " mentions " << it->str());
      CHECK(std::filesystem::is_regular_file(kSource + "/" + it->str()));
      ++checked;
    }
  CHECK(checked >= 10);
}

TEST_CASE("run's help names every output file of docs/report.md", "[cli][help][docs]") {
  const std::string help = gossipsim("run --help").output;
  std::size_t files = 0;
  for (const std::string& l : lines_of(read_file(kSource + "/docs/report.md"))) {
    std::smatch m;
    if (!std::regex_match(l, m, std::regex(R"(\| `([a-z]+\.(json|csv|jsonl))` \|.*)"))) continue;
    INFO(m[1]);
    CHECK_THAT(help, Catch::Contains(m[1].str()));
    ++files;
  }
  CHECK(files == 5);
  CHECK_THAT(gossipsim("--help").output,
             Catch::Contains("write report.json, timeseries.csv, blocks.csv, receipts.csv (and trace.jsonl with --trace)"));
}

TEST_CASE("check: counts are pluralised", "[cli][check]") {
  const std::filesystem::path dir = gs::testing::scratch_dir("cli-plural");
  std::ofstream(dir / "one.yaml") << "name: one\nduration: 40s\norgs: { count: 1, peers: 1 }\n"
                                     "events:\n  - { at: 35s, crash: [Org1.peer0] }\n";
  std::ofstream(dir / "two.yaml") << "name: two\nduration: 40s\norgs: { count: 2, peers: 2 }\n"
                                     "channels: [{ name: a }, { name: b }]\n";
  const CommandResult one = gossipsim("check " + (dir / "one.yaml").string());
  CHECK(one.exit_code == 0);
  CHECK_THAT(one.output, Catch::Contains("\"one\", 1 peer in 1 org, 1 channel, 40s, 1 timeline event, profile fabric-1.0"));
  const CommandResult two = gossipsim("check " + (dir / "two.yaml").string());
  CHECK_THAT(two.output, Catch::Contains("\"two\", 4 peers in 2 orgs, 2 channels, 40s, 0 timeline events, profile fabric-1.0"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("params: every row's columns start at the same offsets", "[cli][params]") {
  for (const std::string& args : {std::string("params"), std::string("params --profile fabric-2.5")}) {
    const CommandResult r = gossipsim_stdout(args);
    REQUIRE(r.exit_code == 0);
    const std::vector<std::string> lines = lines_of(r.output);
    const std::u32string header = code_points(lines.at(0));
    // Left-aligned columns start where their title does; right-aligned profile columns end
    // where theirs does.
    std::vector<std::size_t> starts, ends;
    for (const char* title : {"unit", "spec", "core.yaml 0/absent", "meaning"})
      starts.push_back(header.find(code_points(title)));
    for (const char* profile : {"fabric-1.0", "fabric-2.5", "fabric-3.0"})
      if (const std::size_t at = header.find(code_points(profile)); at != std::u32string::npos)
        ends.push_back(at + 10);
    for (std::size_t s : starts) REQUIRE(s != std::u32string::npos);
    std::size_t rows = 0;
    for (std::size_t i = 1; i < lines.size() && !lines[i].empty(); ++i, ++rows) {
      const std::u32string row = code_points(lines[i]);
      INFO(args << ": " << lines[i]);
      for (std::size_t s : starts) {
        CHECK(row.at(s - 1) == U' ');
        if (s != starts.front()) CHECK(row.at(s) != U' ');  // the unit of a boolean is empty
      }
      CHECK(row.at(starts[1]) == U'§');
      for (std::size_t e : ends) {
        CHECK(row.at(e - 1) != U' ');
        CHECK(row.at(e) == U' ');
      }
    }
    CHECK(rows == gs::scenario::gossip_params().size());
  }
  CHECK_THAT(gossipsim_stdout("params").output,
             Catch::Contains("aliveExpirationTimeout") && Catch::Contains("5 x aliveTimeInterval"));
}

TEST_CASE("check and run warn on stderr when no block is injected; outputs unchanged", "[cli][warnings]") {
  const std::filesystem::path dir = gs::testing::scratch_dir("cli-warn");
  const std::string file = (dir / "short.yaml").string();
  std::ofstream(file) << "name: short\norgs: { count: 1, peers: 2 }\nduration: 20s\n";
  const std::string warning =
      "warning: " + file + ":3:11: workload.start 30s (the default) is not before duration 20s: no block will be injected\n";

  const CommandResult check_err = gossipsim_stderr("check " + file);
  CHECK(check_err.exit_code == 0);
  CHECK(check_err.output == warning);
  const CommandResult check_out = gossipsim_stdout("check " + file);
  CHECK_THAT(check_out.output, Catch::StartsWith(file + ": ok"));

  const std::string out = (dir / "out").string();
  const CommandResult run_err = gossipsim_stderr("run " + file + " --quiet --out " + out);
  CHECK(run_err.exit_code == 0);
  CHECK(run_err.output == warning);  // --quiet silences progress and the summary, not warnings
  CHECK(gossipsim_stdout("run " + file + " --quiet --out " + out).output.empty());
  std::set<std::string> written;
  for (const auto& e : std::filesystem::directory_iterator(out)) written.insert(e.path().filename().string());
  CHECK(written == std::set<std::string>{"report.json", "timeseries.csv", "blocks.csv", "receipts.csv"});

  const CommandResult fine = gossipsim_stderr("check " + file + " --set duration=31s");
  CHECK(fine.output.empty());
  std::filesystem::remove_all(dir);
}

TEST_CASE("check --resolved: every gossip key's value and where it came from", "[cli][check]") {
  const std::filesystem::path dir = gs::testing::scratch_dir("cli-resolved");
  std::ofstream(dir / "core.yaml") << "peer:\n  gossip:\n    pullInterval: 2s\n    sendBuffSize: 0\n";
  const std::string file = (dir / "s.yaml").string();
  std::ofstream(file) << "name: s\nprofile: fabric-2.5\norgs: { count: 1, peers: 2 }\n"
                         "gossip:\n  import: core.yaml\n  propagatePeerNum: 4\n";
  const CommandResult r = gossipsim_stdout("check " + file + " --resolved --set gossip.pullPeerNum=2");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  const std::string core = (dir / "core.yaml").string();
  CHECK_THAT(r.output, Catch::Contains("(profile fabric-2.5, gossip.import " + core + "):"));
  const std::vector<std::string> lines = lines_of(r.output);
  auto row = [&](const std::string& key) {
    for (const std::string& l : lines)
      if (l.rfind(key + " ", 0) == 0) {
        std::istringstream in(l);
        std::string k, value;
        in >> k >> value;
        std::string from;
        std::getline(in >> std::ws, from);
        return std::pair<std::string, std::string>(value, from);
      }
    FAIL("no row for " << key);
    return std::pair<std::string, std::string>();
  };
  using Row = std::pair<std::string, std::string>;
  CHECK(row("pullInterval") == Row("2s", "import " + core + ":3:19"));
  CHECK(row("sendBuffSize") == Row("20", "Fabric code default 20 (0 at " + core + ":4:19)"));
  CHECK(row("aliveExpirationTimeout") == Row("25s", "Fabric code default 5 x aliveTimeInterval (not in the imported file)"));
  CHECK(row("propagatePeerNum") == Row("4", "scenario " + file + ":6:21"));
  CHECK(row("pullPeerNum") == Row("2", "--set gossip.pullPeerNum=2"));
  CHECK(row("requestWaitTime") == Row("1.5s", "Fabric code default (not in the imported file)"));

  const CommandResult plain = gossipsim_stdout("check " + kSource + "/scenarios/default.yaml --resolved");
  std::size_t rows = 0;
  for (const std::string& l : lines_of(plain.output))
    if (l.find("profile fabric-1.0 default") != std::string::npos) ++rows;
  CHECK(rows == gs::scenario::gossip_params().size());  // default.yaml sets no gossip key
  std::filesystem::remove_all(dir);
}

TEST_CASE("docs list exactly the units the parsers accept", "[cli][docs]") {
  auto message_of = [](auto parse, const char* text) {
    try {
      parse(text);
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    FAIL("accepted " << text);
    return std::string();
  };
  const std::set<std::string> sizes = hinted_units(message_of(gs::scenario::parse_size, "1xx"));
  CHECK(documented_units("size (bytes)") == sizes);
  for (const std::string& u : sizes) CHECK_NOTHROW(gs::scenario::parse_size("1" + u));
  const std::set<std::string> rates = hinted_units(message_of(gs::scenario::parse_rate, "1xx"));
  CHECK(documented_units("rate (bits/s)") == rates);
  for (const std::string& u : rates) CHECK_NOTHROW(gs::scenario::parse_rate("1" + u));
  // Durations: base/time.cpp accepts the micro sign and the Greek mu; the docs list both.
  const std::set<std::string> durations = documented_units("duration");
  CHECK(durations == std::set<std::string>{"ns", "us", "\xC2\xB5s", "\xCE\xBCs", "ms", "s", "m", "h"});
  for (const std::string& u : durations) CHECK_NOTHROW(gs::parse_duration("1" + u));
  CHECK_THROWS_WITH(gs::parse_duration("1d"), Catch::Contains("(one of ns, us or \xC2\xB5s, ms, s, m, h)"));
}
