#include "yournet/sim/summary.hpp"

#include <map>

#include "yournet/block.hpp"
#include "yournet/sim/failed_check.hpp"

namespace yournet::sim {

namespace {

Json main_chain_hashes(const BlockTree& tree) {
  Json hashes = Json::array();
  for (std::uint64_t h = 0; h <= tree.height(); ++h) hashes.push_back(tree.at_height(h)->hash);
  return hashes;
}

}  // namespace

Json summarize_run(const Scenario& scenario, const RunFigures& figures, const FinalState& state) {
  const BlockTree& reference = state.reference;
  // Blocks any node knows; stale ones are those off the reference's main chain.
  std::unordered_set<std::string> all_blocks;
  for (const BlockTree* tree : state.trees) {
    for (const auto& tip : tree->tips()) {
      for (const Block* b = tree->find(tip); b && b->index > 0 && all_blocks.insert(b->hash).second;
           b = tree->find(b->previous_hash)) {
      }
    }
  }
  const std::unordered_set<std::string>& pending_posts = state.pending;
  std::uint64_t posts_in_chain = 0, posts_lost = 0, posts_wiped = 0;
  for (const auto& id : state.accepted_posts) {
    bool in_chain = reference.main_chain_post_height(id).has_value();
    posts_in_chain += in_chain ? 1 : 0;
    if (in_chain || pending_posts.count(id)) continue;
    if (state.wiped.count(id)) {
      ++posts_wiped;
    } else {
      ++posts_lost;
    }
  }
  std::map<int, std::uint64_t> by_miner;
  for (std::uint64_t h = 1; h <= reference.height(); ++h) {
    auto miner = state.miner_of.find(reference.at_height(h)->hash);
    if (miner != state.miner_of.end()) ++by_miner[miner->second];
  }
  Json main_chain_by_miner = Json::object();
  for (const auto& [miner, count] : by_miner) main_chain_by_miner[std::to_string(miner)] = count;
  const std::uint64_t forks = all_blocks.size() - reference.height();
  const bool converged = figures.converged;
  const std::optional<std::int64_t>& converged_at_us = figures.converged_at_us;
  const std::int64_t last_heal_us = figures.last_heal_us;
  Json expectations = Json::array();
  bool passed = figures.failures.empty();
  auto expect = [&](const std::string& name, bool ok, const std::string& detail) {
    expectations.push_back(Json{{"name", name}, {"passed", ok}, {"detail", detail}});
    passed = passed && ok;
  };
  for (const auto& failure : figures.failures)
    expect(check_name(Check::invariants), false, failure);
  const Scenario::Expectations& e = scenario.expect;
  if (e.converged) {
    expect(check_name(Check::converged), converged == *e.converged,
           converged ? "all honest running nodes share tip " + reference.tip().hash.substr(0, 16)
                     : std::to_string(figures.distinct_tips) +
                           " different tips among honest running nodes");
  }
  if (e.converged_within_s) {
    const double limit_us = *e.converged_within_s * 1e6;
    const bool ok =
        converged_at_us && static_cast<double>(*converged_at_us - last_heal_us) <= limit_us;
    expect(check_name(Check::converged_within_s), ok,
           converged_at_us
               ? "converged " +
                     canonical(static_cast<double>(*converged_at_us - last_heal_us) / 1e6) +
                     " s after the last heal (at " +
                     canonical(static_cast<double>(last_heal_us) / 1e6) + " s), allowed " +
                     canonical(*e.converged_within_s)
               : "never converged after the last heal (at " +
                     canonical(static_cast<double>(last_heal_us) / 1e6) + " s)");
  }
  if (e.min_forks) {
    expect(
        check_name(Check::min_forks), forks >= *e.min_forks,
        std::to_string(forks) + " stale blocks, wanted at least " + std::to_string(*e.min_forks));
  }
  if (e.min_height) {
    expect(check_name(Check::min_height), reference.height() >= *e.min_height,
           "height " + std::to_string(reference.height()) + ", wanted at least " +
               std::to_string(*e.min_height));
  }
  if (e.max_reorg_depth) {
    expect(check_name(Check::max_reorg_depth), figures.max_reorg_depth <= *e.max_reorg_depth,
           "deepest reorg " + std::to_string(figures.max_reorg_depth) + ", allowed " +
               std::to_string(*e.max_reorg_depth));
  }
  if (e.min_blocks_rejected) {
    expect(check_name(Check::min_blocks_rejected),
           figures.blocks_rejected >= *e.min_blocks_rejected,
           std::to_string(figures.blocks_rejected) +
               " blocks rejected by honest nodes, wanted at least " +
               std::to_string(*e.min_blocks_rejected));
  }
  if (e.no_post_lost) {
    expect(check_name(Check::no_post_lost), posts_lost == 0,
           std::to_string(posts_lost) + " accepted posts neither in the final chain nor pending");
  }
  Json summary{
      {"scenario", scenario.name},
      {"seed", scenario.seed},
      {"nodes", scenario.node_count},
      {"simulated_seconds", static_cast<double>(figures.simulated_us) / 1e6},
      {"events", figures.events},
      {"blocks_mined", figures.blocks_mined},
      {"blocks_rejected", figures.blocks_rejected},
      {"forks", forks},
      {"stale_rate", all_blocks.empty()
                         ? 0.0
                         : static_cast<double>(forks) / static_cast<double>(all_blocks.size())},
      {"max_reorg_depth", figures.max_reorg_depth},
      {"converged", converged},
      {"converged_after_heal_s",
       converged_at_us ? Json(static_cast<double>(*converged_at_us - last_heal_us) / 1e6) : Json()},
      {"final_height", reference.height()},
      {"final_tip", reference.tip().hash},
      {"main_chain", main_chain_hashes(reference)},
      {"main_chain_by_miner", main_chain_by_miner},
      {"messages", Json{{"sent", figures.messages_sent},
                        {"delivered", figures.messages_delivered},
                        {"dropped", figures.messages_dropped}}},
      {"posts_submitted", figures.posts_submitted},
      {"posts_in_chain", posts_in_chain},
      {"posts_lost", posts_lost},
      {"posts_wiped", posts_wiped},
      {"expectations", expectations},
      {"passed", passed}};
  if (!figures.propagation.is_null()) summary["propagation"] = figures.propagation;
  if (!figures.selfish.is_null()) summary["selfish"] = figures.selfish;
  return summary;
}

}  // namespace yournet::sim
