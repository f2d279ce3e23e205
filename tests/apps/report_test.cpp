// The report builder on hand-made traces: figures it computes, escaping, forks in the SVG.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "yournet/report/run_report.hpp"
#include "yournet/sim/simulation.hpp"

using namespace yournet;
using sim::ReportBuilder;

namespace {

std::string line(std::int64_t t_us, int node, const std::string& event,
                 const Json& detail = Json()) {
  Json j{{"t_us", t_us}, {"node", node}, {"event", event}};
  if (!detail.is_null()) j["detail"] = detail;
  return canonical(j);
}

std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

Json summary_with_main_chain(const std::vector<std::string>& chain) {
  return Json{{"scenario", "hand"},
              {"seed", 7},
              {"passed", true},
              {"main_chain", chain},
              {"simulated_seconds", 10.0},
              {"expectations", Json::array()}};
}

}  // namespace

TEST(DelayStats, NearestRankPercentiles) {
  std::vector<std::int64_t> values;
  for (int i = 100; i >= 1; --i) values.push_back(i * 10);  // 10..1000, unsorted
  auto stats = sim::delay_stats(values);
  EXPECT_EQ(stats.count, 100u);
  EXPECT_EQ(stats.p50, 500);
  EXPECT_EQ(stats.p90, 900);
  EXPECT_EQ(stats.p99, 990);
  EXPECT_EQ(stats.max, 1000);

  auto three = sim::delay_stats({30, 10, 20});
  EXPECT_EQ(three.p50, 20);  // rank ceil(1.5) = 2
  EXPECT_EQ(three.p90, 30);
  EXPECT_EQ(three.max, 30);

  auto none = sim::delay_stats({});
  EXPECT_EQ(none.count, 0u);
  EXPECT_EQ(none.max, 0);
}

TEST(ReportBuilder, PropagationDelaysFromMinedToEachOtherNodesAcceptance) {
  ReportBuilder builder;
  builder.add_line(line(0, -1, "start", Json{{"nodes", 4}}));
  builder.add_line(
      line(1000, 0, "mined", Json{{"hash", "b1"}, {"index", 1}, {"previous_hash", "g"}}));
  builder.add_line(
      line(1000, 0, "block_accepted", Json{{"hash", "b1"}, {"index", 1}, {"main", true}}));
  builder.add_line(
      line(3000, 1, "block_accepted", Json{{"hash", "b1"}, {"index", 1}, {"main", true}}));
  builder.add_line(
      line(5000, 2, "block_accepted", Json{{"hash", "b1"}, {"index", 1}, {"main", true}}));
  // Node 1 accepting again (after a restart, say) is not a second delivery.
  builder.add_line(
      line(9000, 1, "block_accepted", Json{{"hash", "b1"}, {"index", 1}, {"main", true}}));
  builder.add_line(
      line(11000, 3, "block_accepted", Json{{"hash", "b1"}, {"index", 1}, {"main", true}}));

  ASSERT_EQ(builder.blocks().size(), 1u);
  EXPECT_EQ(builder.blocks()[0].delays_us, (std::vector<std::int64_t>{2000, 4000, 10000}));
  auto stats = builder.propagation();
  EXPECT_EQ(stats.count, 3u);  // the miner itself is not counted
  EXPECT_EQ(stats.p50, 4000);
  EXPECT_EQ(stats.max, 10000);
  std::string html = builder.html(summary_with_main_chain({"g", "b1"}));
  EXPECT_NE(html.find("4.0 ms"), std::string::npos);
  EXPECT_NE(html.find("10.0 ms"), std::string::npos);
  EXPECT_NE(html.find("3 / 3"), std::string::npos);  // nodes reached
  // Reached every node: the whole-network row has this one block, 10 ms.
  EXPECT_NE(html.find("<tr><th>whole network</th><td class='n'>1</td><td class='n'>10.0 ms"),
            std::string::npos);
}

TEST(ReportBuilder, CountsMessagesByRouteAndReorgDepths) {
  ReportBuilder builder;
  builder.add_line(line(1, 0, "send", Json{{"to", 1}, {"route", "/add_block"}}));
  builder.add_line(line(1, 0, "send", Json{{"to", 2}, {"route", "/add_block"}}));
  builder.add_line(line(1, 0, "drop", Json{{"to", 2}, {"route", "/add_block"}}));
  builder.add_line(line(2, 1, "deliver", Json{{"from", 0}, {"route", "/add_block"}}));
  builder.add_line(line(3, 1, "send", Json{{"to", 0}, {"route", "/chain"}}));
  builder.add_line(line(4, 1, "reorg", Json{{"depth", 1}}));
  builder.add_line(line(5, 2, "reorg", Json{{"depth", 1}}));
  builder.add_line(line(6, 2, "reorg", Json{{"depth", 3}}));

  const auto& messages = builder.messages();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages.at("/add_block").sent, 2u);
  EXPECT_EQ(messages.at("/add_block").delivered, 1u);
  EXPECT_EQ(messages.at("/add_block").dropped, 1u);
  EXPECT_EQ(messages.at("/chain").sent, 1u);
  EXPECT_EQ(builder.reorg_depths(), (std::map<std::uint64_t, std::uint64_t>{{1, 2}, {3, 1}}));
  EXPECT_EQ(builder.event_counts().at("send"), 3u);
  std::string html = builder.html(summary_with_main_chain({"g"}));
  EXPECT_NE(html.find("3 reorgs"), std::string::npos);
  EXPECT_EQ(occurrences(html, "class='reorg-bar'"), 2u);
  EXPECT_NE(html.find("50.0"), std::string::npos);  // half the /add_block sends dropped
}

TEST(ReportBuilder, ForkShowsAsStaleBlockInTheTree) {
  ReportBuilder builder;
  builder.add_line(line(0, -1, "start", Json{{"nodes", 2}}));
  builder.add_line(line(10, 0, "mined",
                        Json{{"hash", "aaaaaa11"}, {"index", 1}, {"previous_hash", "genesis0"}}));
  builder.add_line(line(12, 1, "mined",
                        Json{{"hash", "bbbbbb22"}, {"index", 1}, {"previous_hash", "genesis0"}}));
  builder.add_line(line(20, 0, "mined",
                        Json{{"hash", "cccccc33"}, {"index", 2}, {"previous_hash", "aaaaaa11"}}));
  std::string html = builder.html(summary_with_main_chain({"genesis0", "aaaaaa11", "cccccc33"}));
  EXPECT_EQ(occurrences(html, "<g class='main'>"), 3u);  // genesis and two main blocks
  EXPECT_EQ(occurrences(html, "<g class='stale'>"), 1u);
  EXPECT_NE(html.find("bbbbbb n1"), std::string::npos);  // the stale block, labelled with its miner
  // Stale block drawn on a row below the main chain, at height 1.
  EXPECT_NE(html.find("<rect x='160' y='90'"), std::string::npos);
}

TEST(ReportBuilder, EscapesEveryTextFromTheTrace) {
  ReportBuilder builder;
  builder.add_line(line(0, -1, "<script>alert(1)</script>"));
  builder.add_line(line(1, 0, "send", Json{{"to", 1}, {"route", "/x?a='<b>'&c=\"d\""}}));
  builder.add_line(
      line(2, 0, "mined", Json{{"hash", "<img src=x>"}, {"index", 1}, {"previous_hash", "g"}}));
  Json summary = summary_with_main_chain({"g"});
  summary["scenario"] = "<evil name>";
  summary["expectations"] =
      Json::array({Json{{"name", "n<1>"}, {"passed", false}, {"detail", "a & b"}}});
  std::string html = builder.html(summary);
  // The time control's own two scripts (its data and its code) and no other: what the trace said
  // is in the data with every '<' escaped.
  EXPECT_EQ(occurrences(html, "<script"), 2u);
  EXPECT_EQ(occurrences(html, "</script>"), 2u);
  EXPECT_NE(html.find("\\u003cimg src=x>"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_EQ(html.find("<evil"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(html.find("/x?a=&#39;&lt;b&gt;&#39;&amp;c=&quot;d&quot;"), std::string::npos);
  EXPECT_NE(html.find("a &amp; b"), std::string::npos);
  EXPECT_EQ(sim::html_escape("<'&\">"), "&lt;&#39;&amp;&quot;&gt;");
}

TEST(ReportBuilder, UnreadableLinesAreCountedNotThrown) {
  ReportBuilder builder;
  builder.add_line("{not json");
  builder.add_line("[1,2]");
  builder.add_line("");
  builder.add_line(line(1, 0, "send", Json{{"to", 1}, {"route", "/chain"}}));
  EXPECT_EQ(builder.unreadable_lines(), 2u);
  std::string html = builder.html(Json::object());  // a summary with nothing in it still renders
  EXPECT_NE(html.find("2 trace lines could not be read"), std::string::npos);
  EXPECT_NE(html.find("FAIL"), std::string::npos);
}

TEST(ReportBuilder, TipLinesPerNodeForSmallRuns) {
  ReportBuilder builder;
  builder.add_line(line(0, -1, "start", Json{{"nodes", 3}}));
  builder.add_line(line(1'000'000, 0, "tip", Json{{"hash", "a"}, {"height", 1}}));
  builder.add_line(line(2'000'000, 1, "tip", Json{{"hash", "a"}, {"height", 1}}));
  builder.add_line(line(3'000'000, 0, "tip", Json{{"hash", "b"}, {"height", 2}}));
  builder.add_line(line(4'000'000, -1, "partition", Json{{"groups", {{0}, {1, 2}}}}));
  EXPECT_EQ(builder.node_count(), 3);
  const auto& lines = builder.tip_lines();
  ASSERT_EQ(lines.at(0).size(), 2u);
  EXPECT_EQ(lines.at(0)[1], (std::pair<std::int64_t, std::uint64_t>{3'000'000, 2}));
  EXPECT_EQ(lines.count(2), 0u);  // never moved
  std::string html = builder.html(summary_with_main_chain({"g"}));
  EXPECT_EQ(occurrences(html, "class='node-line'"), 3u);
  EXPECT_EQ(occurrences(html, "class='marker'"), 1u);
  EXPECT_EQ(html.find("class='band'"), std::string::npos);
}

TEST(ReportBuilder, ManyNodesGetMinMedianMaxBands) {
  ReportBuilder builder;
  const int nodes = 101;
  builder.add_line(line(0, -1, "start", Json{{"nodes", nodes}}));
  // At 1 s, 60 nodes reach height 1; at 2 s, 10 of them reach height 2.
  for (int i = 0; i < 60; ++i)
    builder.add_line(line(1'000'000, i, "tip", Json{{"hash", "a"}, {"height", 1}}));
  for (int i = 0; i < 10; ++i)
    builder.add_line(line(2'000'000, i, "tip", Json{{"hash", "b"}, {"height", 2}}));
  builder.add_line(line(3'000'000, -1, "stop"));
  auto samples = builder.tip_samples();
  ASSERT_GE(samples.size(), 3u);
  EXPECT_LE(samples.size(), 520u);  // buckets merged as the run grew
  const auto& last = samples.back();
  EXPECT_EQ(last.min, 0u);
  EXPECT_EQ(last.median, 1u);  // 41 at 0, 50 at 1, 10 at 2: the 51st node is at height 1
  EXPECT_EQ(last.max, 2u);
  // A sample between 1 s and 2 s sees nobody at height 2 yet.
  bool saw_middle = false;
  for (const auto& s : samples) {
    EXPECT_TRUE(s.min <= s.median && s.median <= s.max);
    if (s.t_us > 1'000'000 && s.t_us <= 2'000'000) {
      EXPECT_EQ(s.max, 1u);
      saw_middle = true;
    }
  }
  EXPECT_TRUE(saw_middle);
  EXPECT_TRUE(builder.tip_lines().empty());
  std::string html = builder.html(summary_with_main_chain({"g"}));
  EXPECT_NE(html.find("class='band'"), std::string::npos);
  EXPECT_NE(html.find("class='median'"), std::string::npos);
  EXPECT_EQ(html.find("class='node-line'"), std::string::npos);
}

TEST(ReportBuilder, ReadsAStreamLineByLine) {
  std::stringstream trace;
  trace << line(0, -1, "start", Json{{"nodes", 2}}) << "\n"
        << line(5, 0, "mined", Json{{"hash", "h1"}, {"index", 1}, {"previous_hash", "g"}}) << "\r\n"
        << line(9, 1, "block_accepted", Json{{"hash", "h1"}, {"index", 1}, {"main", true}}) << "\n";
  std::string html = sim::html_report(summary_with_main_chain({"g", "h1"}), trace);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_EQ(html.find("could not be read"), std::string::npos);
}

TEST(ReportBuilder, MessageLinesCountTheSameWhateverTheirLayout) {
  // Canonical lines take a fast path; any other layout of the same JSON goes through the parser.
  ReportBuilder canonical_lines, compact_lines;
  canonical_lines.add_line(line(5, 0, "send", Json{{"to", 1}, {"route", "/chain"}}));
  canonical_lines.add_line(line(6, 1, "deliver", Json{{"from", 0}, {"route", "/chain"}}));
  canonical_lines.add_line(
      line(7, 1, "drop", Json{{"to", 0}, {"route", "response"}, {"error", "\"route\": \"x\""}}));
  compact_lines.add_line(
      R"({"detail":{"route":"/chain","to":1},"event":"send","node":0,"t_us":5})");
  compact_lines.add_line(
      R"({"t_us":6,"node":1,"event":"deliver","detail":{"from":0,"route":"/chain"}})");
  compact_lines.add_line(
      R"({"detail":{"error":"\"route\": \"x\"","route":"response","to":0},"event":"drop","node":1,"t_us":7})");
  for (const ReportBuilder* builder : {&canonical_lines, &compact_lines}) {
    ASSERT_EQ(builder->messages().size(), 2u);
    EXPECT_EQ(builder->messages().at("/chain").sent, 1u);
    EXPECT_EQ(builder->messages().at("/chain").delivered, 1u);
    EXPECT_EQ(builder->messages().at("response").dropped, 1u);
    EXPECT_EQ(builder->node_count(), 2);
    EXPECT_EQ(builder->unreadable_lines(), 0u);
  }
  EXPECT_EQ(canonical_lines.event_counts(), compact_lines.event_counts());
}

TEST(ReportBuilder, AbsurdNumbersAreRefusedNotAllocatedFor) {
  ReportBuilder builder;
  builder.add_line(line(1, 2'000'000'000, "send", Json{{"to", 1}, {"route", "/chain"}}));
  builder.add_line(line(1, 0, "tip", Json{{"hash", "h"}, {"height", 4'000'000'000'000LL}}));
  builder.add_line(line(1, 0, "mined", Json{{"hash", "h"}, {"index", -5}, {"previous_hash", "g"}}));
  builder.add_line(line(INT64_MAX, 0, "heal"));
  builder.add_line(line(-7, 0, "heal"));
  EXPECT_EQ(builder.unreadable_lines(), 5u);
  EXPECT_EQ(builder.node_count(), 0);
  EXPECT_TRUE(builder.blocks().empty());
  builder.add_line(line(2, 1, "tip", Json{{"hash", "h"}, {"height", 3}}));
  EXPECT_EQ(builder.tip_samples().back().max, 3u);
}

TEST(ReportBuilder, FastAndGeneralReadersAgreeOnARealRun) {
  // The fork scenario's own trace, once as written (canonical: fast path for most lines) and once
  // re-serialised compactly (every line through the general parser): the same figures.
  std::ifstream file(std::string(YOURNET_SOURCE_DIR) + "/scenarios/fork.json");
  ASSERT_TRUE(file);
  auto scenario =
      sim::load_scenario(parse_json(std::string(std::istreambuf_iterator<char>(file), {})));
  auto result = sim::run_scenario(scenario);
  ReportBuilder fast, general;
  std::istringstream lines(result.trace);
  for (std::string text; std::getline(lines, text);) {
    fast.add_line(text);
    general.add_line(parse_json(text).dump());
  }
  EXPECT_EQ(fast.unreadable_lines(), 0u);
  EXPECT_EQ(general.unreadable_lines(), 0u);
  EXPECT_EQ(fast.event_counts(), general.event_counts());
  EXPECT_GT(fast.event_counts().at("tip"), 0u);
  ASSERT_EQ(fast.blocks().size(), general.blocks().size());
  for (std::size_t i = 0; i < fast.blocks().size(); ++i) {
    EXPECT_EQ(fast.blocks()[i].delays_us, general.blocks()[i].delays_us);
  }
  EXPECT_EQ(fast.tip_lines(), general.tip_lines());
  EXPECT_EQ(fast.reorg_depths(), general.reorg_depths());
  ASSERT_EQ(fast.messages().size(), general.messages().size());
  for (const auto& [route, m] : fast.messages()) {
    EXPECT_EQ(m.sent, general.messages().at(route).sent) << route;
    EXPECT_EQ(m.delivered, general.messages().at(route).delivered) << route;
    EXPECT_EQ(m.dropped, general.messages().at(route).dropped) << route;
  }
  EXPECT_EQ(fast.html(result.summary), general.html(result.summary));
  EXPECT_GT(fast.propagation().count, 0u);
}

TEST(ReportBuilder, BandKeepsExtremesBetweenSamples) {
  // Node 0 is at height 5 for a microsecond, long before the end: however wide the buckets grow,
  // the band's top still reaches 5 around that moment, and its bottom 0 where nodes lagged.
  ReportBuilder builder;
  builder.add_line(line(0, -1, "start", Json{{"nodes", 30}}));
  for (int i = 0; i < 30; ++i)
    builder.add_line(line(1'000'000, i, "tip", Json{{"hash", "a"}, {"height", 1}}));
  builder.add_line(line(1'500'000, 0, "tip", Json{{"hash", "b"}, {"height", 5}}));
  builder.add_line(line(1'500'001, 0, "tip", Json{{"hash", "a"}, {"height", 1}}));
  builder.add_line(line(3'600'000'000, -1, "stop"));
  auto samples = builder.tip_samples();
  ASSERT_LE(samples.size(), 520u);
  std::uint64_t highest = 0;
  for (const auto& s : samples) highest = std::max(highest, s.max);
  EXPECT_EQ(highest, 5u);
  EXPECT_EQ(samples.back().max, 1u);
  EXPECT_EQ(samples.back().min, 1u);
  EXPECT_EQ(samples[1].min, 0u);  // the first bucket saw nodes still at genesis
}

TEST(ReportBuilder, MinimalTraceDrawsTheMainChainByMiningTime) {
  ReportBuilder builder;
  builder.add_line(line(0, -1, "start", Json{{"nodes", 10000}}));
  builder.add_line(
      line(600'000'000, 17, "mined", Json{{"hash", "m1"}, {"index", 1}, {"previous_hash", "g"}}));
  builder.add_line(
      line(700'000'000, 4, "mined", Json{{"hash", "s1"}, {"index", 1}, {"previous_hash", "g"}}));
  builder.add_line(line(1'200'000'000, 99, "mined",
                        Json{{"hash", "m2"}, {"index", 2}, {"previous_hash", "m1"}}));
  std::string html = builder.html(summary_with_main_chain({"g", "m1", "m2"}));
  EXPECT_EQ(occurrences(html, "class='chain-line'"), 1u);
  EXPECT_EQ(html.find("class='band'"), std::string::npos);
  EXPECT_NE(html.find("trace detail <code>minimal</code>): the line"), std::string::npos);
  EXPECT_NE(html.find("This trace has no block acceptances"), std::string::npos);
}

TEST(ReportBuilder, TimeControlCarriesTheTraceEventsAndTheirNodes) {
  ReportBuilder builder;
  builder.add_line(line(0, -1, "start", Json{{"nodes", 3}}));
  builder.add_line(
      line(1000, 0, "mined",
           Json{{"hash", "b1"}, {"index", 1}, {"previous_hash", "g"}, {"posts", {"p1"}}}));
  builder.add_line(line(1500, 0, "send", Json{{"to", 2}, {"route", "/add_block"}, {"bytes", 9}}));
  builder.add_line(line(2000, 2, "deliver", Json{{"from", 0}, {"route", "/add_block"}}));
  builder.add_line(line(2500, 1, "post_accepted", Json{{"id", "p1"}}));
  builder.add_line(line(3000, -1, "partition", Json{{"groups", {{0}, {1, 2}}}}));
  builder.add_line(
      line(3500, -1, "set_link", Json{{"from", 1}, {"to", 2}, {"one_way", true}, {"up", false}}));
  builder.add_line(line(4000, 2, "crash"));
  builder.add_line(line(4500, 1, "tip", Json{{"hash", "b1"}, {"height", 1}}));
  const std::string html = builder.html(summary_with_main_chain({"g", "b1"}));
  const auto from = html.find("<script type='application/json' id='tv-data'>");
  ASSERT_NE(from, std::string::npos);
  const auto begin = html.find('>', from) + 1;
  const Json data = parse_json(html.substr(begin, html.find("</script>", begin) - begin));
  EXPECT_EQ(data["nodes"], 3);
  // [hash prefix, parent (-1: genesis), height, miner, mined at, on the final main chain, posts]
  EXPECT_EQ(data["blocks"], Json::parse(R"([["b1", -1, 1, 0, 1000, 1, [0]]])"));
  EXPECT_EQ(data["groups"], Json::parse("[[[0], [1, 2]]]"));
  using K = sim::TimeView::Kind;
  auto event = [](std::int64_t t, K kind, std::int64_t a, std::int64_t b = 0, std::int64_t c = 0,
                  std::int64_t d = 0) {
    return Json::array({t, static_cast<int>(kind), a, b, c, d});
  };
  EXPECT_EQ(data["events"], Json::array({event(1500, K::send, 0, 2), event(2000, K::deliver, 0, 2),
                                         event(2500, K::post, 1, 0), event(3000, K::partition, 0),
                                         event(3500, K::set_link, 1, 2, 0, 1),
                                         event(4000, K::crash, 2), event(4500, K::tip, 1, 0, 1)}));
  EXPECT_NE(html.find("<input type='range' id='tv-time'"), std::string::npos);
  EXPECT_NE(html.find("id='tip-cursor'"), std::string::npos);
}

TEST(ReportBuilder, PropagationFromTheSummaryShowsWhateverTheTrace) {
  ReportBuilder builder;  // a "minimal" trace: no acceptances at all
  builder.add_line(line(0, -1, "start", Json{{"nodes", 100}}));
  Json summary = summary_with_main_chain({"g"});
  summary["stale_rate"] = 0.0125;
  auto row = [](double p50) {
    return Json{{"blocks", 10},      {"p50_ms", p50},     {"p90_ms", p50 * 2},
                {"p99_ms", p50 * 3}, {"max_ms", p50 * 4}, {"cdf_ms", {0.0, p50, p50 * 4}}};
  };
  summary["propagation"] = Json{{"blocks", 10},
                                {"not_followed", 0},
                                {"mean_delay_ms", 123.4},
                                {"to_50_percent", row(100)},
                                {"to_90_percent", row(200)},
                                {"to_100_percent", row(300)}};
  Json by_miner = Json::object();
  for (int i = 0; i < 40; ++i) by_miner[std::to_string(i)] = i == 7 ? 99 : 1;
  summary["main_chain_by_miner"] = by_miner;
  const std::string html = builder.html(summary);
  EXPECT_NE(html.find("<tr><th>50%</th><td class='n'>10</td><td class='n'>100.0 ms</td>"),
            std::string::npos);
  EXPECT_NE(html.find("<tr><th>100%</th><td class='n'>10</td><td class='n'>300.0 ms</td>"),
            std::string::npos);
  EXPECT_EQ(occurrences(html, "class='cdf-run'"), 3u);
  EXPECT_NE(html.find("123.4 ms after its mining"), std::string::npos);
  EXPECT_NE(html.find("Stale rate: 1.25%"), std::string::npos);
  // 40 miners are summarised, the largest first; the whole list is behind a disclosure.
  EXPECT_NE(html.find("40 entries; largest: 7: 99, "), std::string::npos);
  EXPECT_EQ(html.find(by_miner.dump()), std::string::npos);
}
