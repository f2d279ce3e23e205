#pragma once
// The trace: one schema for every world, its writer, and what each detail level keeps. A line is
// canonical JSON {"detail", "event", "node", "t_us"}; the report reads the same schema.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "yournet/crypto.hpp"
#include "yournet/json.hpp"
#include "yournet/node/node_event.hpp"
#include "yournet/sim/scenario.hpp"

namespace yournet::sim {

struct RunOptions {
  // When set, every trace line (without the newline) goes here as it happens instead of into
  // RunResult::trace.
  std::function<void(std::string_view line)> trace_sink;
  // Called now and then (every few thousand events) with scenario time reached, stop time, events
  // so far; and once at the end, with now_us == stop_us.
  std::function<void(std::int64_t now_us, std::int64_t stop_us, std::uint64_t events)> progress;
  // Threads a simulated run may use (block_lanes.hpp); the trace is the same bytes for any number.
  unsigned threads = 1;
  // When set: counts the block steps that ran ahead on lanes (how a test, or netsim -j, knows
  // they did).
  std::uint64_t* steps_run_ahead = nullptr;
};

// Every kind of trace line, in one place: the names the writer writes, the levels the filter
// keeps and what the report reads back.
enum class TraceEvent : std::uint8_t {
  start,
  stop,
  send,
  deliver,
  drop,
  peer_added,
  peer_dropped,
  peer_unreachable,
  loaded,
  block_accepted,
  tip,
  block_orphaned,
  blocks_evicted,
  block_rejected,
  chain_rejected,
  post_accepted,
  request_rejected,
  mined,
  mine_done,
  reorg,
  post_submitted,
  registered,
  withheld,
  released,
  partition,
  isolate,
  heal,
  set_link,
  auto_mine,
  crash,
  restart,
  join,
  leave,
  sync,
  catch_up,
  register_failed,
  invariant_broken,
};
inline constexpr std::size_t kTraceEventKinds =
    static_cast<std::size_t>(TraceEvent::invariant_broken) + 1;

std::string_view trace_event_name(TraceEvent event);
// The kind a trace line names; nullopt for a name no writer of ours writes.
std::optional<TraceEvent> parse_trace_event(std::string_view name);
// A node's event as a kind of trace line.
TraceEvent trace_event_of(const NodeEvent& event);

// Whether a trace at `level` keeps events of this kind: `blocks` leaves out the message-level
// ones, `minimal` also the node-level ones. Counting is the caller's, traced or not.
bool trace_keeps(TraceDetail level, TraceEvent event);

// Writes trace lines one way for the simulator and live mode: canonical JSON
// {"detail", "event", "node", "t_us"}, hashed as written, streamed to the sink or kept.
class TraceWriter {
 public:
  TraceWriter(TraceDetail level, const RunOptions& options) : level_(level), options_(options) {}
  // Writes the line when the detail level keeps this kind of event.
  void write(std::int64_t t_us, int node, TraceEvent kind, Json detail);
  bool keeps(TraceEvent kind) const { return trace_keeps(level_, kind); }
  std::string take_text() { return std::move(text_); }
  std::string sha256_hex() { return hash_.finish_hex(); }

 private:
  TraceDetail level_;
  const RunOptions& options_;
  std::string text_;  // the trace, when no sink takes it
  Sha256Stream hash_;
};

}  // namespace yournet::sim
