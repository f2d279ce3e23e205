// The block tree's side-branch bound: the oldest stale tip goes first, a branch from its tip down,
// never the main chain nor a block a kept block builds on; and its invariants hold throughout.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "test_util.hpp"
#include "yournet/block_tree.hpp"
#include "yournet/mempool.hpp"

namespace yournet {
namespace {

const ChainParams kParams = test::fast_params();

// A child carrying one post of `pad` characters, so that side-branch sizes are easy to tell apart.
Block child(const Block& parent, const std::string& tag, std::size_t pad = 0, double salt = 0.0) {
  std::vector<Json> posts;
  if (!tag.empty()) posts.push_back(test::make_post(tag, tag + std::string(pad, 'x')));
  return test::mine_child(parent, posts, Difficulty::bits(4), salt);
}

std::size_t size_of(const Block& block) {
  return block_canonical(block).size();
}

std::vector<std::string> hashes(const std::vector<Block>& chain) {
  std::vector<std::string> out;
  for (const auto& block : chain) out.push_back(block.hash);
  return out;
}

BlockTreeLimits side_cap(std::size_t bytes) {
  BlockTreeLimits limits;
  limits.max_side_branch_bytes = bytes;
  return limits;
}

// main: g - a1 - a2 - a3 - a4; side branches, in order of arrival: x1 off g, y2 - y3 off a1, z3
// off a2.
struct Forest {
  Block a1, a2, a3, a4, x1, y2, y3, z3;
  Forest() {
    a1 = child(genesis_block(), "a1");
    a2 = child(a1, "a2");
    a3 = child(a2, "a3");
    a4 = child(a3, "a4");
    x1 = child(genesis_block(), "x1", 300);
    y2 = child(a1, "y2", 400);
    y3 = child(y2, "y3", 500);
    z3 = child(a2, "z3", 600, 0.5);
  }
  void add_main(BlockTree& tree) const {
    for (const Block* b : {&a1, &a2, &a3, &a4}) ASSERT_EQ(tree.add(*b).status, AddStatus::added);
  }
};

TEST(BlockTreeLimits, SideBranchesPastTheCapLoseTheOldestStaleTipFirst) {
  const Forest f;
  BlockTree tree(kParams, side_cap(size_of(f.y2) + size_of(f.y3) + size_of(f.z3)));
  f.add_main(tree);
  const auto main_before = hashes(tree.main_chain());
  for (const Block* b : {&f.x1, &f.y2, &f.y3}) {
    AddResult r = tree.add(*b);
    ASSERT_EQ(r.status, AddStatus::added);
    EXPECT_TRUE(r.evicted.empty());
  }
  EXPECT_EQ(tree.side_branch_bytes(), size_of(f.x1) + size_of(f.y2) + size_of(f.y3));
  // z3 takes the side branches past the cap: x1, the stale tip that arrived first, goes.
  AddResult r = tree.add(f.z3);
  ASSERT_EQ(r.status, AddStatus::added);
  EXPECT_EQ(r.evicted, std::vector<std::string>{f.x1.hash});
  EXPECT_EQ(r.stored, std::vector<std::string>{f.z3.hash});
  EXPECT_FALSE(tree.contains(f.x1.hash));
  EXPECT_EQ(tree.find(f.x1.hash), nullptr);
  for (const Block* b : {&f.y2, &f.y3, &f.z3}) EXPECT_TRUE(tree.contains(b->hash));
  EXPECT_EQ(tree.side_branch_bytes(), size_of(f.y2) + size_of(f.y3) + size_of(f.z3));
  EXPECT_EQ(hashes(tree.main_chain()), main_before);
  EXPECT_EQ(tree.tips(), (std::vector<std::string>{f.a4.hash, f.y3.hash, f.z3.hash}));
  tree.check_invariants();

  // Down to z3's size: the y branch goes from its tip down (y3, then y2, which became a stale tip
  // older than z3), z3 stays.
  EXPECT_EQ(tree.set_limits(side_cap(size_of(f.z3))),
            (std::vector<std::string>{f.y3.hash, f.y2.hash}));
  EXPECT_TRUE(tree.contains(f.z3.hash));
  EXPECT_EQ(tree.side_branch_bytes(), size_of(f.z3));
  EXPECT_EQ(hashes(tree.main_chain()), main_before);
  tree.check_invariants();

  // A block forgotten is accepted again like a new one.
  tree.set_limits(BlockTreeLimits{});
  AddResult again = tree.add(f.x1);
  EXPECT_EQ(again.status, AddStatus::added);
  EXPECT_EQ(again.stored, std::vector<std::string>{f.x1.hash});
  EXPECT_TRUE(tree.contains(f.x1.hash));
  tree.check_invariants();
}

TEST(BlockTreeLimits, NoSideBranchKeptAtZeroButTheMainChainIsIntact) {
  const Forest f;
  BlockTree tree(kParams);
  f.add_main(tree);
  for (const Block* b : {&f.x1, &f.y2, &f.y3, &f.z3})
    ASSERT_EQ(tree.add(*b).status, AddStatus::added);
  EXPECT_EQ(tree.set_limits(side_cap(0)),
            (std::vector<std::string>{f.x1.hash, f.y3.hash, f.y2.hash, f.z3.hash}));
  EXPECT_EQ(tree.size(), 5u);
  EXPECT_EQ(tree.height(), 4u);
  EXPECT_EQ(tree.tip().hash, f.a4.hash);
  EXPECT_EQ(tree.side_branch_bytes(), 0u);
  tree.check_invariants();
  // A new stale block is stored, then forgotten at once: the result says so.
  AddResult r = tree.add(f.x1);
  EXPECT_EQ(r.status, AddStatus::added);
  EXPECT_TRUE(r.stored.empty());
  EXPECT_EQ(r.evicted, std::vector<std::string>{f.x1.hash});
  EXPECT_FALSE(tree.contains(f.x1.hash));
  tree.check_invariants();
}

TEST(BlockTreeLimits, BlocksThatJustLeftTheMainChainStayForTheirPostsToReturn) {
  BlockTree tree(kParams, side_cap(0));
  Mempool pool;
  const Json post = test::make_post("alice", "kept through a reorg");
  const Block m1 = test::mine_child(genesis_block(), {post}, Difficulty::bits(4), 0.25);
  ASSERT_EQ(tree.add(m1).status, AddStatus::added);
  ASSERT_EQ(tree.tip().hash, m1.hash);
  // A heavier branch arrives (its tip first, an orphan, then its base): m1 leaves the main chain.
  const Block b1 = child(genesis_block(), "b1", 0, 0.75);
  const Block b2 = child(b1, "b2");
  ASSERT_EQ(tree.add(b2).status, AddStatus::orphan);
  AddResult reorg = tree.add(b1);
  ASSERT_TRUE(reorg.is_reorg());
  EXPECT_EQ(reorg.disconnected, std::vector<std::string>{m1.hash});
  // Over a cap of 0, yet m1 is still there for the pool to take its post back.
  EXPECT_TRUE(reorg.evicted.empty());
  EXPECT_TRUE(tree.contains(m1.hash));
  EXPECT_EQ(tree.side_branch_bytes(), size_of(m1));
  pool.apply(tree, reorg);
  EXPECT_TRUE(pool.contains(post_id(post)));
  // The next change forgets it.
  AddResult next = tree.add(child(b2, "b3"));
  EXPECT_EQ(next.evicted, std::vector<std::string>{m1.hash});
  EXPECT_EQ(tree.side_branch_bytes(), 0u);
  tree.check_invariants();
}

// Many blocks on random parents under a small cap: after every add the invariants hold, the main
// chain's work never drops, a main-chain block is never evicted, and the same history evicts the
// same blocks (no unordered order in the decision).
TEST(BlockTreeLimits, InvariantsHoldUnderRandomGrowthAndEvictionIsDeterministic) {
  std::mt19937_64 rng(13);  // the test's own generator: a fixed history
  std::vector<Block> blocks{genesis_block()};
  for (int i = 0; i < 300; ++i) {
    // Mostly near the newest blocks, sometimes far back: long and short side branches.
    const std::size_t back =
        rng() % 4 == 0 ? rng() % blocks.size() : rng() % std::min<std::size_t>(blocks.size(), 6);
    const Block& parent = blocks[blocks.size() - 1 - back];
    blocks.push_back(child(parent, "p" + std::to_string(i), rng() % 200, static_cast<double>(i)));
  }
  const std::size_t cap = 4000;
  std::vector<std::string> evicted_first_run;
  for (int run = 0; run < 2; ++run) {
    BlockTree tree(kParams, side_cap(cap));
    std::uint64_t work = tree.tip_work();
    std::vector<std::string> evicted;
    std::size_t total_evicted = 0;
    for (std::size_t i = 1; i < blocks.size(); ++i) {
      const std::vector<Block> main_before = tree.main_chain();
      AddResult r = tree.add(blocks[i]);
      ASSERT_NE(r.status, AddStatus::invalid) << r.error->message();
      tree.check_invariants();
      EXPECT_GE(tree.tip_work(), work);
      work = tree.tip_work();
      for (const auto& hash : r.evicted) {
        EXPECT_FALSE(tree.contains(hash));
        EXPECT_FALSE(tree.on_main_chain(hash));
        // Nor of the main chain before the call: blocks that leave it stay for one call.
        EXPECT_FALSE(std::any_of(main_before.begin(), main_before.end(),
                                 [&](const Block& b) { return b.hash == hash; }));
        evicted.push_back(hash);
      }
      total_evicted += r.evicted.size();
      std::size_t just_left_bytes = 0;
      for (const auto& hash : r.disconnected)
        if (const Block* b = tree.find(hash)) just_left_bytes += size_of(*b);
      EXPECT_LE(tree.side_branch_bytes(), cap + just_left_bytes);
    }
    EXPECT_GT(total_evicted, 20u);  // the cap was really in play
    if (run == 0)
      evicted_first_run = evicted;
    else
      EXPECT_EQ(evicted, evicted_first_run);
  }
}

}  // namespace
}  // namespace yournet
