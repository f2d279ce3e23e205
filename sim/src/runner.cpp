// The scenario runner: the one place a scenario's timeline, nodes' lives, mining, adversaries,
// checks, trace and verdict are written, whatever world carries the messages.
#include "yournet/sim/runner.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "yournet/overloaded.hpp"
#include "yournet/sim/sim_world.hpp"
#include "yournet/sim/topology.hpp"

namespace yournet::sim {
namespace {
constexpr std::uint64_t kProgressEvery = 4096;
}  // namespace

class Runner::NodeClock : public Clock {
 public:
  NodeClock(Runner& runner, int self, double offset_s)
      : runner_(runner), self_(self), offset_s_(offset_s) {}
  double now() const override { return runner_.world_.unix_seconds(runner_.now_us()) + offset_s_; }
  void after(double delay_seconds, std::function<void()> fn) override {
    runner_.at_node(runner_.now_us() + static_cast<std::int64_t>(std::llround(delay_seconds * 1e6)),
                    "timer", self_, runner_.incarnation(self_), std::move(fn));
  }

 private:
  Runner& runner_;
  int self_;
  double offset_s_;
};

class Runner::NodeMiner : public MiningService {
 public:
  NodeMiner(Runner& runner, int self) : runner_(runner), self_(self) {}
  void mine(MiningRequest request, std::function<void(MiningResult)> done) override {
    runner_.mine_with(self_, std::move(request), std::move(done));
  }

 private:
  Runner& runner_;
  int self_;
};

class Runner::NodeTracer : public NodeObserver {
 public:
  NodeTracer(Runner& runner, int self) : runner_(runner), self_(self) {}
  void on_event(const NodeEvent& event) override { runner_.node_event(self_, event); }

 private:
  Runner& runner_;
  int self_;
};

// What a node's adversary may use of the run.
class Runner::AdversaryLink : public AdversaryHost {
 public:
  AdversaryLink(Runner& runner, int self) : runner_(runner), self_(self) {}
  Node& node() override { return *runner_.slot(self_).node; }
  void trace(TraceEvent kind, Json detail) override {
    runner_.trace(self_, kind, std::move(detail));
  }
  void after_us(std::int64_t delay_us, std::function<void()> fn) override {
    runner_.at_node(runner_.now_us() + delay_us, "adversary", self_, runner_.incarnation(self_),
                    std::move(fn));
  }
  Rng& rng() override { return runner_.slot(self_).rng; }
  int self() const override { return self_; }
  Transport& transport() override { return runner_.world_.transport_of(self_); }

 private:
  Runner& runner_;
  int self_;
};

Runner::Runner(const Scenario& scenario, World& world, const RunOptions& options)
    : scenario_(scenario),
      world_(world),
      options_(options),
      live_(world.live()),
      adversaries_(std::any_of(scenario.nodes.begin(), scenario.nodes.end(),
                               [](const NodeSpec& n) { return n.behaviour != Behaviour::honest; })),
      slots_(scenario.nodes.size()),
      local_nodes_(scenario.nodes.size(), nullptr),
      mining_(scenario),
      checker_(scenario.nodes.size(), ChainParams{scenario.difficulty},
               std::clamp(options.threads, 1u, BlockLanes::kMaxLanes)),
      trace_(scenario.trace, options) {
  const bool may_mine_empty =
      scenario.mining == MiningMode::modeled ||
      std::any_of(scenario.nodes.begin(), scenario.nodes.end(),
                  [](const NodeSpec& n) { return n.auto_mine.value_or(false); }) ||
      std::any_of(scenario.timeline.begin(), scenario.timeline.end(), [](const TimedAction& a) {
        return std::holds_alternative<action::AutoMine>(a.what);
      });
  config_.params.difficulty = scenario.difficulty;
  config_.policy.max_peers = std::max<std::size_t>(64, scenario.nodes.size());
  config_.policy.allow_empty_blocks = may_mine_empty;
  for (std::size_t i = 0; i < scenario.nodes.size(); ++i) {
    Slot& s = slots_[i];
    const int self = static_cast<int>(i);
    s.spec = scenario.nodes[i];
    s.rng = Rng::derive(scenario.seed, kNodeStream, i);
    s.auto_mine = s.spec.auto_mine.value_or(scenario.mining == MiningMode::modeled);
    s.clock = std::make_unique<NodeClock>(*this, self, s.spec.clock_offset_s);
    s.miner = std::make_unique<NodeMiner>(*this, self);
    s.tracer = std::make_unique<NodeTracer>(*this, self);
  }
  neighbours_ = topology_neighbours(scenario);
  world_.attach(*this);
  if (!live_ && options.threads > 1 && world_.block_window_us() >= 0 && !adversaries_)
    lanes_ = std::make_unique<BlockLanes>(options.threads, scenario.nodes.size());
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    Slot& s = slots_[i];
    s.remote = world_.remote(static_cast<int>(i));
    if (!s.remote) start_node(static_cast<int>(i), false);  // waiting nodes exist, unreachable
    if (s.spec.online) set_state(static_cast<int>(i), State::up);
  }
  // Operator-configured peers of the nodes up at the start (remote ones get them when started).
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    Slot& s = slots_[i];
    if (s.state != State::up || s.remote) continue;
    s.muted = true;
    for (int peer : neighbours_[i]) {
      if (slot(peer).state == State::up) s.node->add_peer(world_.address_of(peer));
    }
    s.muted = false;
  }
  recount();
}

Runner::~Runner() = default;

const BlockTree& Runner::tree_of(const Slot& s) {
  return s.remote ? s.remote->view() : s.node->tree();
}

std::vector<Json> Runner::pending_posts(const Slot& s) {
  return s.remote ? s.remote->pending() : s.node->mempool().posts();
}

bool Runner::honest(int node) const {
  return slot(node).spec.behaviour == Behaviour::honest;
}

bool Runner::counted(int node) const {
  return honest(node) && slot(node).state == State::up;
}

// A step run on a lane (block_lanes.hpp) asks for everything beyond its node through these: what
// it asks is kept as an effect and done, in order, by the runner's walk.
void Runner::at(std::int64_t time_us, const char* label, int node, std::function<void()> fn) {
  if (Lane* lane = BlockLanes::current()) {
    lane->holds_node = true;
    return lane->add(effect::Later([this, time_us, label, node, fn = std::move(fn)]() mutable {
      at(time_us, label, node, std::move(fn));
    }));
  }
  queue_.push_closure(std::max(time_us, now_us()), EventBody{label, node, false, 0, std::move(fn)});
}

void Runner::at_node(std::int64_t time_us, const char* label, int node, std::uint32_t incarnation,
                     std::function<void()> fn) {
  if (Lane* lane = BlockLanes::current()) {
    lane->holds_node = true;
    return lane->add(
        effect::Later([this, time_us, label, node, incarnation, fn = std::move(fn)]() mutable {
          at_node(time_us, label, node, incarnation, std::move(fn));
        }));
  }
  queue_.push_closure(std::max(time_us, now_us()),
                      EventBody{label, node, true, incarnation, std::move(fn)});
}

void Runner::push_step(std::int64_t time_us, StepKind kind, std::uint32_t payload, int node,
                       int from) {
  time_us = std::max(time_us, now_us());
  if (Lane* lane = BlockLanes::current())
    return lane->add(effect::Push{time_us, payload, node, from, kind});
  queue_.push_step(time_us, kind, payload, node, from);
}

void Runner::trace(int node, TraceEvent kind, Json detail) {
  if (Lane* lane = BlockLanes::current()) {
    return lane->add(effect::Later([this, node, kind, detail = std::move(detail)]() mutable {
      trace(node, kind, std::move(detail));
    }));
  }
  ++event_count_;
  trace_.write(now_us(), node, kind, std::move(detail));
}

void Runner::count_untraced() {
  if (Lane* lane = BlockLanes::current())
    return lane->add(effect::Later([this] { count_untraced(); }));
  ++event_count_;
}

// ---- nodes ------------------------------------------------------------------------------------

// A fresh in-process node over the world's transport (through its adversary, if it has one),
// with the world's store: emptied, or kept for a restart to read.
void Runner::start_node(int self, bool keep_state) {
  Slot& s = slot(self);
  NodeConfig config = config_;
  config.self_address = world_.address_of(self);
  s.adversary_transport.reset();
  s.adversary.reset();
  if (!s.adversary_link) s.adversary_link = std::make_unique<AdversaryLink>(*this, self);
  s.adversary = make_adversary(s.spec, scenario_, *s.adversary_link);
  Transport* transport = &world_.transport_of(self);
  if (s.adversary) {
    s.adversary_transport =
        std::make_unique<AdversaryTransport>(*transport, *s.adversary, *s.adversary_link);
    transport = s.adversary_transport.get();
  }
  NodeStore* store = world_.open_store(self, !keep_state);
  // The old node, if any, goes with its pending callbacks (the incarnation discards them).
  s.node = std::make_unique<Node>(config, *transport, *s.clock, *s.miner, s.tracer.get(), store);
  refresh_local(self);
  if (keep_state && store) {
    s.muted = true;
    if (auto broken = s.node->load(world_.stored_state(self)))
      fail(self, "could not restart from its store: " + *broken);
    s.muted = false;
  }
}

void Runner::set_state(int node, State state) {
  slot(node).state = state;
  refresh_local(node);
}

void Runner::refresh_local(int node) {
  const Slot& s = slot(node);
  local_nodes_[static_cast<std::size_t>(node)] = s.state == State::up ? s.node.get() : nullptr;
}

void Runner::stop_node(int self, State to) {
  Slot& s = slot(self);
  set_state(self, to);
  ++s.incarnation;
  s.real_mining = false;
  if (s.remote) {
    world_.kill_remote(self);
  } else {
    world_.node_down(self);
  }
}

void Runner::serve(int node, const HttpRequest& request, Respond respond) {
  Slot& s = slot(node);
  if (s.adversary && request.target == "/chain") {
    Adversary* adversary = s.adversary.get();
    return handle_request(*s.node, request, [adversary, respond](HttpResponse response) {
      if (response.status == 200) adversary->rewrite_chain_answer(response);
      respond(std::move(response));
    });
  }
  handle_request(*s.node, request, std::move(respond));
}

// On a lane (block_lanes.hpp) too: what the run keeps of the node itself (the checker's view)
// changes at once, the rest is asked for as effects.
void Runner::node_event(int self, const NodeEvent& event) {
  Slot& s = slot(self);
  if (s.muted) return;
  if (const auto* accepted = std::get_if<event::BlockAccepted>(&event)) {
    return block_accepted(self, *accepted->block, *accepted->from, accepted->main);
  }
  if (const auto* reorg = std::get_if<event::Reorg>(&event))
    checker_.on_reorg(self, reorg->joined.size());
  if (Lane* lane = BlockLanes::current()) {
    return lane->add(effect::Later([this, self, event] { node_event_told(self, event); }));
  }
  node_event_told(self, event);
}

void Runner::node_event_told(int self, const NodeEvent& event) {
  Slot& s = slot(self);
  const bool is_honest = honest(self);
  std::visit(Overloaded{[&](const event::Mined& e) { note_mined(self, e.hash); },
                        [&](const event::Reorg& e) {
                          figures_.max_reorg_depth =
                              std::max<std::uint64_t>(figures_.max_reorg_depth, e.left.size());
                        },
                        [&](const event::BlockRejected&) {
                          if (is_honest) ++figures_.blocks_rejected;
                        },
                        [&](const event::PostAccepted& e) {
                          if (is_honest) accepted_posts_.insert(e.id);
                        },
                        [](const auto&) {}},
             event);
  const TraceEvent kind = trace_event_of(event);
  if (traced(kind)) {
    Json detail = event_detail(event);
    if (const auto* mined = std::get_if<event::Mined>(&event)) add_post_ids(self, *mined, detail);
    trace(self, kind, std::move(detail));
  } else {
    ++event_count_;
  }
  if (const auto* mined = std::get_if<event::Mined>(&event); mined && s.adversary) {
    s.adversary->on_mined(mined->hash, mined->index);
  }
}

// Once per block per node: the detail is built only when the trace keeps it.
void Runner::block_accepted(int self, const Block& block, const std::string& from, bool main) {
  std::optional<Checker::TipMove> move = move_tip(self);
  effect::Accepted accepted{self, main, &block, &from, effect::Accepted::kNoMove};
  if (Lane* lane = BlockLanes::current()) {
    if (move) {
      accepted.tip_move = static_cast<std::uint32_t>(lane->tip_moves.size());
      lane->tip_moves.push_back(std::move(*move));
    }
    return lane->add(accepted);
  }
  block_accepted_told(accepted, move ? &*move : nullptr);
}

void Runner::block_accepted_told(const effect::Accepted& accepted, const Checker::TipMove* move) {
  const int self = accepted.node;
  const Block& block = *accepted.block;
  if (traced(TraceEvent::block_accepted)) {
    trace(self, TraceEvent::block_accepted,
          Json{{"hash", block.hash},
               {"index", block.index},
               {"from", *accepted.from},
               {"main", accepted.main}});
  } else {
    ++event_count_;
  }
  propagation_.accepted(block.hash, self, now_us());
  if (move) tip_moved(self, *move);
  // Only where there are adversaries is the node's slot read (a large run's are scattered).
  if (Adversary* adversary = adversaries_ ? slot(self).adversary.get() : nullptr) {
    auto miner = miner_of_.find(block.hash);
    adversary->on_block_accepted(block, miner != miner_of_.end() && miner->second == self);
  }
}

// A remote node reports no events: a reorg is read off its chain, as blocks that left it.
void Runner::remote_view_changed(int node) {
  Slot& s = slot(node);
  if (s.state != State::up) return;
  const BlockTree& view = s.remote->view();
  const Block* old_tip = view.find(std::string(checker_.tip_of(node)));
  if (old_tip && !view.on_main_chain(*old_tip)) {
    std::vector<std::string> left;
    for (const Block* b = old_tip; b && !view.on_main_chain(*b); b = view.find(b->previous_hash))
      left.push_back(b->hash);
    const std::uint64_t fork_height = old_tip->index - left.size();
    std::vector<std::string> joined;
    for (std::uint64_t h = fork_height + 1; h <= view.height(); ++h)
      joined.push_back(view.at_height(h)->hash);
    node_event(node, event::Reorg{left, joined});
  }
  note_tip(node);
}

// The posts a block holds, so the report can tell what each node still has pending.
void Runner::add_post_ids(int self, const event::Mined& mined, Json& detail) {
  const Block* block = tree_of(slot(self)).find(mined.hash);
  if (!block || block->transactions.empty()) return;
  Json ids = Json::array();
  for (const auto& post : block->transactions) ids.push_back(post_id(post));
  detail["posts"] = std::move(ids);
}

void Runner::note_mined(int self, const std::string& hash) {
  ++figures_.blocks_mined;
  miner_of_.emplace(hash, self);
  std::vector<bool> up(slots_.size());
  for (std::size_t i = 0; i < slots_.size(); ++i) up[i] = slots_[i].state == State::up;
  propagation_.mined(hash, self, now_us(), up);
}

void Runner::note_tip(int self) {
  if (auto move = move_tip(self)) tip_moved(self, *move);
}

// The node's half of a tip's move (on its lane, if it runs on one).
std::optional<Checker::TipMove> Runner::move_tip(int self) {
  const BlockTree& tree = tree_of(slot(self));
  if (tree.tip().hash == checker_.tip_of(self)) return std::nullopt;
  const Lane* lane = BlockLanes::current();
  return checker_.move_tip(self, tree, honest(self), counted(self), lane ? lane->index : 0);
}

void Runner::tip_moved(int self, const Checker::TipMove& move) {
  checker_.count_tip(move, now_us());
  if (move.broken) fail(self, *move.broken);
  if (traced(TraceEvent::tip)) {
    trace(self, TraceEvent::tip, Json{{"hash", move.to->hash}, {"height", move.to->index}});
  } else {
    ++event_count_;
  }
}

void Runner::recount() {
  std::vector<bool> counts(slots_.size());
  for (std::size_t i = 0; i < slots_.size(); ++i) counts[i] = counted(static_cast<int>(i));
  checker_.recount(counts, now_us());
}

void Runner::fail(int node, const std::string& what) {
  if (Lane* lane = BlockLanes::current())
    return lane->add(effect::Later([this, node, what] { fail(node, what); }));
  if (stop_) return;
  stop_ = true;
  std::string event = current_ ? std::string(current_->label) : "setup";
  if (current_ && current_->node >= 0) event += " at node " + std::to_string(current_->node);
  figures_.failures.push_back(
      "invariant broken at t=" + canonical(static_cast<double>(now_us()) / 1e6) + " s, event #" +
      std::to_string(current_ ? current_->sequence : 0) + " (" + event + "), seed " +
      std::to_string(scenario_.seed) + ": node " + std::to_string(node) + " " + what);
  trace(node, TraceEvent::invariant_broken, Json{{"what", what}});
}

// ---- what crosses the network -------------------------------------------------------------------

// A note asked for on a lane: by the route's number, or (another route) with its text.
void Runner::tell_note(Lane& lane, const effect::Note& note, const std::string& route) {
  if (const auto number = effect::Note::number_of(route)) {
    effect::Note numbered = note;
    numbered.route = *number;
    return lane.add(numbered);
  }
  lane.add(effect::Later([this, note, route] { take_note(note, route); }));
}

void Runner::take_note(const effect::Note& note, const std::string& route) {
  switch (note.kind) {
    case effect::Note::Kind::send:
      return note_send(note.from, note.to, route, note.bytes);
    case effect::Note::Kind::drop:
      return note_drop(note.from, note.to, route, note.why);
    case effect::Note::Kind::deliver:
      return note_deliver(note.from, note.to, route, note.duplicate);
  }
}

void Runner::note_send(int from, int to, const std::string& route, std::size_t bytes) {
  if (Lane* lane = BlockLanes::current())
    return tell_note(*lane, {effect::Note::Kind::send, false, 0, from, to, bytes, nullptr}, route);
  ++figures_.messages_sent;
  if (scenario_.trace == TraceDetail::full) {
    trace(from, TraceEvent::send, Json{{"to", to}, {"route", route}, {"bytes", bytes}});
  } else {
    ++event_count_;
  }
}

void Runner::note_drop(int from, int to, const std::string& route, const char* why) {
  if (Lane* lane = BlockLanes::current())
    return tell_note(*lane, {effect::Note::Kind::drop, false, 0, from, to, 0, why}, route);
  ++figures_.messages_dropped;
  if (scenario_.trace == TraceDetail::full) {
    trace(from, TraceEvent::drop, Json{{"to", to}, {"route", route}, {"why", why}});
  } else {
    ++event_count_;
  }
}

void Runner::note_deliver(int from, int to, const std::string& route, bool duplicate) {
  if (Lane* lane = BlockLanes::current()) {
    return tell_note(*lane, {effect::Note::Kind::deliver, duplicate, 0, from, to, 0, nullptr},
                     route);
  }
  ++figures_.messages_delivered;
  if (scenario_.trace == TraceDetail::full) {
    Json detail{{"from", from}, {"route", route}};
    if (duplicate) detail["duplicate"] = true;
    trace(to, TraceEvent::deliver, std::move(detail));
  } else {
    ++event_count_;
  }
}

// ---- mining -------------------------------------------------------------------------------------

// Real mode takes attempts / hash rate of scenario time; modeled mode already spent the time in
// the Poisson process. In every world: a node's speed is the scenario's, not the machine's.
void Runner::mine_with(int self, MiningRequest request, std::function<void(MiningResult)> done) {
  Slot& s = slot(self);
  MiningResult result = yournet::mine(request);
  std::int64_t delay_us = 0;
  if (scenario_.mining == MiningMode::real) {
    if (s.spec.hash_rate <= 0) return;  // never finds one; the node stays busy mining
    delay_us =
        static_cast<std::int64_t>(static_cast<double>(result.attempts) / s.spec.hash_rate * 1e6);
  }
  at_node(now_us() + delay_us, "mined", self, s.incarnation, [done, result] { done(result); });
}

// A client's GET /mine. A remote node's answer names the height of its block; its hash is read
// from the node's chain, fetched again before the answer is handed over.
void Runner::mine(int node, TraceEvent trace_as, std::function<void()> then) {
  Slot& s = slot(node);
  if (s.state != State::up) return;
  if (!s.remote) {
    return s.node->mine([this, node, trace_as](const MineOutcome& outcome) {
      trace(node, trace_as, Json{{"message", mine_message(outcome)}});
    });
  }
  const std::uint32_t incarnation = s.incarnation;
  s.remote->mine([this, node, incarnation, trace_as, then](std::string message) {
    if (!alive(node, incarnation)) return;
    unsigned long long height = 0;
    if (std::sscanf(message.c_str(), "Block #%llu is mined.", &height) == 1) {
      const Block* block = slot(node).remote->view().at_height(height);
      if (block && !miner_of_.count(block->hash)) {
        note_mined(node, block->hash);
        trace(node, TraceEvent::mined,
              Json{{"hash", block->hash},
                   {"index", block->index},
                   {"previous_hash", block->previous_hash}});
      }
    }
    trace(node, trace_as, Json{{"message", message}});
    if (then) then();
  });
}

void Runner::schedule_discovery() {
  at(now_us() + mining_.next_interval_us(), "discovery", -1, [this] {
    if (scenario_.max_blocks && figures_.blocks_mined >= *scenario_.max_blocks) {
      for (std::size_t i = 0; i < slots_.size(); ++i) mining_stopped(static_cast<int>(i));
      return;
    }
    const int finder = mining_.draw_finder();
    Slot& s = slot(finder);
    if (s.state == State::up && s.auto_mine) mine(finder, TraceEvent::mine_done);
    schedule_discovery();
  });
}

void Runner::real_mining_step(int self) {
  Slot& s = slot(self);
  if (scenario_.mining != MiningMode::real || s.state != State::up || !s.auto_mine || s.real_mining)
    return;
  if (scenario_.max_blocks && figures_.blocks_mined >= *scenario_.max_blocks) return;
  s.real_mining = true;
  if (s.remote) {
    // A process mines at the machine's speed: the scenario's hash rate is spent first, as the
    // time to find a block at it (exponential, mean 2^bits / hash rate), then it mines.
    if (s.spec.hash_rate <= 0) return;
    const double mean_us =
        static_cast<double>(scenario_.difficulty.work()) / s.spec.hash_rate * 1e6;
    const std::uint32_t incarnation = s.incarnation;
    at_node(now_us() + static_cast<std::int64_t>(s.rng.exponential(mean_us)), "mine", self,
            incarnation, [this, self, incarnation] {
              mine(self, TraceEvent::mine_done, [this, self, incarnation] {
                slot(self).real_mining = false;
                if (alive(self, incarnation)) real_mining_step(self);
              });
            });
    return;
  }
  auto started = std::make_shared<bool>(false);
  const std::uint32_t incarnation = s.incarnation;
  s.node->mine([this, self, started, incarnation](const MineOutcome& outcome) {
    slot(self).real_mining = false;
    trace(self, TraceEvent::mine_done, Json{{"message", mine_message(outcome)}});
    // Refused at once (another mining under way): try again a second later, not in a busy loop.
    std::int64_t delay = *started ? 0 : 1'000'000;
    at_node(now_us() + delay, "mine", self, incarnation, [this, self] { real_mining_step(self); });
  });
  *started = true;
}

// Automatic mining (real mode) and the adversary's routine, from the moment a node is up.
void Runner::start_routines(int self) {
  real_mining_step(self);
  if (Adversary* adversary = slot(self).adversary.get()) adversary->on_started();
}

void Runner::mining_stopped(int self) {
  Slot& s = slot(self);
  if (s.adversary && s.state == State::up) s.adversary->on_mining_stopped();
}

// ---- the run ------------------------------------------------------------------------------------

namespace {
// The same author and content: how a post a remote node stamped itself is recognised.
bool same_post(const Json& candidate, const Json& post) {
  return candidate.is_object() && candidate.value("author", Json()) == post["author"] &&
         candidate.value("content", Json()) == post["content"];
}
}  // namespace

// The id a node gave a post it stamped itself: found by author and content among the posts of
// every final chain and pool.
std::optional<std::string> Runner::find_post_id(const Json& post,
                                                const std::vector<const BlockTree*>& trees) const {
  auto same = [&post](const Json& candidate) { return same_post(candidate, post); };
  for (const auto& s : slots_) {
    for (const auto& candidate : pending_posts(s)) {
      if (same(candidate)) return post_id(candidate);
    }
  }
  for (const BlockTree* tree : trees) {
    for (std::uint64_t h = 1; h <= tree->height(); ++h) {
      for (const auto& candidate : tree->at_height(h)->transactions) {
        if (same(candidate)) return post_id(candidate);
      }
    }
  }
  return std::nullopt;
}

RunResult Runner::run() {
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    const int self = static_cast<int>(i);
    if (slot(self).state != State::up) continue;
    if (slot(self).remote) {
      std::vector<std::string> peers;
      for (int peer : neighbours_[i]) {
        if (slot(peer).state == State::up) peers.push_back(world_.address_of(peer));
      }
      world_.start_remote(self, false, peers);
    } else {
      world_.node_up(self);
    }
  }
  // Scenario time starts once every node is listening (a process may take a while to start).
  world_.start_clock();
  Json start{
      {"scenario", scenario_.name}, {"seed", scenario_.seed}, {"nodes", scenario_.node_count}};
  if (live_) start["transport"] = world_.transport_name();
  trace(-1, TraceEvent::start, std::move(start));
  for (const auto& timed : scenario_.timeline) {
    at(timed.at_us, action_name(timed.what), -1, [this, &timed] { perform(timed.what); });
  }
  if (scenario_.sync_interval_s > 0)
    schedule_sync(static_cast<std::int64_t>(scenario_.sync_interval_s * 1e6));
  if (scenario_.mining == MiningMode::modeled && mining_.anyone_mines()) schedule_discovery();
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (slot(static_cast<int>(i)).state == State::up) start_routines(static_cast<int>(i));
  }
  const std::int64_t stop_at = scenario_.stop_at_us;
  while (!stop_) {
    const bool due = !queue_.empty() && queue_.top().time_us <= stop_at;
    if (live_) {
      // Wall time passes: wait for the next event, serving sockets meanwhile.
      const std::int64_t target = due ? queue_.top().time_us : stop_at;
      if (now_us() < target) {
        world_.wait_until(target);
        continue;
      }
      if (!due) break;
    } else if (!due) {
      break;
    }
    const EventKey key = queue_.pop();
    if (lanes_ && key.kind == StepKind::deliver_block) {
      run_block_window(key, stop_at);
      continue;
    }
    for (std::size_t stage = 0; stage < kPrefetchDistances.size(); ++stage) {
      if (const EventKey* next = queue_.ahead(kPrefetchDistances[stage]))
        world_.prefetch_step(*next, stage);
    }
    run_event(key);
  }
  // The run ends at the stop time, when nothing is left to happen, or at a broken invariant.
  if (live_ || (!stop_ && !queue_.empty())) now_us_ = stop_at;
  world_.finish();
  trace_.write(live_ ? stop_at : now_us_, -1, TraceEvent::stop,
               stop_ ? Json{{"why", "invariant"}} : Json());
  ++event_count_;
  if (options_.progress) options_.progress(stop_at, stop_at, event_count_);
  RunResult result;
  result.summary = summarize();
  result.trace = trace_.take_text();
  result.summary["trace_sha256"] = trace_.sha256_hex();
  result.passed = result.summary["passed"].get<bool>();
  return result;
}

void Runner::run_event(const EventKey& key) {
  now_us_ = std::max(now_us_, key.time_us);
  if (key.kind != StepKind::closure) {
    current_ = CurrentEvent{key.kind == StepKind::deliver || key.kind == StepKind::deliver_block
                                ? "deliver"
                                : (key.kind == StepKind::response ? "response" : "timeout"),
                            key.node, key.sequence};
    world_.run_step(key);
  } else {
    EventBody event = queue_.take(key);
    if (event.guarded && !alive(event.node, event.incarnation)) return;
    current_ = CurrentEvent{event.label, event.node, key.sequence};
    event.fn();
  }
  current_.reset();
  note_processed();
}

void Runner::note_processed() {
  if (options_.progress && ++processed_ % kProgressEvery == 0)
    options_.progress(now_us(), scenario_.stop_at_us, event_count_);
}

// The block steps due within the world's block window of `first` (block_lanes.hpp): those that
// may run ahead on the lanes, then all in order: the effects of those that ran, the others in
// full, and the events these cause meanwhile in their turn.
void Runner::run_block_window(const EventKey& first, std::int64_t stop_at) {
  window_.assign(1, first);
  const std::int64_t last = std::min(first.time_us + world_.block_window_us(), stop_at);
  while (window_.size() < kMaxBlockWindow && !queue_.empty() &&
         queue_.top().kind == StepKind::deliver_block && queue_.top().time_us <= last)
    window_.push_back(queue_.pop());
  const bool ahead = window_.size() >= kMinLaneWindow;
  if (ahead) lanes_->run(window_, world_);
  window_serial_.clear();
  std::size_t ran_end = 0;  // one past the last step that ran ahead
  for (std::size_t i = 0; i < window_.size(); ++i) {
    if (ahead && lanes_->ran(i)) {
      ran_end = i + 1;
    } else {
      window_serial_.push_back(i);
    }
  }
  std::size_t serial_done = 0;
  for (std::size_t i = 0; i < window_.size() && !stop_;) {
    const EventKey& step = window_[i];
    // Steps of the window may set timers due before its later steps: each runs in its turn,
    // about a node whose steps that ran ahead are all behind (its own timer, which held it).
    if (!queue_.empty() && step > queue_.top()) {
      const EventKey key = queue_.pop();
      const int node = key.kind == StepKind::closure ? queue_.node_of(key) : key.node;
      YOURNET_ASSERT(node >= 0 ? !(ahead && lanes_->ran_from(node, i)) : ran_end <= i,
                     "an event due inside a window of block steps reaches a node that ran ahead");
      run_event(key);
      continue;
    }
    queue_.resume_from(step);
    if (ahead && lanes_->ran(i)) {
      now_us_ = std::max(now_us_, step.time_us);
      current_ = CurrentEvent{"deliver", step.node, step.sequence};
      if (options_.steps_run_ahead) ++*options_.steps_run_ahead;
      for (LaneEffect& effect : lanes_->effects(i)) apply(i, effect);
      current_.reset();
      note_processed();
    } else {
      for (std::size_t stage = 0; stage < kPrefetchDistances.size(); ++stage) {
        if (const std::size_t next = serial_done + 1 + kPrefetchDistances[stage];
            next < window_serial_.size())
          world_.prefetch_step(window_[window_serial_[next]], stage);
      }
      ++serial_done;
      run_event(step);
    }
    ++i;
  }
}

void Runner::apply(std::size_t step, LaneEffect& effect) {
  std::visit(
      Overloaded{[&](effect::Push& push) {
                   queue_.push_step(push.time_us, push.kind, push.payload, push.node, push.from);
                 },
                 [&](effect::Note& note) { take_note(note, effect::Note::routes()[note.route]); },
                 [&](effect::Accepted& accepted) {
                   block_accepted_told(accepted, accepted.tip_move == effect::Accepted::kNoMove
                                                     ? nullptr
                                                     : &lanes_->tip_move(step, accepted.tip_move));
                 },
                 [](effect::Later& later) { later(); }},
      effect);
}

Json Runner::summarize() {
  int reference = 0;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    const int node = static_cast<int>(i);
    if (!honest(node)) continue;
    reference = node;
    if (slot(node).state == State::up) break;
  }
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (slot(static_cast<int>(i)).remote && honest(static_cast<int>(i)))
      figures_.blocks_rejected += slot(static_cast<int>(i)).remote->blocks_rejected();
  }
  RunFigures figures = figures_;
  figures.simulated_us = live_ ? scenario_.stop_at_us : now_us_;
  figures.events = event_count_;
  figures.converged = checker_.converged();
  figures.distinct_tips = checker_.distinct_tips();
  figures.last_heal_us = checker_.last_heal_us();
  figures.converged_at_us = checker_.converged_at_us();
  figures.propagation = propagation_.summary();
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    const Adversary* adversary = slots_[i].adversary.get();
    if (!adversary || !adversary->races()) continue;
    const SelfishRaces races = *adversary->races();
    figures.selfish[std::to_string(i)] = Json{{"races", races.races},
                                              {"won_by_pool", races.won_by_pool},
                                              {"honest_on_pool", races.honest_on_pool},
                                              {"honest_on_other", races.honest_on_other}};
  }
  std::unordered_set<std::string> pending;
  std::vector<const BlockTree*> trees;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    const int node = static_cast<int>(i);
    trees.push_back(&tree_of(slot(node)));
    if (!honest(node) || slot(node).state == State::gone) continue;
    for (const auto& post : pending_posts(slot(node))) pending.insert(post_id(post));
  }
  // A remote node does not say the ids of the posts it accepted (it stamps them itself): each is
  // found by author and content in the final chains and pools, or counted lost.
  std::set<std::string> accepted = accepted_posts_;
  for (const Json& post : remote_accepted_) {
    std::optional<std::string> id = find_post_id(post, trees);
    for (auto it = remote_wiped_.begin(); !id && it != remote_wiped_.end(); ++it) {
      if (same_post(*it, post)) id = post_id(*it);
    }
    accepted.insert(id ? *id : "lost: " + post.dump());
  }
  FinalState state{tree_of(slot(reference)), trees, pending, accepted, wiped_posts_, miner_of_};
  Json summary = summarize_run(scenario_, figures, state);
  summary["transport"] = world_.transport_name();
  return summary;
}

RunResult run_scenario(const Scenario& scenario, const RunOptions& options) {
  SimWorld world(scenario);
  Runner runner(scenario, world, options);
  return runner.run();
}

}  // namespace yournet::sim
