// The HTTP adapter: a route is parsed once, 404 and 405 as the reference, and each typed outcome
// of the node becomes its status and body; every answer is counted, every refusal reported.
#include "yournet/node/http_api.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "node_doubles.hpp"
#include "test_util.hpp"

using namespace yournet;
using yournet::test::FixedClock;
using yournet::test::InlineMiner;
using yournet::test::make_post;
using yournet::test::mine_child;
using yournet::test::OfflineTransport;

namespace {

class Events : public NodeObserver {
 public:
  void on_event(const NodeEvent& event) override {
    if (auto* rejected = std::get_if<event::RequestRejected>(&event))
      rejected_.push_back(*rejected);
  }
  std::vector<event::RequestRejected> rejected_;
};

struct Served {
  explicit Served(NodeConfig config = base_config())
      : node(std::move(config), transport, clock, miner, &events) {}
  static NodeConfig base_config() {
    NodeConfig config;
    config.self_address = "http://127.0.0.1:8000/";
    config.params = yournet::test::fast_params();
    return config;
  }
  HttpResponse call(const std::string& method, const std::string& target,
                    const std::string& body = "") {
    std::optional<HttpResponse> out;
    handle_request(node, HttpRequest{method, target, body}, [&](HttpResponse r) { out = r; });
    EXPECT_TRUE(out) << method << " " << target << " got no answer";
    return out.value_or(HttpResponse{-1, ""});
  }
  OfflineTransport transport;
  FixedClock clock;
  InlineMiner miner;
  Events events;
  Node node;
};

TEST(HttpApi, ParsesEachRouteOnceAndIgnoresTheQuery) {
  for (const RouteSpec& spec : kRoutes) {
    EXPECT_EQ(parse_route(spec.path), spec.route) << spec.path;
    EXPECT_EQ(route_path(spec.route), std::string(spec.path));
  }
  EXPECT_EQ(parse_route("/chain?x=1"), Route::chain);
  EXPECT_EQ(parse_route("/block/" + std::string(64, 'a')), Route::block);
  EXPECT_EQ(parse_route("/block/anything?x"), Route::block);
  EXPECT_EQ(parse_route("/block"), std::nullopt);
  EXPECT_EQ(parse_route("/chains"), std::nullopt);
  EXPECT_EQ(parse_route(""), std::nullopt);
  EXPECT_EQ(route_label(HttpRequest{"GET", "/nope"}), "other");
  EXPECT_EQ(route_label(HttpRequest{"GET", "/block/xyz"}), "/block/");
}

TEST(HttpApi, UnknownPathIs404AndWrongMethod405NamingTheRightOne) {
  Served s;
  HttpResponse missing = s.call("GET", "/nope?x=1");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, "Not found: /nope");
  HttpResponse wrong = s.call("GET", "/new_transaction");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.body, "Method GET not allowed on /new_transaction; use POST");
  HttpResponse block = s.call("POST", "/block/abc");
  EXPECT_EQ(block.status, 405);
  EXPECT_EQ(block.body, "Method POST not allowed on /block/; use GET");
}

TEST(HttpApi, EachPostRefusalHasItsStatus) {
  NodeConfig config = Served::base_config();
  config.policy.mempool.max_posts = 1;
  config.policy.mempool.max_post_bytes = 200;
  config.policy.pool_full_retry_after_s = 9;
  Served s(config);
  const std::string big = make_post("a", std::string(300, 'x')).dump();
  HttpResponse too_big = s.call("POST", "/new_transaction", big);
  EXPECT_EQ(too_big.status, 400);
  EXPECT_TRUE(too_big.body.str().starts_with("Invalid transaction data: post is ")) << too_big.body;
  HttpResponse invalid = s.call("POST", "/new_transaction", R"({"author": "", "content": "x"})");
  EXPECT_EQ(invalid.status, 400);
  EXPECT_NE(invalid.body.find("malformed_post"), std::string::npos) << invalid.body;
  EXPECT_EQ(s.call("POST", "/new_transaction", make_post("a", "one").dump()).status, 201);
  HttpResponse duplicate = s.call("POST", "/new_transaction", make_post("a", "one").dump());
  EXPECT_EQ(duplicate.status, 400);
  HttpResponse full = s.call("POST", "/new_transaction", make_post("a", "two").dump());
  EXPECT_EQ(full.status, 503);
  EXPECT_TRUE(full.body.str().starts_with("Pending pool full: ")) << full.body;
  EXPECT_EQ(full.header("Retry-After"), "9");
  HttpResponse not_object = s.call("POST", "/new_transaction", "[1]");
  EXPECT_EQ(not_object.status, 400);
  EXPECT_EQ(not_object.body, "request body must be a JSON object");
}

TEST(HttpApi, EachBlockVerdictHasItsAnswer) {
  EXPECT_EQ(block_answer(BlockVerdict{AddStatus::added, std::nullopt}).status, 201);
  EXPECT_EQ(block_answer(BlockVerdict{AddStatus::already_known, std::nullopt}).body,
            "Block added to the chain");
  HttpResponse orphan = block_answer(BlockVerdict{AddStatus::orphan, std::nullopt});
  EXPECT_EQ(orphan.status, 202);
  EXPECT_EQ(orphan.body, "Block kept until its parent arrives");
  ValidationError error{Rule::bad_hash, 3, std::nullopt, std::nullopt, "stored hash differs"};
  HttpResponse invalid = block_answer(BlockVerdict{AddStatus::invalid, error});
  EXPECT_EQ(invalid.status, 400);
  EXPECT_EQ(invalid.body, "The block was discarded by the node: " + error.message());
  for (const BlockVerdict& verdict :
       {BlockVerdict{AddStatus::added, std::nullopt},
        BlockVerdict{AddStatus::already_known, std::nullopt},
        BlockVerdict{AddStatus::orphan, std::nullopt}, BlockVerdict{AddStatus::invalid, error}}) {
    EXPECT_EQ(block_answer_bytes(verdict), block_answer(verdict).body.size());
  }

  Served s;
  Block tampered = mine_child(genesis_block(), {make_post("a", "b")});
  tampered.transactions[0]["content"] = "changed";
  HttpResponse refused = s.call("POST", "/add_block", block_to_json(tampered).dump());
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("bad_hash"), std::string::npos) << refused.body;
  HttpResponse malformed = s.call("POST", "/add_block", R"({"index": "one"})");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_TRUE(malformed.body.str().starts_with("The block was discarded by the node: "));
}

TEST(HttpApi, EachPeerRefusalHasItsMessage) {
  NodeConfig config = Served::base_config();
  config.policy.max_peers = 1;
  Served s(config);
  const auto address = [](const std::string& a) { return Json{{"node_address", a}}.dump(); };
  HttpResponse missing = s.call("POST", "/register_node", "{}");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.body, "\"node_address\" must be http://host:port");
  HttpResponse self = s.call("POST", "/register_node", address("http://127.0.0.1:8000"));
  EXPECT_EQ(self.status, 400);
  EXPECT_EQ(self.body, "\"node_address\" is this node's own address");
  HttpResponse added = s.call("POST", "/register_node", address("http://127.0.0.1:8001"));
  EXPECT_EQ(added.status, 200);
  EXPECT_EQ(added.content_type, "application/json");
  HttpResponse full = s.call("POST", "/register_with", address("http://127.0.0.1:8002"));
  EXPECT_EQ(full.status, 400);
  EXPECT_EQ(full.body, "this node has as many peers as it takes (1)");
}

TEST(HttpApi, ARegistrationThatFailsIs502SayingWhenItIsTriedAgain) {
  Served s;
  HttpResponse failed =
      s.call("POST", "/register_with", R"({"node_address": "http://127.0.0.1:8001"})");
  EXPECT_EQ(failed.status, 502);
  EXPECT_EQ(failed.body, "Registration failed: offline; trying again in 2.0 s (attempt 2 of 6)");
}

TEST(HttpApi, MineAnswersTheReferencesMessages) {
  Served s;
  EXPECT_EQ(s.call("GET", "/mine").body, "No transactions to mine");
  ASSERT_TRUE(s.node.submit_post(make_post("a", "b")));
  HttpResponse mined = s.call("GET", "/mine");
  EXPECT_EQ(mined.status, 200);
  EXPECT_EQ(mined.body, "Block #1 is mined.");
  EXPECT_EQ(mine_message(MineOutcome{MineStatus::already_mining, nullptr}),
            "Mining is already in progress");
  EXPECT_EQ(mine_message(MineOutcome{MineStatus::stopped, nullptr}), "Mining was stopped");
}

TEST(HttpApi, BlockByHashChecksTheHashThenLooksItUp) {
  Served s;
  EXPECT_EQ(s.call("GET", "/block/xyz").body, "a block hash is 64 lowercase hex digits");
  const std::string unknown(64, 'a');
  HttpResponse missing = s.call("GET", "/block/" + unknown);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, "Unknown block " + unknown);
  HttpResponse genesis = s.call("GET", std::string("/block/") + kGenesisHash);
  EXPECT_EQ(genesis.status, 200);
  EXPECT_EQ(parse_json(genesis.body.str())["hash"], kGenesisHash);
}

TEST(HttpApi, CountsEveryAnswerAndReportsEveryRefusal) {
  Served s;
  s.call("GET", "/chain");
  s.call("GET", "/nope");
  s.call("POST", "/new_transaction", "not json");
  const auto& requests = s.node.metrics().requests;
  EXPECT_EQ(requests.at({"/chain", 200}), 1u);
  EXPECT_EQ(requests.at({"other", 404}), 1u);
  EXPECT_EQ(requests.at({"/new_transaction", 400}), 1u);
  ASSERT_EQ(s.events.rejected_.size(), 2u) << "the 404 and the 400, not the 200";
  EXPECT_EQ(s.events.rejected_[0].route, "other");
  EXPECT_EQ(s.events.rejected_[1].status, 400);

  std::optional<HttpResponse> refused;
  refuse_request(s.node, HttpRequest{"POST", "/mine?x"}, HttpResponse{403, "no"}, "foreign_origin",
                 [&](HttpResponse r) { refused = r; });
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  EXPECT_EQ(requests.at({"/mine", 403}), 1u);
  EXPECT_EQ(s.node.metrics().requests_refused.at("foreign_origin"), 1u);
}

}  // namespace
