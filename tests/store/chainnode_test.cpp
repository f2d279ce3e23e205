// The real chainnode binary as a child process with --data: killed with SIGKILL at any moment and
// restarted, it still has every post it answered 201 for and every block it accepted or mined; a
// database edited by hand makes it refuse to start, with a message naming the fault.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "blocking_call.hpp"
#include "recording_proxy.hpp"
#include "yournet/net/http_transport.hpp"
#include "yournet/pow.hpp"

using namespace yournet;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace fs = std::filesystem;

extern char** environ;

namespace {

constexpr auto kCap = 10s;  // the longest any single wait may take

// HTTP calls from the test thread, through the project's client with its time-outs.
class Client {
 public:
  Client() : runner_([this] { io_.run(); }) {}
  ~Client() {
    io_.stop();
    runner_.join();
  }
  HttpResponse call(const std::string& address, const std::string& method,
                    const std::string& target, const std::string& body = "") {
    return test_support::blocking_call(io_, transport_, address, HttpRequest{method, target, body},
                                       kCap + 1s);
  }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{asio::make_work_guard(io_)};
  net::HttpTransport transport_{
      io_, net::HttpTransportOptions{std::chrono::milliseconds(kCap), 16u << 20}};
  std::thread runner_;
};

class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = fs::temp_directory_path() / ("yournet-chainnode-test-" + std::to_string(::getpid()) +
                                         "-" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string read_file(const fs::path& file) {
  std::ifstream in(file);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// One chainnode process on 127.0.0.1, on a port the system picks, its output in a log file.
class Chainnode {
 public:
  // `launcher` runs before the binary, which it is handed as "$0" (e.g. a shell that sets limits).
  Chainnode(const fs::path& work, const std::string& data_dir,
            const std::vector<std::string>& extra = {},
            const std::vector<std::string>& launcher = {})
      : work_(work) {
    const std::string port_file = (work_ / "port").string();
    fs::remove(port_file);
    std::vector<std::string> args = launcher;
    for (const std::string& arg :
         {std::string(YOURNET_CHAINNODE), std::string("--port"), std::string("0"),
          std::string("--port-file"), port_file, std::string("--data"), data_dir,
          std::string("--difficulty"), std::string("1")})
      args.push_back(arg);
    std::vector<char*> argv;
    args.insert(args.end(), extra.begin(), extra.end());
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const std::string log = log_file().string();
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    int spawned = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
      pid_ = -1;
      ADD_FAILURE() << "cannot start " << YOURNET_CHAINNODE;
      return;
    }
    auto deadline = std::chrono::steady_clock::now() + kCap;
    while (std::chrono::steady_clock::now() < deadline && !exit_code_) {
      if (fs::exists(port_file)) {
        address_ = "http://127.0.0.1:" + std::to_string(std::stoi(read_file(port_file))) + "/";
        return;
      }
      poll_exit();
      std::this_thread::sleep_for(20ms);
    }
  }
  ~Chainnode() {
    if (running()) kill_hard();
  }

  bool running() const { return pid_ > 0 && !exit_code_; }
  const std::string& address() const { return address_; }
  fs::path log_file() const { return work_ / "chainnode.log"; }

  void kill_hard() {
    ::kill(pid_, SIGKILL);
    wait_exit();
  }
  // The exit status, or -SIGNAL when a signal ended it; nullopt if it did not end within the cap.
  std::optional<int> wait_exit() {
    auto deadline = std::chrono::steady_clock::now() + kCap;
    while (!exit_code_ && std::chrono::steady_clock::now() < deadline) {
      poll_exit();
      if (!exit_code_) std::this_thread::sleep_for(10ms);
    }
    return exit_code_;
  }
  pid_t pid() const { return pid_; }

 private:
  void poll_exit() {
    int status = 0;
    if (pid_ > 0 && ::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    }
  }

  fs::path work_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::string address_;
};

Json get_json(Client& client, const std::string& address, const std::string& target) {
  HttpResponse response = client.call(address, "GET", target);
  EXPECT_EQ(response.status, 200) << target << ": " << response.body;
  return response.status == 200 ? parse_json(response.body) : Json();
}

// Contents of every post on the main chain or pending.
std::set<std::string> posts_held(Client& client, const std::string& address) {
  std::set<std::string> held;
  const Json chain = get_json(client, address, "/chain");
  for (const auto& block : chain["chain"]) {
    for (const auto& post : block["transactions"]) held.insert(post["content"].get<std::string>());
  }
  for (const auto& post : get_json(client, address, "/pending_tx"))
    held.insert(post["content"].get<std::string>());
  return held;
}

std::string post_body(const std::string& content) {
  return Json{{"author", "tester"}, {"content", content}}.dump();
}

TEST(Chainnode, KeepsAcknowledgedPostsAndBlocksAfterSigkill) {
  TempDir dir;
  const std::string data = (dir.path() / "data").string();
  Client client;
  std::set<std::string> acknowledged;
  Json chain_before;
  {
    Chainnode node(dir.path(), data);
    ASSERT_TRUE(node.running()) << read_file(node.log_file());
    auto post = [&](int from, int to) {
      for (int i = from; i < to; ++i) {
        const std::string content = "p" + std::to_string(i);
        ASSERT_EQ(
            client.call(node.address(), "POST", "/new_transaction", post_body(content)).status,
            201);
        acknowledged.insert(content);
      }
    };
    ASSERT_NO_FATAL_FAILURE(post(0, 5));
    ASSERT_EQ(client.call(node.address(), "GET", "/mine").body, "Block #1 is mined.");
    // A block from outside, built by the test on the node's tip.
    Json tip = get_json(client, node.address(), "/chain")["chain"][1];
    Block block;
    block.index = 2;
    block.previous_hash = tip["hash"].get<std::string>();
    block.timestamp = 1795527900.5;
    block.transactions.push_back(
        Json{{"author", "outsider"}, {"content", "from a block"}, {"timestamp", 1.5}});
    MiningResult mined = mine(MiningRequest{block, Difficulty::hex_digits(1)});
    ASSERT_TRUE(mined.found);
    ASSERT_EQ(
        client.call(node.address(), "POST", "/add_block", block_to_json(mined.block).dump()).status,
        201);
    acknowledged.insert("from a block");
    ASSERT_NO_FATAL_FAILURE(post(5, 8));
    chain_before = get_json(client, node.address(), "/chain")["chain"];
    node.kill_hard();  // right after the last 201
  }
  Chainnode restarted(dir.path(), data);
  ASSERT_TRUE(restarted.running()) << read_file(restarted.log_file());
  EXPECT_EQ(get_json(client, restarted.address(), "/chain")["chain"], chain_before);
  EXPECT_EQ(posts_held(client, restarted.address()), acknowledged);
  EXPECT_EQ(get_json(client, restarted.address(), "/pending_tx").size(), 3u);
  // It goes on from there.
  EXPECT_EQ(client.call(restarted.address(), "GET", "/mine").body, "Block #3 is mined.");
}

TEST(Chainnode, SigkillDuringABurstLosesNoAcknowledgedPost) {
  TempDir dir;
  const std::string data = (dir.path() / "data").string();
  Client client;
  std::set<std::string> acknowledged;
  std::uint64_t mined_height = 0;
  {
    Chainnode node(dir.path(), data);
    ASSERT_TRUE(node.running()) << read_file(node.log_file());
    std::atomic<int> acks{0};
    // The killer strikes while requests are in flight, not between them.
    std::thread killer([&] {
      auto deadline = std::chrono::steady_clock::now() + kCap;
      while (acks < 25 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(1ms);
      ::kill(node.pid(), SIGKILL);
    });
    for (int i = 0; i < 1000; ++i) {
      const std::string content = "burst " + std::to_string(i);
      HttpResponse posted =
          client.call(node.address(), "POST", "/new_transaction", post_body(content));
      if (posted.status != 201) break;
      acknowledged.insert(content);
      ++acks;
      if (i % 7 == 6) {
        HttpResponse mined = client.call(node.address(), "GET", "/mine");
        if (mined.status != 200) break;
        ++mined_height;
        EXPECT_EQ(mined.body, "Block #" + std::to_string(mined_height) + " is mined.");
      }
    }
    killer.join();
    EXPECT_EQ(node.wait_exit(), -SIGKILL);
  }
  ASSERT_GE(acknowledged.size(), 25u);
  Chainnode restarted(dir.path(), data);
  ASSERT_TRUE(restarted.running()) << read_file(restarted.log_file());
  std::set<std::string> held = posts_held(client, restarted.address());
  for (const auto& content : acknowledged)
    EXPECT_EQ(held.count(content), 1u) << content << " was lost";
  EXPECT_GE(get_json(client, restarted.address(), "/status")["height"].get<std::uint64_t>(),
            mined_height);
}

TEST(Chainnode, RefusesADatabaseEditedByHand) {
  TempDir dir;
  const std::string data = (dir.path() / "data").string();
  Client client;
  {
    Chainnode node(dir.path(), data);
    ASSERT_TRUE(node.running()) << read_file(node.log_file());
    ASSERT_EQ(
        client.call(node.address(), "POST", "/new_transaction", post_body("honest words")).status,
        201);
    ASSERT_EQ(client.call(node.address(), "GET", "/mine").body, "Block #1 is mined.");
    node.kill_hard();
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((fs::path(data) / "chain.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(db, "UPDATE blocks SET body = replace(body, 'honest words', 'forged words')",
                   nullptr, nullptr, nullptr),
      SQLITE_OK);
  EXPECT_EQ(sqlite3_changes(db), 1);
  sqlite3_close(db);

  fs::remove(dir.path() / "chainnode.log");
  Chainnode refused(dir.path(), data);
  EXPECT_EQ(refused.wait_exit(), 3);
  EXPECT_TRUE(refused.address().empty());  // it never listened
  const std::string log = read_file(refused.log_file());
  EXPECT_NE(log.find("refusing"), std::string::npos) << log;
  EXPECT_NE(log.find("block 1: bad_hash"), std::string::npos) << log;
}

TEST(Chainnode, AdvertisesTheAddressGivenAndRestoresItsPeers) {
  TempDir dir_a, dir_b;
  Client client;
  Chainnode b(dir_b.path(), (dir_b.path() / "data").string());
  ASSERT_TRUE(b.running()) << read_file(b.log_file());
  {
    Chainnode a(dir_a.path(), (dir_a.path() / "data").string(),
                {"--advertise", "http://localhost:1234"});
    ASSERT_TRUE(a.running()) << read_file(a.log_file());
    const std::string body = Json{{"node_address", b.address()}}.dump();
    ASSERT_EQ(client.call(a.address(), "POST", "/register_with", body).status, 200);
    // b knows a by the advertised address, not by the one a listens on.
    EXPECT_EQ(get_json(client, b.address(), "/chain")["peers"],
              Json::array({"http://localhost:1234/"}));
    a.kill_hard();
  }
  Chainnode a_again(dir_a.path(), (dir_a.path() / "data").string());
  ASSERT_TRUE(a_again.running()) << read_file(a_again.log_file());
  EXPECT_EQ(get_json(client, a_again.address(), "/chain")["peers"], Json::array({b.address()}));
}

TEST(Chainnode, StopsWhenItsStoreFailsAndLeavesALoadableDatabase) {
  TempDir dir;
  const std::string data = (dir.path() / "data").string();
  Client client;
  std::set<std::string> acknowledged;
  {
    // A 64 KiB cap on file size (128 blocks of 512 bytes), SIGXFSZ ignored so that a write past
    // it fails with EFBIG: the store fails after a few large posts, as on a full disk.
    Chainnode node(dir.path(), data, {},
                   {"/bin/sh", "-c", "trap '' XFSZ; ulimit -f 128; exec \"$0\" \"$@\""});
    ASSERT_TRUE(node.running()) << read_file(node.log_file());
    int refused = 0;
    for (int i = 0; i < 100 && refused == 0; ++i) {
      const std::string content = std::to_string(i) + std::string(4000, 'x');
      HttpResponse posted =
          client.call(node.address(), "POST", "/new_transaction", post_body(content));
      if (posted.status == 201) {
        acknowledged.insert(content);
      } else {
        ++refused;
      }
    }
    ASSERT_EQ(refused, 1) << "the store never failed";
    EXPECT_EQ(node.wait_exit(), 1) << read_file(node.log_file());
    EXPECT_NE(read_file(node.log_file()).find("storage failed"), std::string::npos);
  }
  Chainnode restarted(dir.path(), data);
  ASSERT_TRUE(restarted.running()) << read_file(restarted.log_file());
  EXPECT_EQ(posts_held(client, restarted.address()), acknowledged);
}

TEST(Chainnode, LogsOneLineForEachBlockPeerChangeAndRefusalAndNothingPerPost) {
  TempDir dir, peer_dir;
  Client client;
  Chainnode peer(peer_dir.path(), (peer_dir.path() / "data").string());
  Chainnode node(dir.path(), (dir.path() / "data").string());
  ASSERT_TRUE(node.running() && peer.running()) << read_file(node.log_file());
  const std::string body = Json{{"node_address", peer.address()}}.dump();
  ASSERT_EQ(client.call(node.address(), "POST", "/register_with", body).status, 200);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(client.call(node.address(), "POST", "/new_transaction", post_body("p")).status, 201);
  }
  ASSERT_EQ(client.call(node.address(), "GET", "/mine").body, "Block #1 is mined.");
  EXPECT_EQ(client.call(node.address(), "GET", "/nowhere").status, 404);
  EXPECT_EQ(client.call(node.address(), "POST", "/add_block", "{}").status, 400);
  const std::string huge = post_body(std::string(2u << 20, 'x'));
  EXPECT_EQ(client.call(node.address(), "POST", "/new_transaction", huge).status, 413);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(client.call(node.address(), "GET", "/chain").status, 200);
  node.kill_hard();

  std::map<std::string, int> lines;  // by the event that starts the message
  std::istringstream log(read_file(node.log_file()));
  for (std::string line; std::getline(log, line);) {
    auto level = line.find("] [");
    auto message = line.find("] ", level + 3);
    ASSERT_NE(message, std::string::npos) << line;
    EXPECT_NE(line.find("[info]", level), std::string::npos) << line;
    ++lines[line.substr(message + 2, line.find(' ', message + 2) - message - 2)];
  }
  EXPECT_EQ(lines["block_accepted"], 1);
  EXPECT_EQ(lines["peer_added"], 1);
  EXPECT_EQ(lines["request_rejected"], 3);  // 404, 400 and 413
  EXPECT_EQ(lines["post_accepted"], 0);
  EXPECT_EQ(lines["chain"], 0);
}

TEST(Chainnode, JoinsAChainLargerThanTheDefaultCapWhenToldTo) {
  TempDir dir_a, dir_b, dir_c;
  Client client;
  Chainnode a(dir_a.path(), (dir_a.path() / "data").string());
  ASSERT_TRUE(a.running()) << read_file(a.log_file());
  for (int block = 1; block <= 2; ++block) {  // two blocks of about 1 MB
    for (int i = 0; i < 16; ++i) {
      const std::string content = std::to_string(i) + std::string(60000, 'x');
      ASSERT_EQ(client.call(a.address(), "POST", "/new_transaction", post_body(content)).status,
                201);
    }
    ASSERT_EQ(client.call(a.address(), "GET", "/mine").status, 200);
  }
  ASSERT_EQ(get_json(client, a.address(), "/status")["height"], 2);
  const std::string body = Json{{"node_address", a.address()}}.dump();
  Chainnode small(dir_b.path(), (dir_b.path() / "data").string(), {"--max-chain-mib", "1"});
  ASSERT_TRUE(small.running()) << read_file(small.log_file());
  HttpResponse refused = client.call(small.address(), "POST", "/register_with", body);
  EXPECT_EQ(refused.status, 502);
  EXPECT_NE(refused.body.find("body limit"), std::string::npos) << refused.body;
  Chainnode large(dir_c.path(), (dir_c.path() / "data").string(), {"--max-chain-mib", "3"});
  ASSERT_TRUE(large.running()) << read_file(large.log_file());
  EXPECT_EQ(client.call(large.address(), "POST", "/register_with", body).status, 200);
  EXPECT_EQ(get_json(client, large.address(), "/status")["height"], 2);
}

// A recording forward proxy on its own thread.
class ProxyThread {
 public:
  ProxyThread() : proxy_(io_), runner_([this] { io_.run(); }) {}
  ~ProxyThread() {
    io_.stop();
    runner_.join();
  }
  std::string url() const { return proxy_.url(); }
  std::vector<std::string> targets() const { return proxy_.targets(); }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{asio::make_work_guard(io_)};
  test_support::RecordingProxy proxy_;
  std::thread runner_;
};

TEST(Chainnode, SendsEveryPeerRequestThroughItsHttpProxy) {
  TempDir dir_a, dir_b;
  Client client;
  ProxyThread proxy;
  Chainnode b(dir_b.path(), (dir_b.path() / "data").string());
  Chainnode a(dir_a.path(), (dir_a.path() / "data").string(), {"--http-proxy", proxy.url()});
  ASSERT_TRUE(a.running() && b.running()) << read_file(a.log_file());
  const std::string body = Json{{"node_address", b.address()}}.dump();
  ASSERT_EQ(client.call(a.address(), "POST", "/register_with", body).status, 200);
  ASSERT_EQ(client.call(a.address(), "POST", "/new_transaction", post_body("proxied")).status, 201);
  ASSERT_EQ(client.call(a.address(), "GET", "/mine").body, "Block #1 is mined.");
  ASSERT_EQ(client.call(a.address(), "POST", "/sync").status, 200);
  // The block reached b through the proxy.
  EXPECT_EQ(get_json(client, b.address(), "/status")["height"], 1);
  // Sorted: the announcement and the next round's fetch may reach the proxy in either order.
  std::vector<std::string> targets = proxy.targets();
  std::sort(targets.begin(), targets.end());
  EXPECT_EQ(targets,
            (std::vector<std::string>{b.address() + "add_block", b.address() + "chain",
                                      b.address() + "chain", b.address() + "register_node"}));
}

TEST(Chainnode, TakesItsProxyFromTheEnvironmentUnlessNoProxyNamesThePeer) {
  TempDir dir_a, dir_b, dir_c;
  Client client;
  ProxyThread proxy;
  Chainnode b(dir_b.path(), (dir_b.path() / "data").string());
  ASSERT_TRUE(b.running()) << read_file(b.log_file());
  const std::string body = Json{{"node_address", b.address()}}.dump();
  {
    Chainnode a(dir_a.path(), (dir_a.path() / "data").string(), {},
                {"/usr/bin/env", "-u", "HTTP_PROXY", "-u", "no_proxy", "-u", "NO_PROXY",
                 "http_proxy=" + proxy.url()});
    ASSERT_TRUE(a.running()) << read_file(a.log_file());
    ASSERT_EQ(client.call(a.address(), "POST", "/register_with", body).status, 200);
    EXPECT_EQ(proxy.targets(), std::vector<std::string>{b.address() + "register_node"});
  }
  Chainnode c(dir_c.path(), (dir_c.path() / "data").string(), {},
              {"/usr/bin/env", "-u", "HTTP_PROXY", "-u", "NO_PROXY", "http_proxy=" + proxy.url(),
               "no_proxy=localhost,127.0.0.1"});
  ASSERT_TRUE(c.running()) << read_file(c.log_file());
  ASSERT_EQ(client.call(c.address(), "POST", "/register_with", body).status, 200);
  EXPECT_EQ(proxy.targets().size(), 1u);  // c went directly
}

TEST(Chainnode, StampsPostsAndBlocksWithItsClockOffset) {
  TempDir dir;
  Client client;
  constexpr double kOffset = 86400 * 10;
  Chainnode node(dir.path(), (dir.path() / "data").string(),
                 {"--clock-offset-s", std::to_string(kOffset)});
  ASSERT_TRUE(node.running()) << read_file(node.log_file());
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  ASSERT_EQ(client.call(node.address(), "POST", "/new_transaction", post_body("later")).status,
            201);
  const Json pending = get_json(client, node.address(), "/pending_tx");
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_NEAR(pending[0]["timestamp"].get<double>(), now + kOffset, 30);
  ASSERT_EQ(client.call(node.address(), "GET", "/mine").body, "Block #1 is mined.");
  const Json chain = get_json(client, node.address(), "/chain");
  EXPECT_NEAR(chain["chain"][1]["timestamp"].get<double>(), now + kOffset, 30);
}

TEST(Chainnode, HonoursItsPeerAndSideBranchLimits) {
  TempDir dir;
  Client client;
  Chainnode node(dir.path(), (dir.path() / "data").string(),
                 {"--max-peers", "1", "--max-side-branch-mib", "0"});
  ASSERT_TRUE(node.running()) << read_file(node.log_file());
  auto register_node = [&](const std::string& peer) {
    return client.call(node.address(), "POST", "/register_node",
                       Json{{"node_address", peer}}.dump());
  };
  EXPECT_EQ(register_node("http://127.0.0.1:1").status, 200);
  HttpResponse full = register_node("http://127.0.0.1:2");
  EXPECT_EQ(full.status, 400);
  EXPECT_EQ(full.body, "this node has as many peers as it takes (1)");
  // With no room for side branches, a valid block off the main chain is taken, then forgotten.
  ASSERT_EQ(client.call(node.address(), "POST", "/new_transaction", post_body("main")).status, 201);
  ASSERT_EQ(client.call(node.address(), "GET", "/mine").body, "Block #1 is mined.");
  MiningRequest side;
  side.block.index = 1;
  side.block.previous_hash = kGenesisHash;
  side.block.timestamp = 1700000000.5;
  side.block.transactions = Json::array({Json{{"author", "s"}, {"content", "side"}}});
  side.difficulty = Difficulty::hex_digits(1);
  const Block block = mine(side).block;
  EXPECT_EQ(client.call(node.address(), "POST", "/add_block", block_to_json(block).dump()).status,
            201);
  EXPECT_EQ(client.call(node.address(), "GET", "/block/" + block.hash).status, 404);
  EXPECT_EQ(get_json(client, node.address(), "/status")["height"], 1);
  const std::string metrics = client.call(node.address(), "GET", "/metrics").body.str();
  EXPECT_NE(metrics.find("yournet_blocks_evicted_total 1\n"), std::string::npos) << metrics;
  EXPECT_NE(read_file(node.log_file()).find("blocks_evicted"), std::string::npos);
}

}  // namespace
