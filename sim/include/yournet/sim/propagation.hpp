#pragma once
// How blocks spread, aggregated while the run goes whatever the trace keeps: for each block, the
// time from its mining until 50%, 90% and 100% of the nodes that were up then had accepted it, and
// the mean time a node took to learn of it (the miner at zero).
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "yournet/json.hpp"

namespace yournet::sim {

// Nearest-rank percentiles of a set of durations (microseconds); all zero when empty.
struct DelayStats {
  std::uint64_t count = 0;
  std::int64_t p50 = 0, p90 = 0, p99 = 0, max = 0;
};
DelayStats delay_stats(std::vector<std::int64_t> values);
// The nearest-rank quantile q (0..1) of sorted values; 0 when empty.
std::int64_t quantile(const std::vector<std::int64_t>& sorted, double q);

class PropagationTracker {
 public:
  // Blocks followed; later ones are counted in "not_followed" (each holds a bit per node).
  static constexpr std::size_t kMaxBlocks = 20'000;
  // Points of each cumulative distribution in the summary: quantiles 0%, 5%, ... 100%.
  static constexpr int kCdfPoints = 21;

  // `up`: which nodes are up now, the miner among them.
  void mined(const std::string& hash, int miner, std::int64_t t_us, const std::vector<bool>& up);
  // A node accepted the block (once counted per node; nodes not up at its mining are ignored).
  void accepted(const std::string& hash, int node, std::int64_t t_us);
  // {"blocks", "not_followed", "mean_delay_ms", "to_50_percent", "to_90_percent",
  //  "to_100_percent"}, each of the last three {"blocks", "p50_ms", "p90_ms", "p99_ms", "max_ms",
  //  "cdf_ms"}: over the blocks that got that far.
  Json summary() const;

 private:
  struct Spread {
    std::int64_t mined_us = 0;
    std::uint32_t nodes = 0;    // up at its mining
    std::uint32_t reached = 0;  // of those, how many have it (the miner from the start)
    std::int64_t to_50_us = -1, to_90_us = -1, to_100_us = -1;
    std::vector<bool> waiting;  // by node: up at its mining and not reached yet; freed when all are
  };
  void reach(Spread& spread, std::int64_t t_us);

  std::vector<Spread> blocks_;
  std::unordered_map<std::string, std::size_t>
      index_;  // hash -> blocks_; looked up, never iterated
  std::uint64_t not_followed_ = 0;
  double delay_sum_us_ = 0;  // over every (block, node) reached, the miner's zero included
  std::uint64_t delay_count_ = 0;
};

}  // namespace yournet::sim
