#include "yournet/sim/trace.hpp"

#include "yournet/overloaded.hpp"

namespace yournet::sim {

namespace {
constexpr std::string_view kNames[kTraceEventKinds] = {
    "start",
    "stop",
    "send",
    "deliver",
    "drop",
    "peer_added",
    "peer_dropped",
    "peer_unreachable",
    "loaded",
    "block_accepted",
    "tip",
    "block_orphaned",
    "blocks_evicted",
    "block_rejected",
    "chain_rejected",
    "post_accepted",
    "request_rejected",
    "mined",
    "mine_done",
    "reorg",
    "post_submitted",
    "registered",
    "withheld",
    "released",
    "partition",
    "isolate",
    "heal",
    "set_link",
    "auto_mine",
    "crash",
    "restart",
    "join",
    "leave",
    "sync",
    "catch_up",
    "register_failed",
    "invariant_broken",
};
}  // namespace

std::string_view trace_event_name(TraceEvent event) {
  return kNames[static_cast<std::size_t>(event)];
}

std::optional<TraceEvent> parse_trace_event(std::string_view name) {
  for (std::size_t i = 0; i < kTraceEventKinds; ++i) {
    if (kNames[i] == name) return static_cast<TraceEvent>(i);
  }
  return std::nullopt;
}

TraceEvent trace_event_of(const NodeEvent& event) {
  return std::visit(
      Overloaded{[](const event::PeerAdded&) { return TraceEvent::peer_added; },
                 [](const event::PeerDropped&) { return TraceEvent::peer_dropped; },
                 [](const event::PeerUnreachable&) { return TraceEvent::peer_unreachable; },
                 [](const event::PostAccepted&) { return TraceEvent::post_accepted; },
                 [](const event::BlockAccepted&) { return TraceEvent::block_accepted; },
                 [](const event::BlockRejected&) { return TraceEvent::block_rejected; },
                 [](const event::BlockOrphaned&) { return TraceEvent::block_orphaned; },
                 [](const event::BlocksEvicted&) { return TraceEvent::blocks_evicted; },
                 [](const event::ChainRejected&) { return TraceEvent::chain_rejected; },
                 [](const event::Reorg&) { return TraceEvent::reorg; },
                 [](const event::Mined&) { return TraceEvent::mined; },
                 [](const event::RequestRejected&) { return TraceEvent::request_rejected; },
                 [](const event::Loaded&) { return TraceEvent::loaded; },
                 [](const event::CatchUp&) { return TraceEvent::catch_up; },
                 [](const event::RegisterFailed&) { return TraceEvent::register_failed; }},
      event);
}

bool trace_keeps(TraceDetail level, TraceEvent event) {
  if (level == TraceDetail::full) return true;
  switch (event) {
    case TraceEvent::send:
    case TraceEvent::deliver:
    case TraceEvent::drop:
    case TraceEvent::peer_added:
    case TraceEvent::peer_unreachable:
    case TraceEvent::catch_up:
      return false;  // message level
    case TraceEvent::block_accepted:
    case TraceEvent::tip:
    case TraceEvent::block_orphaned:
    case TraceEvent::blocks_evicted:
    case TraceEvent::post_accepted:
    case TraceEvent::mine_done:
    case TraceEvent::request_rejected:
    case TraceEvent::chain_rejected:
      return level == TraceDetail::blocks;  // node level
    default:
      return true;
  }
}

void TraceWriter::write(std::int64_t t_us, int node, TraceEvent kind, Json detail) {
  if (!keeps(kind)) return;
  Json line = Json::object();
  line["t_us"] = t_us;
  line["node"] = node;
  line["event"] = trace_event_name(kind);
  if (!detail.is_null()) line["detail"] = std::move(detail);
  std::string text = canonical(line);
  text += '\n';
  hash_.update(text);
  if (options_.trace_sink) {
    options_.trace_sink(std::string_view(text).substr(0, text.size() - 1));
  } else {
    text_ += text;
  }
}

}  // namespace yournet::sim
