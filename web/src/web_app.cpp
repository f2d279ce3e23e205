#include "yournet/web/web_app.hpp"

#include <algorithm>
#include <memory>
#include <tuple>
#include <vector>

#include "yournet/node/http_api.hpp"
#include "yournet/printable.hpp"
#include "yournet/validation.hpp"
#include "yournet/web/assets.hpp"

namespace yournet::web {
namespace {

constexpr std::string_view kApiPrefix = "/api";
constexpr std::string_view kBlockRoute = "/api/block/";

constexpr ProxyRoute proxied(Route route, bool slow) {
  return ProxyRoute{route_path(route), route_method(route), slow};
}
// The node's routes a user needs; /register_node and /add_block are for peers and stay out.
constexpr ProxyRoute kProxyRoutes[] = {
    proxied(Route::chain, false),           proxied(Route::pending_tx, false),
    proxied(Route::status, false),          proxied(Route::mine, true),
    proxied(Route::new_transaction, false), proxied(Route::register_with, true),
};

// A node's answer as it may go to the browser: only JSON keeps its type; anything else (the
// reference answers text as text/html) goes out as plain text, so a node can never have the
// browser render its HTML in the app's origin.
// Of the node's headers only Retry-After (a full pool's 503) goes on: the browser should not get
// cookies or caching rules from a node.
HttpResponse sanitized(const HttpResponse& answer) {
  const bool json = answer.content_type.starts_with("application/json");
  HttpResponse out{answer.status, answer.body,
                   json ? "application/json" : "text/plain; charset=utf-8"};
  if (auto retry = answer.header("retry-after")) {
    out.headers.push_back({"retry-after", std::string(*retry)});
  }
  return out;
}

// A node's answer quoted in an error: it may hold any bytes, and the error is JSON.
std::string excerpt(const std::string& text) {
  return printable(text, 200);
}

const char* verdict_name(SignatureStatus status) {
  switch (status) {
    case SignatureStatus::valid:
      return "verified";
    case SignatureStatus::invalid:
      return "invalid";
    case SignatureStatus::unsigned_post:
      return "unsigned";
  }
  return "invalid";
}

Json string_or(const Json& object, const char* key, Json fallback) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? *it : fallback;
}

double timestamp_of(const Json& post) {
  auto it = post.find("timestamp");
  return it != post.end() && it->is_number() ? it->get<double>() : 0.0;
}

// Appends the object posts of `posts`, later timestamps first; counts the others as malformed.
void append_posts(const Json& posts, const Json& block, Json& out, std::size_t& malformed) {
  std::vector<const Json*> objects;
  for (const auto& post : posts) {
    if (post.is_object()) {
      objects.push_back(&post);
    } else {
      ++malformed;
    }
  }
  std::stable_sort(objects.begin(), objects.end(), [](const Json* a, const Json* b) {
    return timestamp_of(*a) > timestamp_of(*b);
  });
  for (const Json* post : objects) {
    auto stamp = post->find("timestamp");
    out.push_back(Json{{"author", string_or(*post, "author", "")},
                       {"content", string_or(*post, "content", "")},
                       {"timestamp", stamp != post->end() && stamp->is_number() ? *stamp : Json()},
                       {"block", block},
                       {"signature", verdict_name(signature_status(*post))},
                       {"public_key", string_or(*post, "public_key", Json())}});
  }
}

}  // namespace

const ProxyRoute* find_proxy_route(std::string_view api_path) {
  api_path = target_path(api_path);
  if (!api_path.starts_with(kApiPrefix)) return nullptr;
  api_path.remove_prefix(kApiPrefix.size());
  for (const auto& route : kProxyRoutes) {
    if (route.path == api_path) return &route;
  }
  return nullptr;
}

HttpResponse json_error(int status, const std::string& message, Json extra) {
  extra["error"] = message;
  return HttpResponse{status, extra.dump(), "application/json"};
}

Expected<Json, std::string> build_feed(const Json& chain_body, const Json& pending,
                                       std::size_t limit) {
  if (!chain_body.is_object() || !chain_body.contains("chain") || !chain_body["chain"].is_array()) {
    return unexpected(std::string("its /chain answer has no \"chain\" array"));
  }
  if (!pending.is_array()) return unexpected(std::string("its /pending_tx answer is not an array"));
  const Json& chain = chain_body["chain"];
  if (chain.empty())
    return unexpected(std::string("its chain is empty (not even a genesis block)"));

  Json posts = Json::array();
  std::size_t malformed = 0;
  append_posts(pending, Json(), posts, malformed);
  for (std::size_t i = chain.size(); i-- > 0;) {
    const Json& block = chain[i];
    if (!block.is_object() || !block.contains("index") || !block["index"].is_number_unsigned() ||
        !block.contains("hash") || !block["hash"].is_string() || !block.contains("transactions") ||
        !block["transactions"].is_array()) {
      return unexpected(
          "block at position " + std::to_string(i) +
          " of its chain lacks an integer index, a string hash or a transactions array");
    }
    append_posts(block["transactions"], Json{{"index", block["index"]}, {"hash", block["hash"]}},
                 posts, malformed);
  }
  const std::size_t total = posts.size();
  if (posts.size() > limit)
    posts.erase(posts.begin() + static_cast<std::ptrdiff_t>(limit), posts.end());
  const Json& tip = chain.back();
  return Json{
      {"height", tip["index"]},
      {"tip", tip["hash"]},
      {"pending", pending.size()},
      {"total", total},
      {"malformed", malformed},
      {"peers", chain_body.contains("peers") && chain_body["peers"].is_array() ? chain_body["peers"]
                                                                               : Json::array()},
      {"posts", std::move(posts)}};
}

Json block_with_verdicts(const Json& block) {
  Json verdicts = Json::array();
  if (block.is_object() && block.contains("transactions") && block["transactions"].is_array()) {
    for (const auto& post : block["transactions"]) {
      verdicts.push_back(post.is_object() ? verdict_name(signature_status(post)) : "invalid");
    }
  }
  return Json{{"block", block}, {"verdicts", std::move(verdicts)}};
}

Expected<Json, std::string> build_blocks(const Json& chain_body, std::size_t limit) {
  if (!chain_body.is_object() || !chain_body.contains("chain") || !chain_body["chain"].is_array()) {
    return unexpected(std::string("its /chain answer has no \"chain\" array"));
  }
  const Json& chain = chain_body["chain"];
  Json blocks = Json::array();
  for (std::size_t i = chain.size(); i-- > 0 && blocks.size() < limit;) {
    const Json& block = chain[i];
    if (!block.is_object() || !block.contains("transactions") ||
        !block["transactions"].is_array()) {
      return unexpected("block at position " + std::to_string(i) +
                        " of its chain has no transactions array");
    }
    blocks.push_back(block_with_verdicts(block));
  }
  return Json{{"total", chain.size()}, {"blocks", std::move(blocks)}};
}

WebApp::WebApp(WebAppOptions options, Transport& transport, Transport& slow_transport)
    : options_(std::move(options)), transport_(transport), slow_transport_(slow_transport) {}

void WebApp::handle(const HttpRequest& request, Respond respond) {
  // The path as it may be quoted in an answer (a target can hold any bytes; answers are UTF-8).
  const std::string route = printable(target_path(request.target));
  if (route.starts_with("/api/")) {
    if (route == "/api/feed" || route == "/api/blocks" || route == "/api/info") {
      if (request.method != "GET") return respond(json_error(405, "use GET on " + route));
      if (route == "/api/info")
        return respond(HttpResponse{
            200, Json{{"node", options_.node_address}, {"refused", Json(refused_)}}.dump(),
            "application/json"});
      if (route == "/api/blocks") return blocks(std::move(respond));
      return feed(std::move(respond));
    }
    if (route.starts_with(kBlockRoute)) {
      if (request.method != "GET") return respond(json_error(405, "use GET on " + route));
      return block(route.substr(kBlockRoute.size()), std::move(respond));
    }
    const ProxyRoute* proxied = find_proxy_route(route);
    if (!proxied) return respond(json_error(404, "no API route " + route));
    if (request.method != proxied->method) {
      return respond(json_error(405, "use " + std::string(proxied->method) + " on " + route));
    }
    if (request.body.size() > options_.request_body_limit) {
      return respond(json_error(413, "the request body is over " +
                                         std::to_string(options_.request_body_limit) + " bytes"));
    }
    return forward(*proxied, request, std::move(respond));
  }
  if (request.method != "GET") {
    return respond(HttpResponse{405, "Method " + printable(request.method, 40) + " not allowed",
                                "text/plain; charset=utf-8"});
  }
  const Asset* asset = find_asset(route);
  if (!asset) return respond(HttpResponse{404, "Not found: " + route, "text/plain; charset=utf-8"});
  respond(HttpResponse{200, std::string(asset->body), std::string(asset->content_type)});
}

HttpResponse WebApp::node_unreachable(const std::string& route, const std::string& error) const {
  return json_error(
      502, "The node at " + options_.node_address + " did not answer " + route + " (" + error + ")",
      Json{{"node", options_.node_address}, {"route", route}, {"kind", "unreachable"}});
}

void WebApp::forward(const ProxyRoute& route, const HttpRequest& request, Respond respond) {
  Transport& transport = route.slow ? slow_transport_ : transport_;
  std::string path(route.path);
  transport.send(
      options_.node_address,
      HttpRequest{std::string(route.method), path, route.method == "POST" ? request.body : ""},
      [this, path, respond](const std::optional<HttpResponse>& answer, const std::string& error) {
        if (!answer) return respond(node_unreachable(path, error));
        respond(sanitized(*answer));
      });
}

void WebApp::fetch_json(const std::string& route, JsonCallback done) {
  transport_.send(
      options_.node_address, HttpRequest{"GET", route, ""},
      [this, route, done](const std::optional<HttpResponse>& answer, const std::string& error) {
        if (!answer) return done(unexpected(node_unreachable(route, error)));
        if (answer->status != 200) {
          return done(unexpected(bad_answer("answered " + route + " with " +
                                            std::to_string(answer->status) + ": " +
                                            excerpt(answer->body))));
        }
        try {
          done(parse_json(answer->body));
        } catch (const JsonError& e) {
          done(unexpected(bad_answer("sent JSON we cannot read from " + route + ": " + e.what())));
        }
      });
}

HttpResponse WebApp::bad_answer(const std::string& what) const {
  return json_error(502, "The node at " + options_.node_address + " " + what,
                    Json{{"node", options_.node_address}, {"kind", "bad_answer"}});
}

void WebApp::feed(Respond respond) {
  // Both requests go out at once; the second answer to arrive builds the feed. One thread runs
  // the io_context, so the shared state needs no lock.
  struct Answers {
    std::optional<Expected<Json, HttpResponse>> chain, pool;
  };
  auto answers = std::make_shared<Answers>();
  auto finish = [this, answers, respond] {
    if (!answers->chain || !answers->pool) return;
    if (!*answers->chain) return respond(answers->chain->error());
    if (!*answers->pool) return respond(answers->pool->error());
    auto feed = build_feed(**answers->chain, **answers->pool, options_.feed_limit);
    if (!feed) return respond(bad_answer("sent data we cannot use: " + feed.error()));
    (*feed)["node"] = options_.node_address;
    respond(HttpResponse{200, feed->dump(), "application/json"});
  };
  fetch_json(route_path(Route::chain), [answers, finish](Expected<Json, HttpResponse> chain) {
    answers->chain = std::move(chain);
    finish();
  });
  fetch_json(route_path(Route::pending_tx), [answers, finish](Expected<Json, HttpResponse> pool) {
    answers->pool = std::move(pool);
    finish();
  });
}

void WebApp::blocks(Respond respond) {
  fetch_json(route_path(Route::chain), [this, respond](Expected<Json, HttpResponse> chain) {
    if (!chain) return respond(chain.error());
    auto blocks = build_blocks(*chain, options_.blocks_limit);
    if (!blocks) return respond(bad_answer("sent data we cannot use: " + blocks.error()));
    respond(HttpResponse{200, blocks->dump(), "application/json"});
  });
}

void WebApp::block(const std::string& hash, Respond respond) {
  if (!is_block_hash(hash)) {
    return respond(json_error(400, "a block hash is 64 lowercase hex digits"));
  }
  const std::string route = route_path(Route::block) + hash;
  transport_.send(
      options_.node_address, HttpRequest{"GET", route, ""},
      [this, route, hash, respond](const std::optional<HttpResponse>& answer,
                                   const std::string& error) {
        if (!answer) return respond(node_unreachable(route, error));
        // 404: a block the node does not know, or a node without the route (the
        // reference); the page then falls back to the blocks it already has.
        if (answer->status == 404) {
          return respond(
              json_error(404, "The node at " + options_.node_address + " has no block " + hash,
                         Json{{"node", options_.node_address}}));
        }
        if (answer->status != 200) {
          return respond(bad_answer("answered " + route + " with " +
                                    std::to_string(answer->status) + ": " + excerpt(answer->body)));
        }
        try {
          Json block = parse_json(answer->body);
          if (!block.is_object() || block.value("hash", Json()) != Json(hash)) {
            return respond(bad_answer("sent another block than " + hash));
          }
          respond(HttpResponse{200, block_with_verdicts(block).dump(), "application/json"});
        } catch (const JsonError& e) {
          respond(bad_answer("sent JSON we cannot read from " + route + ": " + e.what()));
        }
      });
}

}  // namespace yournet::web
