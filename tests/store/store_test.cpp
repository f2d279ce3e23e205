// SqliteStore and Node::load: what a node accepted comes back exactly (chain, side branches,
// pending pool in order, peers), and a database that does not hold a valid history is refused
// with a message naming the record at fault.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "node_doubles.hpp"
#include "test_util.hpp"
#include "yournet/node/http_api.hpp"
#include "yournet/store/sqlite_store.hpp"

using namespace yournet;
using yournet::test::FixedClock;
using yournet::test::InlineMiner;
using yournet::test::make_post;
using yournet::test::mine_child;
using yournet::test::OfflineTransport;
namespace fs = std::filesystem;

namespace {

class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = fs::temp_directory_path() /
            ("yournet-store-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  fs::path file() const { return path_ / "chain.db"; }

 private:
  fs::path path_;
};

const std::string kSelf = "http://127.0.0.1:8000/";

// A node and its environment, optionally backed by a store.
struct TestNode {
  explicit TestNode(NodeStore* store = nullptr)
      : node(config(), transport, clock, miner, nullptr, store) {}
  static NodeConfig config() {
    NodeConfig config;
    config.self_address = kSelf;
    config.params = yournet::test::fast_params();
    return config;
  }
  HttpResponse call(const std::string& method, const std::string& target,
                    const std::string& body = "") {
    HttpResponse out{-1, ""};
    handle_request(node, HttpRequest{method, target, body}, [&](HttpResponse r) { out = r; });
    return out;
  }
  FixedClock clock;
  OfflineTransport transport;
  InlineMiner miner;
  Node node;
};

void run_sql(const fs::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  EXPECT_EQ(rc, SQLITE_OK) << (error ? error : "");
  EXPECT_GT(sqlite3_changes(db), 0) << sql;
  sqlite3_free(error);
  sqlite3_close(db);
}

// Loads the file into a fresh node; the error, if the node refused it.
std::optional<std::string> load_into(const fs::path& file, TestNode& fresh) {
  store::SqliteStore store(file, TestNode::config().params);
  return fresh.node.load(store.load());
}

// A history with a reorg: the node mines block 1a from two posts, a peer's longer branch 1b-2b
// replaces it, so both posts are pending again, with a third one accepted after the mining.
void build_history_with_reorg(const fs::path& file, Json& chain_body, std::vector<Json>& pending,
                              std::size_t& blocks_known) {
  store::SqliteStore store(file, TestNode::config().params);
  TestNode live(&store);
  ASSERT_EQ(live.call("POST", "/new_transaction", R"({"author": "a", "content": "first"})").status,
            201);
  ASSERT_EQ(live.call("POST", "/new_transaction", R"({"author": "a", "content": "second"})").status,
            201);
  ASSERT_EQ(live.call("GET", "/mine").body, "Block #1 is mined.");
  ASSERT_EQ(live.call("POST", "/new_transaction", R"({"author": "a", "content": "third"})").status,
            201);
  ASSERT_EQ(
      live.call("POST", "/register_node", R"({"node_address": "http://127.0.0.1:8001"})").status,
      200);
  Block b1 = mine_child(genesis_block(), {make_post("b", "peer's own")}, Difficulty::bits(4), 0.5);
  Block b2 = mine_child(b1, {}, Difficulty::bits(4));
  ASSERT_EQ(live.node.accept_block(b1, "").status, AddStatus::added);
  ASSERT_EQ(live.node.accept_block(b2, "").status, AddStatus::added);
  ASSERT_EQ(live.node.tree().tip().hash, b2.hash);
  ASSERT_EQ(live.node.mempool().size(), 3u);
  chain_body = live.node.chain_body();
  pending = live.node.mempool().posts();
  blocks_known = live.node.tree().size();
}

// A fresh store holding the history above.
class StoredHistory : public ::testing::Test {
 protected:
  void SetUp() override { build_history_with_reorg(dir.file(), chain_body, pending, blocks_known); }
  TempDir dir;
  Json chain_body;
  std::vector<Json> pending;
  std::size_t blocks_known = 0;
};

TEST_F(StoredHistory, ReplayReproducesChainSideBranchesPendingPoolAndPeers) {
  TestNode restarted;
  ASSERT_EQ(load_into(dir.file(), restarted), std::nullopt);
  EXPECT_EQ(restarted.node.chain_body(), chain_body);
  EXPECT_EQ(restarted.node.mempool().posts(), pending);   // same posts, same order
  EXPECT_EQ(restarted.node.tree().size(), blocks_known);  // the abandoned block 1a too
  EXPECT_EQ(restarted.node.peers(), std::vector<std::string>{"http://127.0.0.1:8001/"});
}

TEST_F(StoredHistory, RecordsAreKeptAcrossReopenAndNewRecordsFollowTheOldOnes) {
  {
    store::SqliteStore store(dir.file(), TestNode::config().params);
    TestNode second(&store);
    ASSERT_EQ(second.node.load(store.load()), std::nullopt);
    EXPECT_EQ(second.call("GET", "/mine").body, "Block #3 is mined.");
    EXPECT_TRUE(second.node.remove_peer("http://127.0.0.1:8001/", "test"));
  }
  TestNode third;
  ASSERT_EQ(load_into(dir.file(), third), std::nullopt);
  EXPECT_EQ(third.node.tree().height(), 3u);
  EXPECT_EQ(third.node.mempool().size(), 0u);
  EXPECT_TRUE(third.node.peers().empty());
}

TEST_F(StoredHistory, NodeWithoutStoreStartsEmptyAndLoadNeedsAFreshNode) {
  TestNode used;
  ASSERT_EQ(used.call("POST", "/new_transaction", R"({"author": "c", "content": "x"})").status,
            201);
  auto refused = load_into(dir.file(), used);
  ASSERT_TRUE(refused);
  EXPECT_NE(refused->find("fresh"), std::string::npos);
}

struct Tampering {
  const char* sql;
  const char* expected_in_error;
};

class TamperedStore : public StoredHistory, public ::testing::WithParamInterface<Tampering> {};

TEST_P(TamperedStore, IsRefusedNamingTheRecord) {
  run_sql(dir.file(), GetParam().sql);
  TestNode restarted;
  auto refused = load_into(dir.file(), restarted);
  ASSERT_TRUE(refused) << GetParam().sql;
  EXPECT_NE(refused->find(GetParam().expected_in_error), std::string::npos) << *refused;
}

INSTANTIATE_TEST_SUITE_P(
    Edits, TamperedStore,
    ::testing::Values(
        Tampering{R"(UPDATE blocks SET body = replace(body, '"peer''s own"', '"forged"'))",
                  "bad_hash"},
        Tampering{
            "UPDATE blocks SET body = replace(body, '\"nonce\":', '\"nonce\":1') WHERE height = 2",
            "block record"},
        Tampering{"DELETE FROM blocks WHERE body LIKE '%peer''s own%'",
                  "is not among the earlier records"},
        Tampering{"UPDATE blocks SET body = '{not json' WHERE height = 1", "block record"},
        Tampering{"UPDATE blocks SET hash = 'ab' || substr(hash, 3) WHERE height = 2",
                  "recorded as"},
        Tampering{R"(UPDATE posts SET body = replace(body, '"third"', '"3rd"'))", "recorded as"},
        Tampering{R"(UPDATE posts SET body = replace(body, '"author":"a"', '"author":""'))",
                  "malformed_post"},
        Tampering{"UPDATE peers SET address = 'ftp://evil'", "peer record"}),
    [](const auto& info) { return "edit" + std::to_string(info.index); });

TEST(SqliteStore, RefusesAnotherSchemaOtherParamsNonDatabaseAndASecondOpener) {
  TempDir dir;
  { store::SqliteStore store(dir.file(), TestNode::config().params); }
  ChainParams harder = TestNode::config().params;
  harder.difficulty = Difficulty::bits(8);
  try {
    store::SqliteStore other(dir.file(), harder);
    FAIL() << "opened with other chain parameters";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("difficulty 4 bits"), std::string::npos) << e.what();
  }
  {
    store::SqliteStore first(dir.file(), TestNode::config().params);
    EXPECT_THROW(store::SqliteStore second(dir.file(), TestNode::config().params), StoreError);
  }
  run_sql(dir.file(), "UPDATE meta SET value = '99' WHERE key = 'schema_version'");
  try {
    store::SqliteStore future(dir.file(), TestNode::config().params);
    FAIL() << "opened another schema version";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("schema version 99"), std::string::npos) << e.what();
  }
  fs::remove_all(dir.file().parent_path());
  fs::create_directories(dir.file().parent_path());
  {
    std::ofstream junk(dir.file());
    junk << std::string(4096, 'x');
  }
  EXPECT_THROW(store::SqliteStore junk(dir.file(), TestNode::config().params), StoreError);
}

// A disk that refuses every write.
class FailingStore : public NodeStore {
 public:
  void save_block(const std::shared_ptr<const Block>&) override { throw StoreError("disk full"); }
  void save_post(const std::string&, const Json&) override { throw StoreError("disk full"); }
  void save_peer(const std::string&) override { throw StoreError("disk full"); }
  void remove_peer(const std::string&) override { throw StoreError("disk full"); }
};

TEST(Node, AcknowledgesNothingItCouldNotStore) {
  FailingStore store;
  TestNode live(&store);
  bool answered = false;
  auto handle = [&](const std::string& method, const std::string& target, const std::string& body) {
    handle_request(live.node, HttpRequest{method, target, body},
                   [&](HttpResponse) { answered = true; });
  };
  EXPECT_THROW(handle("POST", "/new_transaction", R"({"author": "a", "content": "x"})"),
               StoreError);
  EXPECT_THROW(handle("POST", "/add_block", block_to_json(mine_child(genesis_block(), {})).dump()),
               StoreError);
  EXPECT_THROW(handle("POST", "/register_node", R"({"node_address": "http://127.0.0.1:8001"})"),
               StoreError);
  EXPECT_FALSE(answered);
  EXPECT_TRUE(live.node.peers().empty());
}

TEST(Node, DropsAPeerThatKeepsFailingOnlyWhenConfigured) {
  for (double drop_after : {0.0, 30.0}) {
    FixedClock clock;
    OfflineTransport transport;
    InlineMiner miner;
    NodeConfig config = TestNode::config();
    config.policy.drop_peer_after = drop_after;
    Node node(config, transport, clock, miner);
    ASSERT_TRUE(node.add_peer("http://127.0.0.1:8001"));
    node.run_consensus([] {});  // first failure
    clock.seconds += 29;
    node.run_consensus([] {});
    EXPECT_EQ(node.peers().size(), 1u);
    clock.seconds += 2;
    node.run_consensus([] {});
    EXPECT_EQ(node.peers().size(), drop_after > 0 ? 0u : 1u) << drop_after;
    EXPECT_EQ(node.metrics().peers_dropped, drop_after > 0 ? 1u : 0u);
  }
}

TEST(Node, BlockRouteAndMetrics) {
  TestNode live;
  ASSERT_EQ(live.call("POST", "/new_transaction", R"({"author": "a", "content": "x"})").status,
            201);
  ASSERT_EQ(live.call("GET", "/mine").body, "Block #1 is mined.");
  const Block tip = live.node.tree().tip();
  HttpResponse found = live.call("GET", "/block/" + tip.hash);
  EXPECT_EQ(found.status, 200);
  EXPECT_EQ(found.content_type, "application/json");
  EXPECT_EQ(parse_json(found.body), block_to_json(tip));
  EXPECT_EQ(live.call("GET", "/block/" + std::string(64, 'a')).status, 404);
  EXPECT_EQ(live.call("GET", "/block/xyz").status, 400);
  EXPECT_EQ(live.call("POST", "/block/" + tip.hash).status, 405);
  EXPECT_EQ(live.call("GET", "/nowhere").status, 404);

  HttpResponse metrics = live.call("GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.content_type.rfind("text/plain; version=0.0.4", 0), 0u);
  for (const char* line :
       {"yournet_height 1\n", "yournet_pending_posts 0\n", "yournet_blocks_mined_total 1\n",
        "yournet_blocks_accepted_total 1\n", "yournet_posts_accepted_total 1\n",
        "# TYPE yournet_http_requests_total counter\n",
        "yournet_http_requests_total{route=\"/block/\",status=\"404\"} 1\n",
        "yournet_http_requests_total{route=\"/block/\",status=\"200\"} 1\n",
        "yournet_http_requests_total{route=\"other\",status=\"404\"} 1\n",
        "yournet_http_requests_total{route=\"/new_transaction\",status=\"201\"} 1\n"}) {
    EXPECT_NE(metrics.body.find(line), std::string::npos) << line << metrics.body;
  }
}

}  // namespace
