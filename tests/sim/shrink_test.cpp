// netsim shrink's engine: each kind of reduction against judges whose verdict is a plain function
// of the scenario (so what must be left is known exactly), then the real simulator on a failing
// 10-node, 36-action scenario.
#include "yournet/sim/shrink.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "yournet/overloaded.hpp"
#include "yournet/sim/scenario_writer.hpp"

using namespace yournet;
using namespace yournet::sim;

namespace {

// Ten honest nodes, 24 actions of every node-naming kind; node 6 is marked by its hash rate.
Scenario ten_nodes() {
  Scenario s;
  s.name = "ten";
  s.nodes.assign(10, NodeSpec{});
  s.nodes[6].hash_rate = 7;
  s.node_count = 10;
  s.stop_at_us = 600'000'000;
  for (int i = 0; i < 10; ++i) {
    s.timeline.push_back({i * 1'000'000, action::Post{i, "a", "p" + std::to_string(i)}});
    s.timeline.push_back({i * 1'000'000 + 500'000, action::Mine{i}});
  }
  s.timeline.push_back({20'000'000, action::Partition{{{0, 1, 2}, {6, 7}, {8, 9}}}});
  s.timeline.push_back({21'000'000, action::Crash{6}});
  s.timeline.push_back({22'000'000, action::Heal{}});
  s.timeline.push_back({23'000'000, action::Restart{6, true}});
  return s;
}

bool has_crash_of_marked_node(const Scenario& s) {
  for (const auto& timed : s.timeline) {
    if (const auto* crash = std::get_if<action::Crash>(&timed.what)) {
      if (s.nodes[static_cast<std::size_t>(crash->node)].hash_rate == 7) return true;
    }
  }
  return false;
}

std::vector<Check> fails_if(bool failing) {
  return failing ? std::vector<Check>{Check::converged} : std::vector<Check>{};
}

bool has_step(const ShrinkResult& result, Reduction kind) {
  for (const auto& step : result.steps) {
    if (step.kind == kind) return true;
  }
  return false;
}

}  // namespace

TEST(Shrink, DropsNodesAndActionsToTheOneThatMatters) {
  auto result = shrink_scenario(
      ten_nodes(), [](const Scenario& s) { return fails_if(has_crash_of_marked_node(s)); });
  ASSERT_TRUE(result);
  EXPECT_EQ(result->target, Check::converged);
  ASSERT_EQ(result->scenario.nodes.size(), 1U);
  EXPECT_EQ(result->scenario.nodes[0].hash_rate, 7);
  ASSERT_EQ(result->scenario.timeline.size(), 1U);
  // Node 6 became node 0: its crash was renumbered with it.
  EXPECT_EQ(std::get<action::Crash>(result->scenario.timeline[0].what).node, 0);
  EXPECT_TRUE(has_step(*result, Reduction::drop_nodes));
  EXPECT_TRUE(has_step(*result, Reduction::drop_actions));
  EXPECT_FALSE(result->budget_spent);
}

TEST(Shrink, RenumbersTimelineGroupsLinksAndEdges) {
  Scenario s = ten_nodes();
  s.topology.kind = Topology::Kind::edges;
  s.topology.edges = {{0, 1}, {1, 6}, {6, 9}};
  s.links.push_back({6, 9, false, {}});
  s.links.push_back({1, 2, false, {}});
  s.timeline.push_back({30'000'000, action::SetLink{9, 6, true, {}}});
  auto smaller = without_nodes(s, {1, 6, 9});
  ASSERT_TRUE(smaller);
  EXPECT_EQ(smaller->node_count, 3);
  EXPECT_EQ(smaller->topology.edges, (std::vector<std::pair<int, int>>{{0, 1}, {1, 2}}));
  ASSERT_EQ(smaller->links.size(), 1U);
  EXPECT_EQ(smaller->links[0].from, 1);
  EXPECT_EQ(smaller->links[0].to, 2);
  std::vector<std::string> kinds;
  for (const auto& timed : smaller->timeline) kinds.push_back(action_name(timed.what));
  // Posts and mines of nodes 1, 6, 9; the partition keeps groups {1}, {6}, {9}.
  EXPECT_EQ(kinds, (std::vector<std::string>{"post", "mine", "post", "mine", "post", "mine",
                                             "partition", "crash", "heal", "restart", "set_link"}));
  const auto& partition = std::get<action::Partition>(smaller->timeline[6].what);
  EXPECT_EQ(partition.groups, (std::vector<std::vector<int>>{{0}, {1}, {2}}));
  EXPECT_EQ(std::get<action::Post>(smaller->timeline[2].what).node, 1);
  const auto& link = std::get<action::SetLink>(smaller->timeline[10].what);
  EXPECT_EQ(link.from, 2);
  EXPECT_EQ(link.to, 1);
  // A partition left with one group is no partition: it goes.
  auto two = without_nodes(s, {0, 1});
  ASSERT_TRUE(two);
  for (const auto& timed : two->timeline)
    EXPECT_FALSE(std::holds_alternative<action::Partition>(timed.what));
  // Without an honest node there is no scenario.
  Scenario bad = s;
  bad.nodes[3].behaviour = Behaviour::tamper;
  EXPECT_FALSE(without_nodes(bad, {3}));
}

TEST(Shrink, RemovesLinkFaultsOneAtATime) {
  Scenario s = ten_nodes();
  LinkPatch duplicate;
  duplicate.duplicate = 0.2;
  LinkPatch lossy;
  lossy.loss = 0.3;
  s.links = {{0, 1, false, lossy}, {2, 3, false, duplicate}, {4, 5, true, lossy}};
  s.link.loss = 0.1;
  s.link.reorder = 0.2;
  auto judge = [](const Scenario& c) {
    bool duplicated = false;
    for (const auto& link : c.links) duplicated |= link.patch.duplicate.has_value();
    return fails_if(duplicated && c.link.reorder > 0);
  };
  auto result = shrink_scenario(s, judge);
  ASSERT_TRUE(result);
  ASSERT_EQ(result->scenario.links.size(), 1U);
  EXPECT_TRUE(result->scenario.links[0].patch.duplicate);
  EXPECT_EQ(result->scenario.link.loss, 0);     // reset: the failure did not need it
  EXPECT_GT(result->scenario.link.reorder, 0);  // kept (lowered at most): it did
  EXPECT_TRUE(has_step(*result, Reduction::drop_link_fault));
}

TEST(Shrink, LowersRatesAndBlocks) {
  Scenario s = ten_nodes();
  s.link.loss = 0.4;
  s.max_blocks = 64;
  s.nodes[3].behaviour = Behaviour::flooder;
  s.nodes[3].flood_posts_per_s = 80;
  auto judge = [](const Scenario& c) {
    bool flooding = false;
    for (const auto& node : c.nodes) flooding |= node.flood_posts_per_s >= 10;
    return fails_if(c.link.loss >= 0.05 && c.max_blocks.value_or(0) >= 5 && flooding);
  };
  auto result = shrink_scenario(s, judge);
  ASSERT_TRUE(result);
  EXPECT_DOUBLE_EQ(result->scenario.link.loss, 0.05);  // 0.4 halved three times
  EXPECT_EQ(result->scenario.max_blocks, 8U);          // 64 halved three times
  // The flooder, flooding at 10 posts/s (80 halved three times), and one honest node.
  ASSERT_EQ(result->scenario.nodes.size(), 2U);
  EXPECT_EQ(
      result->scenario.nodes[0].flood_posts_per_s + result->scenario.nodes[1].flood_posts_per_s,
      10);
  EXPECT_TRUE(has_step(*result, Reduction::lower_rate));
  EXPECT_TRUE(has_step(*result, Reduction::fewer_blocks));
}

TEST(Shrink, ShortensTheStopToJustAfterTheLastAction) {
  auto result = shrink_scenario(
      ten_nodes(), [](const Scenario& s) { return fails_if(has_crash_of_marked_node(s)); });
  ASSERT_TRUE(result);
  // The crash at 21 s is all that is left; the stop comes down from 600 s to 22 s.
  EXPECT_EQ(result->scenario.stop_at_us, 22'000'000);
  EXPECT_TRUE(has_step(*result, Reduction::shorten_stop));
}

TEST(Shrink, KeepsTheSameFailureNotAnother) {
  // Dropping the crash still fails, but another check: that is not a reduction.
  auto judge = [](const Scenario& s) {
    return has_crash_of_marked_node(s) ? std::vector<Check>{Check::min_height}
                                       : std::vector<Check>{Check::converged};
  };
  auto result = shrink_scenario(ten_nodes(), judge);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->target, Check::min_height);
  EXPECT_TRUE(has_crash_of_marked_node(result->scenario));
}

TEST(Shrink, RunsEachCandidateOnceAndStopsAtTheBudget) {
  std::set<std::string> seen;
  std::size_t calls = 0, repeats = 0;
  auto judge = [&](const Scenario& s) {
    ++calls;
    repeats += seen.insert(canonical(write_scenario(s))).second ? 0 : 1;
    return fails_if(has_crash_of_marked_node(s));
  };
  auto result = shrink_scenario(ten_nodes(), judge);
  ASSERT_TRUE(result);
  EXPECT_EQ(repeats, 0U);
  EXPECT_EQ(calls, result->runs);

  calls = 0;
  ShrinkOptions options;
  options.max_runs = 4;
  auto bounded = shrink_scenario(ten_nodes(), judge, options);
  ASSERT_TRUE(bounded);
  EXPECT_TRUE(bounded->budget_spent);
  EXPECT_LE(calls, 4U);
  EXPECT_TRUE(has_crash_of_marked_node(bounded->scenario));
}

TEST(Shrink, APassingScenarioHasNothingToShrink) {
  EXPECT_FALSE(shrink_scenario(ten_nodes(), [](const Scenario&) { return fails_if(false); }));
}

// The acceptance case: a real run of 10 nodes and 36 actions whose halves never heal.
TEST(Shrink, SimulatedSplitShrinksToAFewNodesAndActions) {
  std::ifstream file(std::filesystem::path(YOURNET_SIM_TEST_DATA_DIR) / "split_never_heals.json");
  const Scenario original =
      load_scenario(parse_json(std::string(std::istreambuf_iterator<char>(file), {})));
  ASSERT_EQ(original.nodes.size(), 10U);
  ASSERT_EQ(original.timeline.size(), 36U);
  const auto failed = simulate_checks(original);
  ASSERT_FALSE(failed.empty());
  auto result = shrink_scenario(original, simulate_checks);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->target, failed.front());
  EXPECT_LE(result->scenario.nodes.size(), 3U);
  EXPECT_LE(result->scenario.timeline.size(), 12U);
  // The file written for it replays and fails the same way.
  const Scenario replayed = load_scenario(parse_json(scenario_file_text(result->scenario)));
  const auto again = simulate_checks(replayed);
  EXPECT_NE(std::find(again.begin(), again.end(), result->target), again.end());
}
