#pragma once
// Shrinking a failing scenario: smaller scenarios are tried, one run each, and kept while they
// still fail the same Check. Nodes and timeline actions go by delta debugging (Zeller's ddmin);
// link faults, rates, block counts and the stop time are lowered one at a time; then everything is
// tried again until nothing more goes or the run budget is spent. Pure over the judge's results:
// every candidate is run with the scenario's seed, and a candidate tried before (the same
// scenario, byte for byte in its canonical JSON) is not run again.
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "yournet/sim/failed_check.hpp"
#include "yournet/sim/scenario.hpp"

namespace yournet::sim {

// At most this many candidate runs unless told otherwise (netsim shrink --max-runs).
constexpr std::size_t kDefaultShrinkRuns = 500;

enum class Reduction {
  drop_nodes,       // nodes removed, the others renumbered in timeline, groups, links and edges
  drop_actions,     // timeline actions removed
  drop_link_fault,  // a link override removed, or a fault of the default link reset
  lower_rate,       // a loss, duplication, reordering or flooding rate halved
  fewer_blocks,     // max_blocks halved
  shorten_stop,     // stop_at_s brought closer to the last action
};
const char* reduction_name(Reduction reduction);

// One accepted reduction and the size of the scenario after it.
struct ShrinkStep {
  Reduction kind;
  std::string what;  // "nodes 3, 5", "timeline[2] (mine)", ...
  std::size_t nodes = 0, actions = 0;
};

struct ShrinkOptions {
  std::size_t max_runs = kDefaultShrinkRuns;
  std::function<void(const ShrinkStep&)> on_step;                      // each accepted reduction
  std::function<void(std::size_t runs, std::size_t max_runs)> on_run;  // after each run
};

struct ShrinkResult {
  Scenario scenario;  // the smallest failing scenario found (the original when nothing went)
  Check target;       // what the original failed first, and the shrunk scenario still fails
  std::vector<ShrinkStep> steps;
  std::size_t runs = 0;
  bool budget_spent = false;  // stopped by max_runs, not because nothing more could go
};

// Runs a candidate and says which checks it failed.
using Judge = std::function<std::vector<Check>(const Scenario&)>;

// The judge every netsim shrink uses: the simulator, the trace thrown away.
std::vector<Check> simulate_checks(const Scenario& scenario);

// nullopt when the scenario does not fail at all.
std::optional<ShrinkResult> shrink_scenario(const Scenario& failing, const Judge& judge,
                                            const ShrinkOptions& options = {});

// The scenario without the nodes not in `keep` (sorted), renumbered; actions, groups, links and
// edges that named a removed node go too. nullopt when what is left is not a valid scenario.
std::optional<Scenario> without_nodes(const Scenario& scenario, const std::vector<int>& keep);

}  // namespace yournet::sim
