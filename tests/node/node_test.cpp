// Node behaviour through its API, on an in-memory network that delivers messages in FIFO order
// when drained: the tutorial's walkthrough, a fork resolved by a longer chain, and bad input.
#include <deque>
#include <map>
#include <memory>
#include <set>

#include <gtest/gtest.h>

#include "yournet/node/node.hpp"

using namespace yournet;

namespace {

class TestNetwork;

class FakeClock : public Clock {
 public:
  double now() const override { return seconds; }
  void after(double, std::function<void()>) override {}
  double seconds = 1795527804.25;
};

class InlineMiner : public MiningService {
 public:
  void mine(MiningRequest request, std::function<void(MiningResult)> done) override {
    done(yournet::mine(request));
  }
};

class TestNetwork : public Transport {
 public:
  Node& add(const std::string& address) {
    NodeConfig config;
    config.self_address = address;
    config.params.difficulty = Difficulty::bits(4);
    auto node = std::make_unique<Node>(config, *this, clock, miner);
    Node& ref = *node;
    nodes[address] = std::move(node);
    return ref;
  }
  void send(const std::string& peer, HttpRequest request, ResponseCallback done) override {
    queue.push_back([this, peer, request, done] {
      auto it = nodes.find(peer);
      if (it == nodes.end() || down.count(peer)) return done(std::nullopt, "connection refused");
      it->second->handle(request, [done](HttpResponse response) { done(response, ""); });
    });
  }
  void drain() {
    for (int steps = 0; !queue.empty() && steps < 10000; ++steps) {
      auto next = std::move(queue.front());
      queue.pop_front();
      next();
    }
  }
  // Calls a node's API as a client would and delivers everything that follows.
  HttpResponse call(const std::string& address, const std::string& method, const std::string& target,
                    const std::string& body = "") {
    HttpResponse out{-1, ""};
    nodes.at(address)->handle(HttpRequest{method, target, body}, [&](HttpResponse r) { out = r; });
    drain();
    return out;
  }

  FakeClock clock;
  InlineMiner miner;
  std::map<std::string, std::unique_ptr<Node>> nodes;
  std::set<std::string> down;
  std::deque<std::function<void()>> queue;
};

const std::string A = "http://127.0.0.1:8000/", B = "http://127.0.0.1:8001/", C = "http://127.0.0.1:8002/";

TEST(Node, TutorialWalkthroughConvergesAllNodes) {
  TestNetwork net;
  net.add(A), net.add(B), net.add(C);
  EXPECT_EQ(net.call(B, "POST", "/register_with", R"({"node_address": "http://127.0.0.1:8000"})").status, 200);
  EXPECT_EQ(net.call(C, "POST", "/register_with", R"({"node_address": "http://127.0.0.1:8000/"})").status, 200);
  EXPECT_EQ(net.call(A, "POST", "/new_transaction", R"({"author": "alice", "content": "hi"})").status, 201);
  auto pending = parse_json(net.call(A, "GET", "/pending_tx").body);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_TRUE(pending[0]["timestamp"].is_number_float());
  auto mined = net.call(A, "GET", "/mine");
  EXPECT_EQ(mined.body, "Block #1 is mined.");
  for (const auto& address : {A, B, C}) {
    EXPECT_EQ(net.nodes[address]->tree().height(), 1u) << address;
    EXPECT_EQ(net.nodes[address]->tree().tip().hash, net.nodes[A]->tree().tip().hash);
  }
  EXPECT_EQ(net.call(A, "GET", "/mine").body, "No transactions to mine");
  auto chain = parse_json(net.call(B, "GET", "/chain").body);
  EXPECT_EQ(chain["length"], 2);
  EXPECT_TRUE(validate_chain(chain, ChainParams{Difficulty::bits(4)}).has_value());
}

TEST(Node, ForkResolvesToLongerChainAndLosingPostsReturnToPool) {
  TestNetwork net;
  net.add(A), net.add(B);
  net.call(A, "POST", "/new_transaction", R"({"author": "a", "content": "only on A"})");
  net.call(B, "POST", "/new_transaction", R"({"author": "b", "content": "on B"})");
  net.call(A, "GET", "/mine");
  net.call(B, "GET", "/mine");
  ASSERT_NE(net.nodes[A]->tree().tip().hash, net.nodes[B]->tree().tip().hash);
  net.call(B, "POST", "/new_transaction", R"({"author": "b", "content": "B again"})");
  net.call(B, "GET", "/mine");  // B is now two blocks ahead
  EXPECT_EQ(net.call(A, "POST", "/register_with", R"({"node_address": "http://127.0.0.1:8001"})").status, 200);
  EXPECT_EQ(net.nodes[A]->tree().height(), 2u);
  EXPECT_EQ(net.nodes[A]->tree().tip().hash, net.nodes[B]->tree().tip().hash);
  // A's abandoned post is pending again, not lost.
  auto pending = parse_json(net.call(A, "GET", "/pending_tx").body);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0]["content"], "only on A");
}

TEST(Node, BadInputIsRefusedWithReasonAndLeavesStateUnchanged) {
  TestNetwork net;
  net.add(A);
  const Json before = net.nodes[A]->chain_body();
  struct Case {
    std::string method, target, body;
    int status;
  } cases[] = {
      {"POST", "/new_transaction", "{not json", 400},
      {"POST", "/new_transaction", "[1,2]", 400},
      {"POST", "/new_transaction", R"({"author": "", "content": "x"})", 400},
      {"POST", "/new_transaction", R"({"author": "a"})", 400},
      {"POST", "/new_transaction", R"({"author": 5, "content": "x"})", 400},
      {"POST", "/new_transaction", R"({"author": "a", "content": "x", "n": 123456789012345678901234})", 400},
      {"POST", "/new_transaction", R"({"author": "a", "content": "x", "timestamp": 1.5, "public_key": "00", "signature": "00"})", 400},
      {"POST", "/add_block", R"({"index": 1})", 400},
      {"POST", "/add_block", R"({"index": 1, "transactions": [], "timestamp": 1.0, "previous_hash": "x", "nonce": 0, "hash": "00"})", 400},
      {"POST", "/register_node", R"({"node_address": "ftp://x"})", 400},
      {"POST", "/register_with", R"({"node_address": "http://example.com/evil?x"})", 400},
      {"GET", "/nowhere", "", 404},
      {"GET", "/new_transaction", "", 405},
      {"POST", "/chain", "", 405},
  };
  for (const auto& c : cases) {
    auto response = net.call(A, c.method, c.target, c.body);
    EXPECT_EQ(response.status, c.status) << c.method << " " << c.target << " " << c.body;
    EXPECT_FALSE(response.body.empty());
  }
  EXPECT_EQ(net.nodes[A]->chain_body(), before);
  EXPECT_EQ(net.nodes[A]->mempool().size(), 0u);
}

TEST(Node, KnownBlockIsAcceptedIdempotentlyAndOrphanTriggersSync) {
  TestNetwork net;
  net.add(A), net.add(B);
  net.call(B, "POST", "/register_with", R"({"node_address": "http://127.0.0.1:8000"})");
  net.call(A, "POST", "/new_transaction", R"({"author": "a", "content": "1"})");
  net.call(A, "GET", "/mine");
  net.call(A, "POST", "/new_transaction", R"({"author": "a", "content": "2"})");
  net.down.insert(B);
  net.call(A, "GET", "/mine");  // B misses block 2
  net.down.clear();
  net.call(A, "POST", "/new_transaction", R"({"author": "a", "content": "3"})");
  net.call(A, "GET", "/mine");  // block 3 reaches B as an orphan; B fetches A's chain
  EXPECT_EQ(net.nodes[B]->tree().height(), 3u);
  auto block = block_to_json(net.nodes[A]->tree().tip()).dump();
  EXPECT_EQ(net.call(B, "POST", "/add_block", block).status, 201);
  EXPECT_EQ(net.nodes[B]->tree().size(), 4u);
}

TEST(Node, RegisterWithLearnsThePeersPeersWithinTheBoundNeverItself) {
  TestNetwork net;
  net.add(A), net.add(B), net.add(C);
  const std::string D = "http://127.0.0.1:8003/", E = "http://127.0.0.1:8004/";
  net.add(D);
  for (const auto& address : {B, C, D}) {
    EXPECT_EQ(net.call(A, "POST", "/register_node", R"({"node_address": ")" + address + "\"}").status, 200);
  }
  // E may keep three peers: A, then two of A's other peers in A's order; never E itself.
  NodeConfig config;
  config.self_address = E;
  config.params.difficulty = Difficulty::bits(4);
  config.max_peers = 3;
  net.nodes[E] = std::make_unique<Node>(config, net, net.clock, net.miner);
  EXPECT_EQ(net.call(E, "POST", "/register_with", R"({"node_address": "http://127.0.0.1:8000"})").status, 200);
  EXPECT_EQ(net.nodes[A]->peers(), (std::vector<std::string>{B, C, D, E}));
  EXPECT_EQ(net.nodes[E]->peers(), (std::vector<std::string>{A, B, C}));
}

TEST(Node, PeerAddressesAreNormalized) {
  EXPECT_EQ(normalize_peer_address("http://127.0.0.1:8001"), "http://127.0.0.1:8001/");
  EXPECT_EQ(normalize_peer_address("http://localhost:80/"), "http://localhost:80/");
  EXPECT_FALSE(normalize_peer_address("https://a:1"));
  EXPECT_FALSE(normalize_peer_address("http://a"));
  EXPECT_FALSE(normalize_peer_address("http://a:99999"));
  EXPECT_FALSE(normalize_peer_address("http://a:1/chain"));
  EXPECT_FALSE(normalize_peer_address("http://user@a:1"));
}

}  // namespace
