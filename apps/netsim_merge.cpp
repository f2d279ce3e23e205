// netsim merge: the command line around yournet::sim::merge_sweeps.
#include <iostream>

#include "netsim_cli.hpp"
#include "yournet/sim/sweep_merge.hpp"

namespace yournet::netsim {

// netsim merge --out DIR SWEEP.json...
int merge_main(int argc, char** argv) {
  po::options_description options(
      "usage: netsim merge --out DIR SWEEP.json...\n\nCombines the sweep.json files of every shard "
      "of one sharded sweep (--seeds A..B --shard I/N) into DIR/sweep.json, as the unsplit sweep "
      "writes it. Refuses (exit 2) shards of different scenarios, ranges or seeds, and shards "
      "given "
      "twice or missing. Exit 0: every seed passed; 1: some failed.\n\noptions");
  options.add_options()("help,h", "show this help")("out", po::value<std::string>(),
                                                    "output folder (required)");
  const cli::Usage program{"netsim merge", ""};
  const auto parsed = cli::parse_command_line(
      argc, argv, program, options, {{"sweeps", po::value<std::vector<std::string>>(), -1}});
  if (parsed.exit) return *parsed.exit;
  const po::variables_map& vm = parsed.vars;
  if (!vm.count("out") || !vm.count("sweeps"))
    return cli::usage_error(program, options, "give --out DIR and the shards' sweep.json files");
  const auto names = vm["sweeps"].as<std::vector<std::string>>();
  std::vector<Json> shards;
  for (const auto& name : names) {
    auto json = read_json_file(name);
    if (!json) return kExitUsage;
    shards.push_back(std::move(*json));
  }
  Json merged;
  try {
    merged = sim::merge_sweeps(shards, names);
  } catch (const sim::MergeError& e) {
    std::cerr << "netsim merge: " << e.what() << "\n";
    return kExitUsage;
  }
  const fs::path out(vm["out"].as<std::string>());
  if (!write_json(out, "sweep.json", merged)) return kExitUsage;
  const auto failed = merged["failed"].get<std::uint64_t>();
  std::cout << (failed == 0 ? "PASS " : "FAIL ") << merged["scenario"].get<std::string>()
            << " seeds " << merged["seeds"]["from"] << ".." << merged["seeds"]["to"] << " ("
            << names.size() << " shards merged): " << merged["passed"] << " passed, " << failed
            << " failed, summary in " << (out / "sweep.json").string() << "\n";
  print_failures(merged, out / "sweep.json");
  return failed == 0 ? kExitPass : kExitFail;
}

}  // namespace yournet::netsim
