// chainnode's HTTP server on raw bytes: the input is written as-is to a connection to a real
// HttpServer (127.0.0.1, an ephemeral port) serving a real Node, the client then half-closes and
// reads every answer up to the server's close. Asserted for any bytes: the server closes the
// connection (within 10 s), everything it sent is well-formed HTTP responses, and none is a 5xx
// (but the 502 of a /register_with whose peer does not answer, and the 503 of a full pool).
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "node_doubles.hpp"
#include "yournet/net/http_server.hpp"
#include "yournet/node/http_api.hpp"

using namespace yournet;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

struct Server {
  Server()
      : server(io, net::HttpServerOptions{"127.0.0.1", 0},
               [this](HttpRequest request, auto respond) {
                 handle_request(*node, request, std::move(respond));
               }) {
    server.start();
  }
  void fresh_node() {
    node.reset();
    NodeConfig config;
    config.self_address = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
    node = std::make_unique<Node>(config, transport, clock, miner);
    node->submit_post(Json{{"author", "alice"}, {"content", "pending"}});
  }

  asio::io_context io;
  yournet::test::FixedClock clock;
  yournet::test::InlineMiner miner;
  yournet::test::OfflineTransport transport;
  std::unique_ptr<Node> node;
  net::HttpServer server;
};

// Every response in `bytes`, each checked. A connection the server reset (it closed with bytes of
// ours unread, as HTTP allows after a `Connection: close` answer) may end inside a response.
void check_responses(std::string_view bytes, bool reset, bool pool_full) {
  while (!bytes.empty()) {
    http::response_parser<http::string_body> parser;
    parser.eager(true);
    parser.body_limit(64u << 20);
    beast::error_code ec;
    while (!parser.is_done()) {
      const std::size_t used = parser.put(asio::buffer(bytes.data(), bytes.size()), ec);
      bytes.remove_prefix(used);
      if (ec == http::error::need_more && !bytes.empty()) continue;
      if (reset && (ec == http::error::need_more || bytes.empty())) return;
      fuzz::check(!ec && (used > 0 || parser.is_done()),
                  "the server sent something that is no whole HTTP response: " + ec.message());
    }
    const auto& response = parser.get();
    const unsigned status = response.result_int();
    const bool peer_failed = status == 502 && response.body().starts_with("Registration failed");
    // A full pool is the server's 503, with when to come back.
    const bool busy = status == 503 && pool_full && response.count(http::field::retry_after) > 0;
    fuzz::check(status < 500 || peer_failed || busy,
                "status " + std::to_string(status) + ": " + std::string(response.body()));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Server* server = new Server();  // one listener for the whole run; a fresh node per input
  server->fresh_node();
  asio::io_context& io = server->io;

  // Connected through the reactor: a blocking connect fails with EINTR when libFuzzer's alarm
  // signal lands during it, and a harness must not crash on its own plumbing.
  tcp::socket client(io);
  std::string received;
  bool done = false;
  bool reset = false;
  bool timed_out = false;
  asio::steady_timer deadline(io, std::chrono::seconds(10));
  deadline.async_wait([&](const beast::error_code& ec) {
    if (ec) return;
    timed_out = true;
    beast::error_code ignored;
    client.close(ignored);
  });
  const tcp::endpoint listener(asio::ip::make_address("127.0.0.1"), server->server.port());
  client.async_connect(listener, [&](const beast::error_code& connect_ec) {
    fuzz::check(!connect_ec, "could not connect to the server: " + connect_ec.message());
    asio::async_write(client, asio::buffer(data, size),
                      [&](const beast::error_code& ec, std::size_t) {
                        beast::error_code ignored;
                        if (!ec) client.shutdown(tcp::socket::shutdown_send, ignored);
                        asio::async_read(client, asio::dynamic_buffer(received),
                                         [&](const beast::error_code& read_ec, std::size_t) {
                                           reset = read_ec != asio::error::eof;
                                           done = true;
                                           deadline.cancel();
                                         });
                      });
  });
  while (!done) io.run_one();
  fuzz::check(!timed_out, "the server neither answered nor closed within 10 s");
  beast::error_code ignored;
  client.set_option(asio::socket_base::linger(true, 0), ignored);  // no TIME_WAIT per input
  client.close(ignored);
  io.poll();  // the server's side of the connection finishes
  const auto& pool = server->node->mempool();
  const auto& limits = server->node->config().policy.mempool;
  // Nearly full: the post refused may have been larger than what is left.
  const bool pool_full =
      pool.size() + 1 > limits.max_posts || pool.bytes() + limits.max_post_bytes > limits.max_bytes;
  check_responses(received, reset, pool_full);
  return 0;
}
