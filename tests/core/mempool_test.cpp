#include "yournet/mempool.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_util.hpp"

namespace yournet {
namespace {

using test::fast_params;

Block child(const Block& parent, std::vector<Json> posts = {}, double salt = 0.0) {
  return test::mine_child(parent, posts, Difficulty::bits(4), salt);
}

TEST(Mempool, DeduplicatesPosts) {
  Mempool pool;
  Json post = test::make_post("a", "hello");
  auto first = pool.add(post);
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_EQ(*first, post_id(post));
  EXPECT_TRUE(pool.contains(*first));
  const std::size_t bytes = pool.bytes();
  EXPECT_EQ(bytes, canonical(post).size());
  auto second = pool.add(post);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().reason, PostRefusal::already_pending);
  EXPECT_EQ(pool.size(), 1u);
  EXPECT_EQ(pool.bytes(), bytes);
}

TEST(Mempool, MaxPostsBound) {
  MempoolLimits limits;
  limits.max_posts = 2;
  Mempool pool(limits);
  ASSERT_TRUE(pool.add(test::make_post("a", "1")).has_value());
  ASSERT_TRUE(pool.add(test::make_post("a", "2")).has_value());
  const std::size_t bytes = pool.bytes();
  auto third = pool.add(test::make_post("a", "3"));
  ASSERT_FALSE(third.has_value());
  EXPECT_EQ(third.error().reason, PostRefusal::pool_full);
  EXPECT_NE(third.error().message.find("the limits are 2 posts"), std::string::npos)
      << third.error().message;
  EXPECT_EQ(pool.size(), 2u);
  EXPECT_EQ(pool.bytes(), bytes);
  EXPECT_FALSE(pool.contains(post_id(test::make_post("a", "3"))));
}

TEST(Mempool, MaxBytesBound) {
  Json a = test::make_post("a", "1");
  MempoolLimits limits;
  limits.max_bytes = canonical(a).size() * 2 + 1;
  Mempool pool(limits);
  ASSERT_TRUE(pool.add(a).has_value());
  ASSERT_TRUE(pool.add(test::make_post("a", "2")).has_value());
  const std::size_t bytes = pool.bytes();
  EXPECT_FALSE(pool.add(test::make_post("a", "3")).has_value());
  EXPECT_EQ(pool.size(), 2u);
  EXPECT_EQ(pool.bytes(), bytes);
  EXPECT_LE(pool.bytes(), limits.max_bytes);
}

TEST(Mempool, MaxPostBytesBound) {
  MempoolLimits limits;
  limits.max_post_bytes = 100;
  Mempool pool(limits);
  ASSERT_TRUE(pool.add(test::make_post("a", "small")).has_value());
  auto large = pool.add(test::make_post("a", std::string(200, 'x')));
  ASSERT_FALSE(large.has_value());
  EXPECT_EQ(large.error().reason, PostRefusal::too_large);
  EXPECT_EQ(pool.size(), 1u);
  EXPECT_EQ(pool.bytes(), canonical(test::make_post("a", "small")).size());
}

TEST(Mempool, PostsInArrivalOrder) {
  Mempool pool;
  std::vector<Json> added;
  for (const char* content : {"zeta", "alpha", "mid", "beta"}) {
    added.push_back(test::make_post("a", content));
    ASSERT_TRUE(pool.add(added.back()).has_value());
  }
  EXPECT_EQ(pool.posts(), added);
  EXPECT_EQ(pool.posts(2), (std::vector<Json>{added[0], added[1]}));
  EXPECT_TRUE(pool.remove(post_id(added[1])));
  EXPECT_FALSE(pool.remove(post_id(added[1])));
  EXPECT_EQ(pool.posts(), (std::vector<Json>{added[0], added[2], added[3]}));
}

TEST(Mempool, ExtensionRemovesMinedPosts) {
  BlockTree tree(fast_params());
  Mempool pool;
  Json p1 = test::make_post("a", "1");
  Json p2 = test::make_post("a", "2");
  ASSERT_TRUE(pool.add(p1).has_value());
  ASSERT_TRUE(pool.add(p2).has_value());
  AddResult r = tree.add(child(genesis_block(), {p1}));
  pool.apply(tree, r);
  EXPECT_FALSE(pool.contains(post_id(p1)));
  EXPECT_TRUE(pool.contains(post_id(p2)));
}

TEST(Mempool, ReorgRestoresAbandonedPostsAndDropsNewlyMined) {
  BlockTree tree(fast_params());
  Mempool pool;
  Json shared = test::make_post("s", "in both branches");
  Json only_a = test::make_post("a", "only on A");
  Json only_a2 = test::make_post("a", "only on A2");
  Json only_b = test::make_post("b", "only on B");
  Json waiting = test::make_post("w", "never mined");
  for (const Json& post : {shared, only_a, only_a2, only_b, waiting})
    ASSERT_TRUE(pool.add(post).has_value());

  Block a1 = child(genesis_block(), {shared, only_a});
  Block a2 = child(a1, {only_a2});
  pool.apply(tree, tree.add(a1));
  pool.apply(tree, tree.add(a2));
  EXPECT_EQ(pool.size(), 2u);  // only_b and waiting
  EXPECT_TRUE(pool.contains(post_id(only_b)));
  EXPECT_TRUE(pool.contains(post_id(waiting)));

  Block b1 = child(genesis_block(), {shared}, 0.5);
  Block b2 = child(b1, {only_b});
  Block b3 = child(b2);
  pool.apply(tree, tree.add(b1));
  pool.apply(tree, tree.add(b2));
  AddResult reorg = tree.add(b3);
  ASSERT_TRUE(reorg.is_reorg());
  pool.apply(tree, reorg);

  EXPECT_TRUE(pool.contains(post_id(only_a)));   // abandoned, back in the pool
  EXPECT_TRUE(pool.contains(post_id(only_a2)));  // abandoned, back in the pool
  EXPECT_FALSE(pool.contains(post_id(shared)));  // new main chain holds it
  EXPECT_FALSE(pool.contains(post_id(only_b)));  // mined in the new branch
  EXPECT_TRUE(pool.contains(post_id(waiting)));
  EXPECT_EQ(pool.size(), 3u);

  // No post lost: each is either in the pool or on the main chain.
  for (const Json& post : {shared, only_a, only_a2, only_b, waiting}) {
    const std::string id = post_id(post);
    EXPECT_TRUE(pool.contains(id) != tree.main_chain_post_height(id).has_value())
        << canonical(post);
  }
}

TEST(Mempool, RestoreBypassesBounds) {
  MempoolLimits limits;
  limits.max_posts = 1;
  Mempool pool(limits);
  ASSERT_TRUE(pool.add(test::make_post("a", "1")).has_value());
  pool.restore(test::make_post("a", "2"));
  EXPECT_EQ(pool.size(), 2u);
  pool.restore(test::make_post("a", "2"));
  EXPECT_EQ(pool.size(), 2u);
}

}  // namespace
}  // namespace yournet
