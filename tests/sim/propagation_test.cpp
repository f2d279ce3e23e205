// The propagation aggregate: thresholds over the nodes up at a block's mining, the miner at zero.
#include "yournet/sim/propagation.hpp"

#include <gtest/gtest.h>

namespace yournet::sim {
namespace {

TEST(Propagation, ThresholdsCountTheNodesUpAtMiningTheMinerIncluded) {
  PropagationTracker tracker;
  // Ten nodes, node 9 down: nine count, the miner (node 0) has the block at once.
  std::vector<bool> up(10, true);
  up[9] = false;
  tracker.mined("b", 0, 1'000'000, up);
  for (int node = 1; node <= 8; ++node) tracker.accepted("b", node, 1'000'000 + node * 1000);
  tracker.accepted("b", 9, 1'500'000);  // was down at the mining: not counted
  tracker.accepted("b", 3, 1'900'000);  // a second acceptance by the same node: not counted
  const Json summary = tracker.summary();
  EXPECT_EQ(summary["blocks"], 1);
  // 5 of 9 (>= 50%) once node 4 has it; 9 of 9 (>= 90% and 100%) once node 8 has it.
  EXPECT_DOUBLE_EQ(summary["to_50_percent"]["p50_ms"].get<double>(), 4.0);
  EXPECT_DOUBLE_EQ(summary["to_90_percent"]["max_ms"].get<double>(), 8.0);
  EXPECT_DOUBLE_EQ(summary["to_100_percent"]["p99_ms"].get<double>(), 8.0);
  // Mean over the nine nodes: (0 + 1 + ... + 8) / 9 ms.
  EXPECT_DOUBLE_EQ(summary["mean_delay_ms"].get<double>(), 4.0);
  EXPECT_EQ(summary["to_100_percent"]["cdf_ms"].size(),
            static_cast<std::size_t>(PropagationTracker::kCdfPoints));
}

TEST(Propagation, ABlockThatNeverReachesEveryoneHasNoFullTime) {
  PropagationTracker tracker;
  tracker.mined("a", 0, 0, std::vector<bool>(4, true));
  tracker.accepted("a", 1, 10'000);
  tracker.accepted("a", 2, 30'000);
  tracker.accepted("unknown", 3, 40'000);  // never mined as far as the tracker knows: ignored
  const Json summary = tracker.summary();
  EXPECT_EQ(summary["to_50_percent"]["blocks"], 1);
  EXPECT_EQ(summary["to_90_percent"]["blocks"], 0);
  EXPECT_EQ(summary["to_100_percent"]["blocks"], 0);
  EXPECT_TRUE(summary["to_100_percent"]["cdf_ms"].empty());
}

TEST(Propagation, PercentilesAreNearestRank) {
  EXPECT_EQ(quantile({}, 0.5), 0);
  EXPECT_EQ(quantile({1, 2, 3, 4}, 0.5), 2);
  EXPECT_EQ(quantile({1, 2, 3, 4}, 0.51), 3);
  EXPECT_EQ(quantile({1, 2, 3, 4}, 0.0), 1);
  EXPECT_EQ(quantile({1, 2, 3, 4}, 1.0), 4);
  const DelayStats stats = delay_stats({5, 1, 4, 2, 3});
  EXPECT_EQ(stats.count, 5u);
  EXPECT_EQ(stats.p50, 3);
  EXPECT_EQ(stats.max, 5);
}

}  // namespace
}  // namespace yournet::sim
