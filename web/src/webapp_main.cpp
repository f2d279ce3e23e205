// webapp: the YourNet page for a browser. Serves the embedded single-page app and a same-origin
// API that forwards to one node (ours or a reference node), on its own port.
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/program_options.hpp>
#include <iostream>
#include <string>

#include "yournet/cli/cli.hpp"
#include "yournet/net/http_server.hpp"
#include "yournet/net/http_transport.hpp"
#include "yournet/web/web_app.hpp"

namespace po = boost::program_options;
namespace asio = boost::asio;
using namespace yournet;

int main(int argc, char** argv) {
  po::options_description options("webapp options");
  std::string host;
  unsigned port = 5000;
  std::string node_address;
  double timeout = 5;
  double mine_timeout = 120;
  std::string log_level;
  options.add_options()("help,h", "show this help")(
      "port", po::value(&port)->default_value(5000)->value_name("PORT"),
      "port to serve the page on (0: any free port)")(
      "host", po::value(&host)->default_value("127.0.0.1")->value_name("ADDRESS"),
      "address to listen on")(
      "node", po::value(&node_address)->default_value("http://127.0.0.1:8000")->value_name("URL"),
      "the node to show and talk to: http://host:port")(
      "timeout", po::value(&timeout)->default_value(5)->value_name("SECONDS"),
      "seconds to wait for each step of a request to the node")(
      "mine-timeout", po::value(&mine_timeout)->default_value(120)->value_name("SECONDS"),
      "seconds to wait for the node's /mine and /register_with, which take longer")(
      "log-level", po::value(&log_level)->default_value("info")->value_name("LEVEL"),
      "trace, debug, info, warn, error, critical or off");
  const auto parsed =
      cli::parse_command_line(argc, argv, {"webapp", "Usage: webapp [options]\n"}, options);
  if (parsed.exit) return *parsed.exit;
  if (port > 65535) {
    std::cerr << "webapp: --port must be at most 65535\n";
    return 2;
  }
  if (!net::parse_peer_url(node_address)) {
    std::cerr << "webapp: --node must be an http://host:port address, not \"" << node_address
              << "\"\n";
    return 2;
  }
  if (node_address.back() != '/') node_address += '/';
  if (!(timeout > 0 && timeout <= 3600) || !(mine_timeout > 0 && mine_timeout <= 86400)) {
    std::cerr << "webapp: --timeout and --mine-timeout must be positive numbers of seconds\n";
    return 2;
  }
  if (!cli::set_log_level("webapp", log_level)) return 2;

  try {
    asio::io_context io;
    auto millis = [](double seconds) {
      return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
    };
    net::HttpTransport transport(io,
                                 net::HttpTransportOptions{millis(timeout), 16u * 1024u * 1024u});
    net::HttpTransport slow_transport(
        io, net::HttpTransportOptions{millis(mine_timeout), 16u * 1024u * 1024u});
    web::WebAppOptions app_options;
    app_options.node_address = node_address;
    web::WebApp app(app_options, transport, slow_transport);

    net::HttpServerOptions server_options;
    server_options.host = host;
    server_options.port = static_cast<unsigned short>(port);
    server_options.body_limit = app_options.request_body_limit;
    server_options.max_connections = 64;
    net::HttpServer server(
        io, server_options, [&app](HttpRequest request, web::WebApp::Respond respond) {
          spdlog::debug("{} {}", request.method, request.target);
          app.handle(request, [target = request.target,
                               respond = std::move(respond)](HttpResponse response) {
            if (response.status >= 500)
              spdlog::warn("{} -> {} {}", target, response.status, response.body);
            respond(std::move(response));
          });
        });

    cli::StopOnSignal stop_on_signal(io, [&] {
      server.stop();
      io.stop();
    });
    server.start();
    spdlog::info("serving http://{}:{}/ for the node {}", host, server.port(), node_address);
    io.run();
    spdlog::info("stopped");
  } catch (const std::exception& e) {
    spdlog::critical("webapp: {}", e.what());
    return 1;
  }
  return 0;
}
