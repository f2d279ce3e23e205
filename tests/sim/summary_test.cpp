// The one summary both the simulator and live mode report, from hand-made final states.
#include "yournet/sim/summary.hpp"

#include <gtest/gtest.h>

#include <set>

#include "test_util.hpp"
#include "yournet/sim/trace.hpp"

using namespace yournet;

namespace {

TEST(TraceKeeps, EachLevelLeavesOutItsKinds) {
  for (auto kind : {sim::TraceEvent::send, sim::TraceEvent::deliver, sim::TraceEvent::tip,
                    sim::TraceEvent::mined, sim::TraceEvent::reorg}) {
    EXPECT_TRUE(sim::trace_keeps(sim::TraceDetail::full, kind)) << sim::trace_event_name(kind);
  }
  EXPECT_FALSE(sim::trace_keeps(sim::TraceDetail::blocks, sim::TraceEvent::send));
  EXPECT_FALSE(sim::trace_keeps(sim::TraceDetail::blocks, sim::TraceEvent::peer_unreachable));
  EXPECT_TRUE(sim::trace_keeps(sim::TraceDetail::blocks, sim::TraceEvent::tip));
  EXPECT_TRUE(sim::trace_keeps(sim::TraceDetail::blocks, sim::TraceEvent::mined));
  EXPECT_FALSE(sim::trace_keeps(sim::TraceDetail::minimal, sim::TraceEvent::drop));
  EXPECT_FALSE(sim::trace_keeps(sim::TraceDetail::minimal, sim::TraceEvent::tip));
  EXPECT_FALSE(sim::trace_keeps(sim::TraceDetail::minimal, sim::TraceEvent::block_accepted));
  EXPECT_TRUE(sim::trace_keeps(sim::TraceDetail::minimal, sim::TraceEvent::mined));
  EXPECT_TRUE(sim::trace_keeps(sim::TraceDetail::minimal, sim::TraceEvent::reorg));
}

TEST(TraceEvents, EveryKindHasOneNameThatReadsBack) {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < sim::kTraceEventKinds; ++i) {
    const auto kind = static_cast<sim::TraceEvent>(i);
    const std::string_view name = sim::trace_event_name(kind);
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_EQ(sim::parse_trace_event(name), kind) << name;
  }
  EXPECT_EQ(sim::parse_trace_event("no_such_event"), std::nullopt);
  // A node's events are traced under the names it gives them.
  const Block genesis = genesis_block();
  const std::string from = "x";
  for (const NodeEvent& event :
       {NodeEvent{event::Mined{}}, NodeEvent{event::Reorg{}},
        NodeEvent{event::BlockAccepted{&genesis, &from, true}}, NodeEvent{event::Loaded{}}}) {
    EXPECT_EQ(sim::trace_event_name(sim::trace_event_of(event)), event_name(event));
  }
}

// Two nodes: the reference holds genesis <- a (post 1) <- b, the other genesis <- a <- c, so c is
// stale. Post 2 waits in a pool, post 3 was wiped by a crash, post 4 is gone.
class Summary : public ::testing::Test {
 protected:
  void SetUp() override {
    scenario.name = "hand_made";
    scenario.seed = 7;
    scenario.node_count = 2;
    const Block a = test::mine_child(genesis_block(), {posts[0]});
    const Block b = test::mine_child(a, {});
    const Block c = test::mine_child(a, {}, Difficulty::bits(4), 0.5);
    for (const Block* block : {&a, &b}) ASSERT_EQ(reference.add(*block).status, AddStatus::added);
    for (const Block* block : {&a, &c}) ASSERT_EQ(other.add(*block).status, AddStatus::added);
    ASSERT_EQ(reference.height(), 2u);
    ASSERT_TRUE(pool.add(posts[1]).has_value());
    for (const auto& post : posts) accepted.insert(post_id(post));
    wiped.insert(post_id(posts[2]));
    miner_of = {{a.hash, 0}, {b.hash, 1}, {c.hash, 1}};
    tip = b.hash;
  }

  Json summarize(const sim::RunFigures& figures) const {
    std::unordered_set<std::string> pending;
    for (const auto& post : pool.posts()) pending.insert(post_id(post));
    sim::FinalState state{reference, {&reference, &other}, pending, accepted, wiped, miner_of};
    return sim::summarize_run(scenario, figures, state);
  }

  std::vector<Json> posts{test::make_post("a", "1"), test::make_post("a", "2"),
                          test::make_post("a", "3"), test::make_post("a", "4")};
  sim::Scenario scenario;
  BlockTree reference{test::fast_params()}, other{test::fast_params()};
  Mempool pool;
  std::set<std::string> accepted;
  std::unordered_set<std::string> wiped;
  std::unordered_map<std::string, int> miner_of;
  std::string tip;
};

TEST_F(Summary, CountsBlocksPostsAndMinersFromTheFinalState) {
  sim::RunFigures figures;
  figures.simulated_us = 12'500'000;
  figures.events = 40;
  figures.blocks_mined = 3;
  figures.messages_sent = 5;
  figures.messages_delivered = 4;
  figures.messages_dropped = 1;
  figures.posts_submitted = 4;
  figures.converged = true;
  figures.distinct_tips = 1;
  scenario.expect.no_post_lost = false;
  Json summary = summarize(figures);
  EXPECT_EQ(summary["scenario"], "hand_made");
  EXPECT_EQ(summary["seed"], 7);
  EXPECT_EQ(summary["simulated_seconds"], 12.5);
  EXPECT_EQ(summary["forks"], 1);  // c
  EXPECT_EQ(summary["final_height"], 2);
  EXPECT_EQ(summary["final_tip"], tip);
  EXPECT_EQ(summary["main_chain"].size(), 3u);
  EXPECT_EQ(summary["main_chain_by_miner"], (Json{{"0", 1}, {"1", 1}}));
  EXPECT_EQ(summary["messages"], (Json{{"sent", 5}, {"delivered", 4}, {"dropped", 1}}));
  EXPECT_EQ(summary["posts_in_chain"], 1);
  EXPECT_EQ(summary["posts_lost"], 1);
  EXPECT_EQ(summary["posts_wiped"], 1);
  EXPECT_TRUE(summary["converged_after_heal_s"].is_null());
  EXPECT_EQ(summary["expectations"], Json::array());
  EXPECT_EQ(summary["passed"], true);
}

TEST_F(Summary, EveryExpectationSaysWhatItFound) {
  sim::RunFigures figures;
  figures.converged = false;
  figures.distinct_tips = 2;
  figures.last_heal_us = 2'000'000;
  figures.failures = {"invariant: node 1 main chain does not link at height 2"};
  scenario.expect.converged = true;
  scenario.expect.converged_within_s = 5;
  scenario.expect.min_forks = 1;
  scenario.expect.min_height = 3;
  Json summary = summarize(figures);
  Json expected = Json::array();
  auto add = [&](const std::string& name, bool passed, const std::string& detail) {
    expected.push_back(Json{{"name", name}, {"passed", passed}, {"detail", detail}});
  };
  add("invariants", false, "invariant: node 1 main chain does not link at height 2");
  add("converged", false, "2 different tips among honest running nodes");
  add("converged_within_s", false, "never converged after the last heal (at 2.0 s)");
  add("min_forks", true, "1 stale blocks, wanted at least 1");
  add("min_height", false, "height 2, wanted at least 3");
  add("no_post_lost", false, "1 accepted posts neither in the final chain nor pending");
  EXPECT_EQ(summary["expectations"], expected);
  EXPECT_EQ(summary["passed"], false);
}

TEST_F(Summary, ConvergenceIsTimedFromTheLastHeal) {
  sim::RunFigures figures;
  figures.converged = true;
  figures.distinct_tips = 1;
  figures.last_heal_us = 2'000'000;
  figures.converged_at_us = 3'500'000;
  scenario.expect.converged = true;
  scenario.expect.converged_within_s = 1;
  scenario.expect.no_post_lost = false;
  Json summary = summarize(figures);
  EXPECT_EQ(summary["converged_after_heal_s"], 1.5);
  ASSERT_EQ(summary["expectations"].size(), 2u);
  EXPECT_EQ(summary["expectations"][0]["detail"],
            "all honest running nodes share tip " + tip.substr(0, 16));
  EXPECT_EQ(summary["expectations"][1]["detail"],
            "converged 1.5 s after the last heal (at 2.0 s), allowed 1.0");
  EXPECT_EQ(summary["expectations"][1]["passed"], false);
  EXPECT_EQ(summary["passed"], false);
  scenario.expect.converged_within_s = 1.5;
  EXPECT_EQ(summarize(figures)["passed"], true);
}

}  // namespace
