#pragma once
// Counters a Node keeps about its own work, exposed by GET /metrics in Prometheus text format.
#include <cstdint>
#include <map>
#include <string>
#include <utility>

namespace yournet {

struct NodeMetrics {
  std::uint64_t blocks_accepted = 0;  // stored, on the main chain or a side branch
  std::uint64_t blocks_rejected = 0;  // invalid
  std::uint64_t blocks_orphaned = 0;  // parent unknown when they arrived
  std::uint64_t blocks_evicted = 0;   // side-branch blocks forgotten past max_side_branch_bytes
  std::uint64_t blocks_mined = 0;
  std::uint64_t reorgs = 0;
  std::uint64_t posts_accepted = 0;
  std::uint64_t peers_dropped = 0;
  // Answers by (route, status); unknown paths count under the route "other".
  std::map<std::pair<std::string, int>, std::uint64_t> requests;
  // Requests the server refused before the node saw them, by reason ("foreign_origin"...).
  std::map<std::string, std::uint64_t> requests_refused;
};

}  // namespace yournet
