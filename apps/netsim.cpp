// netsim: runs a scenario file on a simulated network of real Nodes and writes a report.
// Exit 0 when every expectation holds, 1 when one fails or an invariant breaks, 2 for a bad
// scenario or usage.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>

#include "netsim_validate.hpp"
#include "yournet/live/live_world.hpp"
#include "yournet/report/run_report.hpp"
#include "yournet/sim/simulation.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace yournet;

namespace {

constexpr int kExitPass = 0, kExitFail = 1, kExitUsage = 2;

using WallClock = std::chrono::steady_clock;
double seconds_since(WallClock::time_point start) {
  return std::chrono::duration<double>(WallClock::now() - start).count();
}

// "A..B" with A <= B, both unsigned 64-bit; nullopt for anything else.
std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_seed_range(const std::string& text) {
  auto dots = text.find("..");
  if (dots == std::string::npos || dots == 0 || dots + 2 >= text.size()) return std::nullopt;
  auto number = [](std::string_view digits) -> std::optional<std::uint64_t> {
    std::uint64_t value = 0;
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
    return value;
  };
  auto from = number(std::string_view(text).substr(0, dots));
  auto to = number(std::string_view(text).substr(dots + 2));
  if (!from || !to || *from > *to) return std::nullopt;
  return std::make_pair(*from, *to);
}

// The path as a shell word, so a printed replay command can be pasted as is.
std::string shell_word(const std::string& text) {
  bool plain = !text.empty();
  for (char c : text) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '.' || c == '_' ||
          c == '-' || c == '+' || c == ':' || c == '=' || c == ',')) {
      plain = false;
    }
  }
  if (plain) return text;
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// One progress line on stderr, rewritten in place; only when stderr is a terminal.
class ProgressLine {
 public:
  explicit ProgressLine(bool enabled) : enabled_(enabled && isatty(STDERR_FILENO) != 0) {}
  ~ProgressLine() { clear(); }
  bool enabled() const { return enabled_; }
  void show(const std::string& text) {
    if (!enabled_) return;
    auto now = WallClock::now();
    if (now - created_ < std::chrono::milliseconds(500)) return;  // short runs: no flicker
    if (shown_ && now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    shown_ = true;
    std::fprintf(stderr, "\r\033[K%s", text.c_str());
    std::fflush(stderr);
  }
  void clear() {
    if (!enabled_ || !shown_) return;
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    shown_ = false;
  }

 private:
  bool enabled_;
  bool shown_ = false;
  WallClock::time_point created_ = WallClock::now();
  WallClock::time_point last_{};
};

std::vector<std::string> failed_expectations(const Json& summary) {
  std::vector<std::string> failed;
  for (const auto& e : summary["expectations"]) {
    if (!e["passed"].get<bool>()) {
      failed.push_back(e["name"].get<std::string>() + ": " + e["detail"].get<std::string>());
    }
  }
  return failed;
}

struct Invocation {
  std::string scenario_path;
  fs::path out;
  bool quiet = false;
  bool check_determinism = false;
  bool live = false;
  live::Hosting hosting = live::Hosting::in_process;
  double time_scale = 1.0;
  fs::path chainnode;
};

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

std::string transport_name(const Invocation& how) {
  if (!how.live) return "sim";
  return how.hosting == live::Hosting::processes ? "process" : "http";
}

std::string live_flags(const Invocation& how) {
  if (!how.live) return "";
  return " --transport " + transport_name(how) + " --time-scale " + fixed(how.time_scale, 3);
}

std::string replay_command(const Invocation& how, std::uint64_t seed) {
  return "netsim " + shell_word(how.scenario_path) + " --seed " + std::to_string(seed);
}

int run_single(sim::Scenario scenario, const Invocation& how) {
  if (!how.quiet) {
    std::cout << "netsim: " << scenario.name << " seed " << scenario.seed
              << (how.live ? " live (" + transport_name(how) + ")" : "")
              << " (replay: " << replay_command(how, scenario.seed) << live_flags(how) << ")"
              << std::endl;
  }
  std::error_code ec;
  fs::create_directories(how.out, ec);
  std::ofstream trace_file(how.out / "trace.jsonl", std::ios::binary);
  if (!trace_file) {
    std::cerr << "netsim: cannot write to " << how.out.string() << "\n";
    return kExitUsage;
  }
  sim::ReportBuilder report;
  ProgressLine progress(!how.quiet);
  const auto started = WallClock::now();
  sim::RunOptions options;
  // Each line goes to the file and the report's aggregates, never into one big string.
  options.trace_sink = [&](std::string_view line) {
    trace_file << line << '\n';
    report.add_line(line);
  };
  if (progress.enabled()) {
    options.progress = [&](std::int64_t now_us, std::int64_t stop_us, std::uint64_t events) {
      double elapsed = std::max(seconds_since(started), 1e-9);
      progress.show(fixed(stop_us > 0
                              ? 100.0 * static_cast<double>(now_us) / static_cast<double>(stop_us)
                              : 100.0,
                          1) +
                    "% of " + fixed(static_cast<double>(stop_us) / 1e6, 1) + " s simulated, " +
                    std::to_string(events) + " events, " +
                    fixed(static_cast<double>(events) / elapsed, 0) + " events/s");
    };
  }
  sim::RunResult result;
  try {
    if (how.live) {
      live::LiveOptions live;
      live.hosting = how.hosting;
      live.time_scale = how.time_scale;
      live.run_dir = how.out / "run";
      live.log_dir = how.out / "logs";
      live.chainnode = how.chainnode;
      result = live::run_live(scenario, live, options);
    } else {
      result = sim::run_scenario(scenario, options);
    }
  } catch (const std::exception& e) {
    progress.clear();
    std::cerr << "netsim: seed " << scenario.seed << ": the run stopped: " << e.what() << "\n";
    return kExitFail;
  }
  progress.clear();
  const double wall_seconds = seconds_since(started);
  trace_file.close();
  if (!trace_file) {
    std::cerr << "netsim: cannot write " << (how.out / "trace.jsonl").string() << "\n";
    return kExitUsage;
  }
  if (how.check_determinism) {
    sim::RunOptions discard;
    discard.trace_sink = [](std::string_view) {};
    sim::RunResult again = sim::run_scenario(scenario, discard);
    if (again.summary["trace_sha256"] != result.summary["trace_sha256"]) {
      std::cerr << "netsim: NOT deterministic: trace hashes differ for seed " << scenario.seed
                << " (" << result.summary["trace_sha256"].get<std::string>() << " then "
                << again.summary["trace_sha256"].get<std::string>() << ")\n";
      return kExitFail;
    }
    spdlog::info("deterministic: two runs gave trace {}",
                 result.summary["trace_sha256"].get<std::string>());
  }
  std::ofstream(how.out / "summary.json") << result.summary.dump(2) << "\n";
  std::ofstream(how.out / "report.html") << report.html(result.summary);
  if (!std::ofstream(how.out / "report.html", std::ios::app)) {
    std::cerr << "netsim: cannot write to " << how.out.string() << "\n";
    return kExitUsage;
  }
  for (const auto& expectation : result.summary["expectations"]) {
    spdlog::info("{} {}: {}", expectation["passed"].get<bool>() ? "PASS" : "FAIL",
                 expectation["name"].get<std::string>(), expectation["detail"].get<std::string>());
  }
  spdlog::info("{} events in {:.3f} s wall", result.summary["events"].get<std::uint64_t>(),
               wall_seconds);
  std::cout << (result.passed ? "PASS " : "FAIL ") << scenario.name << " seed " << scenario.seed
            << ": height " << result.summary["final_height"] << ", "
            << result.summary["blocks_mined"] << " blocks mined, " << result.summary["forks"]
            << " stale, report in " << how.out.string() << "\n";
  if (!result.passed) {
    for (const auto& failure : failed_expectations(result.summary)) {
      std::cout << "  failed " << failure << "\n";
    }
    std::cout << "  replay: " << replay_command(how, scenario.seed) << live_flags(how) << "\n";
  }
  return result.passed ? kExitPass : kExitFail;
}

int run_sweep(sim::Scenario scenario, const Invocation& how, std::uint64_t from, std::uint64_t to) {
  const std::uint64_t runs = to - from + 1;
  if (!how.quiet) {
    std::cout << "netsim: " << scenario.name << " sweeping seeds " << from << ".." << to << " ("
              << runs << " runs)" << std::endl;
  }
  ProgressLine progress(!how.quiet);
  Json failures = Json::array();
  const auto started = WallClock::now();
  std::uint64_t done = 0;
  for (std::uint64_t seed = from;; ++seed) {
    scenario.seed = seed;
    sim::RunOptions options;
    options.trace_sink = [](std::string_view) {};  // only the hash is needed: keep memory flat
    Json failed = Json::array();
    try {
      sim::RunResult result = sim::run_scenario(scenario, options);
      for (const auto& e : result.summary["expectations"]) {
        if (!e["passed"].get<bool>())
          failed.push_back(Json{{"name", e["name"]}, {"detail", e["detail"]}});
      }
      if (how.check_determinism) {
        sim::RunResult again = sim::run_scenario(scenario, options);
        if (again.summary["trace_sha256"] != result.summary["trace_sha256"]) {
          failed.push_back(
              Json{{"name", "determinism"}, {"detail", "two runs gave different trace hashes"}});
        }
      }
    } catch (const std::exception& e) {
      failed.push_back(
          Json{{"name", "run"}, {"detail", std::string("the run stopped: ") + e.what()}});
    }
    if (!failed.empty()) {
      failures.push_back(
          Json{{"seed", seed}, {"failed", failed}, {"replay", replay_command(how, seed)}});
    }
    ++done;
    progress.show("seed " + std::to_string(seed) + " (" + std::to_string(done) + "/" +
                  std::to_string(runs) + "), " + std::to_string(failures.size()) + " failed, " +
                  fixed(static_cast<double>(done) / std::max(seconds_since(started), 1e-9), 1) +
                  " runs/s");
    if (seed == to) break;
  }
  progress.clear();
  const double wall = seconds_since(started);
  const double rate = static_cast<double>(runs) / std::max(wall, 1e-9);
  Json sweep{{"scenario", scenario.name},
             {"seeds", Json{{"from", from}, {"to", to}}},
             {"runs", runs},
             {"passed", runs - failures.size()},
             {"failed", failures.size()},
             {"wall_seconds", wall},
             {"runs_per_second", rate},
             {"check_determinism", how.check_determinism},
             {"failures", failures}};
  std::error_code ec;
  fs::create_directories(how.out, ec);
  std::ofstream(how.out / "sweep.json") << sweep.dump(2) << "\n";
  if (!std::ofstream(how.out / "sweep.json", std::ios::app)) {
    std::cerr << "netsim: cannot write to " << how.out.string() << "\n";
    return kExitUsage;
  }
  std::cout << (failures.empty() ? "PASS " : "FAIL ") << scenario.name << " seeds " << from << ".."
            << to << ": " << runs - failures.size() << " passed, " << failures.size()
            << " failed in " << fixed(wall, 2) << " s (" << fixed(rate, 1)
            << " runs/s), summary in " << (how.out / "sweep.json").string() << "\n";
  constexpr std::size_t kListed = 20;  // the rest are in sweep.json
  for (std::size_t i = 0; i < failures.size(); ++i) {
    if (i == kListed) {
      std::cout << "  ... and " << failures.size() - kListed << " more failing seeds in "
                << (how.out / "sweep.json").string() << "\n";
      break;
    }
    const Json& failure = failures[i];
    std::cout << "  seed " << failure["seed"] << ": ";
    bool first = true;
    for (const auto& f : failure["failed"]) {
      std::cout << (first ? "" : "; ") << f["name"].get<std::string>() << ": "
                << f["detail"].get<std::string>();
      first = false;
    }
    std::cout << "\n    replay: " << failure["replay"].get<std::string>() << "\n";
  }
  return failures.empty() ? kExitPass : kExitFail;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "validate")
    return yournet::apps::netsim_validate(argc - 1, argv + 1);
  po::options_description options(
      "usage: netsim SCENARIO [options]\n       netsim validate [FOLDER] [options] (the fidelity "
      "suite: netsim validate --help)\n\noptions");
  options.add_options()("help,h", "show this help")("seed", po::value<std::uint64_t>(),
                                                    "override the scenario's seed")(
      "seeds", po::value<std::string>(),
      "sweep seeds A..B (inclusive): list the failing ones with a replay command")(
      "out", po::value<std::string>(), "report folder (default reports/<scenario name>/)")(
      "check-determinism", "run twice and compare the trace hashes")("quiet,q",
                                                                     "print only the verdict")(
      "transport", po::value<std::string>()->default_value("sim"),
      "sim: the deterministic simulator; http: every node in this process behind a real HTTP "
      "server; process: every honest node a chainnode process (and \"command\" nodes foreign "
      "programs). Live runs go over 127.0.0.1 in wall time, each node's outgoing traffic through a "
      "fault proxy of its own that applies the scenario's links (at most 64 nodes; processes "
      "and logs in OUT/run and OUT/logs)")(
      "time-scale", po::value<double>(),
      "live runs: wall seconds per scenario second (default 1; 0.1 runs 10x faster)")(
      "chainnode", po::value<std::string>(),
      "--transport process: the chainnode program (default: the one beside netsim)");
  po::options_description hidden;
  hidden.add_options()("scenario", po::value<std::string>());
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description positional;
  positional.add("scenario", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "netsim: " << e.what() << "\n" << options;
    return kExitUsage;
  }
  if (vm.count("help")) {
    std::cout << options;
    return kExitPass;
  }
  auto usage = [&](const std::string& why) {
    std::cerr << "netsim: " << why << "\n" << options;
    return kExitUsage;
  };
  if (!vm.count("scenario")) return usage("name a scenario file");
  Invocation how;
  how.scenario_path = vm["scenario"].as<std::string>();
  how.quiet = vm.count("quiet") != 0;
  how.check_determinism = vm.count("check-determinism") != 0;
  const std::string transport = vm["transport"].as<std::string>();
  if (transport != "sim" && transport != "http" && transport != "process") {
    return usage("--transport must be sim, http or process, not '" + transport + "'");
  }
  how.live = transport != "sim";
  if (transport == "process") how.hosting = live::Hosting::processes;
  how.chainnode = vm.count("chainnode")
                      ? fs::path(vm["chainnode"].as<std::string>())
                      : fs::canonical("/proc/self/exe").parent_path() / "chainnode";
  std::optional<std::pair<std::uint64_t, std::uint64_t>> seeds;
  if (vm.count("seeds")) {
    seeds = parse_seed_range(vm["seeds"].as<std::string>());
    if (!seeds) {
      return usage("--seeds wants A..B with whole numbers A <= B (e.g. 1..100), not '" +
                   vm["seeds"].as<std::string>() + "'");
    }
    if (vm.count("seed")) return usage("--seed and --seeds exclude each other");
    if (how.live)
      return usage("--seeds sweeps the simulator; it does not combine with a live --transport");
  }
  if (vm.count("time-scale")) {
    if (!how.live)
      return usage("--time-scale applies only to live runs (--transport http or process)");
    how.time_scale = vm["time-scale"].as<double>();
    if (!(how.time_scale >= 0.001 && how.time_scale <= 1000)) {
      return usage("--time-scale must be between 0.001 and 1000");
    }
  }
  if (how.live && how.check_determinism) {
    return usage("--check-determinism needs the simulator: live runs depend on real timing");
  }

  sim::Scenario scenario;
  try {
    std::ifstream file(how.scenario_path);
    if (!file) throw sim::ScenarioError("cannot read " + how.scenario_path);
    scenario =
        sim::load_scenario(parse_json(std::string(std::istreambuf_iterator<char>(file), {})));
  } catch (const std::exception& e) {
    std::cerr << "netsim: " << how.scenario_path << ": " << e.what() << "\n";
    return kExitUsage;
  }
  // A foreign node's relative "cwd" is relative to the scenario file's folder.
  for (auto& node : scenario.nodes) {
    if (node.command && !node.command->cwd.empty() && fs::path(node.command->cwd).is_relative()) {
      node.command->cwd =
          (fs::absolute(how.scenario_path).parent_path() / node.command->cwd).lexically_normal();
    }
  }
  for (std::size_t i = 0; i < scenario.nodes.size() && !how.live; ++i) {
    if (scenario.nodes[i].command) {
      std::cerr << "netsim: " << how.scenario_path << ": node " << i
                << " is a foreign program (\"command\"): it runs only with --transport process\n";
      return kExitUsage;
    }
  }
  if (how.live) {
    live::LiveOptions live;
    live.hosting = how.hosting;
    if (auto refusal = live::live_refusal(scenario, live)) {
      std::cerr << "netsim: " << how.scenario_path << ": cannot run with --transport " << transport
                << ": " << *refusal << "\n";
      return kExitUsage;
    }
    if (how.hosting == live::Hosting::processes && !fs::exists(how.chainnode))
      return usage("no chainnode program at " + how.chainnode.string() + " (give --chainnode)");
  }
  if (vm.count("seed")) scenario.seed = vm["seed"].as<std::uint64_t>();
  if (how.quiet) spdlog::set_level(spdlog::level::warn);
  how.out =
      vm.count("out") ? fs::path(vm["out"].as<std::string>()) : fs::path("reports") / scenario.name;
  if (seeds) return run_sweep(scenario, how, seeds->first, seeds->second);
  return run_single(scenario, how);
}
