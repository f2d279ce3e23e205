#pragma once
// A scenario after validation (see scenarios/README.md for the file format): the nodes, their
// links and topology, mining, a timeline of typed actions and the expectations of the run.
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "yournet/json.hpp"
#include "yournet/pow.hpp"
#include "yournet/sim/link_model.hpp"

namespace yournet::sim {

enum class Behaviour {
  honest,
  tamper,   // sends blocks and chains altered after mining: honest nodes must reject them
  selfish,  // withholds its blocks and releases them to orphan honest work
  flooder,  // sends posts to its peers as fast as flood_posts_per_s
};
const char* behaviour_name(Behaviour behaviour);

// A node that is another program speaking the tutorial's HTTP protocol (the tutorial's own Python
// node, say): started by netsim with `{port}` in argv replaced by a free port.
struct ForeignCommand {
  std::vector<std::string> argv;
  std::string cwd;                         // empty: netsim's own
  std::map<std::string, std::string> env;  // added to netsim's environment
  bool operator==(const ForeignCommand&) const = default;
};

struct NodeSpec {
  double hash_rate = 1000;  // real mining: hashes per simulated second; modeled: share of the total
  Behaviour behaviour = Behaviour::honest;
  double clock_offset_s = 0;      // added to this node's clock (post and block timestamps)
  bool online = true;             // false: joins later with a "join" action
  std::optional<bool> auto_mine;  // default: on in modeled mining, off in real mining
  double flood_posts_per_s = 0;
  std::optional<ForeignCommand> command;  // set: a foreign node (--transport process only)
  bool operator==(const NodeSpec&) const = default;
};

struct Topology {
  enum class Kind { full_mesh, ring, random, edges } kind = Kind::full_mesh;
  int degree = 8;  // random: each node dials this many distinct random others
  std::vector<std::pair<int, int>> edges;
  bool operator==(const Topology&) const = default;
};

enum class MiningMode {
  real,     // real proof of work; time to find a block = attempts / hash rate
  modeled,  // discoveries are a Poisson process at the target interval; blocks still real
};

// What the trace records: everything, or no per-message lines (send, deliver, drop), or only the
// network-wide story (no per-node acceptances and tips either), for networks of thousands of nodes.
enum class TraceDetail { full, blocks, minimal };

// The timeline's actions, one type each. `node` -1: every node, where the action allows it.
namespace action {
struct Post {
  int node = 0;
  std::string author, content;
  bool operator==(const Post&) const = default;
};
struct Mine {
  int node = -1;
  bool operator==(const Mine&) const = default;
};
struct Sync {
  int node = -1;
  bool operator==(const Sync&) const = default;
};
struct AutoMine {
  int node = -1;
  bool on = true;
  bool operator==(const AutoMine&) const = default;
};
struct Partition {
  std::vector<std::vector<int>> groups;  // nodes named in no group are each alone
  bool operator==(const Partition&) const = default;
};
struct Heal {
  bool operator==(const Heal&) const = default;
};
struct Isolate {
  int node = 0;
  bool operator==(const Isolate&) const = default;
};
struct SetLink {
  int from = 0, to = 0;
  bool one_way = false;
  LinkPatch link;
  bool operator==(const SetLink&) const = default;
};
struct Crash {
  int node = 0;
  bool operator==(const Crash&) const = default;
};
struct Restart {
  int node = 0;
  bool keep_state = true;  // with its stored state (side branches and pending posts) or empty
  bool operator==(const Restart&) const = default;
};
struct Join {
  int node = 0;
  bool operator==(const Join&) const = default;
};
struct Leave {
  int node = 0;
  bool operator==(const Leave&) const = default;
};
}  // namespace action

using Action = std::variant<action::Post, action::Mine, action::Sync, action::AutoMine,
                            action::Partition, action::Heal, action::Isolate, action::SetLink,
                            action::Crash, action::Restart, action::Join, action::Leave>;
// The action's name in scenario files ("post", "set_link"...).
const char* action_name(const Action& action);

struct TimedAction {
  std::int64_t at_us = 0;
  Action what;
  bool operator==(const TimedAction&) const = default;
};

struct Scenario {
  struct LinkOverride {
    int from = -1, to = -1;
    bool one_way = false;
    LinkPatch patch;
    bool operator==(const LinkOverride&) const = default;
  };
  struct Expectations {
    std::optional<bool> converged;
    std::optional<std::uint64_t> min_forks;
    std::optional<std::uint64_t> min_height;
    std::optional<std::uint64_t> max_reorg_depth;
    std::optional<double> converged_within_s;  // of the last heal, join or restart (or the start)
    std::optional<std::uint64_t> min_blocks_rejected;
    bool no_post_lost = true;
    bool operator==(const Expectations&) const = default;
  };
  std::string name;
  std::string description;
  std::uint64_t seed = 1;
  int node_count = 2;
  std::vector<NodeSpec> nodes;  // node_count entries
  Difficulty difficulty = Difficulty::bits(8);
  double hash_rate = 1000;  // the default of each node
  MiningMode mining = MiningMode::real;
  double target_interval_s = 600;           // modeled mining: network-wide mean time between blocks
  std::optional<std::uint64_t> max_blocks;  // automatic mining stops after this many blocks
  Topology topology;
  LinkModel link;  // every link's default
  std::vector<LinkOverride> links;
  double sync_interval_s = 0;  // periodic consensus on every node; 0 = off
  std::int64_t stop_at_us = 60'000'000;
  TraceDetail trace = TraceDetail::full;
  std::vector<TimedAction> timeline;
  Expectations expect;
  bool operator==(const Scenario&) const = default;
};

// The loader's bounds on a scenario's size (README, "Limits"), so that a file cannot make netsim
// run out of memory or time before it starts: past one, load_scenario throws a ScenarioError naming
// the field and the limit, and netsim exits 2.
inline constexpr int kMaxScenarioNodes = 100'000;                   // max_nodes
inline constexpr std::size_t kMaxScenarioActions = 100'000;         // max_actions (timeline)
inline constexpr double kMaxScenarioSeconds = 1e8;                  // max_duration_s (any time)
inline constexpr std::size_t kMaxScenarioLinks = 100'000;           // max_link_overrides
inline constexpr std::size_t kMaxScenarioEdges = 1'000'000;         // max_edges
inline constexpr std::uintmax_t kMaxScenarioFileBytes = 64u << 20;  // max_file_bytes (netsim)

class ScenarioError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// Validates and reads a scenario; ScenarioError names the JSON path of the bad field.
Scenario load_scenario(const Json& json);

}  // namespace yournet::sim
