#pragma once
// The invariants checked as a run goes, and convergence: every honest node's main chain only
// gains work and links by hash, every block that joins it is valid; the honest running nodes'
// tips are counted so the moment they agree is known. Written once for every world.
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "yournet/block_tree.hpp"

namespace yournet::sim {

class Checker {
  class TipHash;

 public:
  // `lanes`: how many threads may move tips at once (move_tip), at most.
  Checker(std::size_t nodes, ChainParams params, unsigned lanes = 1);

  // A node's tip may have changed, in two halves (a node on a lane, block_lanes.hpp, runs the
  // first there). move_tip reads the node's tree and writes the node's own view, nothing else
  // (`lane`: which thread, below `lanes`); nullopt: the tip did not move. `honest`: its chain is
  // checked; `counted`: it is an honest running node, whose tip counts for convergence.
  // count_tip does the rest (the count of tips, convergence), in the run's order.
  struct TipMove;
  std::optional<TipMove> move_tip(int node, const BlockTree& tree, bool honest, bool counted,
                                  unsigned lane);
  void count_tip(const TipMove& move, std::int64_t now_us);
  // Blocks that joined the main chain in the reorg just reported (checked at the next tip).
  void on_reorg(int node, std::size_t joined) { nodes_[idx(node)].reorg_depth = joined; }
  // A node's tip as it is now, without checks (a restart, a reload): the next change is judged
  // from here.
  void reset(int node, const BlockTree& tree);
  // Recounts who is honest and running (after a crash, restart, join or leave).
  void recount(const std::vector<bool>& counted, std::int64_t now_us);
  // A heal, join or restart: convergence is timed again from now.
  void reconnected(std::int64_t now_us);

  bool converged() const;
  std::size_t distinct_tips() const { return tip_counts_.size(); }
  std::int64_t last_heal_us() const { return last_heal_us_; }
  std::optional<std::int64_t> converged_at_us() const { return converged_at_us_; }
  std::string_view tip_of(int node) const { return nodes_[idx(node)].tip.view(); }
  // Asks the CPU to fetch a node's view, which a new tip reads (a hint: changes nothing).
  [[gnu::always_inline]] void prefetch(int node) const {
    const char* view = reinterpret_cast<const char*>(&nodes_[idx(node)]);
    __builtin_prefetch(view);
    __builtin_prefetch(view + sizeof(NodeView) - 1);
  }

 private:
  // A tip's hash kept inside the node's view: every new block at every node compares against it,
  // and a string's separate buffer would be a second cache miss each time.
  class TipHash {
   public:
    static constexpr std::size_t kCapacity = 64;  // a block's hash: 64 hex digits
    std::string_view view() const { return {text_.data(), size_}; }
    void assign(std::string_view hash);

   private:
    std::array<char, kCapacity> text_{};
    std::uint8_t size_ = 0;
  };

 public:
  struct TipMove {
    TipHash from;
    const Block* to;
    bool counted;                       // its tip counts (as the node was when it moved)
    std::optional<std::string> broken;  // what broke, if anything
  };

 private:
  struct NodeView {
    TipHash tip;
    std::uint64_t work = 0;
    std::size_t reorg_depth = 0;
    bool counted = false;
  };
  static std::size_t idx(int node) { return static_cast<std::size_t>(node); }
  bool valid_alone(const Block& block, unsigned lane);
  void note_convergence(std::int64_t now_us);

  ChainParams params_;
  std::vector<NodeView> nodes_;
  // Looked up by a view too (heterogeneous lookup): no string is made to find a tip.
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>{}(text);
    }
  };
  // Counted nodes per tip; never iterated.
  std::unordered_map<std::string, int, TextHash, std::equal_to<>> tip_counts_;
  int counted_ = 0;
  std::int64_t last_heal_us_ = 0;
  std::optional<std::int64_t> converged_at_us_;
  // Blocks that passed check_block_alone, as each lane found (one verdict per block and lane).
  std::vector<std::unordered_set<std::string>> verified_;
};

}  // namespace yournet::sim
