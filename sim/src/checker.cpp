#include "yournet/sim/checker.hpp"

#include <algorithm>
#include <cstring>

#include "yournet/validation.hpp"

namespace yournet::sim {

void Checker::TipHash::assign(std::string_view hash) {
  YOURNET_ASSERT(hash.size() <= kCapacity, "a held block's hash is at most 64 characters");
  std::memcpy(text_.data(), hash.data(), hash.size());
  size_ = static_cast<std::uint8_t>(hash.size());
}

Checker::Checker(std::size_t nodes, ChainParams params, unsigned lanes)
    : params_(params), nodes_(nodes), verified_(std::max(1u, lanes)) {
  for (auto& view : nodes_) view.tip.assign(genesis_block().hash);
}

bool Checker::valid_alone(const Block& block, unsigned lane) {
  // A block is checked once for the whole run (on each lane): its hash, work and posts do not
  // depend on who holds it.
  std::unordered_set<std::string>& verified = verified_[lane];
  if (verified.count(block.hash)) return true;
  if (check_block_alone(block, params_)) return false;
  verified.insert(block.hash);
  return true;
}

std::optional<Checker::TipMove> Checker::move_tip(int node, const BlockTree& tree, bool honest,
                                                  bool counted, unsigned lane) {
  NodeView& view = nodes_[idx(node)];
  const Block& tip = tree.tip();
  if (tip.hash == view.tip.view()) return std::nullopt;
  std::optional<std::string> broken;
  if (honest) {
    if (tree.tip_work() < view.work) {
      broken = "switched to a chain with less work (" + std::to_string(tree.tip_work()) + " < " +
               std::to_string(view.work) + ")";
    }
    // The blocks that just joined the main chain: each valid and linked to its parent by hash.
    const Block* block = &tip;
    for (std::size_t k = 0;
         !broken && k < std::max<std::size_t>(1, view.reorg_depth) && block->index > 0; ++k) {
      const Block* parent = tree.at_height(block->index - 1);
      if (!parent || parent->hash != block->previous_hash || block->index != parent->index + 1) {
        broken = "main chain does not link by hash at height " + std::to_string(block->index);
      } else if (!valid_alone(*block, lane)) {
        broken =
            "holds an invalid block " + block->hash + " at height " + std::to_string(block->index);
      }
      block = parent;
    }
  }
  TipMove move{view.tip, &tip, counted && view.counted, std::move(broken)};
  view.tip.assign(tip.hash);
  view.work = tree.tip_work();
  view.reorg_depth = 0;
  return move;
}

void Checker::count_tip(const TipMove& move, std::int64_t now_us) {
  if (move.counted) {
    auto old = tip_counts_.find(move.from.view());
    if (old != tip_counts_.end() && --old->second == 0) tip_counts_.erase(old);
    ++tip_counts_[move.to->hash];
  }
  note_convergence(now_us);
}

void Checker::reset(int node, const BlockTree& tree) {
  NodeView& view = nodes_[idx(node)];
  view.tip.assign(tree.tip().hash);
  view.work = tree.tip_work();
  view.reorg_depth = 0;
}

void Checker::recount(const std::vector<bool>& counted, std::int64_t now_us) {
  tip_counts_.clear();
  counted_ = 0;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    nodes_[i].counted = counted[i];
    if (!counted[i]) continue;
    ++counted_;
    ++tip_counts_[std::string(nodes_[i].tip.view())];
  }
  note_convergence(now_us);
}

void Checker::reconnected(std::int64_t now_us) {
  last_heal_us_ = now_us;
  converged_at_us_.reset();
  note_convergence(now_us);
}

bool Checker::converged() const {
  if (counted_ == 0) return false;
  return tip_counts_.size() == 1 ||
         std::any_of(tip_counts_.begin(), tip_counts_.end(),
                     [this](const auto& entry) { return entry.second == counted_; });
}

void Checker::note_convergence(std::int64_t now_us) {
  if (!converged_at_us_ && converged()) converged_at_us_ = now_us;
}

}  // namespace yournet::sim
