// write_response_head against what Beast's serializer writes for the same answer (what the server
// sent before it wrote heads itself): byte for byte, for every version, keep-alive choice, status
// class and header the node answers with.
#include "yournet/net/http_response_head.hpp"

#include <gtest/gtest.h>

#include <boost/beast/http.hpp>
#include <sstream>
#include <string>

using namespace yournet;
namespace http = boost::beast::http;

namespace {

// The whole answer as Beast serializes it: head and body.
std::string beast_bytes(const HttpResponse& answer, unsigned version, bool keep_alive) {
  http::response<http::string_body> response;
  response.version(version);
  response.result(static_cast<unsigned>(answer.status));
  response.set(http::field::server, "yournet-chainnode");
  response.set(http::field::content_type, answer.content_type);
  for (const auto& header : answer.headers) response.set(header.name, header.value);
  response.body() = answer.body.str();
  response.keep_alive(keep_alive);
  response.prepare_payload();
  std::ostringstream out;
  out << response;
  return out.str();
}

std::string our_bytes(const HttpResponse& answer, unsigned version, bool keep_alive) {
  std::string head = "left over from the previous answer";
  net::write_response_head(head, answer, version, keep_alive);
  return head + answer.body.str();
}

}  // namespace

TEST(ResponseHead, IsWhatBeastWritesForEveryVersionAndConnectionChoice) {
  HttpResponse busy{503, "The pool is full", "text/plain; charset=utf-8"};
  busy.headers.push_back({"retry-after", "30"});
  const HttpResponse answers[] = {
      {200, std::make_shared<const std::string>(std::string(100'000, 'c')), "application/json"},
      {201, "Success"},
      {200, ""},
      {400, "Invalid transaction data", "text/plain; charset=utf-8"},
      {404, "Not found: /x"},
      {405, "Method PUT not allowed on /chain; use GET"},
      {408, "Request timeout"},
      {413, "Request body too large: the limit is 1048576 bytes"},
      {421, "Misdirected"},
      {431, "Request header fields too large"},
      {500, "Internal error", "text/plain; charset=utf-8"},
      busy,
      {599, "a status no name is known for"},
  };
  for (const auto& answer : answers) {
    for (unsigned version : {10u, 11u}) {
      for (bool keep_alive : {true, false}) {
        EXPECT_EQ(our_bytes(answer, version, keep_alive), beast_bytes(answer, version, keep_alive))
            << answer.status << " HTTP/" << version / 10 << "." << version % 10
            << (keep_alive ? " keep-alive" : " close");
      }
    }
  }
}
