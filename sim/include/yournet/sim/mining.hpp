#pragma once
// Modeled mining: the whole network finds blocks as a Poisson process at the target interval,
// and the finder is drawn by hash share. A node that is down or not mining lets its share go by
// (thinning keeps the process Poisson).
#include <cstdint>
#include <vector>

#include "yournet/sim/rng.hpp"
#include "yournet/sim/scenario.hpp"

namespace yournet::sim {

class ModeledMining {
 public:
  explicit ModeledMining(const Scenario& scenario);
  bool anyone_mines() const { return total_hash_ > 0; }
  // Time to the next discovery anywhere.
  std::int64_t next_interval_us();
  // Who found it.
  int draw_finder();

 private:
  double mean_us_;
  Rng rng_;
  double total_hash_ = 0;
  std::vector<double> cumulative_hash_;
};

}  // namespace yournet::sim
