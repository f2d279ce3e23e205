#include "live_run.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "yournet/crypto.hpp"
#include "yournet/net/asio_clock.hpp"
#include "yournet/net/http_server.hpp"
#include "yournet/net/http_transport.hpp"
#include "yournet/net/thread_mining_service.hpp"
#include "yournet/node/node.hpp"
#include "yournet/sim/summary.hpp"

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
    // All on genesis: converged from the start, as the simulator counts it.
    if (converged_now()) figures_.converged_at_us = 0;
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
      options_.progress(scenario_.stop_at_us, scenario_.stop_at_us, figures_.events);
    return summarize();
  }

  int index_of(const std::string& address) const {
    auto it = node_by_address_.find(address);
    return it == node_by_address_.end() ? -1 : it->second;
  }

  void trace(int node, const std::string& kind, Json detail) {
    // Events before the start (peers registered while building) are stamped 0, as in the simulator.
    if (running_ && !stopped_) now_us_ = simulated_now_us();
    ++figures_.events;
    count(node, kind, detail);
    trace_.write(now_us_, node, kind, std::move(detail));
    if (options_.progress) options_.progress(now_us_, scenario_.stop_at_us, figures_.events);
  }

  // After a node's event: trace its new tip, and check the invariants the simulator checks.
  void after_node_event(int node, const std::string& kind) {
    if (kind != "block_accepted" && kind != "reorg") return;
    LiveNode& n = nodes_[static_cast<std::size_t>(node)];
    const BlockTree& tree = n.node->tree();
    if (tree.tip().hash != n.last_tip) {
      n.last_tip = tree.tip().hash;
      trace(node, "tip", Json{{"hash", tree.tip().hash}, {"height", tree.tip().index}});
      if (!figures_.converged_at_us && converged_now()) figures_.converged_at_us = now_us_;
    }
    if (tree.tip_work() < n.last_work) {
      figures_.failures.push_back(
          "invariant: node " + std::to_string(node) +
          " switched to a chain with less work at t_us=" + std::to_string(now_us_));
    }
    n.last_work = tree.tip_work();
    const Block& tip = tree.tip();
    if (tip.index > 0) {
      const Block* parent = tree.at_height(tip.index - 1);
      if (!parent || parent->hash != tip.previous_hash) {
        figures_.failures.push_back("invariant: node " + std::to_string(node) +
                                    " main chain does not link at height " +
                                    std::to_string(tip.index));
      }
    }
  }

  std::string take_trace() { return trace_.take_text(); }
  std::string trace_sha256() { return trace_.sha256_hex(); }

 private:
  static net::HttpTransportOptions client_options() {
    net::HttpTransportOptions options;
    options.timeout = std::chrono::seconds(120);  // a client's /mine waits for the proof of work
    return options;
  }

  // The figures the summary needs, whether or not the event is traced.
  void count(int node, const std::string& kind, const Json& detail) {
    if (kind == "mined") {
      ++figures_.blocks_mined;
      miner_of_.emplace(detail["hash"].get<std::string>(), node);
    } else if (kind == "reorg") {
      figures_.max_reorg_depth =
          std::max<std::uint64_t>(figures_.max_reorg_depth, detail["depth"].get<std::uint64_t>());
    } else if (kind == "block_rejected") {
      ++figures_.blocks_rejected;
    } else if (kind == "post_accepted") {
      accepted_posts_.insert(detail["id"].get<std::string>());
    } else if (kind == "send" && node >= 0) {  // node -1: the scenario's user, not the network
      ++figures_.messages_sent;
    } else if (kind == "deliver") {
      ++figures_.messages_delivered;
    } else if (kind == "drop") {
      ++figures_.messages_dropped;
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
      ++figures_.posts_submitted;
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

  bool converged_now() const {
    for (const auto& n : nodes_) {
      if (n.last_tip != nodes_.front().last_tip) return false;
    }
    return true;
  }

  // The simulator's summary, from the live nodes' final state. Every node is honest and up, and
  // there is no heal: convergence counts from the start.
  Json summarize() {
    RunFigures figures = figures_;
    figures.simulated_us = scenario_.stop_at_us;
    figures.converged = converged_now();
    std::set<std::string> tips;
    for (const auto& n : nodes_) tips.insert(n.last_tip);
    figures.distinct_tips = tips.size();
    static const std::unordered_set<std::string> kNoneWiped;  // no node crashes live
    FinalState state{nodes_[0].node->tree(), {}, {}, accepted_posts_, kNoneWiped, miner_of_};
    for (auto& n : nodes_) {
      state.trees.push_back(&n.node->tree());
      state.pools.push_back(&n.node->mempool());
    }
    Json summary = summarize_run(scenario_, figures, state);
    summary["transport"] = "http";
    summary["time_scale"] = live_.time_scale;
    return summary;
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
  TraceWriter trace_{scenario_.trace, options_};
  RunFigures figures_;  // counted as events come; the rest is filled in at the end
  std::set<std::string> accepted_posts_;
  std::unordered_map<std::string, int> miner_of_;  // block hash -> node that mined it
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
        if (done) done(response, error);
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
