#include "yournet/block_tree.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include "yournet/assert.hpp"

namespace yournet {

BlockTree::BlockTree(ChainParams params, BlockTreeLimits limits)
    : params_(params), limits_(limits) {
  // Every tree shares the one genesis block.
  static const std::shared_ptr<const Block> genesis =
      std::make_shared<const Block>(genesis_block());
  Entry entry{genesis, next_sequence_++, nullptr, 0, 0};
  Entry& stored = hold(std::move(entry));
  main_.push_back(&stored);
  tip_entry_ = &stored;
  tip_block_ = genesis.get();
  tips_by_sequence_.emplace(0, genesis->hash);
}

const Block& BlockTree::tip() const {
  return *main_.back()->block;
}

std::uint64_t BlockTree::tip_work() const {
  return work_at(*main_.back());
}

BlockTree::Entry& BlockTree::hold(Entry entry) {
  Entry* stored;
  if (free_entries_.empty()) {
    stored = &entry_store_.emplace_back(std::move(entry));
  } else {
    stored = free_entries_.back();
    free_entries_.pop_back();
    *stored = std::move(entry);
  }
  entries_.insert(stored);
  return *stored;
}

void BlockTree::release(Entry& entry) {
  entries_.erase(&entry);
  entry = Entry{};
  free_entries_.push_back(&entry);
}

const Block* BlockTree::find(const std::string& hash) const {
  const Entry* entry = entries_.find(hash);
  return entry ? entry->block.get() : nullptr;
}

std::shared_ptr<const Block> BlockTree::find_shared(const std::string& hash) const {
  const Entry* entry = entries_.find(hash);
  return entry ? entry->block : nullptr;
}

bool BlockTree::on_main_chain(const Entry& entry) const {
  auto height = entry.block->index;
  return height < main_.size() && main_[height] == &entry;
}

bool BlockTree::on_main_chain(const std::string& hash) const {
  const Entry* entry = entries_.find(hash);
  return entry && on_main_chain(*entry);
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
  const Entry* entry = entries_.find(hash);
  if (!entry) return std::nullopt;
  return work_at(*entry);
}

AddResult BlockTree::add(const Block& block) {
  if (contains(block.hash)) {
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
  if (tip_is(*block)) {  // the very block object of the tip, handed over again
    result.status = AddStatus::already_known;
    return result;
  }
  const bool extends_tip = block->previous_hash == tip_block_->hash;
  if (!extends_tip && contains(block->hash)) {
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
  if (extends_tip) return connect(block, *tip_entry_);
  Entry* parent = entries_.find(block->previous_hash);
  if (!parent) {
    store_orphan(block);
    result.status = AddStatus::orphan;
    return result;
  }
  return connect(block, *parent);
}

void BlockTree::store_orphan(std::shared_ptr<const Block> block) {
  auto& waiting = orphans_[block->previous_hash];
  for (const auto& existing : waiting) {
    if (existing->hash == block->hash) return;
  }
  orphan_order_.emplace_back(block->previous_hash, block->hash);
  waiting.push_back(std::move(block));
  trim_orphans();
}

void BlockTree::trim_orphans() {
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

std::optional<ValidationError> BlockTree::check_no_replayed_post(const Entry& parent,
                                                                 std::span<const std::string> ids,
                                                                 std::uint64_t index) const {
  if (ids.empty()) return std::nullopt;
  // Posts of the side branch between the parent and the main chain, then the main chain below
  // the fork point.
  std::set<std::string> branch_posts;
  const Entry* cursor = &parent;
  while (!on_main_chain(*cursor)) {
    const auto posts = posts_of(*cursor);
    branch_posts.insert(posts.begin(), posts.end());
    cursor = &parent_of(*cursor);
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

const BlockTree::Entry& BlockTree::parent_of(const Entry& entry) const {
  const Entry* parent = entries_.find(entry.block->previous_hash);
  YOURNET_ASSERT(parent != nullptr, "a held block's parent is held (tree links)");
  return *parent;
}

BlockTree::Entry& BlockTree::parent_of(const Entry& entry) {
  return const_cast<Entry&>(std::as_const(*this).parent_of(entry));
}

void BlockTree::count_side(Entry& entry) {
  if (entry.side_bytes != 0) return;
  const std::size_t bytes = block_canonical(*entry.block).size();
  YOURNET_ASSERT(bytes < (std::size_t{1} << 32), "a block's canonical size fits its counter");
  entry.side_bytes = static_cast<std::uint32_t>(bytes);
  side_bytes_ += entry.side_bytes;
}

void BlockTree::uncount_side(Entry& entry) {
  YOURNET_ASSERT(side_bytes_ >= entry.side_bytes, "side-branch bytes count every side block");
  side_bytes_ -= entry.side_bytes;
  entry.side_bytes = 0;
}

AddResult BlockTree::connect(std::shared_ptr<const Block> first, Entry& first_parent) {
  AddResult result;
  Entry* const old_tip = tip_entry_;
  Entry* best = old_tip;
  // Connect the block, then any orphans that were waiting for it, breadth first. The usual block
  // lets no orphan connect, and then neither vector allocates: every node of a simulated network
  // connects every block.
  Entry* first_stored = nullptr;
  std::vector<Entry*> orphans_stored;
  std::vector<std::shared_ptr<const Block>> pending;  // orphans to connect, read from the front
  std::size_t next = 0;
  for (std::shared_ptr<const Block> block = std::move(first); block;
       block = next < pending.size() ? std::move(pending[next++]) : nullptr) {
    const bool is_first = next == 0;
    // The first block is known to be new, with this parent; orphans are looked up.
    if (!is_first && contains(block->hash)) continue;
    Entry& parent = is_first ? first_parent : *entries_.find(block->previous_hash);
    YOURNET_ASSERT(parent.block->hash == block->previous_hash, "a block joins its own parent");
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
    Entry entry{
        std::move(block), next_sequence_++,
        ids.empty() ? nullptr : std::make_unique<const std::vector<std::string>>(std::move(ids)), 0,
        0};
    // The parent stops being a tip as this block becomes one: the usual case, a block on a tip,
    // moves the parent's map node over instead of freeing one and allocating another.
    auto parent_tip = parent.children++ == 0 ? tips_by_sequence_.extract(parent.sequence)
                                             : decltype(tips_by_sequence_)::node_type();
    if (parent_tip) {
      parent_tip.key() = entry.sequence;
      parent_tip.mapped() = hash;
      tips_by_sequence_.insert(tips_by_sequence_.end(), std::move(parent_tip));
    } else {
      tips_by_sequence_.emplace_hint(tips_by_sequence_.end(), entry.sequence, hash);
    }
    Entry& stored = hold(std::move(entry));
    result.stored.emplace_back(hash);
    (is_first ? first_stored : orphans_stored.emplace_back()) = &stored;
    if (work_at(stored) > work_at(*best)) best = &stored;

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
  if (!on_main_chain(*first_stored)) count_side(*first_stored);
  for (Entry* entry : orphans_stored) {
    if (!on_main_chain(*entry)) count_side(*entry);
  }
  evict_side_branches(result);
  YOURNET_ASSERT(orphan_order_.size() <= limits_.max_orphans, "orphans within max_orphans");
  if constexpr (kFullChecks) check_invariants();
  return result;
}

void BlockTree::switch_main_to(Entry& new_tip, AddResult& result) {
  YOURNET_ASSERT(work_at(new_tip) > work_at(*tip_entry_),
                 "the main chain changes only for more work (main-chain work never decreases)");
  const auto join = [&](Entry& entry) {
    YOURNET_ASSERT(entry.block->previous_hash == main_.back()->block->hash,
                   "each main-chain block links to the one below it");
    for (const auto& id : posts_of(entry)) main_posts_[id] = entry.block->index;
    main_.push_back(&entry);
    uncount_side(entry);
    result.connected.push_back(entry.block->hash);
  };
  // The usual new tip extends the old one and is all that joins: no walk, no list.
  if (new_tip.block->previous_hash == tip_entry_->block->hash) {
    join(new_tip);
  } else {
    // Walk the new branch down to the main chain, collecting the blocks that join it.
    std::vector<Entry*> joining;
    Entry* cursor = &new_tip;
    while (!on_main_chain(*cursor)) {
      joining.push_back(cursor);
      cursor = &parent_of(*cursor);
    }
    const std::uint64_t fork_height = cursor->block->index;
    while (main_.size() - 1 > fork_height) {
      Entry& leaving = *main_.back();
      for (const auto& id : posts_of(leaving)) main_posts_.erase(id);
      result.disconnected.push_back(leaving.block->hash);
      main_.pop_back();
      count_side(leaving);
    }
    for (auto it = joining.rbegin(); it != joining.rend(); ++it) join(**it);
  }
  tip_entry_ = main_.back();
  tip_block_ = tip_entry_->block.get();
  result.tip_changed = true;
}

void BlockTree::evict_side_branches(AddResult& result) {
  const auto just_left = [&](std::string_view hash) {
    return std::find(result.disconnected.begin(), result.disconnected.end(), hash) !=
           result.disconnected.end();
  };
  while (side_bytes_ > limits_.max_side_branch_bytes) {
    // The stale tip that arrived first. The map is ordered by arrival, so this is the same for the
    // same history (no hash order, no unordered iteration): the simulator stays deterministic.
    auto tip = tips_by_sequence_.begin();
    while (tip != tips_by_sequence_.end() &&
           (tip->first == main_.back()->sequence || just_left(tip->second)))
      ++tip;
    if (tip == tips_by_sequence_.end()) break;  // only blocks that left the main chain just now
    Entry* victim = entries_.find(tip->second);
    YOURNET_ASSERT(victim != nullptr, "every tip is a held block");
    Entry& entry = *victim;
    YOURNET_ASSERT(entry.children == 0 && !on_main_chain(entry),
                   "only a stale tip, which no held block builds on, is evicted");
    Entry& parent = parent_of(entry);
    YOURNET_ASSERT(parent.children > 0, "a parent counts its children");
    tips_by_sequence_.erase(tip);
    // Its parent may become a stale tip, older than every tip after it: a branch goes from its
    // tip down before a branch that arrived later is touched.
    if (--parent.children == 0) {
      YOURNET_ASSERT(!on_main_chain(parent), "a main-chain block keeps its main-chain child");
      tips_by_sequence_.emplace(parent.sequence, parent.block->hash);
    }
    uncount_side(entry);
    std::string hash = entry.block->hash;
    result.stored.erase(std::remove(result.stored.begin(), result.stored.end(), hash),
                        result.stored.end());
    release(entry);
    result.evicted.push_back(std::move(hash));
  }
  // What stays over the bound is only what left the main chain in this call.
  if (side_bytes_ > limits_.max_side_branch_bytes) {
    std::size_t just_left_bytes = 0;
    for (const auto& hash : result.disconnected) {
      if (const Entry* entry = entries_.find(hash)) just_left_bytes += entry->side_bytes;
    }
    YOURNET_ASSERT(side_bytes_ - just_left_bytes <= limits_.max_side_branch_bytes,
                   "side branches within max_side_branch_bytes");
  }
}

std::vector<std::string> BlockTree::set_limits(BlockTreeLimits limits) {
  limits_ = limits;
  trim_orphans();
  AddResult result;
  evict_side_branches(result);
  if constexpr (kFullChecks) check_invariants();
  return std::move(result.evicted);
}

void BlockTree::check_invariants() const {
  // The main chain: the genesis, then each block on the one below it, with more work.
  YOURNET_ASSERT(!main_.empty() && main_[0]->block->hash == kGenesisHash,
                 "the main chain starts at the genesis");
  YOURNET_ASSERT(tip_entry_ == main_.back() && tip_block_ == tip_entry_->block.get(),
                 "tip_entry_ and tip_block_ are the main tip's");
  std::size_t main_post_count = 0;
  for (std::size_t height = 0; height < main_.size(); ++height) {
    const Entry& entry = *main_[height];
    YOURNET_ASSERT(entry.block->index == height, "a main-chain block sits at its index");
    YOURNET_ASSERT(entry.side_bytes == 0, "a main-chain block is not counted as side branch");
    YOURNET_ASSERT(entries_.find(entry.block->hash) == &entry, "main-chain blocks are held");
    if (height > 0) {
      YOURNET_ASSERT(entry.block->previous_hash == main_[height - 1]->block->hash,
                     "each main-chain block links to the one below it");
      YOURNET_ASSERT(work_at(entry) > work_at(*main_[height - 1]),
                     "work grows along the main chain");
    }
    for (const auto& id : posts_of(entry)) {
      auto at = main_posts_.find(id);
      YOURNET_ASSERT(at != main_posts_.end() && at->second == height,
                     "every main-chain post is indexed at its height");
    }
    main_post_count += posts_of(entry).size();
  }
  YOURNET_ASSERT(main_posts_.size() == main_post_count,
                 "the post index holds main-chain posts only");
  // Every block: its parent held, child counts, tips and side bytes. Counted into ordered maps:
  // nothing here depends on the unordered map's order.
  std::map<std::string_view, std::size_t> children;
  std::map<std::uint64_t, std::string_view> tips;
  std::size_t side_bytes = 0;
  std::size_t held = 0;
  for (const Entry& entry : entry_store_) {
    if (!entry.block) continue;  // a free slot
    ++held;
    const std::string_view hash = entry.block->hash;
    YOURNET_ASSERT(entries_.find(hash) == &entry, "a block is held under its own hash");
    side_bytes += entry.side_bytes;
    YOURNET_ASSERT(on_main_chain(entry) || entry.side_bytes > 0,
                   "a side-branch block is counted in side-branch bytes");
    if (entry.children == 0) tips.emplace(entry.sequence, hash);
    if (entry.block->index == 0) continue;
    const Entry* parent = entries_.find(entry.block->previous_hash);
    YOURNET_ASSERT(parent != nullptr, "a held block's parent is held (tree links)");
    YOURNET_ASSERT(work_at(entry) == work_at(*parent) + params_.difficulty.work(),
                   "a block's work is its parent's and its own");
    ++children[parent->block->hash];
  }
  YOURNET_ASSERT(held == entries_.size() && held + free_entries_.size() == entry_store_.size(),
                 "every stored entry is indexed or free");
  for (const Entry& entry : entry_store_) {
    if (!entry.block) continue;
    auto counted = children.find(entry.block->hash);
    YOURNET_ASSERT(entry.children == (counted == children.end() ? 0 : counted->second),
                   "a block counts its children");
  }
  YOURNET_ASSERT(tips == tips_by_sequence_, "the tips are the blocks nothing builds on");
  YOURNET_ASSERT(side_bytes == side_bytes_, "side-branch bytes are the side blocks' sizes");
  // Orphans: the arrival list and the lists by parent hold the same blocks, within the bound.
  std::size_t orphans = 0;
  for (const auto& [parent, list] : orphans_) {
    YOURNET_ASSERT(!list.empty(), "no empty orphan list is kept");
    YOURNET_ASSERT(!contains(parent), "an orphan waits for a parent not held");
    orphans += list.size();
  }
  YOURNET_ASSERT(orphans == orphan_order_.size(), "the orphan order lists every orphan once");
  YOURNET_ASSERT(orphan_order_.size() <= limits_.max_orphans, "orphans within max_orphans");
}

}  // namespace yournet
