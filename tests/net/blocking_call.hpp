#pragma once
// A request sent from a test thread through the project's HTTP client, whose io_context runs on
// another thread: the answer, or status -1 with the client's error. A client that never calls back
// within `wait` is a test failure.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>

#include "yournet/net/http_transport.hpp"

namespace yournet::test_support {

inline HttpResponse blocking_call(boost::asio::io_context& io, net::HttpTransport& transport,
                                  const std::string& address, HttpRequest request,
                                  std::chrono::milliseconds wait) {
  auto promise = std::make_shared<std::promise<HttpResponse>>();
  auto future = promise->get_future();
  const std::string what = request.method + " " + request.target;
  boost::asio::post(io, [&transport, address, request = std::move(request), promise] {
    transport.send(
        address, request,
        [promise](const std::optional<HttpResponse>& response, const std::string& error) {
          promise->set_value(response ? *response : HttpResponse{-1, error});
        });
  });
  if (future.wait_for(wait) != std::future_status::ready) {
    ADD_FAILURE() << what << " did not answer within " << wait.count() << " ms";
    return HttpResponse{-1, "no answer"};
  }
  return future.get();
}

}  // namespace yournet::test_support
