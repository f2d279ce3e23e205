// The HTTP adapter (http_api.hpp): route, body, typed operation, answer.
#include "yournet/node/http_api.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

#include "yournet/printable.hpp"
#include "yournet/transport.hpp"

namespace yournet {
namespace {

static_assert(
    [] {
      for (std::size_t i = 0; i < std::size(kRoutes); ++i) {
        if (static_cast<std::size_t>(kRoutes[i].route) != i) return false;
      }
      return true;
    }(),
    "kRoutes is in Route's order");

// The reference's statuses, by what they say.
constexpr int kOk = 200, kCreated = 201, kAccepted = 202, kBadRequest = 400, kNotFound = 404,
              kMethodNotAllowed = 405, kBadGateway = 502, kServiceUnavailable = 503;
// Refused requests are reported with this much of their answer.
constexpr std::size_t kRejectedDetailBytes = 300;
constexpr const char* kJson = "application/json";
constexpr const char* kPrometheusText = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::string_view kDiscarded = "The block was discarded by the node: ";

HttpResponse text(int status, std::string body) {
  return HttpResponse{status, std::move(body)};
}
HttpResponse json_response(int status, const Json& body) {
  return HttpResponse{status, body.dump(), kJson};
}

// The JSON object of a request body, or the 400 naming what is wrong with it.
Expected<Json, HttpResponse> parse_object(const std::string& body) {
  try {
    Json value = parse_json(body);
    if (value.is_object()) return value;
    return unexpected(text(kBadRequest, "request body must be a JSON object"));
  } catch (const JsonError& e) {
    return unexpected(text(kBadRequest, std::string("request body: ") + e.what()));
  }
}

HttpResponse peer_refused(const Node& node, PeerRefusal refusal) {
  switch (refusal) {
    case PeerRefusal::invalid_address:
      break;
    case PeerRefusal::is_self:
      return text(kBadRequest, "\"node_address\" is this node's own address");
    case PeerRefusal::peers_full:
      return text(kBadRequest, "this node has as many peers as it takes (" +
                                   std::to_string(node.config().policy.max_peers) + ")");
  }
  return text(kBadRequest, "\"node_address\" must be http://host:port");
}

// The "node_address" string of a /register_node or /register_with body, or the 400 saying what is
// wrong with the body.
Expected<std::string, HttpResponse> requested_address(const Node& node,
                                                      const HttpRequest& request) {
  auto body = parse_object(request.body);
  if (!body) return unexpected(body.error());
  auto address = body->find("node_address");
  if (address == body->end() || !address->is_string()) {
    return unexpected(peer_refused(node, PeerRefusal::invalid_address));
  }
  return address->get<std::string>();
}

HttpResponse post_answer(const Node& node, const Expected<std::string, PostRefused>& added) {
  if (added) return text(kCreated, "Success");
  const PostRefused& refused = added.error();
  if (refused.reason == PostRefusal::pool_full) {
    // The client did nothing wrong: the server is busy, and says when to come back.
    HttpResponse busy = text(kServiceUnavailable, "Pending pool full: " + refused.message);
    busy.headers.push_back(
        {"retry-after", std::to_string(node.config().policy.pool_full_retry_after_s)});
    return busy;
  }
  return text(kBadRequest, "Invalid transaction data: " + refused.message);
}

HttpResponse register_answer(const Node& node, const RegisterOutcome& outcome) {
  if (std::holds_alternative<Registered>(outcome)) return text(kOk, "Registration successful");
  if (const auto* refusal = std::get_if<PeerRefusal>(&outcome)) {
    return peer_refused(node, *refusal);
  }
  const auto& failed = std::get<RegisterFailed>(outcome);
  std::string message = "Registration failed: ";
  switch (failed.failure) {
    case RegisterFailure::no_answer:
      message += failed.error;
      break;
    case RegisterFailure::peer_failing:
    case RegisterFailure::peer_refused:
      // Its status only: echoing its body would let a caller read what any host the node can
      // reach answers (the reference's open-proxy bug).
      message += "peer answered " + std::to_string(failed.peer_status);
      break;
    case RegisterFailure::answer_not_json:  // not the parser's words: they quote the body
      message += "the peer's answer is not JSON";
      break;
    case RegisterFailure::invalid_chain:
      message += "peer's chain is invalid: " + failed.chain_error->message();
      break;
  }
  if (failed.retry_in_s) {
    message += "; trying again in " + canonical(*failed.retry_in_s) + " s (attempt " +
               std::to_string(failed.attempt + 1) + " of " + std::to_string(kRegisterMaxAttempts) +
               ")";
  }
  return text(kBadGateway, std::move(message));
}

// A route's label in metrics and events: its path, or "other" for an unknown one.
std::string label_of(std::optional<Route> route) {
  return route ? std::string(route_path(*route)) : std::string("other");
}

// Every answer is counted by route and status, and every refusal reported.
void count_answer(Node& node, const std::string& label, const HttpResponse& response) {
  node.count_request(label, response.status);
  if (response.status >= kBadRequest) {
    node.report(event::RequestRejected{label, response.status,
                                       printable(response.body, kRejectedDetailBytes)});
  }
}

void add_block(Node& node, const HttpRequest& request, const Respond& respond) {
  // Who sent it, when the request says (our nodes do): the address that node is reached at.
  std::string sender;
  if (auto claimed = request.header(kSenderHeader)) {
    auto address = normalize_peer_address(std::string(*claimed));
    if (!address) {
      return respond(text(kBadRequest, std::string(kDiscarded) +
                                           "header X-Yournet-Node must be http://host:port/, not " +
                                           printable(*claimed, 100)));
    }
    if (*address != node.config().self_address) sender = std::move(*address);
  }
  auto json = parse_object(request.body);
  if (!json) return respond(text(kBadRequest, std::string(kDiscarded) + json.error().body.str()));
  auto block = block_from_json(*json);
  if (!block) {
    return respond(text(kBadRequest, std::string(kDiscarded) + block.error().message()));
  }
  respond(
      block_answer(node.receive_block(std::make_shared<const Block>(std::move(*block)), sender)));
}

void serve(Node& node, Route route, const HttpRequest& request, const std::string_view path,
           const Respond& respond) {
  switch (route) {
    case Route::new_transaction: {
      auto post = parse_object(request.body);
      if (!post) return respond(post.error());
      return respond(post_answer(node, node.submit_post(std::move(*post))));
    }
    case Route::chain:
      return respond(HttpResponse{kOk, node.chain_text(), kJson});
    case Route::pending_tx:
      return respond(json_response(kOk, Json(node.mempool().posts())));
    case Route::status:
      return respond(json_response(kOk, node.status()));
    case Route::metrics:
      return respond(HttpResponse{kOk, node.metrics_text(), kPrometheusText});
    case Route::block: {
      const std::string hash(path.substr(std::string_view(route_path(Route::block)).size()));
      if (!is_block_hash(hash)) {
        return respond(text(kBadRequest, "a block hash is 64 lowercase hex digits"));
      }
      const Block* block = node.tree().find(hash);
      if (!block) return respond(text(kNotFound, "Unknown block " + hash));
      return respond(json_response(kOk, block_to_json(*block)));
    }
    case Route::mine:
      return node.mine(
          [respond](const MineOutcome& outcome) { respond(text(kOk, mine_message(outcome))); });
    case Route::sync:
      // Ours: an orchestrator's way to make a node catch up now rather than at its next sync.
      return node.run_consensus([&node, respond] {
        respond(json_response(
            kOk, Json{{"height", node.tree().height()}, {"tip", node.tree().tip().hash}}));
      });
    case Route::register_node: {
      auto address = requested_address(node, request);
      if (!address) return respond(address.error());
      auto peer = node.add_peer(*address);
      if (!peer) return respond(peer_refused(node, peer.error()));
      return respond(HttpResponse{kOk, node.chain_text(), kJson});
    }
    case Route::register_with: {
      auto address = requested_address(node, request);
      if (!address) return respond(address.error());
      return node.register_with(*address, [&node, respond](const RegisterOutcome& outcome) {
        respond(register_answer(node, outcome));
      });
    }
    case Route::add_block:
      return add_block(node, request, respond);
  }
}

}  // namespace

std::optional<Route> parse_route(std::string_view target) {
  const std::string_view path = target_path(target);
  const std::string_view block_prefix = route_path(Route::block);
  if (path.starts_with(block_prefix)) return Route::block;  // its hash is the rest of the path
  auto known = std::find_if(std::begin(kRoutes), std::end(kRoutes),
                            [&](const RouteSpec& r) { return path == r.path; });
  if (known == std::end(kRoutes)) return std::nullopt;
  return known->route;
}

std::string route_label(const HttpRequest& request) {
  return label_of(parse_route(request.target));
}

void handle_request(Node& node, const HttpRequest& request, Respond respond) {
  const std::string_view path = target_path(request.target);
  const auto route = parse_route(path);
  respond = [&node, label = label_of(route), inner = std::move(respond)](HttpResponse response) {
    count_answer(node, label, response);
    inner(std::move(response));
  };
  if (!route) return respond(text(kNotFound, "Not found: " + printable(path)));
  if (request.method != route_method(*route)) {
    return respond(text(kMethodNotAllowed, "Method " + printable(request.method, 40) +
                                               " not allowed on " + route_path(*route) + "; use " +
                                               route_method(*route)));
  }
  serve(node, *route, request, path, respond);
}

void refuse_request(Node& node, const HttpRequest& request, HttpResponse answer,
                    const std::string& reason, const Respond& respond) {
  node.count_refused_request(reason);
  count_answer(node, route_label(request), answer);
  respond(std::move(answer));
}

namespace {
constexpr std::string_view kBlockKept = "Block kept until its parent arrives";
constexpr std::string_view kBlockAdded = "Block added to the chain";
}  // namespace

HttpResponse block_answer(const BlockVerdict& verdict) {
  switch (verdict.status) {
    case AddStatus::invalid:
      return text(kBadRequest, std::string(kDiscarded) + verdict.error->message());
    case AddStatus::orphan:
      return text(kAccepted, std::string(kBlockKept));
    case AddStatus::already_known:
    case AddStatus::added:
      break;
  }
  return text(kCreated, std::string(kBlockAdded));
}

std::size_t block_answer_bytes(const BlockVerdict& verdict) {
  switch (verdict.status) {
    case AddStatus::invalid:
      return block_answer(verdict).body.size();
    case AddStatus::orphan:
      return kBlockKept.size();
    case AddStatus::already_known:
    case AddStatus::added:
      break;
  }
  return kBlockAdded.size();
}

std::string mine_message(const MineOutcome& outcome) {
  switch (outcome.status) {
    case MineStatus::mined:
      return "Block #" + std::to_string(outcome.block->index) + " is mined.";
    case MineStatus::nothing_to_mine:
      return "No transactions to mine";
    case MineStatus::already_mining:
      return "Mining is already in progress";
    case MineStatus::stopped:
      break;
  }
  return "Mining was stopped";
}

}  // namespace yournet
