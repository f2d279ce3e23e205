// GET /metrics: the node's gauges and counters in the Prometheus text exposition format (0.0.4).
#include <initializer_list>

#include "yournet/node/node.hpp"

namespace yournet {
namespace {

struct Sample {
  const char* name;
  const char* help;
  std::uint64_t value;
};

void write_family(std::string& out, const char* type, std::initializer_list<Sample> samples) {
  for (const auto& sample : samples) {
    const std::string name = std::string("yournet_") + sample.name;
    out += "# HELP " + name + " " + sample.help + "\n";
    out += "# TYPE " + name + " " + type + "\n";
    out += name + " " + std::to_string(sample.value) + "\n";
  }
}

}  // namespace

std::string Node::metrics_text() const {
  std::string out;
  write_family(out, "gauge",
               {{"height", "Height of the main chain's tip.", tree_.height()},
                {"work", "Cumulative work of the main chain (expected hashes).", tree_.tip_work()},
                {"blocks_known", "Blocks stored, side branches included.", tree_.size()},
                {"orphans", "Blocks waiting for their parent.", tree_.orphan_count()},
                {"side_branch_bytes", "Canonical bytes of the blocks off the main chain.",
                 tree_.side_branch_bytes()},
                {"pending_posts", "Posts waiting to be mined.", mempool_.size()},
                {"pending_bytes", "Canonical bytes of the pending posts.", mempool_.bytes()},
                {"peers", "Peers this node talks to.", peers_->size()}});
  write_family(
      out, "counter",
      {{"blocks_accepted_total", "Blocks accepted (mined, received or fetched).",
        metrics_.blocks_accepted},
       {"blocks_rejected_total", "Blocks refused as invalid.", metrics_.blocks_rejected},
       {"blocks_orphaned_total", "Blocks that arrived before their parent.",
        metrics_.blocks_orphaned},
       {"blocks_evicted_total", "Side-branch blocks forgotten past the side-branch bound.",
        metrics_.blocks_evicted},
       {"blocks_mined_total", "Blocks this node mined.", metrics_.blocks_mined},
       {"reorgs_total", "Changes of main chain that abandoned blocks.", metrics_.reorgs},
       {"posts_accepted_total", "Posts accepted into the pending pool.", metrics_.posts_accepted},
       {"peers_dropped_total", "Peers forgotten after failing too long.", metrics_.peers_dropped}});
  out += "# HELP yournet_http_requests_total Requests answered, by route and status.\n";
  out += "# TYPE yournet_http_requests_total counter\n";
  for (const auto& [key, count] : metrics_.requests) {
    out += "yournet_http_requests_total{route=\"" + key.first + "\",status=\"" +
           std::to_string(key.second) + "\"} " + std::to_string(count) + "\n";
  }
  out +=
      "# HELP yournet_http_refused_total Requests refused by the server's guard (CSRF, DNS "
      "rebinding), by reason.\n";
  out += "# TYPE yournet_http_refused_total counter\n";
  for (const auto& [reason, count] : metrics_.requests_refused) {
    out += "yournet_http_refused_total{reason=\"" + reason + "\"} " + std::to_string(count) + "\n";
  }
  return out;
}

}  // namespace yournet
