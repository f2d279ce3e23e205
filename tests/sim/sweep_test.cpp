// Sweeps: the same sweep.json for any number of threads, and shards that merge into the unsplit
// sweep.
#include "yournet/sim/sweep.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "yournet/sim/sweep_merge.hpp"

using namespace yournet;
using namespace yournet::sim;

namespace {

// Half the messages lost: some seeds converge and some do not.
Json coin_flip() {
  std::ifstream file(std::string(YOURNET_SIM_TEST_DATA_DIR) + "/coin_flip.json");
  return parse_json(std::string(std::istreambuf_iterator<char>(file), {}));
}

Json sweep(const Json& file, SeedPlan plan, unsigned jobs) {
  SweepOptions options;
  options.jobs = jobs;
  options.replay_prefix = "netsim coin_flip.json";
  return run_sweep(file, plan, options);
}

std::vector<Json> shards_of(const Json& file, unsigned count) {
  std::vector<Json> shards;
  for (unsigned i = 0; i < count; ++i) shards.push_back(sweep(file, {1, 120, i, count, true}, 2));
  return shards;
}

MergeRefusal refusal(const std::vector<Json>& shards) {
  try {
    merge_sweeps(shards, std::vector<std::string>(shards.size(), "x"));
  } catch (const MergeError& e) {
    return e.refusal();
  }
  ADD_FAILURE() << "merged";
  return MergeRefusal::not_a_shard;
}

}  // namespace

TEST(Sweep, ShardsSplitTheSeedsByRemainder) {
  EXPECT_EQ(seeds_of({10, 17, 1, 3, true}), (std::vector<std::uint64_t>{11, 14, 17}));
  EXPECT_EQ(seeds_of({10, 12, 0, 1, false}), (std::vector<std::uint64_t>{10, 11, 12}));
  EXPECT_TRUE(seeds_of({10, 11, 2, 3, true}).empty());
}

TEST(Sweep, ThreadsGiveTheSameBytesAsOne) {
  const Json file = coin_flip();
  const std::string one = sweep(file, {1, 120}, 1).dump(2);
  EXPECT_EQ(sweep(file, {1, 120}, 2).dump(2), one);
  EXPECT_EQ(sweep(file, {1, 120}, 7).dump(2), one);
}

// The acceptance case: 120 seeds, some passing and some failing, in 3 shards merged.
TEST(Sweep, ThreeShardsMergeIntoTheUnsplitSweep) {
  const Json file = coin_flip();
  const Json whole = sweep(file, {1, 120}, 2);
  ASSERT_GT(whole["failed"].get<int>(), 0);
  ASSERT_GT(whole["passed"].get<int>(), 0);
  std::vector<Json> shards = shards_of(file, 3);
  EXPECT_EQ(shards[0]["runs"], 40);
  EXPECT_EQ(merge_sweeps(shards, {"a", "b", "c"}).dump(2), whole.dump(2));
  std::swap(shards[0], shards[2]);  // any order
  EXPECT_EQ(merge_sweeps(shards, {"c", "b", "a"}).dump(2), whole.dump(2));
}

TEST(Sweep, MergeRefusesShardsThatDoNotMakeOneSweep) {
  const Json file = coin_flip();
  const std::vector<Json> shards = shards_of(file, 3);
  EXPECT_EQ(refusal({shards[0], shards[1]}), MergeRefusal::missing);
  EXPECT_EQ(refusal({shards[0], shards[1], shards[1], shards[2]}), MergeRefusal::overlapping);
  EXPECT_EQ(refusal({shards[0], shards[1], sweep(file, {1, 120}, 1)}), MergeRefusal::not_a_shard);
  EXPECT_EQ(refusal({shards[0], shards[1], sweep(file, {1, 121, 2, 3, true}, 1)}),
            MergeRefusal::different_seeds);
  EXPECT_EQ(refusal({shards[0], shards[1], sweep(file, {1, 120, 2, 4, true}, 1)}),
            MergeRefusal::different_split);
  Json other = file;
  other["link"]["loss"] = 0.4;
  EXPECT_EQ(refusal({shards[0], shards[1], sweep(other, {1, 120, 2, 3, true}, 1)}),
            MergeRefusal::different_scenario);
}

TEST(Sweep, ASwarmSweepRecordsEachFailingSeedsDraw) {
  Json file = coin_flip();
  file["link"]["loss"] = Json{{"range", Json::array({0.3, 0.7})}};
  const Json result = sweep(file, {1, 40}, 2);
  ASSERT_GT(result["failed"].get<int>(), 0);
  for (const auto& failure : result["failures"]) {
    const double loss = failure["drawn"]["$.link.loss"].get<double>();
    EXPECT_GE(loss, 0.3);
    EXPECT_LE(loss, 0.7);
  }
}

// Threads on the swarm scenario too: modeled mining, a selfish miner, a crash and a split per run.
TEST(Sweep, ThreadsGiveTheSameBytesOnASwarmOfFaults) {
  std::ifstream in(std::string(YOURNET_SCENARIO_DIR) + "/swarm_faults.json");
  const Json file = parse_json(std::string(std::istreambuf_iterator<char>(in), {}));
  EXPECT_EQ(sweep(file, {1, 8}, 4).dump(2), sweep(file, {1, 8}, 1).dump(2));
}
