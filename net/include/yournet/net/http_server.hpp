#pragma once
// HTTP/1.1 server with Boost.Beast: keep-alive sessions, an idle timeout, a request body limit
// (413 past it), and a cap on concurrent connections (past it, the connection waiting longest for
// its request is closed to make room; if every one is busy with a request, the new one is closed).
// Every request goes to the handler, which answers by calling `respond` exactly once, maybe later;
// the session reads its next request only after that answer is written. Malformed HTTP gets 400,
// a request cut short by the client 400, one too slow 408, each naming the fault, and then the
// connection is closed. Single-threaded: run the io_context on one thread.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "yournet/node/environment.hpp"

namespace yournet::net {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 8000;                // 0: an ephemeral port, see HttpServer::port()
  std::uint64_t body_limit = 1024u * 1024u;  // 413 past it
  std::uint32_t header_limit = 8u * 1024u;   // the request line and headers; 431 past it
  std::size_t max_connections = 256;
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

  struct Shared;

 private:
  void do_accept();

  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<Shared> shared_;
  unsigned short port_ = 0;
};

}  // namespace yournet::net
