#include "yournet/sim/trace.hpp"

namespace yournet::sim {

bool trace_keeps(TraceDetail level, std::string_view kind) {
  if (level == TraceDetail::full) return true;
  for (std::string_view message_level :
       {"send", "deliver", "drop", "peer_added", "peer_unreachable"}) {
    if (kind == message_level) return false;
  }
  if (level == TraceDetail::blocks) return true;
  for (std::string_view node_level : {"block_accepted", "tip", "block_orphaned", "post_accepted",
                                      "mine_done", "request_rejected", "chain_rejected"}) {
    if (kind == node_level) return false;
  }
  return true;
}

void TraceWriter::write(std::int64_t t_us, int node, std::string_view kind, Json detail) {
  if (!keeps(kind)) return;
  Json line = Json::object();
  line["t_us"] = t_us;
  line["node"] = node;
  line["event"] = kind;
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
