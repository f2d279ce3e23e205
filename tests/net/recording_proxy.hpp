#pragma once
// A forward proxy built on HttpServer, as netsim's are: records each request's target as it
// arrived (absolute form, "http://host:port/path") and passes the request on to the host that
// target names. Runs on the io_context it is given; targets() may be read from any thread.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "yournet/net/http_server.hpp"
#include "yournet/net/http_transport.hpp"

namespace yournet::test_support {

class RecordingProxy {
 public:
  explicit RecordingProxy(boost::asio::io_context& io)
      : forward_(io, net::HttpTransportOptions{std::chrono::seconds(10), 16u * 1024u * 1024u}),
        server_(io, net::HttpServerOptions{"127.0.0.1", 0},
                [this](HttpRequest request, std::function<void(HttpResponse)> respond) {
                  forward(std::move(request), std::move(respond));
                }) {
    server_.start();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }
  std::vector<std::string> targets() const {
    std::lock_guard lock(mutex_);
    return targets_;
  }

 private:
  void forward(HttpRequest request, std::function<void(HttpResponse)> respond) {
    {
      std::lock_guard lock(mutex_);
      targets_.push_back(request.target);
    }
    auto url = net::parse_peer_url(request.target);
    if (!url) return respond(HttpResponse{400, "not an absolute-form target: " + request.target});
    request.target = url->base_path;
    forward_.send("http://" + url->host + ":" + url->port + "/", std::move(request),
                  [respond](const std::optional<HttpResponse>& answer, const std::string& error) {
                    respond(answer ? *answer : HttpResponse{502, error});
                  });
  }

  net::HttpTransport forward_;
  net::HttpServer server_;
  mutable std::mutex mutex_;
  std::vector<std::string> targets_;
};

}  // namespace yournet::test_support
