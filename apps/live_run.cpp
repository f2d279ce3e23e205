#include "live_run.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <vector>

#include "yournet/crypto.hpp"
#include "yournet/net/asio_clock.hpp"
#include "yournet/net/http_server.hpp"
#include "yournet/net/http_transport.hpp"
#include "yournet/net/thread_mining_service.hpp"
#include "yournet/node/node.hpp"

namespace yournet::sim {

std::optional<std::string> live_refusal(const Scenario& scenario) {
  if (scenario.node_count > kMaxLiveNodes) {
    return "nodes: " + std::to_string(scenario.node_count) + " nodes, live mode runs at most " +
           std::to_string(kMaxLiveNodes) + " (one socket and one mining thread each)";
  }
  std::vector<std::string> features = simulator_only_features(scenario);
  // An explicit latency of about zero is what the loopback gives: no fault is left out.
  const LatencyModel& latency = scenario.link.latency;
  if (latency.kind == LatencyModel::Kind::constant && latency.a_ms <= 1.0) {
    features.erase(std::remove(features.begin(), features.end(), "link.latency_ms"),
                   features.end());
  }
  // What real sockets could carry but this runner does not play (yet): refused all the same.
  auto add = [&](const std::string& name) {
    if (std::find(features.begin(), features.end(), name) == features.end())
      features.push_back(name);
  };
  for (const auto& action : scenario.timeline) {
    if (action.kind != "post" && action.kind != "mine" && action.kind != "sync") {
      add("timeline: " + action.kind);
    }
  }
  for (const NodeSpec& node : scenario.nodes) {
    if (!node.online) add("nodes[].online");
    if (node.auto_mine.value_or(false)) add("nodes[].auto_mine");
  }
  if (features.empty()) return std::nullopt;
  std::string list;
  for (const auto& feature : features) list += (list.empty() ? "" : ", ") + feature;
  return "it uses " + list +
         ", which only the simulator provides (live mode injects no faults into the kernel and "
         "never runs a scenario without them; it plays post, mine and sync on a full mesh)";
}

namespace {

class LiveNetwork;

// Sends through the real HTTP client and traces what the simulator's transport traces.
class TracedTransport : public Transport {
 public:
  TracedTransport(LiveNetwork& network, int self, boost::asio::io_context& io)
      : network_(network), self_(self), http_(io) {}
  void send(const std::string& peer, HttpRequest request, ResponseCallback done) override;

 private:
  LiveNetwork& network_;
  int self_;
  net::HttpTransport http_;
};

class LiveTracer : public NodeObserver {
 public:
  LiveTracer(LiveNetwork& network, int self) : network_(network), self_(self) {}
  void on_event(const std::string& kind, const Json& detail) override;

 private:
  LiveNetwork& network_;
  int self_;
};

struct LiveNode {
  std::unique_ptr<net::HttpServer> server;
  std::unique_ptr<TracedTransport> transport;
  std::unique_ptr<net::ThreadMiningService> miner;
  std::unique_ptr<LiveTracer> tracer;
  std::unique_ptr<Node> node;
  std::string address;
  std::string last_tip;
  std::uint64_t last_work = 0;
};

class LiveNetwork {
 public:
  LiveNetwork(const Scenario& scenario, const LiveOptions& live, const RunOptions& options)
      : scenario_(scenario),
        live_(live),
        options_(options),
        clock_(io_),
        client_(io_, client_options()) {
    nodes_.resize(static_cast<std::size_t>(scenario.node_count));
    // Servers first: a node's address is only known once its ephemeral port is bound.
    for (int i = 0; i < scenario.node_count; ++i) {
      net::HttpServerOptions server_options;
      server_options.host = "127.0.0.1";
      server_options.port = 0;
      server_options.body_limit = 16u * 1024u * 1024u;
      LiveNode& n = nodes_[static_cast<std::size_t>(i)];
      n.server = std::make_unique<net::HttpServer>(
          io_, server_options,
          [this, i](HttpRequest request, std::function<void(HttpResponse)> respond) {
            trace(i, "deliver", Json{{"route", request.target}});
            nodes_[static_cast<std::size_t>(i)].node->handle(request, std::move(respond));
          });
      n.address = "http://127.0.0.1:" + std::to_string(n.server->port()) + "/";
      node_by_address_.emplace(n.address, i);
    }
    for (int i = 0; i < scenario.node_count; ++i) {
      LiveNode& n = nodes_[static_cast<std::size_t>(i)];
      n.transport = std::make_unique<TracedTransport>(*this, i, io_);
      n.miner = std::make_unique<net::ThreadMiningService>(io_);
      n.tracer = std::make_unique<LiveTracer>(*this, i);
      NodeConfig config;
      config.self_address = n.address;
      config.params.difficulty = scenario.difficulty;
      n.node = std::make_unique<Node>(config, *n.transport, clock_, *n.miner, n.tracer.get());
      n.last_tip = n.node->tree().tip().hash;
    }
    for (auto& n : nodes_) {  // full mesh, as the simulator
      for (auto& peer : nodes_) {
        if (&peer != &n) n.node->add_peer(peer.address);
      }
    }
  }

  ~LiveNetwork() {
    for (auto& n : nodes_) {
      if (n.server) n.server->stop();
    }
  }

  Json run() {
    started_ = std::chrono::steady_clock::now();
    running_ = true;
    trace(-1, "start",
          Json{{"scenario", scenario_.name},
               {"seed", scenario_.seed},
               {"nodes", scenario_.node_count},
               {"transport", "http"}});
    if (converged_now()) converged_at_us_ = 0;  // all on genesis, as the simulator counts it
    for (auto& n : nodes_) n.server->start();
    for (const auto& action : scenario_.timeline) {
      clock_.after(wall_seconds(action.at_us), [this, action] { perform(action); });
    }
    if (scenario_.sync_interval_s > 0) schedule_sync();
    clock_.after(wall_seconds(scenario_.stop_at_us), [this] {
      stopped_ = true;
      io_.stop();
    });
    io_.run();
    if (!stopped_) throw std::runtime_error("the network stopped before the scenario's stop time");
    now_us_ = scenario_.stop_at_us;
    trace(-1, "stop", Json());
    if (options_.progress)
      options_.progress(scenario_.stop_at_us, scenario_.stop_at_us, event_count_);
    return summarize();
  }

  int index_of(const std::string& address) const {
    auto it = node_by_address_.find(address);
    return it == node_by_address_.end() ? -1 : it->second;
  }

  void trace(int node, const std::string& kind, Json detail) {
    // Events before the start (peers registered while building) are stamped 0, as in the simulator.
    if (running_ && !stopped_) now_us_ = simulated_now_us();
    ++event_count_;
    count(node, kind, detail);
    if (traced(kind)) {
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
    }
    if (options_.progress) options_.progress(now_us_, scenario_.stop_at_us, event_count_);
  }

  // After a node's event: trace its new tip, and check the invariants the simulator checks.
  void after_node_event(int node, const std::string& kind) {
    if (kind != "block_accepted" && kind != "reorg") return;
    LiveNode& n = nodes_[static_cast<std::size_t>(node)];
    const BlockTree& tree = n.node->tree();
    if (tree.tip().hash != n.last_tip) {
      n.last_tip = tree.tip().hash;
      trace(node, "tip", Json{{"hash", tree.tip().hash}, {"height", tree.tip().index}});
      if (!converged_at_us_ && converged_now()) converged_at_us_ = now_us_;
    }
    if (tree.tip_work() < n.last_work) {
      failures_.push_back("invariant: node " + std::to_string(node) +
                          " switched to a chain with less work at t_us=" + std::to_string(now_us_));
    }
    n.last_work = tree.tip_work();
    const Block& tip = tree.tip();
    if (tip.index > 0) {
      const Block* parent = tree.at_height(tip.index - 1);
      if (!parent || parent->hash != tip.previous_hash) {
        failures_.push_back("invariant: node " + std::to_string(node) +
                            " main chain does not link at height " + std::to_string(tip.index));
      }
    }
  }

  std::string take_trace() { return std::move(trace_); }
  std::string trace_sha256() { return trace_hash_.finish_hex(); }

 private:
  static net::HttpTransportOptions client_options() {
    net::HttpTransportOptions options;
    options.timeout = std::chrono::seconds(120);  // a client's /mine waits for the proof of work
    return options;
  }

  // The scenario's trace detail level, with the simulator's meaning.
  bool traced(const std::string& kind) const {
    static const std::set<std::string> kMessageLevel = {"send", "deliver", "drop", "peer_added",
                                                        "peer_unreachable"};
    static const std::set<std::string> kNodeLevel = {
        "block_accepted",   "tip",           "block_orphaned", "post_accepted", "mine_done",
        "request_rejected", "chain_rejected"};
    switch (scenario_.trace) {
      case TraceDetail::full:
        return true;
      case TraceDetail::blocks:
        return !kMessageLevel.count(kind);
      case TraceDetail::minimal:
        return !kMessageLevel.count(kind) && !kNodeLevel.count(kind);
    }
    return true;
  }

  // The figures the summary needs, whether or not the event is traced.
  void count(int node, const std::string& kind, const Json& detail) {
    if (kind == "mined") {
      ++blocks_mined_;
      miner_of_.emplace(detail["hash"].get<std::string>(), node);
    } else if (kind == "reorg") {
      max_reorg_depth_ =
          std::max<std::uint64_t>(max_reorg_depth_, detail["depth"].get<std::uint64_t>());
    } else if (kind == "block_rejected") {
      ++blocks_rejected_;
    } else if (kind == "post_accepted") {
      accepted_posts_.insert(detail["id"].get<std::string>());
    } else if (kind == "send" && node >= 0) {  // node -1: the scenario's user, not the network
      ++messages_sent_;
    } else if (kind == "deliver") {
      ++messages_delivered_;
    } else if (kind == "drop") {
      ++messages_dropped_;
    }
  }

  double wall_seconds(std::int64_t simulated_us) const {
    return static_cast<double>(simulated_us) / 1e6 * live_.time_scale;
  }
  std::int64_t simulated_now_us() const {
    std::chrono::duration<double> wall = std::chrono::steady_clock::now() - started_;
    return static_cast<std::int64_t>(wall.count() / live_.time_scale * 1e6);
  }

  void schedule_sync() {
    clock_.after(scenario_.sync_interval_s * live_.time_scale, [this] {
      for (auto& n : nodes_) n.node->run_consensus([] {});
      schedule_sync();
    });
  }

  // A client's requests go over HTTP too, as a person's would (traced as sent by node -1); sync
  // has no route, so it is a call.
  void perform(const Scenario::Action& action) {
    auto each_node = [&](auto&& fn) {
      for (int i = 0; i < scenario_.node_count; ++i) {
        if (action.node < 0 || i == action.node) fn(i);
      }
    };
    if (action.kind == "post") {
      ++posts_submitted_;
      Json post{{"author", action.author}, {"content", action.content}};
      const int node = action.node;
      trace(-1, "send", Json{{"to", node}, {"route", "/new_transaction"}});
      client_.send(
          nodes_[static_cast<std::size_t>(node)].address,
          HttpRequest{"POST", "/new_transaction", post.dump()},
          [this, node](const std::optional<HttpResponse>& response, const std::string& error) {
            if (response) {
              trace(node, "post_submitted", Json{{"status", response->status}});
            } else {
              trace(node, "post_submitted", Json{{"error", error}});
            }
          });
    } else if (action.kind == "mine") {
      each_node([&](int i) {
        trace(-1, "send", Json{{"to", i}, {"route", "/mine"}});
        client_.send(
            nodes_[static_cast<std::size_t>(i)].address, HttpRequest{"GET", "/mine", ""},
            [this, i](const std::optional<HttpResponse>& response, const std::string& error) {
              trace(i, "mine_done",
                    response ? Json{{"message", response->body}} : Json{{"error", error}});
            });
      });
    } else if (action.kind == "sync") {
      each_node([&](int i) { nodes_[static_cast<std::size_t>(i)].node->run_consensus([] {}); });
    }
  }

  static Json main_chain_hashes(const BlockTree& tree) {
    Json hashes = Json::array();
    for (std::uint64_t h = 0; h <= tree.height(); ++h) hashes.push_back(tree.at_height(h)->hash);
    return hashes;
  }

  bool converged_now() const {
    for (const auto& n : nodes_) {
      if (n.last_tip != nodes_.front().last_tip) return false;
    }
    return true;
  }

  // The simulator's summary (sim/src/world.cpp), computed the same way from the live nodes' final
  // state. Every node is honest and up, and there is no heal: convergence counts from the start.
  Json summarize() {
    const BlockTree& reference = nodes_[0].node->tree();
    const bool converged = converged_now();
    std::set<std::string> all_blocks, pending_posts;
    for (auto& n : nodes_) {
      const BlockTree& tree = n.node->tree();
      for (const auto& tip : tree.tips()) {
        for (const Block* b = tree.find(tip);
             b && b->index > 0 && all_blocks.insert(b->hash).second;
             b = tree.find(b->previous_hash)) {
        }
      }
      for (const auto& post : n.node->mempool().posts()) pending_posts.insert(post_id(post));
    }
    std::uint64_t posts_in_chain = 0, posts_lost = 0;
    for (const auto& id : accepted_posts_) {
      bool in_chain = reference.main_chain_post_height(id).has_value();
      posts_in_chain += in_chain ? 1 : 0;
      if (!in_chain && !pending_posts.count(id)) ++posts_lost;
    }
    std::map<int, std::uint64_t> by_miner;
    for (std::uint64_t h = 1; h <= reference.height(); ++h) {
      auto miner = miner_of_.find(reference.at_height(h)->hash);
      if (miner != miner_of_.end()) ++by_miner[miner->second];
    }
    Json main_chain_by_miner = Json::object();
    for (const auto& [miner, count] : by_miner) main_chain_by_miner[std::to_string(miner)] = count;
    const std::uint64_t forks = all_blocks.size() - reference.height();
    Json expectations = Json::array();
    bool passed = failures_.empty();
    auto expect = [&](const std::string& name, bool ok, const std::string& detail) {
      expectations.push_back(Json{{"name", name}, {"passed", ok}, {"detail", detail}});
      passed = passed && ok;
    };
    for (const auto& failure : failures_) expect("invariants", false, failure);
    const Scenario::Expectations& e = scenario_.expect;
    if (e.converged) {
      expect("converged", converged == *e.converged,
             converged ? "all honest running nodes share tip " + reference.tip().hash.substr(0, 16)
                       : "nodes end on different tips");
    }
    if (e.converged_within_s) {
      const bool ok =
          converged_at_us_ && static_cast<double>(*converged_at_us_) <= *e.converged_within_s * 1e6;
      expect("converged_within_s", ok,
             converged_at_us_
                 ? "converged " + canonical(static_cast<double>(*converged_at_us_) / 1e6) +
                       " s after the start (no heal live), allowed " +
                       canonical(*e.converged_within_s)
                 : "never converged");
    }
    if (e.min_forks) {
      expect(
          "min_forks", forks >= *e.min_forks,
          std::to_string(forks) + " stale blocks, wanted at least " + std::to_string(*e.min_forks));
    }
    if (e.min_height) {
      expect("min_height", reference.height() >= *e.min_height,
             "height " + std::to_string(reference.height()) + ", wanted at least " +
                 std::to_string(*e.min_height));
    }
    if (e.max_reorg_depth) {
      expect("max_reorg_depth", max_reorg_depth_ <= *e.max_reorg_depth,
             "deepest reorg " + std::to_string(max_reorg_depth_) + ", allowed " +
                 std::to_string(*e.max_reorg_depth));
    }
    if (e.min_blocks_rejected) {
      expect("min_blocks_rejected", blocks_rejected_ >= *e.min_blocks_rejected,
             std::to_string(blocks_rejected_) +
                 " blocks rejected by honest nodes, wanted at least " +
                 std::to_string(*e.min_blocks_rejected));
    }
    if (e.no_post_lost) {
      expect("no_post_lost", posts_lost == 0,
             std::to_string(posts_lost) + " accepted posts neither in the final chain nor pending");
    }
    Json converged_after =
        converged_at_us_ ? Json(static_cast<double>(*converged_at_us_) / 1e6) : Json();
    return Json{{"scenario", scenario_.name},
                {"seed", scenario_.seed},
                {"transport", "http"},
                {"time_scale", live_.time_scale},
                {"nodes", scenario_.node_count},
                {"simulated_seconds", static_cast<double>(scenario_.stop_at_us) / 1e6},
                {"events", event_count_},
                {"blocks_mined", blocks_mined_},
                {"blocks_rejected", blocks_rejected_},
                {"forks", forks},
                {"max_reorg_depth", max_reorg_depth_},
                {"converged", converged},
                {"converged_after_heal_s", converged_after},
                {"final_height", reference.height()},
                {"final_tip", reference.tip().hash},
                {"main_chain", main_chain_hashes(reference)},
                {"main_chain_by_miner", main_chain_by_miner},
                {"messages", Json{{"sent", messages_sent_},
                                  {"delivered", messages_delivered_},
                                  {"dropped", messages_dropped_}}},
                {"posts_submitted", posts_submitted_},
                {"posts_in_chain", posts_in_chain},
                {"posts_lost", posts_lost},
                {"posts_wiped", 0},
                {"expectations", expectations},
                {"passed", passed}};
  }

  const Scenario& scenario_;
  const LiveOptions& live_;
  const RunOptions& options_;
  boost::asio::io_context io_;  // first: everything below uses it, so it is destroyed last
  net::AsioClock clock_;
  net::HttpTransport client_;  // the scenario's users: posts and /mine
  std::vector<LiveNode> nodes_;
  std::map<std::string, int> node_by_address_;
  std::chrono::steady_clock::time_point started_{};
  bool running_ = false, stopped_ = false;
  std::int64_t now_us_ = 0;
  std::string trace_;
  Sha256Stream trace_hash_;
  std::uint64_t event_count_ = 0, blocks_mined_ = 0, blocks_rejected_ = 0, max_reorg_depth_ = 0,
                posts_submitted_ = 0, messages_sent_ = 0, messages_delivered_ = 0,
                messages_dropped_ = 0;
  std::set<std::string> accepted_posts_;
  std::map<std::string, int> miner_of_;
  std::optional<std::int64_t> converged_at_us_;  // first moment every node shared one tip
  std::vector<std::string> failures_;
};

void TracedTransport::send(const std::string& peer, HttpRequest request, ResponseCallback done) {
  const int to = network_.index_of(peer);
  const std::string route = request.target;
  network_.trace(self_, "send", Json{{"to", to}, {"route", route}});
  http_.send(
      peer, std::move(request),
      [this, to, route, done = std::move(done)](const std::optional<HttpResponse>& response,
                                                const std::string& error) {
        if (!response)
          network_.trace(self_, "drop", Json{{"to", to}, {"route", route}, {"error", error}});
        done(response, error);
      });
}

void LiveTracer::on_event(const std::string& kind, const Json& detail) {
  network_.trace(self_, kind, detail);
  network_.after_node_event(self_, kind);
}

}  // namespace

RunResult run_live(const Scenario& scenario, const LiveOptions& live, const RunOptions& options) {
  if (auto refusal = live_refusal(scenario))
    throw std::runtime_error("cannot run live: " + *refusal);
  auto network = std::make_unique<LiveNetwork>(scenario, live, options);
  RunResult result;
  result.summary = network->run();
  result.trace = network->take_trace();
  result.summary["trace_sha256"] = network->trace_sha256();
  result.passed = result.summary["passed"].get<bool>();
  return result;
}

}  // namespace yournet::sim
