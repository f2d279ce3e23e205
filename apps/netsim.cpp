// netsim: runs a scenario file on a simulated network of real Nodes and writes a report; sweeps
// seeds; `netsim shrink` and `netsim merge` are in netsim_shrink.cpp and netsim_merge.cpp.
// Exit 0 when every expectation holds, 1 when one fails or an invariant breaks, 2 for a bad
// scenario or usage.
#include <spdlog/spdlog.h>

#include <boost/program_options.hpp>
#include <charconv>
#include <iostream>
#include <optional>
#include <thread>

#include "netsim_cli.hpp"
#include "netsim_validate.hpp"
#include "yournet/sim/block_lanes.hpp"
#include "yournet/sim/sweep.hpp"

using namespace yournet;
using namespace yournet::netsim;

namespace {

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

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string_view(argv[1]) == "shrink") return shrink_main(argc - 1, argv + 1);
  if (argc >= 2 && std::string_view(argv[1]) == "merge") return merge_main(argc - 1, argv + 1);
  if (argc >= 2 && std::string_view(argv[1]) == "validate")
    return yournet::apps::netsim_validate(argc - 1, argv + 1);
  const unsigned cores = std::max(1U, std::thread::hardware_concurrency());
  po::options_description options(
      "usage: netsim SCENARIO [options]\n"
      "       netsim shrink SCENARIO [--seed N] [--out DIR] [--max-runs N]  (see netsim shrink "
      "-h)\n"
      "       netsim merge --out DIR SWEEP.json...  (see netsim merge -h)\n"
      "       netsim validate [FOLDER] [options]  (the fidelity suite: see netsim validate -h)\n"
      "\noptions");
  options.add_options()("help,h", "show this help")("seed", po::value<std::uint64_t>(),
                                                    "override the scenario's seed")(
      "seeds", po::value<std::string>(),
      "sweep seeds A..B (inclusive, at most 10,000,000 a run): list the failing ones with a "
      "replay command")(
      "shard", po::value<std::string>(),
      "with --seeds: run only shard I of N (0 <= I < N <= 100000): the seeds s with "
      "(s - A) mod N = I; combine the shards with netsim merge")(
      "jobs,j", po::value<unsigned>()->default_value(cores),
      "how many cores to use (1..256; default: all): a sweep runs this many seeds at once, a "
      "simulated run this many threads (by default one below 20,000 nodes); the trace and "
      "sweep.json are the same bytes")("out", po::value<std::string>(),
                                       "report folder (default reports/<scenario name>/)")(
      "check-determinism",
      "run twice (the second time on one thread) and compare the trace hashes")(
      "quiet,q", "print only the verdict")(
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
  const cli::Usage program{"netsim", ""};
  const auto parsed = cli::parse_command_line(argc, argv, program, options,
                                              {{"scenario", po::value<std::string>(), 1}});
  if (parsed.exit) return *parsed.exit;
  const po::variables_map& vm = parsed.vars;
  auto usage = [&](const std::string& why) { return cli::usage_error(program, options, why); };
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
  how.threads = std::min(jobs, sim::BlockLanes::kMaxLanes);
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

  auto loaded = load_scenario_for_seed(vm);
  if (!loaded) return kExitUsage;
  sim::Scenario& scenario = loaded->drawn.scenario;
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
  // Below this many nodes a run's records fit the caches well enough that a second thread costs
  // more than it saves (scale_10k: 4.7 s on two, 3.8 on one): one, unless --jobs says otherwise.
  constexpr int kThreadedNodes = 20'000;
  if (vm["jobs"].defaulted() && scenario.node_count < kThreadedNodes) how.threads = 1;
  if (how.quiet) spdlog::set_level(spdlog::level::warn);
  how.out =
      vm.count("out") ? fs::path(vm["out"].as<std::string>()) : fs::path("reports") / scenario.name;
  if (plan) return run_sweep(loaded->file, scenario.name, how, *plan, jobs);
  return run_single(scenario, loaded->drawn.drawn, how);
}
