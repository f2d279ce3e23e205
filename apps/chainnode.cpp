// chainnode: the live node. One io_context on one thread drives the Node, its HTTP server and
// client, its timers and the results of mining (which runs on a worker thread).
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/program_options.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "yournet/cli/cli.hpp"
#include "yournet/net/asio_clock.hpp"
#include "yournet/net/http_server.hpp"
#include "yournet/net/http_transport.hpp"
#include "yournet/net/offset_clock.hpp"
#include "yournet/net/rate_limited_log.hpp"
#include "yournet/net/request_guard.hpp"
#include "yournet/net/thread_mining_service.hpp"
#include "yournet/node/http_api.hpp"
#include "yournet/store/sqlite_store.hpp"

namespace po = boost::program_options;
namespace asio = boost::asio;
using namespace yournet;

namespace {

// One line per accepted block, reorg, peer change and refused request at info; what every
// request or every sync round would repeat (an accepted post, a peer that did not answer) at debug.
// Refused requests repeat as fast as a client sends them: rate-limited, summed past a burst.
class LogObserver : public NodeObserver {
 public:
  void on_event(const NodeEvent& event) override {
    const bool routine = std::holds_alternative<event::PostAccepted>(event) ||
                         std::holds_alternative<event::PeerUnreachable>(event);
    const auto level = routine ? spdlog::level::debug : spdlog::level::info;
    if (!spdlog::should_log(level)) return;
    const std::string line = std::string(event_name(event)) + " " + event_detail(event).dump();
    if (std::holds_alternative<event::RequestRejected>(event)) {
      return log.log(level, event_name(event), line);
    }
    spdlog::log(level, "{}", line);
  }
  net::RateLimitedLog log;
};

void schedule_log_summary(net::RateLimitedLog& log, Clock& clock) {
  clock.after(static_cast<double>(net::kLogSummaryInterval.count()), [&log, &clock] {
    log.tick();
    schedule_log_summary(log, clock);
  });
}

void schedule_sync(Node& node, Clock& clock, double interval) {
  clock.after(interval, [&node, &clock, interval] {
    node.run_consensus([&node, &clock, interval] { schedule_sync(node, clock, interval); });
  });
}

// Written whole then renamed, so a reader never sees a partial file.
void write_port_file(const std::string& path, unsigned short port) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << port << "\n";
    if (!out.flush()) throw std::runtime_error("cannot write --port-file " + path);
  }
  std::filesystem::rename(temporary, path);
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description options("chainnode options");
  std::string host;
  unsigned port = 8000;
  unsigned difficulty = 2;
  std::vector<std::string> peers;
  unsigned mine_threads = 1;
  double sync_interval = 0;
  std::string log_level;
  std::string data_dir;
  std::string advertise;
  std::string port_file;
  double drop_peer_after = 600;
  unsigned max_chain_mib = 16;
  std::string http_proxy;
  double clock_offset = 0;
  unsigned read_timeout = 30;
  std::vector<std::string> allowed_hosts;
  std::vector<std::string> allowed_origins;
  std::size_t max_connections = net::kDefaultMaxConnections;
  std::size_t max_per_client = net::kDefaultMaxConnectionsPerClient;
  std::size_t max_pending = MempoolLimits{}.max_posts;
  std::size_t max_peers = NodePolicy{}.max_peers;
  std::size_t max_orphans = kDefaultMaxOrphans;
  std::size_t max_side_branch_mib = kDefaultMaxSideBranchBytes >> 20;
  options.add_options()("help,h", "show this help")("port", po::value(&port)->default_value(8000),
                                                    "port to listen on (0: any free port)")(
      "host", po::value(&host)->default_value("127.0.0.1"), "address to listen on")(
      "difficulty", po::value(&difficulty)->default_value(2), "proof of work: leading hex zeros")(
      "peer", po::value(&peers)->composing(), "peer URL http://host:port/ (repeatable)")(
      "require-signatures", po::bool_switch(), "accept only signed posts")(
      "data", po::value(&data_dir)->value_name("DIR"),
      "keep blocks, posts and peers in DIR/chain.db (SQLite) and reload them at start; "
      "without it the state lives in memory only")(
      "advertise", po::value(&advertise)->value_name("URL"),
      "the address peers should use for this node, http://host:port (default: http://HOST:PORT)")(
      "drop-peer-after", po::value(&drop_peer_after)->default_value(600)->value_name("SECONDS"),
      "forget a peer that has failed every contact for this many seconds (0: never)")(
      "port-file", po::value(&port_file)->value_name("FILE"),
      "write the port listened on to this file (handy with --port 0)")(
      "mine-threads", po::value(&mine_threads)->default_value(1), "threads searching nonces")(
      "mine-empty", po::bool_switch(),
      "GET /mine mines a block even with no pending post (netsim's modeled mining; the "
      "reference answers \"No transactions to mine\")")(
      "read-timeout", po::value(&read_timeout)->default_value(30)->value_name("SECONDS"),
      "a request not complete this long after the connection was opened or last answered gets 408 "
      "(an idle connection is closed); requests are refused past 8 KiB of request line and "
      "headers (431) and 1 MiB of body (413)")(
      "max-pending-posts", po::value(&max_pending)->default_value(max_pending)->value_name("N"),
      ("posts in the pending pool at most (and 8 MiB of them); a post past it gets 503 with "
       "Retry-After: " +
       std::to_string(NodePolicy{}.pool_full_retry_after_s))
          .c_str())(
      "allowed-host", po::value(&allowed_hosts)->composing()->value_name("NAME[:PORT]"),
      "check Host on every request: only localhost, 127.0.0.1, [::1], the --host address (with "
      "the port) and these names (repeatable; without a port: any port) are served, others get "
      "421. Without it, Host is checked only on requests a browser sent to make the node act "
      "(peers reach a node by any of its addresses)")(
      "allowed-origin", po::value(&allowed_origins)->composing()->value_name("URL"),
      "a web page origin, scheme://host[:port], allowed to make the node act (POST, GET /mine) "
      "beside the node's own names (repeatable); other Origins get 403")(
      "allow-same-site", po::bool_switch(),
      "accept requests a browser marks Sec-Fetch-Site: same-site (a page on another port or "
      "subdomain); refused with 403 by default")(
      "max-chain-mib", po::value(&max_chain_mib)->default_value(16)->value_name("MIB"),
      "largest answer taken from a peer (its whole chain, as /chain); raise it to join a "
      "network whose chain is longer")(
      "max-peers", po::value(&max_peers)->default_value(max_peers)->value_name("N"),
      "most peers kept (--peer, /register_node, /register_with and the peers it learns); past it "
      "a new peer is refused (400 on /register_node and /register_with)")(
      "max-orphans", po::value(&max_orphans)->default_value(max_orphans)->value_name("N"),
      "most blocks kept waiting for an unknown parent; past it the one that arrived first is "
      "dropped")(
      "max-side-branch-mib",
      po::value(&max_side_branch_mib)->default_value(max_side_branch_mib)->value_name("MIB"),
      "most canonical bytes of blocks kept off the main chain; past it the stale tip that arrived "
      "first is forgotten, then the next (never a main-chain block, nor one a kept block builds "
      "on); 0 keeps no side branch")(
      "http-proxy", po::value(&http_proxy)->value_name("URL"),
      "send every request to peers through this HTTP forward proxy, http://host:port (\"\": "
      "none); default: the http_proxy (or HTTP_PROXY) environment variable, bypassed for the "
      "hosts listed in no_proxy (or NO_PROXY), as curl does")(
      "clock-offset-s", po::value(&clock_offset)->default_value(0)->value_name("SECONDS"),
      "seconds added to this node's clock, which stamps its posts and blocks (a skewed clock)")(
      "sync-interval", po::value(&sync_interval)->default_value(0),
      "seconds between consensus rounds with the peers (0: off)")(
      "log-level", po::value(&log_level)->default_value("info"), net::log_level_help().c_str());
  cli::add_connection_limit_options(options, max_connections, max_per_client);
  const auto parsed =
      cli::parse_command_line(argc, argv, {"chainnode", "Usage: chainnode [options]\n"}, options);
  if (parsed.exit) return *parsed.exit;
  const po::variables_map& vars = parsed.vars;
  if (port > 65535) {
    std::cerr << "chainnode: --port must be at most 65535\n";
    return 2;
  }
  if (difficulty * 4 > kMaxDifficultyBits) {
    std::cerr << "chainnode: --difficulty is at most " << kMaxDifficultyBits / 4 << "\n";
    return 2;
  }
  if (mine_threads == 0) mine_threads = 1;
  if (max_chain_mib == 0 || max_chain_mib > 4096) {
    std::cerr << "chainnode: --max-chain-mib must be from 1 to 4096\n";
    return 2;
  }
  if (max_peers == 0 || max_peers > 100'000) {
    std::cerr << "chainnode: --max-peers must be from 1 to 100000\n";
    return 2;
  }
  if (max_orphans > 1'000'000) {
    std::cerr << "chainnode: --max-orphans must be at most 1000000\n";
    return 2;
  }
  if (max_side_branch_mib > 1'048'576) {
    std::cerr << "chainnode: --max-side-branch-mib must be at most 1048576 (1 TiB)\n";
    return 2;
  }
  if (!advertise.empty() && !normalize_peer_address(advertise)) {
    std::cerr << "chainnode: --advertise must be http://host:port, not " << advertise << "\n";
    return 2;
  }
  if (max_pending == 0) {
    std::cerr << "chainnode: --max-pending-posts must be positive\n";
    return 2;
  }
  auto guard_options =
      net::guard_options(allowed_hosts, allowed_origins, vars["allow-same-site"].as<bool>());
  if (!guard_options) {
    std::cerr << "chainnode: " << guard_options.error() << "\n";
    return 2;
  }
  // Peers address a node by any of the machine's addresses: Host is checked on every request only
  // when names were given.
  guard_options->check_host = !allowed_hosts.empty();
  guard_options->acting_get_routes = {"/mine"};
  if (drop_peer_after < 0) {
    std::cerr << "chainnode: --drop-peer-after must not be negative\n";
    return 2;
  }
  // An explicit --http-proxy takes every request; the environment's comes with its no_proxy list.
  net::HttpTransportOptions transport_options;
  transport_options.body_limit = std::uint64_t{max_chain_mib} << 20;
  if (vars.count("http-proxy")) {
    if (!http_proxy.empty()) {
      transport_options.proxy = net::parse_proxy_url(http_proxy);
      if (!transport_options.proxy) {
        std::cerr << "chainnode: --http-proxy must be http://host:port, not " << http_proxy << "\n";
        return 2;
      }
    }
  } else {
    auto from_environment = net::proxy_from_environment();
    if (!from_environment) {
      std::cerr << "chainnode: " << from_environment.error() << " (or set --http-proxy)\n";
      return 2;
    }
    transport_options.proxy = from_environment->proxy;
    transport_options.no_proxy = from_environment->no_proxy;
  }
  if (!std::isfinite(clock_offset)) {
    std::cerr << "chainnode: --clock-offset-s must be a finite number of seconds\n";
    return 2;
  }
  if (!cli::set_log_level("chainnode", log_level)) return 2;

  try {
    ChainParams params;
    params.difficulty = Difficulty::hex_digits(difficulty);
    params.require_signatures = vars["require-signatures"].as<bool>();
    const bool mine_empty = vars["mine-empty"].as<bool>();
    // The store first: a refused database stops the node before it listens.
    std::unique_ptr<store::SqliteStore> store;
    StoredState stored;
    if (!data_dir.empty()) {
      try {
        std::filesystem::create_directories(data_dir);
        store = std::make_unique<store::SqliteStore>(std::filesystem::path(data_dir) / "chain.db",
                                                     params);
        stored = store->load();
      } catch (const std::exception& e) {
        spdlog::critical("refusing --data {}: {}", data_dir, e.what());
        return 3;
      }
    }

    asio::io_context io;
    net::AsioClock system_clock(io);
    net::OffsetClock clock(system_clock, clock_offset);
    net::HttpTransport transport(io, transport_options);
    net::ThreadMiningService miner(io);
    LogObserver observer;

    Node* node_ptr = nullptr;
    std::optional<std::string> store_failure;
    net::HttpServerOptions server_options;
    server_options.host = host;
    server_options.port = static_cast<unsigned short>(port);
    server_options.idle_timeout = std::chrono::seconds(read_timeout);
    server_options.max_connections = max_connections;
    server_options.max_connections_per_client = max_per_client;
    std::optional<net::RequestGuard> guard;  // made once the port is known
    net::HttpServer server(io, server_options, [&](HttpRequest request, Respond respond) {
      spdlog::debug("{} {}", request.method, request.target);
      try {
        if (auto refusal = guard->check(request)) {
          return refuse_request(*node_ptr, request, guard->refusal_answer(*refusal, request),
                                std::string(net::refusal_name(*refusal)), respond);
        }
        handle_request(*node_ptr, request, std::move(respond));
      } catch (const StoreError& e) {
        // The server would answer 500 and serve on, with state the store no longer matches (a
        // block it failed to keep makes every later block unloadable): stop without answering.
        store_failure = e.what();
        io.stop();
      }
    });

    {
      auto options = *guard_options;
      // The advertised name is one of ours too (a node behind a name or a forwarded port).
      if (!advertise.empty()) {
        auto url = net::parse_peer_url(*normalize_peer_address(advertise));
        if (url) {
          if (auto name = net::parse_host(url->host + ":" + url->port)) {
            options.allowed_hosts.push_back(*name);
          }
        }
      }
      guard.emplace(std::move(options), host, server.port());
    }
    NodeConfig config;
    config.policy.mempool.max_posts = max_pending;
    config.self_address = advertise.empty()
                              ? "http://" + host + ":" + std::to_string(server.port()) + "/"
                              : *normalize_peer_address(advertise);
    config.params = params;
    config.mining_threads = mine_threads;
    config.policy.drop_peer_after = drop_peer_after;
    config.policy.max_peers = max_peers;
    config.policy.tree.max_orphans = max_orphans;
    config.policy.tree.max_side_branch_bytes = max_side_branch_mib << 20;
    config.policy.allow_empty_blocks = mine_empty;
    Node node(config, transport, clock, miner, &observer, store.get());
    node_ptr = &node;
    if (store) {
      if (auto refused = node.load(stored)) {
        spdlog::critical(
            "refusing {}: {}. It does not hold what this node accepted (damaged or edited by "
            "hand?); nothing was changed. Move it aside to start afresh.",
            store->file().string(), *refused);
        return 3;
      }
    }
    for (const auto& peer : peers) {
      if (!node.add_peer(peer)) spdlog::warn("ignoring peer {}", peer);
    }

    cli::StopOnSignal stop_on_signal(io, [&] {
      server.stop();
      io.stop();
    });

    server.start();
    if (!port_file.empty()) write_port_file(port_file, server.port());
    if (sync_interval > 0) schedule_sync(node, clock, sync_interval);
    schedule_log_summary(observer.log, system_clock);
    spdlog::info("listening on {} (difficulty {}, {} peer(s))", config.self_address,
                 config.params.difficulty.describe(), node.peers().size());
    if (transport_options.proxy) {
      spdlog::info("peers reached through the proxy http://{}:{}/{}", transport_options.proxy->host,
                   transport_options.proxy->port,
                   transport_options.no_proxy.empty()
                       ? std::string()
                       : " except " + Json(transport_options.no_proxy).dump());
    }
    if (clock_offset != 0) spdlog::info("clock offset {} s", clock_offset);
    io.run();
    if (store_failure) throw StoreError(*store_failure);
    spdlog::info("stopped");
  } catch (const StoreError& e) {
    // Stopping is the only safe answer: the node must not acknowledge what it cannot keep.
    spdlog::critical("chainnode: storage failed, stopping: {}", e.what());
    return 1;
  } catch (const std::exception& e) {
    spdlog::critical("chainnode: {}", e.what());
    return 1;
  }
  return 0;
}
