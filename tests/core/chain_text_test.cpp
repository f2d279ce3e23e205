// ChainText (a chain validated from its text) against validate_chain on the parsed JSON: the same
// verdict, error message and blocks for every body, in the writers' layouts the network sees.
#include "yournet/chain_text.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "test_util.hpp"
#include "yournet/huge_pages.hpp"
#include "yournet/validation.hpp"

namespace yournet {
namespace {

struct Outcome {
  std::optional<std::string> json_error;
  std::optional<std::string> invalid;  // the ValidationError's message
  std::vector<Json> blocks;            // of a valid chain, as the wire carries them
  std::size_t fast = 0;
  std::size_t helped = 0;  // blocks read on threads other than the caller's
};

// Plans that split even the shortest chain: the scan on several threads, from guessed block
// starts, whatever the text.
ChainScanPlan split_plan(unsigned threads) {
  ChainScanPlan plan;
  plan.threads = threads;
  plan.min_part_bytes = 1;
  return plan;
}

Outcome exact_outcome(const std::string& text, const ChainParams& params) {
  Outcome outcome;
  try {
    auto chain = validate_chain(parse_json(text), params);
    if (!chain) {
      outcome.invalid = chain.error().message();
    } else {
      for (const auto& block : *chain) outcome.blocks.push_back(block_to_json(block));
    }
  } catch (const JsonError& e) {
    outcome.json_error = e.what();
  }
  return outcome;
}

Outcome text_outcome(const std::string& text, const ChainParams& params,
                     const ChainScanPlan& plan = {}) {
  Outcome outcome;
  try {
    ChainText chain_text(text, plan);
    auto chain = chain_text.validate(params);
    outcome.fast = chain_text.blocks_read_fast();
    outcome.helped = chain_text.blocks_read_by_helpers();
    if (!chain) {
      outcome.invalid = chain.error().message();
    } else {
      for (const auto& block : *chain) {
        Block read = block_from_text(block.json);
        EXPECT_EQ(block.hash, read.hash);
        EXPECT_EQ(block.index, read.index);
        EXPECT_EQ(block.posts, read.transactions.size());
        outcome.blocks.push_back(block_to_json(read));
      }
    }
  } catch (const JsonError& e) {
    outcome.json_error = e.what();
  }
  return outcome;
}

// The number of blocks the text path read without the exact parser. The text path is read on one
// thread and split over several, each with the exact verdict.
std::size_t expect_same(const std::string& text, const ChainParams& params = test::fast_params()) {
  SCOPED_TRACE(text.substr(0, 400));
  Outcome exact = exact_outcome(text, params);
  Outcome fast = text_outcome(text, params);
  EXPECT_EQ(fast.json_error, exact.json_error);
  EXPECT_EQ(fast.invalid, exact.invalid);
  EXPECT_EQ(fast.blocks, exact.blocks);
  EXPECT_EQ(fast.helped, 0u);
  for (unsigned threads : {2u, 3u, 8u}) {
    SCOPED_TRACE(threads);
    ChainScanPlan plan = split_plan(threads);
    if (threads == 3) plan.memory = huge_page_resource();  // as chaintool reads
    Outcome split = text_outcome(text, params, plan);
    EXPECT_EQ(split.json_error, exact.json_error);
    EXPECT_EQ(split.invalid, exact.invalid);
    EXPECT_EQ(split.blocks, exact.blocks);
    EXPECT_EQ(split.fast, fast.fast);
  }
  return fast.fast;
}

// Blocks the text path read on other threads with this plan (a valid chain's).
std::size_t helped_blocks(const std::string& text, const ChainScanPlan& plan) {
  Outcome split = text_outcome(text, test::fast_params(), plan);
  EXPECT_FALSE(split.invalid || split.json_error) << text.substr(0, 400);
  return split.helped;
}

// A mined chain whose blocks carry these posts (one block a list).
Json chain_body(const std::vector<std::vector<Json>>& blocks) {
  Json chain = Json::array();
  Block parent = genesis_block();
  chain.push_back(block_to_json(parent));
  for (const auto& posts : blocks) {
    parent = test::mine_child(parent, posts);
    chain.push_back(block_to_json(parent));
  }
  return Json{{"length", chain.size()}, {"chain", chain}, {"peers", Json::array({"http://a:1/"})}};
}

// The body in three writers' layouts: nlohmann's compact dump (our node), Python's json.dumps
// (the reference node: ", " and ": ", ensure_ascii), and an indented one.
std::vector<std::string> layouts(const Json& body) {
  return {body.dump(), canonical(body), body.dump(2)};
}

TEST(ChainText, ReadsTheReferenceChainWithoutTheExactParserWhereItCan) {
  const std::string text = test::read_text("reference_chain.json");
  // Blocks 0, 1 and 4 are plain text; block 2 has \u escapes, block 3 nested post fields.
  EXPECT_EQ(expect_same(text, ChainParams{}), 3u);
  for (const char* file :
       {"reference_chain_broken_link.json", "reference_chain_tampered_content.json",
        "reference_chain_tampered_nonce.json"}) {
    expect_same(test::read_text(file), ChainParams{});
  }
}

TEST(ChainText, PlainChainsAreReadFastInEveryLayout) {
  Json body = chain_body({{test::make_post("a", "one"), test::make_post("b", "two")},
                          {},
                          {test::make_post("c", "quote \" and \\ and \n newline", 1.0)},
                          {test::make_post("d", "int stamp", 0)}});
  for (const auto& text : layouts(body)) EXPECT_EQ(expect_same(text), 5u);
  EXPECT_EQ(expect_same(body["chain"].dump()), 5u);  // a bare array
}

// Posts in Python's layout are hashed where they lie; any other writing of the same posts is
// written out again first. Both read fast, to the same blocks.
TEST(ChainText, PostsWrittenAnyWayAreReadFast) {
  const Json first = test::make_post("a", "one", 1.5), second = test::make_post("b", "two", 7);
  const Json body = chain_body({{first, second}, {}, {second}});
  const std::string text = canonical(body);
  const std::string first_text = canonical(first), second_text = canonical(second);
  auto replaced = [&text](std::vector<std::pair<std::string, std::string>> edits) {
    std::string out = text;
    for (const auto& [from, to] : edits) {
      auto at = out.find(from);
      EXPECT_NE(at, std::string::npos) << from;
      if (at != std::string::npos) out.replace(at, from.size(), to);
    }
    return out;
  };
  const std::string reordered = R"({"content": "one", "author": "a", "timestamp": 1.5})";
  const std::string spaced = R"({ "author": "a", "content": "one", "timestamp": 1.5 })";
  const std::string number = R"({"author": "a", "content": "one", "timestamp": 15e-1})";
  const std::string tight = R"({"author":"a","content":"one","timestamp":1.5})";
  for (const std::string& variant : {
           text,
           replaced({{first_text, reordered}}),
           replaced({{first_text, spaced}}),
           replaced({{first_text, number}}),
           replaced({{first_text, tight}}),
           // The second post written otherwise, after one read as it lies.
           replaced({{second_text, R"({"timestamp": 7.0, "author": "b", "content": "two"})"}}),
           replaced({{first_text + ", " + second_text, first_text + ",\n" + second_text}}),
           replaced({{"[" + first_text, "[ " + first_text}}),
           replaced({{second_text + "]", second_text + " ]"}}),
           replaced({{"\"transactions\": []", "\"transactions\": [ ]"}}),
       }) {
    EXPECT_EQ(expect_same(variant), 4u) << variant;
  }
  // Written otherwise, the canonical text differs: the block's hash no longer holds.
  const std::string forged = R"({"author": "a", "content": "one", "timestamp": 1.25})";
  EXPECT_EQ(expect_same(replaced({{first_text, forged}})), 3u);
}

TEST(ChainText, PostsOfEveryShapeGetTheExactVerdict) {
  Json extra = test::make_post("a", "extra fields");
  extra["zeta"] = true;
  extra["alpha"] = nullptr;
  extra["mid"] = -12;
  Json nested = test::make_post("a", "nested");
  nested["tags"] = Json::array({"x", Json::object({{"k", 1.5}})});
  Json unicode = test::make_post("Zo\xc3\xab", "caf\xc3\xa9 \xf0\x9f\x98\x80 \x7f");
  Json slash = test::make_post("a", "a/b");
  Json floats = test::make_post("a", "floats", 1e-7);
  Json big = test::make_post("a", "big", 1e22);
  Json signed_post = test::make_post("s", "signed", 1700000000.25);
  signed_post = *sign_post(signed_post, std::string(64, '1'));
  Json bad_author = test::make_post("", "empty author");
  Json no_content = Json{{"author", "a"}, {"timestamp", 1.0}};
  Json text_stamp = Json{{"author", "a"}, {"content", "c"}, {"timestamp", "now"}};
  Json not_object = Json::array({"author", "a"});
  const std::vector<std::vector<Json>> cases = {
      {extra},      {nested},     {unicode},    {slash},      {floats, big}, {signed_post},
      {bad_author}, {no_content}, {text_stamp}, {not_object}, {extra, extra}};  // the same post
                                                                                // twice in a block
  for (const auto& posts : cases) {
    Json body = chain_body({{test::make_post("p", "plain")}, posts});
    for (const auto& text : layouts(body)) {
      expect_same(text);
      ChainParams signatures = test::fast_params();
      signatures.require_signatures = true;
      expect_same(text, signatures);
    }
  }
}

TEST(ChainText, RulesAcrossBlocksGetTheExactVerdict) {
  const Json post = test::make_post("a", "again");
  // The same post in two blocks; a block linking to the wrong parent; a wrong index; a foreign
  // genesis; too little work for the parameters.
  expect_same(chain_body({{post}, {post}}).dump());
  Json body = chain_body({{test::make_post("a", "1")}, {test::make_post("a", "2")}});
  Json swapped = body;
  std::swap(swapped["chain"][1], swapped["chain"][2]);
  expect_same(swapped.dump());
  Json renumbered = body;
  renumbered["chain"][2]["index"] = 7;
  expect_same(renumbered.dump());
  Json foreign = body;
  foreign["chain"][0]["timestamp"] = 1;
  expect_same(foreign.dump());
  expect_same(body.dump(), ChainParams{Difficulty::bits(30)});
  Json tampered = body;
  tampered["chain"][1]["transactions"][0]["content"] = "forged";
  expect_same(tampered.dump());
}

TEST(ChainText, BodiesOfEveryShapeGetTheExactVerdict) {
  const std::string chain = chain_body({{test::make_post("a", "1")}})["chain"].dump();
  const std::string block = chain_body({})["chain"][0].dump();
  for (const std::string& text : std::vector<std::string>{
           "{\"length\": 2, \"chain\": " + chain + "}",
           "{\"length\": 3, \"chain\": " + chain + "}",
           "{\"length\": 2.0, \"chain\": " + chain + "}",
           "{\"length\": -0, \"chain\": " + chain + "}",
           "{\"length\": 123456789012345678901234, \"chain\": " + chain + "}",
           "{\"chain\": " + chain + ", \"chain\": " + chain + "}",
           "{\"x\": 1, \"x\": 2, \"chain\": " + chain + "}",
           "{\"ch\\u0061in\": " + chain + "}",
           "{\"chain\": []}",
           "{\"chain\": {}}",
           "{\"peers\": []}",
           "[]",
           "[1, 2]",
           "[" + block + ", \"text\"]",
           "\"just a string\"",
           "{\"chain\": " + chain + "} trailing",
           "{\"chain\": " + chain,
           "{\"chain\": [" + block + ",]}",
           "{\"chain\": [" + block + "], \"x\": 1e999}",
           "{\"chain\": [" + block + "], \"x\": 123456789012345678901234567890}",
           "{\"chain\": [" + block + "], \"x\": \"\\ud800\"}",
           "{\"chain\": [" + block + "], \"x\": \"\xff\"}",
           "{\"chain\": [" + block + "], \"x\": \"tab\there\"}",
           "{\"chain\": [" + block + "], \"x\": 01}",
           "{\"chain\": [" + block + "], \"x\": " + std::string(100, '[') + std::string(100, ']') +
               "}",
           "",
       }) {
    expect_same(text, ChainParams{});
  }
}

TEST(ChainText, BlocksOfEveryShapeGetTheExactVerdict) {
  Json body = chain_body({{test::make_post("a", "1")}});
  const std::string text = body.dump();
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string out = text;
    auto at = out.rfind(from);
    EXPECT_NE(at, std::string::npos) << from;
    return out.replace(at, from.size(), to);
  };
  const std::string nonce = "\"nonce\":" + std::to_string(body["chain"][1]["nonce"].get<int>());
  for (const std::string& variant : {
           replaced("\"index\":1", "\"index\":1,\"index\":1"),
           replaced("\"index\":1", "\"index\":1.0"),
           replaced("\"index\":1", "\"index\":-1"),
           replaced("\"index\":1", "\"index\":\"1\""),
           replaced("\"index\":1", "\"extra\":{\"a\":[1,2]},\"index\":1"),
           // Keys the fast path skips still may not repeat (the exact parser refuses them).
           replaced("\"index\":1", "\"extra\":1,\"extra\":2,\"index\":1"),
           replaced("\"index\":1", "\"extra\":{\"a\":1,\"a\":2},\"index\":1"),
           replaced("\"index\":1,", ""),
           replaced(nonce + ",", ""),
           replaced(nonce, nonce + "0"),
           replaced("\"transactions\":[", "\"transactions\":[1,"),
           replaced("\"previous_hash\":\"", "\"previous_hash\":\"\\u0030"),
       }) {
    expect_same(variant);
  }
}

// A chain of `blocks` mined blocks after genesis, each with a post of its own.
Json long_chain_body(int blocks) {
  std::vector<std::vector<Json>> posts;
  for (int i = 0; i < blocks; ++i) {
    posts.push_back({test::make_post("a" + std::to_string(i), "post number " + std::to_string(i))});
  }
  return chain_body(posts);
}

TEST(ChainText, ThreadsReadLongChainsWithTheOneThreadVerdict) {
  const Json body = long_chain_body(24);
  for (const auto& text : layouts(body)) {
    EXPECT_EQ(expect_same(text), 25u);
    EXPECT_GT(helped_blocks(text, split_plan(2)), 0u);
    // Three helpers read more of it than one.
    EXPECT_GT(helped_blocks(text, split_plan(4)), helped_blocks(text, split_plan(2)));
    // Below the plan's share per thread, one thread reads it all.
    ChainScanPlan short_shares;
    short_shares.threads = 4;
    short_shares.min_part_bytes = text.size();
    EXPECT_EQ(helped_blocks(text, short_shares), 0u);
  }
  // An error in the first half, in the second, in both: the first in chain order is named.
  struct Tampering {
    std::vector<int> blocks;
    std::string named;
  };
  for (const auto& [blocks, named] :
       {Tampering{{5}, "position 5 "}, Tampering{{20}, "position 20 "},
        Tampering{{20, 5}, "position 5 "}}) {
    Json copy = body;
    for (int block : blocks) copy["chain"][block]["transactions"][0]["content"] = "forged";
    for (const auto& text : layouts(copy)) {
      expect_same(text);
      const auto message = text_outcome(text, test::fast_params(), split_plan(2)).invalid;
      ASSERT_TRUE(message);
      EXPECT_NE(message->find(named), std::string::npos) << *message;
    }
  }
  Json relinked = body;
  relinked["chain"][18]["previous_hash"] = relinked["chain"][3]["hash"];
  Json reposted = body;
  reposted["chain"][21]["transactions"][0] = reposted["chain"][2]["transactions"][0];
  for (const Json& copy : {relinked, reposted}) {
    for (const auto& text : layouts(copy)) expect_same(text);
  }
}

TEST(ChainText, ThreadsStartingAtWrongGuessesChangeNothing) {
  // Objects that open as the blocks do, after a comma, but inside a block's extra field or in
  // "peers" after the chain: a helper started there reads no block of the chain, and the scan
  // passes it by.
  Json body = long_chain_body(12);
  Json decoys = Json::array();
  for (int i = 0; i < 40; ++i) decoys.push_back(Json{{"hash", i}, {"index", i}});
  Json many_decoys = Json::array();
  for (int i = 0; i < 400; ++i) many_decoys.push_back(decoys[0]);
  body["chain"][1]["memo"] = many_decoys;  // most of the text: the main thread passes guesses
  body["chain"][4]["memo"] = decoys;
  body["chain"][9]["memo"] = decoys;
  body["peers"] = decoys;
  for (const auto& text : layouts(body)) expect_same(text);
  // Text that is not JSON late in the chain: a helper reading it fails, the verdict is
  // parse_json's.
  const std::string text = long_chain_body(12).dump();
  for (const std::string& broken :
       {text.substr(0, text.size() - text.size() / 5) + "x" + text.substr(text.size() * 4 / 5),
        text.substr(0, text.size() * 3 / 4)}) {
    expect_same(broken);
  }
}

}  // namespace
}  // namespace yournet
