#pragma once
// A whole network of real Nodes in one process, on a virtual clock. Everything that happens is an
// event ordered by (time, sequence number); all randomness comes from one seed. Same scenario and
// seed => byte-identical trace.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "yournet/node/node.hpp"

namespace yournet::sim {

// SplitMix64: small, fast, and the same sequence on every platform.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next();
  double uniform();  // [0, 1)
  // A child generator whose stream does not overlap this one's in practice.
  Rng fork(std::uint64_t stream) { return Rng(next() ^ (stream * 0x9E3779B97F4A7C15ULL)); }

 private:
  std::uint64_t state_;
};

struct LatencyModel {
  enum class Kind { constant, uniform, exponential } kind = Kind::constant;
  double a_ms = 50;  // constant value, uniform min, or exponential mean
  double b_ms = 50;  // uniform max
  double sample_ms(Rng& rng) const;
};

struct LinkModel {
  LatencyModel latency;
  double loss = 0;  // probability a message (request or response) is dropped
};

// A scenario after validation (see scenarios/README.md for the file format).
struct Scenario {
  struct Action {
    std::int64_t at_us = 0;
    std::string kind;  // post, mine, partition, heal, sync
    int node = -1;
    std::string author, content;
    std::vector<std::vector<int>> groups;
  };
  struct Expectations {
    std::optional<bool> converged;
    std::optional<std::uint64_t> min_forks;
    std::optional<std::uint64_t> min_height;
    std::optional<std::uint64_t> max_reorg_depth;
    bool no_post_lost = true;
  };
  std::string name;
  std::uint64_t seed = 1;
  int node_count = 2;
  Difficulty difficulty = Difficulty::bits(8);
  double hash_rate = 1000;  // hashes per simulated second, per node
  LinkModel link;
  double sync_interval_s = 0;  // periodic consensus on every node; 0 = off
  std::int64_t stop_at_us = 60'000'000;
  std::vector<Action> timeline;
  Expectations expect;
};

class ScenarioError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// Validates and reads a scenario; ScenarioError names the JSON path of the bad field.
Scenario load_scenario(const Json& json);

struct ExpectationResult {
  std::string name;
  bool passed;
  std::string detail;
};

struct RunResult {
  Json summary;       // includes "trace_sha256", the SHA-256 of the whole trace text
  std::string trace;  // JSON lines; empty when RunOptions::trace_sink took them
  bool passed = false;
};

struct RunOptions {
  // When set, every trace line (without the newline) goes here as it happens instead of into
  // RunResult::trace.
  std::function<void(std::string_view line)> trace_sink;
  // Called now and then (every few thousand events) with simulated time reached, stop time, events
  // so far; and once at the end, with now_us == stop_us.
  std::function<void(std::int64_t now_us, std::int64_t stop_us, std::uint64_t events)> progress;
};

RunResult run_scenario(const Scenario& scenario, const RunOptions& options = {});

}  // namespace yournet::sim
