#pragma once
// A world answers three questions for the scenario runner: how a message travels, how time
// passes, and how a node is hosted. The simulator's world moves messages through simulated links
// in virtual time; the live worlds move them over real sockets, through fault proxies, in wall
// time, to nodes in this process or in processes of their own. Everything else, from the
// timeline to the verdict, is the runner's and written once.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "yournet/block_tree.hpp"
#include "yournet/node/environment.hpp"
#include "yournet/node/store.hpp"
#include "yournet/sim/event_queue.hpp"
#include "yournet/sim/network.hpp"

namespace yournet::sim {

// How many events ahead the runner asks the world to prefetch a step's records, a stage at each
// distance, farthest first: a large run's records are scattered over gigabytes, and each stage
// finds the next records through the ones fetched the stage before. Three events apart: at two,
// a 100,000-node run's profile still showed the second stage waiting on what the first asked for
// (at four apart no better than three). The last two stages read what the second brought (a
// node's tip) to fetch what only a new block needs, in two steps. The helpers that prefetch are
// declared [[gnu::always_inline]]: GCC 12 takes a function that only prefetches for one without
// effect and deletes the calls it does not inline (a helper that also called another vanished).
inline constexpr std::array<std::size_t, 4> kPrefetchDistances = {6, 3, 2, 1};
static_assert(kPrefetchDistances[0] < MonotoneQueue<EventKey>::kWindow,
              "the queue keeps them in order");

class Runner;

// A node this process does not run (a chainnode process, a foreign program): driven through its
// public HTTP routes, seen through its GET /chain.
class RemoteNode {
 public:
  virtual ~RemoteNode() = default;
  virtual void post(const Json& post, std::function<void(int status)> done) = 0;
  virtual void mine(std::function<void(std::string message)> done) = 0;
  // Runs consensus; false when the node has no route for it (a foreign node).
  virtual bool sync() = 0;
  virtual void register_with(const std::string& address, std::function<void(int status)> done) = 0;
  // Its chain as last fetched, in a tree of ours (validated as we validate).
  virtual const BlockTree& view() const = 0;
  // Posts it holds pending, as last fetched.
  virtual const std::vector<Json>& pending() const = 0;
  // Blocks it refused, as far as it says (0 when it does not say).
  virtual std::uint64_t blocks_rejected() const = 0;
};

class World {
 public:
  virtual ~World() = default;
  virtual const char* transport_name() const = 0;
  // Called once, before anything runs, when the runner has made its nodes' slots.
  virtual void attach(Runner& runner) = 0;

  // ---- time
  // Live worlds pass wall time: the runner waits through them and reads its clock from them.
  virtual bool live() const { return false; }
  // Scenario time 0 is now: the nodes up at the start are listening.
  virtual void start_clock() {}
  // Waits (serving sockets) until scenario time `until_us`, or less when something happened.
  virtual void wait_until(std::int64_t /*until_us*/) {}
  virtual std::int64_t live_now_us() const { return 0; }
  // What a node's clock reads at scenario time `t_us` (Unix seconds, before its offset).
  virtual double unix_seconds(std::int64_t t_us) const = 0;

  // ---- messages
  // The links and their faults, which the timeline changes (partition, heal, set_link...).
  virtual Network& network() = 0;
  // The address peers know a node by.
  virtual std::string address_of(int node) const = 0;
  // A node's outgoing transport (to its peers, through the world's links).
  virtual Transport& transport_of(int node) = 0;
  // The simulated network's own events (message steps) and their prefetch: `stage` indexes
  // kPrefetchDistances (0: the step's first records; then those found through the ones fetched
  // before, arrived since).
  virtual void run_step(const EventKey& /*step*/) {}
  virtual void prefetch_step(const EventKey& /*step*/, std::size_t /*stage*/) {}
  // No message a step sends arrives sooner than this after it (block_lanes.hpp: block steps this
  // close run ahead on several threads); negative: the world's block steps may not run ahead.
  // A step run ahead reads and writes only its node's state and its own outgoing links, and asks
  // the runner for everything else.
  virtual std::int64_t block_window_us() const { return -1; }

  // ---- hosting
  // Where an in-process node keeps its state; nullptr: nowhere (it cannot restart with it).
  // `fresh`: whatever was kept is wiped first.
  virtual NodeStore* open_store(int node, bool fresh) = 0;
  // What an in-process node's store holds, as a restart reads it.
  virtual StoredState stored_state(int node) = 0;
  // An in-process node starts or stops being reachable (crash, leave, restart, join).
  virtual void node_up(int /*node*/) {}
  virtual void node_down(int /*node*/) {}
  // A node this world runs out of process; nullptr for an in-process one.
  virtual RemoteNode* remote(int /*node*/) { return nullptr; }
  // A remote node is started (`keep_state`: from its own store), killed, or polled.
  virtual void start_remote(int /*node*/, bool /*keep_state*/,
                            const std::vector<std::string>& /*peers*/) {}
  virtual void kill_remote(int /*node*/) {}
  // The run is over: stop serving, fetch what the summary needs from remote nodes.
  virtual void finish() {}
};

}  // namespace yournet::sim
