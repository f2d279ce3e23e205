// The scenario writer is the loader's inverse: load(write(s)) == s for every shipped scenario and
// for one that uses every field.
#include "yournet/sim/scenario_writer.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "yournet/sim/swarm.hpp"

using namespace yournet;
using namespace yournet::sim;

namespace {

Json read_json(const std::filesystem::path& path) {
  std::ifstream file(path);
  return parse_json(std::string(std::istreambuf_iterator<char>(file), {}));
}

void expect_round_trip(const std::filesystem::path& path) {
  SCOPED_TRACE(path.string());
  const Scenario original = load_scenario(read_json(path));
  const Scenario again = load_scenario(write_scenario(original));
  EXPECT_TRUE(again == original);
  // The file text the shrinker writes reads back the same too.
  EXPECT_TRUE(load_scenario(parse_json(scenario_file_text(original))) == original);
}

}  // namespace

TEST(ScenarioWriter, EveryShippedScenarioRoundTrips) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(YOURNET_SCENARIO_DIR)) {
    if (entry.path().extension() != ".json") continue;
    const Json file = read_json(entry.path());
    if (has_ranges(file)) continue;  // a swarm scenario: its draws round-trip (SwarmScenario)
    expect_round_trip(entry.path());
    ++count;
  }
  EXPECT_GE(count, 9);
}

TEST(ScenarioWriter, EveryFieldRoundTrips) {
  expect_round_trip(std::filesystem::path(YOURNET_SIM_TEST_DATA_DIR) / "every_field.json");
}

TEST(ScenarioWriter, LeavesDefaultsOutAndGroupsLikeNodes) {
  Scenario s = load_scenario(
      read_json(std::filesystem::path(YOURNET_SIM_TEST_DATA_DIR) / "every_field.json"));
  Json written = write_scenario(s);
  EXPECT_EQ(written["nodes"][0]["count"], 3);
  EXPECT_EQ(written["stop_at_s"], 100.5);
  EXPECT_EQ(written["timeline"][1], (Json{{"at_s", 1}, {"do", "mine"}}));
  s.topology = Topology{};
  s.links.clear();
  s.timeline.clear();
  s.nodes.assign(4, NodeSpec{});
  for (auto& node : s.nodes) node.hash_rate = s.hash_rate;
  s.node_count = 4;
  EXPECT_EQ(write_scenario(s)["nodes"], 4);
  // A changed field shows: the round trip is not vacuous.
  Scenario changed = s;
  changed.link.loss = 0.3;
  EXPECT_FALSE(load_scenario(write_scenario(changed)) == s);
}

TEST(ScenarioWriter, FileTextKeepsTheFileOrder) {
  Scenario s = load_scenario(
      read_json(std::filesystem::path(YOURNET_SIM_TEST_DATA_DIR) / "every_field.json"));
  const std::string text = scenario_file_text(s);
  EXPECT_LT(text.find("\"name\""), text.find("\"seed\""));
  EXPECT_LT(text.find("\"seed\""), text.find("\"timeline\""));
  EXPECT_LT(text.find("\"timeline\""), text.find("\"expect\""));
  EXPECT_EQ(text.back(), '\n');
}
