// GET /metrics: the node's gauges and counters in the Prometheus text exposition format (0.0.4).
#include "yournet/node/node.hpp"

namespace yournet {
namespace {

void metric(std::string& out, const char* name, const char* type, const char* help,
            std::uint64_t value) {
  out += std::string("# HELP yournet_") + name + " " + help + "\n";
  out += std::string("# TYPE yournet_") + name + " " + type + "\n";
  out += std::string("yournet_") + name + " " + std::to_string(value) + "\n";
}

}  // namespace

std::string Node::metrics_text() const {
  std::string out;
  metric(out, "height", "gauge", "Height of the main chain's tip.", tree_.height());
  metric(out, "work", "gauge", "Cumulative work of the main chain (expected hashes).",
         tree_.tip_work());
  metric(out, "blocks_known", "gauge", "Blocks stored, side branches included.", tree_.size());
  metric(out, "orphans", "gauge", "Blocks waiting for their parent.", tree_.orphan_count());
  metric(out, "pending_posts", "gauge", "Posts waiting to be mined.", mempool_.size());
  metric(out, "pending_bytes", "gauge", "Canonical bytes of the pending posts.", mempool_.bytes());
  metric(out, "peers", "gauge", "Peers this node talks to.", peers_.size());
  metric(out, "blocks_accepted_total", "counter", "Blocks accepted (mined, received or fetched).",
         metrics_.blocks_accepted);
  metric(out, "blocks_rejected_total", "counter", "Blocks refused as invalid.",
         metrics_.blocks_rejected);
  metric(out, "blocks_orphaned_total", "counter", "Blocks that arrived before their parent.",
         metrics_.blocks_orphaned);
  metric(out, "blocks_mined_total", "counter", "Blocks this node mined.", metrics_.blocks_mined);
  metric(out, "reorgs_total", "counter", "Changes of main chain that abandoned blocks.",
         metrics_.reorgs);
  metric(out, "posts_accepted_total", "counter", "Posts accepted into the pending pool.",
         metrics_.posts_accepted);
  metric(out, "peers_dropped_total", "counter", "Peers forgotten after failing too long.",
         metrics_.peers_dropped);
  out += "# HELP yournet_http_requests_total Requests answered, by route and status.\n";
  out += "# TYPE yournet_http_requests_total counter\n";
  for (const auto& [key, count] : metrics_.requests) {
    out += "yournet_http_requests_total{route=\"" + key.first + "\",status=\"" +
           std::to_string(key.second) + "\"} " + std::to_string(count) + "\n";
  }
  return out;
}

}  // namespace yournet
