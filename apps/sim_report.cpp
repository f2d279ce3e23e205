#include "sim_report.hpp"

#include <map>
#include <set>
#include <sstream>
#include <vector>

namespace yournet::sim {
namespace {

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

struct MinedBlock {
  std::string hash, parent;
  std::uint64_t index = 0;
  int miner = -1;
  std::int64_t t_us = 0;
};

}  // namespace

std::string html_report(const Json& summary, const std::string& trace_jsonl) {
  std::vector<MinedBlock> blocks;
  std::map<std::string, std::uint64_t> counts;
  std::istringstream lines(trace_jsonl);
  for (std::string line; std::getline(lines, line);) {
    Json event = parse_json(line);
    const std::string kind = event["event"].get<std::string>();
    counts[kind]++;
    if (kind == "mined") {
      const Json& d = event["detail"];
      blocks.push_back(MinedBlock{d["hash"].get<std::string>(), d["previous_hash"].get<std::string>(),
                                  d["index"].get<std::uint64_t>(), event["node"].get<int>(),
                                  event["t_us"].get<std::int64_t>()});
    }
  }
  std::set<std::string> main_chain;
  for (const auto& hash : summary["main_chain"]) main_chain.insert(hash.get<std::string>());

  // Block tree: x by height, one row per block at that height (main chain on row 0).
  std::map<std::uint64_t, int> rows_used;
  std::map<std::string, std::pair<int, int>> position;  // hash -> (x, y)
  const int dx = 120, dy = 60, left = 40, top = 30;
  position[summary["main_chain"][0].get<std::string>()] = {left, top};
  for (const auto& b : blocks) {
    if (main_chain.count(b.hash)) {
      position[b.hash] = {left + static_cast<int>(b.index) * dx, top};
      rows_used[b.index] = std::max(rows_used[b.index], 1);
    }
  }
  for (const auto& b : blocks) {
    if (main_chain.count(b.hash)) continue;
    int row = std::max(rows_used[b.index], 1);
    rows_used[b.index] = row + 1;
    position[b.hash] = {left + static_cast<int>(b.index) * dx, top + row * dy};
  }
  int width = left * 2, height = top * 2 + dy;
  for (const auto& [hash, xy] : position) {
    width = std::max(width, xy.first + dx);
    height = std::max(height, xy.second + dy);
  }
  std::ostringstream svg;
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << width << "' height='" << height << "'>";
  for (const auto& b : blocks) {
    auto from = position.find(b.parent);
    if (from == position.end()) continue;
    auto to = position[b.hash];
    svg << "<line x1='" << from->second.first + 40 << "' y1='" << from->second.second + 15 << "' x2='"
        << to.first << "' y2='" << to.second + 15 << "' stroke='#888'/>";
  }
  for (const auto& [hash, xy] : position) {
    bool on_main = main_chain.count(hash) != 0;
    int miner = -1;
    for (const auto& b : blocks) {
      if (b.hash == hash) miner = b.miner;
    }
    svg << "<g><title>" << escape(hash) << (miner >= 0 ? " mined by node " + std::to_string(miner) : " genesis")
        << "</title><rect x='" << xy.first << "' y='" << xy.second << "' width='80' height='30' rx='4' fill='"
        << (on_main ? "#2b7a3d" : "#b0413e") << "'/><text x='" << xy.first + 40 << "' y='" << xy.second + 19
        << "' fill='white' font-size='11' text-anchor='middle'>" << escape(hash.substr(0, 6))
        << (miner >= 0 ? " n" + std::to_string(miner) : "") << "</text></g>";
  }
  svg << "</svg>";

  std::ostringstream html;
  html << "<!doctype html><html><head><meta charset='utf-8'><title>netsim: " << escape(summary["scenario"].get<std::string>())
       << "</title><style>body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}"
          "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}.pass{color:#2b7a3d}.fail{color:#b0413e}"
          ".tree{overflow-x:auto;border:1px solid #ddd;padding:.5em}</style></head><body>";
  html << "<h1>" << escape(summary["scenario"].get<std::string>()) << " — seed " << summary["seed"] << " — "
       << (summary["passed"].get<bool>() ? "<span class='pass'>PASS</span>" : "<span class='fail'>FAIL</span>") << "</h1>";
  html << "<h2>Expectations</h2><table><tr><th>check</th><th>verdict</th><th>why</th></tr>";
  for (const auto& e : summary["expectations"]) {
    bool ok = e["passed"].get<bool>();
    html << "<tr><td>" << escape(e["name"].get<std::string>()) << "</td><td class='" << (ok ? "pass'>pass" : "fail'>fail")
         << "</td><td>" << escape(e["detail"].get<std::string>()) << "</td></tr>";
  }
  html << "</table><h2>Block tree</h2><p>Green: the final main chain; red: stale blocks. Labels: hash prefix and miner node.</p><div class='tree'>"
       << svg.str() << "</div><h2>Run</h2><table>";
  for (const char* key : {"nodes", "simulated_seconds", "events", "blocks_mined", "forks", "max_reorg_depth", "converged",
                          "final_height", "final_tip", "posts_submitted", "posts_in_chain", "posts_lost", "trace_sha256"}) {
    html << "<tr><th>" << key << "</th><td>" << escape(summary[key].dump()) << "</td></tr>";
  }
  html << "</table><h2>Events by kind</h2><table>";
  for (const auto& [kind, count] : counts) html << "<tr><th>" << escape(kind) << "</th><td>" << count << "</td></tr>";
  html << "</table></body></html>\n";
  return html.str();
}

}  // namespace yournet::sim
