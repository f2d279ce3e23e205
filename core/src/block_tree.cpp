#include "yournet/block_tree.hpp"

#include <algorithm>
#include <set>

namespace yournet {

BlockTree::BlockTree(ChainParams params, BlockTreeLimits limits)
    : params_(params), limits_(limits) {
  const Block& genesis = genesis_block();
  Entry entry{genesis, params_.difficulty.work(), next_sequence_++, {}, 0};
  entries_.emplace(genesis.hash, std::move(entry));
  main_.push_back(genesis.hash);
  tips_by_sequence_.emplace(0, genesis.hash);
}

const Block& BlockTree::tip() const { return entries_.at(main_.back()).block; }

std::uint64_t BlockTree::tip_work() const { return entries_.at(main_.back()).work; }

const Block* BlockTree::find(const std::string& hash) const {
  auto it = entries_.find(hash);
  return it == entries_.end() ? nullptr : &it->second.block;
}

bool BlockTree::on_main_chain(const std::string& hash) const {
  auto it = entries_.find(hash);
  if (it == entries_.end()) return false;
  auto height = it->second.block.index;
  return height < main_.size() && main_[height] == hash;
}

const Block* BlockTree::at_height(std::uint64_t height) const {
  if (height >= main_.size()) return nullptr;
  return &entries_.at(main_[height]).block;
}

std::vector<Block> BlockTree::main_chain() const {
  std::vector<Block> chain;
  chain.reserve(main_.size());
  for (const auto& hash : main_) chain.push_back(entries_.at(hash).block);
  return chain;
}

std::optional<std::uint64_t> BlockTree::main_chain_post_height(const std::string& id) const {
  auto it = main_posts_.find(id);
  if (it == main_posts_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> BlockTree::tips() const {
  std::vector<std::string> out;
  for (const auto& [sequence, hash] : tips_by_sequence_) out.push_back(hash);
  return out;
}

std::optional<std::uint64_t> BlockTree::work_of(const std::string& hash) const {
  auto it = entries_.find(hash);
  if (it == entries_.end()) return std::nullopt;
  return it->second.work;
}

AddResult BlockTree::add(const Block& block) {
  AddResult result;
  if (entries_.count(block.hash) != 0) {
    result.status = AddStatus::already_known;
    return result;
  }
  if (auto verdict = check_block_alone(block, params_)) {
    result.error = verdict;
    return result;
  }
  if (block.index == 0) {  // a valid block 0 is the genesis, which every tree holds
    result.status = AddStatus::already_known;
    return result;
  }
  if (entries_.count(block.previous_hash) == 0) {
    store_orphan(block);
    result.status = AddStatus::orphan;
    return result;
  }
  return connect(block);
}

void BlockTree::store_orphan(const Block& block) {
  auto& waiting = orphans_[block.previous_hash];
  for (const auto& existing : waiting) {
    if (existing.hash == block.hash) return;
  }
  waiting.push_back(block);
  orphan_order_.emplace_back(block.previous_hash, block.hash);
  while (orphan_order_.size() > limits_.max_orphans) {  // evict the oldest
    auto [parent, hash] = orphan_order_.front();
    orphan_order_.pop_front();
    auto it = orphans_.find(parent);
    if (it == orphans_.end()) continue;
    auto& list = it->second;
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&](const Block& b) { return b.hash == hash; }),
               list.end());
    if (list.empty()) orphans_.erase(it);
  }
}

std::optional<ValidationError> BlockTree::check_no_replayed_post(
    const Entry& parent, const std::vector<std::string>& ids, std::uint64_t index) const {
  // Posts of the side branch between the parent and the main chain, then the main chain below
  // the fork point.
  std::set<std::string> branch_posts;
  const Entry* cursor = &parent;
  while (!on_main_chain(cursor->block.hash)) {
    branch_posts.insert(cursor->post_ids.begin(), cursor->post_ids.end());
    cursor = &entries_.at(cursor->block.previous_hash);
  }
  const std::uint64_t fork_height = cursor->block.index;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto on_main = main_posts_.find(ids[i]);
    if (branch_posts.count(ids[i]) != 0 ||
        (on_main != main_posts_.end() && on_main->second <= fork_height)) {
      return ValidationError{Rule::duplicate_post, index, i, "post already mined in an ancestor block"};
    }
  }
  return std::nullopt;
}

AddResult BlockTree::connect(const Block& first) {
  AddResult result;
  const std::string old_tip = main_.back();
  std::string best = old_tip;
  // Connect the block, then any orphans that were waiting for it, breadth first.
  std::deque<Block> pending{first};
  bool first_block = true;
  while (!pending.empty()) {
    Block block = std::move(pending.front());
    pending.pop_front();
    const bool is_first = first_block;
    first_block = false;
    if (entries_.count(block.hash) != 0) continue;
    Entry& parent = entries_.at(block.previous_hash);
    Verdict verdict = check_block_link(block, parent.block);
    std::vector<std::string> ids;
    ids.reserve(block.transactions.size());
    for (const auto& post : block.transactions) ids.push_back(post_id(post));
    if (!verdict) verdict = check_no_replayed_post(parent, ids, block.index);
    if (verdict) {
      if (is_first) {
        result.error = verdict;
        result.status = AddStatus::invalid;
        return result;
      }
      continue;  // a bad orphan is dropped; its own descendants stay orphaned and age out
    }
    Entry entry{block, parent.work + params_.difficulty.work(), next_sequence_++, std::move(ids), 0};
    if (parent.children++ == 0) tips_by_sequence_.erase(parent.sequence);
    tips_by_sequence_.emplace(entry.sequence, block.hash);
    const Entry& stored = entries_.emplace(block.hash, std::move(entry)).first->second;
    result.stored.push_back(block.hash);
    const Entry& best_entry = entries_.at(best);
    if (stored.work > best_entry.work) best = block.hash;

    auto waiting = orphans_.find(block.hash);
    if (waiting != orphans_.end()) {
      for (auto& orphan : waiting->second) {
        orphan_order_.erase(std::remove_if(orphan_order_.begin(), orphan_order_.end(),
                                           [&](const auto& o) { return o.second == orphan.hash; }),
                            orphan_order_.end());
        pending.push_back(std::move(orphan));
      }
      orphans_.erase(waiting);
    }
  }
  result.status = AddStatus::added;
  if (best != old_tip) switch_main_to(best, result);
  return result;
}

void BlockTree::switch_main_to(const std::string& new_tip, AddResult& result) {
  // Walk the new branch down to the main chain, collecting the blocks that join it.
  std::vector<std::string> joining;
  std::string cursor = new_tip;
  while (!on_main_chain(cursor)) {
    joining.push_back(cursor);
    cursor = entries_.at(cursor).block.previous_hash;
  }
  const std::uint64_t fork_height = entries_.at(cursor).block.index;
  while (main_.size() - 1 > fork_height) {
    const std::string& leaving = main_.back();
    for (const auto& id : entries_.at(leaving).post_ids) main_posts_.erase(id);
    result.disconnected.push_back(leaving);
    main_.pop_back();
  }
  std::reverse(joining.begin(), joining.end());
  for (const auto& hash : joining) {
    const Entry& entry = entries_.at(hash);
    for (const auto& id : entry.post_ids) main_posts_[id] = entry.block.index;
    main_.push_back(hash);
  }
  result.connected = std::move(joining);
  result.tip_changed = true;
}

}  // namespace yournet
