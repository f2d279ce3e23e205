#include "yournet/block_tree.hpp"

#include <algorithm>
#include <set>

namespace yournet {

BlockTree::BlockTree(ChainParams params, BlockTreeLimits limits)
    : params_(params), limits_(limits) {
  // Every tree shares the one genesis block.
  static const std::shared_ptr<const Block> genesis =
      std::make_shared<const Block>(genesis_block());
  Entry entry{genesis, params_.difficulty.work(), next_sequence_++, {}, 0};
  const Entry& stored = entries_.emplace(genesis->hash, std::move(entry)).first->second;
  main_.push_back(&stored);
  tip_block_ = genesis.get();
  tips_by_sequence_.emplace(0, genesis->hash);
}

const Block& BlockTree::tip() const {
  return *main_.back()->block;
}

std::uint64_t BlockTree::tip_work() const {
  return main_.back()->work;
}

const Block* BlockTree::find(const std::string& hash) const {
  auto it = entries_.find(hash);
  return it == entries_.end() ? nullptr : it->second.block.get();
}

std::shared_ptr<const Block> BlockTree::find_shared(const std::string& hash) const {
  auto it = entries_.find(hash);
  return it == entries_.end() ? nullptr : it->second.block;
}

bool BlockTree::on_main_chain(const Entry& entry) const {
  auto height = entry.block->index;
  return height < main_.size() && main_[height] == &entry;
}

bool BlockTree::on_main_chain(const std::string& hash) const {
  auto it = entries_.find(hash);
  return it != entries_.end() && on_main_chain(it->second);
}

bool BlockTree::on_main_chain(const Block& block) const {
  const Block* at = at_height(block.index);
  return at != nullptr && (at == &block || at->hash == block.hash);
}

const Block* BlockTree::at_height(std::uint64_t height) const {
  if (height >= main_.size()) return nullptr;
  return main_[height]->block.get();
}

std::vector<Block> BlockTree::main_chain() const {
  std::vector<Block> chain;
  chain.reserve(main_.size());
  for (const Entry* entry : main_) chain.push_back(*entry->block);
  return chain;
}

std::optional<std::uint64_t> BlockTree::main_chain_post_height(const std::string& id) const {
  auto it = main_posts_.find(id);
  if (it == main_posts_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> BlockTree::tips() const {
  std::vector<std::string> out;
  for (const auto& [sequence, hash] : tips_by_sequence_) out.emplace_back(hash);
  return out;
}

std::optional<std::uint64_t> BlockTree::work_of(const std::string& hash) const {
  auto it = entries_.find(hash);
  if (it == entries_.end()) return std::nullopt;
  return it->second.work;
}

AddResult BlockTree::add(const Block& block) {
  if (entries_.count(block.hash) != 0) {
    AddResult result;
    result.status = AddStatus::already_known;
    return result;
  }
  return add(std::make_shared<const Block>(block));
}

AddResult BlockTree::add(const std::shared_ptr<const Block>& block) {
  AddResult result;
  // The usual new block extends the tip, and then it cannot be known already: a known child of
  // the tip would have more work than the tip, and be the tip. Neither lookup by hash is needed.
  if (block.get() == tip_block_) {  // the very block object of the tip, handed over again
    result.status = AddStatus::already_known;
    return result;
  }
  const bool extends_tip = block->previous_hash == tip_block_->hash;
  if (!extends_tip && entries_.count(block->hash) != 0) {
    result.status = AddStatus::already_known;
    return result;
  }
  if (auto verdict = check_block_alone(*block, params_)) {
    result.error = verdict;
    return result;
  }
  if (block->index == 0) {  // a valid block 0 is the genesis, which every tree holds
    result.status = AddStatus::already_known;
    return result;
  }
  // main_ views the entries as const; entries_ owns them, mutable.
  if (extends_tip) return connect(block, const_cast<Entry&>(*main_.back()));
  auto parent = entries_.find(block->previous_hash);
  if (parent == entries_.end()) {
    store_orphan(block);
    result.status = AddStatus::orphan;
    return result;
  }
  return connect(block, parent->second);
}

void BlockTree::store_orphan(std::shared_ptr<const Block> block) {
  auto& waiting = orphans_[block->previous_hash];
  for (const auto& existing : waiting) {
    if (existing->hash == block->hash) return;
  }
  orphan_order_.emplace_back(block->previous_hash, block->hash);
  waiting.push_back(std::move(block));
  while (orphan_order_.size() > limits_.max_orphans) {  // evict the oldest
    // Plain names, not a structured binding: the lambda below captures `hash` (Clang < 16 refuses
    // to capture a binding).
    const std::string parent = std::move(orphan_order_.front().first);
    const std::string hash = std::move(orphan_order_.front().second);
    orphan_order_.pop_front();
    auto it = orphans_.find(parent);
    if (it == orphans_.end()) continue;
    auto& list = it->second;
    list.erase(
        std::remove_if(list.begin(), list.end(), [&](const auto& b) { return b->hash == hash; }),
        list.end());
    if (list.empty()) orphans_.erase(it);
  }
}

std::optional<ValidationError> BlockTree::check_no_replayed_post(
    const Entry& parent, const std::vector<std::string>& ids, std::uint64_t index) const {
  if (ids.empty()) return std::nullopt;
  // Posts of the side branch between the parent and the main chain, then the main chain below
  // the fork point.
  std::set<std::string> branch_posts;
  const Entry* cursor = &parent;
  while (!on_main_chain(*cursor)) {
    branch_posts.insert(cursor->post_ids.begin(), cursor->post_ids.end());
    cursor = &entries_.at(cursor->block->previous_hash);
  }
  const std::uint64_t fork_height = cursor->block->index;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto on_main = main_posts_.find(ids[i]);
    if (branch_posts.count(ids[i]) != 0 ||
        (on_main != main_posts_.end() && on_main->second <= fork_height)) {
      return ValidationError{Rule::duplicate_post, index, std::nullopt, i,
                             "post already mined in an ancestor block"};
    }
  }
  return std::nullopt;
}

AddResult BlockTree::connect(std::shared_ptr<const Block> first, Entry& first_parent) {
  AddResult result;
  const Entry* const old_tip = main_.back();
  const Entry* best = old_tip;
  // Connect the block, then any orphans that were waiting for it, breadth first.
  std::deque<std::shared_ptr<const Block>> pending{std::move(first)};
  bool first_block = true;
  while (!pending.empty()) {
    std::shared_ptr<const Block> block = std::move(pending.front());
    pending.pop_front();
    const bool is_first = first_block;
    first_block = false;
    // The first block is known to be new, with this parent; orphans are looked up.
    if (!is_first && entries_.count(block->hash) != 0) continue;
    Entry& parent = is_first ? first_parent : entries_.at(block->previous_hash);
    Verdict verdict = check_block_link(*block, *parent.block);
    std::vector<std::string> ids;
    ids.reserve(block->transactions.size());
    for (const auto& post : block->transactions) ids.push_back(post_id(post));
    if (!verdict) verdict = check_no_replayed_post(parent, ids, block->index);
    if (verdict) {
      if (is_first) {
        result.error = verdict;
        result.status = AddStatus::invalid;
        return result;
      }
      continue;  // a bad orphan is dropped; its own descendants stay orphaned and age out
    }
    const std::string_view hash = block->hash;  // owned by the entry's block from here on
    Entry entry{std::move(block), parent.work + params_.difficulty.work(), next_sequence_++,
                std::move(ids), 0};
    if (parent.children++ == 0) tips_by_sequence_.erase(parent.sequence);
    tips_by_sequence_.emplace(entry.sequence, hash);
    const Entry& stored = entries_.emplace(hash, std::move(entry)).first->second;
    result.stored.emplace_back(hash);
    if (stored.work > best->work) best = &stored;

    auto waiting = orphans_.find(stored.block->hash);
    if (waiting != orphans_.end()) {
      for (auto& orphan : waiting->second) {
        orphan_order_.erase(std::remove_if(orphan_order_.begin(), orphan_order_.end(),
                                           [&](const auto& o) { return o.second == orphan->hash; }),
                            orphan_order_.end());
        pending.push_back(std::move(orphan));
      }
      orphans_.erase(waiting);
    }
  }
  result.status = AddStatus::added;
  if (best != old_tip) switch_main_to(*best, result);
  return result;
}

void BlockTree::switch_main_to(const Entry& new_tip, AddResult& result) {
  // Walk the new branch down to the main chain, collecting the blocks that join it.
  std::vector<const Entry*> joining;
  const Entry* cursor = &new_tip;
  while (!on_main_chain(*cursor)) {
    joining.push_back(cursor);
    cursor = &entries_.at(cursor->block->previous_hash);
  }
  const std::uint64_t fork_height = cursor->block->index;
  while (main_.size() - 1 > fork_height) {
    const Entry& leaving = *main_.back();
    for (const auto& id : leaving.post_ids) main_posts_.erase(id);
    result.disconnected.push_back(leaving.block->hash);
    main_.pop_back();
  }
  std::reverse(joining.begin(), joining.end());
  for (const Entry* entry : joining) {
    for (const auto& id : entry->post_ids) main_posts_[id] = entry->block->index;
    main_.push_back(entry);
    result.connected.push_back(entry->block->hash);
  }
  tip_block_ = main_.back()->block.get();
  result.tip_changed = true;
}

}  // namespace yournet
