// webapp: the YourNet page for a browser. Serves the embedded single-page app and a same-origin
// API that forwards to one node (ours or a reference node), on its own port.
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/program_options.hpp>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "yournet/cli/cli.hpp"
#include "yournet/net/http_server.hpp"
#include "yournet/net/http_transport.hpp"
#include "yournet/net/rate_limited_log.hpp"
#include "yournet/net/request_guard.hpp"
#include "yournet/printable.hpp"
#include "yournet/web/web_app.hpp"

namespace po = boost::program_options;
namespace asio = boost::asio;
using namespace yournet;

namespace {
// A browser opens a few connections; the app is one user's page.
constexpr std::size_t kMaxConnections = 64;
}  // namespace

int main(int argc, char** argv) {
  po::options_description options("webapp options");
  std::string host;
  unsigned port = 5000;
  std::string node_address;
  double timeout = 5;
  double mine_timeout = 120;
  std::string log_level;
  std::vector<std::string> allowed_hosts;
  std::vector<std::string> allowed_origins;
  std::size_t max_connections = kMaxConnections;
  std::size_t max_per_client = net::kDefaultMaxConnectionsPerClient;
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
      "allowed-host", po::value(&allowed_hosts)->composing()->value_name("NAME[:PORT]"),
      "a name the page is served under, beside localhost, 127.0.0.1, [::1] and the --host "
      "address with the port (repeatable; without a port: any port); a request whose Host is "
      "none of them gets 421 (DNS rebinding)")(
      "allowed-origin", po::value(&allowed_origins)->composing()->value_name("URL"),
      "a web page origin, scheme://host[:port], allowed to make the app act (POST, GET "
      "/api/mine) beside the app's own names (repeatable); other Origins get 403")(
      "allow-same-site", po::bool_switch(),
      "accept requests a browser marks Sec-Fetch-Site: same-site (a page on another port or "
      "subdomain); refused with 403 by default")(
      "log-level", po::value(&log_level)->default_value("info")->value_name("LEVEL"),
      net::log_level_help().c_str());
  cli::add_connection_limit_options(options, max_connections, max_per_client);
  const auto parsed =
      cli::parse_command_line(argc, argv, {"webapp", "Usage: webapp [options]\n"}, options);
  if (parsed.exit) return *parsed.exit;
  const po::variables_map& vars = parsed.vars;
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
  auto guard_options =
      net::guard_options(allowed_hosts, allowed_origins, vars["allow-same-site"].as<bool>());
  if (!guard_options) {
    std::cerr << "webapp: " << guard_options.error() << "\n";
    return 2;
  }
  guard_options->check_host = true;  // every request: a rebound name must not even read
  guard_options->acting_get_routes = {"/api/mine"};
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
    server_options.max_connections = max_connections;
    server_options.max_connections_per_client = max_per_client;
    std::optional<net::RequestGuard> guard;  // made once the port is known
    net::RateLimitedLog log;                 // refusals and node failures repeat under load
    net::HttpServer server(
        io, server_options,
        [&app, &guard, &log](HttpRequest request, web::WebApp::Respond respond) {
          spdlog::debug("{} {}", request.method, request.target);
          if (auto refusal = guard->check(request)) {
            HttpResponse answer = guard->refusal_answer(*refusal, request);
            app.count_refused(std::string(net::refusal_name(*refusal)));
            log.log(spdlog::level::info, "request_refused",
                    "request_refused " + Json{{"reason", net::refusal_name(*refusal)},
                                              {"route", printable(request.target, 100)},
                                              {"status", answer.status}}
                                             .dump());
            return respond(std::move(answer));
          }
          app.handle(request, [&log, target = request.target,
                               respond = std::move(respond)](HttpResponse response) {
            if (response.status >= 500) {
              log.log(spdlog::level::warn, "node_error",
                      printable(target, 100) + " -> " + std::to_string(response.status) + " " +
                          printable(response.body.str(), 300));
            }
            respond(std::move(response));
          });
        });
    guard.emplace(*guard_options, host, server.port());
    asio::steady_timer log_timer(io);
    std::function<void()> tick_log = [&] {
      log_timer.expires_after(net::kLogSummaryInterval);
      log_timer.async_wait([&](const boost::system::error_code& ec) {
        if (ec) return;
        log.tick();
        tick_log();
      });
    };
    tick_log();

    cli::StopOnSignal stop_on_signal(io, [&] {
      server.stop();
      log_timer.cancel();
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
