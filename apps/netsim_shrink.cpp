// netsim shrink: the command line around yournet::sim::shrink_scenario.
#include <spdlog/spdlog.h>

#include <boost/program_options.hpp>
#include <fstream>
#include <iostream>

#include "netsim_cli.hpp"
#include "yournet/sim/scenario_writer.hpp"
#include "yournet/sim/shrink.hpp"

namespace yournet::netsim {

namespace po = boost::program_options;

// netsim shrink SCENARIO [--seed N] [--out DIR] [--max-runs N]
int shrink_main(int argc, char** argv) {
  po::options_description options(
      "usage: netsim shrink SCENARIO [options]\n\nFinds a smaller scenario that fails the same "
      "expectation or invariant as SCENARIO (at its seed), writes it to OUT/shrunk.json with its "
      "report, and prints each reduction. Exit 0: shrunk; 1: SCENARIO does not fail; 2: bad "
      "input.\n\noptions");
  options.add_options()("help,h", "show this help")("seed", po::value<std::uint64_t>(),
                                                    "the failing seed (default the scenario's)")(
      "out", po::value<std::string>(), "output folder (default reports/<scenario name>-shrunk/)")(
      "max-runs", po::value<std::size_t>()->default_value(sim::kDefaultShrinkRuns),
      "at most this many candidate runs (1..1000000)")("quiet,q", "print only the result");
  po::options_description all;
  all.add(options).add_options()("scenario", po::value<std::string>());
  po::positional_options_description positional;
  positional.add("scenario", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "netsim shrink: " << e.what() << "\n" << options;
    return kExitUsage;
  }
  if (vm.count("help")) {
    std::cout << options;
    return kExitPass;
  }
  if (!vm.count("scenario")) {
    std::cerr << "netsim shrink: name a scenario file\n" << options;
    return kExitUsage;
  }
  const std::size_t max_runs = vm["max-runs"].as<std::size_t>();
  if (max_runs < 1 || max_runs > 1'000'000) {
    std::cerr << "netsim shrink: --max-runs must be between 1 and 1000000\n";
    return kExitUsage;
  }
  Invocation how;
  how.scenario_path = vm["scenario"].as<std::string>();
  how.quiet = vm.count("quiet") != 0;
  auto file = read_scenario_file(how.scenario_path);
  if (!file) return kExitUsage;
  std::optional<std::uint64_t> seed;
  if (vm.count("seed")) seed = vm["seed"].as<std::uint64_t>();
  auto loaded = load_file_for_seed(how.scenario_path, *file, seed);
  if (!loaded) return kExitUsage;
  if (refuse_foreign_nodes(loaded->scenario, how.scenario_path)) return kExitUsage;
  const sim::Scenario& original = loaded->scenario;
  how.out = vm.count("out") ? fs::path(vm["out"].as<std::string>())
                            : fs::path("reports") / (original.name + "-shrunk");
  if (how.quiet) spdlog::set_level(spdlog::level::warn);

  ProgressLine progress(!how.quiet);
  sim::ShrinkOptions shrink;
  shrink.max_runs = max_runs;
  std::size_t nodes = original.nodes.size(), actions = original.timeline.size();
  shrink.on_run = [&](std::size_t runs, std::size_t limit) {
    progress.show("shrinking: run " + std::to_string(runs) + "/" + std::to_string(limit) + ", " +
                  std::to_string(nodes) + " nodes, " + std::to_string(actions) + " actions");
  };
  shrink.on_step = [&](const sim::ShrinkStep& step) {
    nodes = step.nodes;
    actions = step.actions;
    progress.clear();
    if (!how.quiet) {
      std::cout << "  " << sim::reduction_name(step.kind) << ": " << step.what << " -> "
                << step.nodes << " nodes, " << step.actions << " actions" << std::endl;
    }
  };
  if (!how.quiet) {
    std::cout << "netsim shrink: " << original.name << " seed " << original.seed << ", "
              << original.nodes.size() << " nodes, " << original.timeline.size() << " actions"
              << std::endl;
  }
  auto result = sim::shrink_scenario(original, sim::simulate_checks, shrink);
  progress.clear();
  if (!result) {
    std::cout << "PASS " << original.name << " seed " << original.seed
              << ": it does not fail, nothing to shrink\n";
    return kExitFail;
  }
  std::error_code ec;
  fs::create_directories(how.out, ec);
  sim::Scenario shrunk = result->scenario;
  shrunk.name = original.name + "-shrunk";
  shrunk.description = "netsim shrink of " + original.name + " seed " +
                       std::to_string(original.seed) + ": still fails " +
                       sim::check_name(result->target) + ".";
  {
    std::ofstream shrunk_file(how.out / "shrunk.json");
    shrunk_file << sim::scenario_file_text(shrunk);
    if (!shrunk_file) {
      std::cerr << "netsim: cannot write " << (how.out / "shrunk.json").string() << "\n";
      return kExitUsage;
    }
  }
  Json steps = Json::array();
  for (const auto& step : result->steps) {
    steps.push_back(Json{{"reduction", sim::reduction_name(step.kind)},
                         {"what", step.what},
                         {"nodes", step.nodes},
                         {"actions", step.actions}});
  }
  if (!write_json(
          how.out, "shrink.json",
          Json{{"scenario", original.name},
               {"seed", original.seed},
               {"fails", sim::check_name(result->target)},
               {"from",
                Json{{"nodes", original.nodes.size()}, {"actions", original.timeline.size()}}},
               {"to", Json{{"nodes", shrunk.nodes.size()}, {"actions", shrunk.timeline.size()}}},
               {"runs", result->runs},
               {"budget_spent", result->budget_spent},
               {"steps", steps}})) {
    return kExitUsage;
  }
  // The shrunk scenario's own report, as plain netsim writes it, in the same folder.
  Invocation replay = how;
  replay.scenario_path = (how.out / "shrunk.json").string();
  replay.quiet = true;
  spdlog::set_level(spdlog::level::warn);
  if (run_single(shrunk, Json::object(), replay) == kExitUsage) return kExitUsage;
  std::cout << (result->steps.empty() ? "NOT SHRUNK " : "SHRUNK ") << original.name << " seed "
            << original.seed << ": " << original.nodes.size() << " nodes, "
            << original.timeline.size() << " actions -> " << shrunk.nodes.size() << " nodes, "
            << shrunk.timeline.size() << " actions, still failing "
            << sim::check_name(result->target) << " (" << result->runs << " runs"
            << (result->budget_spent ? ", --max-runs reached" : "") << "); "
            << (how.out / "shrunk.json").string() << "\n  replay: netsim "
            << shell_word((how.out / "shrunk.json").string()) << "\n";
  return kExitPass;
}

}  // namespace yournet::netsim
