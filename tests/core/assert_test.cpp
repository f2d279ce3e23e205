// YOURNET_ASSERT stops the process in every build type, Release included (CI runs these tests in
// Release and Debug builds), and the core's checks of its invariants fire when one is broken.
#include "yournet/assert.hpp"

#include <gtest/gtest.h>

#include "test_util.hpp"
#include "yournet/block_tree.hpp"
#include "yournet/mempool.hpp"

namespace yournet {
namespace {

class AssertDeathTest : public ::testing::Test {
 protected:
  // The child re-executes the test binary up to the death test: safe with threads about.
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

int twice(int x) {
  return 2 * x;
}

TEST_F(AssertDeathTest, AFalseConditionAbortsNamingConditionPlaceAndMessage) {
  EXPECT_DEATH(YOURNET_ASSERT(twice(2) == 5, "arithmetic holds"),
               "invariant broken: twice\\(2\\) == 5 \\(.*assert_test\\.cpp:[0-9]+\\): arithmetic "
               "holds");
}

TEST_F(AssertDeathTest, ATrueConditionCostsNothingAndEvaluatesNoMessage) {
  int evaluated = 0;
  auto message = [&] {
    ++evaluated;
    return "never";
  };
  YOURNET_ASSERT(twice(2) == 4, message());
  EXPECT_EQ(evaluated, 0);
}

#ifdef NDEBUG
TEST_F(AssertDeathTest, StaysOnWhereAssertIsCompiledOut) {
  EXPECT_DEATH(YOURNET_ASSERT(false, "release build"), "release build");
}
#endif

// A pool that holds a post the main chain has mined (its owner forgot Mempool::apply) is caught.
TEST_F(AssertDeathTest, APendingPostOnTheMainChainIsCaught) {
  const Json post = test::make_post("alice", "mined and pending");
  BlockTree tree(test::fast_params());
  Mempool pool;
  ASSERT_TRUE(pool.add(post).has_value());
  pool.check_consistent_with(tree);  // consistent: the post is only pending
  ASSERT_EQ(tree.add(test::mine_child(genesis_block(), {post})).status, AddStatus::added);
  EXPECT_DEATH(pool.check_consistent_with(tree),
               "no pending post is in the main chain \\(pool consistent with the chain\\)");
}

}  // namespace
}  // namespace yournet
