// The simulator's cost against chain length and against network size, measured from outside each
// `netsim` process (wall, CPU = user + system, peak resident):
//   - blocks: scenarios/mesh_blocks.json (21 honest nodes, full mesh, modeled mining, a consensus
//     round per mined block) with only the block count changed: flat cost per block means the time
//     ratio equals the block ratio;
//   - nodes: the scenarios/scale_10k.json shape (~8 peers each, 100 blocks, Pareto latency, 20
//     Mbit/s) with the node count changed and the seed set to it, so that 10,000 and 100,000 nodes
//     are scale_10k.json and scale_100k.json themselves.
// Sizes are interleaved; each runs up to --repeat times, fewer once its runs have taken --budget-s
// (the big networks), and the best run counts. Writes sim_scaling.md, sim_blocks.svg and
// sim_nodes.svg into --report-dir.
//
// Usage: sim_scaling_bench --netsim PATH --scenarios DIR --work DIR --report-dir DIR
//                          [--repeat N] [--budget-s S] [--blocks LIST] [--nodes LIST]
// LIST is comma-separated, e.g. --nodes 1000,10000,100000. Exit 2 on bad options, 1 when a run
// fails.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "bench_report.hpp"
#include "yournet/json.hpp"

using namespace yournet;
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxSizes = 12;            // sizes per sweep
constexpr long kMaxBlocks = 100'000;             // per scenario
constexpr long kMaxNodes = 1'000'000;            // per scenario
constexpr int kMaxRepeat = 50;                   // runs per size
constexpr double kStopAtSecondsPerBlock = 2400;  // mesh_blocks: 4x the 10-minute target

[[noreturn]] void usage_error(const std::string& what) {
  std::cerr << "sim_scaling_bench: " << what << "\n";
  std::exit(2);
}

long whole_number(const std::string& item, const std::string& option_name, long max) {
  char* end = nullptr;
  const long value = std::strtol(item.c_str(), &end, 10);
  if (item.empty() || *end != '\0' || value < 1 || value > max)
    usage_error("--" + option_name + ": '" + item + "' is not a whole number from 1 to " +
                std::to_string(max));
  return value;
}

std::vector<long> size_list(const std::string& text, const std::string& option_name, long max) {
  std::vector<long> sizes;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) sizes.push_back(whole_number(item, option_name, max));
  if (sizes.empty() || sizes.size() > kMaxSizes)
    usage_error("--" + option_name + ": give 1 to " + std::to_string(kMaxSizes) + " sizes");
  if (!std::is_sorted(sizes.begin(), sizes.end()) ||
      std::adjacent_find(sizes.begin(), sizes.end()) != sizes.end())
    usage_error("--" + option_name + ": sizes must be increasing");
  return sizes;
}

Json read_json(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) usage_error("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return parse_json(text.str());
}

// One size of a sweep and the best of its runs.
struct Size {
  long value = 0;
  fs::path scenario;
  fs::path out;
  int runs = 0;
  double spent_s = 0;
  double best_wall_s = 1e18, best_cpu_s = 1e18;
  long peak_resident_kb = 0;
  bool expectations_met = true;
  long long messages_sent = 0;
};

struct Sweep {
  std::string name;  // "blocks" or "nodes"
  std::vector<Size> sizes;
};

long long messages_sent(const fs::path& out) {
  const Json summary = read_json(out / "summary.json");
  const Json* messages = summary.contains("messages") ? &summary["messages"] : nullptr;
  return messages && messages->contains("sent") ? (*messages)["sent"].get<long long>() : 0;
}

// Writes the scenario of one size into `work` (named by its "name") and adds the size.
void add_size(Sweep& sweep, long value, const Json& scenario, const fs::path& work) {
  const std::string name = scenario["name"].get<std::string>();
  Size size;
  size.value = value;
  size.scenario = work / (name + ".json");
  size.out = work / name;
  std::ofstream(size.scenario) << scenario.dump(2) << "\n";
  sweep.sizes.push_back(size);
}

Sweep block_sweep(const fs::path& scenarios, const fs::path& work,
                  const std::vector<long>& counts) {
  const Json base = read_json(scenarios / "mesh_blocks.json");
  Sweep sweep{"blocks", {}};
  for (long blocks : counts) {
    Json scenario = base;
    scenario["name"] = "mesh_blocks_" + std::to_string(blocks);
    scenario["mining"]["max_blocks"] = blocks;
    scenario["expect"]["min_height"] = blocks - blocks / 100;  // a few blocks go stale in forks
    scenario["stop_at_s"] = static_cast<double>(blocks) * kStopAtSecondsPerBlock;
    add_size(sweep, blocks, scenario, work);
  }
  return sweep;
}

Sweep node_sweep(const fs::path& scenarios, const fs::path& work, const std::vector<long>& counts) {
  const Json base = read_json(scenarios / "scale_10k.json");
  Sweep sweep{"nodes", {}};
  for (long nodes : counts) {
    Json scenario = base;
    scenario["name"] = "scale_" + std::to_string(nodes);
    scenario["nodes"] = nodes;
    scenario["seed"] = nodes;
    add_size(sweep, nodes, scenario, work);
  }
  return sweep;
}

// Runs every size of the sweep, interleaved, up to `repeat` times each; a size whose runs have
// already taken `budget_s` is not run again. Returns false when netsim failed to run.
bool measure(Sweep& sweep, const std::string& netsim, int repeat, double budget_s) {
  for (int round = 0; round < repeat; ++round) {
    for (Size& size : sweep.sizes) {
      if (round > 0 && size.spent_s >= budget_s) continue;
      std::cerr << "sim_scaling_bench: " << sweep.name << " " << size.value << ", run " << round + 1
                << " of up to " << repeat << " ..." << std::flush;
      const bench::ProcessRun run = bench::run_process(
          {netsim, size.scenario.string(), "--out", size.out.string(), "--quiet"});
      std::cerr << " " << bench::fixed(run.wall_s, 2) << " s\n";
      // netsim exits 0 when the scenario's expectations hold and 1 when one fails.
      if (run.exit_status != 0 && run.exit_status != 1) {
        std::cerr << "sim_scaling_bench: netsim exited with " << run.exit_status << " on "
                  << size.scenario << "\n";
        return false;
      }
      size.expectations_met = size.expectations_met && run.exit_status == 0;
      ++size.runs;
      size.spent_s += run.wall_s;
      size.best_wall_s = std::min(size.best_wall_s, run.wall_s);
      size.best_cpu_s = std::min(size.best_cpu_s, run.cpu_s);
      size.peak_resident_kb = std::max(size.peak_resident_kb, run.peak_resident_kb);
      size.messages_sent = messages_sent(size.out);
    }
  }
  return true;
}

std::string with_commas(long long value) {
  std::string digits = std::to_string(value);
  for (int at = static_cast<int>(digits.size()) - 3; at > 0; at -= 3) digits.insert(at, ",");
  return digits;
}

// The sweep's table: each size's times, and as ratios to the first size beside the size ratio.
std::string table(const Sweep& sweep) {
  const Size& first = sweep.sizes.front();
  std::ostringstream md;
  md << "| " << sweep.name << " | vs " << with_commas(first.value)
     << " | messages sent | runs | CPU s | CPU vs " << with_commas(first.value)
     << " | wall s | wall vs " << with_commas(first.value)
     << " | peak resident MB | expectations |\n"
     << "|---|---|---|---|---|---|---|---|---|---|\n";
  for (const Size& size : sweep.sizes) {
    md << "| " << with_commas(size.value) << " | "
       << bench::fixed(static_cast<double>(size.value) / static_cast<double>(first.value), 1)
       << " | " << with_commas(size.messages_sent) << " | " << size.runs << " | "
       << bench::fixed(size.best_cpu_s, 2) << " | **"
       << bench::fixed(size.best_cpu_s / first.best_cpu_s, 2) << "** | "
       << bench::fixed(size.best_wall_s, 2) << " | "
       << bench::fixed(size.best_wall_s / first.best_wall_s, 2) << " | "
       << size.peak_resident_kb / 1024 << " | " << (size.expectations_met ? "met" : "NOT met")
       << " |\n";
  }
  return md.str();
}

// Wall and CPU seconds against the size on log-log axes, with the line of cost proportional to
// size through the first point (a sweep with flat cost per unit lies on it).
std::string plot(const Sweep& sweep, const std::string& title, const std::string& x_label,
                 const std::string& subtitle) {
  bench::Plot plot;
  plot.title = title;
  plot.subtitle = subtitle;
  plot.x_label = x_label;
  plot.y_label = "seconds (best run)";
  plot.log_x = true;
  plot.log_y = true;
  bench::PlotSeries wall{"wall", "#1f77b4", {}};
  bench::PlotSeries cpu{"CPU (user + system)", "#ff7f0e", {}};
  bench::PlotSeries linear{"proportional to " + sweep.name, "#7f7f7f", {}};
  linear.dashed = true;
  linear.markers = false;
  const Size& first = sweep.sizes.front();
  for (const Size& size : sweep.sizes) {
    const double x = static_cast<double>(size.value);
    wall.points.push_back({x, size.best_wall_s, {}, {}});
    cpu.points.push_back({x, size.best_cpu_s, {}, {}});
    linear.points.push_back({x, first.best_wall_s * x / static_cast<double>(first.value), {}, {}});
  }
  plot.series = {wall, cpu, linear};
  return bench::render_svg(plot);
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      std::cout << "usage: sim_scaling_bench --netsim PATH --scenarios DIR --work DIR --report-dir "
                   "DIR\n                         [--repeat N] [--budget-s S] [--blocks LIST] "
                   "[--nodes LIST]\n"
                   "netsim's wall and CPU time and peak memory against chain length "
                   "(mesh_blocks.json) and network size (scale_10k.json's shape); writes "
                   "sim_scaling.md, sim_blocks.svg, sim_nodes.svg.\n";
      return 0;
    }
  }
  const std::string netsim = bench::option(argc, argv, "netsim", "netsim");
  const fs::path scenarios = bench::option(argc, argv, "scenarios", "scenarios");
  const std::string work_option = bench::option(argc, argv, "work", "");
  const std::string report_option = bench::option(argc, argv, "report-dir", "");
  if (work_option.empty() || report_option.empty())
    usage_error("--work DIR and --report-dir DIR are required (see --help)");
  const fs::path work = work_option, report_dir = report_option;
  const long repeat = whole_number(bench::option(argc, argv, "repeat", "3"), "repeat", kMaxRepeat);
  const double budget_s = std::atof(bench::option(argc, argv, "budget-s", "60").c_str());
  if (!(budget_s > 0)) usage_error("--budget-s: give a positive number of seconds");
  const auto block_counts =
      size_list(bench::option(argc, argv, "blocks", "1000,2000,4000,8000"), "blocks", kMaxBlocks);
  const auto node_counts =
      size_list(bench::option(argc, argv, "nodes", "100,1000,10000"), "nodes", kMaxNodes);

  fs::create_directories(work);
  fs::create_directories(report_dir);
  Sweep blocks = block_sweep(scenarios, work, block_counts);
  Sweep nodes = node_sweep(scenarios, work, node_counts);
  const std::string load_before = bench::load_average();
  if (!measure(blocks, netsim, static_cast<int>(repeat), budget_s) ||
      !measure(nodes, netsim, static_cast<int>(repeat), budget_s))
    return 1;
  const std::string load = "before: " + load_before + "; after: " + bench::load_average();

  std::ostringstream md;
  md << "# netsim: cost against chain length and network size\n\n"
     << "`bench/sim_scaling_bench` (`cmake --build build --target run_sim_scaling_bench`), Release "
        "build, each size up to "
     << repeat << " runs (fewer once its runs took " << bench::fixed(budget_s, 0)
     << " s), sizes interleaved, best run. Machine " << load
     << ": CPU seconds are what other load disturbs least; compare ratios within a table.\n\n"
     << "## Against chain length\n\n"
     << "`scenarios/mesh_blocks.json` (21 honest nodes, full mesh, modeled mining; each mined "
        "block's consensus round fetches all 20 peers' chains before it is announced, as the "
        "tutorial's `/mine`) with only the block count changed. Flat cost per block: the time "
        "ratio equals the block ratio (the dashed line).\n\n"
     << "![netsim seconds against blocks](sim_blocks.svg)\n\n"
     << table(blocks) << "\n"
     << "## Against network size\n\n"
     << "The `scenarios/scale_10k.json` shape (about 8 peers each in a random graph, modeled "
        "mining of 100 blocks at 10 minutes, Pareto latency, 20 Mbit/s links) with the node count "
        "changed and the seed set to it: 10,000 and 100,000 nodes are `scale_10k.json` and "
        "`scale_100k.json`.\n\n"
     << "![netsim seconds against nodes](sim_nodes.svg)\n\n"
     << table(nodes);
  std::ofstream(report_dir / "sim_scaling.md") << md.str();
  const std::string subtitle = "best of up to " + std::to_string(repeat) +
                               " runs, sizes interleaved; machine load in sim_scaling.md";
  std::ofstream(report_dir / "sim_blocks.svg")
      << plot(blocks, "netsim: seconds against chain length (mesh_blocks, 21 nodes)",
              "blocks mined", subtitle);
  std::ofstream(report_dir / "sim_nodes.svg")
      << plot(nodes, "netsim: seconds against network size (scale_10k shape, 100 blocks)", "nodes",
              subtitle);
  std::cout << md.str();
  return 0;
}
