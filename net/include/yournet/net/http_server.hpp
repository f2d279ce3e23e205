#pragma once
// HTTP/1.1 server with Boost.Beast: keep-alive sessions, an idle timeout, a request body limit
// (413 past it), a cap on concurrent connections (past it, the connection waiting longest for
// its request is closed to make room; if every one is busy with a request, the new one is closed)
// and a cap on the connections of one client address (past it, a new one is closed at once, so
// one client cannot take every slot).
// Every request goes to the handler, which answers by calling `respond` exactly once, maybe later;
// the session reads its next request only after that answer is written. Malformed HTTP gets 400,
// a request cut short by the client 400, one too slow 408, each naming the fault, and then the
// connection is closed. Single-threaded: run the io_context on one thread.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "yournet/http_message.hpp"

namespace yournet::net {

inline constexpr std::size_t kDefaultMaxConnections = 256;
// Browsers open up to 6 connections a host; peers one a request in flight.
inline constexpr std::size_t kDefaultMaxConnectionsPerClient = 32;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 8000;                // 0: an ephemeral port, see HttpServer::port()
  std::uint64_t body_limit = 1024u * 1024u;  // 413 past it
  std::uint32_t header_limit = 8u * 1024u;   // the request line and headers; 431 past it
  std::size_t max_connections = kDefaultMaxConnections;
  std::size_t max_connections_per_client = kDefaultMaxConnectionsPerClient;  // by IP address
  // The longest wait for a whole request (from the end of the previous answer): a request still
  // incomplete then gets 408, an idle connection is closed.
  std::chrono::seconds idle_timeout{30};
};

class HttpServer {
 public:
  using Handler = std::function<void(HttpRequest, std::function<void(HttpResponse)>)>;

  // Binds and listens at once (throws boost::system::system_error when it cannot); accepts after
  // start().
  HttpServer(boost::asio::io_context& io, HttpServerOptions options, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  void start();
  void stop();  // stops accepting; open sessions end on their own (or with the io_context)
  unsigned short port() const { return port_; }
  std::size_t open_connections() const;
  // Connections closed at once because their client address held max_connections_per_client.
  std::uint64_t refused_per_client() const;

  struct Shared;

 private:
  void do_accept();
  void tick_log();

  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<Shared> shared_;
  boost::asio::steady_timer log_timer_;  // writes the summary of rate-limited log lines
  unsigned short port_ = 0;
};

}  // namespace yournet::net
