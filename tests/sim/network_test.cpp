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

// An answer nobody waits for takes the same draws and the same time on its link as one awaited:
// every later message on the link (and its drops) comes out the same either way.
TEST(Network, AnUnawaitedAnswerLeavesItsLinkAsAnAwaitedOneDoes) {
  using Kind = LatencyModel::Kind;
  for (Kind kind : {Kind::constant, Kind::uniform, Kind::normal, Kind::exponential, Kind::pareto}) {
    Scenario scenario = nodes(3);
    scenario.link.latency = LatencyModel{kind, 40, 3};
    scenario.link.bandwidth_mbps = 20;
    scenario.link.loss = 0.1;
    scenario.link.response_loss = 0.2;
    scenario.link.reorder = 0.3;
    Network awaited(scenario), unawaited(scenario);
    std::int64_t now = 0;
    for (int round = 0; round < 200; ++round, now += 7'000) {
      const char* why = nullptr;
      const bool delivered = awaited.answer_arrival_us(1, 2, 300, now, why).has_value();
      const char* unawaited_why = unawaited.unawaited_answer(1, 2, 300, now);
      EXPECT_EQ(std::string(why ? why : ""), std::string(unawaited_why ? unawaited_why : ""));
      EXPECT_EQ(delivered, unawaited_why == nullptr);
      if (round % 3 == 0) {
        EXPECT_EQ(awaited.arrival_us(1, 2, 5'000, now), unawaited.arrival_us(1, 2, 5'000, now))
            << "latency kind " << static_cast<int>(kind) << ", round " << round;
      }
    }
  }
}

}  // namespace
}  // namespace yournet::sim
