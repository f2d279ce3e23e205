// chainnode: the live node. One io_context on one thread drives the Node, its HTTP server and
// client, its timers and the results of mining (which runs on a worker thread).
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/program_options.hpp>
#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include "yournet/net/asio_clock.hpp"
#include "yournet/net/http_server.hpp"
#include "yournet/net/http_transport.hpp"
#include "yournet/net/thread_mining_service.hpp"
#include "yournet/node/node.hpp"

namespace po = boost::program_options;
namespace asio = boost::asio;
using namespace yournet;

namespace {

class LogObserver : public NodeObserver {
 public:
  void on_event(const std::string& kind, const Json& detail) override {
    spdlog::info("{} {}", kind, detail.dump());
  }
};

void schedule_sync(Node& node, Clock& clock, double interval) {
  clock.after(interval, [&node, &clock, interval] {
    node.run_consensus([&node, &clock, interval] { schedule_sync(node, clock, interval); });
  });
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
  options.add_options()("help,h", "show this help")("port", po::value(&port)->default_value(8000),
                                                    "port to listen on (0: any free port)")(
      "host", po::value(&host)->default_value("127.0.0.1"), "address to listen on")(
      "difficulty", po::value(&difficulty)->default_value(2), "proof of work: leading hex zeros")(
      "peer", po::value(&peers)->composing(), "peer URL http://host:port/ (repeatable)")(
      "require-signatures", po::bool_switch(), "accept only signed posts")(
      "mine-threads", po::value(&mine_threads)->default_value(1), "threads searching nonces")(
      "sync-interval", po::value(&sync_interval)->default_value(0),
      "seconds between consensus rounds with the peers (0: off)")(
      "log-level", po::value(&log_level)->default_value("info"),
      "trace, debug, info, warn, error, critical or off");
  po::variables_map vars;
  try {
    po::store(po::parse_command_line(argc, argv, options), vars);
    po::notify(vars);
  } catch (const po::error& e) {
    std::cerr << "chainnode: " << e.what() << "\n" << options << "\n";
    return 2;
  }
  if (vars.count("help")) {
    std::cout << "Usage: chainnode [options]\n" << options << "\n";
    return 0;
  }
  if (port > 65535) {
    std::cerr << "chainnode: --port must be at most 65535\n";
    return 2;
  }
  if (difficulty * 4 > kMaxDifficultyBits) {
    std::cerr << "chainnode: --difficulty is at most " << kMaxDifficultyBits / 4 << "\n";
    return 2;
  }
  if (mine_threads == 0) mine_threads = 1;
  auto level = spdlog::level::from_str(log_level);
  if (level == spdlog::level::off && log_level != "off") {
    std::cerr << "chainnode: unknown --log-level " << log_level << "\n";
    return 2;
  }
  spdlog::set_level(level);

  try {
    asio::io_context io;
    net::AsioClock clock(io);
    net::HttpTransport transport(io);
    net::ThreadMiningService miner(io);
    LogObserver observer;

    Node* node_ptr = nullptr;
    net::HttpServerOptions server_options;
    server_options.host = host;
    server_options.port = static_cast<unsigned short>(port);
    net::HttpServer server(io, server_options,
                           [&node_ptr](HttpRequest request, Node::Respond respond) {
                             spdlog::debug("{} {}", request.method, request.target);
                             node_ptr->handle(request, std::move(respond));
                           });

    NodeConfig config;
    config.self_address = "http://" + host + ":" + std::to_string(server.port()) + "/";
    config.params.difficulty = Difficulty::hex_digits(difficulty);
    config.params.require_signatures = vars["require-signatures"].as<bool>();
    config.mining_threads = mine_threads;
    Node node(config, transport, clock, miner, &observer);
    node_ptr = &node;
    for (const auto& peer : peers) {
      if (!node.add_peer(peer)) spdlog::warn("ignoring peer {}", peer);
    }

    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      spdlog::info("signal {}: stopping", signal);
      server.stop();
      io.stop();
    });

    server.start();
    if (sync_interval > 0) schedule_sync(node, clock, sync_interval);
    spdlog::info("listening on {} (difficulty {}, {} peer(s))", config.self_address,
                 config.params.difficulty.describe(), node.peers().size());
    io.run();
    spdlog::info("stopped");
  } catch (const std::exception& e) {
    spdlog::critical("chainnode: {}", e.what());
    return 1;
  }
  return 0;
}
