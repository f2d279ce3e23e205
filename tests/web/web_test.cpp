// The web app's server side: which requests reach the node and how, what the node's answers become,
// the feed built from a chain, and the embedded page. A fake transport plays the node; one test
// goes over real sockets to a port where no node listens.
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <fstream>
#include <future>
#include <map>
#include <sstream>
#include <thread>
#include <tuple>
#include <vector>

#include "blocking_call.hpp"
#include "yournet/crypto.hpp"
#include "yournet/net/http_server.hpp"
#include "yournet/net/http_transport.hpp"
#include "yournet/validation.hpp"
#include "yournet/web/assets.hpp"
#include "yournet/web/web_app.hpp"

using namespace yournet;
using namespace yournet::web;
namespace asio = boost::asio;

namespace {

const std::string kNode = "http://127.0.0.1:8000/";

// Plays the node: records every request and answers from a script (or fails like a dead node).
class FakeNode : public Transport {
 public:
  struct Sent {
    std::string peer;
    HttpRequest request;
  };
  void send(const std::string& peer, HttpRequest request, ResponseCallback done) override {
    sent.push_back({peer, request});
    auto answer = answers.find(request.method + " " + request.target);
    if (!done) return;
    if (down || answer == answers.end()) {
      done(std::nullopt, "connect: Connection refused");
    } else {
      done(answer->second, "");
    }
  }
  std::vector<Sent> sent;
  std::map<std::string, HttpResponse> answers;
  bool down = false;
};

struct App {
  FakeNode fast, slow;
  WebApp app{WebAppOptions{.node_address = kNode, .request_body_limit = 1024}, fast, slow};

  HttpResponse call(const std::string& method, const std::string& target,
                    const std::string& body = "") {
    std::optional<HttpResponse> answer;
    int calls = 0;
    app.handle(HttpRequest{method, target, body}, [&](HttpResponse response) {
      answer = std::move(response);
      ++calls;
    });
    EXPECT_EQ(calls, 1) << method << " " << target << " must be answered exactly once";
    return answer.value_or(HttpResponse{-1, "no answer"});
  }
};

Json block_json(std::uint64_t index, const std::string& hash, Json posts) {
  return Json{{"index", index}, {"hash", hash},     {"previous_hash", "p"},
              {"nonce", 0},     {"timestamp", 1.5}, {"transactions", std::move(posts)}};
}

Json post(const std::string& author, const std::string& content, double timestamp) {
  return Json{{"author", author}, {"content", content}, {"timestamp", timestamp}};
}

Json signed_post(const std::string& content, double timestamp) {
  static const Ed25519KeyPair keys = ed25519_generate();
  return *sign_post(post("alice", content, timestamp), keys.private_key_hex);
}

}  // namespace

// ---------- which requests reach the node ----------

TEST(ProxyRoutes, ForwardsOnlyTheNodesUserRoutes) {
  for (auto [api, node, method] : {std::tuple{"/api/chain", "/chain", "GET"},
                                   {"/api/pending_tx", "/pending_tx", "GET"},
                                   {"/api/status", "/status", "GET"},
                                   {"/api/mine", "/mine", "GET"},
                                   {"/api/new_transaction", "/new_transaction", "POST"},
                                   {"/api/register_with", "/register_with", "POST"}}) {
    const ProxyRoute* route = find_proxy_route(api);
    ASSERT_NE(route, nullptr) << api;
    EXPECT_EQ(route->path, node);
    EXPECT_EQ(route->method, method);
  }
  EXPECT_NE(find_proxy_route("/api/chain?x=1"), nullptr);
  // Peer-to-peer routes, other paths and tricks stay out.
  for (const char* refused :
       {"/api/add_block", "/api/register_node", "/chain", "/api/", "/api/chain/", "/api/../chain",
        "/api//chain", "/api/CHAIN", "/apichain", "/api/http://evil/chain"}) {
    EXPECT_EQ(find_proxy_route(refused), nullptr) << refused;
  }
}

TEST(WebApp, ForwardsARequestToTheConfiguredNodeOnly) {
  App app;
  app.fast.answers["POST /new_transaction"] =
      HttpResponse{201, "Success", "text/html; charset=utf-8"};
  HttpResponse answer = app.call("POST", "/api/new_transaction?to=http://evil:1/",
                                 R"({"author": "a", "content": "b"})");
  EXPECT_EQ(answer.status, 201);
  EXPECT_EQ(answer.body, "Success");
  ASSERT_EQ(app.fast.sent.size(), 1u);
  EXPECT_EQ(app.fast.sent[0].peer, kNode);
  EXPECT_EQ(app.fast.sent[0].request.method, "POST");
  EXPECT_EQ(app.fast.sent[0].request.target, "/new_transaction");  // no query passed on
  EXPECT_EQ(app.fast.sent[0].request.body, R"({"author": "a", "content": "b"})");
}

TEST(WebApp, RefusesUnknownRoutesWrongMethodsAndBigBodiesWithoutCallingTheNode) {
  App app;
  HttpResponse unknown = app.call("POST", "/api/add_block", "{}");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.content_type, "application/json");
  EXPECT_EQ(parse_json(unknown.body)["error"], "no API route /api/add_block");
  EXPECT_EQ(app.call("GET", "/api/new_transaction").status, 405);
  EXPECT_EQ(app.call("POST", "/api/mine", "{}").status, 405);
  EXPECT_EQ(app.call("POST", "/api/feed").status, 405);
  EXPECT_EQ(app.call("POST", "/api/new_transaction", std::string(1025, 'x')).status, 413);
  EXPECT_TRUE(app.fast.sent.empty());
  EXPECT_TRUE(app.slow.sent.empty());
}

TEST(WebApp, MiningGoesThroughTheSlowTransport) {
  App app;
  app.slow.answers["GET /mine"] = HttpResponse{200, "Block #1 is mined."};
  HttpResponse answer = app.call("GET", "/api/mine");
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, "Block #1 is mined.");
  EXPECT_EQ(app.slow.sent.size(), 1u);
  EXPECT_TRUE(app.fast.sent.empty());
}

TEST(WebApp, NodeAnswersKeepTheirStatusButNeverComeBackAsHtml) {
  App app;
  app.fast.answers["POST /new_transaction"] =
      HttpResponse{400, "Invalid transaction data: <script>x</script>", "text/html; charset=utf-8"};
  app.fast.answers["GET /chain"] = HttpResponse{200, R"({"chain": []})", "application/json"};
  HttpResponse rejected = app.call("POST", "/api/new_transaction", "{}");
  EXPECT_EQ(rejected.status, 400);
  EXPECT_EQ(rejected.body, "Invalid transaction data: <script>x</script>");
  EXPECT_EQ(rejected.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(app.call("GET", "/api/chain").content_type, "application/json");
}

TEST(WebApp, AFullPoolsRetryAfterReachesTheBrowserButNoOtherNodeHeader) {
  App app;
  app.fast.answers["POST /new_transaction"] =
      HttpResponse{503, "Pending pool full: try again", "text/html; charset=utf-8",
                   HttpHeaders{{"retry-after", "30"}, {"set-cookie", "a=b"}}};
  HttpResponse busy = app.call("POST", "/api/new_transaction", "{}");
  EXPECT_EQ(busy.status, 503);
  EXPECT_EQ(busy.header("Retry-After"), std::optional<std::string_view>("30"));
  EXPECT_EQ(busy.header("set-cookie"), std::nullopt);
}

TEST(WebApp, InfoCountsTheRequestsTheGuardRefusedByReason) {
  App app;
  app.app.count_refused("unknown_host");
  app.app.count_refused("unknown_host");
  app.app.count_refused("foreign_origin");
  const Json info = parse_json(app.call("GET", "/api/info").body);
  EXPECT_EQ(info["refused"], (Json{{"foreign_origin", 1}, {"unknown_host", 2}})) << info.dump();
  EXPECT_TRUE(app.fast.sent.empty());
}

TEST(WebApp, ADownNodeIsA502NamingTheNode) {
  App app;
  app.fast.down = true;
  app.slow.down = true;
  for (const char* target : {"/api/chain", "/api/status", "/api/mine", "/api/feed"}) {
    HttpResponse answer = app.call("GET", target);
    EXPECT_EQ(answer.status, 502) << target;
    EXPECT_EQ(answer.content_type, "application/json");
    Json body = parse_json(answer.body);
    EXPECT_EQ(body["node"], kNode);
    EXPECT_EQ(body["kind"], "unreachable");
    EXPECT_NE(body["error"].get<std::string>().find("The node at " + kNode + " did not answer"),
              std::string::npos)
        << body["error"];
    EXPECT_NE(body["error"].get<std::string>().find("Connection refused"), std::string::npos);
  }
}

// ---------- the feed ----------

TEST(Feed, PendingFirstThenNewerBlocksWithSignatureVerdicts) {
  Json tampered = signed_post("original", 20.5);
  tampered["content"] = "altered";
  Json chain{
      {"length", 3},
      {"peers", {"http://127.0.0.1:8001/"}},
      {"chain",
       {block_json(0, "g", Json::array()),
        block_json(1, "h1", {post("bob", "old", 10.5), signed_post("later in block 1", 11.5)}),
        block_json(2, "h2", Json::array({tampered}))}}};
  Json pending{post("carol", "waiting", 30.5), signed_post("newest", 31.5)};

  App app;
  app.fast.answers["GET /chain"] = HttpResponse{200, chain.dump(), "application/json"};
  app.fast.answers["GET /pending_tx"] = HttpResponse{200, pending.dump(), "application/json"};
  HttpResponse answer = app.call("GET", "/api/feed");
  ASSERT_EQ(answer.status, 200) << answer.body;
  Json feed = parse_json(answer.body);
  EXPECT_EQ(feed["height"], 2);
  EXPECT_EQ(feed["tip"], "h2");
  EXPECT_EQ(feed["pending"], 2);
  EXPECT_EQ(feed["total"], 5);
  EXPECT_EQ(feed["node"], kNode);
  EXPECT_EQ(feed["peers"], Json({"http://127.0.0.1:8001/"}));

  std::vector<std::string> contents, verdicts;
  for (const auto& p : feed["posts"]) {
    contents.push_back(p["content"]);
    verdicts.push_back(p["signature"]);
  }
  EXPECT_EQ(contents,
            (std::vector<std::string>{"newest", "waiting", "altered", "later in block 1", "old"}));
  EXPECT_EQ(verdicts,
            (std::vector<std::string>{"verified", "unsigned", "invalid", "verified", "unsigned"}));
  EXPECT_TRUE(feed["posts"][0]["block"].is_null());
  EXPECT_EQ(feed["posts"][2]["block"], (Json{{"index", 2}, {"hash", "h2"}}));
  EXPECT_EQ(feed["posts"][3]["block"]["index"], 1);
  EXPECT_EQ(feed["posts"][0]["public_key"].get<std::string>().size(), 64u);
  EXPECT_TRUE(feed["posts"][1]["public_key"].is_null());
}

TEST(Feed, VerifiesTheBytesTheNodeSentNotARoundedCopy) {
  // An integral float timestamp: signed as 7.0; the feed must not see it as the integer 7.
  Json signed_float = signed_post("float stamp", 7.0);
  std::string chain_text = R"({"chain": [{"index": 0, "hash": "g", "transactions": [)" +
                           canonical(signed_float) + "]}]}";
  auto feed = build_feed(parse_json(chain_text), Json::array(), 10);
  ASSERT_TRUE(feed);
  EXPECT_EQ((*feed)["posts"][0]["signature"], "verified");
  // The same post with the timestamp written as an integer is another message: invalid.
  std::string as_integer = chain_text;
  as_integer.replace(as_integer.find("7.0"), 3, "7");
  auto altered = build_feed(parse_json(as_integer), Json::array(), 10);
  ASSERT_TRUE(altered);
  EXPECT_EQ((*altered)["posts"][0]["signature"], "invalid");
}

TEST(Feed, KeepsTheNewestPostsUpToTheLimitAndCountsAll) {
  Json posts = Json::array();
  for (int i = 0; i < 10; ++i) posts.push_back(post("a", "p" + std::to_string(i), i + 0.5));
  auto feed = build_feed(Json{{"chain", {block_json(0, "g", posts)}}}, Json::array(), 3);
  ASSERT_TRUE(feed);
  EXPECT_EQ((*feed)["total"], 10);
  ASSERT_EQ((*feed)["posts"].size(), 3u);
  EXPECT_EQ((*feed)["posts"][0]["content"], "p9");
  EXPECT_EQ((*feed)["posts"][2]["content"], "p7");
}

TEST(Feed, NamesWhatIsWrongWithTheNodesData) {
  auto no_chain = build_feed(Json{{"length", 1}}, Json::array(), 10);
  ASSERT_FALSE(no_chain);
  EXPECT_NE(no_chain.error().find("\"chain\""), std::string::npos);
  auto bad_pending =
      build_feed(Json{{"chain", {block_json(0, "g", Json::array())}}}, Json::object(), 10);
  ASSERT_FALSE(bad_pending);
  EXPECT_NE(bad_pending.error().find("/pending_tx"), std::string::npos);
  auto bad_block =
      build_feed(Json{{"chain", {block_json(0, "g", Json::array()), Json{{"index", "one"}}}}},
                 Json::array(), 10);
  ASSERT_FALSE(bad_block);
  EXPECT_NE(bad_block.error().find("position 1"), std::string::npos);
  // A post that is not an object is counted, not shown, and breaks nothing.
  auto odd_post = build_feed(Json{{"chain", {block_json(0, "g", {42, post("a", "b", 1.5)})}}},
                             Json::array(), 10);
  ASSERT_TRUE(odd_post);
  EXPECT_EQ((*odd_post)["malformed"], 1);
  EXPECT_EQ((*odd_post)["posts"].size(), 1u);
}

TEST(Feed, UnusableAnswersFromTheNodeAre502) {
  App app;
  app.fast.answers["GET /chain"] = HttpResponse{404, "Not Found", "text/html"};
  app.fast.answers["GET /pending_tx"] = HttpResponse{200, "[]", "application/json"};
  HttpResponse not_found = app.call("GET", "/api/feed");
  EXPECT_EQ(not_found.status, 502);
  EXPECT_EQ(parse_json(not_found.body)["kind"], "bad_answer");
  EXPECT_NE(not_found.body.find("answered /chain with 404"), std::string::npos) << not_found.body;

  app.fast.answers["GET /chain"] = HttpResponse{200, "{not json", "application/json"};
  HttpResponse garbage = app.call("GET", "/api/feed");
  EXPECT_EQ(garbage.status, 502);
  EXPECT_NE(garbage.body.find("JSON we cannot read"), std::string::npos) << garbage.body;
}

TEST(Blocks, NewestFirstWithEachPostsVerdict) {
  Json tampered = signed_post("original", 20.5);
  tampered["content"] = "altered";
  Json chain{{"chain",
              {block_json(0, "g", Json::array()),
               block_json(1, "h1", {post("bob", "x", 1.5), signed_post("y", 2.5)}),
               block_json(2, "h2", {tampered, 7})}}};
  App app;
  app.fast.answers["GET /chain"] = HttpResponse{200, chain.dump(), "application/json"};
  HttpResponse answer = app.call("GET", "/api/blocks");
  ASSERT_EQ(answer.status, 200) << answer.body;
  Json blocks = parse_json(answer.body);
  EXPECT_EQ(blocks["total"], 3);
  ASSERT_EQ(blocks["blocks"].size(), 3u);
  EXPECT_EQ(blocks["blocks"][0]["block"], chain["chain"][2]);  // as the node sent it
  EXPECT_EQ(blocks["blocks"][0]["verdicts"], Json({"invalid", "invalid"}));
  EXPECT_EQ(blocks["blocks"][1]["verdicts"], Json({"unsigned", "verified"}));
  EXPECT_EQ(blocks["blocks"][2]["verdicts"], Json::array());

  auto limited = build_blocks(chain, 1);
  ASSERT_TRUE(limited);
  EXPECT_EQ((*limited)["total"], 3);
  ASSERT_EQ((*limited)["blocks"].size(), 1u);
  EXPECT_EQ((*limited)["blocks"][0]["block"]["hash"], "h2");
  EXPECT_FALSE(build_blocks(Json{{"chain", {Json{{"index", 0}}}}}, 10));

  app.fast.down = true;
  EXPECT_EQ(app.call("GET", "/api/blocks").status, 502);
}

TEST(Block, OneBlockFromTheNodeWithVerdicts) {
  const std::string hash(64, 'a');
  Json block = block_json(5, hash, {post("bob", "x", 1.5), signed_post("y", 2.5)});
  App app;
  app.fast.answers["GET /block/" + hash] = HttpResponse{200, block.dump(), "application/json"};
  HttpResponse answer = app.call("GET", "/api/block/" + hash);
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(parse_json(answer.body),
            (Json{{"block", block}, {"verdicts", {"unsigned", "verified"}}}));

  // Unknown to the node (or a reference node without the route): 404, not a failure of the node.
  const std::string unknown(64, 'b');
  app.fast.answers["GET /block/" + unknown] = HttpResponse{404, "Unknown block", "text/html"};
  EXPECT_EQ(app.call("GET", "/api/block/" + unknown).status, 404);
  // A node answering with another block is not believed.
  const std::string other(64, 'c');
  app.fast.answers["GET /block/" + other] = HttpResponse{200, block.dump(), "application/json"};
  EXPECT_EQ(app.call("GET", "/api/block/" + other).status, 502);
  const std::size_t sent = app.fast.sent.size();

  // Anything but a block hash never reaches the node.
  for (const std::string& bad :
       std::vector<std::string>{std::string(63, 'a'), std::string(64, 'A'), std::string(65, 'a'),
                                std::string(), "../chain", std::string(62, 'a') + "/x"}) {
    EXPECT_EQ(app.call("GET", "/api/block/" + bad).status, 400) << bad;
  }
  EXPECT_EQ(app.call("POST", "/api/block/" + hash).status, 405);
  EXPECT_EQ(app.fast.sent.size(), sent);

  app.fast.down = true;
  HttpResponse down = app.call("GET", "/api/block/" + hash);
  EXPECT_EQ(down.status, 502);
  EXPECT_EQ(parse_json(down.body)["kind"], "unreachable");
}

// ---------- the page ----------

TEST(Assets, ServedWithTheirContentTypes) {
  App app;
  HttpResponse index = app.call("GET", "/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_NE(index.body.find("<title>YourNet</title>"), std::string::npos);
  EXPECT_EQ(app.call("GET", "/index.html").body, index.body);
  EXPECT_EQ(app.call("GET", "/app.js?v=1").content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(app.call("GET", "/style.css").content_type, "text/css; charset=utf-8");
  EXPECT_EQ(app.call("GET", "/missing.js").status, 404);
  EXPECT_EQ(app.call("GET", "/../CMakeLists.txt").status, 404);
  EXPECT_EQ(app.call("POST", "/").status, 405);
  EXPECT_TRUE(app.fast.sent.empty());

  EXPECT_EQ(content_type_for("a.html"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for("x.json"), "application/json");
  EXPECT_EQ(content_type_for("x.svg"), "image/svg+xml");
  EXPECT_EQ(content_type_for("x"), "application/octet-stream");
}

TEST(Assets, EmbeddedBytesAreTheFilesInWebStatic) {
  ASSERT_EQ(all_assets().size(), 3u);
  for (const auto& asset : all_assets()) {
    std::ifstream file(std::string(YOURNET_WEB_STATIC_DIR) + std::string(asset.path),
                       std::ios::binary);
    ASSERT_TRUE(file) << asset.path;
    std::stringstream bytes;
    bytes << file.rdbuf();
    EXPECT_TRUE(bytes.str() == asset.body) << asset.path << " differs from its file in web/static";
  }
}

// ---------- over real sockets ----------

TEST(WebAppLive, ServesThePageAndReportsANodeThatIsNotThere) {
  asio::io_context io;
  // A port where nothing listens: bound, then released.
  unsigned short dead_port;
  {
    asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    dead_port = probe.local_endpoint().port();
  }
  const std::string dead_node = "http://127.0.0.1:" + std::to_string(dead_port) + "/";
  net::HttpTransport transport(
      io, net::HttpTransportOptions{std::chrono::milliseconds(2000), 1u << 24});
  WebApp app(WebAppOptions{dead_node}, transport, transport);
  net::HttpServerOptions options;
  options.port = 0;
  net::HttpServer server(io, options, [&app](HttpRequest request, WebApp::Respond respond) {
    app.handle(request, std::move(respond));
  });
  server.start();
  const std::string self = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
  auto guard = asio::make_work_guard(io);
  std::thread runner([&io] { io.run(); });

  auto call = [&](const std::string& target) {
    return test_support::blocking_call(io, transport, self, HttpRequest{"GET", target, ""},
                                       std::chrono::seconds(10));
  };
  HttpResponse page = call("/");
  HttpResponse feed = call("/api/feed");
  io.stop();
  runner.join();

  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(feed.status, 502);
  EXPECT_EQ(feed.content_type, "application/json");
  EXPECT_EQ(parse_json(feed.body)["node"], dead_node);
  EXPECT_NE(feed.body.find("connect"), std::string::npos) << feed.body;
}
