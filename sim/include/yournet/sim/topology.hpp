#pragma once
// Who peers with whom at the start (and whom a joining node registers with).
#include <vector>

#include "yournet/sim/scenario.hpp"

namespace yournet::sim {

// Each node's peers under the scenario's topology, sorted. Random: every node dials `degree`
// distinct others drawn from the seed (as Bitcoin's outbound connections), and links are
// two-way, so no node has fewer than `degree` peers (with degree >= node count - 1: a full mesh);
// the graph is then made connected.
std::vector<std::vector<int>> topology_neighbours(const Scenario& scenario);

}  // namespace yournet::sim
