// `netsim validate [DIR] [--blocks N] [--out DIR]`: runs every scenario of the folder and checks it
// against its published result (report/validation), writing a table and plots.
#include "netsim_validate.hpp"

#include <boost/program_options.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include "netsim_cli.hpp"
#include "yournet/report/validation.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace yournet::apps {
namespace {
using netsim::kExitFail;
using netsim::kExitPass;
using netsim::kExitUsage;
// A folder holds at most this many scenarios (each is a run of minutes at full size).
constexpr std::size_t kMaxScenarios = 64;
constexpr std::uint64_t kMaxBlocks = 1'000'000;
}  // namespace

int netsim_validate(int argc, char** argv) {
  po::options_description options(
      "usage: netsim validate [FOLDER] [options]\n\n"
      "Runs every *.json scenario of FOLDER (default scenarios/validation, at most 64): one with a "
      "selfish node checks the selfish miner's share of the main chain against Eyal and Sirer's "
      "R(a, g) at the g measured in the run, one without checks the stale rate against "
      "1 - e^(-d/T). Writes validation.md, selfish_revenue.svg and stale_rate.svg to --out. Exit 1 "
      "when a point's 99% interval misses the formula's band.\n\noptions");
  options.add_options()("help,h", "show this help")(
      "blocks", po::value<std::uint64_t>(),
      "mine this many blocks in every scenario instead of its max_blocks (1..1000000; a quick "
      "check, with wider intervals)")(
      "out", po::value<std::string>()->default_value("reports/validation"), "output folder");
  const cli::Usage program{"netsim validate", ""};
  const auto parsed = cli::parse_command_line(
      argc, argv, program, options,
      {{"folder", po::value<std::string>()->default_value("scenarios/validation"), 1}});
  if (parsed.exit) return *parsed.exit;
  const po::variables_map& vm = parsed.vars;
  auto usage = [&](const std::string& why) { return cli::usage_error(program, options, why); };
  report::ValidationOptions run_options;
  if (vm.count("blocks")) {
    const std::uint64_t blocks = vm["blocks"].as<std::uint64_t>();
    if (blocks < 1 || blocks > kMaxBlocks) return usage("--blocks must be 1..1000000");
    run_options.max_blocks = blocks;
  }
  const fs::path folder = vm["folder"].as<std::string>();
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return usage("no folder " + folder.string());
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) return usage("no *.json scenario in " + folder.string());
  if (files.size() > kMaxScenarios) return usage("more than 64 scenarios in " + folder.string());
  std::vector<sim::Scenario> scenarios;
  for (const auto& file : files) {
    try {
      std::ifstream in(file);
      scenarios.push_back(
          sim::load_scenario(parse_json(std::string(std::istreambuf_iterator<char>(in), {}))));
    } catch (const std::exception& e) {
      std::cerr << "netsim validate: " << file.string() << ": " << e.what() << "\n";
      return kExitUsage;
    }
    if (scenarios.back().mining != sim::MiningMode::modeled) {
      std::cerr
          << "netsim validate: " << file.string()
          << ": the formulas are about modeled mining (\"mining\": {\"mode\": \"modeled\"})\n";
      return kExitUsage;
    }
  }
  const fs::path out = vm["out"].as<std::string>();
  fs::create_directories(out, ec);
  if (!std::ofstream(out / "validation.md", std::ios::app))
    return usage("cannot write to " + out.string());
  run_options.progress = [](const std::string& line) { std::cout << line << std::endl; };
  const std::vector<report::ValidationPoint> points =
      report::run_validation(scenarios, run_options);
  std::ofstream(out / "validation.md") << report::validation_markdown(points);
  std::ofstream(out / "selfish_revenue.svg") << report::selfish_plot_svg(points);
  std::ofstream(out / "stale_rate.svg") << report::stale_plot_svg(points);
  const auto missed = std::count_if(points.begin(), points.end(),
                                    [](const report::ValidationPoint& p) { return !p.inside; });
  std::cout << (missed ? "FAIL " : "PASS ") << points.size() - static_cast<std::size_t>(missed)
            << " of " << points.size() << " points within their bands; table and plots in "
            << out.string() << "\n";
  return missed ? kExitFail : kExitPass;
}

}  // namespace yournet::apps
