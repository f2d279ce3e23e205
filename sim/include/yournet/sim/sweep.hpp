#pragma once
// Seed sweeps: every seed of A..B (or of one shard of it) run as a whole, on worker threads, and
// the verdicts gathered in seed order into sweep.json, which is the same bytes whatever the number
// of threads (it holds no timings).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "yournet/json.hpp"

namespace yournet::sim {

// At most this many worker threads (--jobs).
constexpr unsigned kMaxSweepJobs = 256;
// At most this many seeds in one sweep or shard (each keeps its verdict until the end): split a
// longer range with --shard.
constexpr std::uint64_t kMaxSweepRuns = 10'000'000;

// Which seeds a sweep runs: seed s of from..to belongs to shard (s - from) mod count.
struct SeedPlan {
  std::uint64_t from = 1, to = 1;
  unsigned shard = 0, shard_count = 1;  // shard_count 1: the whole range
  bool sharded = false;                 // --shard given: sweep.json names its shard
};
std::uint64_t seed_count(const SeedPlan& plan);
std::vector<std::uint64_t> seeds_of(const SeedPlan& plan);  // seed_count(plan) <= kMaxSweepRuns

struct SweepOptions {
  unsigned jobs = 1;
  bool check_determinism = false;
  std::string replay_prefix;  // "netsim scenarios/x.json": each failure's replay adds " --seed N"
  // After every seed, from one thread at a time: seeds done so far and how many failed.
  std::function<void(std::size_t done, std::size_t failed)> progress;
};

// Runs the plan's seeds of a scenario file (a swarm file draws each seed's configuration) and
// returns sweep.json: scenario, scenario_sha256 (of the file's canonical JSON), seeds, runs,
// passed, failed, check_determinism, failures [{seed, failed [{name, detail}], replay, drawn}]
// and, when sharded, shard {index, count}. The file must load (load_swarm_scenario) for its own
// seed; a seed whose draw does not load fails as "run".
Json run_sweep(const Json& scenario_file, const SeedPlan& plan, const SweepOptions& options);

}  // namespace yournet::sim
