#include "yournet/report/validation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "yournet/report/svg_plot.hpp"
#include "yournet/sim/runner.hpp"

namespace yournet::report {

double selfish_revenue(double a, double g) {
  return (a * (1 - a) * (1 - a) * (4 * a + g * (1 - 2 * a)) - a * a * a) /
         (1 - a * (1 + (2 - a) * a));
}

double stale_rate(double delay_s, double interval_s) {
  return 1 - std::exp(-delay_s / interval_s);
}

namespace {

constexpr double kZ99 = 2.5758;       // two-sided 99% normal quantile
constexpr int kBatches = 10;          // batch means over the main chain, in order
constexpr double kT99Batches = 3.25;  // two-sided 99% Student t quantile, kBatches - 1 freedoms

// Wilson's interval for a binomial share.
Interval wilson(std::uint64_t hits, std::uint64_t trials) {
  if (trials == 0) return {0, 1};
  const double n = static_cast<double>(trials), p = static_cast<double>(hits) / n;
  const double z2 = kZ99 * kZ99, centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const double half = kZ99 / (1 + z2 / n) * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n));
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

// A share over a sequence whose neighbours are correlated (a selfish miner's blocks come in
// runs): the mean of kBatches consecutive batches, with Student's interval over them.
Interval batch_interval(const std::vector<bool>& hits) {
  const std::size_t size = hits.size() / kBatches;
  if (size == 0)
    return wilson(static_cast<std::uint64_t>(std::count(hits.begin(), hits.end(), true)),
                  hits.size());
  std::vector<double> means;
  for (int b = 0; b < kBatches; ++b) {
    auto from = hits.begin() + static_cast<std::ptrdiff_t>(b * size);
    means.push_back(
        static_cast<double>(std::count(from, from + static_cast<std::ptrdiff_t>(size), true)) /
        static_cast<double>(size));
  }
  double mean = 0, var = 0;
  for (double m : means) mean += m / kBatches;
  for (double m : means) var += (m - mean) * (m - mean) / (kBatches - 1);
  const double share = static_cast<double>(std::count(hits.begin(), hits.end(), true)) /
                       static_cast<double>(hits.size());
  const double half = kT99Batches * std::sqrt(var / kBatches);
  // A batch variance of zero (too few events) must not claim certainty: at least Wilson's width.
  const Interval binomial = wilson(
      static_cast<std::uint64_t>(share * static_cast<double>(hits.size()) + 0.5), hits.size());
  return {std::max(0.0, std::min(share - half, binomial.low)),
          std::min(1.0, std::max(share + half, binomial.high))};
}

bool meets(const Interval& a, const Interval& b) {
  return a.low <= b.high && b.low <= a.high;
}

struct Mined {
  std::string hash, parent;
  int miner;
};

struct Run {
  Json summary;
  std::vector<Mined> mined;  // in mining order
};

// Eyal and Sirer's state machine driven by the run's own finders (pool or honest, in order) and
// tie outcomes (the parent of the honest block that decided each): the pool's share it predicts
// for exactly this sequence. Equal to the simulated share when the simulator follows the model,
// whatever the luck of the draw.
double replay_state_machine(const std::vector<Mined>& mined, int pool) {
  std::uint64_t lead = 0, by_pool = 0, by_honest = 0;
  std::string latest_pool, race;  // race: the pool's block in a tie, if one is under way
  for (const Mined& block : mined) {
    if (block.miner == pool) {
      latest_pool = block.hash;
      if (!race.empty()) {
        by_pool += 2;  // it publishes at once and wins the tie
        race.clear();
      } else {
        ++lead;
      }
    } else if (!race.empty()) {
      by_pool += block.parent == race ? 1 : 0;
      by_honest += block.parent == race ? 1 : 2;
      race.clear();
    } else if (lead == 0) {
      ++by_honest;
    } else if (lead == 1) {
      race = latest_pool;
      lead = 0;
    } else if (lead == 2) {
      by_pool += 2;
      lead = 0;
    } else {
      ++by_pool;
      --lead;
    }
  }
  by_pool += lead;  // published when mining stops, ahead of the honest chain
  return by_pool + by_honest
             ? static_cast<double>(by_pool) / static_cast<double>(by_pool + by_honest)
             : 0;
}

Run run(sim::Scenario scenario, const ValidationOptions& options) {
  if (options.max_blocks && scenario.max_blocks && *scenario.max_blocks > 0) {
    scenario.stop_at_us = static_cast<std::int64_t>(static_cast<double>(scenario.stop_at_us) *
                                                    static_cast<double>(*options.max_blocks) /
                                                    static_cast<double>(*scenario.max_blocks));
    scenario.max_blocks = options.max_blocks;
  }
  scenario.trace = sim::TraceDetail::minimal;
  Run out;
  sim::RunOptions run_options;
  run_options.trace_sink = [&out](std::string_view line) {
    if (line.find("\"event\": \"mined\"") == std::string_view::npos) return;
    const Json event = parse_json(line);
    const Json& detail = event["detail"];
    out.mined.push_back(Mined{detail["hash"].get<std::string>(),
                              detail.value("previous_hash", std::string()),
                              event["node"].get<int>()});
  };
  out.summary = sim::run_scenario(scenario, run_options).summary;
  return out;
}

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}
std::string interval(const Interval& i, int decimals) {
  return fixed(i.low, decimals) + "–" + fixed(i.high, decimals);
}

ValidationPoint check_selfish(const sim::Scenario& scenario, int pool, const Run& run) {
  ValidationPoint point;
  point.scenario = scenario.name;
  point.check = Check::selfish_revenue;
  double total = 0;
  for (const auto& node : scenario.nodes) total += std::max(0.0, node.hash_rate);
  point.x = scenario.nodes[static_cast<std::size_t>(pool)].hash_rate / total;
  std::map<std::string, int> miner;
  for (const Mined& block : run.mined) miner.emplace(block.hash, block.miner);
  std::vector<bool> by_pool;  // the main chain after genesis, in order
  const Json& chain = run.summary["main_chain"];
  for (std::size_t h = 1; h < chain.size(); ++h) {
    auto found = miner.find(chain[h].get<std::string>());
    by_pool.push_back(found != miner.end() && found->second == pool);
  }
  point.blocks = by_pool.size();
  point.simulated = by_pool.empty()
                        ? 0
                        : static_cast<double>(std::count(by_pool.begin(), by_pool.end(), true)) /
                              static_cast<double>(by_pool.size());
  point.simulated_ci = batch_interval(by_pool);
  point.replayed = replay_state_machine(run.mined, pool);
  const Json& races = run.summary["selfish"][std::to_string(pool)];
  const auto on_pool = races["honest_on_pool"].get<std::uint64_t>();
  point.races = on_pool + races["honest_on_other"].get<std::uint64_t>();
  point.gamma = point.races ? static_cast<double>(on_pool) / static_cast<double>(point.races) : 0;
  point.gamma_ci = wilson(on_pool, point.races);
  point.theory = selfish_revenue(point.x, point.gamma);
  // R grows with g (for a < 1/2): the band is R at the ends of g's interval.
  point.theory_band = {selfish_revenue(point.x, point.gamma_ci.low),
                       selfish_revenue(point.x, point.gamma_ci.high)};
  point.inside = meets(point.simulated_ci, point.theory_band);
  return point;
}

ValidationPoint check_stale(const sim::Scenario& scenario, const Run& run) {
  ValidationPoint point;
  point.scenario = scenario.name;
  point.check = Check::stale_rate;
  std::set<std::string> main_chain;
  for (const auto& hash : run.summary["main_chain"]) main_chain.insert(hash.get<std::string>());
  std::uint64_t stale = 0;
  for (const Mined& block : run.mined) stale += main_chain.count(block.hash) ? 0 : 1;
  point.blocks = run.mined.size();
  point.simulated =
      point.blocks ? static_cast<double>(stale) / static_cast<double>(point.blocks) : 0;
  point.simulated_ci = wilson(stale, point.blocks);
  point.delay_s = run.summary["propagation"]["mean_delay_ms"].get<double>() / 1000.0;
  point.interval_s = scenario.target_interval_s;
  point.x = point.delay_s / point.interval_s;
  point.theory = stale_rate(point.delay_s, point.interval_s);
  point.theory_band = {point.theory, point.theory};
  point.inside = meets(point.simulated_ci, point.theory_band);
  return point;
}

}  // namespace

std::vector<ValidationPoint> run_validation(const std::vector<sim::Scenario>& scenarios,
                                            const ValidationOptions& options) {
  std::vector<ValidationPoint> points;
  for (const sim::Scenario& scenario : scenarios) {
    int pool = -1;
    for (std::size_t i = 0; i < scenario.nodes.size(); ++i) {
      if (scenario.nodes[i].behaviour == sim::Behaviour::selfish) pool = static_cast<int>(i);
    }
    const Run result = run(scenario, options);
    points.push_back(pool >= 0 ? check_selfish(scenario, pool, result)
                               : check_stale(scenario, result));
    const ValidationPoint& p = points.back();
    if (options.progress) {
      options.progress((p.inside ? "ok   " : "OUT  ") + p.scenario + ": simulated " +
                       fixed(p.simulated, 4) + " (99% " + interval(p.simulated_ci, 4) +
                       "), theory " + fixed(p.theory, 4) + " (band " + interval(p.theory_band, 4) +
                       ")");
    }
  }
  return points;
}

std::string validation_markdown(const std::vector<ValidationPoint>& points) {
  std::ostringstream md;
  md << "# Validation: the simulator against published results\n\n"
        "Each simulated figure has a 99% confidence interval; a point passes when it meets the "
        "formula's band.\n";
  bool selfish = false, stale = false;
  for (const auto& p : points) (p.check == Check::selfish_revenue ? selfish : stale) = true;
  if (selfish) {
    md << "\n## Selfish mining revenue (Eyal and Sirer, FC 2014)\n\n"
          "R(a, g) = [a(1-a)^2(4a + g(1-2a)) - a^3] / [1 - a(1 + (2-a)a)]: the pool's share of "
          "the main chain. g is measured in the run: of the ties (the pool's branch published to "
          "match an honest block) that an honest node decided, the share decided on the pool's "
          "block. The simulated share has a batch-means interval (10 batches of the main chain "
          "in order).\n\n"
          "The last column but one replays their state machine on the run's own sequence of "
          "finders and tie outcomes: it predicts the share for exactly that sequence, so it "
          "differs from the simulated share only where the simulator departs from the model "
          "(honest blocks that went stale among themselves, the last blocks of the run), not "
          "by luck.\n\n"
          "| scenario | a | main chain | pool's share (99%) | ties | g (99%) | R(a, g) (band) | "
          "R(a, 0)–R(a, 1/2) | state machine on this run | verdict |\n"
          "|---|---|---|---|---|---|---|---|---|---|\n";
    for (const auto& p : points) {
      if (p.check != Check::selfish_revenue) continue;
      md << "| " << p.scenario << " | " << fixed(p.x, 3) << " | " << p.blocks << " | "
         << fixed(p.simulated, 4) << " (" << interval(p.simulated_ci, 4) << ") | " << p.races
         << " | " << fixed(p.gamma, 3) << " (" << interval(p.gamma_ci, 3) << ") | "
         << fixed(p.theory, 4) << " (" << interval(p.theory_band, 4) << ") | "
         << fixed(selfish_revenue(p.x, 0), 4) << "–" << fixed(selfish_revenue(p.x, 0.5), 4) << " | "
         << fixed(p.replayed, 4) << " | " << (p.inside ? "pass" : "**FAIL**") << " |\n";
    }
  }
  if (stale) {
    md << "\n## Stale rate of honest mining\n\n"
          "1 - e^(-d/T), T the mean block interval and d the measured mean time for a node to "
          "learn of a block (the miner at zero, every node up at its mining). Simulated: blocks "
          "mined that are not on the final main chain, with Wilson's interval.\n\n"
          "| scenario | T (s) | d (s) | blocks mined | stale share (99%) | 1 - e^(-d/T) | verdict "
          "|\n|---|---|---|---|---|---|---|\n";
    for (const auto& p : points) {
      if (p.check != Check::stale_rate) continue;
      md << "| " << p.scenario << " | " << fixed(p.interval_s, 1) << " | " << fixed(p.delay_s, 3)
         << " | " << p.blocks << " | " << fixed(p.simulated, 4) << " ("
         << interval(p.simulated_ci, 4) << ") | " << fixed(p.theory, 4) << " | "
         << (p.inside ? "pass" : "**FAIL**") << " |\n";
    }
  }
  return md.str();
}

std::string selfish_plot_svg(const std::vector<ValidationPoint>& points) {
  Plot plot;
  plot.title = "Selfish mining: the pool's share of the main chain";
  plot.subtitle = "simulated (99% interval) against Eyal and Sirer's R(a, g)";
  plot.x_label = "pool's hash share a";
  plot.y_label = "pool's share of the main chain";
  PlotSeries low{"R(a, 0)", "#7f7f7f", {}, true, false};
  PlotSeries high{"R(a, 1/2)", "#bcbd22", {}, true, false};
  PlotSeries fair{"a (honest mining)", "#cccccc", {}, true, false};
  // The formula holds below a = 1/2 (it diverges a little above): the curves stop at 0.475.
  for (int i = 0; i <= 34; ++i) {
    const double a = 0.05 + 0.0125 * i;
    low.points.push_back({a, selfish_revenue(a, 0), {}, {}});
    high.points.push_back({a, selfish_revenue(a, 0.5), {}, {}});
    fair.points.push_back({a, a, {}, {}});
  }
  PlotSeries theory{"R(a, g measured)", "#1f77b4", {}, false, true};
  PlotSeries simulated{"simulated", "#d62728", {}, false, true};
  simulated.line = false;
  theory.line = false;
  for (const auto& p : points) {
    if (p.check != Check::selfish_revenue) continue;
    theory.points.push_back({p.x, p.theory, p.theory_band.low, p.theory_band.high});
    // Side by side, not on top of each other.
    simulated.points.push_back({p.x + 0.004, p.simulated, p.simulated_ci.low, p.simulated_ci.high});
  }
  plot.series = {fair, low, high, theory, simulated};
  return render_svg(plot);
}

std::string stale_plot_svg(const std::vector<ValidationPoint>& points) {
  Plot plot;
  plot.title = "Stale rate of honest mining";
  plot.subtitle = "simulated (99% interval) against 1 - e^(-d/T)";
  plot.x_label = "d / T (mean propagation delay / block interval)";
  plot.y_label = "stale share of blocks mined";
  double top = 0.01;
  for (const auto& p : points) {
    if (p.check == Check::stale_rate) top = std::max(top, p.x * 1.1);
  }
  PlotSeries theory{"1 - e^(-d/T)", "#1f77b4", {}, false, false};
  for (int i = 0; i <= 40; ++i) {
    const double x = top * i / 40;
    theory.points.push_back({x, 1 - std::exp(-x), {}, {}});
  }
  PlotSeries simulated{"simulated", "#d62728", {}, false, true};
  simulated.line = false;
  for (const auto& p : points) {
    if (p.check == Check::stale_rate)
      simulated.points.push_back({p.x, p.simulated, p.simulated_ci.low, p.simulated_ci.high});
  }
  plot.series = {theory, simulated};
  return render_svg(plot);
}

}  // namespace yournet::report
