#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

#include "yournet/crypto.hpp"
#include "yournet/sim/simulation.hpp"

using namespace yournet;

namespace {

sim::Scenario load(const std::string& name) {
  std::ifstream file(std::string(YOURNET_SCENARIO_DIR) + "/" + name);
  return sim::load_scenario(parse_json(std::string(std::istreambuf_iterator<char>(file), {})));
}

TEST(Simulation, SameSeedGivesByteIdenticalTrace) {
  auto scenario = load("fork.json");
  auto first = sim::run_scenario(scenario);
  auto second = sim::run_scenario(scenario);
  EXPECT_EQ(first.trace, second.trace);
  EXPECT_EQ(first.summary, second.summary);
  EXPECT_TRUE(first.passed) << first.summary.dump(2);
}

TEST(Simulation, StreamedTraceHasTheSameLinesAndHashAndReportsProgress) {
  auto scenario = load("fork.json");
  auto whole = sim::run_scenario(scenario);
  std::string streamed;
  std::uint64_t progress_calls = 0;
  sim::RunOptions options;
  options.trace_sink = [&](std::string_view line) {
    streamed.append(line);
    streamed += '\n';
  };
  options.progress = [&](std::int64_t now_us, std::int64_t stop_us, std::uint64_t) {
    EXPECT_LE(now_us, stop_us);
    ++progress_calls;
  };
  auto result = sim::run_scenario(scenario, options);
  EXPECT_TRUE(result.trace.empty());
  EXPECT_EQ(streamed, whole.trace);
  EXPECT_EQ(result.summary["trace_sha256"], whole.summary["trace_sha256"]);
  EXPECT_EQ(whole.summary["trace_sha256"].get<std::string>(), sha256_hex(whole.trace));
  EXPECT_GT(progress_calls, 0u);
}

TEST(Simulation, TraceShowsEachTipChange) {
  auto result = sim::run_scenario(load("fork.json"));
  // Every node ends on the final tip, so each traced it last.
  const std::string final_tip = result.summary["final_tip"].get<std::string>();
  std::map<int, std::string> last_tip;
  std::istringstream lines(result.trace);
  for (std::string line; std::getline(lines, line);) {
    Json event = parse_json(line);
    if (event["event"] == "tip")
      last_tip[event["node"].get<int>()] = event["detail"]["hash"].get<std::string>();
  }
  ASSERT_EQ(last_tip.size(), 4u);
  for (const auto& [node, hash] : last_tip) EXPECT_EQ(hash, final_tip) << "node " << node;
}

TEST(Sha256Stream, PiecesHashLikeTheWhole) {
  Sha256Stream stream;
  stream.update("hello ");
  stream.update("");
  stream.update("world");
  EXPECT_EQ(stream.finish_hex(), sha256_hex("hello world"));
  EXPECT_EQ(stream.finish_hex(), sha256_hex(""));  // starts over after finish
}

TEST(Simulation, AnotherSeedGivesAnotherTrace) {
  auto scenario = load("fork.json");
  auto first = sim::run_scenario(scenario);
  scenario.seed += 1;
  auto other = sim::run_scenario(scenario);
  EXPECT_NE(first.summary["trace_sha256"], other.summary["trace_sha256"]);
}

TEST(Simulation, ForkScenarioReorganisesAndLosesNoPost) {
  auto result = sim::run_scenario(load("fork.json"));
  EXPECT_TRUE(result.summary["converged"].get<bool>());
  EXPECT_GE(result.summary["forks"].get<int>(), 1);
  EXPECT_EQ(result.summary["max_reorg_depth"].get<int>(), 1);
  EXPECT_EQ(result.summary["posts_lost"].get<int>(), 0);
  EXPECT_NE(result.trace.find("\"event\": \"reorg\""), std::string::npos);
}

TEST(Simulation, RandomPartitionsLatencyAndLossConvergeAfterHealingAcrossSeeds) {
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    sim::Rng rng(seed);
    Json timeline = Json::array();
    for (int i = 0; i < 6; ++i) {
      timeline.push_back(Json{{"at_s", i * 3},
                              {"do", "post"},
                              {"node", rng.next() % 5},
                              {"author", "u" + std::to_string(i)},
                              {"content", "post " + std::to_string(i)}});
      timeline.push_back(Json{{"at_s", i * 3 + 1}, {"do", "mine"}, {"node", rng.next() % 5}});
    }
    timeline.push_back(Json{{"at_s", 4}, {"do", "partition"}, {"groups", {{0, 1}, {2, 3, 4}}}});
    timeline.push_back(Json{{"at_s", 20}, {"do", "heal"}});
    timeline.push_back(
        Json{{"at_s", 40}, {"do", "post"}, {"node", 0}, {"author", "z"}, {"content", "last"}});
    timeline.push_back(Json{{"at_s", 41}, {"do", "mine"}, {"node", 0}});
    Json scenario{
        {"name", "sweep"},
        {"seed", seed},
        {"nodes", 5},
        {"difficulty_bits", 6},
        {"link", {{"latency_ms", {{"dist", "exponential"}, {"mean_ms", 80}}}, {"loss", 0.05}}},
        {"sync_interval_s", 3},
        {"stop_at_s", 90},
        {"timeline", timeline},
        {"expect", {{"converged", true}, {"no_post_lost", true}}}};
    auto result = sim::run_scenario(sim::load_scenario(scenario));
    EXPECT_TRUE(result.passed) << "seed " << seed << ": " << result.summary["expectations"].dump();
  }
}

TEST(Scenario, BadFieldIsNamedByJsonPath) {
  auto error_of = [](const char* text) -> std::string {
    try {
      sim::load_scenario(parse_json(text));
    } catch (const sim::ScenarioError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(error_of(R"({"nodes": 2, "stop_at_s": 1, "timeline": [{"at_s": 0, "do": "fly"}]})")
                .find("$.timeline[0].do"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"nodes": 0, "stop_at_s": 1, "timeline": []})").find("$.nodes"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"nodes": 2, "timeline": []})").find("$.stop_at_s"), std::string::npos);
  EXPECT_NE(error_of(R"({"nodes": 2, "stop_at_s": 1, "timeline": [], "link": {"loss": 2}})")
                .find("$.link.loss"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"nodes": 2, "stop_at_s": 1, "timeline": [], "bogus": 1})").find("$.bogus"),
            std::string::npos);
}

}  // namespace
