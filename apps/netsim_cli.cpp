// netsim's shared pieces (netsim_cli.hpp): one run with its report, files, shell words.
#include "netsim_cli.hpp"

#include <spdlog/spdlog.h>

#include <fstream>
#include <iostream>
#include <iterator>

#include "yournet/report/run_report.hpp"
#include "yournet/sim/simulation.hpp"

namespace yournet::netsim {
namespace {

std::vector<std::string> failed_expectations(const Json& summary) {
  std::vector<std::string> failed;
  for (const auto& e : summary["expectations"]) {
    if (!e["passed"].get<bool>()) {
      failed.push_back(e["name"].get<std::string>() + ": " + e["detail"].get<std::string>());
    }
  }
  return failed;
}

}  // namespace

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

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

namespace {

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

}  // namespace

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
  options.threads = how.threads;
  std::uint64_t steps_run_ahead = 0;
  options.steps_run_ahead = &steps_run_ahead;
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
    sim::RunOptions discard;  // on one thread: the first run's threads must not matter either
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
  // Whether -j paid: the block steps that ran on the other threads' lanes (block_lanes.hpp).
  if (how.threads > 1)
    spdlog::info("{} threads: {} block steps ran ahead on lanes", how.threads, steps_run_ahead);
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

std::optional<Json> read_scenario_file(const std::string& path) {
  std::error_code error;
  const std::uintmax_t size = fs::file_size(path, error);
  if (!error && size > sim::kMaxScenarioFileBytes) {
    std::cerr << "netsim: " << path << ": " << size
              << " bytes is past the scenario limit max_file_bytes (" << sim::kMaxScenarioFileBytes
              << ")\n";
    return std::nullopt;
  }
  return read_json_file(path);  // which says why a file it cannot read is refused
}

std::optional<ScenarioFile> load_scenario_for_seed(
    const boost::program_options::variables_map& vm) {
  const auto path = vm["scenario"].as<std::string>();
  auto file = read_scenario_file(path);
  if (!file) return std::nullopt;
  std::optional<std::uint64_t> seed;
  if (vm.count("seed")) seed = vm["seed"].as<std::uint64_t>();
  try {
    auto drawn = sim::load_swarm_scenario(*file, seed);
    return ScenarioFile{std::move(*file), std::move(drawn)};
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

}  // namespace yournet::netsim
