#include "yournet/live/live_world.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <charconv>
#include <chrono>
#include <map>

#include "process_node.hpp"
#include "yournet/live/child_cleanup.hpp"
#include "yournet/live/free_port.hpp"
#include "yournet/net/http_server.hpp"
#include "yournet/net/http_transport.hpp"
#include "yournet/store/sqlite_store.hpp"

namespace yournet::live {
namespace {

using Steady = std::chrono::steady_clock;
constexpr auto kPollInterval = std::chrono::milliseconds(100);  // remote nodes' /chain, wall time
constexpr std::uint64_t kBodyLimitBytes = 64u * 1024u * 1024u;

class LiveWorld;

// An in-process node's way out: the real HTTP client through the node's own fault proxy. An
// answer reaches the node only if it has not crashed since it asked.
class ProxiedTransport : public Transport {
 public:
  ProxiedTransport(LiveWorld& world, int self, boost::asio::io_context& io,
                   net::HttpTransportOptions options)
      : world_(world), self_(self), http_(io, std::move(options)) {}
  void send(const std::string& peer, HttpRequest request, ResponseCallback done) override;

 private:
  LiveWorld& world_;
  int self_;
  net::HttpTransport http_;
};

class LiveWorld : public sim::World {
 public:
  LiveWorld(const sim::Scenario& scenario, const LiveOptions& options)
      : scenario_(scenario),
        options_(options),
        network_(scenario),
        work_(boost::asio::make_work_guard(io_)),
        forwarder_(io_, forwarder_options()),
        poll_timer_(io_) {
    install_child_cleanup();
    const std::size_t n = scenario.nodes.size();
    ports_.resize(n);
    proxies_.resize(n);
    servers_.resize(n);
    stores_.resize(n);
    processes_.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      ports_[i] = free_tcp_port();
      node_by_port_[ports_[i]] = static_cast<int>(i);
    }
  }

  ~LiveWorld() override {
    for (auto& process : processes_) {
      if (process) process->kill();
    }
  }

  sim::Runner& runner() { return *runner_; }

  const char* transport_name() const override {
    return options_.hosting == Hosting::processes ? "process" : "http";
  }

  void attach(sim::Runner& runner) override {
    runner_ = &runner;
    start_clock();  // again once every node listens
    for (std::size_t i = 0; i < ports_.size(); ++i) {
      const int self = static_cast<int>(i);
      net::HttpServerOptions proxy_options;
      proxy_options.port = 0;
      proxy_options.body_limit = kBodyLimitBytes;
      proxies_[i] = std::make_unique<net::HttpServer>(
          io_, proxy_options,
          [this, self](HttpRequest request, std::function<void(HttpResponse)> respond) {
            proxy(self, std::move(request), std::move(respond));
          });
      proxies_[i]->start();
      const std::string proxy_url = "http://127.0.0.1:" + std::to_string(proxies_[i]->port());
      net::HttpTransportOptions node_options;
      node_options.body_limit = kBodyLimitBytes;
      node_options.timeout = request_timeout() * 3;
      node_options.proxy = net::parse_peer_url(proxy_url);
      transports_.push_back(std::make_unique<ProxiedTransport>(*this, self, io_, node_options));
      if (is_remote(self)) processes_[i] = make_process(self, proxy_url);
    }
    schedule_poll();
  }

  bool live() const override { return true; }
  void start_clock() override {
    started_ = Steady::now();
    started_unix_ =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  }
  std::int64_t live_now_us() const override {
    const std::chrono::duration<double> wall = Steady::now() - started_;
    return static_cast<std::int64_t>(wall.count() / options_.time_scale * 1e6);
  }
  void wait_until(std::int64_t until_us) override {
    const auto deadline =
        started_ + std::chrono::duration_cast<Steady::duration>(std::chrono::duration<double>(
                       static_cast<double>(until_us) / 1e6 * options_.time_scale));
    io_.run_one_until(deadline);
  }
  double unix_seconds(std::int64_t t_us) const override {
    return started_unix_ + static_cast<double>(t_us) / 1e6;
  }

  sim::Network& network() override { return network_; }
  std::string address_of(int node) const override {
    return "http://127.0.0.1:" + std::to_string(ports_[idx(node)]) + "/";
  }
  Transport& transport_of(int node) override { return *transports_[idx(node)]; }

  NodeStore* open_store(int node, bool fresh) override {
    auto& store = stores_[idx(node)];
    store.reset();  // closed before it is wiped or opened again
    const auto folder = options_.run_dir / ("node" + std::to_string(node));
    std::error_code ignored;
    if (fresh) std::filesystem::remove_all(folder, ignored);
    std::filesystem::create_directories(folder);
    store = std::make_unique<store::SqliteStore>(folder / "chain.db",
                                                 ChainParams{scenario_.difficulty});
    return store.get();
  }
  StoredState stored_state(int node) override { return stores_[idx(node)]->load(); }

  // In-process nodes listen on their fixed port while up; a crash closes the listener.
  void node_up(int node) override {
    net::HttpServerOptions server_options;
    server_options.port = ports_[idx(node)];
    server_options.body_limit = kBodyLimitBytes;
    servers_[idx(node)] = std::make_unique<net::HttpServer>(
        io_, server_options,
        [this, node](HttpRequest request, std::function<void(HttpResponse)> respond) {
          if (!runner_->up(node)) return respond(HttpResponse{503, "down", "text/plain"});
          runner_->serve(node, request, std::move(respond));
        });
    servers_[idx(node)]->start();
  }
  void node_down(int node) override {
    if (auto& server = servers_[idx(node)]) server->stop();
    servers_[idx(node)].reset();
  }

  sim::RemoteNode* remote(int node) override { return processes_[idx(node)].get(); }
  // Scenario time stands still while a process starts (a Python node takes a second or so, which
  // at --time-scale 0.1 would be ten scenario seconds of a network without it).
  void start_remote(int node, bool keep_state, const std::vector<std::string>& peers) override {
    const auto before = Steady::now();
    processes_[idx(node)]->start(keep_state, peers);
    started_ += Steady::now() - before;
  }
  void kill_remote(int node) override { processes_[idx(node)]->kill(); }

  void finish() override {
    poll_timer_.cancel();
    for (std::size_t i = 0; i < processes_.size(); ++i) {
      if (processes_[i] && runner_->up(static_cast<int>(i))) processes_[i]->final_fetch();
    }
    for (auto& proxy : proxies_) proxy->stop();
    for (auto& server : servers_) {
      if (server) server->stop();
    }
    for (auto& process : processes_) {
      if (process) process->kill();
    }
  }

 private:
  static std::size_t idx(int node) { return static_cast<std::size_t>(node); }
  static net::HttpTransportOptions forwarder_options() {
    net::HttpTransportOptions options;
    options.body_limit = kBodyLimitBytes;
    options.timeout = std::chrono::seconds(120);  // a node may take long to answer a /mine
    return options;
  }
  std::chrono::milliseconds request_timeout() const {
    return std::chrono::milliseconds(static_cast<std::int64_t>(
        static_cast<double>(sim::kRequestTimeoutUs) / 1e3 * options_.time_scale + 1000));
  }

  bool is_remote(int node) const {
    const sim::NodeSpec& spec = scenario_.nodes[idx(node)];
    return spec.command ||
           (options_.hosting == Hosting::processes && spec.behaviour == sim::Behaviour::honest);
  }

  std::unique_ptr<ProcessNode> make_process(int node, const std::string& proxy_url) {
    const sim::NodeSpec& spec = scenario_.nodes[idx(node)];
    const std::string name = "node" + std::to_string(node);
    ProcessNodeSpec process;
    process.port = ports_[idx(node)];
    process.log_file = options_.log_dir / (name + ".log");
    if (spec.command) {
      process.foreign = true;
      for (std::string arg : spec.command->argv) {
        for (auto at = arg.find("{port}"); at != std::string::npos; at = arg.find("{port}"))
          arg.replace(at, 6, std::to_string(process.port));
        process.argv.push_back(arg);
      }
      if (!spec.command->cwd.empty()) process.cwd = spec.command->cwd;
      process.env = spec.command->env;
      // Its outgoing requests through its proxy, as curl and Python's requests read it.
      process.env["http_proxy"] = process.env["HTTP_PROXY"] = proxy_url;
      process.env["no_proxy"] = process.env["NO_PROXY"] = "";
    } else {
      process.data_dir = options_.run_dir / name;
      process.argv = {options_.chainnode.string(),
                      "--port",
                      std::to_string(process.port),
                      "--data",
                      process.data_dir.string(),
                      "--difficulty",
                      std::to_string(scenario_.difficulty.zero_bits / 4),
                      "--http-proxy",
                      proxy_url,
                      "--drop-peer-after",
                      "0",
                      "--mine-empty"};
      if (spec.clock_offset_s != 0) {
        process.argv.push_back("--clock-offset-s");
        process.argv.push_back(canonical(spec.clock_offset_s));
      }
    }
    return std::make_unique<ProcessNode>(io_, std::move(process), ChainParams{scenario_.difficulty},
                                         [this, node] { runner_->remote_view_changed(node); });
  }

  void schedule_poll() {
    poll_timer_.expires_after(kPollInterval);
    poll_timer_.async_wait([this](const boost::system::error_code& error) {
      if (error) return;
      for (std::size_t i = 0; i < processes_.size(); ++i) {
        if (processes_[i] && processes_[i]->running()) processes_[i]->poll();
      }
      schedule_poll();
    });
  }

  // A dropped request or answer: the sender hears a 504 when it would have timed out.
  void answer_later(int from, std::function<void(HttpResponse)> respond, const char* why) {
    runner_->at(runner_->now_us() + sim::kRequestTimeoutUs, "timeout", from, [respond, why] {
      respond(HttpResponse{504, why, "text/plain"});
    });
  }

  // Node `from`'s proxy: the scenario's link from `from` to the node the request is for.
  void proxy(int from, HttpRequest request, std::function<void(HttpResponse)> respond) {
    // An absolute-form target, as a client sends to a forward proxy: http://127.0.0.1:PORT/path.
    const std::size_t path_at = request.target.find('/', 7);
    int to = -1;
    if (path_at != std::string::npos) {
      auto url = net::parse_peer_url(request.target.substr(0, path_at + 1));
      unsigned port = 0;
      if (url && url->host == "127.0.0.1" &&
          std::from_chars(url->port.data(), url->port.data() + url->port.size(), port).ec ==
              std::errc()) {
        auto it = node_by_port_.find(static_cast<unsigned short>(port));
        if (it != node_by_port_.end()) to = it->second;
      }
    }
    if (to < 0)
      return respond(HttpResponse{502, "not a node of this run: " + request.target, "text/plain"});
    request.target = request.target.substr(path_at);
    const std::string route = request.target.substr(0, request.target.find('?'));
    sim::Runner& runner = *runner_;
    runner.note_send(from, to, route, request.body.size());
    if (const char* why = network_.drops_request(from, to)) {
      runner.note_drop(from, to, route, why);
      return answer_later(from, std::move(respond), why);
    }
    const std::size_t bytes = request.body.size() + request.target.size();
    if (network_.duplicates(from, to)) {
      runner.at(network_.arrival_us(from, to, bytes, runner.now_us()), "deliver", to,
                [this, from, to, request] { forward(from, to, request, nullptr, true); });
    }
    runner.at(network_.arrival_us(from, to, bytes, runner.now_us()), "deliver", to,
              [this, from, to, request, respond] { forward(from, to, request, respond, false); });
  }

  void forward(int from, int to, const HttpRequest& request,
               std::function<void(HttpResponse)> respond, bool duplicate) {
    sim::Runner& runner = *runner_;
    const std::string route = request.target.substr(0, request.target.find('?'));
    if (!runner.up(to)) {
      runner.note_drop(from, to, route, "down");
      if (respond) answer_later(from, std::move(respond), "down");
      return;
    }
    runner.note_deliver(from, to, route, duplicate);
    forwarder_.send(
        address_of(to), request,
        [this, from, to, respond](const std::optional<HttpResponse>& response,
                                  const std::string& error) {
          if (!respond) return;  // a duplicate: its answer goes nowhere
          sim::Runner& r = *runner_;
          if (!response) {
            r.note_drop(to, from, "response", "no answer");
            return respond(HttpResponse{504, "no answer: " + error, "text/plain"});
          }
          const char* why = nullptr;
          auto arrival =
              network_.answer_arrival_us(to, from, response->body.size(), r.now_us(), why);
          if (!arrival) {
            r.note_drop(to, from, "response", why);
            return answer_later(from, respond, why);
          }
          r.at(*arrival, "response", from, [respond, answer = *response] { respond(answer); });
        });
  }

  const sim::Scenario& scenario_;
  const LiveOptions& options_;
  sim::Runner* runner_ = nullptr;
  sim::Network network_;
  boost::asio::io_context io_;  // before everything that uses it
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  net::HttpTransport forwarder_;  // the proxies' onward requests
  boost::asio::steady_timer poll_timer_;
  Steady::time_point started_{};
  double started_unix_ = 0;
  std::vector<unsigned short> ports_;  // where each node listens, for the whole run
  std::map<unsigned short, int> node_by_port_;
  std::vector<std::unique_ptr<net::HttpServer>> proxies_;
  std::vector<std::unique_ptr<net::HttpServer>> servers_;  // in-process nodes' while up
  std::vector<std::unique_ptr<ProxiedTransport>> transports_;
  std::vector<std::unique_ptr<store::SqliteStore>> stores_;
  std::vector<std::unique_ptr<ProcessNode>> processes_;
};

void ProxiedTransport::send(const std::string& peer, HttpRequest request, ResponseCallback done) {
  const std::uint32_t incarnation = world_.runner().incarnation(self_);
  http_.send(peer, std::move(request),
             [this, incarnation, done](const std::optional<HttpResponse>& response,
                                       const std::string& error) {
               if (done && world_.runner().alive(self_, incarnation)) done(response, error);
             });
}

}  // namespace

std::optional<std::string> live_refusal(const sim::Scenario& scenario, const LiveOptions& options) {
  if (scenario.node_count > kMaxLiveNodes) {
    return "$.nodes: " + std::to_string(scenario.node_count) + " nodes; a live run has at most " +
           std::to_string(kMaxLiveNodes) + " (a socket, a proxy and maybe a process each)";
  }
  for (std::size_t i = 0; i < scenario.nodes.size(); ++i) {
    if (scenario.nodes[i].command && options.hosting != Hosting::processes) {
      return "node " + std::to_string(i) +
             " is a foreign program (\"command\"): it runs only with --transport process";
    }
    if (scenario.nodes[i].command && scenario.nodes[i].clock_offset_s != 0) {
      return "node " + std::to_string(i) +
             ": a foreign program's clock cannot be shifted (clock_offset_s); run it under "
             "faketime in its \"command\" instead";
    }
  }
  if (options.hosting == Hosting::processes && scenario.difficulty.zero_bits % 4 != 0) {
    return "$.difficulty_bits: chainnode takes a difficulty in hex digits; " +
           std::to_string(scenario.difficulty.zero_bits) + " bits is not a whole number of them";
  }
  return std::nullopt;
}

sim::RunResult run_live(const sim::Scenario& scenario, const LiveOptions& options,
                        const sim::RunOptions& run_options) {
  if (auto refusal = live_refusal(scenario, options))
    throw std::runtime_error("cannot run live: " + *refusal);
  std::filesystem::create_directories(options.run_dir);
  std::filesystem::create_directories(options.log_dir);
  LiveWorld world(scenario, options);
  sim::Runner runner(scenario, world, run_options);
  sim::RunResult result = runner.run();
  result.summary["time_scale"] = options.time_scale;
  return result;
}

}  // namespace yournet::live
