// netsim: runs a scenario file on a simulated network of real Nodes and writes a report.
// Exit 0 when every expectation holds, 1 when one fails or an invariant breaks, 2 for a bad
// scenario or usage.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include <boost/program_options.hpp>
#include <spdlog/spdlog.h>

#include "sim_report.hpp"
#include "yournet/sim/simulation.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace yournet;

int main(int argc, char** argv) {
  po::options_description options("usage: netsim SCENARIO [options]\n\noptions");
  options.add_options()("help,h", "show this help")(
      "seed", po::value<std::uint64_t>(), "override the scenario's seed")(
      "out", po::value<std::string>(), "report folder (default reports/<scenario name>/)")(
      "check-determinism", "run twice and compare the trace hashes")(
      "quiet,q", "print only the verdict");
  po::options_description hidden;
  hidden.add_options()("scenario", po::value<std::string>());
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description positional;
  positional.add("scenario", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "netsim: " << e.what() << "\n" << options;
    return 2;
  }
  if (vm.count("help")) {
    std::cout << options;
    return 0;
  }
  if (!vm.count("scenario")) {
    std::cerr << "netsim: name a scenario file\n" << options;
    return 2;
  }
  const std::string path = vm["scenario"].as<std::string>();
  sim::Scenario scenario;
  try {
    std::ifstream file(path);
    if (!file) throw sim::ScenarioError("cannot read " + path);
    scenario = sim::load_scenario(parse_json(std::string(std::istreambuf_iterator<char>(file), {})));
  } catch (const std::exception& e) {
    std::cerr << "netsim: " << path << ": " << e.what() << "\n";
    return 2;
  }
  if (vm.count("seed")) scenario.seed = vm["seed"].as<std::uint64_t>();
  if (vm.count("quiet")) spdlog::set_level(spdlog::level::warn);
  spdlog::info("seed {} (replay with --seed {})", scenario.seed, scenario.seed);

  sim::RunResult result = sim::run_scenario(scenario);
  if (vm.count("check-determinism")) {
    sim::RunResult again = sim::run_scenario(scenario);
    if (again.summary["trace_sha256"] != result.summary["trace_sha256"]) {
      std::cerr << "netsim: NOT deterministic: trace hashes differ for seed " << scenario.seed << "\n";
      return 1;
    }
    spdlog::info("deterministic: two runs gave trace {}", result.summary["trace_sha256"].get<std::string>());
  }
  fs::path out = vm.count("out") ? fs::path(vm["out"].as<std::string>()) : fs::path("reports") / scenario.name;
  std::error_code ec;
  fs::create_directories(out, ec);
  std::ofstream(out / "trace.jsonl") << result.trace;
  std::ofstream(out / "summary.json") << result.summary.dump(2) << "\n";
  std::ofstream(out / "report.html") << sim::html_report(result.summary, result.trace);
  if (!std::ofstream(out / "summary.json", std::ios::app)) {
    std::cerr << "netsim: cannot write to " << out << "\n";
    return 2;
  }
  for (const auto& expectation : result.summary["expectations"]) {
    spdlog::info("{} {}: {}", expectation["passed"].get<bool>() ? "PASS" : "FAIL",
                 expectation["name"].get<std::string>(), expectation["detail"].get<std::string>());
  }
  std::cout << (result.passed ? "PASS " : "FAIL ") << scenario.name << " seed " << scenario.seed
            << ": height " << result.summary["final_height"] << ", " << result.summary["blocks_mined"]
            << " blocks mined, " << result.summary["forks"] << " stale, report in " << out.string()
            << "\n";
  return result.passed ? 0 : 1;
}
