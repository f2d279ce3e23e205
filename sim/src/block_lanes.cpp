#include "yournet/sim/block_lanes.hpp"

#include <algorithm>

#include "yournet/assert.hpp"
#include "yournet/sim/world.hpp"

namespace yournet::sim {

thread_local Lane* BlockLanes::current_lane = nullptr;

BlockLanes::BlockLanes(unsigned lanes, std::size_t node_count)
    : lanes_(std::clamp(lanes, 1u, kMaxLanes)), marks_(node_count) {
  for (unsigned lane = 0; lane < this->lanes(); ++lane) lanes_[lane].lane.index = lane;
  for (unsigned lane = 1; lane < this->lanes(); ++lane)
    helpers_.emplace_back([this, lane] { serve(lane); });
}

BlockLanes::~BlockLanes() {
  stopping_ = true;
  generation_.fetch_add(1);
  generation_.notify_all();
  for (auto& helper : helpers_) helper.join();
}

// A helper waits for each window, runs its lane, and says when it is done.
void BlockLanes::serve(unsigned lane) {
  std::uint64_t seen = 0;
  for (;;) {
    generation_.wait(seen);
    seen = generation_.load();
    if (stopping_) return;
    run_lane(lane);
    if (running_.fetch_sub(1) == 1) running_.notify_one();
  }
}

void BlockLanes::run(std::span<const EventKey> steps, World& world) {
  YOURNET_ASSERT(steps.size() < UINT32_MAX, "a window of block steps too long to index");
  ++window_;
  for (LaneState& lane : lanes_) {
    lane.steps.clear();
    lane.lane.effects.clear();
    lane.lane.tip_moves.clear();
  }
  for (std::size_t i = 0; i < steps.size(); ++i)
    lanes_[lane_of(steps[i].node)].steps.push_back(static_cast<std::uint32_t>(i));
  steps_ = steps;
  world_ = &world;
  running_.store(lanes() - 1);
  generation_.fetch_add(1);  // the helpers see everything written above
  generation_.notify_all();
  run_lane(0);
  for (unsigned left = running_.load(); left != 0; left = running_.load()) running_.wait(left);
  ran_.assign(steps.size(), Ran{});
  for (LaneState& lane : lanes_) {
    if (lane.failure) std::rethrow_exception(std::exchange(lane.failure, nullptr));
    for (std::size_t k = 0; k < lane.steps.size(); ++k) ran_[lane.steps[k]] = lane.ran[k];
  }
}

// The lane's steps in order, each node's up to one whose effects hold the node; the records of
// the steps a few ahead are fetched meanwhile, as the runner does.
void BlockLanes::run_lane(unsigned index) {
  LaneState& state = lanes_[index];
  Lane& lane = state.lane;
  current_lane = &lane;
  try {
    state.ran.assign(state.steps.size(), Ran{});
    for (std::size_t k = 0; k < state.steps.size(); ++k) {
      for (std::size_t stage = 0; stage < kPrefetchDistances.size(); ++stage) {
        if (const std::size_t ahead = k + kPrefetchDistances[stage]; ahead < state.steps.size())
          world_->prefetch_step(steps_[state.steps[ahead]], stage);
      }
      const std::uint32_t at = state.steps[k];
      const EventKey& step = steps_[at];
      NodeMark& mark = marks_[static_cast<std::size_t>(step.node)];
      if (mark.window != window_) mark = NodeMark{window_, 0, false};
      if (mark.held) continue;
      const auto begin = static_cast<std::uint32_t>(lane.effects.size());
      lane.now_us = step.time_us;
      lane.holds_node = false;
      world_->run_step(step);
      state.ran[k] = Ran{true, index, begin, static_cast<std::uint32_t>(lane.effects.size())};
      mark.last_ran = at + 1;
      mark.held = lane.holds_node;
    }
  } catch (...) {
    state.failure = std::current_exception();
  }
  current_lane = nullptr;
}

}  // namespace yournet::sim
