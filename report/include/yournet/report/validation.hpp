#pragma once
// The fidelity suite: runs scenarios and compares what the simulator measures with published
// results. A scenario with a selfish node checks the selfish miner's share of the main chain
// against Eyal and Sirer (FC 2014) at the gamma measured in the run; one without checks the stale
// rate of honest mining against 1 - e^(-d/T), d the run's mean propagation delay. Each point has a
// 99% confidence interval; it passes when that interval meets the formula's band.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "yournet/sim/scenario.hpp"

namespace yournet::report {

// R(a, g) = [a(1-a)^2(4a + g(1-2a)) - a^3] / [1 - a(1 + (2-a)a)]: the pool's share of the main
// chain with hash share a, g the share of honest power that mines on the pool's block in a tie.
double selfish_revenue(double a, double g);
// About 1 - e^(-d/T): the share of blocks that go stale with propagation delay d, interval T.
double stale_rate(double delay_s, double interval_s);

enum class Check { selfish_revenue, stale_rate };

struct Interval {
  double low = 0, high = 0;
};

struct ValidationPoint {
  std::string scenario;
  Check check = Check::stale_rate;
  double x = 0;              // selfish: the pool's hash share a; stale: d / T
  std::uint64_t blocks = 0;  // selfish: main-chain blocks; stale: blocks mined
  double simulated = 0;      // selfish: the pool's share of the main chain; stale: stale share
  Interval simulated_ci;     // 99%
  double theory = 0;         // the formula at the measured g, or at d / T
  Interval theory_band;      // selfish: the formula over g's 99% interval; stale: the formula
  // Selfish: the races (ties) the honest found the next block of, g and its 99% interval.
  std::uint64_t races = 0;
  double gamma = 0;
  Interval gamma_ci;
  double replayed = 0;  // selfish: Eyal and Sirer's state machine on this run's own finders
  double delay_s = 0, interval_s = 0;  // stale: d and T
  bool inside = false;                 // the simulated interval meets the band
};

struct ValidationOptions {
  // Overrides each scenario's max_blocks (its stop time scaled alike): CI's small run.
  std::optional<std::uint64_t> max_blocks;
  std::function<void(const std::string& line)> progress;  // one line per finished point
};

// Runs each scenario (its seed, trace detail "minimal") and checks it.
std::vector<ValidationPoint> run_validation(const std::vector<sim::Scenario>& scenarios,
                                            const ValidationOptions& options);

// The results as markdown tables, and as SVG plots (simulated points with their intervals beside
// the theory curves).
std::string validation_markdown(const std::vector<ValidationPoint>& points);
std::string selfish_plot_svg(const std::vector<ValidationPoint>& points);
std::string stale_plot_svg(const std::vector<ValidationPoint>& points);

}  // namespace yournet::report
