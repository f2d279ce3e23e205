// Block steps on several threads (block_lanes.hpp): the same trace and summary, byte for byte, as
// on one, through faults and the timeline's changes; and the steps did run ahead.
#include <gtest/gtest.h>

#include "yournet/sim/simulation.hpp"

using namespace yournet;

namespace {

// A network large enough that a block's flood fills windows of thousands of steps.
Json flood(int nodes, int blocks) {
  return Json{{"name", "lanes"},
              {"seed", 7},
              {"nodes", nodes},
              {"difficulty_bits", 6},
              {"mining", {{"mode", "modeled"}, {"target_interval_s", 60}, {"max_blocks", blocks}}},
              {"topology", {{"kind", "random"}, {"degree", 4}}},
              {"link",
               {{"latency_ms", {{"dist", "pareto"}, {"min_ms", 40}, {"shape", 3}}},
                {"bandwidth_mbps", 20}}},
              {"stop_at_s", 60 * blocks + 600},
              {"trace", "minimal"},
              {"timeline", Json::array()}};
}

struct Outcome {
  sim::RunResult result;
  std::uint64_t ran_ahead = 0;
};

Outcome run_on(const Json& scenario, unsigned threads) {
  Outcome outcome;
  sim::RunOptions options;
  options.threads = threads;
  options.steps_run_ahead = &outcome.ran_ahead;
  outcome.result = sim::run_scenario(sim::load_scenario(scenario), options);
  return outcome;
}

// The scenario on 1, 2 and 3 threads: every byte the same; with more than one, more than
// `share` of the messages delivered were block steps that ran ahead (0: none did).
void expect_same_on_lanes(const Json& scenario, double share) {
  const Outcome one = run_on(scenario, 1);
  EXPECT_EQ(one.ran_ahead, 0u);
  for (unsigned threads : {2u, 3u}) {
    const Outcome many = run_on(scenario, threads);
    EXPECT_EQ(many.result.trace, one.result.trace) << threads << " threads";
    EXPECT_EQ(many.result.summary, one.result.summary) << threads << " threads";
    if (share > 0) {
      const auto delivered = one.result.summary["messages"]["delivered"].get<double>();
      EXPECT_GT(static_cast<double>(many.ran_ahead), delivered * share) << threads << " threads";
    } else {
      EXPECT_EQ(many.ran_ahead, 0u);
    }
  }
}

TEST(BlockLanes, AFloodTracesTheSameOnOneTwoAndThreeThreads) {
  Json scenario = flood(800, 10);
  auto one = run_on(scenario, 1);
  ASSERT_TRUE(one.result.passed) << one.result.summary.dump(2);
  expect_same_on_lanes(scenario, 0.5);
}

TEST(BlockLanes, EveryTraceLineIsTheSameWithFaultsAndTimeline) {
  Json scenario = flood(700, 8);
  scenario["trace"] = "full";
  scenario["link"]["loss"] = 0.02;
  scenario["link"]["response_loss"] = 0.02;
  scenario["link"]["duplicate"] = 0.01;
  scenario["link"]["reorder"] = 0.05;
  scenario["link"]["reorder_ms"] = 300;
  scenario["nodes"] = Json::array({Json{{"count", 699}}, Json{{"online", false}}});
  Json groups = Json::array({Json::array(), Json::array()});
  for (int i = 0; i < 700; ++i) groups[i % 2].push_back(i);
  scenario["timeline"] = Json::array({
      Json{{"at_s", 30}, {"do", "post"}, {"node", 3}, {"author", "a"}, {"content", "one"}},
      Json{{"at_s", 100}, {"do", "partition"}, {"groups", groups}},
      Json{{"at_s", 150}, {"do", "crash"}, {"node", 5}},
      Json{{"at_s", 200}, {"do", "heal"}},
      Json{{"at_s", 230}, {"do", "restart"}, {"node", 5}, {"keep_state", true}},
      Json{{"at_s", 260}, {"do", "join"}, {"node", 699}},
      Json{{"at_s", 300}, {"do", "set_link"}, {"from", 0}, {"to", 1}, {"latency_ms", 5}},
      Json{{"at_s", 420}, {"do", "sync"}},
  });
  // Duplicated messages and timeouts are events of their own, which end windows: fewer run ahead.
  expect_same_on_lanes(scenario, 0.05);
}

// No least latency to run ahead within: windows hold only steps due at the same moment.
TEST(BlockLanes, LinksWithNoLeastLatencyStillTraceTheSame) {
  Json scenario = flood(800, 6);
  scenario["link"] = Json{{"latency_ms", {{"dist", "exponential"}, {"mean_ms", 50}}}};
  expect_same_on_lanes(scenario, 0);
}

// Adversaries act on what their node is told at once: such runs stay on one thread.
TEST(BlockLanes, ARunWithAnAdversaryStaysOnOneThread) {
  Json scenario = flood(800, 6);
  scenario["nodes"] = Json::array({Json{{"count", 799}}, Json{{"behaviour", "selfish"}}});
  expect_same_on_lanes(scenario, 0);
}

}  // namespace
