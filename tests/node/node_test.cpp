// Node behaviour through its API, on an in-memory network that delivers messages in FIFO order
// when drained: the tutorial's walkthrough, a fork resolved by a longer chain, and bad input.
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <memory>
#include <set>

#include "node_doubles.hpp"
#include "test_util.hpp"
#include "yournet/node/http_api.hpp"
#include "yournet/printable.hpp"

using namespace yournet;
using yournet::test::FixedClock;
using yournet::test::InlineMiner;
using yournet::test::ManualClock;
using yournet::test::mine_child;

namespace {

class TestNetwork;

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
    ++sent[request.target];
    if (!done) done = [](const std::optional<HttpResponse>&, const std::string&) {};
    queue.push_back([this, peer, request, done] {
      auto it = nodes.find(peer);
      if (it == nodes.end() || down.count(peer)) return done(std::nullopt, "connection refused");
      handle_request(*it->second, request, [done](HttpResponse response) { done(response, ""); });
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
  HttpResponse call(const std::string& address, const std::string& method,
                    const std::string& target, const std::string& body = "",
                    HttpHeaders headers = {}) {
    HttpResponse out{-1, ""};
    handle_request(*nodes.at(address), HttpRequest{method, target, body, std::move(headers)},
                   [&](HttpResponse r) { out = r; });
    drain();
    return out;
  }
  // Lets `seconds` pass: the nodes' timers fire, and what they send is delivered.
  void wait(double seconds) {
    clock.advance(seconds, [this] { drain(); });
  }

  ManualClock clock;
  InlineMiner miner;
  std::map<std::string, std::unique_ptr<Node>> nodes;
  std::set<std::string> down;
  std::deque<std::function<void()>> queue;
  std::map<std::string, int> sent;  // requests sent, by target
};

const std::string A = "http://127.0.0.1:8000/", B = "http://127.0.0.1:8001/",
                  C = "http://127.0.0.1:8002/";

TEST(Node, TutorialWalkthroughConvergesAllNodes) {
  TestNetwork net;
  net.add(A), net.add(B), net.add(C);
  EXPECT_EQ(
      net.call(B, "POST", "/register_with", R"({"node_address": "http://127.0.0.1:8000"})").status,
      200);
  EXPECT_EQ(
      net.call(C, "POST", "/register_with", R"({"node_address": "http://127.0.0.1:8000/"})").status,
      200);
  EXPECT_EQ(
      net.call(A, "POST", "/new_transaction", R"({"author": "alice", "content": "hi"})").status,
      201);
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
  EXPECT_EQ(
      net.call(A, "POST", "/register_with", R"({"node_address": "http://127.0.0.1:8001"})").status,
      200);
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
      {"POST", "/new_transaction",
       R"({"author": "a", "content": "x", "n": 123456789012345678901234})", 400},
      {"POST", "/new_transaction",
       R"({"author": "a", "content": "x", "timestamp": 1.5, "public_key": "00", "signature": "00"})",
       400},
      {"POST", "/add_block", R"({"index": 1})", 400},
      {"POST", "/add_block",
       R"({"index": 1, "transactions": [], "timestamp": 1.0, "previous_hash": "x", "nonce": 0, "hash": "00"})",
       400},
      {"POST", "/register_node", R"({"node_address": "ftp://x"})", 400},
      {"POST", "/register_with", R"({"node_address": "http://example.com/evil?x"})", 400},
      {"POST", "/register_with", R"({"node_address": "http://127.0.0.1:8000"})", 400},  // itself
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

// Every refusal is reported to the observer, whose detail a live node writes as a JSON log line:
// bytes that are not UTF-8 (in a body, a path, a method) once made writing it throw, and the
// request got 500. Each is now a 4xx quoting the bytes printably.
TEST(Node, InvalidUtf8AnywhereIsRefusedAndItsReportCanBeWritten) {
  struct DumpingObserver : NodeObserver {
    void on_event(const NodeEvent& event) override { lines.push_back(event_detail(event).dump()); }
    std::vector<std::string> lines;
  } observer;
  yournet::test::OfflineTransport transport;
  FixedClock clock;
  InlineMiner miner;
  NodeConfig config;
  config.self_address = A;
  Node node(config, transport, clock, miner, &observer);
  const std::string chain_before = node.chain_body().dump();
  struct Case {
    std::string method, target, body;
    int status;
  } cases[] = {
      {"POST", "/new_transaction", "{\"author\": \"\xff\", \"content\": \"x\"}", 400},
      {"POST", "/new_transaction", "{\"author\": \"a\", \"content\": \"\\ud800\"}", 400},
      {"POST", "/new_transaction", "{\"author\": \"a\", \"author\": \"b\", \"content\": \"x\"}",
       400},
      {"POST", "/add_block", "{\"index\": \"\xc3\x28\"}", 400},
      {"POST", "/register_node", "\xfe\xff", 400},
      {"GET", "/\xff\xfe", "", 404},
      {"G\xffT", "/chain", "", 405},
      {"POST", "/new_transaction", std::string(100, '[') + std::string(100, ']'), 400},
  };
  for (const auto& c : cases) {
    HttpResponse response{-1, ""};
    EXPECT_NO_THROW(handle_request(node, HttpRequest{c.method, c.target, c.body},
                                   [&](HttpResponse r) { response = std::move(r); }));
    EXPECT_EQ(response.status, c.status) << printable(c.method + " " + c.target + " " + c.body);
    EXPECT_NO_THROW(Json(response.body).dump()) << response.body;
  }
  EXPECT_EQ(observer.lines.size(), std::size(cases));
  EXPECT_EQ(node.chain_body().dump(), chain_before);
  EXPECT_EQ(node.mempool().size(), 0u);
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
    EXPECT_EQ(
        net.call(A, "POST", "/register_node", R"({"node_address": ")" + address + "\"}").status,
        200);
  }
  // E may keep three peers: A, then two of A's other peers in A's order; never E itself.
  NodeConfig config;
  config.self_address = E;
  config.params.difficulty = Difficulty::bits(4);
  config.policy.max_peers = 3;
  net.nodes[E] = std::make_unique<Node>(config, net, net.clock, net.miner);
  EXPECT_EQ(
      net.call(E, "POST", "/register_with", R"({"node_address": "http://127.0.0.1:8000"})").status,
      200);
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

TEST(Node, OrphanBurstCostsAtMostTwoConsensusRounds) {
  TestNetwork net;
  Node& a = net.add(A);
  net.add(B), net.add(C);
  ASSERT_TRUE(a.add_peer(B));
  ASSERT_TRUE(a.add_peer(C));
  // Blocks whose parent nobody has: each would start a fetch of every peer's whole chain.
  Block unknown_parent = genesis_block();
  unknown_parent.index = 7;
  unknown_parent.hash = std::string(64, 'e');
  for (int i = 0; i < 50; ++i) {
    Block orphan = mine_child(unknown_parent, {}, Difficulty::bits(4), i);
    HttpResponse answer{-1, ""};
    handle_request(a, HttpRequest{"POST", "/add_block", block_to_json(orphan).dump()},
                   [&](HttpResponse r) { answer = r; });
    ASSERT_EQ(answer.status, 202) << answer.body;
  }
  EXPECT_EQ(net.sent["/chain"], 2);  // one round in flight
  int rounds_done = 0;
  a.run_consensus([&] { ++rounds_done; });
  net.drain();
  EXPECT_EQ(net.sent["/chain"], 4);  // and one more after it, for every call made meanwhile
  EXPECT_EQ(rounds_done, 1);
  a.run_consensus([&] { ++rounds_done; });  // idle again: a round of its own
  net.drain();
  EXPECT_EQ(net.sent["/chain"], 6);
  EXPECT_EQ(rounds_done, 2);
}

TEST(Node, FailedRegistrationGivesThePeersStatusButNotItsBody) {
  TestNetwork net;
  net.add(A);
  NodeConfig full;  // a node that takes no peers
  full.self_address = B;
  full.params.difficulty = Difficulty::bits(4);
  full.policy.max_peers = 0;
  net.nodes[B] = std::make_unique<Node>(full, net, net.clock, net.miner);
  HttpResponse answer =
      net.call(A, "POST", "/register_with", R"({"node_address": "http://127.0.0.1:8001"})");
  EXPECT_EQ(answer.status, 502);
  EXPECT_EQ(answer.body, "Registration failed: peer answered 400");
  EXPECT_TRUE(net.nodes[A]->peers().empty());
  // And a node with no room for the peer says so before contacting it, rather than adopting its
  // chain and answering "Registration successful" without keeping it.
  net.sent.clear();
  answer = net.call(B, "POST", "/register_with", R"({"node_address": "http://127.0.0.1:8000"})");
  EXPECT_EQ(answer.status, 400);
  EXPECT_EQ(answer.body, "this node has as many peers as it takes (0)");
  EXPECT_TRUE(net.sent.empty());
}

TEST(Node, AChainThatCannotChangeAnythingIsNotValidatedAgain) {
  TestNetwork net;
  Node& a = net.add(A);
  for (const char* content : {"1", "2"}) {
    net.call(A, "POST", "/new_transaction",
             R"({"author": "a", "content": ")" + std::string(content) + "\"}");
    ASSERT_EQ(net.call(A, "GET", "/mine").body, std::string("Block #") + content + " is mined.");
  }
  // Our own chain, as a peer in step sends it every sync round: not worth the cost of checking
  // every block of it again (a forged middle block, which validation would catch, shows it is not).
  Json same = a.chain_body();
  same["chain"][1]["transactions"][0]["content"] = "forged";
  EXPECT_EQ(a.accept_chain(ChainText(same.dump()), B), std::nullopt);
  // Longer, or ending elsewhere: validated.
  Json longer = same;
  longer["chain"].push_back(longer["chain"][2]);
  EXPECT_TRUE(a.accept_chain(ChainText(longer.dump()), B));
  Json unknown_tip = same;
  unknown_tip["chain"][2]["hash"] = std::string(64, '0');
  EXPECT_TRUE(a.accept_chain(ChainText(unknown_tip.dump()), B));
  EXPECT_EQ(a.tree().size(), 3u);
}

TEST(Node, MinedBlocksStayWithinWhatPeersAccept) {
  TestNetwork net;
  Node& a = net.add(A);
  Node& b = net.add(B);
  ASSERT_EQ(
      net.call(B, "POST", "/register_with", R"({"node_address": "http://127.0.0.1:8000"})").status,
      200);
  for (int i = 0; i < 20; ++i) {  // 1.2 MB of posts in all
    const Json post{{"author", "a"}, {"content", std::to_string(i) + std::string(60000, 'x')}};
    ASSERT_EQ(net.call(A, "POST", "/new_transaction", post.dump()).status, 201);
  }
  ASSERT_EQ(net.call(A, "GET", "/mine").body, "Block #1 is mined.");
  EXPECT_LT(block_to_json(a.tree().tip()).dump().size(), 1u << 20);
  EXPECT_GT(a.mempool().size(), 0u);
  ASSERT_EQ(net.call(A, "GET", "/mine").body, "Block #2 is mined.");
  EXPECT_EQ(a.mempool().size(), 0u);
  EXPECT_EQ(b.tree().tip().hash, a.tree().tip().hash);
}

TEST(Node, ASignedPostWithoutItsTimestampIsToldSo) {
  TestNetwork net;
  net.add(A);
  HttpResponse answer =
      net.call(A, "POST", "/new_transaction",
               R"({"author": "a", "content": "x", "public_key": "00", "signature": "00"})");
  EXPECT_EQ(answer.status, 400);
  EXPECT_NE(answer.body.find("must carry its own \"timestamp\""), std::string::npos) << answer.body;
}

TEST(Node, RegistrationWithAHostThatIsNoNodeQuotesNothingOfItsAnswer) {
  class Canned : public Transport {
   public:
    void send(const std::string&, HttpRequest, ResponseCallback done) override {
      done(HttpResponse{200, "\"secret admin page"}, "");  // unterminated: quoted by the parser
    }
  } web_server;
  FixedClock clock;
  InlineMiner miner;
  NodeConfig config;
  config.self_address = A;
  Node node(config, web_server, clock, miner);
  HttpResponse answer{-1, ""};
  handle_request(node,
                 HttpRequest{"POST", "/register_with", R"({"node_address": "http://10.0.0.1:80"})"},
                 [&](HttpResponse r) { answer = r; });
  EXPECT_EQ(answer.status, 502);
  EXPECT_EQ(answer.body.find("secret"), std::string::npos) << answer.body;
  EXPECT_TRUE(node.peers().empty());
}

TEST(Node, BlocksAdoptedFromAPeersChainAreRelayedDownALine) {
  // A - B - C - D, each knowing only its neighbours.
  TestNetwork net;
  const std::string D = "http://127.0.0.1:8003/";
  std::vector<Node*> line = {&net.add(A), &net.add(B), &net.add(C), &net.add(D)};
  const std::vector<std::string> addresses = {A, B, C, D};
  for (std::size_t i = 0; i + 1 < line.size(); ++i) {
    ASSERT_TRUE(line[i]->add_peer(addresses[i + 1]));
    ASSERT_TRUE(line[i + 1]->add_peer(addresses[i]));
  }
  // B misses block 1, so block 2 reaches it as an orphan and B adopts both from A's chain.
  net.down.insert(B);
  net.call(A, "POST", "/new_transaction", R"({"author": "a", "content": "1"})");
  ASSERT_EQ(net.call(A, "GET", "/mine").body, "Block #1 is mined.");
  net.down.clear();
  net.call(A, "POST", "/new_transaction", R"({"author": "a", "content": "2"})");
  ASSERT_EQ(net.call(A, "GET", "/mine").body, "Block #2 is mined.");
  for (Node* node : line) EXPECT_EQ(node->tree().height(), 2u);
}

TEST(Node, APeersUnchangedChainIsNotParsedAgain) {
  class SameAnswer : public Transport {  // a peer whose chain never changes (and is invalid)
   public:
    void send(const std::string&, HttpRequest, ResponseCallback done) override {
      done(HttpResponse{200, body}, "");
    }
    std::string body = R"({"length": 1, "chain": [], "peers": []})";
  } peer;
  class Counter : public NodeObserver {
   public:
    void on_event(const NodeEvent& event) override {
      rejected += std::holds_alternative<event::ChainRejected>(event);
    }
    int rejected = 0;
  } events;
  FixedClock clock;
  InlineMiner miner;
  NodeConfig config;
  config.self_address = A;
  Node node(config, peer, clock, miner, &events);
  ASSERT_TRUE(node.add_peer(B));
  node.run_consensus([] {});
  node.run_consensus([] {});
  EXPECT_EQ(events.rejected, 1);
  peer.body = "not json";  // a new answer is looked at
  node.run_consensus([] {});
  EXPECT_EQ(events.rejected, 2);
}

TEST(Node, SyncRunsOneConsensusRoundAndAnswersHeightAndTipOnceItIsDone) {
  TestNetwork net;
  Node& a = net.add(A);
  net.add(B);
  HttpResponse alone = net.call(A, "POST", "/sync");
  EXPECT_EQ(alone.status, 200);
  EXPECT_EQ(alone.content_type, "application/json");
  EXPECT_EQ(parse_json(alone.body), (Json{{"height", 0}, {"tip", genesis_block().hash}}));

  // B mines a block A does not hear of; A's sync fetches it.
  net.call(B, "POST", "/new_transaction", R"({"author": "b", "content": "on B"})");
  ASSERT_EQ(net.call(B, "GET", "/mine").body, "Block #1 is mined.");
  ASSERT_TRUE(a.add_peer(B));
  ASSERT_EQ(a.tree().height(), 0u);
  HttpResponse answer{-1, ""};
  handle_request(a, HttpRequest{"POST", "/sync", ""}, [&](HttpResponse r) { answer = r; });
  EXPECT_EQ(answer.status, -1);  // not before the round is done
  net.drain();
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(parse_json(answer.body),
            (Json{{"height", 1}, {"tip", net.nodes[B]->tree().tip().hash}}));
  EXPECT_EQ(net.sent["/chain"], 1);
  EXPECT_EQ(net.call(A, "GET", "/sync").status, 405);
}

// ---- catching up (issue 14) -------------------------------------------------------------------

// Posts and mines one block at `node`.
void mine_one(TestNetwork& net, const std::string& node, const std::string& content) {
  ASSERT_EQ(net.call(node, "POST", "/new_transaction",
                     R"({"author": "m", "content": ")" + content + "\"}")
                .status,
            201);
  ASSERT_EQ(net.call(node, "GET", "/mine").status, 200);
}

TEST(Node, AJoinerWhoseRegistrationAnswerWasLostCatchesUpFromTheBlocksItIsSent) {
  // B asked A to register it and A did, but the answer was lost: B has no peer, A has B.
  TestNetwork net;
  net.add(A), net.add(B);
  mine_one(net, A, "1");
  mine_one(net, A, "2");
  ASSERT_EQ(net.call(A, "POST", "/register_node", R"({"node_address": ")" + B + "\"}").status, 200);
  ASSERT_TRUE(net.nodes[B]->peers().empty());
  // Block 3 reaches B, which cannot connect it: B fetches the chain of its sender.
  mine_one(net, A, "3");
  EXPECT_EQ(net.nodes[B]->tree().height(), 3u);
  EXPECT_EQ(net.nodes[B]->tree().tip().hash, net.nodes[A]->tree().tip().hash);
  EXPECT_EQ(net.nodes[B]->peers(), std::vector<std::string>{A});
  // A peer now: B's own blocks reach A.
  mine_one(net, B, "4");
  EXPECT_EQ(net.nodes[A]->tree().height(), 4u);
}

TEST(Node, ASenderBecomesAPeerOnlyOnceItAnswersForItsChain) {
  TestNetwork net;
  net.add(A), net.add(B);
  ASSERT_TRUE(net.nodes[A]->add_peer(B));
  mine_one(net, A, "1");  // connects at B
  EXPECT_EQ(net.nodes[B]->tree().height(), 1u);
  EXPECT_EQ(net.nodes[B]->peers(), std::vector<std::string>{A});
  // A header may name any address: nobody answers there, so it is no peer.
  const std::string nobody = "http://127.0.0.1:8009/";
  const Block next = mine_child(net.nodes[A]->tree().tip(), {}, Difficulty::bits(4));
  EXPECT_EQ(
      net.call(B, "POST", "/add_block", block_to_json(next).dump(), {{"x-yournet-node", nobody}})
          .status,
      201);
  // A's round before announcing, B's fetch of A's chain, and B's fetch from that address...
  EXPECT_EQ(net.sent["/chain"], 3);
  EXPECT_EQ(net.nodes[B]->peers(), std::vector<std::string>{A});
  // ...and none for the silent address at its next block within the interval.
  net.sent.clear();
  const Block after = mine_child(next, {}, Difficulty::bits(4));
  net.call(B, "POST", "/add_block", block_to_json(after).dump(), {{"x-yournet-node", nobody}});
  EXPECT_EQ(net.sent["/chain"], 0);
}

TEST(Node, CatchUpFetchesASendersChainOneAtATimeAndAtMostOnceAnInterval) {
  TestNetwork net;
  Node& a = net.add(A);
  Node& b = net.add(B);
  std::vector<Block> chain{genesis_block()};
  auto grow = [&](int blocks) {
    for (int i = 0; i < blocks; ++i) {
      chain.push_back(mine_child(chain.back(), {}, Difficulty::bits(4)));
      ASSERT_EQ(a.accept_block(chain.back(), "test").status, AddStatus::added);
    }
  };
  grow(4);
  // A block from A, handed to B without delivering what follows.
  auto send = [&](const Block& block) {
    HttpResponse answer{-1, ""};
    handle_request(
        b, HttpRequest{"POST", "/add_block", block_to_json(block).dump(), {{"x-yournet-node", A}}},
        [&](HttpResponse r) { answer = r; });
    return answer.status;
  };
  EXPECT_EQ(send(chain[3]), 202);
  EXPECT_EQ(net.sent["/chain"], 1);
  EXPECT_EQ(send(chain[4]), 202);
  EXPECT_EQ(net.sent["/chain"], 1) << "one fetch of a sender at a time";
  net.drain();
  EXPECT_EQ(b.tree().height(), 4u);
  EXPECT_EQ(b.peers(), std::vector<std::string>{A});
  // The block that came while the fetch was under way: one more fetch, at the interval's end.
  EXPECT_EQ(net.sent["/chain"], 1);
  net.wait(kCatchUpMinIntervalS - 0.5);
  EXPECT_EQ(net.sent["/chain"], 1);
  net.wait(0.5);
  EXPECT_EQ(net.sent["/chain"], 2);
  // Two blocks later, within the interval of that fetch: again only at its end.
  grow(2);
  net.wait(1);
  EXPECT_EQ(send(chain[6]), 202);
  net.drain();
  EXPECT_EQ(net.sent["/chain"], 2);
  EXPECT_EQ(b.tree().height(), 4u);
  net.wait(kCatchUpMinIntervalS - 1);
  EXPECT_EQ(net.sent["/chain"], 3);
  EXPECT_EQ(b.tree().height(), 6u);
}

TEST(Node, AnAddBlockWithAMalformedSenderHeaderIsRefusedAndChangesNothing) {
  TestNetwork net;
  Node& b = net.add(B);
  const Block block = mine_child(genesis_block(), {}, Difficulty::bits(4));
  HttpResponse answer = net.call(B, "POST", "/add_block", block_to_json(block).dump(),
                                 {{"x-yournet-node", "ftp://127.0.0.1:8000/"}});
  EXPECT_EQ(answer.status, 400);
  EXPECT_EQ(answer.body,
            "The block was discarded by the node: header X-Yournet-Node must be "
            "http://host:port/, not ftp://127.0.0.1:8000/");
  EXPECT_EQ(b.tree().height(), 0u);
  EXPECT_TRUE(net.sent.empty());
}

TEST(Node, AFailedRegistrationIsTriedAgainWithBackoffUntilThePeerAnswers) {
  TestNetwork net;
  net.add(A), net.add(B);
  net.down.insert(B);
  HttpResponse answer =
      net.call(A, "POST", "/register_with", R"({"node_address": "http://127.0.0.1:8001"})");
  EXPECT_EQ(answer.status, 502);
  EXPECT_EQ(answer.body,
            "Registration failed: connection refused; trying again in 2.0 s (attempt 2 of 6)");
  EXPECT_EQ(net.sent["/register_node"], 1);
  net.wait(kRegisterRetryBaseS - 0.1);
  EXPECT_EQ(net.sent["/register_node"], 1);
  net.wait(0.1);
  EXPECT_EQ(net.sent["/register_node"], 2);  // and again 4 s later
  net.wait(2 * kRegisterRetryBaseS);
  EXPECT_EQ(net.sent["/register_node"], 3);  // and again 8 s later
  net.down.clear();
  net.wait(4 * kRegisterRetryBaseS);
  EXPECT_EQ(net.sent["/register_node"], 4);
  EXPECT_EQ(net.nodes[A]->peers(), std::vector<std::string>{B});
  EXPECT_EQ(net.nodes[B]->peers(), std::vector<std::string>{A});
  net.wait(1000);
  EXPECT_EQ(net.sent["/register_node"], 4);
  EXPECT_TRUE(net.clock.timers.empty());
}

TEST(Node, RegistrationRetriesStopAtTheLastAttemptAndNeverFollowARefusal) {
  TestNetwork net;
  net.add(A), net.add(B);
  net.down.insert(B);
  net.call(A, "POST", "/register_with", R"({"node_address": "http://127.0.0.1:8001"})");
  net.wait(10'000);
  EXPECT_EQ(net.sent["/register_node"], static_cast<int>(kRegisterMaxAttempts));
  EXPECT_TRUE(net.clock.timers.empty());
  EXPECT_TRUE(net.nodes[A]->peers().empty());
  // A peer that answers, refusing (it has no room): its answer stands.
  NodeConfig full;
  full.self_address = C;
  full.params.difficulty = Difficulty::bits(4);
  full.policy.max_peers = 0;
  net.nodes[C] = std::make_unique<Node>(full, net, net.clock, net.miner);
  net.sent.clear();
  HttpResponse answer =
      net.call(A, "POST", "/register_with", R"({"node_address": "http://127.0.0.1:8002"})");
  EXPECT_EQ(answer.body, "Registration failed: peer answered 400");
  net.wait(10'000);
  EXPECT_EQ(net.sent["/register_node"], 1);
}

}  // namespace

TEST(Node, ABlockIsNotSentBackToItsSenderAndAnswersAreAwaitedOnlyToDropSilentPeers) {
  class Recorder : public Transport {
   public:
    void send(const std::string& peer, HttpRequest, ResponseCallback done) override {
      sent.push_back({peer, static_cast<bool>(done)});
    }
    std::vector<std::pair<std::string, bool>> sent;  // (peer, someone awaits the answer)
  };
  const std::string D = "http://127.0.0.1:8003/";
  for (double drop_after : {0.0, 60.0}) {
    Recorder network;
    FixedClock clock;
    InlineMiner miner;
    NodeConfig config;
    config.self_address = A;
    config.params.difficulty = Difficulty::bits(4);
    config.policy.drop_peer_after = drop_after;
    Node node(config, network, clock, miner);
    for (const auto& peer : {B, C, D}) ASSERT_TRUE(node.add_peer(peer));
    auto block = std::make_shared<const Block>(mine_child(genesis_block(), {}));
    HttpResponse answer{-1, ""};
    answer = block_answer(node.receive_block(block, C));
    EXPECT_EQ(answer.status, 201);
    ASSERT_EQ(network.sent.size(), 2u) << "to B and D, not back to C";
    EXPECT_EQ(network.sent[0].first, B);
    EXPECT_EQ(network.sent[1].first, D);
    for (const auto& [peer, awaited] : network.sent) EXPECT_EQ(awaited, drop_after > 0) << peer;
    // Known now: neither answered differently nor relayed again.
    answer = block_answer(node.receive_block(block, B));
    EXPECT_EQ(answer.status, 201);
    EXPECT_EQ(network.sent.size(), 2u);
  }
}

// A transport that numbers its peers (the simulator's way): the node sends each peer its number,
// finds a block's sender among its peers by number, and goes by addresses for the ones it has no
// number for.
// A transport that numbers the peers it was told the numbers of, as the simulator does, and
// records what is sent.
class NumberedTransport : public Transport {
 public:
  void send(const std::string& peer, HttpRequest request, ResponseCallback) override {
    sent.push_back({peer, request.target, kNoPeerId});
  }
  PeerId peer_id(const std::string& peer) const override {
    auto it = numbers.find(peer);
    return it == numbers.end() ? kNoPeerId : it->second;
  }
  void send_block(const std::string& peer, PeerId id, const OutgoingBlock&,
                  ResponseCallback) override {
    sent.push_back({peer, "/add_block", id});
  }
  std::map<std::string, PeerId> numbers;
  struct Sent {
    std::string peer, target;
    PeerId id;
  };
  std::vector<Sent> sent;
};

// Node A on a NumberedTransport (numbers are read as peers are added).
struct NumberedNode {
  static NodeConfig config() {
    NodeConfig config;
    config.self_address = A;
    config.params.difficulty = Difficulty::bits(4);
    return config;
  }
  NumberedTransport network;
  FixedClock clock;
  InlineMiner miner;
  Node node{config(), network, clock, miner};
};

TEST(Node, ANumberedSenderIsFoundByItsNumberAndPeersAreSentTheirs) {
  const std::string D = "http://127.0.0.1:8003/", E = "http://127.0.0.1:8004/";
  NumberedNode numbered;
  auto& [network, clock, miner, node] = numbered;
  network.numbers = {{B, 11}, {C, 12}, {D, 13}};  // E has none
  for (const auto& peer : {B, C, D, E}) ASSERT_TRUE(node.add_peer(peer));
  auto block = std::make_shared<const Block>(mine_child(genesis_block(), {}));
  EXPECT_EQ(block_answer(node.receive_block(block, C, 12)).status, 201);
  ASSERT_EQ(network.sent.size(), 3u) << "to B, D and E, not back to C";
  EXPECT_EQ(network.sent[0].peer, B);
  EXPECT_EQ(network.sent[0].id, 11u);
  EXPECT_EQ(network.sent[1].peer, D);
  EXPECT_EQ(network.sent[1].id, 13u);
  EXPECT_EQ(network.sent[2].peer, E);
  EXPECT_EQ(network.sent[2].id, kNoPeerId);
  // Known now, from a peer found by its number and from one found by its address: nothing sent,
  // nobody fetched as a new sender.
  EXPECT_EQ(block_answer(node.receive_block(block, D, 13)).status, 201);
  EXPECT_EQ(block_answer(node.receive_block(block, E)).status, 201);
  EXPECT_EQ(network.sent.size(), 3u);
  // A numbered sender that is no peer is one: its chain is fetched.
  const std::string F = "http://127.0.0.1:8005/";
  network.numbers[F] = 15;
  EXPECT_EQ(block_answer(node.receive_block(block, F, 15)).status, 201);
  ASSERT_EQ(network.sent.size(), 4u);
  EXPECT_EQ(network.sent[3].peer, F);
  EXPECT_EQ(network.sent[3].target, "/chain");
  // From a peer found by its number: not sent back to it.
  auto child = std::make_shared<const Block>(mine_child(*block, {}));
  EXPECT_EQ(block_answer(node.receive_block(child, B, 11)).status, 201);
  ASSERT_EQ(network.sent.size(), 7u) << "to C, D and E";
  for (std::size_t i = 4; i < 7; ++i) EXPECT_NE(network.sent[i].peer, B);
}

// A node keeps its first peers' numbers inside itself and the rest in a list: a sender is found
// by its number wherever it is, and every peer but the sender is sent the block.
TEST(Node, ANumberedSenderPastTheInlinePeersIsFoundToo) {
  NumberedNode numbered;
  auto& [network, clock, miner, node] = numbered;
  std::vector<std::string> peers;
  for (PeerId i = 0; i < 20; ++i) {
    peers.push_back("http://127.0.0.1:" + std::to_string(9000 + i) + "/");
    network.numbers[peers.back()] = 100 + i;
  }
  for (const auto& peer : peers) ASSERT_TRUE(node.add_peer(peer));
  auto block = std::make_shared<const Block>(mine_child(genesis_block(), {}));
  EXPECT_EQ(block_answer(node.receive_block(block, peers[18], 118)).status, 201);
  ASSERT_EQ(network.sent.size(), 19u) << "to every peer but the 19th, its sender";
  for (std::size_t i = 0; i < network.sent.size(); ++i) {
    const std::size_t peer = i < 18 ? i : i + 1;
    EXPECT_EQ(network.sent[i].peer, peers[peer]);
    EXPECT_EQ(network.sent[i].id, 100 + peer);
  }
  // Known now: from a peer in the list and from one inside the node, nothing is sent and nobody
  // is fetched as a new sender; from a number no peer has, the sender's chain is fetched.
  EXPECT_EQ(block_answer(node.receive_block(block, peers[19], 119)).status, 201);
  EXPECT_EQ(block_answer(node.receive_block(block, peers[2], 102)).status, 201);
  EXPECT_EQ(network.sent.size(), 19u);
  const std::string stranger = "http://127.0.0.1:9100/";
  network.numbers[stranger] = 200;
  EXPECT_EQ(block_answer(node.receive_block(block, stranger, 200)).status, 201);
  ASSERT_EQ(network.sent.size(), 20u);
  EXPECT_EQ(network.sent[19].target, "/chain");
}

TEST(Node, AChainThatCannotWinIsReadNoFurtherThanItsHead) {
  class Answer : public Transport {
   public:
    void send(const std::string&, HttpRequest, ResponseCallback done) override {
      done(HttpResponse{200, body}, "");
    }
    std::string body;
  } peer;
  class Counter : public NodeObserver {
   public:
    void on_event(const NodeEvent& event) override {
      rejected += std::holds_alternative<event::ChainRejected>(event);
    }
    int rejected = 0;  // a body that was read: every one here is invalid past its head
  } events;
  FixedClock clock;
  InlineMiner miner;
  NodeConfig config;
  config.self_address = A;
  config.params.difficulty = Difficulty::bits(4);
  Node node(config, peer, clock, miner, &events);
  ASSERT_TRUE(node.add_peer(B));
  const Block a1 = mine_child(genesis_block(), {});
  ASSERT_EQ(node.accept_block(a1, "test").status, AddStatus::added);  // our chain: length 2
  auto round = [&](const std::string& head) {
    peer.body = head + R"("chain": "not a chain", "peers": []})";
    node.run_consensus([] {});
    return events.rejected;
  };
  EXPECT_EQ(round(R"({"length": 1, )"), 0) << "shorter than ours";
  EXPECT_EQ(round(R"({"length":2,"tip":")" + a1.hash + R"(",)"), 0) << "as long, tip known";
  EXPECT_EQ(round(R"({"length":2,"tip":")" + std::string(64, 'a') + R"(",)"), 1) << "unknown tip";
  EXPECT_EQ(round(R"({"length": 2, )"), 2) << "as long, tip not declared";
  EXPECT_EQ(round(R"({"length": 3, )"), 3) << "longer";
  EXPECT_EQ(round(R"({"peers": [], "length": 1, )"), 4) << "length not first: read in full";
}

TEST(Node, TheChainBodyLeadsWithLengthAndTipAndFollowsReorgs) {
  test::OfflineTransport offline;
  FixedClock clock;
  InlineMiner miner;
  NodeConfig config;
  config.self_address = A;
  config.params.difficulty = Difficulty::bits(4);
  Node node(config, offline, clock, miner);
  ASSERT_TRUE(node.add_peer(B));
  // The main chain block by block, as the tree holds it.
  auto main_chain = [&] {
    Json chain = Json::array();
    for (const Block& block : node.tree().main_chain()) chain.push_back(block_to_json(block));
    return chain;
  };
  auto chain_answer = [&] {
    HttpResponse answer{-1, ""};
    handle_request(node, HttpRequest{"GET", "/chain", ""}, [&](HttpResponse r) { answer = r; });
    EXPECT_EQ(answer.status, 200);
    EXPECT_EQ(answer.content_type, "application/json");
    return answer.body;
  };
  const Block a1 = mine_child(genesis_block(), {});
  const Block a2 = mine_child(a1, {});
  for (const Block* block : {&a1, &a2}) node.accept_block(*block, "test");
  std::string body = chain_answer();
  EXPECT_EQ(body.rfind(R"({"length":3,"tip":")" + a2.hash + R"(","chain":[)", 0), 0u) << body;
  Json parsed = parse_json(body);
  EXPECT_EQ(parsed["chain"], main_chain());
  EXPECT_EQ(parsed["peers"], Json::array({B}));
  // A heavier branch from the genesis: the text is rewritten from the fork up.
  Block b = genesis_block();
  for (int i = 0; i < 3; ++i) {
    b = test::mine_child(b, {test::make_post("b", std::to_string(i))});
    node.accept_block(b, "test");
  }
  ASSERT_EQ(node.tree().tip().hash, b.hash);
  parsed = parse_json(chain_answer());
  EXPECT_EQ(parsed["length"], 4);
  EXPECT_EQ(parsed["tip"], b.hash);
  EXPECT_EQ(parsed["chain"], main_chain());
  EXPECT_EQ(parse_json(chain_answer()), parsed);  // asked again: the same answer
}

TEST(Node, AFullPoolIsTheServers503WithRetryAfterAndTakesNothing) {
  FixedClock clock;
  InlineMiner miner;
  TestNetwork net;
  NodeConfig config;
  config.self_address = A;
  config.policy.mempool.max_posts = 1;
  config.policy.pool_full_retry_after_s = 17;
  Node node(config, net, clock, miner);
  auto post = [&](const std::string& content) {
    HttpResponse out{-1, ""};
    handle_request(
        node,
        HttpRequest{"POST", "/new_transaction", Json{{"author", "a"}, {"content", content}}.dump()},
        [&](HttpResponse r) { out = std::move(r); });
    return out;
  };
  EXPECT_EQ(post("first").status, 201);
  const HttpResponse full = post("second");
  EXPECT_EQ(full.status, 503) << full.body;
  EXPECT_EQ(full.header("Retry-After"), std::optional<std::string_view>("17"));
  EXPECT_NE(full.body.find("pending pool is full"), std::string::npos) << full.body;
  EXPECT_EQ(node.mempool().size(), 1u);
  // A post the pool holds already is the client's mistake: still 400.
  EXPECT_EQ(post("first").status, 400);
  auto refused = node.submit_post(Json{{"author", "a"}, {"content", "third"}});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().reason, PostRefusal::pool_full);
}

TEST(Node, ARequestTheServerRefusedIsCountedByRouteAndReason) {
  FixedClock clock;
  InlineMiner miner;
  TestNetwork net;
  NodeConfig config;
  config.self_address = A;
  Node node(config, net, clock, miner);
  int answers = 0;
  refuse_request(node, HttpRequest{"POST", "/new_transaction?x=1", "{}"},
                 HttpResponse{403, "Refused (foreign_origin)", "text/plain"}, "foreign_origin",
                 [&](const HttpResponse& r) {
                   ++answers;
                   EXPECT_EQ(r.status, 403);
                 });
  EXPECT_EQ(answers, 1);
  EXPECT_EQ(node.mempool().size(), 0u);
  const std::string text = node.metrics_text();
  EXPECT_NE(text.find("yournet_http_refused_total{reason=\"foreign_origin\"} 1"), std::string::npos)
      << text;
  EXPECT_NE(text.find("yournet_http_requests_total{route=\"/new_transaction\",status=\"403\"} 1"),
            std::string::npos)
      << text;
}
