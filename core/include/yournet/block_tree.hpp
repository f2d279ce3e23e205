#pragma once
// Every valid block a node has seen, by hash, with the main chain chosen by most cumulative work
// (the first seen wins a tie). Blocks whose parent is unknown wait in a bounded orphan pool.
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

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
  // Every block stored by this call: the block itself and any orphans it let connect.
  std::vector<std::string> stored;
  bool is_reorg() const { return !disconnected.empty(); }
};

struct BlockTreeLimits {
  std::size_t max_orphans = 512;
};

class BlockTree {
 public:
  explicit BlockTree(ChainParams params, BlockTreeLimits limits = {});

  AddResult add(const Block& block);

  const ChainParams& params() const { return params_; }
  const Block& tip() const;
  std::uint64_t height() const { return main_.size() - 1; }
  std::uint64_t tip_work() const;
  std::size_t size() const { return entries_.size(); }
  std::size_t orphan_count() const { return orphan_order_.size(); }

  const Block* find(const std::string& hash) const;
  bool contains(const std::string& hash) const { return entries_.count(hash) != 0; }
  bool on_main_chain(const std::string& hash) const;
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
  struct Entry {
    Block block;
    std::uint64_t work = 0;      // cumulative, genesis included
    std::uint64_t sequence = 0;  // arrival order, for tie-breaks
    std::vector<std::string> post_ids;
    std::size_t children = 0;
  };

  AddResult connect(const Block& block);  // parent known
  std::optional<ValidationError> check_no_replayed_post(const Entry& parent,
                                                        const std::vector<std::string>& ids,
                                                        std::uint64_t index) const;
  void switch_main_to(const std::string& new_tip, AddResult& result);
  void store_orphan(const Block& block);

  ChainParams params_;
  BlockTreeLimits limits_;
  std::unordered_map<std::string, Entry> entries_;  // looked up by hash, never iterated
  std::vector<std::string> main_;                   // hash by height
  std::unordered_map<std::string, std::uint64_t> main_posts_;  // post id -> height on main chain
  std::map<std::uint64_t, std::string> tips_by_sequence_;
  std::uint64_t next_sequence_ = 0;
  // Orphans by parent hash, and their arrival order for eviction.
  std::map<std::string, std::vector<Block>> orphans_;
  std::deque<std::pair<std::string, std::string>> orphan_order_;  // (parent hash, block hash)
};

}  // namespace yournet
