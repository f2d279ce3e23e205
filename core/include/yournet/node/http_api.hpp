#pragma once
// The node's HTTP API: the one adapter between the tutorial's routes and Node's typed operations,
// used by the live server (chainnode, netsim's live worlds), the simulator and the tests (Beast's
// handle_request shape). It parses a request's route once into a Route (404 for an unknown path,
// 405 for a wrong method), its body into the operation's arguments (400 naming what is wrong),
// calls the Node, and writes the typed outcome as the reference's status and body. It counts every
// answer by route and status in the node's metrics and reports each refusal (status >= 400) as a
// RequestRejected event. No state of its own.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "yournet/http_message.hpp"
#include "yournet/node/node.hpp"
#include "yournet/node/outcomes.hpp"

namespace yournet {

// The routes: the tutorial's seven and ours (/status, /block/<hash>, /metrics, POST /sync).
enum class Route : std::uint8_t {
  new_transaction,
  chain,
  mine,
  pending_tx,
  register_node,
  register_with,
  add_block,
  status,
  block,  // /block/<hash>
  metrics,
  sync,
};
struct RouteSpec {
  Route route;
  const char* path;  // "/block/" for Route::block
  const char* method;
};
// In Route's order.
inline constexpr RouteSpec kRoutes[] = {
    {Route::new_transaction, "/new_transaction", "POST"},
    {Route::chain, "/chain", "GET"},
    {Route::mine, "/mine", "GET"},
    {Route::pending_tx, "/pending_tx", "GET"},
    {Route::register_node, "/register_node", "POST"},
    {Route::register_with, "/register_with", "POST"},
    {Route::add_block, "/add_block", "POST"},
    {Route::status, "/status", "GET"},
    {Route::block, "/block/", "GET"},
    {Route::metrics, "/metrics", "GET"},
    {Route::sync, "/sync", "POST"},
};
constexpr const char* route_path(Route route) {
  return kRoutes[static_cast<std::size_t>(route)].path;
}
constexpr const char* route_method(Route route) {
  return kRoutes[static_cast<std::size_t>(route)].method;
}
// The route of a request target (its query string ignored; "/block/<anything>" is Route::block),
// nullopt for an unknown path.
std::optional<Route> parse_route(std::string_view target);
// A request's label in metrics and RequestRejected events: its route's path, or "other".
std::string route_label(const HttpRequest& request);

// Answers `request` through `respond`, called exactly once, maybe later (/mine, /register_with,
// /sync wait for the node).
void handle_request(Node& node, const HttpRequest& request, Respond respond);
// Answers a request the server refused before the node saw it (CSRF, DNS rebinding...): counted
// by route and status as any answer, and by `reason` in yournet_http_refused_total.
void refuse_request(Node& node, const HttpRequest& request, HttpResponse answer,
                    const std::string& reason, const Respond& respond);

// Typed outcomes as answers, for callers that run the operation themselves (the simulator hands a
// parsed block to receive_block) and must answer as the route does. Not counted.
HttpResponse block_answer(const BlockVerdict& verdict);  // POST /add_block
// The size of block_answer's body, without building it for the answers that are fixed texts (a
// simulated network measures an answer per delivered block, seven in eight of them duplicates).
std::size_t block_answer_bytes(const BlockVerdict& verdict);
std::string mine_message(const MineOutcome& outcome);  // the body of GET /mine's 200

}  // namespace yournet
