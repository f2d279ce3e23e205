#include "yournet/sim/mining.hpp"

#include <algorithm>
#include <cmath>

namespace yournet::sim {

ModeledMining::ModeledMining(const Scenario& scenario)
    : mean_us_(scenario.target_interval_s * 1e6), rng_(Rng::derive(scenario.seed, kMiningStream)) {
  for (const NodeSpec& node : scenario.nodes) {
    if (node.hash_rate > 0) total_hash_ += node.hash_rate;
    cumulative_hash_.push_back(total_hash_);
  }
}

std::int64_t ModeledMining::next_interval_us() {
  return static_cast<std::int64_t>(std::llround(rng_.exponential(mean_us_)));
}

int ModeledMining::draw_finder() {
  double pick = rng_.uniform() * total_hash_;
  auto it = std::upper_bound(cumulative_hash_.begin(), cumulative_hash_.end(), pick);
  return static_cast<int>(std::min<std::ptrdiff_t>(
      it - cumulative_hash_.begin(), static_cast<std::ptrdiff_t>(cumulative_hash_.size()) - 1));
}

}  // namespace yournet::sim
