// The live node's environment over real sockets on 127.0.0.1 (ephemeral ports): several nodes in
// one process, one io_context on a background thread, the test thread calling them over HTTP with
// bounded waits so that nothing can hang.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "blocking_call.hpp"
#include "recording_proxy.hpp"
#include "yournet/net/asio_clock.hpp"
#include "yournet/net/http_server.hpp"
#include "yournet/net/http_transport.hpp"
#include "yournet/net/offset_clock.hpp"
#include "yournet/net/thread_mining_service.hpp"
#include "yournet/node/http_api.hpp"

using namespace yournet;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kCap = 10s;  // the longest any single wait may take

struct LiveNode {
  std::unique_ptr<net::HttpServer> server;
  std::unique_ptr<Node> node;
  std::string address;
};

class Cluster {
 public:
  Cluster() : transport_(io_, net::HttpTransportOptions{500ms, 16u * 1024u * 1024u}) {}
  ~Cluster() { stop(); }

  // Stops the io_context and joins its thread: after this, the test thread may touch anything.
  void stop() {
    io_.stop();
    if (runner_.joinable()) runner_.join();
  }

  // Only before start(): the nodes are built on the test thread while the io_context is idle.
  std::string add_node(net::HttpServerOptions options = {}) {
    auto live = std::make_unique<LiveNode>();
    LiveNode* raw = live.get();
    options.port = 0;
    live->server = std::make_unique<net::HttpServer>(io_, options,
                                                     [raw](HttpRequest request, Respond respond) {
                                                       handle_request(*raw->node, request, respond);
                                                     });
    live->address = "http://127.0.0.1:" + std::to_string(live->server->port()) + "/";
    NodeConfig config;
    config.self_address = live->address;
    config.params.difficulty = Difficulty::hex_digits(2);
    live->node = std::make_unique<Node>(config, transport_, clock_, miner_);
    live->server->start();
    nodes_.push_back(std::move(live));
    return raw->address;
  }

  void start() {
    runner_ = std::thread([this] { io_.run(); });
  }

  // A request as a client sends it, through the HTTP transport; status -1 when it failed.
  HttpResponse call(const std::string& address, const std::string& method,
                    const std::string& target, const std::string& body = "") {
    return test_support::blocking_call(io_, client_, address, HttpRequest{method, target, body},
                                       kCap);
  }

  Json chain_of(const std::string& address) {
    HttpResponse response = call(address, "GET", "/chain");
    if (response.status != 200) return Json();
    return parse_json(response.body).at("chain");
  }

  asio::io_context& io() { return io_; }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{asio::make_work_guard(io_)};
  net::AsioClock clock_{io_};
  net::HttpTransport transport_;  // the nodes' own, with a short timeout
  net::HttpTransport client_{io_,
                             net::HttpTransportOptions{8s, 16u * 1024u * 1024u}};  // the test's
  net::ThreadMiningService miner_{io_};
  std::vector<std::unique_ptr<LiveNode>> nodes_;
  std::thread runner_;
};

// Polls until `condition` holds, for at most the cap.
template <typename Condition>
bool eventually(Condition condition) {
  auto deadline = std::chrono::steady_clock::now() + kCap;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return condition();
}

TEST(LiveNode, TutorialWalkthroughConvergesAllNodes) {
  Cluster cluster;
  const std::string a = cluster.add_node(), b = cluster.add_node(), c = cluster.add_node();
  cluster.start();
  std::string a_no_slash = a.substr(0, a.size() - 1);
  EXPECT_EQ(cluster.call(b, "POST", "/register_with", R"({"node_address": ")" + a_no_slash + "\"}")
                .status,
            200);
  EXPECT_EQ(cluster.call(c, "POST", "/register_with", R"({"node_address": ")" + a + "\"}").status,
            200);

  HttpResponse posted =
      cluster.call(a, "POST", "/new_transaction", R"({"author": "alice", "content": "hi"})");
  EXPECT_EQ(posted.status, 201);
  EXPECT_EQ(posted.body, "Success");
  HttpResponse mined = cluster.call(a, "GET", "/mine");
  EXPECT_EQ(mined.status, 200);
  EXPECT_EQ(mined.body, "Block #1 is mined.");

  EXPECT_EQ(
      cluster.call(b, "POST", "/new_transaction", R"({"author": "bob", "content": "yo"})").status,
      201);
  EXPECT_TRUE(eventually([&] { return cluster.chain_of(b).size() == 2; }));
  EXPECT_EQ(cluster.call(b, "GET", "/mine").body, "Block #2 is mined.");

  EXPECT_TRUE(eventually([&] {
    Json chain = cluster.chain_of(a);
    return chain.size() == 3 && cluster.chain_of(b) == chain && cluster.chain_of(c) == chain;
  }));
  Json chain = cluster.chain_of(c);
  ASSERT_EQ(chain.size(), 3u);
  EXPECT_EQ(chain[1]["transactions"][0]["author"], "alice");
  EXPECT_EQ(chain[2]["transactions"][0]["author"], "bob");
  HttpResponse chain_response = cluster.call(a, "GET", "/chain");
  EXPECT_EQ(chain_response.content_type, "application/json");
  EXPECT_EQ(parse_json(chain_response.body)["peers"].size(), 2u);
}

TEST(LiveNode, ForkAtTheSameHeightResolvesWhenAThirdBlockArrives) {
  Cluster cluster;
  const std::string a = cluster.add_node(), b = cluster.add_node();
  cluster.start();
  // Apart, both mine a block at height 1.
  EXPECT_EQ(
      cluster.call(a, "POST", "/new_transaction", R"({"author": "a", "content": "on A"})").status,
      201);
  EXPECT_EQ(
      cluster.call(b, "POST", "/new_transaction", R"({"author": "b", "content": "on B"})").status,
      201);
  EXPECT_EQ(cluster.call(a, "GET", "/mine").body, "Block #1 is mined.");
  EXPECT_EQ(cluster.call(b, "GET", "/mine").body, "Block #1 is mined.");
  // Joined, each keeps its own tip: equal work, and the first seen wins a tie.
  EXPECT_EQ(cluster.call(b, "POST", "/register_with", R"({"node_address": ")" + a + "\"}").status,
            200);
  Json a_chain = cluster.chain_of(a), b_chain = cluster.chain_of(b);
  ASSERT_EQ(a_chain.size(), 2u);
  ASSERT_EQ(b_chain.size(), 2u);
  EXPECT_NE(a_chain[1]["hash"], b_chain[1]["hash"]);

  // A third block, on A's branch, settles it everywhere.
  EXPECT_EQ(
      cluster.call(a, "POST", "/new_transaction", R"({"author": "a", "content": "third"})").status,
      201);
  EXPECT_EQ(cluster.call(a, "GET", "/mine").body, "Block #2 is mined.");
  EXPECT_TRUE(eventually([&] { return cluster.chain_of(b) == cluster.chain_of(a); }));
  EXPECT_EQ(cluster.chain_of(b)[1]["transactions"][0]["content"], "on A");
  // B's abandoned post is pending again, then mined onto the winning chain.
  Json pending = parse_json(cluster.call(b, "GET", "/pending_tx").body);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0]["content"], "on B");
  EXPECT_EQ(cluster.call(b, "GET", "/mine").body, "Block #3 is mined.");
  EXPECT_TRUE(eventually([&] {
    Json chain = cluster.chain_of(a);
    return chain.size() == 4 && cluster.chain_of(b) == chain;
  }));
  EXPECT_EQ(cluster.chain_of(a)[3]["transactions"][0]["content"], "on B");
}

TEST(LiveNode, AJoinerWhoseRegistrationAnswerWasLostCatchesUpFromTheBlocksItIsSent) {
  Cluster cluster;
  const std::string a = cluster.add_node(), b = cluster.add_node();
  cluster.start();
  auto mine_at_a = [&](const std::string& content) {
    ASSERT_EQ(cluster
                  .call(a, "POST", "/new_transaction",
                        R"({"author": "a", "content": ")" + content + "\"}")
                  .status,
              201);
    ASSERT_EQ(cluster.call(a, "GET", "/mine").status, 200);
  };
  mine_at_a("1");
  mine_at_a("2");
  // a adds b, as when the answer to b's /register_with is lost: b knows no peer.
  ASSERT_EQ(cluster.call(a, "POST", "/register_node", R"({"node_address": ")" + b + "\"}").status,
            200);
  // Block 3 reaches b, which cannot connect it; the request names its sender (X-Yournet-Node), so
  // b fetches that node's chain and takes it as a peer.
  mine_at_a("3");
  EXPECT_TRUE(eventually([&] { return cluster.chain_of(b).size() == 4; }));
  EXPECT_TRUE(eventually([&] {
    return parse_json(cluster.call(b, "GET", "/chain").body)["peers"] == Json::array({a});
  }));
}

TEST(LiveNode, BadInputIsRejectedAndLeavesStateUnchanged) {
  Cluster cluster;
  const std::string a = cluster.add_node();
  cluster.start();
  const std::string before = cluster.call(a, "GET", "/chain").body;

  EXPECT_EQ(cluster.call(a, "POST", "/new_transaction", "{not json").status, 400);
  EXPECT_EQ(cluster.call(a, "POST", "/new_transaction", R"({"author": "", "content": "x"})").status,
            400);
  EXPECT_EQ(cluster.call(a, "POST", "/add_block", R"({"index": 1})").status, 400);
  HttpResponse too_large =
      cluster.call(a, "POST", "/new_transaction",
                   R"({"author": "a", "content": ")" + std::string(1536 * 1024, 'x') + "\"}");
  EXPECT_EQ(too_large.status, 413) << too_large.body;
  EXPECT_NE(too_large.body.find("too large"), std::string::npos);
  EXPECT_EQ(cluster.call(a, "GET", "/nowhere").status, 404);
  EXPECT_EQ(cluster.call(a, "GET", "/new_transaction").status, 405);
  EXPECT_EQ(cluster.call(a, "POST", "/chain", "{}").status, 405);

  // Malformed HTTP: a 400 naming the fault, the connection closed, and the server keeps serving.
  {
    asio::io_context client_io;
    tcp::socket socket(client_io);
    socket.connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                      static_cast<unsigned short>(std::stoi(a.substr(a.rfind(':') + 1)))));
    timeval timeout{10, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    asio::write(socket, asio::buffer(std::string("NOT HTTP AT ALL\r\n\r\n")));
    boost::system::error_code ec;
    std::string answer;
    asio::read(socket, asio::dynamic_buffer(answer), ec);
    EXPECT_EQ(ec, asio::error::eof);
    EXPECT_EQ(answer.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << answer;
    EXPECT_NE(answer.find("Malformed HTTP request: "), std::string::npos) << answer;
  }

  EXPECT_EQ(cluster.call(a, "GET", "/chain").body, before);
  EXPECT_EQ(cluster.call(a, "GET", "/pending_tx").body, "[]");
}

TEST(LiveNode, SilentOrClosedPeerDoesNotStallMining) {
  Cluster cluster;
  const std::string a = cluster.add_node();
  // A peer that accepts connections and never answers.
  tcp::acceptor silent(cluster.io(), tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::vector<std::shared_ptr<tcp::socket>> held;
  std::function<void()> accept_forever = [&] {
    silent.async_accept([&](const boost::system::error_code& ec, tcp::socket socket) {
      if (ec) return;
      held.push_back(std::make_shared<tcp::socket>(std::move(socket)));
      accept_forever();
    });
  };
  accept_forever();
  const std::string silent_peer =
      "http://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/";
  // A port nobody listens on.
  unsigned short closed_port = 0;
  {
    tcp::acceptor probe(cluster.io(), tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    closed_port = probe.local_endpoint().port();
  }
  const std::string closed_peer = "http://127.0.0.1:" + std::to_string(closed_port) + "/";
  cluster.start();

  EXPECT_EQ(cluster.call(a, "POST", "/register_node", R"({"node_address": ")" + silent_peer + "\"}")
                .status,
            200);
  EXPECT_EQ(cluster.call(a, "POST", "/register_node", R"({"node_address": ")" + closed_peer + "\"}")
                .status,
            200);
  EXPECT_EQ(
      cluster.call(a, "POST", "/new_transaction", R"({"author": "alice", "content": "hi"})").status,
      201);

  auto started = std::chrono::steady_clock::now();
  HttpResponse mined = cluster.call(a, "GET", "/mine");
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(mined.body, "Block #1 is mined.");
  EXPECT_LT(took, 3s);  // the transport's timeout is 500 ms
  EXPECT_EQ(cluster.chain_of(a).size(), 2u);

  // register_with a silent node fails with 502 after the timeout, not never.
  HttpResponse registered =
      cluster.call(a, "POST", "/register_with", R"({"node_address": ")" + silent_peer + "\"}");
  EXPECT_EQ(registered.status, 502);
  cluster.stop();  // before `silent` and `held` go, as the io thread uses them
}

TEST(LiveNode, IdleAndTricklingConnectionsCannotLockOthersOut) {
  Cluster cluster;
  net::HttpServerOptions options;
  options.max_connections = 4;
  const std::string a = cluster.add_node(options);
  cluster.start();
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"),
                               static_cast<unsigned short>(std::stoi(a.substr(a.rfind(':') + 1))));
  asio::io_context client_io;
  std::vector<tcp::socket> hogs;
  for (int i = 0; i < 8; ++i) {
    hogs.emplace_back(client_io);
    hogs.back().connect(endpoint);
    // Half say nothing, half start a request and never finish it (slowloris).
    if (i % 2)
      asio::write(hogs.back(), asio::buffer(std::string("POST /new_transaction HTTP/1.1\r\n")));
  }
  for (int i = 0; i < 3; ++i) EXPECT_EQ(cluster.call(a, "GET", "/status").status, 200) << i;
  EXPECT_EQ(
      cluster.call(a, "POST", "/new_transaction", R"({"author": "a", "content": "x"})").status,
      201);
}

TEST(LiveNode, ARefusedClientThatTricklesIsClosedWithinFiveSeconds) {
  Cluster cluster;
  const std::string a = cluster.add_node();
  cluster.start();
  asio::io_context client_io;
  tcp::socket socket(client_io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                               static_cast<unsigned short>(std::stoi(a.substr(a.rfind(':') + 1)))));
  asio::write(socket, asio::buffer(std::string(
                          "POST /new_transaction HTTP/1.1\r\nContent-Length: 9000000\r\n\r\n")));
  const auto started = std::chrono::steady_clock::now();
  boost::system::error_code ec;
  while (!ec && std::chrono::steady_clock::now() - started < kCap) {
    std::this_thread::sleep_for(500ms);
    asio::write(socket, asio::buffer(std::string("x")), ec);  // fails once the server has closed
  }
  EXPECT_TRUE(ec);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 7s);
}

TEST(HttpTransport, RefusesAnAnswerOverTheLimitEvenWhenItsBodyComesWithItsHeader) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const std::string peer =
      "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/";
  // A peer that answers with 2 MiB, header and body in one write.
  std::thread server([&acceptor] {
    tcp::socket socket = acceptor.accept();
    std::string request;
    boost::system::error_code ec;
    asio::read_until(socket, asio::dynamic_buffer(request), "\r\n\r\n", ec);
    const std::string body(2u << 20, 'x');
    asio::write(socket,
                asio::buffer("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                             "\r\n\r\n" + body),
                ec);
  });
  net::HttpTransport transport(io, net::HttpTransportOptions{5s, 1u << 20});
  std::optional<HttpResponse> answer;
  std::string error = "no answer";
  transport.send(peer, HttpRequest{"GET", "/chain", ""},
                 [&](const std::optional<HttpResponse>& response, const std::string& failure) {
                   answer = response;
                   error = failure;
                 });
  io.run_for(kCap);
  server.join();
  EXPECT_FALSE(answer) << answer->body.size() << " bytes taken";
  EXPECT_EQ(error, "read: body limit exceeded");
}

TEST(PeerUrl, ParsesHostPortAndBasePath) {
  auto url = net::parse_peer_url("http://127.0.0.1:8001/");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, "8001");
  EXPECT_EQ(url->base_path, "");
  url = net::parse_peer_url("http://node.example:80/api/");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->base_path, "/api");
  EXPECT_FALSE(net::parse_peer_url("https://x:1/"));
  EXPECT_FALSE(net::parse_peer_url("http://:1/"));
  EXPECT_FALSE(net::parse_peer_url("http://x:abc/"));
}

using test_support::RecordingProxy;

TEST(HttpTransport, SendsThroughAProxyInAbsoluteFormAndHttpServerHandsTheTargetThrough) {
  Cluster cluster;
  const std::string a = cluster.add_node();
  RecordingProxy proxy(cluster.io());
  net::HttpTransportOptions options;
  options.proxy = net::parse_proxy_url(proxy.url());
  net::HttpTransport via_proxy(cluster.io(), options);
  cluster.start();

  HttpResponse chain = test_support::blocking_call(cluster.io(), via_proxy, a,
                                                   HttpRequest{"GET", "/chain", ""}, kCap);
  ASSERT_EQ(chain.status, 200) << chain.body;
  EXPECT_EQ(parse_json(chain.body)["length"], 1);
  HttpResponse posted = test_support::blocking_call(
      cluster.io(), via_proxy, a,
      HttpRequest{"POST", "/new_transaction", R"({"author": "a", "content": "via proxy"})"}, kCap);
  EXPECT_EQ(posted.status, 201) << posted.body;
  EXPECT_EQ(proxy.targets(), (std::vector<std::string>{a + "chain", a + "new_transaction"}));
  EXPECT_NE(cluster.call(a, "GET", "/pending_tx").body.find("via proxy"), std::string::npos);
  cluster.stop();  // before `proxy` and `via_proxy` go, as the io thread uses them
}

TEST(HttpTransport, WritesTheRequestLineAndHostHeaderAsCurlDoesThroughAProxy) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::string request;
  std::thread proxy([&] {
    tcp::socket socket = acceptor.accept();
    boost::system::error_code ec;
    asio::read_until(socket, asio::dynamic_buffer(request), "\r\n\r\n", ec);
    asio::write(socket, asio::buffer(std::string("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")),
                ec);
  });
  net::HttpTransportOptions options;
  options.proxy =
      net::parse_proxy_url("127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()));
  net::HttpTransport transport(io, options);
  std::optional<HttpResponse> answer;
  transport.send(
      "http://peer.example:8001/api/", HttpRequest{"GET", "/chain", ""},
      [&](const std::optional<HttpResponse>& response, const std::string&) { answer = response; });
  io.run_for(kCap);
  proxy.join();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->body, "ok");
  EXPECT_EQ(request.rfind("GET http://peer.example:8001/api/chain HTTP/1.1\r\n", 0), 0u) << request;
  EXPECT_NE(request.find("\r\nHost: peer.example:8001\r\n"), std::string::npos) << request;
}

TEST(HttpTransport, GoesDirectlyToAHostNoProxyNames) {
  Cluster cluster;
  const std::string a = cluster.add_node();
  unsigned short closed_port = 0;
  {
    tcp::acceptor probe(cluster.io(), tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    closed_port = probe.local_endpoint().port();
  }
  net::HttpTransportOptions options;
  options.timeout = 2s;
  options.proxy = net::parse_proxy_url("http://127.0.0.1:" + std::to_string(closed_port));
  options.no_proxy = {"localhost", "127.0.0.1"};
  net::HttpTransport direct(cluster.io(), options);
  options.no_proxy = {"localhost"};
  net::HttpTransport proxied(cluster.io(), options);
  cluster.start();
  EXPECT_EQ(
      test_support::blocking_call(cluster.io(), direct, a, HttpRequest{"GET", "/status", ""}, kCap)
          .status,
      200);
  HttpResponse refused = test_support::blocking_call(cluster.io(), proxied, a,
                                                     HttpRequest{"GET", "/status", ""}, kCap);
  EXPECT_EQ(refused.status, -1);
  EXPECT_NE(refused.body.find("via proxy 127.0.0.1:" + std::to_string(closed_port)),
            std::string::npos)
      << refused.body;
  cluster.stop();  // before the transports go, as the io thread uses them
}

net::EnvironmentLookup environment(std::map<std::string, std::string> variables) {
  return [variables](const std::string& name) -> std::optional<std::string> {
    auto found = variables.find(name);
    if (found == variables.end()) return std::nullopt;
    return found->second;
  };
}

TEST(ProxyEnvironment, ReadsHttpProxyAsCurlAndRequestsDo) {
  auto none = net::proxy_from_environment(environment({}));
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->proxy);
  EXPECT_TRUE(none->no_proxy.empty());

  auto lower = net::proxy_from_environment(
      environment({{"http_proxy", "http://127.0.0.1:3128/"}, {"HTTP_PROXY", "http://other:1/"}}));
  ASSERT_TRUE(lower && lower->proxy);
  EXPECT_EQ(lower->proxy->host, "127.0.0.1");
  EXPECT_EQ(lower->proxy->port, "3128");

  auto upper = net::proxy_from_environment(environment({{"HTTP_PROXY", "proxy.local:8080"}}));
  ASSERT_TRUE(upper && upper->proxy);
  EXPECT_EQ(upper->proxy->host, "proxy.local");
  EXPECT_EQ(upper->proxy->port, "8080");

  auto default_port = net::proxy_from_environment(environment({{"http_proxy", "proxy.local"}}));
  ASSERT_TRUE(default_port && default_port->proxy);
  EXPECT_EQ(default_port->proxy->port, "80");

  auto empty = net::proxy_from_environment(environment({{"http_proxy", ""}}));
  ASSERT_TRUE(empty);
  EXPECT_FALSE(empty->proxy);

  for (const char* bad : {"https://proxy:443", "http://user:secret@proxy:3128", "http://:1"}) {
    auto refused = net::proxy_from_environment(environment({{"http_proxy", bad}}));
    ASSERT_FALSE(refused) << bad;
    EXPECT_NE(refused.error().find("http_proxy"), std::string::npos) << refused.error();
  }
}

TEST(ProxyEnvironment, NoProxyListsHostsReachedDirectly) {
  auto settings = net::proxy_from_environment(
      environment({{"http_proxy", "http://127.0.0.1:3128"},
                   {"no_proxy", " localhost, .Example.com ,,10.0.0.1:8000"},
                   {"NO_PROXY", "*"}}));
  ASSERT_TRUE(settings);
  EXPECT_EQ(settings->no_proxy,
            (std::vector<std::string>{"localhost", ".Example.com", "10.0.0.1:8000"}));
  const auto& hosts = settings->no_proxy;
  EXPECT_TRUE(net::proxy_bypassed("localhost", "8000", hosts));
  EXPECT_TRUE(net::proxy_bypassed("LOCALHOST", "1", hosts));
  EXPECT_TRUE(net::proxy_bypassed("example.com", "80", hosts));
  EXPECT_TRUE(net::proxy_bypassed("node.example.com", "80", hosts));
  EXPECT_FALSE(net::proxy_bypassed("badexample.com", "80", hosts));
  EXPECT_TRUE(net::proxy_bypassed("10.0.0.1", "8000", hosts));
  EXPECT_FALSE(net::proxy_bypassed("10.0.0.1", "8001", hosts));
  EXPECT_FALSE(net::proxy_bypassed("127.0.0.1", "8000", hosts));

  auto all = net::proxy_from_environment(environment({{"NO_PROXY", "*"}}));
  ASSERT_TRUE(all);
  EXPECT_TRUE(net::proxy_bypassed("127.0.0.1", "8000", all->no_proxy));
  EXPECT_FALSE(net::proxy_bypassed("127.0.0.1", "8000", {}));
}

TEST(OffsetClock, MovesStampsByItsOffsetAndKeepsTimers) {
  asio::io_context io;
  net::AsioClock system(io);
  net::OffsetClock ahead(system, 3600.0);
  net::OffsetClock behind(system, -90.5);
  const double now = system.now();
  EXPECT_NEAR(ahead.now() - now, 3600.0, 1.0);
  EXPECT_NEAR(behind.now() - now, -90.5, 1.0);
  bool fired = false;
  const auto started = std::chrono::steady_clock::now();
  ahead.after(0.05, [&] { fired = true; });
  io.run_for(kCap);
  EXPECT_TRUE(fired);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

}  // namespace

TEST(HttpServer, HandsRequestHeadersLowerCasedAndWritesResponseHeaders) {
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  net::HttpServer server(io, net::HttpServerOptions{"127.0.0.1", 0},
                         [](HttpRequest request, std::function<void(HttpResponse)> respond) {
                           HttpResponse answer{
                               503, std::string(request.header("X-Probe").value_or("none")),
                               "text/plain"};
                           answer.headers.push_back({"Retry-After", "7"});
                           respond(std::move(answer));
                         });
  server.start();
  std::thread runner([&] { io.run(); });
  net::HttpTransport client(io);
  HttpRequest request{"GET", "/"};
  request.headers.push_back({"X-Probe", "hello"});
  const HttpResponse answer = test_support::blocking_call(
      io, client, "http://127.0.0.1:" + std::to_string(server.port()) + "/", request, kCap);
  asio::post(io, [&] {
    server.stop();
    io.stop();
  });
  runner.join();
  EXPECT_EQ(answer.status, 503);
  EXPECT_EQ(answer.body, "hello");
  EXPECT_EQ(answer.header("retry-after"), std::optional<std::string_view>("7"));
  EXPECT_EQ(answer.content_type, "text/plain");
}

// A shared body (the node's GET /chain text) larger than the socket buffers goes out whole, for two
// requests sent at once on one connection, and the server lets go of it once written (the node
// writes into that text again only when no answer holds it).
TEST(HttpServer, SendsASharedBodyWholeAndReleasesItOnceWritten) {
  std::string pattern;
  for (int i = 0; pattern.size() < 3'000'000; ++i) pattern += std::to_string(i) + ",";
  const auto text = std::make_shared<const std::string>(pattern);
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  net::HttpServer server(io, net::HttpServerOptions{"127.0.0.1", 0},
                         [text](HttpRequest, std::function<void(HttpResponse)> respond) {
                           respond(HttpResponse{200, text, "application/json"});
                         });
  server.start();
  std::thread runner([&] { io.run(); });
  tcp::socket client(io);
  client.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port()));
  asio::write(client, asio::buffer(std::string("GET /chain HTTP/1.1\r\nHost: a\r\n\r\n"
                                               "GET /chain HTTP/1.0\r\nHost: a\r\n"
                                               "Connection: keep-alive\r\n\r\n")));
  boost::beast::flat_buffer buffer;
  for (unsigned version : {11u, 10u}) {
    boost::beast::http::response_parser<boost::beast::http::string_body> parser;
    parser.body_limit(16u << 20);
    boost::beast::http::read(client, buffer, parser);
    const auto& answer = parser.get();
    EXPECT_EQ(answer.version(), version);
    EXPECT_EQ(answer.result_int(), 200u);
    EXPECT_TRUE(answer.keep_alive());
    EXPECT_EQ(answer.body().size(), text->size());
    EXPECT_TRUE(answer.body() == *text);
  }
  EXPECT_TRUE(eventually([&] { return text.use_count() == 2; }));  // ours and the handler's
  asio::post(io, [&] {
    server.stop();
    io.stop();
  });
  runner.join();
}

// Reads from `socket` until it closes or `wait` passes; true when the server closed it.
bool closed_within(tcp::socket& socket, std::chrono::milliseconds wait) {
  timeval timeout{static_cast<time_t>(wait.count() / 1000),
                  static_cast<suseconds_t>((wait.count() % 1000) * 1000)};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  char byte;
  return ::recv(socket.native_handle(), &byte, 1, 0) == 0;
}

TEST(LiveNode, OneClientAddressCannotTakeMoreThanItsShareOfConnections) {
  Cluster cluster;
  net::HttpServerOptions options;
  options.max_connections_per_client = 3;
  const std::string a = cluster.add_node(options);
  cluster.start();
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"),
                               static_cast<unsigned short>(std::stoi(a.substr(a.rfind(':') + 1))));
  asio::io_context client_io;
  auto connect_from = [&](const char* source) {
    tcp::socket socket(client_io);
    socket.open(tcp::v4());
    socket.bind(tcp::endpoint(asio::ip::make_address(source), 0));
    socket.connect(endpoint);
    return socket;
  };
  std::vector<tcp::socket> hogs;
  for (int i = 0; i < 3; ++i) hogs.push_back(connect_from("127.0.0.2"));
  // The hogs' fourth is closed at once, with nothing read...
  tcp::socket fourth = connect_from("127.0.0.2");
  EXPECT_TRUE(closed_within(fourth, 3000ms));
  // ...while the first three stay open, and another address is served.
  EXPECT_FALSE(closed_within(hogs[0], 200ms));
  EXPECT_EQ(cluster.call(a, "GET", "/status").status, 200);
  // A slot freed is a slot again.
  hogs.pop_back();
  EXPECT_TRUE(eventually([&] {
    tcp::socket again = connect_from("127.0.0.2");
    asio::write(again, asio::buffer(std::string("GET /status HTTP/1.1\r\nHost: a\r\n\r\n")));
    std::string answer;
    boost::system::error_code ec;
    asio::read_until(again, asio::dynamic_buffer(answer), "\r\n", ec);
    return answer.starts_with("HTTP/1.1 200");
  }));
}
