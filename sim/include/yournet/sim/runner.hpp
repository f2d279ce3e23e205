#pragma once
// The scenario runner: one for every world. It owns the timeline, the nodes' lives (start,
// crash, restart, join, leave), mining (real or modeled), adversaries, the invariant checker,
// the run's figures, the trace and the summary. The World it is given decides how messages
// travel, how time passes and how nodes are hosted.
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "yournet/node/http_api.hpp"
#include "yournet/sim/adversary.hpp"
#include "yournet/sim/block_lanes.hpp"
#include "yournet/sim/checker.hpp"
#include "yournet/sim/event_queue.hpp"
#include "yournet/sim/mining.hpp"
#include "yournet/sim/propagation.hpp"
#include "yournet/sim/scenario.hpp"
#include "yournet/sim/summary.hpp"
#include "yournet/sim/trace.hpp"
#include "yournet/sim/world.hpp"

namespace yournet::sim {

struct RunResult {
  Json summary;       // includes "trace_sha256", the SHA-256 of the whole trace text
  std::string trace;  // JSON lines; empty when RunOptions::trace_sink took them
  bool passed = false;
};

// A request a node was waiting on times out after this long (scenario time).
constexpr std::int64_t kRequestTimeoutUs = 5'000'000;

class Runner {
 public:
  Runner(const Scenario& scenario, World& world, const RunOptions& options);
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  RunResult run();

  // ---- for worlds
  const Scenario& scenario() const { return scenario_; }
  int node_count() const { return scenario_.node_count; }
  std::int64_t now_us() const {
    if (live_) return world_.live_now_us();
    if (const Lane* lane = BlockLanes::current()) return lane->now_us;  // a step run ahead
    return now_us_;
  }
  // The next step's node record is fetched while the current one runs.
  [[gnu::always_inline]] void prefetch_node(int node) const {
    __builtin_prefetch(&slots_[static_cast<std::size_t>(node)]);
  }
  // A block step reads no slot, only where the node is (local): 8 bytes a node, not 256.
  [[gnu::always_inline]] void prefetch_local(int node) const {
    __builtin_prefetch(&local_nodes_[static_cast<std::size_t>(node)]);
  }
  // A node is about to take a new tip: its slot and its checker view, which the news reads, are
  // fetched ahead too.
  [[gnu::always_inline]] void prefetch_new_tip(int node) const {
    prefetch_node(node);
    checker_.prefetch(node);
  }
  // A message step at `time_us` (not before now).
  void push_step(std::int64_t time_us, StepKind kind, std::uint32_t payload, int node,
                 int from = -1);
  bool up(int node) const { return slot(node).state == State::up; }
  bool alive(int node, std::uint32_t incarnation) const {
    const Slot& s = slot(node);
    return s.state == State::up && s.incarnation == incarnation;
  }
  std::uint32_t incarnation(int node) const { return slot(node).incarnation; }
  // The in-process node, when it is up; nullptr otherwise.
  Node* local(int node) const { return local_nodes_[static_cast<std::size_t>(node)]; }
  // The node answers a request that reached it (its adversary, if any, rewrites its /chain).
  void serve(int node, const HttpRequest& request, Respond respond);
  // Runs `fn` at `time_us` (not before now); `at_node`: unless the node crashed or left meanwhile.
  void at(std::int64_t time_us, const char* label, int node, std::function<void()> fn);
  void at_node(std::int64_t time_us, const char* label, int node, std::uint32_t incarnation,
               std::function<void()> fn);
  // What crossed the network, traced and counted the same way in every world.
  void note_send(int from, int to, const std::string& route, std::size_t bytes);
  void note_drop(int from, int to, const std::string& route, const char* why);
  void note_deliver(int from, int to, const std::string& route, bool duplicate);
  // A remote node's view changed (the world polled it).
  void remote_view_changed(int node);
  void fail_run(int node, const std::string& what) { fail(node, what); }
  bool traced(TraceEvent kind) const { return trace_.keeps(kind); }
  void trace(int node, TraceEvent kind, Json detail);
  // An event that happened but is not traced at this detail level still counts.
  void count_untraced();

 private:
  enum class State { waiting, up, down, gone };  // not joined yet, running, crashed, left for good
  class NodeClock;
  class NodeMiner;
  class NodeTracer;
  class AdversaryLink;
  // What every message step reads comes first.
  struct alignas(64) Slot {
    State state = State::waiting;
    std::uint32_t incarnation = 0;  // bumped by crash and leave: older callbacks are discarded
    bool auto_mine = false;
    bool real_mining = false;  // a real-mode automatic mining loop is under way
    bool muted = false;        // node events not traced (while wiring up or reloading state)
    std::unique_ptr<Node> node;
    RemoteNode* remote = nullptr;
    NodeSpec spec;
    std::unique_ptr<NodeClock> clock;
    std::unique_ptr<NodeMiner> miner;
    std::unique_ptr<NodeTracer> tracer;
    std::unique_ptr<AdversaryLink> adversary_link;
    std::unique_ptr<Adversary> adversary;
    std::unique_ptr<AdversaryTransport> adversary_transport;
    Rng rng{0};
  };

  Slot& slot(int node) { return slots_[static_cast<std::size_t>(node)]; }
  const Slot& slot(int node) const { return slots_[static_cast<std::size_t>(node)]; }
  // Every change of a node's state goes through here, and every change of its Node is followed by
  // refresh_local: local_nodes_ follows both.
  void set_state(int node, State state);
  void refresh_local(int node);
  bool honest(int node) const;
  // A node's chain and pending posts: its own, or a remote node's as last fetched.
  static const BlockTree& tree_of(const Slot& s);
  static std::vector<Json> pending_posts(const Slot& s);
  bool counted(int node) const;

  void start_node(int node, bool keep_state);  // (re)creates an in-process node, or a remote one
  void stop_node(int node, State to);
  void node_event(int node, const NodeEvent& event);
  // A step on a lane tells these to the run as effects (block_lanes.hpp): the halves that end in
  // _told are what the run does with them.
  void node_event_told(int node, const NodeEvent& event);
  void block_accepted(int node, const Block& block, const std::string& from, bool main);
  void block_accepted_told(const effect::Accepted& accepted, const Checker::TipMove* move);
  std::optional<Checker::TipMove> move_tip(int node);
  void tip_moved(int node, const Checker::TipMove& move);
  void mine_with(int node, MiningRequest request, std::function<void(MiningResult)> done);
  void note_tip(int node);
  void note_mined(int node, const std::string& hash);
  void add_post_ids(int node, const event::Mined& mined, Json& detail);
  void recount();
  void fail(int node, const std::string& what);

  // One event popped from the queue, in full.
  void run_event(const EventKey& key);
  void note_processed();  // and shows progress now and then
  void run_block_window(const EventKey& first, std::int64_t stop_at);
  void apply(std::size_t step, LaneEffect& effect);  // an effect of the window's step
  void tell_note(Lane& lane, const effect::Note& note, const std::string& route);
  void take_note(const effect::Note& note, const std::string& route);

  void perform(const Action& action);
  void post(const action::Post& post);
  // A client's GET /mine; `then` runs after a remote node's answer.
  void mine(int node, TraceEvent trace_as, std::function<void()> then = {});
  void sync(int node);
  void restart(int node, bool keep_state);
  void join(int node);
  void schedule_sync(std::int64_t interval_us);
  void schedule_discovery();
  void real_mining_step(int node);
  void start_routines(int node);
  void mining_stopped(int node);
  void wipe_posts(int node);
  template <typename Fn>
  void for_nodes(int node, Fn fn);

  Json summarize();
  std::optional<std::string> find_post_id(const Json& post,
                                          const std::vector<const BlockTree*>& trees) const;

  const Scenario& scenario_;
  World& world_;
  const RunOptions& options_;
  NodeConfig config_;  // shared by every node but its address
  bool live_;          // the world passes wall time (asked once: every message reads the clock)
  bool adversaries_;   // some node is not honest (and may have an adversary)
  std::vector<Slot> slots_;
  // Each node's in-process Node while it is up, else nullptr: all a delivered block reads of the
  // runner's records of its node, kept dense (a large run's slots are scattered over 25 MB).
  std::vector<Node*> local_nodes_;
  std::vector<std::vector<int>> neighbours_;  // the topology, sorted
  EventQueue queue_;
  ModeledMining mining_;
  Checker checker_;
  TraceWriter trace_;
  std::int64_t now_us_ = 0;
  bool stop_ = false;
  struct CurrentEvent {
    const char* label;
    int node;
    std::uint64_t sequence;
  };
  std::optional<CurrentEvent> current_;
  std::uint64_t processed_ = 0;  // events run, for progress
  // Block steps on several threads (RunOptions::threads > 1, a world that allows it, no
  // adversaries: they act on what their node is told at once).
  std::unique_ptr<BlockLanes> lanes_;
  // A window's steps: at most kMaxBlockWindow; lanes only from kMinLaneWindow (fewer are not
  // worth waking a thread for).
  static constexpr std::size_t kMaxBlockWindow = 1 << 16;
  static constexpr std::size_t kMinLaneWindow = 256;
  std::vector<EventKey> window_;
  std::vector<std::size_t> window_serial_;  // the steps the walk runs in full, by index
  RunFigures figures_;
  PropagationTracker propagation_;
  std::uint64_t event_count_ = 0;
  std::unordered_map<std::string, int> miner_of_;  // block hash -> node that mined it
  std::set<std::string> accepted_posts_;           // ids honest nodes accepted
  std::unordered_set<std::string> wiped_posts_;
  std::vector<Json> remote_accepted_;  // posts remote honest nodes answered 201 for
  std::vector<Json> remote_wiped_;     // pending on a remote node when its state was wiped
};

// Runs the scenario in the simulated world: deterministic, same seed => byte-identical trace.
RunResult run_scenario(const Scenario& scenario, const RunOptions& options = {});

}  // namespace yournet::sim
