#pragma once
// HTTP messages as the node, the simulator, the servers and the web app exchange them: a request
// (method, target, body, headers) and a response (status, body, content type, extra headers).
// No socket here: the live server and client translate them to and from Beast's messages.
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace yournet {

// One header field. Request header names are lower-cased when a message is read (HTTP names are
// case-insensitive), so a lookup compares bytes.
struct HttpHeader {
  std::string name;
  std::string value;
};
using HttpHeaders = std::vector<HttpHeader>;

// `name` lower-cased (ASCII only: header names are tokens).
std::string lower_header_name(std::string_view name);

// A request target's path: the target without its query string ("/chain?x=1" -> "/chain").
constexpr std::string_view target_path(std::string_view target) {
  return target.substr(0, target.find('?'));
}

struct HttpRequest {
  HttpRequest() = default;
  HttpRequest(std::string method_, std::string target_, std::string body_ = {},
              HttpHeaders headers_ = {})
      : method(std::move(method_)),
        target(std::move(target_)),
        body(std::move(body_)),
        headers(std::move(headers_)) {}

  // The first value of a header, by name in any case; nullopt when the request has none.
  std::optional<std::string_view> header(std::string_view name) const;

  std::string method;  // "GET", "POST", ...
  std::string target;  // "/chain", "/add_block?x=1"
  std::string body;
  HttpHeaders headers;  // names lower-cased; few, so a vector beats a map
};

// A response body: text of its own, or text shared, unchanged, by every answer that carries it
// (a node's GET /chain body: the same for every peer that asks until its chain moves, so an answer
// costs no copy of the chain). Read it as a string.
class Body {
 public:
  Body() = default;
  Body(std::string text) : own_(std::move(text)) {}
  Body(const char* text) : own_(text) {}
  Body(std::shared_ptr<const std::string> shared) : shared_(std::move(shared)) {}

  const std::string& str() const { return shared_ ? *shared_ : own_; }
  operator const std::string&() const { return str(); }
  operator std::string_view() const { return str(); }
  std::size_t size() const { return str().size(); }
  bool empty() const { return str().empty(); }
  std::size_t find(std::string_view text, std::size_t from = 0) const {
    return str().find(text, from);
  }
  std::string substr(std::size_t from, std::size_t count = std::string::npos) const {
    return str().substr(from, count);
  }
  friend bool operator==(const Body& a, const Body& b) { return a.str() == b.str(); }
  // One for each kind of text, so a comparison never has to choose between conversions.
  friend bool operator==(const Body& a, std::string_view b) { return a.str() == b; }
  friend bool operator==(const Body& a, const std::string& b) { return a.str() == b; }
  friend bool operator==(const Body& a, const char* b) { return a.str() == b; }
  friend std::ostream& operator<<(std::ostream& out, const Body& body) { return out << body.str(); }

 private:
  std::string own_;
  std::shared_ptr<const std::string> shared_;
};

struct HttpResponse {
  static constexpr const char* kDefaultContentType =
      "text/html; charset=utf-8";  // the reference's default for text

  HttpResponse() = default;
  HttpResponse(int status_, Body body_ = {}, std::string content_type_ = kDefaultContentType,
               HttpHeaders headers_ = {})
      : status(status_),
        body(std::move(body_)),
        content_type(std::move(content_type_)),
        headers(std::move(headers_)) {}

  // The first value of a header, by name in any case.
  std::optional<std::string_view> header(std::string_view name) const;

  int status = 200;
  Body body;
  std::string content_type = kDefaultContentType;
  // Headers beside Content-Type (Retry-After...); names lower-cased when read from the wire.
  HttpHeaders headers;
};

// How a handler answers a request: exactly once, maybe later.
using Respond = std::function<void(HttpResponse)>;

}  // namespace yournet
