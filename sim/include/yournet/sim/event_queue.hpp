#pragma once
// Everything timed in a run, in (time, sequence) order: closures (timeline actions, node timers,
// mining) and the simulated network's message steps, which carry an index and nothing else
// because they are most events by far. Ties go to the earlier scheduled: same seed, same order.
#include <cstdint>
#include <functional>
#include <vector>

#include "yournet/sim/monotone_queue.hpp"

namespace yournet::sim {

// What an event does: run a closure, or take a message in flight one step further.
// deliver_block: a block nobody awaits an answer for, which needs no message record.
enum class StepKind : std::uint8_t { closure, deliver, response, timeout, deliver_block };

// The queue orders small keys (32 bytes); the closures stay put in a slab.
struct EventKey {
  std::int64_t time_us;
  std::uint64_t sequence;
  std::uint32_t payload;  // closure: its slot; deliver_block: the block's; else the message's
  int node;               // the node the step happens at (message steps only)
  int from;               // deliver_block: the sender
  StepKind kind;
  bool operator>(const EventKey& other) const {
    return time_us != other.time_us ? time_us > other.time_us : sequence > other.sequence;
  }
};

struct EventBody {
  const char* label;  // names the event when an invariant breaks
  int node;
  bool guarded;  // runs only if `node` is still up in this incarnation
  std::uint32_t incarnation;
  std::function<void()> fn;
};

class EventQueue {
 public:
  bool empty() const { return keys_.empty(); }
  const EventKey& top() { return keys_.top(); }
  EventKey pop() { return keys_.pop(); }
  // The key `i` steps after the next (0: top()); nullptr past the few the queue keeps in order.
  const EventKey* ahead(std::size_t i) { return keys_.ahead(i); }
  std::uint64_t next_sequence() const { return sequence_; }
  // Keys popped ahead are being run by the caller, in order, from `present` on (MonotoneQueue).
  void resume_from(const EventKey& present) { keys_.resume_from(present); }
  // The node a closure event is about (-1: none), before it is taken.
  int node_of(const EventKey& closure) const { return slots_[closure.payload].node; }

  void push_closure(std::int64_t time_us, EventBody body) {
    std::uint32_t slot;
    if (free_slots_.empty()) {
      slot = static_cast<std::uint32_t>(slots_.size());
      slots_.push_back(std::move(body));
    } else {
      slot = free_slots_.back();
      free_slots_.pop_back();
      slots_[slot] = std::move(body);
    }
    keys_.push(EventKey{time_us, sequence_++, slot, -1, -1, StepKind::closure});
  }
  void push_step(std::int64_t time_us, StepKind kind, std::uint32_t payload, int node,
                 int from = -1) {
    keys_.push(EventKey{time_us, sequence_++, payload, node, from, kind});
  }
  // The closure of a popped closure event; its slot is free again.
  EventBody take(const EventKey& key) {
    EventBody body = std::move(slots_[key.payload]);
    free_slots_.push_back(key.payload);
    return body;
  }

 private:
  MonotoneQueue<EventKey> keys_;
  std::vector<EventBody> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::uint64_t sequence_ = 0;
};

}  // namespace yournet::sim
