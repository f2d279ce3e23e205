#include "yournet/net/http_server.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <list>
#include <map>
#include <optional>
#include <string_view>

#include "yournet/json.hpp"
#include "yournet/net/http_response_head.hpp"
#include "yournet/net/rate_limited_log.hpp"
#include "yournet/printable.hpp"

namespace yournet::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {
class Session;
}  // namespace

// What sessions share with the server, kept alive by them after the server is gone.
struct HttpServer::Shared {
  Shared(HttpServerOptions options_, Handler handler_)
      : options(std::move(options_)), handler(std::move(handler_)) {}
  HttpServerOptions options;
  Handler handler;
  std::size_t connections = 0;
  std::map<asio::ip::address, std::size_t> per_client;  // open connections by client address
  std::uint64_t refused_per_client = 0;
  RateLimitedLog log;  // refusals repeat under attack: summed past a burst
  // Sessions waiting for a request, longest waiting first: at the cap, the first is closed to
  // make room, so idle or trickling connections cannot lock everyone else out.
  std::list<std::weak_ptr<Session>> reading;
};

namespace {

constexpr std::size_t kMaxDrainBytes = 64u * 1024u * 1024u;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, asio::ip::address client, std::shared_ptr<HttpServer::Shared> shared)
      : stream_(std::move(socket)),
        shared_(std::move(shared)),
        read_deadline_(stream_.get_executor()),
        client_(client) {
    ++shared_->connections;
    ++shared_->per_client[client_];
  }
  ~Session() {
    stop_reading();
    --shared_->connections;
    auto it = shared_->per_client.find(client_);
    if (--it->second == 0) shared_->per_client.erase(it);
  }

  void start() { do_read(); }

  // Closes a connection that is waiting for its request (HTTP lets a server close those).
  void evict() {
    stop_reading();
    close();
  }

 private:
  void stop_reading() {
    if (reading_) shared_->reading.erase(*reading_);
    reading_.reset();
  }

  void do_read() {
    reading_ = shared_->reading.insert(shared_->reading.end(), weak_from_this());
    parser_.emplace();
    parser_->body_limit(shared_->options.body_limit);
    parser_->header_limit(shared_->options.header_limit);
    // The read deadline cancels the read rather than closing the socket (as the stream's own
    // timeout would), so that a request still incomplete then can be answered 408.
    stream_.expires_never();
    timed_out_ = false;
    read_deadline_.expires_after(shared_->options.idle_timeout);
    read_deadline_.async_wait([weak = weak_from_this()](const beast::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self) return;
      self->timed_out_ = true;
      beast::error_code ignored;
      self->stream_.socket().cancel(ignored);
    });
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](const beast::error_code& ec, std::size_t) {
                       self->on_read(ec);
                     });
  }

  void on_read(const beast::error_code& ec) {
    stop_reading();
    read_deadline_.cancel();
    const auto& limits = shared_->options;
    if (ec == http::error::body_limit) {
      return refuse(413, "Request body too large: the limit is " +
                             std::to_string(limits.body_limit) + " bytes");
    }
    if (ec == http::error::header_limit) {
      return refuse(431, "Request header fields too large: the limit is " +
                             std::to_string(limits.header_limit) + " bytes");
    }
    const bool started = parser_->got_some() || buffer_.size() > 0;
    if (ec && timed_out_) {
      if (!started) return close();  // an idle connection: nothing to answer
      return refuse(408, "Request timeout: the request was not complete within " +
                             std::to_string(limits.idle_timeout.count()) + " s");
    }
    if (ec == http::error::partial_message) {
      return refuse(400, "Truncated request: the connection ended before the request was complete");
    }
    if (ec && ec != http::error::end_of_stream &&
        ec.category() == http::make_error_code(http::error::bad_target).category()) {
      return refuse(400, "Malformed HTTP request: " + ec.message());
    }
    if (ec) return close();  // end of stream between requests, eviction, or a socket error
    auto& message = parser_->get();
    HttpRequest request{std::string(message.method_string()), std::string(message.target()),
                        std::move(message.body())};
    for (const auto& field : message) {
      // A value that is not UTF-8 is hostile input: refused before any handler reads it.
      if (!is_utf8(std::string_view(field.value().data(), field.value().size()))) {
        return refuse(400, "Malformed HTTP request: header " + std::string(field.name_string()) +
                               " is not valid UTF-8");
      }
      const auto name = field.name_string();
      request.headers.push_back({lower_header_name(std::string_view(name.data(), name.size())),
                                 std::string(field.value())});
    }
    version_ = message.version();
    keep_alive_ = message.keep_alive();
    stream_.expires_never();  // the handler may take its time (mining); no idle timeout meanwhile
    auto answered = std::make_shared<bool>(false);
    auto self = shared_from_this();
    try {
      shared_->handler(std::move(request), [self, answered](HttpResponse response) {
        if (*answered) return;
        *answered = true;
        self->write(std::move(response), self->keep_alive_, false);
      });
    } catch (const std::exception& e) {
      spdlog::error("request handler threw: {}", e.what());
      if (!*answered) {
        *answered = true;
        write(HttpResponse{500, "Internal error", "text/plain; charset=utf-8"}, false, false);
      }
    }
  }

  // The head and the body go out in one gather write; the body is the answer's own (a shared
  // /chain text is sent as it is) and is released once written, so that the node can reuse it.
  void write(HttpResponse answer, bool keep_alive, bool drain) {
    write_response_head(head_, answer, version_, keep_alive);
    body_ = std::move(answer.body);
    const std::string& body = body_.str();
    const std::array<asio::const_buffer, 2> buffers{asio::buffer(head_),
                                                    asio::buffer(body.data(), body.size())};
    stream_.expires_after(shared_->options.idle_timeout);
    asio::async_write(
        stream_, buffers,
        [self = shared_from_this(), keep_alive, drain](const beast::error_code& ec, std::size_t) {
          self->body_ = Body();
          if (ec) return self->close();
          if (drain) return self->drain();
          if (!keep_alive) return self->close();
          self->do_read();
        });
  }

  // Answers a request the handler never sees (one log line, as the node logs its refusals), then
  // closes the connection.
  void refuse(int status, const std::string& why) {
    shared_->log.log(spdlog::level::info, "request_rejected",
                     "request_rejected " + Json{{"status", status}, {"error", why}}.dump());
    write(HttpResponse{status, why, "text/plain; charset=utf-8"}, false, true);
  }

  // After an early answer (413, 400), reads and discards what the client still sends, so that
  // closing does not reset the connection before the client has read the answer.
  void drain() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    drain_buffer_.resize(64 * 1024);
    stream_.expires_after(std::chrono::seconds(5));  // in all: a trickle must not hold the slot
    do_drain();
  }
  void do_drain() {
    stream_.async_read_some(
        asio::buffer(drain_buffer_),
        [self = shared_from_this()](const beast::error_code& ec, std::size_t n) {
          self->drained_ += n;
          if (ec || self->drained_ > kMaxDrainBytes) return self->close();
          self->do_drain();
        });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  std::shared_ptr<HttpServer::Shared> shared_;
  asio::steady_timer read_deadline_;
  bool timed_out_ = false;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  std::string head_;  // the answer's status line and headers, its capacity kept between answers
  Body body_;         // the answer's body while it is written
  std::vector<char> drain_buffer_;
  std::size_t drained_ = 0;
  std::optional<std::list<std::weak_ptr<Session>>::iterator> reading_;  // in shared_->reading
  asio::ip::address client_;
};

}  // namespace

HttpServer::HttpServer(asio::io_context& io, HttpServerOptions options, Handler handler)
    : acceptor_(io),
      shared_(std::make_shared<Shared>(std::move(options), std::move(handler))),
      log_timer_(io) {
  tcp::endpoint endpoint(asio::ip::make_address(shared_->options.host), shared_->options.port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
}

HttpServer::~HttpServer() {
  stop();
}

void HttpServer::start() {
  do_accept();
  tick_log();
}

void HttpServer::stop() {
  beast::error_code ignored;
  acceptor_.close(ignored);
  log_timer_.cancel();
}

std::size_t HttpServer::open_connections() const {
  return shared_->connections;
}

std::uint64_t HttpServer::refused_per_client() const {
  return shared_->refused_per_client;
}

void HttpServer::tick_log() {
  log_timer_.expires_after(kLogSummaryInterval);
  log_timer_.async_wait([this, shared = shared_](const beast::error_code& ec) {
    if (ec || !acceptor_.is_open()) return;
    shared->log.tick();
    tick_log();
  });
}

void HttpServer::do_accept() {
  acceptor_.async_accept([this, shared = shared_](const beast::error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    beast::error_code address_error;
    const auto client = ec ? asio::ip::address() : socket.remote_endpoint(address_error).address();
    if (!ec && !address_error) {
      auto held = shared->per_client.find(client);
      if (held != shared->per_client.end() &&
          held->second >= shared->options.max_connections_per_client) {
        // One client holding its share of slots (idle or trickling) gets no more: closed at once,
        // before a byte is read, and the others' connections are left alone.
        ++shared->refused_per_client;
        shared->log.log(
            spdlog::level::info, "connection_refused",
            "connection_refused " + Json{{"client", client.to_string()},
                                         {"open", held->second},
                                         {"limit", shared->options.max_connections_per_client}}
                                        .dump());
        beast::error_code ignored;
        socket.close(ignored);
        return do_accept();
      }
    }
    if (!ec && !address_error) {
      std::shared_ptr<Session> idle;
      const bool full = shared->connections >= shared->options.max_connections;
      if (full && !shared->reading.empty()) idle = shared->reading.front().lock();
      if (idle) idle->evict();  // its count drops once its aborted read returns
      if (!full || idle) {
        std::make_shared<Session>(std::move(socket), client, shared)->start();
      } else {
        beast::error_code ignored;
        socket.close(ignored);  // every connection is busy with a request: refuse by closing
      }
    }
    do_accept();
  });
}

}  // namespace yournet::net
