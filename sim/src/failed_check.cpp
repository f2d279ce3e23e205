// Check <-> the names summaries carry.
#include "yournet/sim/failed_check.hpp"

#include <array>

namespace yournet::sim {
namespace {
constexpr std::array kChecks = {
    Check::invariants,          Check::converged,    Check::converged_within_s,
    Check::min_forks,           Check::min_height,   Check::max_reorg_depth,
    Check::min_blocks_rejected, Check::no_post_lost, Check::run_stopped};
}  // namespace

const char* check_name(Check check) {
  switch (check) {
    case Check::invariants:
      return "invariants";
    case Check::converged:
      return "converged";
    case Check::converged_within_s:
      return "converged_within_s";
    case Check::min_forks:
      return "min_forks";
    case Check::min_height:
      return "min_height";
    case Check::max_reorg_depth:
      return "max_reorg_depth";
    case Check::min_blocks_rejected:
      return "min_blocks_rejected";
    case Check::no_post_lost:
      return "no_post_lost";
    case Check::run_stopped:
      return "run";
    case Check::determinism:
      return "determinism";
  }
  return "run";
}

std::optional<Check> check_from_name(std::string_view name) {
  for (Check check : kChecks) {
    if (name == check_name(check)) return check;
  }
  return std::nullopt;
}

std::vector<Check> failed_checks(const Json& summary) {
  std::vector<Check> failed;
  for (const auto& e : summary.at("expectations")) {
    if (e.at("passed").get<bool>()) continue;
    const auto name = e.at("name").get<std::string>();
    auto check = check_from_name(name);
    if (!check) throw JsonError("unknown expectation '" + name + "' in a summary");
    failed.push_back(*check);
  }
  return failed;
}

}  // namespace yournet::sim
