// The node's typed operations: every refusal is reachable and says what it is, consensus (a Rule)
// or policy (an enum of this node's choices), without an HTTP message in sight.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "node_doubles.hpp"
#include "test_util.hpp"
#include "yournet/node/node.hpp"

using namespace yournet;
using yournet::test::FixedClock;
using yournet::test::InlineMiner;
using yournet::test::make_post;
using yournet::test::mine_child;
using yournet::test::OfflineTransport;

namespace {

const std::string kSelf = "http://127.0.0.1:8000/", kPeer = "http://127.0.0.1:8001/";

NodeConfig test_config() {
  NodeConfig config;
  config.self_address = kSelf;
  config.params = yournet::test::fast_params();
  return config;
}

// A miner that answers only when told: a mining call stays under way meanwhile.
class HeldMiner : public MiningService {
 public:
  void mine(MiningRequest request, std::function<void(MiningResult)> done) override {
    held_request = std::move(request);
    held = std::move(done);
  }
  std::optional<MiningRequest> held_request;
  std::function<void(MiningResult)> held;
};

struct TestNode {
  explicit TestNode(NodeConfig config = test_config())
      : node(std::move(config), transport, clock, miner) {}
  OfflineTransport transport;
  FixedClock clock;
  InlineMiner miner;
  Node node;
};

// The outcome of a call whose callback the node may run at once.
template <class Outcome, class Call>
std::optional<Outcome> outcome_of(Call call) {
  std::optional<Outcome> out;
  call([&](Outcome outcome) { out = std::move(outcome); });
  return out;
}

TEST(NodeOutcomes, APostOverTheSizeLimitIsAPolicyRefusal) {
  NodeConfig config = test_config();
  config.policy.mempool.max_post_bytes = 100;
  TestNode t(config);
  auto refused = t.node.submit_post(make_post("alice", std::string(200, 'x')));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().reason, PostRefusal::too_large);
  EXPECT_EQ(refused.error().kind(), RefusalKind::policy);
  EXPECT_FALSE(refused.error().rule);
}

TEST(NodeOutcomes, APostBreakingARuleIsAConsensusRefusalNamingIt) {
  TestNode t;
  auto refused = t.node.submit_post(Json{{"author", ""}, {"content", "x"}});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().reason, PostRefusal::invalid);
  EXPECT_EQ(refused.error().kind(), RefusalKind::consensus);
  EXPECT_EQ(refused.error().rule, Rule::malformed_post);

  NodeConfig signed_only = test_config();
  signed_only.params.require_signatures = true;
  TestNode strict(signed_only);
  auto unsigned_post = strict.node.submit_post(make_post("alice", "hi"));
  ASSERT_FALSE(unsigned_post);
  EXPECT_EQ(unsigned_post.error().kind(), RefusalKind::consensus);
  EXPECT_EQ(unsigned_post.error().rule, Rule::unsigned_post);
}

TEST(NodeOutcomes, EveryPolicyRefusalOfAPostIsTyped) {
  NodeConfig config = test_config();
  config.policy.mempool.max_posts = 1;
  TestNode t(config);
  // The node would stamp it, voiding the signature.
  auto unstamped = t.node.submit_post(Json{{"author", "a"}, {"content", "b"}, {"signature", "00"}});
  ASSERT_FALSE(unstamped);
  EXPECT_EQ(unstamped.error().reason, PostRefusal::signed_without_timestamp);
  EXPECT_EQ(unstamped.error().kind(), RefusalKind::policy);

  ASSERT_TRUE(t.node.submit_post(make_post("alice", "one")));
  auto again = t.node.submit_post(make_post("alice", "one"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().reason, PostRefusal::already_pending);
  auto full = t.node.submit_post(make_post("alice", "two"));
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().reason, PostRefusal::pool_full);
  EXPECT_EQ(full.error().kind(), RefusalKind::policy);

  auto mined = outcome_of<MineOutcome>([&](auto done) { t.node.mine(done); });
  ASSERT_TRUE(mined);
  ASSERT_EQ(mined->status, MineStatus::mined);
  auto in_chain = t.node.submit_post(make_post("alice", "one"));
  ASSERT_FALSE(in_chain);
  EXPECT_EQ(in_chain.error().reason, PostRefusal::already_in_chain);
  EXPECT_EQ(in_chain.error().kind(), RefusalKind::policy);
}

TEST(NodeOutcomes, ABlockWithABadHashIsRefusedNamingTheRule) {
  TestNode t;
  Block block = mine_child(genesis_block(), {make_post("alice", "hi")});
  block.transactions[0]["content"] = "changed after mining";
  const BlockVerdict verdict = t.node.receive_block(std::make_shared<const Block>(block), kPeer);
  EXPECT_EQ(verdict.status, AddStatus::invalid);
  EXPECT_EQ(verdict.kind(), RefusalKind::consensus);
  ASSERT_TRUE(verdict.error);
  EXPECT_EQ(verdict.error->rule, Rule::bad_hash);
  EXPECT_EQ(t.node.tree().height(), 0u);
}

TEST(NodeOutcomes, ABlockWithTooLittleWorkIsRefusedNamingTheRule) {
  TestNode t;
  // Mined with no work at all: its hash (the same every run) misses the node's 4 bits.
  Block block = mine_child(genesis_block(), {}, Difficulty::bits(0), 3);
  ASSERT_FALSE(meets_difficulty(block.hash, t.node.config().params.difficulty)) << block.hash;
  const BlockVerdict verdict = t.node.receive_block(std::make_shared<const Block>(block), kPeer);
  EXPECT_EQ(verdict.status, AddStatus::invalid);
  ASSERT_TRUE(verdict.error);
  EXPECT_EQ(verdict.error->rule, Rule::insufficient_work);
}

TEST(NodeOutcomes, ABlockIsAcceptedOnceThenKnownAndOneWithoutParentKept) {
  TestNode t;
  const Block first = mine_child(genesis_block(), {});
  const Block second = mine_child(first, {});
  const BlockVerdict orphan = t.node.receive_block(std::make_shared<const Block>(second), kPeer);
  EXPECT_EQ(orphan.status, AddStatus::orphan);
  EXPECT_FALSE(orphan.error);
  const BlockVerdict added = t.node.receive_block(std::make_shared<const Block>(first), kPeer);
  EXPECT_EQ(added.status, AddStatus::added);
  EXPECT_EQ(t.node.tree().height(), 2u) << "the orphan connected";
  const BlockVerdict known = t.node.receive_block(std::make_shared<const Block>(first), kPeer);
  EXPECT_EQ(known.status, AddStatus::already_known);
}

TEST(NodeOutcomes, EveryPeerRefusalIsTyped) {
  NodeConfig config = test_config();
  config.policy.max_peers = 1;
  TestNode t(config);
  auto invalid = t.node.add_peer("ftp://127.0.0.1:8001");
  ASSERT_FALSE(invalid);
  EXPECT_EQ(invalid.error(), PeerRefusal::invalid_address);
  auto self = t.node.add_peer("http://127.0.0.1:8000");
  ASSERT_FALSE(self);
  EXPECT_EQ(self.error(), PeerRefusal::is_self);
  auto added = t.node.add_peer("http://127.0.0.1:8001");
  ASSERT_TRUE(added);
  EXPECT_EQ(*added, kPeer) << "normalized";
  EXPECT_TRUE(t.node.add_peer(kPeer)) << "a peer already is no refusal";
  auto full = t.node.add_peer("http://127.0.0.1:8002");
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error(), PeerRefusal::peers_full);
  EXPECT_STREQ(peer_refusal_name(full.error()), "peers_full");
}

TEST(NodeOutcomes, RegisterWithRefusesAtOnceOrReportsThePeersFailure) {
  NodeConfig config = test_config();
  config.policy.max_peers = 1;
  TestNode t(config);
  auto register_with = [&](const std::string& address) {
    return outcome_of<RegisterOutcome>([&](auto done) { t.node.register_with(address, done); });
  };
  auto invalid = register_with("not an address");
  ASSERT_TRUE(invalid);
  EXPECT_EQ(std::get<PeerRefusal>(*invalid), PeerRefusal::invalid_address);
  auto self = register_with(kSelf);
  ASSERT_TRUE(self);
  EXPECT_EQ(std::get<PeerRefusal>(*self), PeerRefusal::is_self);

  // The transport is offline: no answer, so the node plans a second attempt.
  auto offline = register_with(kPeer);
  ASSERT_TRUE(offline);
  const auto& failed = std::get<RegisterFailed>(*offline);
  EXPECT_EQ(failed.failure, RegisterFailure::no_answer);
  EXPECT_EQ(failed.error, "offline");
  EXPECT_EQ(failed.attempt, 1u);
  EXPECT_EQ(failed.retry_in_s, kRegisterRetryBaseS);

  ASSERT_TRUE(t.node.add_peer(kPeer));
  auto full = register_with("http://127.0.0.1:8002");
  ASSERT_TRUE(full);
  EXPECT_EQ(std::get<PeerRefusal>(*full), PeerRefusal::peers_full);
}

TEST(NodeOutcomes, MiningSaysWhyItMinedNothing) {
  OfflineTransport transport;
  FixedClock clock;
  HeldMiner miner;
  Node node(test_config(), transport, clock, miner);
  auto nothing = outcome_of<MineOutcome>([&](auto done) { node.mine(done); });
  ASSERT_TRUE(nothing);
  EXPECT_EQ(nothing->status, MineStatus::nothing_to_mine);
  EXPECT_FALSE(nothing->block);

  ASSERT_TRUE(node.submit_post(make_post("alice", "hi")));
  std::optional<MineOutcome> first;
  node.mine([&](MineOutcome outcome) { first = std::move(outcome); });
  EXPECT_FALSE(first) << "under way";
  auto second = outcome_of<MineOutcome>([&](auto done) { node.mine(done); });
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, MineStatus::already_mining);

  miner.held(MiningResult{});  // stopped before it found a nonce
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, MineStatus::stopped);
  EXPECT_EQ(node.tree().height(), 0u);

  std::optional<MineOutcome> third;
  node.mine([&](MineOutcome outcome) { third = std::move(outcome); });
  miner.held(yournet::mine(*miner.held_request));
  ASSERT_TRUE(third);
  ASSERT_EQ(third->status, MineStatus::mined);
  ASSERT_TRUE(third->block);
  EXPECT_EQ(third->block->index, 1u);
  EXPECT_EQ(node.tree().tip().hash, third->block->hash);
}

}  // namespace
