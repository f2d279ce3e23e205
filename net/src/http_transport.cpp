#include "yournet/net/http_transport.hpp"

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cstdlib>
#include <memory>

namespace yournet::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::optional<PeerUrl> parse_peer_url(const std::string& url) {
  const std::string scheme = "http://";
  if (url.compare(0, scheme.size(), scheme) != 0) return std::nullopt;
  std::string rest = url.substr(scheme.size());
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? "" : rest.substr(slash);
  while (!path.empty() && path.back() == '/') path.pop_back();
  auto colon = authority.rfind(':');
  PeerUrl out;
  if (colon == std::string::npos) {
    out.host = authority;
    out.port = "80";
  } else {
    out.host = authority.substr(0, colon);
    out.port = authority.substr(colon + 1);
  }
  if (out.host.empty() || out.port.empty() || out.port.size() > 5) return std::nullopt;
  for (char c : out.port) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  if (path.find_first_of("?# \r\n") != std::string::npos) return std::nullopt;
  out.base_path = path;
  return out;
}

std::optional<PeerUrl> parse_proxy_url(const std::string& url) {
  // Credentials are not supported: refused rather than sent to the proxy as a host name.
  if (url.find('@') != std::string::npos) return std::nullopt;
  return parse_peer_url(url.find("://") == std::string::npos ? "http://" + url : url);
}

namespace {

std::string lowercase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

}  // namespace

bool proxy_bypassed(const std::string& host, const std::string& port,
                    const std::vector<std::string>& no_proxy) {
  const std::string name = lowercase(host);
  for (const std::string& raw : no_proxy) {
    std::string entry = lowercase(trimmed(raw));
    if (entry == "*") return true;
    std::string candidate = name;
    if (auto colon = entry.rfind(':'); colon != std::string::npos) {
      candidate += ":" + port;  // the entry names a port: compare host and port together
    }
    while (!entry.empty() && entry.front() == '.') entry.erase(0, 1);
    if (entry.empty()) continue;
    if (candidate == entry) return true;
    if (candidate.size() > entry.size() &&
        candidate.compare(candidate.size() - entry.size(), entry.size(), entry) == 0 &&
        candidate[candidate.size() - entry.size() - 1] == '.') {
      return true;
    }
  }
  return false;
}

std::optional<std::string> getenv_lookup(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (!value) return std::nullopt;
  return std::string(value);
}

Expected<ProxyEnvironment, std::string> proxy_from_environment(const EnvironmentLookup& lookup) {
  // The lower-case name first, as curl and Python do; curl reads only that one (a CGI program
  // gets HTTP_PROXY from a request's "Proxy:" header), Python either.
  auto first_set = [&](const char* lower,
                       const char* upper) -> std::optional<std::pair<std::string, std::string>> {
    for (const char* name : {lower, upper}) {
      if (auto value = lookup(name)) return std::make_pair(std::string(name), *value);
    }
    return std::nullopt;
  };
  ProxyEnvironment out;
  if (auto proxy = first_set("http_proxy", "HTTP_PROXY");
      proxy && !trimmed(proxy->second).empty()) {
    out.proxy = parse_proxy_url(trimmed(proxy->second));
    if (!out.proxy) {
      return unexpected(proxy->first + " must be http://host:port or host:port, not " +
                        proxy->second);
    }
  }
  if (auto hosts = first_set("no_proxy", "NO_PROXY")) {
    std::string::size_type start = 0;
    while (start <= hosts->second.size()) {
      auto comma = hosts->second.find(',', start);
      if (comma == std::string::npos) comma = hosts->second.size();
      std::string entry = trimmed(hosts->second.substr(start, comma - start));
      if (!entry.empty()) out.no_proxy.push_back(entry);
      start = comma + 1;
    }
  }
  return out;
}

namespace {

// Headers that describe one hop's connection and message framing (RFC 9110 7.6.1, RFC 9112):
// set by the client for its own connection, never copied from a request passed on.
bool is_framing_header(std::string_view name) {
  static constexpr std::string_view kFraming[] = {
      "host", "content-length", "transfer-encoding", "connection", "keep-alive", "proxy-connection",
      "te",   "trailer",        "upgrade",           "expect"};
  return std::find(std::begin(kFraming), std::end(kFraming), lower_header_name(name)) !=
         std::end(kFraming);
}

class ClientCall : public std::enable_shared_from_this<ClientCall> {
 public:
  // `via`: the forward proxy to connect to instead of the peer, if any.
  ClientCall(asio::io_context& io, const HttpTransportOptions& options, PeerUrl url,
             std::optional<PeerUrl> via, http::verb verb, HttpRequest request,
             ResponseCallback done)
      : options_(options),
        url_(std::move(url)),
        via_(std::move(via)),
        resolver_(io),
        resolve_timer_(io),
        stream_(io),
        done_(std::move(done)) {
    std::string target =
        request.target.empty() || request.target[0] != '/' ? "/" + request.target : request.target;
    target = url_.base_path + target;
    // A proxy is told the whole URL (absolute form, RFC 9112 3.2.2); the Host header stays the
    // peer's.
    if (via_) target = "http://" + url_.host + ":" + url_.port + target;
    request_.method(verb);
    request_.target(target);
    request_.version(11);
    request_.set(http::field::host, url_.host + ":" + url_.port);
    request_.set(http::field::user_agent, "yournet-chainnode");
    request_.set(http::field::accept, "*/*");
    if (!request.body.empty()) request_.set(http::field::content_type, "application/json");
    // The request's own headers (a node's kSenderHeader; whatever a forward proxy passes on),
    // but never the framing, which is this connection's own.
    for (const auto& header : request.headers) {
      if (!is_framing_header(header.name)) request_.set(header.name, header.value);
    }
    request_.body() = std::move(request.body);
    request_.keep_alive(false);
    request_.prepare_payload();
    parser_.body_limit(options_.body_limit);
  }

  void start() {
    auto self = shared_from_this();
    resolve_timer_.expires_after(options_.timeout);
    resolve_timer_.async_wait([self](const beast::error_code& ec) {
      if (!ec) self->resolver_.cancel();
    });
    const PeerUrl& server = via_ ? *via_ : url_;
    resolver_.async_resolve(
        server.host, server.port,
        [self](const beast::error_code& ec, tcp::resolver::results_type results) {
          self->resolve_timer_.cancel();
          self->on_resolve(ec, std::move(results));
        });
  }

 private:
  void on_resolve(const beast::error_code& ec, tcp::resolver::results_type results) {
    if (ec)
      return fail("resolve", ec == asio::error::operation_aborted ? asio::error::timed_out : ec);
    stream_.expires_after(options_.timeout);
    stream_.async_connect(results, [self = shared_from_this()](const beast::error_code& e,
                                                               const tcp::endpoint&) {
      if (e) return self->fail("connect", e);
      self->stream_.expires_after(self->options_.timeout);
      http::async_write(
          self->stream_, self->request_, [self](const beast::error_code& e2, std::size_t) {
            if (e2) return self->fail("write", e2);
            self->stream_.expires_after(self->options_.timeout);
            // The header alone first: Beast 1.74's eager read parses on past a Content-Length over
            // the body limit when body bytes came with the header, and drops the error.
            http::async_read_header(self->stream_, self->buffer_, self->parser_,
                                    [self](const beast::error_code& e3, std::size_t) {
                                      if (e3) return self->fail("read", e3);
                                      http::async_read(self->stream_, self->buffer_, self->parser_,
                                                       [self](const beast::error_code& e4,
                                                              std::size_t) { self->on_read(e4); });
                                    });
          });
    });
  }

  void on_read(const beast::error_code& ec) {
    if (ec) return fail("read", ec);
    const auto& message = parser_.get();
    HttpResponse response;
    response.status = static_cast<int>(message.result_int());
    response.body = message.body();
    auto type = message.find(http::field::content_type);
    response.content_type = type == message.end() ? std::string() : std::string(type->value());
    for (const auto& field : message) {
      // Framing is the transport's business; what is left (Retry-After...) is the answer's.
      switch (field.name()) {
        case http::field::content_type:
        case http::field::content_length:
        case http::field::transfer_encoding:
        case http::field::connection:
        case http::field::keep_alive:
          continue;
        default:
          response.headers.push_back(
              {lower_header_name(std::string(field.name_string())), std::string(field.value())});
      }
    }
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    finish(std::move(response), "");
  }

  void fail(const char* step, const beast::error_code& ec) {
    beast::error_code ignored;
    stream_.socket().close(ignored);
    std::string what = ec == beast::error::timeout ? std::string("timed out") : ec.message();
    std::string where = via_ ? " (via proxy " + via_->host + ":" + via_->port + ")" : "";
    finish(std::nullopt, std::string(step) + where + ": " + what);
  }

  void finish(std::optional<HttpResponse> response, const std::string& error) {
    if (!done_) return;
    auto done = std::move(done_);
    done_ = nullptr;
    done(response, error);
  }

  HttpTransportOptions options_;
  PeerUrl url_;
  std::optional<PeerUrl> via_;
  tcp::resolver resolver_;
  asio::steady_timer resolve_timer_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response_parser<http::string_body> parser_;
  ResponseCallback done_;
};

}  // namespace

void HttpTransport::send(const std::string& peer, HttpRequest request, ResponseCallback done) {
  auto url = parse_peer_url(peer);
  http::verb verb = http::string_to_verb(request.method);
  if (!url || verb == http::verb::unknown) {
    std::string error = !url ? "bad peer address: " + peer : "bad method: " + request.method;
    asio::post(io_, [done = std::move(done), error] {
      if (done) done(std::nullopt, error);
    });
    return;
  }
  std::optional<PeerUrl> via;
  if (options_.proxy && !proxy_bypassed(url->host, url->port, options_.no_proxy)) {
    via = options_.proxy;
  }
  auto call = std::make_shared<ClientCall>(io_, options_, std::move(*url), std::move(via), verb,
                                           std::move(request), std::move(done));
  call->start();
}

}  // namespace yournet::net
