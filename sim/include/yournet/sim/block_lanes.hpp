#pragma once
// Block steps on several threads, with the trace the same bytes as on one.
//
// A large simulated network spends most of its time handing nodes blocks: each step reads and
// writes the receiving node's state and its own outgoing links, and asks the run for the rest
// (queue the messages it sends, count, trace, tell the checker). Block steps due within the
// world's block window of the first (no message arrives sooner, so none they send is due among
// them) run first on lanes, one thread each, every lane taking its own nodes' steps in the
// window's order: a step's own part happens there, and what it asks of the run is kept, as
// effects, in order. The runner then walks the window in order and applies each step's effects
// as the step would have, so the queue numbers every event as a one-thread run does.
// What the run keeps of a node (the checker's view of its tip) is its lane's to write as well.
// A node's steps after one that set a timer stay for that walk and run in full then: the timer
// may be due among them.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "yournet/block.hpp"
#include "yournet/sim/checker.hpp"
#include "yournet/sim/event_queue.hpp"

namespace yournet::sim {

class World;

// What a step run on a lane asks of the run, in the order it asked.
namespace effect {
struct Push {  // EventQueue::push_step
  std::int64_t time_us;
  std::uint32_t payload;
  int node;
  int from;
  StepKind kind;
};
struct Note {  // Runner::note_send, note_drop, note_deliver
  enum class Kind : std::uint8_t { send, drop, deliver } kind;
  bool duplicate = false;
  std::uint8_t route;  // its number in routes(); a note on another route is told as Later
  int from;
  int to;
  std::size_t bytes = 0;
  const char* why = nullptr;
  // The routes notes name by number (most effects are notes: no text is copied for them).
  static const std::array<std::string, 4>& routes() {
    static const std::array<std::string, 4> kRoutes = {"/add_block", "response", "/chain",
                                                       "/register_node"};
    return kRoutes;
  }
  static std::optional<std::uint8_t> number_of(const std::string& route) {
    for (std::size_t i = 0; i < routes().size(); ++i) {
      if (routes()[i] == route) return static_cast<std::uint8_t>(i);
    }
    return std::nullopt;
  }
};
struct Accepted {  // what Runner::block_accepted tells the run
  int node;
  bool main;
  const Block* block;
  const std::string* from;
  // The node's tip moved (its own view already has it): kept apart (Lane::tip_moves), as most
  // effects are smaller.
  std::uint32_t tip_move;
  static constexpr std::uint32_t kNoMove = UINT32_MAX;
};
using Later = std::function<void()>;  // anything else, run as it was asked
}  // namespace effect
using LaneEffect = std::variant<effect::Push, effect::Note, effect::Accepted, effect::Later>;

// The lane a thread is running a step on: the step's time and where its effects go.
struct Lane {
  unsigned index = 0;
  std::int64_t now_us = 0;
  std::vector<LaneEffect> effects;
  std::vector<Checker::TipMove> tip_moves;  // effect::Accepted's
  // The step set a timer, which may be due before the node's next step in the window: those
  // are left for the walk.
  bool holds_node = false;
  void add(LaneEffect effect) { effects.push_back(std::move(effect)); }
};

class BlockLanes {
 public:
  // At most this many lanes (threads, the caller's included).
  static constexpr unsigned kMaxLanes = 64;

  BlockLanes(unsigned lanes, std::size_t node_count);
  ~BlockLanes();
  BlockLanes(const BlockLanes&) = delete;
  BlockLanes& operator=(const BlockLanes&) = delete;

  // The lane this thread is running a step on; nullptr outside run (the runner's walk included).
  static Lane* current() { return current_lane; }

  unsigned lanes() const { return static_cast<unsigned>(lanes_.size()); }
  // Runs world.run_step for the steps (deliver_block, in the run's order) that may run ahead.
  void run(std::span<const EventKey> steps, World& world);
  // After run: whether step `index` ran, and its effects (in order) if it did.
  bool ran(std::size_t index) const { return ran_[index].ran; }
  std::span<LaneEffect> effects(std::size_t index) {
    const Ran& r = ran_[index];
    return std::span<LaneEffect>(lanes_[r.lane].lane.effects).subspan(r.begin, r.end - r.begin);
  }
  // An effect::Accepted's move of the tip, from the lane that ran step `index`.
  const Checker::TipMove& tip_move(std::size_t index, std::uint32_t move) const {
    return lanes_[ran_[index].lane].lane.tip_moves[move];
  }
  // After run: whether a step of `node` at `index` or later ran ahead.
  bool ran_from(int node, std::size_t index) const {
    const NodeMark& mark = marks_[static_cast<std::size_t>(node)];
    return mark.window == window_ && mark.last_ran > index;
  }

 private:
  // Nodes go to lanes in blocks, so that lanes seldom write next to each other.
  static constexpr unsigned kNodeBlockBits = 10;
  struct Ran {
    bool ran = false;
    std::uint32_t lane = 0, begin = 0, end = 0;  // its effects in the lane's
  };
  struct LaneState {
    Lane lane;
    std::vector<std::uint32_t> steps;  // indices into the window
    std::vector<Ran> ran;              // for each of `steps` (scattered into ran_ after)
    std::exception_ptr failure;
  };
  // A node's record of the current window, written by its lane only.
  struct NodeMark {
    std::uint32_t window = 0;
    std::uint32_t last_ran = 0;  // one past the index of its last step that ran ahead
    bool held = false;           // its later steps are left for the walk
  };
  unsigned lane_of(int node) const {
    return (static_cast<unsigned>(node) >> kNodeBlockBits) % lanes();
  }
  void run_lane(unsigned lane);
  void serve(unsigned lane);

  static thread_local Lane* current_lane;
  std::vector<LaneState> lanes_;
  std::vector<NodeMark> marks_;
  std::vector<Ran> ran_;
  std::uint32_t window_ = 0;
  // The window being run, for the helpers.
  std::span<const EventKey> steps_;
  World* world_ = nullptr;
  std::atomic<std::uint64_t> generation_{0};  // bumped for each window, and to stop
  std::atomic<unsigned> running_{0};          // helpers not done with the current window
  bool stopping_ = false;
  std::vector<std::thread> helpers_;
};

}  // namespace yournet::sim
