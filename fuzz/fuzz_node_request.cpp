// The node's request handling, through handle_request (node/http_api, the adapter the HTTP server
// and the simulator both call). Input: "METHOD\nTARGET\nBODY". Asserted for any input: one answer,
// never a 5xx (but the 502 of a /register_with whose peer does not answer: the peer's fault, not
// the request's, and the 503 of a full pool), every event the node reports can be written as JSON
// (as chainnode logs it), and a refused request (4xx, 502, 503) leaves the node's chain, pool and
// peers as they were.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "node_doubles.hpp"
#include "yournet/node/http_api.hpp"

using namespace yournet;

namespace {

class WritingObserver : public NodeObserver {
 public:
  void on_event(const NodeEvent& event) override { event_detail(event).dump(); }
};

// What a request may change: the chain (every block known, orphans), the pool and the peers.
std::string state_of(Node& node) {
  return node.status().dump() + node.chain_body().dump() + Json(node.mempool().posts()).dump();
}

// Splits off the text up to the next newline.
std::string take_line(std::string_view& rest) {
  const auto end = rest.find('\n');
  std::string line(rest.substr(0, end));
  rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  HttpRequest request;
  request.method = take_line(rest);
  request.target = take_line(rest);
  request.body = std::string(rest);

  yournet::test::FixedClock clock;
  yournet::test::InlineMiner miner;
  yournet::test::OfflineTransport transport;
  WritingObserver observer;
  NodeConfig config;
  config.self_address = "http://127.0.0.1:8000/";
  Node node(config, transport, clock, miner, &observer);
  // A node with a little of everything: a mined block, a pending post, a peer.
  fuzz::check(node.submit_post(Json{{"author", "alice"}, {"content", "mined"}}).has_value(),
              "post");
  node.mine([](const MineOutcome&) {});
  fuzz::check(node.submit_post(Json{{"author", "bob"}, {"content", "pending"}}).has_value(),
              "post");
  fuzz::check(node.add_peer("http://127.0.0.1:8001").has_value(), "peer");
  const std::string before = state_of(node);

  std::vector<HttpResponse> answers;
  handle_request(node, request,
                 [&](HttpResponse response) { answers.push_back(std::move(response)); });
  fuzz::check(answers.size() == 1, "answered " + std::to_string(answers.size()) + " times");
  const HttpResponse& answer = answers.front();
  const bool peer_failed = answer.status == 502 && request.target.starts_with("/register_with");
  // A full pool is the server's 503, with when to come back. Canonical JSON writes a byte of the
  // body as at most 6 (\u escapes), plus the timestamp the node adds.
  const auto& limits = node.config().policy.mempool;
  const bool pool_full = node.mempool().size() + 1 > limits.max_posts ||
                         node.mempool().bytes() + 6 * request.body.size() + 64 > limits.max_bytes;
  const bool busy = answer.status == 503 && request.target.starts_with("/new_transaction") &&
                    pool_full && answer.header("retry-after").has_value();
  fuzz::check(answer.status >= 200 && (answer.status < 500 || peer_failed || busy),
              "status " + std::to_string(answer.status) + ": " + answer.body.str());
  if (answer.status >= 400) {
    fuzz::check(state_of(node) == before,
                "a refused request changed the node: " + answer.body.str());
  }
  return 0;
}
