// Who peers with whom. Drawn from its own random stream, so the topology of a seed does not
// depend on anything else in the scenario.
#include "yournet/sim/topology.hpp"

#include <algorithm>
#include <set>

namespace yournet::sim {

std::vector<std::vector<int>> topology_neighbours(const Scenario& scenario) {
  const int n = scenario.node_count;
  std::vector<std::vector<int>> neighbours(static_cast<std::size_t>(n));
  std::vector<std::set<int>> seen(static_cast<std::size_t>(n));
  auto connect = [&](int a, int b) {
    if (a == b || !seen[static_cast<std::size_t>(a)].insert(b).second) return;
    seen[static_cast<std::size_t>(b)].insert(a);
    neighbours[static_cast<std::size_t>(a)].push_back(b);
    neighbours[static_cast<std::size_t>(b)].push_back(a);
  };
  auto full_mesh = [&] {
    for (int a = 0; a < n; ++a) {
      for (int b = a + 1; b < n; ++b) connect(a, b);
    }
  };
  const Topology& t = scenario.topology;
  switch (t.kind) {
    case Topology::Kind::full_mesh:
      full_mesh();
      break;
    case Topology::Kind::ring:
      for (int a = 0; a < n; ++a) connect(a, (a + 1) % n);
      break;
    case Topology::Kind::edges:
      for (const auto& edge : t.edges) connect(edge.first, edge.second);
      break;
    case Topology::Kind::random: {
      if (t.degree >= n - 1) {
        full_mesh();
        break;
      }
      // Every node dials `degree` distinct others (Bitcoin's outbound connections); a link is
      // two-way, so every node ends with at least `degree` peers, about twice that on average.
      Rng rng = Rng::derive(scenario.seed, kTopologyStream);
      std::vector<int> dialled;
      for (int a = 0; a < n; ++a) {
        dialled.clear();
        while (static_cast<int>(dialled.size()) < t.degree) {
          int b = static_cast<int>(rng.below(static_cast<std::uint64_t>(n - 1)));
          if (b >= a) ++b;  // anyone but itself, uniformly
          if (std::find(dialled.begin(), dialled.end(), b) != dialled.end()) continue;
          dialled.push_back(b);
          connect(a, b);
        }
      }
      break;
    }
  }
  // Components are chained so the graph is connected (a ring, edges or a sparse draw may not be).
  std::vector<bool> reached(static_cast<std::size_t>(n), false);
  int previous_root = -1;
  for (int a = 0; a < n; ++a) {
    if (reached[static_cast<std::size_t>(a)]) continue;
    std::vector<int> stack{a};
    reached[static_cast<std::size_t>(a)] = true;
    while (!stack.empty()) {
      int x = stack.back();
      stack.pop_back();
      for (int y : neighbours[static_cast<std::size_t>(x)]) {
        if (!reached[static_cast<std::size_t>(y)]) {
          reached[static_cast<std::size_t>(y)] = true;
          stack.push_back(y);
        }
      }
    }
    if (previous_root >= 0 && t.kind == Topology::Kind::random) connect(previous_root, a);
    previous_root = a;
  }
  for (auto& list : neighbours) std::sort(list.begin(), list.end());
  return neighbours;
}

}  // namespace yournet::sim
