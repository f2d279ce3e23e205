// Swarm scenarios: each seed draws its own configuration from its ranges, the same one every time.
#include "yournet/sim/swarm.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <set>

using namespace yournet;
using namespace yournet::sim;

namespace {

Json swarm_file() {
  std::ifstream file(std::string(YOURNET_SCENARIO_DIR) + "/swarm_faults.json");
  return parse_json(std::string(std::istreambuf_iterator<char>(file), {}));
}

std::string error_of(const Json& file) {
  try {
    load_swarm_scenario(file, 1);
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(SwarmScenario, ASeedDrawsTheSameConfigurationEveryTime) {
  const Json file = swarm_file();
  ASSERT_TRUE(has_ranges(file));
  const DrawnScenario a = load_swarm_scenario(file, 5);
  const DrawnScenario b = load_swarm_scenario(file, 5);
  EXPECT_TRUE(a.scenario == b.scenario);
  EXPECT_EQ(a.drawn, b.drawn);
  EXPECT_EQ(a.scenario.seed, 5U);
  EXPECT_EQ(a.drawn.size(), 10U);
  const DrawnScenario other = load_swarm_scenario(file, 6);
  EXPECT_NE(a.drawn, other.drawn);
  EXPECT_FALSE(a.scenario == other.scenario);
}

TEST(SwarmScenario, DrawsStayInTheirRangesAndLandInTheScenario) {
  const Json file = swarm_file();
  std::set<std::int64_t> counts;
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    const DrawnScenario d = load_swarm_scenario(file, seed);
    const auto count = d.drawn["$.nodes[0].count"].get<std::int64_t>();
    EXPECT_GE(count, 6);
    EXPECT_LE(count, 12);
    counts.insert(count);
    EXPECT_EQ(d.scenario.node_count, count + 1);
    const double loss = d.drawn["$.link.loss"].get<double>();
    EXPECT_GE(loss, 0);
    EXPECT_LE(loss, 0.1);
    EXPECT_EQ(d.scenario.link.loss, loss);
    EXPECT_EQ(d.scenario.nodes.back().hash_rate, d.drawn["$.nodes[1].hash_rate"].get<double>());
    EXPECT_EQ(d.scenario.timeline[1].at_us,
              std::llround(d.drawn["$.timeline[1].at_s"].get<double>() * 1e6));
  }
  EXPECT_GE(counts.size(), 5U);  // the draw does vary
}

TEST(SwarmScenario, ADrawDependsOnlyOnTheSeedAndTheField) {
  Json file = swarm_file();
  const Json before = load_swarm_scenario(file, 9).drawn;
  file["link"]["response_loss"] =
      Json{{"range", Json::array({0, 0.2})}};  // one more range elsewhere
  const Json after = load_swarm_scenario(file, 9).drawn;
  for (const auto& [path, value] : before.items()) EXPECT_EQ(after[path], value) << path;
  EXPECT_EQ(after.size(), before.size() + 1);
}

TEST(SwarmScenario, AFileWithoutRangesLoadsAsItIs) {
  Json file = swarm_file();
  file["nodes"] = 7;
  file["link"] = Json::object();
  for (auto& action : file["timeline"]) action["at_s"] = 10;
  const DrawnScenario d = load_swarm_scenario(file, 4);
  EXPECT_TRUE(d.drawn.empty());
  EXPECT_EQ(d.scenario.seed, 4U);
}

TEST(SwarmScenario, BadRangesNameTheirPath) {
  Json file = swarm_file();
  file["link"]["loss"] = Json{{"range", Json::array({0.2, 0.1})}};
  EXPECT_NE(error_of(file).find("$.link.loss.range"), std::string::npos) << error_of(file);
  file["link"]["loss"] = Json{{"range", Json::array({"a", 0.1})}};
  EXPECT_NE(error_of(file).find("$.link.loss.range"), std::string::npos) << error_of(file);
  file["link"]["loss"] = Json{{"range", Json::array({0, 2})}};  // the field allows at most 0.99
  EXPECT_NE(error_of(file).find("$.link.loss"), std::string::npos) << error_of(file);
  file = swarm_file();
  file["nodes"][0]["count"] = Json{{"range", Json::array({2.5, 4})}};
  EXPECT_NE(error_of(file).find("$.nodes[0].count.range"), std::string::npos) << error_of(file);
  file = swarm_file();
  file["difficulty_bits"] = Json{{"range", Json::array({4, 8})}};
  EXPECT_NE(error_of(file).find("$.difficulty_bits.range"), std::string::npos) << error_of(file);
  file = swarm_file();
  file["seed"] = Json{{"range", Json::array({1, 8})}};
  EXPECT_NE(error_of(file).find("$.seed.range"), std::string::npos) << error_of(file);
}
