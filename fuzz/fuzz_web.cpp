// The web app's proxy and feed: WebApp::handle on a request from the browser, with the node played
// by the input. Input: "METHOD\nTARGET\nBODY" up to the first NUL byte, then the node's GET /chain
// answer (also its answer to GET /block/<hash> and to forwarded requests) up to the next NUL, then
// its GET /pending_tx answer; the node answers 200. Asserted for any input: one answer, never a 5xx
// but 502 (the node's fault, named), and the app's own views (/api/feed, /api/blocks,
// /api/block/<hash>, /api/info) and errors always JSON.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "yournet/web/web_app.hpp"

using namespace yournet;

namespace {

std::string_view take_until(std::string_view& rest, char separator) {
  const auto end = rest.find(separator);
  std::string_view part = rest.substr(0, end);
  rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
  return part;
}

class ScriptedNode : public Transport {
 public:
  void send(const std::string&, HttpRequest request, ResponseCallback done) override {
    if (!done) return;
    const bool pool = request.target == "/pending_tx";
    done(HttpResponse{200, std::string(pool ? pending : chain), "application/json"}, "");
  }
  std::string_view chain, pending;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::string_view request_text = take_until(rest, '\0');
  ScriptedNode node;
  node.chain = take_until(rest, '\0');
  node.pending = rest;
  HttpRequest request;
  request.method = std::string(take_until(request_text, '\n'));
  request.target = std::string(take_until(request_text, '\n'));
  request.body = std::string(request_text);

  web::WebApp app(web::WebAppOptions{.node_address = "http://127.0.0.1:8000/"}, node, node);
  std::vector<HttpResponse> answers;
  app.handle(request, [&](HttpResponse response) { answers.push_back(std::move(response)); });
  fuzz::check(answers.size() == 1, "answered " + std::to_string(answers.size()) + " times");
  const HttpResponse& answer = answers.front();
  fuzz::check(answer.status >= 200 && (answer.status < 500 || answer.status == 502),
              "status " + std::to_string(answer.status) + ": " + answer.body.str());
  const std::string_view path =
      std::string_view(request.target).substr(0, request.target.find('?'));
  const bool own_view = path == "/api/feed" || path == "/api/blocks" || path == "/api/info" ||
                        path.starts_with("/api/block/");
  if (own_view || (answer.status >= 400 && answer.content_type == "application/json")) {
    try {
      parse_json(answer.body.str());
    } catch (const JsonError& e) {
      fuzz::fail("the app's answer is not JSON: " + std::string(e.what()));
    }
  }
  return 0;
}
