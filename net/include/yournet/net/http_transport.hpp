#pragma once
// Transport over HTTP/1.1 with Boost.Beast. Each request opens its own connection (resolve,
// connect, write, read, close): simple, and peers are few. Every step has a timeout, the response
// body is capped, and redirects are not followed (a 3xx is handed back as is). The callback runs
// exactly once, on the io_context's thread. With a forward proxy, requests go to the proxy in
// absolute form, as curl sends them with http_proxy set.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "yournet/expected.hpp"
#include "yournet/transport.hpp"

namespace yournet::net {

struct PeerUrl {
  std::string host;
  std::string port;
  std::string base_path;  // without its trailing slash: "" for "http://h:p/"
};
// "http://host:port[/base/]" -> its parts; nullopt for anything else (https is not supported).
std::optional<PeerUrl> parse_peer_url(const std::string& url);

struct HttpTransportOptions {
  // `{timeout, body_limit}` stays valid (no -Wmissing-field-initializers for the fields below).
  HttpTransportOptions() = default;
  HttpTransportOptions(std::chrono::milliseconds timeout_, std::uint64_t body_limit_)
      : timeout(timeout_), body_limit(body_limit_) {}

  std::chrono::milliseconds timeout{5000};         // for each of resolve, connect, write and read
  std::uint64_t body_limit = 16u * 1024u * 1024u;  // largest response body accepted
  // A forward proxy for every request (its base path is ignored), except to the hosts no_proxy
  // matches (see proxy_bypassed).
  std::optional<PeerUrl> proxy;
  std::vector<std::string> no_proxy;
};

// Whether `host` is reached directly under a no_proxy list, as curl and Python requests read it:
// "*" matches every host; any other entry, case aside and without a leading dot, matches that host
// and its subdomains ("example.com" matches "a.example.com"); "host:port" entries match only that
// port.
bool proxy_bypassed(const std::string& host, const std::string& port,
                    const std::vector<std::string>& no_proxy);

struct ProxyEnvironment {
  std::optional<PeerUrl> proxy;
  std::vector<std::string> no_proxy;
};
// A variable's value, or nullopt when it is not set.
using EnvironmentLookup = std::function<std::optional<std::string>(const std::string& name)>;
std::optional<std::string> getenv_lookup(const std::string& name);
// The proxy curl and Python requests take from the environment for http:// URLs: http_proxy, else
// HTTP_PROXY ("http://host:port" or "host:port"; unset or empty: none), with the comma-separated
// hosts of no_proxy, else NO_PROXY, reached directly. A proxy URL that cannot be used (https,
// credentials, no host) is an error naming the variable.
Expected<ProxyEnvironment, std::string> proxy_from_environment(
    const EnvironmentLookup& lookup = getenv_lookup);
// "http://host:port" or "host:port" (port 80 if none) -> the proxy's address; nullopt otherwise.
std::optional<PeerUrl> parse_proxy_url(const std::string& url);

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
