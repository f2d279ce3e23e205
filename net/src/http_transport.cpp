#include "yournet/net/http_transport.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
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

namespace {

class ClientCall : public std::enable_shared_from_this<ClientCall> {
 public:
  ClientCall(asio::io_context& io, HttpTransportOptions options, PeerUrl url, http::verb verb,
             HttpRequest request, ResponseCallback done)
      : options_(options),
        url_(std::move(url)),
        resolver_(io),
        resolve_timer_(io),
        stream_(io),
        done_(std::move(done)) {
    std::string target =
        request.target.empty() || request.target[0] != '/' ? "/" + request.target : request.target;
    request_.method(verb);
    request_.target(url_.base_path + target);
    request_.version(11);
    request_.set(http::field::host, url_.host + ":" + url_.port);
    request_.set(http::field::user_agent, "yournet-chainnode");
    request_.set(http::field::accept, "*/*");
    if (!request.body.empty()) request_.set(http::field::content_type, "application/json");
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
    resolver_.async_resolve(
        url_.host, url_.port,
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
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    finish(std::move(response), "");
  }

  void fail(const char* step, const beast::error_code& ec) {
    beast::error_code ignored;
    stream_.socket().close(ignored);
    std::string what = ec == beast::error::timeout ? std::string("timed out") : ec.message();
    finish(std::nullopt, std::string(step) + ": " + what);
  }

  void finish(std::optional<HttpResponse> response, const std::string& error) {
    if (!done_) return;
    auto done = std::move(done_);
    done_ = nullptr;
    done(response, error);
  }

  HttpTransportOptions options_;
  PeerUrl url_;
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
  auto call = std::make_shared<ClientCall>(io_, options_, std::move(*url), verb, std::move(request),
                                           std::move(done));
  call->start();
}

}  // namespace yournet::net
