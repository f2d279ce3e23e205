// The scenario loader's named size limits: at the limit a scenario loads, one past it is refused
// with an error naming the field and the limit.
#include <gtest/gtest.h>

#include <string>

#include "yournet/sim/scenario.hpp"

namespace yournet {
namespace {

Json scenario_with(Json extra) {
  Json scenario{{"name", "t"}, {"nodes", 2}, {"stop_at_s", 30}, {"timeline", Json::array()}};
  for (auto& [key, value] : extra.items()) scenario[key] = value;
  return scenario;
}

std::string error_of(const Json& scenario) {
  try {
    sim::load_scenario(scenario);
  } catch (const sim::ScenarioError& e) {
    return e.what();
  }
  return "";
}

Json timeline_of(std::size_t actions) {
  Json timeline = Json::array();
  for (std::size_t i = 0; i < actions; ++i) timeline.push_back({{"at_s", 1}, {"do", "heal"}});
  return timeline;
}

TEST(ScenarioLimits, TimelineActions) {
  EXPECT_EQ(error_of(scenario_with({{"timeline", timeline_of(sim::kMaxScenarioActions)}})), "");
  EXPECT_EQ(error_of(scenario_with({{"timeline", timeline_of(sim::kMaxScenarioActions + 1)}})),
            "$.timeline: 100001 actions is past the scenario limit max_actions (100000)");
}

TEST(ScenarioLimits, Duration) {
  EXPECT_EQ(error_of(scenario_with({{"stop_at_s", sim::kMaxScenarioSeconds}})), "");
  EXPECT_EQ(error_of(scenario_with({{"stop_at_s", 1e9}})),
            "$.stop_at_s: 1000000000.0 s is past the scenario limit max_duration_s (100000000 s)");
  EXPECT_EQ(
      error_of(scenario_with({{"timeline", Json::array({{{"at_s", 2e8}, {"do", "heal"}}})}})),
      "$.timeline[0].at_s: 200000000.0 s is past the scenario limit max_duration_s (100000000 s)");
}

TEST(ScenarioLimits, Nodes) {
  EXPECT_EQ(error_of(scenario_with({{"nodes", 100'001}, {"topology", "ring"}})),
            "$.nodes: 100001 nodes is past the scenario limit max_nodes (100000)");
  EXPECT_EQ(
      error_of(scenario_with({{"nodes", Json::array({{{"count", 60'000}}, {{"count", 40'001}}})},
                              {"topology", "ring"}})),
      "$.nodes[1].count: 100001 nodes in all is past the scenario limit max_nodes (100000)");
}

TEST(ScenarioLimits, LinkOverridesAndEdges) {
  Json links = Json::array();
  // Counted before any entry is read: nulls make the test cheap.
  for (std::size_t i = 0; i <= sim::kMaxScenarioLinks; ++i) links.push_back(nullptr);
  EXPECT_EQ(
      error_of(scenario_with({{"links", links}})),
      "$.links: 100001 link overrides is past the scenario limit max_link_overrides (100000)");
  Json edges = Json::array();
  for (std::size_t i = 0; i <= sim::kMaxScenarioEdges; ++i) edges.push_back(nullptr);
  EXPECT_EQ(error_of(scenario_with({{"topology", {{"kind", "edges"}, {"edges", edges}}}})),
            "$.topology.edges: 1000001 edges is past the scenario limit max_edges (1000000)");
}

}  // namespace
}  // namespace yournet
