#pragma once
// The web app's server side: serves the embedded page and a same-origin API under /api/ that talks
// to one configured node. The API forwards only the node's user-facing routes (never a peer-to-peer
// route such as /add_block, never another host), and adds views computed here: /api/feed (every
// post of the main chain and pending pool, newest first, with its block and its signature's
// verdict), /api/blocks (the newest blocks with each post's verdict) and /api/block/<hash> (one
// block, from the node's GET /block/<hash>, with the same verdicts). Signatures are checked
// here, with the core's own rules, on the very bytes the node sent. Failures to reach the node
// become 502 with a JSON error naming the node.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "yournet/expected.hpp"
#include "yournet/http_message.hpp"
#include "yournet/json.hpp"
#include "yournet/transport.hpp"

namespace yournet::web {

// A route of the node the API forwards: GET /api/chain goes to GET /chain.
struct ProxyRoute {
  std::string_view path;    // the node's route: "/chain"
  std::string_view method;  // "GET"
  bool slow;                // may take long (mining): sent through the slow transport
};

// The node route behind an /api/... path (query ignored); nullptr for anything else.
const ProxyRoute* find_proxy_route(std::string_view api_path);

struct WebAppOptions {
  std::string node_address;                    // "http://127.0.0.1:8000/"
  std::size_t feed_limit = 500;                // posts in one /api/feed answer, newest first
  std::size_t blocks_limit = 200;              // blocks in one /api/blocks answer, newest first
  std::size_t request_body_limit = 64 * 1024;  // largest body forwarded to the node
};

// The /api/feed answer from a GET /chain body and a GET /pending_tx body:
// {"height", "tip", "pending", "total", "posts": [{"author", "content", "timestamp", "block":
// null | {"index", "hash"}, "signature": "verified" | "unsigned" | "invalid", "public_key"}]}.
// Pending posts come first, then posts of later blocks before earlier ones; within a block or the
// pool, later timestamps first. An error names what is wrong with the node's answer.
Expected<Json, std::string> build_feed(const Json& chain_body, const Json& pending,
                                       std::size_t limit);

// The /api/blocks answer from a GET /chain body: {"total": blocks in the chain, "blocks":
// [{"block": the block as the node sent it, "verdicts": the signature verdict of each of its
// posts}]}, newest block first, at most `limit`.
Expected<Json, std::string> build_blocks(const Json& chain_body, std::size_t limit);
// {"block": block, "verdicts": [the signature verdict of each post]}; the entries of /api/blocks
// and the answer of /api/block/<hash>.
Json block_with_verdicts(const Json& block);

class WebApp {
 public:
  using Respond = std::function<void(HttpResponse)>;

  // `transport` carries ordinary requests to the node; `slow_transport` those that may take long.
  WebApp(WebAppOptions options, Transport& transport, Transport& slow_transport);

  // Answers every request: calls `respond` exactly once, maybe later.
  void handle(const HttpRequest& request, Respond respond);

  const WebAppOptions& options() const { return options_; }
  // Counts a request the server's guard refused (by reason: "foreign_origin"...); GET /api/info
  // reports the counts as {"refused": {reason: count}}.
  void count_refused(const std::string& reason) { ++refused_[reason]; }

 private:
  void forward(const ProxyRoute& route, const HttpRequest& request, Respond respond);
  using JsonCallback = std::function<void(Expected<Json, HttpResponse>)>;
  // GETs a route of the node as JSON; `done` gets the value or the 502 answer saying what failed.
  void fetch_json(const std::string& route, JsonCallback done);
  void feed(Respond respond);
  void blocks(Respond respond);
  void block(const std::string& hash, Respond respond);
  HttpResponse node_unreachable(const std::string& route, const std::string& error) const;
  HttpResponse bad_answer(const std::string& what) const;

  WebAppOptions options_;
  std::map<std::string, std::uint64_t> refused_;  // by reason, for /api/info
  Transport& transport_;
  Transport& slow_transport_;
};

// A JSON error answer: {"error": message} plus any extra fields.
HttpResponse json_error(int status, const std::string& message, Json extra = Json::object());

}  // namespace yournet::web
