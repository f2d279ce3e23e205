#include "yournet/sim/simulation.hpp"

#include <algorithm>
#include <cmath>

#include "yournet/crypto.hpp"

namespace yournet::sim {

std::uint64_t Rng::next() {
  std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

double Rng::uniform() {
  return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

double LatencyModel::sample_ms(Rng& rng) const {
  switch (kind) {
    case Kind::constant:
      return a_ms;
    case Kind::uniform:
      return a_ms + (b_ms - a_ms) * rng.uniform();
    case Kind::exponential:
      return -a_ms * std::log(1.0 - rng.uniform());
  }
  return a_ms;
}

namespace {

constexpr double kEpochSeconds = 1'800'000'000.0;  // virtual wall clock at simulated time 0
constexpr std::int64_t kRequestTimeoutUs = 5'000'000;

std::string address_of(int node) {
  return "http://node" + std::to_string(node) + ":8000/";
}

// ---- scenario loading -------------------------------------------------------------------------

[[noreturn]] void bad(const std::string& path, const std::string& why) {
  throw ScenarioError(path + ": " + why);
}

const Json& need(const Json& object, const std::string& key, const std::string& path) {
  auto it = object.find(key);
  if (it == object.end()) bad(path + "." + key, "is required");
  return *it;
}

double number(const Json& value, const std::string& path, double min, double max) {
  if (!value.is_number()) bad(path, "must be a number");
  double x = value.get<double>();
  if (!(x >= min && x <= max))
    bad(path, "must be between " + canonical(min) + " and " + canonical(max));
  return x;
}

std::int64_t integer(const Json& value, const std::string& path, std::int64_t min,
                     std::int64_t max) {
  if (!value.is_number_integer()) bad(path, "must be an integer");
  auto x = value.get<std::int64_t>();
  if (x < min || x > max)
    bad(path, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  return x;
}

void only_keys(const Json& object, const std::string& path, std::set<std::string> allowed) {
  if (!object.is_object()) bad(path, "must be an object");
  for (const auto& [key, value] : object.items()) {
    if (!allowed.count(key)) bad(path + "." + key, "is not a known field");
  }
}

LatencyModel load_latency(const Json& json, const std::string& path) {
  LatencyModel model;
  if (json.is_number()) {
    model.a_ms = model.b_ms = number(json, path, 0, 3.6e6);
    return model;
  }
  only_keys(json, path, {"dist", "ms", "min_ms", "max_ms", "mean_ms"});
  const Json& dist = need(json, "dist", path);
  if (dist == "constant") {
    model.a_ms = model.b_ms = number(need(json, "ms", path), path + ".ms", 0, 3.6e6);
  } else if (dist == "uniform") {
    model.kind = LatencyModel::Kind::uniform;
    model.a_ms = number(need(json, "min_ms", path), path + ".min_ms", 0, 3.6e6);
    model.b_ms = number(need(json, "max_ms", path), path + ".max_ms", model.a_ms, 3.6e6);
  } else if (dist == "exponential") {
    model.kind = LatencyModel::Kind::exponential;
    model.a_ms = number(need(json, "mean_ms", path), path + ".mean_ms", 0, 3.6e6);
  } else {
    bad(path + ".dist", "must be \"constant\", \"uniform\" or \"exponential\"");
  }
  return model;
}

}  // namespace

Scenario load_scenario(const Json& json) {
  only_keys(json, "$",
            {"name", "description", "seed", "nodes", "difficulty_bits", "hash_rate", "link",
             "sync_interval_s", "stop_at_s", "timeline", "expect"});
  Scenario s;
  s.name = json.value("name", std::string("scenario"));
  if (json.contains("seed"))
    s.seed = static_cast<std::uint64_t>(integer(json["seed"], "$.seed", 0, INT64_MAX));
  s.node_count = static_cast<int>(integer(need(json, "nodes", "$"), "$.nodes", 1, 1000));
  if (json.contains("difficulty_bits")) {
    s.difficulty = Difficulty::bits(
        static_cast<unsigned>(integer(json["difficulty_bits"], "$.difficulty_bits", 1, 24)));
  }
  if (json.contains("hash_rate"))
    s.hash_rate = number(json["hash_rate"], "$.hash_rate", 1e-3, 1e12);
  if (json.contains("link")) {
    only_keys(json["link"], "$.link", {"latency_ms", "loss"});
    if (json["link"].contains("latency_ms"))
      s.link.latency = load_latency(json["link"]["latency_ms"], "$.link.latency_ms");
    if (json["link"].contains("loss"))
      s.link.loss = number(json["link"]["loss"], "$.link.loss", 0, 0.99);
  }
  if (json.contains("sync_interval_s"))
    s.sync_interval_s = number(json["sync_interval_s"], "$.sync_interval_s", 0, 86400);
  s.stop_at_us =
      static_cast<std::int64_t>(number(need(json, "stop_at_s", "$"), "$.stop_at_s", 0, 1e7) * 1e6);
  const Json& timeline = need(json, "timeline", "$");
  if (!timeline.is_array()) bad("$.timeline", "must be an array");
  for (std::size_t i = 0; i < timeline.size(); ++i) {
    const std::string path = "$.timeline[" + std::to_string(i) + "]";
    const Json& item = timeline[i];
    only_keys(item, path, {"at_s", "do", "node", "author", "content", "groups"});
    Scenario::Action action;
    action.at_us =
        static_cast<std::int64_t>(number(need(item, "at_s", path), path + ".at_s", 0, 1e7) * 1e6);
    const Json& kind = need(item, "do", path);
    if (!kind.is_string()) bad(path + ".do", "must be a string");
    action.kind = kind.get<std::string>();
    auto node_field = [&] {
      return static_cast<int>(
          integer(need(item, "node", path), path + ".node", 0, s.node_count - 1));
    };
    if (action.kind == "post") {
      action.node = node_field();
      const Json& author = need(item, "author", path);
      const Json& content = need(item, "content", path);
      if (!author.is_string() || author.get<std::string>().empty())
        bad(path + ".author", "must be a non-empty string");
      if (!content.is_string() || content.get<std::string>().empty())
        bad(path + ".content", "must be a non-empty string");
      action.author = author.get<std::string>();
      action.content = content.get<std::string>();
    } else if (action.kind == "mine" || action.kind == "sync") {
      action.node = item.contains("node") ? node_field() : -1;
    } else if (action.kind == "partition") {
      const Json& groups = need(item, "groups", path);
      if (!groups.is_array() || groups.size() < 2)
        bad(path + ".groups", "must be an array of at least two groups");
      for (std::size_t g = 0; g < groups.size(); ++g) {
        const std::string group_path = path + ".groups[" + std::to_string(g) + "]";
        if (!groups[g].is_array()) bad(group_path, "must be an array of node numbers");
        std::vector<int> group;
        for (std::size_t k = 0; k < groups[g].size(); ++k) {
          group.push_back(static_cast<int>(integer(
              groups[g][k], group_path + "[" + std::to_string(k) + "]", 0, s.node_count - 1)));
        }
        action.groups.push_back(group);
      }
    } else if (action.kind != "heal") {
      bad(path + ".do", "must be one of post, mine, sync, partition, heal");
    }
    s.timeline.push_back(action);
  }
  if (json.contains("expect")) {
    const Json& e = json["expect"];
    only_keys(e, "$.expect",
              {"converged", "min_forks", "min_height", "max_reorg_depth", "no_post_lost"});
    if (e.contains("converged")) {
      if (!e["converged"].is_boolean()) bad("$.expect.converged", "must be true or false");
      s.expect.converged = e["converged"].get<bool>();
    }
    if (e.contains("min_forks"))
      s.expect.min_forks =
          static_cast<std::uint64_t>(integer(e["min_forks"], "$.expect.min_forks", 0, 1'000'000));
    if (e.contains("min_height"))
      s.expect.min_height =
          static_cast<std::uint64_t>(integer(e["min_height"], "$.expect.min_height", 0, 1'000'000));
    if (e.contains("max_reorg_depth"))
      s.expect.max_reorg_depth = static_cast<std::uint64_t>(
          integer(e["max_reorg_depth"], "$.expect.max_reorg_depth", 0, 1'000'000));
    if (e.contains("no_post_lost")) {
      if (!e["no_post_lost"].is_boolean()) bad("$.expect.no_post_lost", "must be true or false");
      s.expect.no_post_lost = e["no_post_lost"].get<bool>();
    }
  }
  return s;
}

namespace {

// ---- the simulated world -----------------------------------------------------------------------

class World;

class SimClock : public Clock {
 public:
  explicit SimClock(World& world) : world_(world) {}
  double now() const override;
  void after(double delay_seconds, std::function<void()> fn) override;

 private:
  World& world_;
};

class SimTransport : public Transport {
 public:
  SimTransport(World& world, int self) : world_(world), self_(self) {}
  void send(const std::string& peer, HttpRequest request, ResponseCallback done) override;

 private:
  World& world_;
  int self_;
};

// Real proof of work; the simulated time it takes is attempts / hash rate.
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

 private:
  World& world_;
  int self_;
};

struct SimNode {
  std::unique_ptr<SimTransport> transport;
  std::unique_ptr<SimMiner> miner;
  std::unique_ptr<Tracer> tracer;
  std::unique_ptr<Node> node;
};

class World {
 public:
  World(const Scenario& scenario, const RunOptions& options)
      : scenario_(scenario), options_(options), rng_(scenario.seed), clock_(*this) {
    for (int i = 0; i < scenario.node_count; ++i) {
      auto& n = nodes_.emplace_back();
      n.transport = std::make_unique<SimTransport>(*this, i);
      n.miner = std::make_unique<SimMiner>(*this, i);
      n.tracer = std::make_unique<Tracer>(*this, i);
      NodeConfig config;
      config.self_address = address_of(i);
      config.params.difficulty = scenario.difficulty;
      n.node = std::make_unique<Node>(config, *n.transport, clock_, *n.miner, n.tracer.get());
      node_by_address_.emplace(config.self_address, i);
    }
    for (int i = 0; i < scenario.node_count; ++i) {  // full mesh
      for (int j = 0; j < scenario.node_count; ++j) {
        if (i != j) nodes_[i].node->add_peer(address_of(j));
      }
    }
    group_.assign(static_cast<std::size_t>(scenario.node_count), 0);
    last_tip_.assign(nodes_.size(), genesis_block().hash);
  }

  // Traces "tip" when this node's main tip moved since it was last traced.
  void note_tip(int node) {
    const Block& tip = nodes_[static_cast<std::size_t>(node)].node->tree().tip();
    std::string& last = last_tip_[static_cast<std::size_t>(node)];
    if (tip.hash == last) return;
    last = tip.hash;
    trace(node, "tip", Json{{"hash", tip.hash}, {"height", tip.index}});
  }

  std::int64_t now_us() const { return now_us_; }

  void at(std::int64_t time_us, std::function<void()> fn) {
    queue_.push(Event{std::max(time_us, now_us_), sequence_++, std::move(fn)});
  }

  void trace(int node, const std::string& kind, Json detail) {
    Json line = Json::object();
    line["t_us"] = now_us_;
    line["node"] = node;
    line["event"] = kind;
    if (!detail.is_null()) line["detail"] = std::move(detail);
    std::string text = canonical(line);
    text += '\n';
    trace_hash_.update(text);
    if (options_.trace_sink) {
      options_.trace_sink(std::string_view(text).substr(0, text.size() - 1));
    } else {
      trace_ += text;
    }
    ++event_count_;
    if (kind == "mined") ++blocks_mined_;
    if (kind == "reorg")
      max_reorg_depth_ =
          std::max<std::uint64_t>(max_reorg_depth_, line["detail"]["depth"].get<std::uint64_t>());
  }

  void send(int from, const std::string& peer, HttpRequest request, ResponseCallback done) {
    int to = index_of(peer);
    auto deliver_error = [this, done](const std::string& why) {
      at(now_us_ + kRequestTimeoutUs, [done, why] { done(std::nullopt, why); });
    };
    if (to < 0) return deliver_error("unknown host " + peer);
    trace(from, "send", Json{{"to", to}, {"route", request.target}});
    if (!reachable(from, to) || rng_.uniform() < scenario_.link.loss) {
      trace(from, "drop", Json{{"to", to}, {"route", request.target}});
      return deliver_error("timed out");
    }
    at(now_us_ + latency_us(), [this, from, to, request, done] {
      trace(to, "deliver", Json{{"from", from}, {"route", request.target}});
      nodes_[static_cast<std::size_t>(to)].node->handle(
          request, [this, from, to, done](HttpResponse response) {
            if (!reachable(to, from) || rng_.uniform() < scenario_.link.loss) {
              trace(to, "drop", Json{{"to", from}, {"route", "response"}});
              return at(now_us_ + kRequestTimeoutUs, [done] { done(std::nullopt, "timed out"); });
            }
            at(now_us_ + latency_us(), [done, response] { done(response, ""); });
          });
    });
  }

  void mine(int self, MiningRequest request, std::function<void(MiningResult)> done) {
    MiningResult result = yournet::mine(request);
    auto delay =
        static_cast<std::int64_t>(static_cast<double>(result.attempts) / scenario_.hash_rate * 1e6);
    at(now_us_ + delay, [done, result] { done(result); });
    (void)self;
  }

  Json run() {
    trace(-1, "start",
          Json{{"scenario", scenario_.name},
               {"seed", scenario_.seed},
               {"nodes", scenario_.node_count}});
    for (const auto& action : scenario_.timeline) {
      at(action.at_us, [this, action] { perform(action); });
    }
    if (scenario_.sync_interval_s > 0)
      schedule_sync(static_cast<std::int64_t>(scenario_.sync_interval_s * 1e6));
    while (!queue_.empty() && queue_.top().time_us <= scenario_.stop_at_us) {
      Event event = queue_.top();
      queue_.pop();
      now_us_ = event.time_us;
      event.fn();
      check_invariants();
      if (options_.progress && ++processed_ % kProgressEvery == 0) {
        options_.progress(now_us_, scenario_.stop_at_us, event_count_);
      }
    }
    now_us_ = scenario_.stop_at_us;
    trace(-1, "stop", Json());
    if (options_.progress) options_.progress(now_us_, scenario_.stop_at_us, event_count_);  // 100%
    return summarize();
  }

  std::string take_trace() { return std::move(trace_); }
  std::string trace_sha256() { return trace_hash_.finish_hex(); }
  const std::vector<std::string>& failures() const { return failures_; }

 private:
  struct Event {
    std::int64_t time_us;
    std::uint64_t sequence;
    std::function<void()> fn;
    bool operator>(const Event& other) const {
      return time_us != other.time_us ? time_us > other.time_us : sequence > other.sequence;
    }
  };

  int index_of(const std::string& address) const {
    auto it = node_by_address_.find(address);
    return it == node_by_address_.end() ? -1 : it->second;
  }
  bool reachable(int from, int to) const {
    return group_[static_cast<std::size_t>(from)] == group_[static_cast<std::size_t>(to)];
  }
  std::int64_t latency_us() {
    return static_cast<std::int64_t>(scenario_.link.latency.sample_ms(rng_) * 1000.0);
  }

  void schedule_sync(std::int64_t interval_us) {
    at(now_us_ + interval_us, [this, interval_us] {
      for (auto& n : nodes_) n.node->run_consensus([] {});
      schedule_sync(interval_us);
    });
  }

  void perform(const Scenario::Action& action) {
    if (action.kind == "post") {
      Json post{{"author", action.author}, {"content", action.content}};
      Node& node = *nodes_[static_cast<std::size_t>(action.node)].node;
      HttpRequest request{"POST", "/new_transaction", post.dump()};
      node.handle(request, [this, action](HttpResponse response) {
        trace(action.node, "post_submitted", Json{{"status", response.status}});
      });
      posts_submitted_++;
    } else if (action.kind == "mine") {
      for (int i = 0; i < scenario_.node_count; ++i) {
        if (action.node >= 0 && i != action.node) continue;
        nodes_[static_cast<std::size_t>(i)].node->mine([this, i](std::string message) {
          trace(i, "mine_done", Json{{"message", message}});
        });
      }
    } else if (action.kind == "sync") {
      for (int i = 0; i < scenario_.node_count; ++i) {
        if (action.node >= 0 && i != action.node) continue;
        nodes_[static_cast<std::size_t>(i)].node->run_consensus([] {});
      }
    } else if (action.kind == "partition") {
      std::fill(group_.begin(), group_.end(), -1);  // nodes named in no group are isolated alone
      for (std::size_t g = 0; g < action.groups.size(); ++g) {
        for (int node : action.groups[g])
          group_[static_cast<std::size_t>(node)] = static_cast<int>(g);
      }
      for (std::size_t i = 0; i < group_.size(); ++i) {
        if (group_[i] == -1) group_[i] = static_cast<int>(action.groups.size() + i);
      }
      trace(-1, "partition", Json{{"groups", action.groups}});
    } else if (action.kind == "heal") {
      std::fill(group_.begin(), group_.end(), 0);
      trace(-1, "heal", Json());
    }
  }

  // Every node's main chain links by hash, and its work never goes down.
  void check_invariants() {
    if (!failures_.empty()) return;
    if (last_work_.empty()) last_work_.assign(nodes_.size(), 0);
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      const BlockTree& tree = nodes_[i].node->tree();
      if (tree.tip_work() < last_work_[i]) {
        failures_.push_back(
            "invariant: node " + std::to_string(i) +
            " switched to a chain with less work at t_us=" + std::to_string(now_us_));
      }
      last_work_[i] = tree.tip_work();
      const Block* tip = &tree.tip();
      if (tip->index > 0) {
        const Block* parent = tree.at_height(tip->index - 1);
        if (!parent || parent->hash != tip->previous_hash) {
          failures_.push_back("invariant: node " + std::to_string(i) +
                              " main chain does not link at height " + std::to_string(tip->index));
        }
      }
    }
  }

  static Json main_chain_hashes(const BlockTree& tree) {
    Json hashes = Json::array();
    for (std::uint64_t h = 0; h <= tree.height(); ++h) hashes.push_back(tree.at_height(h)->hash);
    return hashes;
  }

  Json summarize() {
    const BlockTree& reference = nodes_[0].node->tree();
    bool converged = true;
    std::set<std::string> all_blocks;
    for (auto& n : nodes_) {
      converged = converged && n.node->tree().tip().hash == reference.tip().hash;
    }
    // Blocks every node knows, and posts the honest nodes accepted.
    std::set<std::string> accepted_posts, pending_posts;
    for (auto& n : nodes_) {
      const BlockTree& tree = n.node->tree();
      for (const auto& tip : tree.tips()) {
        for (const Block* b = tree.find(tip);
             b && b->index > 0 && all_blocks.insert(b->hash).second;
             b = tree.find(b->previous_hash)) {
          for (const auto& post : b->transactions) accepted_posts.insert(post_id(post));
        }
      }
      for (const auto& post : n.node->mempool().posts()) {
        accepted_posts.insert(post_id(post));
        pending_posts.insert(post_id(post));
      }
    }
    std::uint64_t posts_in_chain = 0, posts_lost = 0;
    for (const auto& id : accepted_posts) {
      bool in_chain = reference.main_chain_post_height(id).has_value();
      posts_in_chain += in_chain ? 1 : 0;
      if (!in_chain && !pending_posts.count(id)) ++posts_lost;
    }
    std::uint64_t forks = all_blocks.size() - reference.height();
    Json expectations = Json::array();
    bool passed = failures_.empty();
    auto expect = [&](const std::string& name, bool ok, const std::string& detail) {
      expectations.push_back(Json{{"name", name}, {"passed", ok}, {"detail", detail}});
      passed = passed && ok;
    };
    for (const auto& failure : failures_) expect("invariants", false, failure);
    if (scenario_.expect.converged) {
      expect("converged", converged == *scenario_.expect.converged,
             converged ? "all nodes share tip " + reference.tip().hash.substr(0, 16)
                       : "nodes end on different tips");
    }
    if (scenario_.expect.min_forks) {
      expect("min_forks", forks >= *scenario_.expect.min_forks,
             std::to_string(forks) + " stale blocks, wanted at least " +
                 std::to_string(*scenario_.expect.min_forks));
    }
    if (scenario_.expect.min_height) {
      expect("min_height", reference.height() >= *scenario_.expect.min_height,
             "height " + std::to_string(reference.height()) + ", wanted at least " +
                 std::to_string(*scenario_.expect.min_height));
    }
    if (scenario_.expect.max_reorg_depth) {
      expect("max_reorg_depth", max_reorg_depth_ <= *scenario_.expect.max_reorg_depth,
             "deepest reorg " + std::to_string(max_reorg_depth_) + ", allowed " +
                 std::to_string(*scenario_.expect.max_reorg_depth));
    }
    if (scenario_.expect.no_post_lost) {
      expect("no_post_lost", posts_lost == 0,
             std::to_string(posts_lost) + " accepted posts neither in the final chain nor pending");
    }
    return Json{{"scenario", scenario_.name},
                {"seed", scenario_.seed},
                {"nodes", scenario_.node_count},
                {"simulated_seconds", static_cast<double>(scenario_.stop_at_us) / 1e6},
                {"events", event_count_},
                {"blocks_mined", blocks_mined_},
                {"forks", forks},
                {"max_reorg_depth", max_reorg_depth_},
                {"converged", converged},
                {"final_height", reference.height()},
                {"final_tip", reference.tip().hash},
                {"main_chain", main_chain_hashes(reference)},
                {"posts_submitted", posts_submitted_},
                {"posts_in_chain", posts_in_chain},
                {"posts_lost", posts_lost},
                {"expectations", expectations},
                {"passed", passed}};
  }

  static constexpr std::uint64_t kProgressEvery = 4096;

  const Scenario& scenario_;
  const RunOptions& options_;
  Rng rng_;
  SimClock clock_;
  std::vector<SimNode> nodes_;
  std::map<std::string, int> node_by_address_;  // every send looks its peer up here
  std::vector<int> group_;  // partition group of each node; equal groups can talk
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> queue_;
  std::int64_t now_us_ = 0;
  std::uint64_t sequence_ = 0;
  std::string trace_;
  Sha256Stream trace_hash_;
  std::vector<std::string> last_tip_;  // last traced main tip of each node
  std::uint64_t processed_ = 0;
  std::uint64_t event_count_ = 0, blocks_mined_ = 0, max_reorg_depth_ = 0, posts_submitted_ = 0;
  std::vector<std::uint64_t> last_work_;
  std::vector<std::string> failures_;
};

double SimClock::now() const {
  return kEpochSeconds + static_cast<double>(world_.now_us()) / 1e6;
}
void SimClock::after(double delay_seconds, std::function<void()> fn) {
  world_.at(world_.now_us() + static_cast<std::int64_t>(delay_seconds * 1e6), std::move(fn));
}
void SimTransport::send(const std::string& peer, HttpRequest request, ResponseCallback done) {
  world_.send(self_, peer, std::move(request), std::move(done));
}
void SimMiner::mine(MiningRequest request, std::function<void(MiningResult)> done) {
  world_.mine(self_, std::move(request), std::move(done));
}
void Tracer::on_event(const std::string& kind, const Json& detail) {
  world_.trace(self_, kind, detail);
  if (kind == "block_accepted") world_.note_tip(self_);
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
