// Shrinking a failing scenario (see shrink.hpp): ddmin over nodes and actions, then the smaller
// reductions, repeated until nothing more goes.
#include "yournet/sim/shrink.hpp"

#include <algorithm>
#include <map>

#include "yournet/overloaded.hpp"
#include "yournet/sim/runner.hpp"
#include "yournet/sim/scenario_writer.hpp"

namespace yournet::sim {

const char* reduction_name(Reduction reduction) {
  switch (reduction) {
    case Reduction::drop_nodes:
      return "drop nodes";
    case Reduction::drop_actions:
      return "drop actions";
    case Reduction::drop_link_fault:
      return "drop link fault";
    case Reduction::lower_rate:
      return "lower rate";
    case Reduction::fewer_blocks:
      return "fewer blocks";
    case Reduction::shorten_stop:
      return "shorten stop_at_s";
  }
  return "reduction";
}

std::vector<Check> simulate_checks(const Scenario& scenario) {
  RunOptions options;
  options.trace_sink = [](std::string_view) {};
  try {
    return failed_checks(run_scenario(scenario, options).summary);
  } catch (const std::exception&) {
    return {Check::run_stopped};
  }
}

std::optional<Scenario> without_nodes(const Scenario& scenario, const std::vector<int>& keep) {
  if (keep.empty()) return std::nullopt;
  std::vector<int> renumber(scenario.nodes.size(), -1);
  Scenario out = scenario;
  out.nodes.clear();
  for (std::size_t k = 0; k < keep.size(); ++k) {
    renumber[static_cast<std::size_t>(keep[k])] = static_cast<int>(k);
    out.nodes.push_back(scenario.nodes[static_cast<std::size_t>(keep[k])]);
  }
  out.node_count = static_cast<int>(out.nodes.size());
  if (std::none_of(out.nodes.begin(), out.nodes.end(),
                   [](const NodeSpec& n) { return n.behaviour == Behaviour::honest; })) {
    return std::nullopt;
  }
  // A node number in the new numbering, or -1 when the node is gone (-1, "every node", stays).
  auto kept = [&](int& node) {
    if (node < 0) return true;
    node = renumber[static_cast<std::size_t>(node)];
    return node >= 0;
  };
  out.topology.edges.clear();
  for (auto [a, b] : scenario.topology.edges) {
    if (kept(a) && kept(b)) out.topology.edges.emplace_back(a, b);
  }
  out.links.clear();
  for (auto link : scenario.links) {
    if (kept(link.from) && kept(link.to)) out.links.push_back(link);
  }
  out.timeline.clear();
  for (auto timed : scenario.timeline) {
    const bool stays =
        std::visit(Overloaded{[&](action::Post& a) { return kept(a.node); },
                              [&](action::Mine& a) { return kept(a.node); },
                              [&](action::Sync& a) { return kept(a.node); },
                              [&](action::AutoMine& a) { return kept(a.node); },
                              [&](action::Partition& a) {
                                std::vector<std::vector<int>> groups;
                                for (auto group : a.groups) {
                                  std::erase_if(group, [&](int& node) { return !kept(node); });
                                  if (!group.empty()) groups.push_back(std::move(group));
                                }
                                a.groups = std::move(groups);
                                return a.groups.size() >= 2;
                              },
                              [&](action::Heal&) { return true; },
                              [&](action::Isolate& a) { return kept(a.node); },
                              [&](action::SetLink& a) { return kept(a.from) && kept(a.to); },
                              [&](action::Crash& a) { return kept(a.node); },
                              [&](action::Restart& a) { return kept(a.node); },
                              [&](action::Join& a) { return kept(a.node); },
                              [&](action::Leave& a) { return kept(a.node); }},
                   timed.what);
    if (stays) out.timeline.push_back(std::move(timed));
  }
  return out;
}

namespace {

std::string index_list(const char* label, const std::vector<std::size_t>& items) {
  constexpr std::size_t kListed = 8;
  std::string text = label;
  for (std::size_t i = 0; i < items.size() && i < kListed; ++i)
    text += (i ? ", " : " ") + std::to_string(items[i]);
  if (items.size() > kListed) text += " and " + std::to_string(items.size() - kListed) + " more";
  return text;
}

class Shrinker {
 public:
  Shrinker(Scenario original, Check target, const Judge& judge, const ShrinkOptions& options)
      : judge_(judge), options_(options), current_(std::move(original)), target_(target) {
    tried_.emplace(canonical(write_scenario(current_)), true);  // the original ran already
  }

  void shrink() {
    bool progress = true;
    while (progress && !spent_) {
      progress = false;
      progress |= drop_nodes();
      progress |= drop_actions();
      progress |= drop_link_faults();
      progress |= lower_rates();
      progress |= fewer_blocks();
      progress |= shorten_stop();
    }
  }

  ShrinkResult result() && {
    return ShrinkResult{std::move(current_), target_, std::move(steps_), runs_, spent_};
  }

 private:
  // Whether the candidate still fails the target; each distinct valid candidate runs once.
  bool fails(const Scenario& candidate) {
    Json json = write_scenario(candidate);
    try {
      load_scenario(json);
    } catch (const ScenarioError&) {
      return false;  // e.g. a ring of one node: not a scenario, so not a reduction
    }
    std::string key = canonical(json);
    if (auto it = tried_.find(key); it != tried_.end()) return it->second;
    if (runs_ >= options_.max_runs) {
      spent_ = true;
      return false;
    }
    ++runs_;
    auto checks = judge_(candidate);
    const bool same = std::find(checks.begin(), checks.end(), target_) != checks.end();
    tried_.emplace(std::move(key), same);
    if (options_.on_run) options_.on_run(runs_, options_.max_runs);
    return same;
  }

  bool accept(Scenario candidate, Reduction kind, std::string what) {
    if (!fails(candidate)) return false;
    current_ = std::move(candidate);
    steps_.push_back(
        ShrinkStep{kind, std::move(what), current_.nodes.size(), current_.timeline.size()});
    if (options_.on_step) options_.on_step(steps_.back());
    return true;
  }

  // Zeller's ddmin over items 0..n-1: `reduce(kept)` tries the base without the others and keeps
  // the result if it still fails. Returns whether anything went.
  template <typename Reduce>
  bool ddmin(std::size_t n, Reduce reduce) {
    std::vector<std::size_t> items(n);
    for (std::size_t i = 0; i < n; ++i) items[i] = i;
    if (n == 0) return false;
    if (reduce(std::vector<std::size_t>{}, items)) return true;
    bool any = false;
    std::size_t granularity = 2;
    while (items.size() >= 2 && !spent_) {
      std::vector<std::vector<std::size_t>> chunks(granularity);
      for (std::size_t i = 0; i < items.size(); ++i)
        chunks[i * granularity / items.size()].push_back(items[i]);
      bool reduced = false;
      for (const auto& chunk : chunks) {
        if (reduce(chunk, items)) {
          items = chunk;
          granularity = 2;
          reduced = true;
          break;
        }
      }
      for (std::size_t c = 0; !reduced && granularity > 2 && c < chunks.size(); ++c) {
        std::vector<std::size_t> complement;
        for (const auto& other : chunks) {
          if (&other != &chunks[c]) complement.insert(complement.end(), other.begin(), other.end());
        }
        std::sort(complement.begin(), complement.end());
        if (reduce(complement, items)) {
          items = std::move(complement);
          granularity = std::max<std::size_t>(granularity - 1, 2);
          reduced = true;
        }
      }
      any |= reduced;
      if (!reduced) {
        if (granularity >= items.size()) break;
        granularity = std::min(granularity * 2, items.size());
      }
    }
    if (items.size() == 1 && !spent_) any |= reduce({}, items);
    return any;
  }

  static std::vector<std::size_t> gone(const std::vector<std::size_t>& kept,
                                       const std::vector<std::size_t>& from) {
    std::vector<std::size_t> removed;
    std::set_difference(from.begin(), from.end(), kept.begin(), kept.end(),
                        std::back_inserter(removed));
    return removed;
  }

  bool drop_nodes() {
    const Scenario base = current_;
    return ddmin(base.nodes.size(),
                 [&](const std::vector<std::size_t>& kept, const std::vector<std::size_t>& from) {
                   std::vector<int> keep(kept.begin(), kept.end());
                   auto candidate = without_nodes(base, keep);
                   return candidate && accept(std::move(*candidate), Reduction::drop_nodes,
                                              "dropped " + index_list("nodes", gone(kept, from)));
                 });
  }

  bool drop_actions() {
    const Scenario base = current_;
    return ddmin(base.timeline.size(), [&](const std::vector<std::size_t>& kept,
                                           const std::vector<std::size_t>& from) {
      Scenario candidate = base;
      candidate.timeline.clear();
      for (std::size_t i : kept) candidate.timeline.push_back(base.timeline[i]);
      std::string what;
      for (std::size_t i : gone(kept, from)) {
        if (!what.empty()) what += ", ";
        what += action_name(base.timeline[i].what);
      }
      return accept(std::move(candidate), Reduction::drop_actions,
                    "dropped " + index_list("actions", gone(kept, from)) + " (" + what + ")");
    });
  }

  bool drop_link_faults() {
    bool any = false;
    for (std::size_t i = current_.links.size(); i-- > 0 && !spent_;) {
      Scenario candidate = current_;
      candidate.links.erase(candidate.links.begin() + static_cast<std::ptrdiff_t>(i));
      any |= accept(std::move(candidate), Reduction::drop_link_fault,
                    "removed links[" + std::to_string(i) + "]");
    }
    const LinkModel plain;
    auto reset = [&](const char* name, auto LinkModel::*field) {
      if (spent_ || current_.link.*field == plain.*field) return;
      Scenario candidate = current_;
      candidate.link.*field = plain.*field;
      any |= accept(std::move(candidate), Reduction::drop_link_fault,
                    std::string("reset link.") + name);
    };
    reset("loss", &LinkModel::loss);
    reset("response_loss", &LinkModel::response_loss);
    reset("duplicate", &LinkModel::duplicate);
    reset("reorder", &LinkModel::reorder);
    reset("bandwidth_mbps", &LinkModel::bandwidth_mbps);
    reset("up", &LinkModel::up);
    reset("latency_ms", &LinkModel::latency);
    return any;
  }

  bool lower_rates() {
    constexpr double kLowest = 0.001;  // below this a probability is as good as gone
    bool any = false;
    auto halve = [&](const std::string& name, auto locate) {
      if (spent_) return;
      Scenario candidate = current_;
      double& value = locate(candidate);
      if (value < kLowest * 2) return;
      value /= 2;
      any |= accept(std::move(candidate), Reduction::lower_rate, "halved " + name);
    };
    halve("link.loss", [](Scenario& s) -> double& { return s.link.loss; });
    halve("link.response_loss", [](Scenario& s) -> double& { return s.link.response_loss; });
    halve("link.duplicate", [](Scenario& s) -> double& { return s.link.duplicate; });
    halve("link.reorder", [](Scenario& s) -> double& { return s.link.reorder; });
    for (std::size_t i = 0; i < current_.nodes.size(); ++i) {
      if (current_.nodes[i].flood_posts_per_s <= 0) continue;
      halve("nodes[" + std::to_string(i) + "].flood_posts_per_s",
            [i](Scenario& s) -> double& { return s.nodes[i].flood_posts_per_s; });
    }
    return any;
  }

  bool fewer_blocks() {
    if (spent_ || !current_.max_blocks || *current_.max_blocks < 2) return false;
    Scenario candidate = current_;
    *candidate.max_blocks /= 2;
    return accept(std::move(candidate), Reduction::fewer_blocks,
                  "max_blocks " + std::to_string(*candidate.max_blocks));
  }

  bool shorten_stop() {
    constexpr std::int64_t kSecond = 1'000'000;
    bool any = false;
    while (!spent_) {
      std::int64_t last = 0;
      for (const auto& timed : current_.timeline) last = std::max(last, timed.at_us);
      if (last > current_.stop_at_us) last = 0;
      // Halfway from the last action to the stop, in whole seconds.
      std::int64_t stop = last + (current_.stop_at_us - last) / 2;
      stop = (stop + kSecond - 1) / kSecond * kSecond;
      if (stop >= current_.stop_at_us) break;
      Scenario candidate = current_;
      candidate.stop_at_us = stop;
      if (!accept(std::move(candidate), Reduction::shorten_stop,
                  "stop_at_s " + std::to_string(stop / kSecond))) {
        break;
      }
      any = true;
    }
    return any;
  }

  const Judge& judge_;
  const ShrinkOptions& options_;
  Scenario current_;
  Check target_;
  std::map<std::string, bool> tried_;  // canonical scenario JSON -> still fails the target
  std::vector<ShrinkStep> steps_;
  std::size_t runs_ = 1;  // the original's
  bool spent_ = false;
};

}  // namespace

std::optional<ShrinkResult> shrink_scenario(const Scenario& failing, const Judge& judge,
                                            const ShrinkOptions& options) {
  const auto checks = judge(failing);
  if (checks.empty()) return std::nullopt;
  Shrinker shrinker(failing, checks.front(), judge, options);
  shrinker.shrink();
  return std::move(shrinker).result();
}

}  // namespace yournet::sim
