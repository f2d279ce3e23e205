#include "yournet/sim/propagation.hpp"

#include <algorithm>
#include <cmath>

namespace yournet::sim {

std::int64_t quantile(const std::vector<std::int64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  // Nearest rank: the smallest value with at least q of the values at or below it.
  auto k = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(k, 1, sorted.size()) - 1];
}

DelayStats delay_stats(std::vector<std::int64_t> values) {
  DelayStats stats;
  if (values.empty()) return stats;
  std::sort(values.begin(), values.end());
  stats.count = values.size();
  stats.p50 = quantile(values, 0.50);
  stats.p90 = quantile(values, 0.90);
  stats.p99 = quantile(values, 0.99);
  stats.max = values.back();
  return stats;
}

void PropagationTracker::mined(const std::string& hash, int miner, std::int64_t t_us,
                               const std::vector<bool>& up) {
  if (index_.count(hash)) return;
  if (blocks_.size() >= kMaxBlocks) {
    ++not_followed_;
    return;
  }
  Spread spread;
  spread.mined_us = t_us;
  spread.waiting = up;
  spread.nodes = static_cast<std::uint32_t>(std::count(up.begin(), up.end(), true));
  const auto self = static_cast<std::size_t>(miner);
  if (self < spread.waiting.size() && spread.waiting[self]) {
    spread.waiting[self] = false;
  } else {
    ++spread.nodes;  // a miner not counted as up (a remote node between polls) still has it
  }
  index_.emplace(hash, blocks_.size());
  blocks_.push_back(std::move(spread));
  reach(blocks_.back(), t_us);
}

void PropagationTracker::accepted(const std::string& hash, int node, std::int64_t t_us) {
  auto found = index_.find(hash);
  if (found == index_.end()) return;
  Spread& spread = blocks_[found->second];
  const auto at = static_cast<std::size_t>(node);
  if (node < 0 || at >= spread.waiting.size() || !spread.waiting[at]) return;
  spread.waiting[at] = false;
  reach(spread, t_us);
}

// One more node has the block: note the thresholds it crosses.
void PropagationTracker::reach(Spread& spread, std::int64_t t_us) {
  ++spread.reached;
  const std::int64_t delay = t_us - spread.mined_us;
  delay_sum_us_ += static_cast<double>(delay);
  ++delay_count_;
  const std::uint64_t reached = spread.reached, nodes = spread.nodes;
  if (spread.to_50_us < 0 && reached * 2 >= nodes) spread.to_50_us = delay;
  if (spread.to_90_us < 0 && reached * 10 >= nodes * 9) spread.to_90_us = delay;
  if (spread.to_100_us < 0 && reached >= nodes) {
    spread.to_100_us = delay;
    spread.waiting = {};  // nobody left to wait for
  }
}

namespace {

double ms(std::int64_t us) {
  return static_cast<double>(us) / 1000.0;
}

Json threshold_summary(std::vector<std::int64_t> delays) {
  std::sort(delays.begin(), delays.end());
  const DelayStats stats = delay_stats(delays);
  Json cdf = Json::array();
  for (int i = 0; i < PropagationTracker::kCdfPoints && !delays.empty(); ++i)
    cdf.push_back(
        ms(quantile(delays, i / static_cast<double>(PropagationTracker::kCdfPoints - 1))));
  return Json{{"blocks", stats.count},   {"p50_ms", ms(stats.p50)}, {"p90_ms", ms(stats.p90)},
              {"p99_ms", ms(stats.p99)}, {"max_ms", ms(stats.max)}, {"cdf_ms", cdf}};
}

}  // namespace

Json PropagationTracker::summary() const {
  std::vector<std::int64_t> to_50, to_90, to_100;
  for (const Spread& spread : blocks_) {
    if (spread.to_50_us >= 0) to_50.push_back(spread.to_50_us);
    if (spread.to_90_us >= 0) to_90.push_back(spread.to_90_us);
    if (spread.to_100_us >= 0) to_100.push_back(spread.to_100_us);
  }
  return Json{{"blocks", blocks_.size()},
              {"not_followed", not_followed_},
              {"mean_delay_ms",
               delay_count_ ? delay_sum_us_ / static_cast<double>(delay_count_) / 1000.0 : 0.0},
              {"to_50_percent", threshold_summary(std::move(to_50))},
              {"to_90_percent", threshold_summary(std::move(to_90))},
              {"to_100_percent", threshold_summary(std::move(to_100))}};
}

}  // namespace yournet::sim
