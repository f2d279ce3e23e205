#include "yournet/block_tree.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "test_util.hpp"

namespace yournet {
namespace {

const ChainParams kParams = test::fast_params();

Block child(const Block& parent, std::vector<Json> posts = {}, double salt = 0.0) {
  return test::mine_child(parent, posts, Difficulty::bits(4), salt);
}

TEST(BlockTree, StartsAtGenesis) {
  BlockTree tree(kParams);
  EXPECT_EQ(tree.height(), 0u);
  EXPECT_EQ(tree.tip().hash, kGenesisHash);
  EXPECT_EQ(tree.size(), 1u);
  EXPECT_TRUE(tree.contains(kGenesisHash));
  EXPECT_EQ(tree.add(genesis_block()).status, AddStatus::already_known);
}

TEST(BlockTree, ExtensionChangesTip) {
  BlockTree tree(kParams);
  Block a1 = child(genesis_block(), {test::make_post("a", "one")});
  AddResult r = tree.add(a1);
  EXPECT_EQ(r.status, AddStatus::added);
  EXPECT_FALSE(r.error.has_value());
  EXPECT_TRUE(r.tip_changed);
  EXPECT_FALSE(r.is_reorg());
  EXPECT_TRUE(r.disconnected.empty());
  EXPECT_EQ(r.connected, std::vector<std::string>{a1.hash});
  EXPECT_EQ(r.stored, std::vector<std::string>{a1.hash});
  EXPECT_EQ(tree.tip().hash, a1.hash);
  EXPECT_EQ(tree.height(), 1u);
  EXPECT_EQ(tree.main_chain_post_height(post_id(test::make_post("a", "one"))),
            std::optional<std::uint64_t>(1));
  EXPECT_EQ(tree.work_of(a1.hash), std::optional<std::uint64_t>(tree.tip_work()));
  ASSERT_NE(tree.at_height(1), nullptr);
  EXPECT_EQ(tree.at_height(1)->hash, a1.hash);
  EXPECT_EQ(tree.main_chain().size(), 2u);
}

// The simulator's prefetch hint tells the tip's own block object (a duplicate: nothing to fetch)
// from a block to connect, and follows the tip through a reorg.
TEST(BlockTree, PrefetchConnectTellsTheTipsOwnBlockFromANewOne) {
  BlockTree tree(kParams);
  auto a1 = std::make_shared<const Block>(child(genesis_block(), {}, 1.0));
  EXPECT_TRUE(tree.prefetch_connect(*a1));
  ASSERT_EQ(tree.add(a1).status, AddStatus::added);
  EXPECT_FALSE(tree.prefetch_connect(*a1));
  // A copy of the tip is another object: the hint fetches for it, and add finds it known.
  const Block copy = *a1;
  EXPECT_TRUE(tree.prefetch_connect(copy));
  EXPECT_EQ(tree.add(copy).status, AddStatus::already_known);
  // A longer branch takes over: the hint follows the new tip.
  auto b1 = std::make_shared<const Block>(child(genesis_block(), {}, 2.0));
  auto b2 = std::make_shared<const Block>(child(*b1, {}, 2.0));
  ASSERT_EQ(tree.add(b1).status, AddStatus::added);
  AddResult reorg = tree.add(b2);
  ASSERT_TRUE(reorg.is_reorg());
  tree.check_invariants();
  EXPECT_EQ(tree.tip().hash, b2->hash);
  EXPECT_FALSE(tree.prefetch_connect(*b2));
  EXPECT_TRUE(tree.prefetch_connect(*a1));
  auto b3 = std::make_shared<const Block>(child(*b2, {}, 2.0));
  ASSERT_EQ(tree.add(b3).status, AddStatus::added);
  tree.check_invariants();
  EXPECT_FALSE(tree.prefetch_connect(*b3));
}

TEST(BlockTree, AlreadyKnown) {
  BlockTree tree(kParams);
  Block a1 = child(genesis_block());
  ASSERT_EQ(tree.add(a1).status, AddStatus::added);
  AddResult again = tree.add(a1);
  EXPECT_EQ(again.status, AddStatus::already_known);
  EXPECT_FALSE(again.tip_changed);
  EXPECT_EQ(tree.size(), 2u);
}

TEST(BlockTree, SharedBlockIsStoredAsIsAndStillValidated) {
  BlockTree first(kParams), second(kParams);
  auto a1 = std::make_shared<const Block>(child(genesis_block()));
  ASSERT_EQ(first.add(a1).status, AddStatus::added);
  ASSERT_EQ(second.add(a1).status, AddStatus::added);
  // Both trees hold the very same object: one copy however many nodes know the block.
  EXPECT_EQ(first.find_shared(a1->hash), a1);
  EXPECT_EQ(second.find(a1->hash), a1.get());
  EXPECT_EQ(&second.tip(), a1.get());
  EXPECT_EQ(first.find_shared(std::string(64, 'f')), nullptr);
  // A shared block a tree does not know yet is checked as any other.
  Block forged = child(*a1);
  forged.nonce += 1;
  AddResult refused = first.add(std::make_shared<const Block>(forged));
  EXPECT_EQ(refused.status, AddStatus::invalid);
  ASSERT_TRUE(refused.error.has_value());
  EXPECT_EQ(first.size(), 2u);
  EXPECT_FALSE(first.contains(forged.hash));
}

TEST(BlockTree, KnownBlocksAreRecognisedByObjectOrByHashAndOnlyNewOnesAreChecked) {
  BlockTree tree(kParams);
  auto a1 = std::make_shared<const Block>(child(genesis_block()));
  Block b1 = child(genesis_block(), {}, 0.5);  // a side branch at the same height
  ASSERT_EQ(tree.add(a1).status, AddStatus::added);
  ASSERT_EQ(tree.add(b1).status, AddStatus::added);
  EXPECT_EQ(tree.add(a1).status, AddStatus::already_known);  // the tip's own object
  EXPECT_EQ(tree.add(std::make_shared<const Block>(*a1)).status, AddStatus::already_known);
  EXPECT_EQ(tree.add(b1).status, AddStatus::already_known);  // a side block, by hash
  // On the main chain, for a block in hand: by height, whichever object it is.
  EXPECT_TRUE(tree.on_main_chain(*a1));
  EXPECT_TRUE(tree.on_main_chain(Block(*a1)));
  EXPECT_FALSE(tree.on_main_chain(b1));
  EXPECT_FALSE(tree.on_main_chain(child(*a1)));  // above the tip
  // A child of the tip is new, so it is checked in full: a forged one is refused.
  Block forged = child(*a1);
  forged.nonce += 1;  // the stored hash no longer matches
  AddResult refused = tree.add(std::make_shared<const Block>(forged));
  EXPECT_EQ(refused.status, AddStatus::invalid);
  EXPECT_EQ(tree.size(), 3u);
  EXPECT_EQ(tree.tip().hash, a1->hash);
}

TEST(BlockTree, FirstSeenWinsTieThenHeavierBranchReorgs) {
  BlockTree tree(kParams);
  Block a1 = child(genesis_block(), {test::make_post("a", "A1")});
  Block b1 = child(genesis_block(), {test::make_post("b", "B1")}, 0.5);
  Block a2 = child(a1, {test::make_post("a", "A2")});
  Block b2 = child(b1, {test::make_post("b", "B2")});
  Block b3 = child(b2, {test::make_post("b", "B3")});
  ASSERT_EQ(tree.add(a1).status, AddStatus::added);
  ASSERT_EQ(tree.add(a2).status, AddStatus::added);
  AddResult side1 = tree.add(b1);
  EXPECT_EQ(side1.status, AddStatus::added);
  EXPECT_FALSE(side1.tip_changed);
  AddResult tie = tree.add(b2);  // equal work: first seen (a2) keeps the tip
  EXPECT_EQ(tie.status, AddStatus::added);
  EXPECT_FALSE(tie.tip_changed);
  EXPECT_TRUE(tie.connected.empty());
  EXPECT_EQ(tree.tip().hash, a2.hash);
  EXPECT_TRUE(tree.on_main_chain(a1.hash));
  EXPECT_FALSE(tree.on_main_chain(b2.hash));
  EXPECT_EQ(tree.tips().size(), 2u);

  AddResult reorg = tree.add(b3);
  EXPECT_EQ(reorg.status, AddStatus::added);
  EXPECT_TRUE(reorg.tip_changed);
  EXPECT_TRUE(reorg.is_reorg());
  EXPECT_EQ(reorg.disconnected, (std::vector<std::string>{a2.hash, a1.hash}));
  EXPECT_EQ(reorg.connected, (std::vector<std::string>{b1.hash, b2.hash, b3.hash}));
  EXPECT_EQ(tree.tip().hash, b3.hash);
  EXPECT_EQ(tree.height(), 3u);
  EXPECT_FALSE(tree.on_main_chain(a1.hash));
  EXPECT_TRUE(tree.on_main_chain(b1.hash));
  EXPECT_FALSE(tree.main_chain_post_height(post_id(test::make_post("a", "A1"))).has_value());
  EXPECT_EQ(tree.main_chain_post_height(post_id(test::make_post("b", "B2"))),
            std::optional<std::uint64_t>(2));
  EXPECT_TRUE(tree.contains(a2.hash));
}

TEST(BlockTree, OrphanConnectsWhenParentArrives) {
  BlockTree tree(kParams);
  Block a1 = child(genesis_block());
  Block a2 = child(a1);
  Block a3 = child(a2);
  AddResult orphan3 = tree.add(a3);
  EXPECT_EQ(orphan3.status, AddStatus::orphan);
  EXPECT_FALSE(orphan3.tip_changed);
  EXPECT_EQ(tree.add(a2).status, AddStatus::orphan);
  EXPECT_EQ(tree.orphan_count(), 2u);
  EXPECT_FALSE(tree.contains(a2.hash));
  AddResult r = tree.add(a1);
  EXPECT_EQ(r.status, AddStatus::added);
  EXPECT_TRUE(r.tip_changed);
  EXPECT_EQ(r.stored.size(), 3u);
  EXPECT_NE(std::find(r.stored.begin(), r.stored.end(), a1.hash), r.stored.end());
  EXPECT_NE(std::find(r.stored.begin(), r.stored.end(), a2.hash), r.stored.end());
  EXPECT_NE(std::find(r.stored.begin(), r.stored.end(), a3.hash), r.stored.end());
  EXPECT_EQ(r.connected, (std::vector<std::string>{a1.hash, a2.hash, a3.hash}));
  EXPECT_EQ(tree.tip().hash, a3.hash);
  EXPECT_EQ(tree.orphan_count(), 0u);
}

TEST(BlockTree, InvalidBlockRefused) {
  BlockTree tree(kParams);
  Block a1 = child(genesis_block());
  Block bad = a1;
  bad.hash[10] = bad.hash[10] == 'a' ? 'b' : 'a';
  AddResult r = tree.add(bad);
  EXPECT_EQ(r.status, AddStatus::invalid);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->rule, Rule::bad_hash);
  EXPECT_FALSE(tree.contains(bad.hash));
  EXPECT_EQ(tree.height(), 0u);

  Block tampered = a1;
  tampered.transactions = Json::array({test::make_post("x", "y")});
  r = tree.add(tampered);
  EXPECT_EQ(r.status, AddStatus::invalid);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->rule, Rule::bad_hash);
}

TEST(BlockTree, WrongIndexRefused) {
  BlockTree tree(kParams);
  Block block;
  block.index = 5;
  block.previous_hash = kGenesisHash;
  block.timestamp = 1.5;
  MiningRequest request;
  request.block = block;
  request.difficulty = Difficulty::bits(4);
  Block mined = mine(request).block;
  AddResult r = tree.add(mined);
  EXPECT_EQ(r.status, AddStatus::invalid);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->rule, Rule::wrong_index);
}

TEST(BlockTree, ReplayedPostInAncestorRefusedButAllowedOnCompetingBranch) {
  BlockTree tree(kParams);
  Json post = test::make_post("alice", "only once");
  Block a1 = child(genesis_block(), {post});
  Block a2 = child(a1);
  ASSERT_EQ(tree.add(a1).status, AddStatus::added);
  ASSERT_EQ(tree.add(a2).status, AddStatus::added);
  Block replay = child(a2, {post});
  AddResult r = tree.add(replay);
  EXPECT_EQ(r.status, AddStatus::invalid);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->rule, Rule::duplicate_post);
  EXPECT_FALSE(tree.contains(replay.hash));

  // A branch forking below a1 may carry the same post.
  Block b1 = child(genesis_block(), {post}, 0.5);
  AddResult side = tree.add(b1);
  EXPECT_EQ(side.status, AddStatus::added);
  EXPECT_FALSE(side.error.has_value());
  Block b2 = child(b1, {test::make_post("b", "two")});
  EXPECT_EQ(tree.add(b2).status, AddStatus::added);
}

TEST(BlockTree, OrphanPoolIsBounded) {
  BlockTree tree(kParams, BlockTreeLimits{3});
  // Five unrelated orphans: children of blocks the tree never sees.
  std::vector<Block> parents;
  std::vector<Block> orphans;
  for (int i = 0; i < 5; ++i) {
    Block parent = child(genesis_block(), {test::make_post("p", std::to_string(i))}, i);
    parents.push_back(parent);
    orphans.push_back(child(parent));
  }
  for (const auto& orphan : orphans) EXPECT_EQ(tree.add(orphan).status, AddStatus::orphan);
  EXPECT_EQ(tree.orphan_count(), 3u);
  // The oldest were evicted: their parents connect alone.
  AddResult first = tree.add(parents[0]);
  EXPECT_EQ(first.status, AddStatus::added);
  EXPECT_EQ(first.stored.size(), 1u);
  // The newest survived: its parent brings it in.
  AddResult last = tree.add(parents[4]);
  EXPECT_EQ(last.status, AddStatus::added);
  EXPECT_EQ(last.stored.size(), 2u);
  EXPECT_TRUE(tree.contains(orphans[4].hash));
  EXPECT_FALSE(tree.contains(orphans[0].hash));
  EXPECT_EQ(tree.orphan_count(), 2u);
}

}  // namespace
}  // namespace yournet
