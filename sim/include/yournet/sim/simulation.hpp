#pragma once
// A whole network of real Nodes in one process, on a virtual clock. Everything that happens is an
// event ordered by (time, sequence number); all randomness comes from one seed, split into streams
// per node, per link and per purpose. Same scenario and seed => byte-identical trace.
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "yournet/node/node.hpp"

namespace yournet::sim {

// SplitMix64: small, fast, and the same sequence on every platform.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next();
  double uniform();                          // [0, 1)
  double exponential(double mean);           // >= 0
  double normal();                           // mean 0, standard deviation 1
  std::uint64_t below(std::uint64_t bound);  // [0, bound), bound > 0
  // A child generator whose stream does not overlap this one's in practice.
  Rng fork(std::uint64_t stream) { return Rng(next() ^ (stream * 0x9E3779B97F4A7C15ULL)); }
  // The stream for (seed, purpose, a, b), independent of how many others were derived before:
  // a link's or a node's randomness does not shift when another link or node is added.
  static Rng derive(std::uint64_t seed, std::uint64_t purpose, std::uint64_t a = 0,
                    std::uint64_t b = 0);

 private:
  std::uint64_t state_;
};

struct LatencyModel {
  enum class Kind { constant, uniform, normal, exponential, pareto } kind = Kind::constant;
  double a_ms = 50;  // constant value, uniform min, normal mean, exponential mean, Pareto minimum
  double b_ms = 50;  // uniform max, normal standard deviation, Pareto shape (alpha)
  double sample_ms(Rng& rng) const;  // never negative, at most an hour
};

struct LinkModel {
  LatencyModel latency;
  double bandwidth_mbps = 0;  // 0 = unlimited; else a message takes bytes*8/bandwidth, queued
  double loss = 0;            // probability that a request, or its response, is dropped
  double response_loss = 0;  // probability that a response is dropped after the request was handled
  double duplicate = 0;      // probability that a request is delivered twice
  double reorder = 0;        // probability that a message is held back by up to reorder_ms
  double reorder_ms = 1000;
  bool up = true;  // false: this direction of the link drops everything (a one-way cut)
};

// Fields of a link override or set_link action; unset fields keep their value.
struct LinkPatch {
  std::optional<LatencyModel> latency;
  std::optional<double> bandwidth_mbps, loss, response_loss, duplicate, reorder, reorder_ms;
  std::optional<bool> up;
  LinkModel apply(LinkModel model) const;
};

enum class Behaviour {
  honest,
  tamper,   // sends blocks and chains altered after mining: honest nodes must reject them
  selfish,  // withholds its blocks and releases them to orphan honest work
  flooder,  // sends posts to its peers as fast as flood_posts_per_s
};
const char* behaviour_name(Behaviour behaviour);

struct NodeSpec {
  double hash_rate = 1000;  // real mining: hashes per simulated second; modeled: share of the total
  Behaviour behaviour = Behaviour::honest;
  double clock_offset_s = 0;      // added to this node's clock (post and block timestamps)
  bool online = true;             // false: joins later with a "join" action
  std::optional<bool> auto_mine;  // default: on in modeled mining, off in real mining
  double flood_posts_per_s = 0;
};

struct Topology {
  enum class Kind { full_mesh, ring, random, edges } kind = Kind::full_mesh;
  int degree = 8;  // random: about this many peers per node
  std::vector<std::pair<int, int>> edges;
};

enum class MiningMode {
  real,     // real proof of work; time to find a block = attempts / hash rate
  modeled,  // discoveries are a Poisson process at the target interval; blocks still real
};

// What the trace records: everything, or no per-message lines (send, deliver, drop), or only the
// network-wide story (no per-node acceptances and tips either), for networks of thousands of nodes.
enum class TraceDetail { full, blocks, minimal };

// A scenario after validation (see scenarios/README.md for the file format).
struct Scenario {
  struct Action {
    std::int64_t at_us = 0;
    // post, mine, sync, partition, heal, isolate, set_link, crash, restart, join, leave, auto_mine
    std::string kind;
    int node = -1;  // -1: every node, where the action allows it
    std::string author, content;
    std::vector<std::vector<int>> groups;
    int from = -1, to = -1;  // set_link
    bool one_way = false;    // set_link
    LinkPatch link;          // set_link
    bool keep_state = true;  // restart: with the chain it had (as from disk) or from scratch
    bool on = true;          // auto_mine
  };
  struct LinkOverride {
    int from = -1, to = -1;
    bool one_way = false;
    LinkPatch patch;
  };
  struct Expectations {
    std::optional<bool> converged;
    std::optional<std::uint64_t> min_forks;
    std::optional<std::uint64_t> min_height;
    std::optional<std::uint64_t> max_reorg_depth;
    std::optional<double> converged_within_s;  // of the last heal, join or restart (or the start)
    std::optional<std::uint64_t> min_blocks_rejected;
    bool no_post_lost = true;
  };
  std::string name;
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
  std::vector<Action> timeline;
  Expectations expect;
};

class ScenarioError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// Validates and reads a scenario; ScenarioError names the JSON path of the bad field.
Scenario load_scenario(const Json& json);

// Each node's peers under the scenario's topology, sorted (a random topology is drawn from the
// seed; it is then made connected).
std::vector<std::vector<int>> topology_neighbours(const Scenario& scenario);

// The features of this scenario only the simulator can provide (latency, loss, partitions,
// adversaries...), by their scenario field name; empty when real sockets could run it as is.
std::vector<std::string> simulator_only_features(const Scenario& scenario);

struct ExpectationResult {
  std::string name;
  bool passed;
  std::string detail;
};

struct RunResult {
  Json summary;       // includes "trace_sha256", the SHA-256 of the whole trace text
  std::string trace;  // JSON lines; empty when RunOptions::trace_sink took them
  bool passed = false;
};

struct RunOptions {
  // When set, every trace line (without the newline) goes here as it happens instead of into
  // RunResult::trace.
  std::function<void(std::string_view line)> trace_sink;
  // Called now and then (every few thousand events) with simulated time reached, stop time, events
  // so far; and once at the end, with now_us == stop_us.
  std::function<void(std::int64_t now_us, std::int64_t stop_us, std::uint64_t events)> progress;
};

RunResult run_scenario(const Scenario& scenario, const RunOptions& options = {});

}  // namespace yournet::sim
