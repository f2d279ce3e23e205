// Merging shard sweeps: every shard of one split of one sweep, each exactly once.
#include "yournet/sim/sweep_merge.hpp"

#include <algorithm>
#include <set>

namespace yournet::sim {

Json merge_sweeps(const std::vector<Json>& shards, const std::vector<std::string>& names) {
  if (shards.empty()) throw MergeError(MergeRefusal::missing, "no shard given");
  auto is_shard = [](const Json& sweep) {
    return sweep.is_object() && sweep.contains("shard") && sweep["shard"].is_object() &&
           sweep["shard"].contains("index") && sweep["shard"].contains("count") &&
           sweep.contains("failures") && sweep["failures"].is_array() && sweep.contains("runs") &&
           sweep.contains("passed") && sweep.contains("failed") && sweep.contains("seeds") &&
           sweep.contains("scenario_sha256");
  };
  const Json& first = shards.front();
  std::set<std::uint64_t> indices;
  std::uint64_t runs = 0, passed = 0, failed = 0;
  Json failures = Json::array();
  for (std::size_t i = 0; i < shards.size(); ++i) {
    const Json& sweep = shards[i];
    const std::string& name = names.at(i);
    if (!is_shard(sweep))
      throw MergeError(MergeRefusal::not_a_shard, name + " is not the sweep.json of a --shard run");
    if (sweep["scenario"] != first["scenario"] ||
        sweep["scenario_sha256"] != first["scenario_sha256"] ||
        sweep["check_determinism"] != first["check_determinism"]) {
      throw MergeError(MergeRefusal::different_scenario,
                       name +
                           " is a sweep of another scenario (or ranges, or determinism check) "
                           "than " +
                           names.front());
    }
    if (sweep["seeds"] != first["seeds"]) {
      throw MergeError(MergeRefusal::different_seeds,
                       name + " sweeps seeds " + sweep["seeds"].dump() + ", " + names.front() +
                           " " + first["seeds"].dump());
    }
    if (sweep["shard"]["count"] != first["shard"]["count"]) {
      throw MergeError(MergeRefusal::different_split,
                       name + " is a shard of " + sweep["shard"]["count"].dump() + ", " +
                           names.front() + " of " + first["shard"]["count"].dump());
    }
    const auto index = sweep["shard"]["index"].get<std::uint64_t>();
    if (!indices.insert(index).second) {
      throw MergeError(MergeRefusal::overlapping,
                       name + " is shard " + std::to_string(index) + " again");
    }
    runs += sweep["runs"].get<std::uint64_t>();
    passed += sweep["passed"].get<std::uint64_t>();
    failed += sweep["failed"].get<std::uint64_t>();
    for (const auto& failure : sweep["failures"]) failures.push_back(failure);
  }
  const auto count = first["shard"]["count"].get<std::uint64_t>();
  for (std::uint64_t index = 0; index < count; ++index) {
    if (!indices.count(index)) {
      throw MergeError(MergeRefusal::missing, "shard " + std::to_string(index) + " of " +
                                                  std::to_string(count) + " is missing");
    }
  }
  std::stable_sort(failures.begin(), failures.end(), [](const Json& a, const Json& b) {
    return a["seed"].get<std::uint64_t>() < b["seed"].get<std::uint64_t>();
  });
  Json merged = first;
  merged.erase("shard");
  merged["runs"] = runs;
  merged["passed"] = passed;
  merged["failed"] = failed;
  merged["failures"] = failures;
  return merged;
}

}  // namespace yournet::sim
