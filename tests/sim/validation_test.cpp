// The formulas the fidelity suite checks against, at points the papers state.
#include "yournet/report/validation.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace yournet::report {
namespace {

TEST(SelfishRevenue, ProfitableAboveAThirdAtGammaZeroAndAQuarterAtGammaHalf) {
  // Eyal and Sirer: the pool earns exactly its share at the threshold.
  EXPECT_NEAR(selfish_revenue(1.0 / 3, 0), 1.0 / 3, 1e-12);
  EXPECT_NEAR(selfish_revenue(0.25, 0.5), 0.25, 1e-12);
  EXPECT_LT(selfish_revenue(0.30, 0), 0.30);
  EXPECT_GT(selfish_revenue(0.40, 0), 0.40);
  EXPECT_NEAR(selfish_revenue(0.40, 0), 0.1664 / 0.344, 1e-12);
  // With every honest node on the pool's side of a tie, a pool of any size gains.
  EXPECT_GT(selfish_revenue(0.10, 1), 0.10);
}

TEST(StaleRate, IsOneMinusEToTheMinusDelayOverInterval) {
  EXPECT_DOUBLE_EQ(stale_rate(0, 10), 0);
  EXPECT_NEAR(stale_rate(1, 10), 1 - std::exp(-0.1), 1e-15);
  EXPECT_NEAR(stale_rate(600, 600), 1 - std::exp(-1.0), 1e-15);
}

}  // namespace
}  // namespace yournet::report
