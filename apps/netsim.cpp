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
#include <thread>

#include "yournet/live/live_world.hpp"
#include "yournet/report/run_report.hpp"
#include "yournet/sim/scenario_writer.hpp"
#include "yournet/sim/shrink.hpp"
#include "yournet/sim/simulation.hpp"
#include "yournet/sim/swarm.hpp"
#include "yournet/sim/sweep.hpp"
#include "yournet/sim/sweep_merge.hpp"

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

int run_single(const sim::Scenario& scenario, const Json& drawn, const Invocation& how) {
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
  if (!drawn.empty()) result.summary["drawn"] = drawn;  // a swarm scenario's draw for this seed
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
  if (!drawn.empty() && !how.quiet) std::cout << "  drawn: " << drawn.dump() << "\n";
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

// "I/N" with I < N <= kMaxShards; nullopt for anything else.
constexpr unsigned kMaxShards = 100'000;
std::optional<std::pair<unsigned, unsigned>> parse_shard(const std::string& text) {
  auto slash = text.find('/');
  if (slash == std::string::npos) return std::nullopt;
  unsigned index = 0, count = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [index_end, e1] = std::from_chars(begin, begin + slash, index);
  auto [count_end, e2] = std::from_chars(begin + slash + 1, end, count);
  if (e1 != std::errc() || e2 != std::errc() || index_end != begin + slash || count_end != end ||
      slash == 0 || count == 0 || count > kMaxShards || index >= count) {
    return std::nullopt;
  }
  return std::make_pair(index, count);
}

// Writes `json` to DIR/NAME; false (after saying so) when it cannot.
bool write_json(const fs::path& dir, const char* name, const Json& json) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  std::ofstream file(dir / name);
  file << json.dump(2) << "\n";
  if (!file) {
    std::cerr << "netsim: cannot write " << (dir / name).string() << "\n";
    return false;
  }
  return true;
}

// The verdict line and the first failing seeds of a sweep.json, as a sweep or a merge prints it.
void print_failures(const Json& sweep, const fs::path& file) {
  const Json& failures = sweep["failures"];
  constexpr std::size_t kListed = 20;  // the rest are in sweep.json
  for (std::size_t i = 0; i < failures.size(); ++i) {
    if (i == kListed) {
      std::cout << "  ... and " << failures.size() - kListed << " more failing seeds in "
                << file.string() << "\n";
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
}

int run_sweep(const Json& file, const std::string& name, const Invocation& how,
              const sim::SeedPlan& plan, unsigned jobs) {
  const std::uint64_t runs = sim::seed_count(plan);
  if (!how.quiet) {
    std::cout << "netsim: " << name << " sweeping seeds " << plan.from << ".." << plan.to;
    if (plan.sharded) std::cout << " shard " << plan.shard << "/" << plan.shard_count;
    std::cout << " (" << runs << " runs, " << jobs << (jobs == 1 ? " job" : " jobs") << ")"
              << std::endl;
  }
  ProgressLine progress(!how.quiet);
  const auto started = WallClock::now();
  sim::SweepOptions options;
  options.jobs = jobs;
  options.check_determinism = how.check_determinism;
  options.replay_prefix = "netsim " + shell_word(how.scenario_path);
  options.progress = [&](std::size_t done, std::size_t failed) {
    progress.show(std::to_string(done) + "/" + std::to_string(runs) + " seeds done, " +
                  std::to_string(failed) + " failed, " +
                  fixed(static_cast<double>(done) / std::max(seconds_since(started), 1e-9), 1) +
                  " runs/s");
  };
  const Json sweep = sim::run_sweep(file, plan, options);
  progress.clear();
  const double wall = seconds_since(started);
  const double rate = static_cast<double>(runs) / std::max(wall, 1e-9);
  // Timings apart from sweep.json, which is the same bytes for any --jobs.
  if (!write_json(how.out, "sweep.json", sweep) ||
      !write_json(how.out, "timing.json",
                  Json{{"wall_seconds", wall}, {"runs_per_second", rate}, {"jobs", jobs}})) {
    return kExitUsage;
  }
  const auto failed = sweep["failed"].get<std::uint64_t>();
  std::cout << (failed == 0 ? "PASS " : "FAIL ") << name << " seeds " << plan.from << ".."
            << plan.to
            << (plan.sharded ? " shard " + std::to_string(plan.shard) + "/" +
                                   std::to_string(plan.shard_count)
                             : "")
            << ": " << sweep["passed"] << " passed, " << failed << " failed in " << fixed(wall, 2)
            << " s (" << fixed(rate, 1) << " runs/s), summary in "
            << (how.out / "sweep.json").string() << "\n";
  print_failures(sweep, how.out / "sweep.json");
  return failed == 0 ? kExitPass : kExitFail;
}

// The scenario file as JSON; exits 2 (after saying why) when it cannot be read.
std::optional<Json> read_json_file(const std::string& path) {
  try {
    std::ifstream file(path);
    if (!file) throw std::runtime_error("cannot read " + path);
    return parse_json(std::string(std::istreambuf_iterator<char>(file), {}));
  } catch (const std::exception& e) {
    std::cerr << "netsim: " << path << ": " << e.what() << "\n";
    return std::nullopt;
  }
}

std::optional<sim::DrawnScenario> load_file_for_seed(const std::string& path, const Json& file,
                                                     std::optional<std::uint64_t> seed) {
  try {
    return sim::load_swarm_scenario(file, seed);
  } catch (const std::exception& e) {
    std::cerr << "netsim: " << path << ": " << e.what() << "\n";
    return std::nullopt;
  }
}

// Foreign nodes ("command") run only live; the simulator's subcommands refuse them by number.
bool refuse_foreign_nodes(const sim::Scenario& scenario, const std::string& path) {
  for (std::size_t i = 0; i < scenario.nodes.size(); ++i) {
    if (scenario.nodes[i].command) {
      std::cerr << "netsim: " << path << ": node " << i
                << " is a foreign program (\"command\"): it runs only with --transport process\n";
      return true;
    }
  }
  return false;
}

// netsim shrink SCENARIO [--seed N] [--out DIR] [--max-runs N]
int shrink_main(int argc, char** argv) {
  po::options_description options(
      "usage: netsim shrink SCENARIO [options]\n\nFinds a smaller scenario that fails the same "
      "expectation or invariant as SCENARIO (at its seed), writes it to OUT/shrunk.json with its "
      "report, and prints each reduction. Exit 0: shrunk; 1: SCENARIO does not fail; 2: bad "
      "input.\n\noptions");
  options.add_options()("help,h", "show this help")("seed", po::value<std::uint64_t>(),
                                                    "the failing seed (default the scenario's)")(
      "out", po::value<std::string>(), "output folder (default reports/<scenario name>-shrunk/)")(
      "max-runs", po::value<std::size_t>()->default_value(sim::kDefaultShrinkRuns),
      "at most this many candidate runs (1..1000000)")("quiet,q", "print only the result");
  po::options_description all;
  all.add(options).add_options()("scenario", po::value<std::string>());
  po::positional_options_description positional;
  positional.add("scenario", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "netsim shrink: " << e.what() << "\n" << options;
    return kExitUsage;
  }
  if (vm.count("help")) {
    std::cout << options;
    return kExitPass;
  }
  if (!vm.count("scenario")) {
    std::cerr << "netsim shrink: name a scenario file\n" << options;
    return kExitUsage;
  }
  const std::size_t max_runs = vm["max-runs"].as<std::size_t>();
  if (max_runs < 1 || max_runs > 1'000'000) {
    std::cerr << "netsim shrink: --max-runs must be between 1 and 1000000\n";
    return kExitUsage;
  }
  Invocation how;
  how.scenario_path = vm["scenario"].as<std::string>();
  how.quiet = vm.count("quiet") != 0;
  auto file = read_json_file(how.scenario_path);
  if (!file) return kExitUsage;
  std::optional<std::uint64_t> seed;
  if (vm.count("seed")) seed = vm["seed"].as<std::uint64_t>();
  auto loaded = load_file_for_seed(how.scenario_path, *file, seed);
  if (!loaded) return kExitUsage;
  if (refuse_foreign_nodes(loaded->scenario, how.scenario_path)) return kExitUsage;
  const sim::Scenario& original = loaded->scenario;
  how.out = vm.count("out") ? fs::path(vm["out"].as<std::string>())
                            : fs::path("reports") / (original.name + "-shrunk");
  if (how.quiet) spdlog::set_level(spdlog::level::warn);

  ProgressLine progress(!how.quiet);
  sim::ShrinkOptions shrink;
  shrink.max_runs = max_runs;
  std::size_t nodes = original.nodes.size(), actions = original.timeline.size();
  shrink.on_run = [&](std::size_t runs, std::size_t limit) {
    progress.show("shrinking: run " + std::to_string(runs) + "/" + std::to_string(limit) + ", " +
                  std::to_string(nodes) + " nodes, " + std::to_string(actions) + " actions");
  };
  shrink.on_step = [&](const sim::ShrinkStep& step) {
    nodes = step.nodes;
    actions = step.actions;
    progress.clear();
    if (!how.quiet) {
      std::cout << "  " << sim::reduction_name(step.kind) << ": " << step.what << " -> "
                << step.nodes << " nodes, " << step.actions << " actions" << std::endl;
    }
  };
  if (!how.quiet) {
    std::cout << "netsim shrink: " << original.name << " seed " << original.seed << ", "
              << original.nodes.size() << " nodes, " << original.timeline.size() << " actions"
              << std::endl;
  }
  auto result = sim::shrink_scenario(original, sim::simulate_checks, shrink);
  progress.clear();
  if (!result) {
    std::cout << "PASS " << original.name << " seed " << original.seed
              << ": it does not fail, nothing to shrink\n";
    return kExitFail;
  }
  std::error_code ec;
  fs::create_directories(how.out, ec);
  sim::Scenario shrunk = result->scenario;
  shrunk.name = original.name + "-shrunk";
  shrunk.description = "netsim shrink of " + original.name + " seed " +
                       std::to_string(original.seed) + ": still fails " +
                       sim::check_name(result->target) + ".";
  {
    std::ofstream shrunk_file(how.out / "shrunk.json");
    shrunk_file << sim::scenario_file_text(shrunk);
    if (!shrunk_file) {
      std::cerr << "netsim: cannot write " << (how.out / "shrunk.json").string() << "\n";
      return kExitUsage;
    }
  }
  Json steps = Json::array();
  for (const auto& step : result->steps) {
    steps.push_back(Json{{"reduction", sim::reduction_name(step.kind)},
                         {"what", step.what},
                         {"nodes", step.nodes},
                         {"actions", step.actions}});
  }
  if (!write_json(
          how.out, "shrink.json",
          Json{{"scenario", original.name},
               {"seed", original.seed},
               {"fails", sim::check_name(result->target)},
               {"from",
                Json{{"nodes", original.nodes.size()}, {"actions", original.timeline.size()}}},
               {"to", Json{{"nodes", shrunk.nodes.size()}, {"actions", shrunk.timeline.size()}}},
               {"runs", result->runs},
               {"budget_spent", result->budget_spent},
               {"steps", steps}})) {
    return kExitUsage;
  }
  // The shrunk scenario's own report, as plain netsim writes it, in the same folder.
  Invocation replay = how;
  replay.scenario_path = (how.out / "shrunk.json").string();
  replay.quiet = true;
  spdlog::set_level(spdlog::level::warn);
  if (run_single(shrunk, Json::object(), replay) == kExitUsage) return kExitUsage;
  std::cout << (result->steps.empty() ? "NOT SHRUNK " : "SHRUNK ") << original.name << " seed "
            << original.seed << ": " << original.nodes.size() << " nodes, "
            << original.timeline.size() << " actions -> " << shrunk.nodes.size() << " nodes, "
            << shrunk.timeline.size() << " actions, still failing "
            << sim::check_name(result->target) << " (" << result->runs << " runs"
            << (result->budget_spent ? ", --max-runs reached" : "") << "); "
            << (how.out / "shrunk.json").string() << "\n  replay: netsim "
            << shell_word((how.out / "shrunk.json").string()) << "\n";
  return kExitPass;
}

// netsim merge --out DIR SWEEP.json...
int merge_main(int argc, char** argv) {
  po::options_description options(
      "usage: netsim merge --out DIR SWEEP.json...\n\nCombines the sweep.json files of every shard "
      "of one sharded sweep (--seeds A..B --shard I/N) into DIR/sweep.json, as the unsplit sweep "
      "writes it. Refuses (exit 2) shards of different scenarios, ranges or seeds, and shards "
      "given "
      "twice or missing. Exit 0: every seed passed; 1: some failed.\n\noptions");
  options.add_options()("help,h", "show this help")("out", po::value<std::string>(),
                                                    "output folder (required)");
  po::options_description all;
  all.add(options).add_options()("sweeps", po::value<std::vector<std::string>>());
  po::positional_options_description positional;
  positional.add("sweeps", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "netsim merge: " << e.what() << "\n" << options;
    return kExitUsage;
  }
  if (vm.count("help")) {
    std::cout << options;
    return kExitPass;
  }
  if (!vm.count("out") || !vm.count("sweeps")) {
    std::cerr << "netsim merge: give --out DIR and the shards' sweep.json files\n" << options;
    return kExitUsage;
  }
  const auto names = vm["sweeps"].as<std::vector<std::string>>();
  std::vector<Json> shards;
  for (const auto& name : names) {
    auto json = read_json_file(name);
    if (!json) return kExitUsage;
    shards.push_back(std::move(*json));
  }
  Json merged;
  try {
    merged = sim::merge_sweeps(shards, names);
  } catch (const sim::MergeError& e) {
    std::cerr << "netsim merge: " << e.what() << "\n";
    return kExitUsage;
  }
  const fs::path out(vm["out"].as<std::string>());
  if (!write_json(out, "sweep.json", merged)) return kExitUsage;
  const auto failed = merged["failed"].get<std::uint64_t>();
  std::cout << (failed == 0 ? "PASS " : "FAIL ") << merged["scenario"].get<std::string>()
            << " seeds " << merged["seeds"]["from"] << ".." << merged["seeds"]["to"] << " ("
            << names.size() << " shards merged): " << merged["passed"] << " passed, " << failed
            << " failed, summary in " << (out / "sweep.json").string() << "\n";
  print_failures(merged, out / "sweep.json");
  return failed == 0 ? kExitPass : kExitFail;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string_view(argv[1]) == "shrink") return shrink_main(argc - 1, argv + 1);
  if (argc >= 2 && std::string_view(argv[1]) == "merge") return merge_main(argc - 1, argv + 1);
  const unsigned cores = std::max(1U, std::thread::hardware_concurrency());
  po::options_description options(
      "usage: netsim SCENARIO [options]\n"
      "       netsim shrink SCENARIO [--seed N] [--out DIR] [--max-runs N]  (see netsim shrink "
      "-h)\n"
      "       netsim merge --out DIR SWEEP.json...  (see netsim merge -h)\n\noptions");
  options.add_options()("help,h", "show this help")("seed", po::value<std::uint64_t>(),
                                                    "override the scenario's seed")(
      "seeds", po::value<std::string>(),
      "sweep seeds A..B (inclusive, at most 10,000,000 a run): list the failing ones with a "
      "replay command")(
      "shard", po::value<std::string>(),
      "with --seeds: run only shard I of N (0 <= I < N <= 100000): the seeds s with "
      "(s - A) mod N = I; combine the shards with netsim merge")(
      "jobs,j", po::value<unsigned>()->default_value(cores),
      "sweeps: run this many seeds at once (1..256; default: all cores); sweep.json is the same")(
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
  std::optional<sim::SeedPlan> plan;
  if (vm.count("seeds")) {
    auto seeds = parse_seed_range(vm["seeds"].as<std::string>());
    if (!seeds) {
      return usage("--seeds wants A..B with whole numbers A <= B (e.g. 1..100), not '" +
                   vm["seeds"].as<std::string>() + "'");
    }
    if (vm.count("seed")) return usage("--seed and --seeds exclude each other");
    if (how.live)
      return usage("--seeds sweeps the simulator; it does not combine with a live --transport");
    plan = sim::SeedPlan{seeds->first, seeds->second};
  }
  if (vm.count("shard")) {
    if (!plan) return usage("--shard splits a sweep: give --seeds A..B too");
    auto shard = parse_shard(vm["shard"].as<std::string>());
    if (!shard) {
      return usage("--shard wants I/N with 0 <= I < N <= " + std::to_string(kMaxShards) +
                   " (e.g. 0/3), not '" + vm["shard"].as<std::string>() + "'");
    }
    plan->shard = shard->first;
    plan->shard_count = shard->second;
    plan->sharded = true;
  }
  if (plan && sim::seed_count(*plan) > sim::kMaxSweepRuns) {
    return usage("a sweep runs at most " + std::to_string(sim::kMaxSweepRuns) +
                 " seeds; split the range with --shard I/N");
  }
  const unsigned jobs = vm["jobs"].as<unsigned>();
  if (jobs < 1 || jobs > sim::kMaxSweepJobs) {
    return usage("--jobs must be between 1 and " + std::to_string(sim::kMaxSweepJobs));
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

  auto file = read_json_file(how.scenario_path);
  if (!file) return kExitUsage;
  std::optional<std::uint64_t> seed;
  if (vm.count("seed")) seed = vm["seed"].as<std::uint64_t>();
  auto loaded = load_file_for_seed(how.scenario_path, *file, seed);
  if (!loaded) return kExitUsage;
  sim::Scenario& scenario = loaded->scenario;
  // A foreign node's relative "cwd" is relative to the scenario file's folder.
  for (auto& node : scenario.nodes) {
    if (node.command && !node.command->cwd.empty() && fs::path(node.command->cwd).is_relative()) {
      node.command->cwd =
          (fs::absolute(how.scenario_path).parent_path() / node.command->cwd).lexically_normal();
    }
  }
  if (!how.live && refuse_foreign_nodes(scenario, how.scenario_path)) return kExitUsage;
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
  if (how.quiet) spdlog::set_level(spdlog::level::warn);
  how.out =
      vm.count("out") ? fs::path(vm["out"].as<std::string>()) : fs::path("reports") / scenario.name;
  if (plan) return run_sweep(*file, scenario.name, how, *plan, jobs);
  return run_single(scenario, loaded->drawn, how);
}
