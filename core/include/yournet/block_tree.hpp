#pragma once
// Every valid block a node has seen, by hash, with the main chain chosen by most cumulative work
// (the first seen wins a tie). Blocks whose parent is unknown wait in a bounded orphan pool; side
// branches are bounded in bytes, the oldest stale tips forgotten first.
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "yournet/hash_tail_index.hpp"
#include "yournet/validation.hpp"

namespace yournet {

enum class AddStatus {
  added,          // stored (on the main chain or a side branch); see tip_changed
  already_known,  // stored before; nothing changed
  orphan,         // parent unknown; waiting in the orphan pool
  invalid,        // refused; see error
};

struct AddResult {
  AddStatus status = AddStatus::invalid;
  std::optional<ValidationError> error;
  bool tip_changed = false;
  // Set when the main chain changed: blocks that left it (old tip first) and blocks that joined it
  // (lowest first). A plain extension has an empty `disconnected`; a reorg has both.
  std::vector<std::string> disconnected;
  std::vector<std::string> connected;
  // Every block stored by this call and still held: the block itself and any orphans it let
  // connect.
  std::vector<std::string> stored;
  // Side-branch blocks forgotten by this call to stay within max_side_branch_bytes, in the order
  // they went (a later copy of one is accepted again like any new block).
  std::vector<std::string> evicted;
  bool is_reorg() const { return !disconnected.empty(); }
};

// The tree's bounds (README, "Limits"; chainnode --max-orphans, --max-side-branch-mib).
inline constexpr std::size_t kDefaultMaxOrphans = 512;
inline constexpr std::size_t kDefaultMaxSideBranchBytes = std::size_t{64} << 20;

struct BlockTreeLimits {
  // Blocks waiting for an unknown parent; past it the one that arrived first is dropped.
  std::size_t max_orphans = kDefaultMaxOrphans;
  // Canonical bytes of the blocks off the main chain. Past it the stale tip that arrived first is
  // forgotten, then the next, until back within: a branch goes from its tip down, and neither a
  // main-chain block nor a block another held block builds on is ever evicted. Blocks that left
  // the main chain in the very call are kept until the next one (the caller reads their posts).
  std::size_t max_side_branch_bytes = kDefaultMaxSideBranchBytes;
};

class BlockTree {
 public:
  explicit BlockTree(ChainParams params, BlockTreeLimits limits = {});

  // Blocks are immutable once made: the tree keeps a shared pointer, so every node of a simulated
  // network can hold the very same block (one copy for 10,000 nodes). A block not yet known is
  // still checked in full.
  AddResult add(const std::shared_ptr<const Block>& block);  // shared again only if new
  AddResult add(const Block& block);                         // copies the block only if it is new

  const ChainParams& params() const { return params_; }
  const Block& tip() const;
  // Asks the CPU to fetch what add reads first (a hint for a caller that knows a block comes):
  // the tip, which is all a copy of the tip's own block reads.
  [[gnu::always_inline]] void prefetch_tip() const { __builtin_prefetch(&tip_block_); }
  // Whether `block` is the tip's very object (a simulated network shares one per block), not
  // merely a copy of it.
  bool tip_is(const Block& block) const { return &block == tip_block_; }
  // Once prefetch_tip's line is in: asks for what connecting `block` on the tip reads and writes
  // (the tree's own fields, the tip's entry, the main chain's next place). Returns false,
  // fetching nothing, for the tip's own block: a copy the tree holds already, which reads nothing
  // more. A hint: changes nothing.
  [[gnu::always_inline]] bool prefetch_connect(const Block& block) const {
    if (tip_is(block)) return false;
    const char* self = reinterpret_cast<const char*>(this);
    for (std::size_t at = 0; at < sizeof(BlockTree); at += 64) __builtin_prefetch(self + at);
    __builtin_prefetch(tip_entry_);
    __builtin_prefetch(main_.data() + main_.size(), 1);
    return true;
  }
  // Once prefetch_connect's lines are in: what they point to that connecting reads (the block's
  // slot in the index, the tips map's first node).
  [[gnu::always_inline]] void prefetch_connect_targets(const Block& block) const {
    if (!tips_by_sequence_.empty()) __builtin_prefetch(&*tips_by_sequence_.begin());
    entries_.prefetch(block.hash);
  }
  std::uint64_t height() const { return main_.size() - 1; }
  std::uint64_t tip_work() const;
  std::size_t size() const { return entries_.size(); }
  std::size_t orphan_count() const { return orphan_order_.size(); }
  // Canonical bytes of the blocks held off the main chain.
  std::size_t side_branch_bytes() const { return side_bytes_; }
  const BlockTreeLimits& limits() const { return limits_; }
  // New bounds, applied now (Node::load replays a store unbounded, then bounds it); returns the
  // side-branch blocks evicted.
  std::vector<std::string> set_limits(BlockTreeLimits limits);
  // Checks every invariant of the whole structure (links, child counts, tips, main chain, post
  // index, byte and orphan counts) with YOURNET_ASSERT: O(blocks + posts). After every change in a
  // YOURNET_FULL_CHECKS build; cheaper checks of the same run on every change in every build.
  void check_invariants() const;

  const Block* find(const std::string& hash) const;
  // The stored block itself, to pass on without a copy; nullptr when unknown.
  std::shared_ptr<const Block> find_shared(const std::string& hash) const;
  bool contains(std::string_view hash) const { return entries_.find(hash) != nullptr; }
  bool on_main_chain(const std::string& hash) const;
  // The same for a block in hand: found by its height, with no lookup by hash.
  bool on_main_chain(const Block& block) const;
  // The main-chain block at this height.
  const Block* at_height(std::uint64_t height) const;
  std::vector<Block> main_chain() const;
  // Height of the main-chain block holding this post, if any.
  std::optional<std::uint64_t> main_chain_post_height(const std::string& post_id) const;
  // Hashes of the tips of every branch, in the order they were first seen.
  std::vector<std::string> tips() const;
  // Cumulative work of the chain ending at this block.
  std::optional<std::uint64_t> work_of(const std::string& hash) const;

 private:
  // One per block per node (10 million in a 100,000-node simulation), so kept to 40 bytes: the
  // cumulative work is not stored (every block of a tree has the tree's difficulty, so it follows
  // from the height: work_at), nor an empty list of posts.
  struct Entry {
    std::shared_ptr<const Block> block;
    std::uint64_t sequence = 0;                                // arrival order, for tie-breaks
    std::unique_ptr<const std::vector<std::string>> post_ids;  // null when it holds none
    std::uint32_t children = 0;
    // Its canonical size while it is off the main chain (counted in side_bytes_), 0 on it:
    // measured only for blocks that go off it, rare next to blocks extending it.
    std::uint32_t side_bytes = 0;
  };
  static std::span<const std::string> posts_of(const Entry& entry) {
    return entry.post_ids ? std::span<const std::string>(*entry.post_ids)
                          : std::span<const std::string>();
  }
  // Cumulative work of the chain ending at an entry (genesis included).
  std::uint64_t work_at(const Entry& entry) const {
    return (entry.block->index + 1) * params_.difficulty.work();
  }

  AddResult connect(std::shared_ptr<const Block> block, Entry& parent);
  // The entry's parent, which every held block but the genesis has (asserted).
  const Entry& parent_of(const Entry& entry) const;
  Entry& parent_of(const Entry& entry);
  void count_side(Entry& entry);
  void uncount_side(Entry& entry);
  void trim_orphans();
  // Evicts the oldest stale tips while over max_side_branch_bytes (see BlockTreeLimits).
  void evict_side_branches(AddResult& result);
  std::optional<ValidationError> check_no_replayed_post(const Entry& parent,
                                                        std::span<const std::string> ids,
                                                        std::uint64_t index) const;
  void switch_main_to(Entry& new_tip, AddResult& result);
  void store_orphan(std::shared_ptr<const Block> block);
  bool on_main_chain(const Entry& entry) const;

  ChainParams params_;
  BlockTreeLimits limits_;
  // Every held block's entry, at a fixed address (main_, tips and parents point at them); the
  // slots of evicted ones (block null) are reused.
  std::deque<Entry> entry_store_;
  std::vector<Entry*> free_entries_;
  // The entries by their block's hash (a view of the entry's block's, so a hash is stored once).
  struct HashOfEntry {
    std::string_view operator()(const Entry& entry) const { return entry.block->hash; }
  };
  HashTailIndex<Entry, HashOfEntry> entries_;
  // Stores a new entry (its hash not held yet) and indexes it.
  Entry& hold(Entry entry);
  // Forgets a held entry.
  void release(Entry& entry);
  std::vector<Entry*> main_;  // by height
  // main_.back()'s block, kept beside the tree's other fields: a simulated network hands one shared
  // block to every node several times over, and the copies after the first find it here.
  const Block* tip_block_ = nullptr;
  Entry* tip_entry_ = nullptr;  // main_.back(), beside tip_block_: a new block reads it first
  std::unordered_map<std::string, std::uint64_t> main_posts_;  // post id -> height on main chain
  // Blocks no held block builds on, by arrival: the main tip and every stale tip.
  std::map<std::uint64_t, std::string_view> tips_by_sequence_;
  std::uint64_t next_sequence_ = 0;
  std::size_t side_bytes_ = 0;  // sum of the entries' side_bytes
  // Orphans by parent hash, and their arrival order for eviction.
  std::map<std::string, std::vector<std::shared_ptr<const Block>>> orphans_;
  std::deque<std::pair<std::string, std::string>> orphan_order_;  // (parent hash, block hash)
};

}  // namespace yournet
