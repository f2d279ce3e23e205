// The simulated world: real Nodes, a virtual clock, links with latency, bandwidth and faults,
// mining (real or modeled), node faults, adversaries and invariants checked as events happen.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <queue>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "yournet/crypto.hpp"
#include "yournet/sim/simulation.hpp"
#include "yournet/sim/summary.hpp"

namespace yournet::sim {
namespace {

constexpr double kEpochSeconds = 1'800'000'000.0;  // virtual wall clock at simulated time 0
constexpr std::int64_t kRequestTimeoutUs = 5'000'000;
constexpr std::uint64_t kProgressEvery = 4096;

// Purposes of the derived random streams (Rng::derive).
enum Stream : std::uint64_t { kLinkStream = 1, kNodeStream, kTopologyStream, kMiningStream };

// Of known size, so comparing against them compiles to a few loads (every message does it).
constexpr std::string_view kAddressPrefix = "http://node";
constexpr std::string_view kAddressSuffix = ":8000/";
std::string address_of(int node) {
  return std::string(kAddressPrefix) + std::to_string(node) + std::string(kAddressSuffix);
}

}  // namespace

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
  const Topology& t = scenario.topology;
  switch (t.kind) {
    case Topology::Kind::full_mesh:
      for (int a = 0; a < n; ++a) {
        for (int b = a + 1; b < n; ++b) connect(a, b);
      }
      break;
    case Topology::Kind::ring:
      for (int a = 0; a < n; ++a) connect(a, (a + 1) % n);
      break;
    case Topology::Kind::edges:
      for (const auto& [a, b] : t.edges) connect(a, b);
      break;
    case Topology::Kind::random: {
      // Configuration model: every node gets `degree` stubs, shuffled and paired; self-loops and
      // repeated pairs are dropped. Then the components are chained so the graph is connected.
      Rng rng = Rng::derive(scenario.seed, kTopologyStream);
      std::vector<int> stubs;
      stubs.reserve(static_cast<std::size_t>(n) * static_cast<std::size_t>(t.degree));
      for (int a = 0; a < n; ++a) stubs.insert(stubs.end(), static_cast<std::size_t>(t.degree), a);
      for (std::size_t i = stubs.size(); i > 1; --i) std::swap(stubs[i - 1], stubs[rng.below(i)]);
      for (std::size_t i = 0; i + 1 < stubs.size(); i += 2) connect(stubs[i], stubs[i + 1]);
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
        if (previous_root >= 0) connect(previous_root, a);
        previous_root = a;
      }
      break;
    }
  }
  for (auto& list : neighbours) std::sort(list.begin(), list.end());
  return neighbours;
}

namespace {

class World;

class NodeClock : public Clock {
 public:
  NodeClock(World& world, int self, double offset_s)
      : world_(world), self_(self), offset_s_(offset_s) {}
  double now() const override;
  void after(double delay_seconds, std::function<void()> fn) override;

 private:
  World& world_;
  int self_;
  double offset_s_;
};

class SimTransport : public Transport {
 public:
  SimTransport(World& world, int self) : world_(world), self_(self) {}
  void send(const std::string& peer, HttpRequest request, ResponseCallback done) override;
  void send_block(const std::string& peer, const OutgoingBlock& block,
                  ResponseCallback done) override;

 private:
  World& world_;
  int self_;
};

class SimMiner : public MiningService {
 public:
  SimMiner(World& world, int self) : world_(world), self_(self) {}
  void mine(MiningRequest request, std::function<void(MiningResult)> done) override;

 private:
  World& world_;
  int self_;
};

class Tracer : public NodeObserver {
 public:
  Tracer(World& world, int self) : world_(world), self_(self) {}
  void on_event(const std::string& kind, const Json& detail) override;
  void on_block_accepted(const Block& block, const std::string& from, bool main) override;

 private:
  World& world_;
  int self_;
};

// One direction of a link, owned by its sending node.
struct Link {
  int peer;
  std::uint32_t model;  // index into World::models_
  std::int64_t busy_until_us = 0;
  Rng rng;
};

enum class State { waiting, up, down, gone };  // not joined yet, running, crashed, left for good

// What every message step reads comes first, in one cache line.
struct alignas(64) SimNode {
  State state = State::waiting;
  std::uint32_t incarnation = 0;  // bumped by crash and leave: older callbacks are discarded
  bool auto_mine = false;
  bool real_mining = false;  // a real-mode automatic mining loop is under way
  bool muted = false;        // node events not traced (while wiring up or reloading state)
  std::unique_ptr<Node> node;
  std::vector<Link> links;  // outgoing, sorted by peer
  std::uint64_t last_work = 0;
  std::size_t reorg_depth = 0;  // blocks that joined the main chain in the last reorg
  NodeSpec spec;
  std::unique_ptr<NodeClock> clock;
  std::unique_ptr<SimTransport> transport;
  std::unique_ptr<SimMiner> miner;
  std::unique_ptr<Tracer> tracer;
  std::string last_tip;
  Rng rng{0};
  std::set<std::string> withheld;  // selfish: own blocks not yet released
  std::uint64_t tampered = 0, flooded = 0;
};

class World {
 public:
  World(const Scenario& scenario, const RunOptions& options)
      : scenario_(scenario),
        options_(options),
        mining_rng_(Rng::derive(scenario.seed, kMiningStream)),
        trace_(scenario.trace, options) {
    models_.push_back(scenario.link);
    const bool may_mine_empty =
        scenario.mining == MiningMode::modeled ||
        std::any_of(scenario.nodes.begin(), scenario.nodes.end(),
                    [](const NodeSpec& n) { return n.auto_mine.value_or(false); }) ||
        std::any_of(scenario.timeline.begin(), scenario.timeline.end(),
                    [](const Scenario::Action& a) { return a.kind == "auto_mine"; });
    nodes_.resize(scenario.nodes.size());
    for (std::size_t i = 0; i < nodes_.size(); ++i)
      addresses_.push_back(address_of(static_cast<int>(i)));
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      SimNode& n = nodes_[i];
      int self = static_cast<int>(i);
      n.spec = scenario.nodes[i];
      n.clock = std::make_unique<NodeClock>(*this, self, n.spec.clock_offset_s);
      n.transport = std::make_unique<SimTransport>(*this, self);
      n.miner = std::make_unique<SimMiner>(*this, self);
      n.tracer = std::make_unique<Tracer>(*this, self);
      n.rng = Rng::derive(scenario.seed, kNodeStream, i);
      n.auto_mine = n.spec.auto_mine.value_or(scenario.mining == MiningMode::modeled);
      n.state = n.spec.online ? State::up : State::waiting;
      config_.params.difficulty = scenario.difficulty;
      config_.max_peers = std::max<std::size_t>(64, nodes_.size());
      config_.allow_empty_blocks = may_mine_empty;
      n.node = make_node(self);
      n.last_tip = genesis_block().hash;
      n.last_work = n.node->tree().tip_work();
    }
    neighbours_ = topology_neighbours(scenario);
    for (const auto& link : scenario.links) {
      patch_link(link.from, link.to, link.patch);
      if (!link.one_way) patch_link(link.to, link.from, link.patch);
    }
    for (std::size_t i = 0; i < nodes_.size();
         ++i) {  // operator-configured peers of the first nodes
      if (nodes_[i].state != State::up) continue;
      nodes_[i].muted = true;
      for (int peer : neighbours_[i]) {
        if (nodes_[static_cast<std::size_t>(peer)].state == State::up)
          nodes_[i].node->add_peer(addresses_[static_cast<std::size_t>(peer)]);
      }
      nodes_[i].muted = false;
    }
    group_.assign(nodes_.size(), 0);
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (scenario.nodes[i].hash_rate > 0) total_hash_ += scenario.nodes[i].hash_rate;
      cumulative_hash_.push_back(total_hash_);
    }
    recount_convergence();
  }

  std::int64_t now_us() const { return now_us_; }

  void at(std::int64_t time_us, const char* label, int node, std::function<void()> fn) {
    push(time_us, EventBody{label, node, false, 0, std::move(fn)});
  }

  // `fn` runs at `time_us` unless the node crashed or left in between (its incarnation changed).
  void at_node(std::int64_t time_us, const char* label, int node, std::uint32_t incarnation,
               std::function<void()> fn) {
    push(time_us, EventBody{label, node, true, incarnation, std::move(fn)});
  }

  bool alive(int node, std::uint32_t incarnation) const {
    const SimNode& n = nodes_[static_cast<std::size_t>(node)];
    return n.state == State::up && n.incarnation == incarnation;
  }

  void node_timer(int node, double delay_s, std::function<void()> fn) {
    at_node(now_us_ + static_cast<std::int64_t>(std::llround(delay_s * 1e6)), "timer", node,
            nodes_[static_cast<std::size_t>(node)].incarnation, std::move(fn));
  }

  bool traced(std::string_view kind) const { return trace_.keeps(kind); }

  void trace(int node, const std::string& kind, Json detail) {
    ++event_count_;
    trace_.write(now_us_, node, kind, std::move(detail));
  }

  // ---- what nodes do through their environment -------------------------------------------------

  void node_event(int self, const std::string& kind, const Json& detail) {
    SimNode& n = nodes_[static_cast<std::size_t>(self)];
    if (n.muted) return;
    const bool honest = n.spec.behaviour == Behaviour::honest;
    if (kind == "mined") {
      ++blocks_mined_;
      miner_of_.emplace(detail["hash"].get<std::string>(), self);
    } else if (kind == "reorg") {
      n.reorg_depth = detail["joined"].size();
      max_reorg_depth_ =
          std::max<std::uint64_t>(max_reorg_depth_, detail["depth"].get<std::uint64_t>());
    } else if (kind == "block_rejected" && honest) {
      ++blocks_rejected_;
    } else if (kind == "post_accepted" && honest) {
      accepted_posts_.insert(detail["id"].get<std::string>());
    }
    trace(self, kind, detail);
    if (kind == "mined" && n.spec.behaviour == Behaviour::selfish) {
      n.withheld.insert(detail["hash"].get<std::string>());
      trace(self, "withheld", Json{{"hash", detail["hash"]}, {"index", detail["index"]}});
    }
  }

  // Once per block per node: the detail is built only when the trace keeps it.
  void block_accepted(int self, const Block& block, const std::string& from, bool main) {
    SimNode& n = nodes_[static_cast<std::size_t>(self)];
    if (n.muted) return;
    if (traced("block_accepted")) {
      trace(self, "block_accepted",
            Json{{"hash", block.hash}, {"index", block.index}, {"from", from}, {"main", main}});
    } else {
      ++event_count_;
    }
    note_tip(self);
    if (n.spec.behaviour == Behaviour::selfish) {
      auto miner = miner_of_.find(block.hash);
      if (miner == miner_of_.end() || miner->second != self) selfish_react(self, block.index);
    }
  }

  void send_block(int from, const std::string& peer, const OutgoingBlock& outgoing,
                  ResponseCallback done) {
    const Behaviour behaviour = nodes_[static_cast<std::size_t>(from)].spec.behaviour;
    if (behaviour == Behaviour::selfish || behaviour == Behaviour::tamper) {  // they work on bytes
      return send(from, peer, HttpRequest{"POST", "/add_block", outgoing.body()}, std::move(done));
    }
    // Everyone else passes the shared immutable block: no bytes copied or parsed per message.
    send(from, peer, HttpRequest{"POST", "/add_block", {}}, std::move(done), outgoing.block());
  }

  // `block`, when set, is what the empty body of a POST /add_block stands for.
  void send(int from, const std::string& peer, HttpRequest request, ResponseCallback done,
            std::shared_ptr<const Block> block = nullptr) {
    SimNode& src = nodes_[static_cast<std::size_t>(from)];
    const std::uint32_t from_incarnation = src.incarnation;
    auto fail_later = [&](const std::string& why) {
      if (!done) return;  // nobody waits for the answer
      at_node(now_us_ + kRequestTimeoutUs, "timeout", from, from_incarnation,
              [done, why] { done(std::nullopt, why); });
    };
    int to = index_of(peer);
    if (to < 0) return fail_later("unknown host " + peer);
    if (request.target == "/add_block") {
      if (src.spec.behaviour == Behaviour::selfish && withholds(src, request.body)) {
        if (!done) return;
        return at_node(now_us_, "withheld", from, from_incarnation,
                       [done] { done(std::nullopt, "withheld"); });
      }
      if (src.spec.behaviour == Behaviour::tamper) request.body = tamper_block(src, request.body);
    }
    Link& link = link_of(from, to);
    const LinkModel& model = models_[link.model];
    ++messages_sent_;
    const std::size_t body_bytes = block ? wire_body(block).size() : request.body.size();
    if (scenario_.trace == TraceDetail::full) {
      trace(from, "send", Json{{"to", to}, {"route", request.target}, {"bytes", body_bytes}});
    } else {
      ++event_count_;
    }
    if (const char* why = blocked(from, to, link, model, model.loss)) {
      drop(from, to, request.target, why);
      return fail_later("timed out");
    }
    const std::size_t bytes = body_bytes + request.target.size();
    if (model.duplicate > 0 && link.rng.uniform() < model.duplicate) {
      if (block) request.body = wire_body(block);
      at(transmit(link, model, bytes), "deliver", to, [this, from, to, request] {
        if (nodes_[static_cast<std::size_t>(to)].state != State::up)
          return drop(from, to, request.target, "down");
        ++messages_delivered_;
        note_deliver(from, to, request.target, true);
        nodes_[static_cast<std::size_t>(to)].node->handle(request, [](HttpResponse) {});
      });
    }
    const std::int64_t arrival = transmit(link, model, bytes);
    if (block && !done) {  // the step itself carries all there is: no record to keep
      queue_.push(EventKey{std::max(arrival, now_us_), sequence_++, sent_block(block), to, from,
                           EventKind::deliver_block});
      return;
    }
    const bool carries_block = block != nullptr;
    const std::uint32_t id = store_message(
        Message{from, to, from_incarnation, false, std::move(block), std::move(done)});
    if (!carries_block) requests_[id] = std::move(request);
    push_step(arrival, EventKind::deliver, id);
  }

  void mine(int self, MiningRequest request, std::function<void(MiningResult)> done) {
    SimNode& n = nodes_[static_cast<std::size_t>(self)];
    MiningResult result = yournet::mine(request);
    std::int64_t delay_us = 0;  // modeled: the Poisson process already spent the time
    if (scenario_.mining == MiningMode::real) {
      if (n.spec.hash_rate <= 0) return;  // never finds one; the node stays busy mining
      delay_us =
          static_cast<std::int64_t>(static_cast<double>(result.attempts) / n.spec.hash_rate * 1e6);
    }
    at_node(now_us_ + delay_us, "mined", self, n.incarnation, [done, result] { done(result); });
  }

  // ---- the run
  // ------------------------------------------------------------------------------------

  Json run() {
    trace(-1, "start",
          Json{{"scenario", scenario_.name},
               {"seed", scenario_.seed},
               {"nodes", scenario_.node_count}});
    for (const auto& action : scenario_.timeline) {
      at(action.at_us, action.kind.c_str(), action.node, [this, &action] { perform(action); });
    }
    if (scenario_.sync_interval_s > 0)
      schedule_sync(static_cast<std::int64_t>(scenario_.sync_interval_s * 1e6));
    if (scenario_.mining == MiningMode::modeled && total_hash_ > 0) schedule_discovery();
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (nodes_[i].state == State::up) start_node_routines(static_cast<int>(i));
    }
    std::uint64_t processed = 0;
    while (!stop_ && !queue_.empty() && queue_.top().time_us <= scenario_.stop_at_us) {
      const EventKey key = queue_.top();
      queue_.pop();
      now_us_ = key.time_us;
      ++processed;
      prefetch_next_step(false);
      if (key.kind == EventKind::deliver_block) {
        current_ = CurrentEvent{"deliver", key.node, key.sequence};
        deliver_block(key);
        current_.reset();
      } else if (key.kind != EventKind::closure) {  // a message's step: no closure to look up
        const Message& message = messages_[key.payload];
        current_ = key.kind == EventKind::deliver
                       ? CurrentEvent{"deliver", message.to, key.sequence}
                       : CurrentEvent{key.kind == EventKind::response ? "response" : "timeout",
                                      message.from, key.sequence};
        if (key.kind == EventKind::deliver) {
          deliver(key.payload);
        } else {
          finish(key.payload, key.kind == EventKind::response ? nullptr : "timed out");
        }
        current_.reset();
      } else {
        EventBody event = std::move(slots_[key.payload]);
        free_slots_.push_back(key.payload);
        if (event.guarded && !alive(event.node, event.incarnation)) {
          --processed;
          continue;
        }
        current_ = CurrentEvent{event.label, event.node, key.sequence};
        event.fn();
        current_.reset();
      }
      prefetch_next_step(true);
      if (options_.progress && processed % kProgressEvery == 0) {
        options_.progress(now_us_, scenario_.stop_at_us, event_count_);
      }
    }
    // The run ends at the stop time, when nothing is left to happen, or at a broken invariant.
    if (!stop_ && !queue_.empty()) now_us_ = scenario_.stop_at_us;
    trace(-1, "stop", stop_ ? Json{{"why", "invariant"}} : Json());
    if (options_.progress)
      options_.progress(scenario_.stop_at_us, scenario_.stop_at_us, event_count_);
    return summarize();
  }

  std::string take_trace() { return trace_.take_text(); }
  std::string trace_sha256() { return trace_.sha256_hex(); }

 private:
  // What an event does: run a closure, or take a message in flight one step further. Message
  // steps are most events by far, so they carry the message's index and nothing else.
  // deliver_block: a block nobody awaits an answer for, which needs no message record.
  enum class EventKind : std::uint8_t { closure, deliver, response, timeout, deliver_block };

  // The heap orders small keys; the closures stay put in a slab.
  struct EventKey {
    std::int64_t time_us;
    std::uint64_t sequence;
    std::uint32_t payload;  // closure: its slot; deliver_block: the block's; else the message's
    int node;               // the node the step happens at (message steps only)
    int from;               // deliver_block: the sender
    EventKind kind;
    bool operator>(const EventKey& other) const {
      return time_us != other.time_us ? time_us > other.time_us : sequence > other.sequence;
    }
  };
  struct EventBody {
    const char* label;  // names the event when an invariant breaks
    int node;
    bool guarded;  // runs only if `node` is still up in this incarnation
    std::uint32_t incarnation;
    std::function<void()> fn;
  };
  struct CurrentEvent {
    const char* label;
    int node;
    std::uint64_t sequence;
  };

  void push(std::int64_t time_us, EventBody body) {
    std::uint32_t slot;
    if (free_slots_.empty()) {
      slot = static_cast<std::uint32_t>(slots_.size());
      slots_.push_back(std::move(body));
    } else {
      slot = free_slots_.back();
      free_slots_.pop_back();
      slots_[slot] = std::move(body);
    }
    queue_.push(
        EventKey{std::max(time_us, now_us_), sequence_++, slot, -1, -1, EventKind::closure});
  }

  // A large run spends most of its time waiting for memory: the records of a message step are
  // scattered over a working set far larger than the caches. The next event is most likely the
  // queue's top, so its records are fetched while this event runs: first the message and the
  // node (`second_stage` false, before this event), then what the node's record points to (after
  // this event, when that record has had time to arrive).
  void prefetch_next_step(bool second_stage) {
    if (queue_.empty() || queue_.top().kind == EventKind::closure) return;
    const EventKey& next = queue_.top();
    const SimNode& node = nodes_[static_cast<std::size_t>(next.node)];
    if (!second_stage) {
      if (next.kind != EventKind::deliver_block) __builtin_prefetch(&messages_[next.payload]);
      __builtin_prefetch(&node);
      if (next.kind == EventKind::response) __builtin_prefetch(&responses_[next.payload]);
      return;
    }
    __builtin_prefetch(node.links.data());
  }

  void push_step(std::int64_t time_us, EventKind kind, std::uint32_t message) {
    const int node = kind == EventKind::deliver ? messages_[message].to : messages_[message].from;
    queue_.push(EventKey{std::max(time_us, now_us_), sequence_++, message, node, -1, kind});
  }

  std::unique_ptr<Node> make_node(int self) {
    SimNode& n = nodes_[static_cast<std::size_t>(self)];
    NodeConfig config = config_;
    config.self_address = addresses_[static_cast<std::size_t>(self)];
    return std::make_unique<Node>(config, *n.transport, *n.clock, *n.miner, n.tracer.get());
  }

  // "http://node12:8000/" -> 12; -1 for any other address.
  int index_of(const std::string& address) const {
    if (address.size() <= kAddressPrefix.size() + kAddressSuffix.size() ||
        std::memcmp(address.data(), kAddressPrefix.data(), kAddressPrefix.size()) != 0 ||
        std::memcmp(address.data() + address.size() - kAddressSuffix.size(), kAddressSuffix.data(),
                    kAddressSuffix.size()) != 0) {
      return -1;
    }
    std::int64_t index = 0;
    for (std::size_t i = kAddressPrefix.size(); i < address.size() - kAddressSuffix.size(); ++i) {
      char c = address[i];
      if (c < '0' || c > '9' || index > static_cast<std::int64_t>(nodes_.size())) return -1;
      index = index * 10 + (c - '0');
    }
    const bool leading_zero = address[kAddressPrefix.size()] == '0' &&
                              address.size() > kAddressPrefix.size() + kAddressSuffix.size() + 1;
    if (index >= static_cast<std::int64_t>(nodes_.size()) || leading_zero) return -1;
    return static_cast<int>(index);
  }

  // ---- topology and links
  // -------------------------------------------------------------------------

  Link& link_of(int from, int to) {
    auto& links = nodes_[static_cast<std::size_t>(from)].links;
    auto it = std::lower_bound(links.begin(), links.end(), to,
                               [](const Link& l, int peer) { return l.peer < peer; });
    if (it == links.end() || it->peer != to) {
      it = links.insert(
          it, Link{to, 0, 0,
                   Rng::derive(scenario_.seed, kLinkStream, static_cast<std::uint64_t>(from),
                               static_cast<std::uint64_t>(to))});
    }
    return *it;
  }

  void patch_link(int from, int to, const LinkPatch& patch) {
    Link& link = link_of(from, to);
    models_.push_back(patch.apply(models_[link.model]));
    link.model = static_cast<std::uint32_t>(models_.size() - 1);
  }

  // Why a message on this link is dropped now, or nullptr.
  const char* blocked(int from, int to, Link& link, const LinkModel& model, double loss) {
    if (!model.up) return "link down";
    if (group_[static_cast<std::size_t>(from)] != group_[static_cast<std::size_t>(to)])
      return "partition";
    if (loss > 0 && link.rng.uniform() < loss) return "loss";
    return nullptr;
  }

  // When a message of `bytes` sent now arrives: queued behind earlier messages on a link with a
  // bandwidth, then the link's latency, sometimes held back (reordering).
  std::int64_t transmit(Link& link, const LinkModel& model, std::size_t bytes) {
    std::int64_t sent_us = now_us_;
    if (model.bandwidth_mbps > 0) {
      sent_us = std::max(now_us_, link.busy_until_us) +
                static_cast<std::int64_t>(
                    std::llround(static_cast<double>(bytes) * 8.0 / model.bandwidth_mbps));
      link.busy_until_us = sent_us;
    }
    double ms = model.latency.sample_ms(link.rng);
    if (model.reorder > 0 && link.rng.uniform() < model.reorder)
      ms += model.reorder_ms * link.rng.uniform();
    return sent_us + static_cast<std::int64_t>(std::llround(ms * 1000.0));
  }

  void drop(int from, int to, const std::string& route, const char* why) {
    ++messages_dropped_;
    if (scenario_.trace == TraceDetail::full) {
      trace(from, "drop", Json{{"to", to}, {"route", route}, {"why", why}});
    } else {
      ++event_count_;
    }
  }

  void note_deliver(int from, int to, const std::string& route, bool duplicate) {
    if (scenario_.trace == TraceDetail::full) {
      Json detail{{"from", from}, {"route", route}};
      if (duplicate) detail["duplicate"] = true;
      trace(to, "deliver", std::move(detail));
    } else {
      ++event_count_;
    }
  }

  // A request in flight, from its sending to its answer (or timeout); events refer to it by index.
  // One cache line: most of a large run's time goes to fetching these records.
  struct alignas(64) Message {
    int from;
    int to;
    std::uint32_t from_incarnation;
    bool chain_request;
    std::shared_ptr<const Block> block;  // the block an /add_block request carries, if passed as is
    ResponseCallback done;
  };

  std::uint32_t store_message(Message message) {
    if (free_messages_.empty()) {
      messages_.push_back(std::move(message));
      requests_.emplace_back();
      responses_.emplace_back();
      return static_cast<std::uint32_t>(messages_.size() - 1);
    }
    std::uint32_t id = free_messages_.back();
    free_messages_.pop_back();
    messages_[id] = std::move(message);
    return id;
  }

  // Frees the record of a message whose sender waits for no answer.
  void release(std::uint32_t id) {
    messages_[id].block.reset();
    free_messages_.push_back(id);
  }

  // The route of a message: its request's, or /add_block for a block passed as is.
  const std::string& route_of(std::uint32_t id) const {
    static const std::string kAddBlock = "/add_block";
    return messages_[id].block ? kAddBlock : requests_[id].target;
  }

  // The requester gets its answer, or `error` (then no answer), unless it crashed meanwhile.
  void finish(std::uint32_t id, const char* error) {
    Message message = std::move(messages_[id]);
    free_messages_.push_back(id);
    if (!alive(message.from, message.from_incarnation)) return;
    if (error) return message.done(std::nullopt, error);
    static const std::string kNoError;
    const std::optional<HttpResponse> response = std::exchange(responses_[id], std::nullopt);
    message.done(response, kNoError);
  }

  void deliver(std::uint32_t id) {
    Message& message = messages_[id];
    const int from = message.from, to = message.to;
    SimNode& dst = nodes_[static_cast<std::size_t>(to)];
    if (dst.state != State::up) {
      drop(from, to, route_of(id), "down");
      if (!message.done) return release(id);
      return push_step(now_us_ + kRequestTimeoutUs, EventKind::timeout, id);
    }
    ++messages_delivered_;
    note_deliver(from, to, route_of(id), false);
    std::shared_ptr<const Block> block = std::move(message.block);
    auto reply = [this, id](HttpResponse response) { respond(id, std::move(response)); };
    if (block) return dst.node->receive_block(std::move(block), reply, addresses_[from]);
    message.chain_request = requests_[id].target == "/chain";
    // `message` and the request may move as others are sent.
    const HttpRequest request = std::move(requests_[id]);
    // The same block reaches every node about degree times: parse each distinct body once.
    if (request.target == "/add_block" && request.method == "POST") {
      if (auto parsed = parsed_block(request.body))
        return dst.node->receive_block(parsed, reply, addresses_[from]);
    }
    dst.node->handle(request, reply);
  }

  // The block a POST /add_block body holds, parsed as Node::handle would; nullptr when it does
  // not parse (Node::handle then answers with the reason).
  std::shared_ptr<const Block> parsed_block(const std::string& body) {
    auto it = parsed_blocks_.find(body);
    if (it == parsed_blocks_.end()) {
      std::shared_ptr<const Block> block;
      try {
        Json json = parse_json(body);
        if (json.is_object()) {
          if (auto parsed = block_from_json(json))
            block = std::make_shared<const Block>(std::move(*parsed));
        }
      } catch (const JsonError&) {
      }
      it = parsed_blocks_.emplace(body, std::move(block)).first;
    }
    return it->second;
  }

  // The bytes a block passed as is stands for.
  const std::string& wire_body(const std::shared_ptr<const Block>& block) {
    return sent_blocks_[sent_block(block)].body;
  }

  // The index of a block passed as is among sent_blocks_, added on its first sending.
  std::uint32_t sent_block(const std::shared_ptr<const Block>& block) {
    auto [it, added] =
        sent_block_index_.try_emplace(block.get(), static_cast<std::uint32_t>(sent_blocks_.size()));
    if (added) sent_blocks_.push_back(SentBlock{block, block_to_json(*block).dump()});
    return it->second;
  }

  // A block nobody awaits an answer for: the node answers all the same, and the answer takes its
  // time on the link back.
  void deliver_block(const EventKey& step) {
    const int from = step.from, to = step.node;
    static const std::string kAddBlock = "/add_block";
    SimNode& dst = nodes_[static_cast<std::size_t>(to)];
    if (dst.state != State::up) return drop(from, to, kAddBlock, "down");
    ++messages_delivered_;
    note_deliver(from, to, kAddBlock, false);
    dst.node->receive_block(
        sent_blocks_[step.payload].block,
        [this, from, to](HttpResponse response) { send_back(from, to, response.body.size()); },
        addresses_[static_cast<std::size_t>(from)]);
  }

  // An answer's trip from `to` back to `from`: when it arrives, or nullopt when it is dropped.
  std::optional<std::int64_t> send_back(int from, int to, std::size_t bytes) {
    Link& back = link_of(to, from);
    const LinkModel& model = models_[back.model];
    const char* why = blocked(to, from, back, model, model.loss);
    if (!why && model.response_loss > 0 && back.rng.uniform() < model.response_loss)
      why = "response loss";
    if (why) {
      drop(to, from, "response", why);
      return std::nullopt;
    }
    return transmit(back, model, bytes);
  }

  void respond(std::uint32_t id, HttpResponse response) {
    const int from = messages_[id].from, to = messages_[id].to;
    SimNode& server = nodes_[static_cast<std::size_t>(to)];
    if (messages_[id].chain_request && response.status == 200) {
      if (server.spec.behaviour == Behaviour::selfish) response.body = public_chain(server);
      if (server.spec.behaviour == Behaviour::tamper)
        response.body = tamper_chain(server, response.body);
    }
    const std::optional<std::int64_t> arrival = send_back(from, to, response.body.size());
    // Unawaited, the answer still takes its time on the link, but needs no event of its own.
    if (!messages_[id].done) return release(id);
    if (!arrival) return push_step(now_us_ + kRequestTimeoutUs, EventKind::timeout, id);
    responses_[id] = std::move(response);
    push_step(*arrival, EventKind::response, id);
  }

  // ---- tips, convergence and invariants
  // -----------------------------------------------------------

  bool counts_for_convergence(const SimNode& n) const {
    return n.spec.behaviour == Behaviour::honest && n.state == State::up;
  }

  void recount_convergence() {
    tip_counts_.clear();
    honest_up_ = 0;
    for (const auto& n : nodes_) {
      if (!counts_for_convergence(n)) continue;
      ++honest_up_;
      ++tip_counts_[n.last_tip];
    }
    note_convergence();
  }

  bool converged_now() const {
    if (honest_up_ == 0) return false;
    return tip_counts_.size() == 1 ||
           std::any_of(tip_counts_.begin(), tip_counts_.end(),
                       [this](const auto& entry) { return entry.second == honest_up_; });
  }

  void note_convergence() {
    if (!converged_after_heal_us_ && converged_now()) converged_after_heal_us_ = now_us_;
  }

  void fail(int node, const std::string& what) {
    if (stop_) return;
    stop_ = true;
    std::string event = current_ ? std::string(current_->label) : "setup";
    if (current_ && current_->node >= 0) event += " at node " + std::to_string(current_->node);
    failures_.push_back("invariant broken at t=" + canonical(static_cast<double>(now_us_) / 1e6) +
                        " s, event #" + std::to_string(sequence_of_current()) + " (" + event +
                        "), seed " + std::to_string(scenario_.seed) + ": node " +
                        std::to_string(node) + " " + what);
    trace(node, "invariant_broken", Json{{"what", what}});
  }

  std::uint64_t sequence_of_current() const { return current_ ? current_->sequence : 0; }

  // A block is checked once for the whole world: its hash, work and posts do not depend on who
  // holds it.
  bool valid_alone(const Block& block) {
    if (verified_.count(block.hash)) return true;
    if (check_block_alone(block, config_.params)) return false;
    verified_.insert(block.hash);
    return true;
  }

  void note_tip(int self) {
    SimNode& n = nodes_[static_cast<std::size_t>(self)];
    const BlockTree& tree = n.node->tree();
    const Block& tip = tree.tip();
    if (tip.hash == n.last_tip) return;
    if (n.spec.behaviour == Behaviour::honest) {
      if (tree.tip_work() < n.last_work) {
        fail(self, "switched to a chain with less work (" + std::to_string(tree.tip_work()) +
                       " < " + std::to_string(n.last_work) + ")");
      }
      // The blocks that just joined the main chain: each valid and linked to its parent by hash.
      const Block* block = &tip;
      for (std::size_t k = 0; k < std::max<std::size_t>(1, n.reorg_depth) && block->index > 0;
           ++k) {
        const Block* parent = tree.at_height(block->index - 1);
        if (!parent || parent->hash != block->previous_hash || block->index != parent->index + 1) {
          fail(self, "main chain does not link by hash at height " + std::to_string(block->index));
          break;
        }
        if (!valid_alone(*block)) {
          fail(self, "holds an invalid block " + block->hash + " at height " +
                         std::to_string(block->index));
          break;
        }
        block = parent;
      }
    }
    if (counts_for_convergence(n)) {
      auto old = tip_counts_.find(n.last_tip);
      if (old != tip_counts_.end() && --old->second == 0) tip_counts_.erase(old);
      ++tip_counts_[tip.hash];
    }
    n.last_tip = tip.hash;
    n.last_work = tree.tip_work();
    n.reorg_depth = 0;
    if (traced("tip")) {
      trace(self, "tip", Json{{"hash", tip.hash}, {"height", tip.index}});
    } else {
      ++event_count_;
    }
    note_convergence();
  }

  // ---- mining
  // ---------------------------------------------------------------------------------------

  void schedule_discovery() {
    const double mean_us = scenario_.target_interval_s * 1e6;
    at(now_us_ + static_cast<std::int64_t>(std::llround(mining_rng_.exponential(mean_us))),
       "discovery", -1, [this] {
         if (scenario_.max_blocks && blocks_mined_ >= *scenario_.max_blocks) {
           for (std::size_t i = 0; i < nodes_.size(); ++i) release_all(static_cast<int>(i));
           return;
         }
         // The whole network finds blocks at the target rate; the finder is drawn by hash share. A
         // node that is down or not mining lets its share go by (thinning keeps the process
         // Poisson).
         double pick = mining_rng_.uniform() * total_hash_;
         auto it = std::upper_bound(cumulative_hash_.begin(), cumulative_hash_.end(), pick);
         int finder = static_cast<int>(std::min<std::ptrdiff_t>(
             it - cumulative_hash_.begin(), static_cast<std::ptrdiff_t>(nodes_.size()) - 1));
         SimNode& n = nodes_[static_cast<std::size_t>(finder)];
         if (n.state == State::up && n.auto_mine) {
           n.node->mine([this, finder](std::string message) {
             trace(finder, "mine_done", Json{{"message", message}});
           });
         }
         schedule_discovery();
       });
  }

  void real_mining_step(int self) {
    SimNode& n = nodes_[static_cast<std::size_t>(self)];
    if (scenario_.mining != MiningMode::real || n.state != State::up || !n.auto_mine ||
        n.real_mining)
      return;
    if (scenario_.max_blocks && blocks_mined_ >= *scenario_.max_blocks) return;
    n.real_mining = true;
    auto started = std::make_shared<bool>(false);
    const std::uint32_t incarnation = n.incarnation;
    n.node->mine([this, self, started, incarnation](std::string message) {
      nodes_[static_cast<std::size_t>(self)].real_mining = false;
      trace(self, "mine_done", Json{{"message", message}});
      // Refused at once (another mining under way): try again a second later, not in a busy loop.
      std::int64_t delay = *started ? 0 : 1'000'000;
      at_node(now_us_ + delay, "mine", self, incarnation, [this, self] { real_mining_step(self); });
    });
    *started = true;
  }

  // Automatic mining (real mode) and flooding, from the moment a node is up.
  void start_node_routines(int self) {
    SimNode& n = nodes_[static_cast<std::size_t>(self)];
    real_mining_step(self);
    if (n.spec.behaviour == Behaviour::flooder) schedule_flood(self, n.incarnation);
  }

  // ---- adversaries
  // ----------------------------------------------------------------------------------

  void schedule_flood(int self, std::uint32_t incarnation) {
    SimNode& n = nodes_[static_cast<std::size_t>(self)];
    auto interval = static_cast<std::int64_t>(std::llround(1e6 / n.spec.flood_posts_per_s));
    at_node(now_us_ + interval, "flood", self, incarnation, [this, self, incarnation] {
      SimNode& f = nodes_[static_cast<std::size_t>(self)];
      const auto& peers = f.node->peers();
      if (!peers.empty()) {
        const std::string peer = peers[f.rng.below(peers.size())];
        Json post{{"author", "flooder" + std::to_string(self)},
                  {"content", "spam " + std::to_string(f.flooded++)}};
        f.transport->send(peer, HttpRequest{"POST", "/new_transaction", post.dump()},
                          [](const std::optional<HttpResponse>&, const std::string&) {});
      }
      schedule_flood(self, incarnation);
    });
  }

  // A valid block made invalid: alternately a changed nonce (the hash no longer matches) and a
  // forged post with the hash recomputed but no proof of work behind it.
  std::string tamper_block(SimNode& n, const std::string& body) {
    Json json = parse_json(body);
    auto block = block_from_json(json);
    if (!block) return body;
    Block forged = *block;
    if (n.tampered++ % 2 == 0) {
      forged.nonce += 1;  // hash field kept: bad_hash
    } else {
      forged.transactions.push_back(Json{{"author", "mallory"},
                                         {"content", "forged " + std::to_string(n.tampered)},
                                         {"timestamp", forged.timestamp}});
      do {
        forged.nonce += 1;
        forged.hash = compute_block_hash(forged);
      } while (meets_difficulty(forged.hash, scenario_.difficulty));
    }
    return block_to_json(forged).dump();
  }

  std::string tamper_chain(SimNode& n, const std::string& body) {
    Json json = parse_json(body);
    Json& chain = json["chain"];
    if (chain.size() < 2) return body;
    Json& last = chain.back();
    last["nonce"] = last["nonce"].get<std::uint64_t>() + 1;
    ++n.tampered;
    return json.dump();
  }

  bool withholds(const SimNode& n, const std::string& body) {
    if (n.withheld.empty()) return false;
    Json json = parse_json(body);
    auto hash = json.find("hash");
    return hash != json.end() && hash->is_string() && n.withheld.count(hash->get<std::string>());
  }

  // The selfish node's GET /chain answer: its main chain up to its first withheld block.
  Json public_chain_json(const SimNode& n) const {
    Json chain = Json::array();
    const BlockTree& tree = n.node->tree();
    for (std::uint64_t h = 0; h <= tree.height(); ++h) {
      const Block* block = tree.at_height(h);
      if (n.withheld.count(block->hash)) break;
      chain.push_back(block_to_json(*block));
    }
    return Json{{"length", chain.size()}, {"chain", std::move(chain)}, {"peers", n.node->peers()}};
  }
  std::string public_chain(const SimNode& n) const { return public_chain_json(n).dump(); }

  // Eyal and Sirer's strategy, simplified: when honest work reaches height h, release just enough
  // to match it while the private lead is two or more, and everything when the lead shrinks to one
  // (the private branch wins) or to none (a race).
  void selfish_react(int self, std::uint64_t honest_height) {
    SimNode& n = nodes_[static_cast<std::size_t>(self)];
    const BlockTree& tree = n.node->tree();
    for (auto it = n.withheld.begin(); it != n.withheld.end();) {
      it = tree.on_main_chain(*it) ? std::next(it) : n.withheld.erase(it);  // lost the race
    }
    if (n.withheld.empty()) return;
    const bool release_all = tree.height() <= honest_height + 1;
    std::vector<const Block*> release;
    for (std::uint64_t h = 1; h <= tree.height(); ++h) {
      const Block* block = tree.at_height(h);
      if (n.withheld.count(block->hash) && (release_all || block->index <= honest_height))
        release.push_back(block);
    }
    for (const Block* block : release) {
      n.withheld.erase(block->hash);
      trace(self, "released", Json{{"hash", block->hash}, {"index", block->index}});
      n.node->announce(tree.find_shared(block->hash), "");
    }
  }

  // A selfish miner that stops mining can no longer extend its lead: it publishes what it holds.
  void release_all(int self) {
    SimNode& n = nodes_[static_cast<std::size_t>(self)];
    if (n.withheld.empty() || n.state != State::up) return;
    selfish_react(self, n.node->tree().height());
  }

  // ---- the timeline
  // -------------------------------------------------------------------------------

  template <typename Fn>
  void for_nodes(int node, Fn fn) {
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (node >= 0 && static_cast<int>(i) != node) continue;
      fn(static_cast<int>(i), nodes_[i]);
    }
  }

  void schedule_sync(std::int64_t interval_us) {
    at(now_us_ + interval_us, "sync", -1, [this, interval_us] {
      for (auto& n : nodes_) {
        if (n.state == State::up) n.node->run_consensus([] {});
      }
      schedule_sync(interval_us);
    });
  }

  void perform(const Scenario::Action& action) {
    const std::string& kind = action.kind;
    if (kind == "post") {
      Json post{{"author", action.author}, {"content", action.content}};
      ++posts_submitted_;
      SimNode& n = nodes_[static_cast<std::size_t>(action.node)];
      if (n.state != State::up) {
        trace(action.node, "post_submitted", Json{{"status", "unreachable"}});
        return;
      }
      n.node->handle(HttpRequest{"POST", "/new_transaction", post.dump()},
                     [this, action](HttpResponse response) {
                       trace(action.node, "post_submitted", Json{{"status", response.status}});
                     });
    } else if (kind == "mine") {
      for_nodes(action.node, [this](int i, SimNode& n) {
        if (n.state == State::up)
          n.node->mine([this, i](std::string message) {
            trace(i, "mine_done", Json{{"message", message}});
          });
      });
    } else if (kind == "sync") {
      for_nodes(action.node, [](int, SimNode& n) {
        if (n.state == State::up) n.node->run_consensus([] {});
      });
    } else if (kind == "auto_mine") {
      trace(action.node, "auto_mine", Json{{"on", action.on}});
      for_nodes(action.node, [this, &action](int i, SimNode& n) {
        n.auto_mine = action.on;
        if (!action.on) release_all(i);
        real_mining_step(i);
      });
    } else if (kind == "partition") {
      std::fill(group_.begin(), group_.end(), -1);  // nodes named in no group are isolated alone
      for (std::size_t g = 0; g < action.groups.size(); ++g) {
        for (int node : action.groups[g])
          group_[static_cast<std::size_t>(node)] = static_cast<int>(g);
      }
      for (std::size_t i = 0; i < group_.size(); ++i) {
        if (group_[i] == -1) group_[i] = static_cast<int>(action.groups.size() + i);
      }
      trace(-1, "partition", Json{{"groups", action.groups}});
    } else if (kind == "isolate") {
      group_[static_cast<std::size_t>(action.node)] = -1 - action.node;  // a group of its own
      trace(action.node, "isolate", Json());
    } else if (kind == "heal") {
      std::fill(group_.begin(), group_.end(), 0);
      trace(-1, "heal", Json());
      reconnected();
    } else if (kind == "set_link") {
      patch_link(action.from, action.to, action.link);
      if (!action.one_way) patch_link(action.to, action.from, action.link);
      trace(-1, "set_link",
            Json{{"from", action.from}, {"to", action.to}, {"one_way", action.one_way}});
    } else if (kind == "crash") {
      SimNode& n = nodes_[static_cast<std::size_t>(action.node)];
      if (n.state != State::up)
        return trace(action.node, "crash", Json{{"ignored", "not running"}});
      n.state = State::down;
      ++n.incarnation;
      n.real_mining = false;
      trace(action.node, "crash", Json());
      recount_convergence();
    } else if (kind == "restart") {
      restart(action.node, action.keep_state);
    } else if (kind == "join") {
      join(action.node);
    } else if (kind == "leave") {
      SimNode& n = nodes_[static_cast<std::size_t>(action.node)];
      if (n.state == State::gone || n.state == State::waiting)
        return trace(action.node, "leave", Json{{"ignored", "not in the network"}});
      wipe_posts(n);
      n.state = State::gone;
      ++n.incarnation;
      trace(action.node, "leave", Json());
      recount_convergence();
    }
  }

  // A heal, join or restart: convergence is measured again from now.
  void reconnected() {
    last_heal_us_ = now_us_;
    converged_after_heal_us_.reset();
    note_convergence();
  }

  // Posts only this node held, gone with its state: not counted as lost by the network.
  void wipe_posts(const SimNode& n) {
    if (n.spec.behaviour != Behaviour::honest) return;
    for (const auto& post : n.node->mempool().posts()) wiped_posts_.insert(post_id(post));
  }

  void restart(int self, bool keep_state) {
    SimNode& n = nodes_[static_cast<std::size_t>(self)];
    if (n.state != State::down) return trace(self, "restart", Json{{"ignored", "not crashed"}});
    if (!keep_state) wipe_posts(n);
    std::unique_ptr<Node> old = std::move(n.node);
    n.node = make_node(self);  // the old one's pending callbacks are discarded with it
    n.muted = true;
    if (keep_state) {  // as read back from disk: the main chain, the pending posts and the peers
      for (const auto& block : old->tree().main_chain()) {
        if (block.index > 0) n.node->accept_block(block, "disk");
      }
      for (const auto& post : old->mempool().posts()) (void)n.node->submit_post(post);
      for (const auto& peer : old->peers()) n.node->add_peer(peer);
    }
    for (int peer : neighbours_[static_cast<std::size_t>(self)])
      n.node->add_peer(addresses_[static_cast<std::size_t>(peer)]);
    n.muted = false;
    n.state = State::up;
    const Block& tip = n.node->tree().tip();
    trace(self, "restart", Json{{"keep_state", keep_state}, {"height", tip.index}});
    if (tip.hash != n.last_tip) trace(self, "tip", Json{{"hash", tip.hash}, {"height", tip.index}});
    n.last_tip = tip.hash;
    n.last_work = n.node->tree().tip_work();
    n.reorg_depth = 0;
    recount_convergence();
    reconnected();
    n.node->run_consensus([] {});  // catch up with the peers
    start_node_routines(self);
  }

  void join(int self) {
    SimNode& n = nodes_[static_cast<std::size_t>(self)];
    if (n.state != State::waiting) return trace(self, "join", Json{{"ignored", "already joined"}});
    n.state = State::up;
    trace(self, "join", Json{{"peers", neighbours_[static_cast<std::size_t>(self)]}});
    recount_convergence();
    reconnected();
    // As an operator would: register with each configured peer (the tutorial's /register_with),
    // which fetches that peer's chain and makes each side the other's peer.
    for (int peer : neighbours_[static_cast<std::size_t>(self)]) {
      Json body{{"node_address", addresses_[static_cast<std::size_t>(peer)]}};
      n.node->handle(HttpRequest{"POST", "/register_with", body.dump()},
                     [this, self, peer](HttpResponse response) {
                       trace(self, "registered", Json{{"peer", peer}, {"status", response.status}});
                     });
    }
    start_node_routines(self);
  }

  // ---- the end
  // ------------------------------------------------------------------------------------

  Json summarize() {
    std::size_t reference_index = 0;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (nodes_[i].spec.behaviour == Behaviour::honest) {
        reference_index = i;
        if (nodes_[i].state == State::up) break;
      }
    }
    RunFigures figures;
    figures.simulated_us = now_us_;
    figures.events = event_count_;
    figures.blocks_mined = blocks_mined_;
    figures.blocks_rejected = blocks_rejected_;
    figures.max_reorg_depth = max_reorg_depth_;
    figures.posts_submitted = posts_submitted_;
    figures.messages_sent = messages_sent_;
    figures.messages_delivered = messages_delivered_;
    figures.messages_dropped = messages_dropped_;
    figures.converged = converged_now();
    figures.distinct_tips = tip_counts_.size();
    figures.last_heal_us = last_heal_us_;
    figures.converged_at_us = converged_after_heal_us_;
    figures.failures = failures_;
    FinalState state{
        nodes_[reference_index].node->tree(), {}, {}, accepted_posts_, wiped_posts_, miner_of_};
    for (auto& n : nodes_) {
      state.trees.push_back(&n.node->tree());
      if (n.spec.behaviour == Behaviour::honest && n.state != State::gone)
        state.pools.push_back(&n.node->mempool());
    }
    return summarize_run(scenario_, figures, state);
  }

  const Scenario& scenario_;
  const RunOptions& options_;
  NodeConfig config_;  // shared by every node but its address
  Rng mining_rng_;
  std::vector<SimNode> nodes_;
  std::vector<std::string> addresses_;        // each node's address, as its peers know it
  std::vector<std::vector<int>> neighbours_;  // the topology, sorted
  std::vector<LinkModel> models_;             // [0] the default; overrides appended
  std::vector<int> group_;                    // partition group of each node; equal groups can talk
  double total_hash_ = 0;
  std::vector<double> cumulative_hash_;
  std::priority_queue<EventKey, std::vector<EventKey>, std::greater<EventKey>> queue_;
  std::vector<EventBody> slots_;
  std::vector<Message> messages_;
  // The request and the answer of the message of the same index, kept apart from it: most
  // messages carry a block and their answers are only handed back.
  std::vector<HttpRequest> requests_;
  std::vector<std::optional<HttpResponse>> responses_;
  std::vector<std::uint32_t> free_messages_;
  std::vector<std::uint32_t> free_slots_;
  std::optional<CurrentEvent> current_;
  std::int64_t now_us_ = 0;
  std::uint64_t sequence_ = 0;
  bool stop_ = false;
  TraceWriter trace_;
  std::uint64_t event_count_ = 0, blocks_mined_ = 0, blocks_rejected_ = 0, max_reorg_depth_ = 0,
                posts_submitted_ = 0;
  std::uint64_t messages_sent_ = 0, messages_delivered_ = 0, messages_dropped_ = 0;
  std::unordered_map<std::string, int>
      tip_counts_;  // honest running nodes per tip; never iterated for order
  int honest_up_ = 0;
  std::int64_t last_heal_us_ = 0;
  std::optional<std::int64_t> converged_after_heal_us_;
  std::unordered_map<std::string, std::shared_ptr<const Block>>
      parsed_blocks_;  // by /add_block body
  // Every block passed as is, and the bytes it stands for (made once per block object, which is
  // kept alive here, so its address is never reused for another).
  struct SentBlock {
    std::shared_ptr<const Block> block;
    std::string body;
  };
  std::vector<SentBlock> sent_blocks_;
  std::unordered_map<const Block*, std::uint32_t> sent_block_index_;  // looked up, never iterated
  std::unordered_set<std::string> verified_;       // blocks that passed check_block_alone
  std::unordered_map<std::string, int> miner_of_;  // block hash -> node that mined it
  std::set<std::string> accepted_posts_;           // ids honest nodes accepted
  std::unordered_set<std::string> wiped_posts_;
  std::vector<std::string> failures_;
};

double NodeClock::now() const {
  return kEpochSeconds + static_cast<double>(world_.now_us()) / 1e6 + offset_s_;
}
void NodeClock::after(double delay_seconds, std::function<void()> fn) {
  world_.node_timer(self_, delay_seconds, std::move(fn));
}
void SimTransport::send(const std::string& peer, HttpRequest request, ResponseCallback done) {
  world_.send(self_, peer, std::move(request), std::move(done));
}
void SimTransport::send_block(const std::string& peer, const OutgoingBlock& block,
                              ResponseCallback done) {
  world_.send_block(self_, peer, block, std::move(done));
}
void SimMiner::mine(MiningRequest request, std::function<void(MiningResult)> done) {
  world_.mine(self_, std::move(request), std::move(done));
}
void Tracer::on_event(const std::string& kind, const Json& detail) {
  world_.node_event(self_, kind, detail);
}
void Tracer::on_block_accepted(const Block& block, const std::string& from, bool main) {
  world_.block_accepted(self_, block, from, main);
}

}  // namespace

RunResult run_scenario(const Scenario& scenario, const RunOptions& options) {
  World world(scenario, options);
  RunResult result;
  result.summary = world.run();
  result.trace = world.take_trace();
  result.summary["trace_sha256"] = world.trace_sha256();
  result.passed = result.summary["passed"].get<bool>();
  return result;
}

}  // namespace yournet::sim
