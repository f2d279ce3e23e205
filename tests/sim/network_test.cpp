#include "yournet/sim/network.hpp"

#include <gtest/gtest.h>

#include <string>

namespace yournet::sim {
namespace {

Scenario nodes(int count) {
  Scenario scenario;
  scenario.node_count = count;
  scenario.nodes.resize(static_cast<std::size_t>(count));
  return scenario;
}

std::string why(Network& network, int from, int to) {
  const char* reason = network.drops_request(from, to);
  return reason ? reason : "";
}

// Partitions, isolation and heals decide who can talk, in both directions, whatever came before
// (the groups are not read while none is in force: that must not change an answer).
TEST(Network, PartitionsIsolationAndHealsDecideWhoCanTalk) {
  Network network(nodes(4));
  for (int a = 0; a < 4; ++a) {
    for (int b = 0; b < 4; ++b) EXPECT_FALSE(network.partitioned(a, b));
  }
  network.partition({{0, 1}, {2}});  // node 3, unnamed, alone
  EXPECT_FALSE(network.partitioned(0, 1));
  EXPECT_TRUE(network.partitioned(0, 2));
  EXPECT_TRUE(network.partitioned(2, 1));
  EXPECT_TRUE(network.partitioned(3, 0));
  EXPECT_TRUE(network.partitioned(3, 2));
  EXPECT_EQ(why(network, 0, 2), "partition");
  EXPECT_EQ(why(network, 0, 1), "");
  network.heal();
  EXPECT_FALSE(network.partitioned(0, 2));
  EXPECT_FALSE(network.partitioned(3, 0));
  EXPECT_EQ(why(network, 0, 2), "");
  network.isolate(1);
  EXPECT_TRUE(network.partitioned(1, 0));
  EXPECT_TRUE(network.partitioned(2, 1));
  EXPECT_FALSE(network.partitioned(0, 2));
  EXPECT_EQ(why(network, 1, 3), "partition");
  network.heal();
  EXPECT_FALSE(network.partitioned(1, 0));
  // One group holding everyone is no partition at all.
  network.partition({{0, 1, 2, 3}});
  EXPECT_FALSE(network.partitioned(0, 3));
}

}  // namespace
}  // namespace yournet::sim
