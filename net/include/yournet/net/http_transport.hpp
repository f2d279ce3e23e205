#pragma once
// Transport over HTTP/1.1 with Boost.Beast. Each request opens its own connection (resolve,
// connect, write, read, close): simple, and peers are few. Every step has a timeout, the response
// body is capped, and redirects are not followed (a 3xx is handed back as is). The callback runs
// exactly once, on the io_context's thread.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "yournet/node/environment.hpp"

namespace yournet::net {

struct PeerUrl {
  std::string host;
  std::string port;
  std::string base_path;  // without its trailing slash: "" for "http://h:p/"
};
// "http://host:port[/base/]" -> its parts; nullopt for anything else (https is not supported).
std::optional<PeerUrl> parse_peer_url(const std::string& url);

struct HttpTransportOptions {
  std::chrono::milliseconds timeout{5000};         // for each of resolve, connect, write and read
  std::uint64_t body_limit = 16u * 1024u * 1024u;  // largest response body accepted
};

class HttpTransport : public Transport {
 public:
  explicit HttpTransport(boost::asio::io_context& io, HttpTransportOptions options = {})
      : io_(io), options_(options) {}
  void send(const std::string& peer, HttpRequest request, ResponseCallback done) override;

 private:
  boost::asio::io_context& io_;
  HttpTransportOptions options_;
};

}  // namespace yournet::net
