// Seed sweeps on worker threads. Each seed is a whole, independent, deterministic run; a worker
// takes the next seed, and the verdicts are stored by seed position, so thread timing decides
// nothing in the output.
#include "yournet/sim/sweep.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <thread>

#include "yournet/crypto.hpp"
#include "yournet/sim/failed_check.hpp"
#include "yournet/sim/runner.hpp"
#include "yournet/sim/swarm.hpp"

namespace yournet::sim {

std::uint64_t seed_count(const SeedPlan& plan) {
  const std::uint64_t span = plan.to - plan.from;  // seeds - 1, so from = 0, to = 2^64 - 1 fits
  if (plan.shard > span) return 0;
  return (span - plan.shard) / plan.shard_count + 1;
}

std::vector<std::uint64_t> seeds_of(const SeedPlan& plan) {
  std::vector<std::uint64_t> seeds(seed_count(plan));
  for (std::size_t i = 0; i < seeds.size(); ++i)
    seeds[i] = plan.from + plan.shard + i * plan.shard_count;
  return seeds;
}

namespace {

// One seed's verdict: its failed checks (empty: it passed) and what its draw was.
Json run_seed(const Json& file, std::uint64_t seed, bool check_determinism, Json& drawn) {
  Json failed = Json::array();
  try {
    DrawnScenario scenario = load_swarm_scenario(file, seed);
    drawn = std::move(scenario.drawn);
    RunOptions options;
    options.trace_sink = [](std::string_view) {};  // only the hash is needed: keep memory flat
    RunResult result = run_scenario(scenario.scenario, options);
    for (const auto& e : result.summary["expectations"]) {
      if (!e["passed"].get<bool>())
        failed.push_back(Json{{"name", e["name"]}, {"detail", e["detail"]}});
    }
    if (check_determinism) {
      RunResult again = run_scenario(scenario.scenario, options);
      if (again.summary["trace_sha256"] != result.summary["trace_sha256"]) {
        failed.push_back(Json{{"name", check_name(Check::determinism)},
                              {"detail", "two runs gave different trace hashes"}});
      }
    }
  } catch (const std::exception& e) {
    failed.push_back(
        Json{{"name", "run"}, {"detail", std::string("the run stopped: ") + e.what()}});
  }
  return failed;
}

}  // namespace

Json run_sweep(const Json& file, const SeedPlan& plan, const SweepOptions& options) {
  const std::vector<std::uint64_t> seeds = seeds_of(plan);
  struct Verdict {
    Json failed, drawn;
  };
  std::vector<Verdict> verdicts(seeds.size());
  std::atomic<std::size_t> next{0};
  std::mutex progress_mutex;
  std::size_t done = 0, failed_count = 0;
  auto work = [&] {
    for (std::size_t i = next++; i < seeds.size(); i = next++) {
      Verdict& verdict = verdicts[i];
      verdict.failed = run_seed(file, seeds[i], options.check_determinism, verdict.drawn);
      std::lock_guard lock(progress_mutex);
      ++done;
      failed_count += verdict.failed.empty() ? 0 : 1;
      if (options.progress) options.progress(done, failed_count);
    }
  };
  const unsigned jobs = std::clamp<unsigned>(options.jobs, 1, kMaxSweepJobs);
  std::vector<std::jthread> workers;
  for (unsigned j = 1; j < std::min<std::size_t>(jobs, seeds.size()); ++j)
    workers.emplace_back(work);
  work();
  workers.clear();  // joins

  Json failures = Json::array();
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    if (verdicts[i].failed.empty()) continue;
    Json failure{{"seed", seeds[i]},
                 {"failed", verdicts[i].failed},
                 {"replay", options.replay_prefix + " --seed " + std::to_string(seeds[i])}};
    if (!verdicts[i].drawn.empty()) failure["drawn"] = verdicts[i].drawn;
    failures.push_back(std::move(failure));
  }
  const std::uint64_t runs = seeds.size();
  Json sweep{{"scenario", load_swarm_scenario(file, std::nullopt).scenario.name},
             {"scenario_sha256", sha256_hex(canonical(file))},
             {"seeds", Json{{"from", plan.from}, {"to", plan.to}}},
             {"runs", runs},
             {"passed", runs - failures.size()},
             {"failed", failures.size()},
             {"check_determinism", options.check_determinism},
             {"failures", failures}};
  if (plan.sharded) sweep["shard"] = Json{{"index", plan.shard}, {"count", plan.shard_count}};
  return sweep;
}

}  // namespace yournet::sim
