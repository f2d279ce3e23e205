#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "test_util.hpp"
#include "yournet/block_tree.hpp"
#include "yournet/crypto.hpp"
#include "yournet/validation.hpp"

namespace yournet {
namespace {

Json signed_post(const Ed25519KeyPair& keys, const std::string& content) {
  auto post = sign_post(test::make_post("alice", content), keys.private_key_hex);
  EXPECT_TRUE(post.has_value()) << (post.has_value() ? "" : post.error());
  return post.has_value() ? *post : Json();
}

TEST(Sha256, EachThreadsReusedContextGivesTheStandardDigests) {
  // sha256() keeps one OpenSSL context per thread; the miner's and the node's threads share it.
  const std::string abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  const std::string empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  std::vector<int> failures(4, 0);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < failures.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        failures[t] += sha256_hex("abc") != abc;
        failures[t] += sha256_hex("") != empty;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int count : failures) EXPECT_EQ(count, 0);
  Sha256Stream stream;  // the streaming form, from the same fetched algorithm
  stream.update("a");
  stream.update("bc");
  EXPECT_EQ(to_hex(stream.finish()), abc);
}

TEST(Signatures, KeyPairShape) {
  Ed25519KeyPair keys = ed25519_generate();
  EXPECT_EQ(keys.private_key_hex.size(), 64u);
  EXPECT_EQ(keys.public_key_hex.size(), 64u);
  auto again = ed25519_from_private(keys.private_key_hex);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->public_key_hex, keys.public_key_hex);
  EXPECT_NE(ed25519_generate().private_key_hex, keys.private_key_hex);
  EXPECT_FALSE(ed25519_from_private("abcd").has_value());
  EXPECT_FALSE(ed25519_from_private(std::string(64, 'z')).has_value());
}

TEST(Signatures, SignAndVerifyRaw) {
  Ed25519KeyPair keys = ed25519_generate();
  auto sig = ed25519_sign(keys.private_key_hex, "message");
  ASSERT_TRUE(sig.has_value());
  EXPECT_EQ(sig->size(), 128u);
  EXPECT_TRUE(ed25519_verify(keys.public_key_hex, "message", *sig));
  EXPECT_FALSE(ed25519_verify(keys.public_key_hex, "messagf", *sig));
  EXPECT_FALSE(ed25519_verify(keys.public_key_hex, "message", "zz"));
  EXPECT_FALSE(ed25519_verify("", "message", *sig));
  EXPECT_FALSE(ed25519_sign("nothex", "m").has_value());
}

TEST(Signatures, SignedPostIsValid) {
  Ed25519KeyPair keys = ed25519_generate();
  Json post = signed_post(keys, "signed hello");
  ASSERT_TRUE(post.is_object());
  EXPECT_EQ(post["public_key"], keys.public_key_hex);
  EXPECT_TRUE(post.contains("signature"));
  EXPECT_EQ(signature_status(post), SignatureStatus::valid);
  EXPECT_FALSE(check_post(post, ChainParams{}).has_value());
  ChainParams strict;
  strict.require_signatures = true;
  EXPECT_FALSE(check_post(post, strict).has_value());
  Json without = post;
  without.erase("signature");
  EXPECT_EQ(post_signing_bytes(post), canonical(without));
}

TEST(Signatures, TamperedContentIsInvalid) {
  Ed25519KeyPair keys = ed25519_generate();
  Json post = signed_post(keys, "original");
  post["content"] = "tampered";
  EXPECT_EQ(signature_status(post), SignatureStatus::invalid);
  auto verdict = check_post(post, ChainParams{});
  ASSERT_TRUE(verdict.has_value());
  EXPECT_EQ(verdict->rule, Rule::bad_signature);

  Json retimed = signed_post(keys, "original");
  retimed["timestamp"] = 1.0;
  EXPECT_EQ(signature_status(retimed), SignatureStatus::invalid);
}

TEST(Signatures, WrongKeyIsInvalid) {
  Ed25519KeyPair keys = ed25519_generate();
  Ed25519KeyPair other = ed25519_generate();
  Json post = signed_post(keys, "mine");
  post["public_key"] = other.public_key_hex;
  EXPECT_EQ(signature_status(post), SignatureStatus::invalid);
  ASSERT_TRUE(check_post(post, ChainParams{}).has_value());
  EXPECT_EQ(check_post(post, ChainParams{})->rule, Rule::bad_signature);
}

TEST(Signatures, MalformedHexIsInvalidWithoutCrash) {
  Ed25519KeyPair keys = ed25519_generate();
  Json base = signed_post(keys, "x");
  const Json bad_values[] = {
      "", "zz", "abc", std::string(64, 'g'), std::string(1000, 'a'), 42, nullptr, Json::array()};
  for (const Json& value : bad_values) {
    SCOPED_TRACE(value.dump());
    Json bad_sig = base;
    bad_sig["signature"] = value;
    EXPECT_EQ(signature_status(bad_sig), SignatureStatus::invalid);
    EXPECT_TRUE(check_post(bad_sig, ChainParams{}).has_value());
    Json bad_key = base;
    bad_key["public_key"] = value;
    EXPECT_EQ(signature_status(bad_key), SignatureStatus::invalid);
    EXPECT_TRUE(check_post(bad_key, ChainParams{}).has_value());
  }
}

TEST(Signatures, UnsignedPostWhenRequired) {
  Json post = test::make_post("bob", "no signature");
  EXPECT_EQ(signature_status(post), SignatureStatus::unsigned_post);
  EXPECT_FALSE(check_post(post, ChainParams{}).has_value());
  ChainParams strict;
  strict.require_signatures = true;
  auto verdict = check_post(post, strict);
  ASSERT_TRUE(verdict.has_value());
  EXPECT_EQ(verdict->rule, Rule::unsigned_post);
}

TEST(Signatures, SignPostNeedsTimestamp) {
  Ed25519KeyPair keys = ed25519_generate();
  Json post = Json::object();
  post["author"] = "alice";
  post["content"] = "no time";
  auto result = sign_post(post, keys.private_key_hex);
  EXPECT_FALSE(result.has_value());
  EXPECT_FALSE(result.has_value() ? false : result.error().empty());
}

TEST(Signatures, SignPostRejectsMalformedPrivateKey) {
  EXPECT_FALSE(sign_post(test::make_post("a", "b"), "not a key").has_value());
}

TEST(Signatures, SignedPostReplayedOnSameBranchIsDuplicate) {
  ChainParams params;
  params.difficulty = Difficulty::bits(4);
  params.require_signatures = true;
  BlockTree tree(params);
  Ed25519KeyPair keys = ed25519_generate();
  Json post = signed_post(keys, "pay once");
  Block b1 = test::mine_child(genesis_block(), {post});
  ASSERT_EQ(tree.add(b1).status, AddStatus::added);
  Block b2 = test::mine_child(b1, {post});
  AddResult r = tree.add(b2);
  EXPECT_EQ(r.status, AddStatus::invalid);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->rule, Rule::duplicate_post);
  EXPECT_EQ(r.error->block_index, std::optional<std::uint64_t>(2));

  // An unsigned post is refused on a chain that requires signatures.
  Block unsigned_block = test::mine_child(b1, {test::make_post("bob", "plain")});
  AddResult u = tree.add(unsigned_block);
  EXPECT_EQ(u.status, AddStatus::invalid);
  ASSERT_TRUE(u.error.has_value());
  EXPECT_EQ(u.error->rule, Rule::unsigned_post);
}

}  // namespace
}  // namespace yournet
