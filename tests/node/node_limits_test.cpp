// A node under its side-branch bound: evictions are reported (event, metrics), and a store that
// holds blocks the tree has since forgotten still loads, into the state the node had.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "node_doubles.hpp"
#include "test_util.hpp"
#include "yournet/node/memory_store.hpp"
#include "yournet/node/node.hpp"

namespace yournet {
namespace {

struct Recorder : NodeObserver {
  void on_event(const NodeEvent& event) override {
    if (auto* evicted = std::get_if<event::BlocksEvicted>(&event)) {
      evictions.push_back(evicted->hashes);
      EXPECT_EQ(event_name(event), std::string("blocks_evicted"));
      EXPECT_EQ(event_detail(event)["count"], evicted->hashes.size());
    }
  }
  std::vector<std::vector<std::string>> evictions;
};

Block child(const Block& parent, const std::string& tag, std::size_t pad = 0) {
  return test::mine_child(parent, {test::make_post(tag, tag + std::string(pad, 'x'))});
}

std::size_t size_of(const Block& block) {
  return block_canonical(block).size();
}

TEST(NodeLimits, EvictionIsReportedAndAStoreWithAReturnedBlockLoadsToTheSameState) {
  test::FixedClock clock;
  test::InlineMiner miner;
  test::OfflineTransport transport;
  const Block m1 = child(genesis_block(), "m1"), m2 = child(m1, "m2");
  // Side branches off the genesis: s1 - s2, and t1, larger than s2 and smaller than both.
  const Block s1 = child(genesis_block(), "s1", 300), s2 = child(s1, "s2", 300);
  const Block t1 = child(genesis_block(), "t1", 500);
  ASSERT_GT(size_of(t1), size_of(s2));
  ASSERT_LT(size_of(t1), size_of(s1) + size_of(s2));
  NodeConfig config;
  config.self_address = "http://127.0.0.1:8000/";
  config.params = test::fast_params();
  config.policy.tree.max_side_branch_bytes = size_of(s1) + size_of(s2);

  MemoryStore store;
  Recorder events;
  Node node(config, transport, clock, miner, &events, &store);
  const std::string peer = "http://127.0.0.1:8001/";
  for (const Block* b : {&m1, &m2, &s1})
    ASSERT_EQ(node.accept_block(*b, peer).status, AddStatus::added);
  EXPECT_TRUE(events.evictions.empty());
  // t1 takes the side branches past the bound: s1, the oldest stale tip, is forgotten.
  ASSERT_EQ(node.accept_block(t1, peer).status, AddStatus::added);
  ASSERT_EQ(events.evictions, std::vector<std::vector<std::string>>{{s1.hash}});
  EXPECT_EQ(node.metrics().blocks_evicted, 1u);
  EXPECT_NE(node.metrics_text().find("yournet_blocks_evicted_total 1\n"), std::string::npos);
  EXPECT_FALSE(node.tree().contains(s1.hash));
  // s2 waits for s1, which comes back: both are kept, t1 goes.
  EXPECT_EQ(node.accept_block(s2, peer).status, AddStatus::orphan);
  AddResult back = node.accept_block(s1, peer);
  ASSERT_EQ(back.status, AddStatus::added);
  EXPECT_EQ(back.stored, (std::vector<std::string>{s1.hash, s2.hash}));
  EXPECT_EQ(back.evicted, std::vector<std::string>{t1.hash});
  EXPECT_EQ(node.tree().tip().hash, m2.hash);

  // The store recorded s1 once, at its first acceptance, before t1 and s2: a restart replays it
  // all, then bounds the side branches as the live node did.
  std::size_t s1_records = 0;
  for (const auto& record : store.state().records) s1_records += record.key == s1.hash;
  EXPECT_EQ(s1_records, 1u);
  Recorder reloaded_events;
  Node reloaded(config, transport, clock, miner, &reloaded_events);
  ASSERT_EQ(reloaded.load(store.state()), std::nullopt);
  EXPECT_EQ(reloaded.tree().tips(), node.tree().tips());
  EXPECT_EQ(reloaded.tree().tip().hash, m2.hash);
  EXPECT_TRUE(reloaded.tree().contains(s2.hash));
  EXPECT_FALSE(reloaded.tree().contains(t1.hash));
  EXPECT_EQ(reloaded.tree().side_branch_bytes(), node.tree().side_branch_bytes());
  EXPECT_EQ(reloaded_events.evictions, std::vector<std::vector<std::string>>{{t1.hash}});
  reloaded.tree().check_invariants();
}

}  // namespace
}  // namespace yournet
