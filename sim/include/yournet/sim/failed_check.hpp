#pragma once
// What a failing run failed, as a type: an expectation of the scenario, the invariants, or the run
// itself stopping. Two runs "fail the same way" when they fail the same Check; the detail text
// (figures, times) may differ.
#include <optional>
#include <string_view>
#include <vector>

#include "yournet/json.hpp"

namespace yournet::sim {

enum class Check {
  invariants,
  converged,
  converged_within_s,
  min_forks,
  min_height,
  max_reorg_depth,
  min_blocks_rejected,
  no_post_lost,
  run_stopped,  // the run threw: not a verdict of the scenario, a fault of the program
  determinism,  // --check-determinism: two runs of one seed gave different traces
};

// The name a summary's "expectations" entry carries ("invariants", "min_height"...).
const char* check_name(Check check);
std::optional<Check> check_from_name(std::string_view name);

// The checks a run's summary reports as failed, in the summary's order (a name this build does not
// know is a summary from elsewhere: it is refused with JsonError).
std::vector<Check> failed_checks(const Json& summary);

}  // namespace yournet::sim
