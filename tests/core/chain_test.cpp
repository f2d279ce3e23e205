#include <gtest/gtest.h>

#include <string>

#include "test_util.hpp"
#include "yournet/crypto.hpp"
#include "yournet/validation.hpp"

namespace yournet {
namespace {

TEST(ValidateChain, AcceptsReferenceChain) {
  Json body = test::read_json("reference_chain.json");
  auto chain = validate_chain(body, ChainParams{});
  ASSERT_TRUE(chain.has_value()) << chain.error().message();
  ASSERT_EQ(chain->size(), 5u);
  for (std::size_t i = 0; i < chain->size(); ++i) {
    const Block& block = (*chain)[i];
    EXPECT_EQ(block.index, i);
    EXPECT_EQ(compute_block_hash(block), block.hash);
    EXPECT_EQ(block.hash, body["chain"][i]["hash"].get<std::string>());
    EXPECT_EQ(sha256_hex(block_canonical(block)), block.hash);
  }
  EXPECT_EQ((*chain)[0].hash, kGenesisHash);
  EXPECT_EQ(compute_block_hash(genesis_block()), kGenesisHash);
}

TEST(ValidateChain, AcceptsBareArray) {
  Json body = test::read_json("reference_chain.json");
  auto chain = validate_chain(body["chain"], ChainParams{});
  ASSERT_TRUE(chain.has_value()) << chain.error().message();
  EXPECT_EQ(chain->size(), 5u);
}

TEST(ValidateChain, BlockToJsonRoundTripsReference) {
  Json body = test::read_json("reference_chain.json");
  for (const auto& wire : body["chain"]) {
    auto block = block_from_json(wire);
    ASSERT_TRUE(block.has_value());
    EXPECT_EQ(canonical(block_to_json(*block)), canonical(wire));
  }
}

void expect_rejected(const char* file, std::uint64_t index, Rule rule) {
  SCOPED_TRACE(file);
  auto chain = validate_chain(test::read_json(file), ChainParams{});
  ASSERT_FALSE(chain.has_value());
  EXPECT_EQ(chain.error().rule, rule) << chain.error().message();
  ASSERT_TRUE(chain.error().block_index.has_value());
  EXPECT_EQ(*chain.error().block_index, index);
  // The reference chain's blocks sit at the place their index names.
  EXPECT_EQ(chain.error().chain_position, std::optional<std::size_t>(index));
  EXPECT_NE(chain.error().message().find(rule_name(rule)), std::string::npos);
}

TEST(ValidateChain, TamperedContentIsBadHashAtBlock2) {
  expect_rejected("reference_chain_tampered_content.json", 2, Rule::bad_hash);
}

TEST(ValidateChain, TamperedNonceIsBadHashAtBlock3) {
  expect_rejected("reference_chain_tampered_nonce.json", 3, Rule::bad_hash);
}

TEST(ValidateChain, BrokenLinkAtBlock4) {
  expect_rejected("reference_chain_broken_link.json", 4, Rule::broken_link);
}

TEST(ValidateChain, ForeignGenesis) {
  Json body = test::read_json("reference_chain.json");
  body["chain"][0]["nonce"] = 1;
  body["chain"][0]["hash"] = compute_block_hash(*block_from_json(body["chain"][0]));
  auto chain = validate_chain(body, ChainParams{});
  ASSERT_FALSE(chain.has_value());
  EXPECT_EQ(chain.error().rule, Rule::foreign_genesis);
}

TEST(ValidateChain, WrongIndex) {
  Json body = test::read_json("reference_chain.json");
  Json& block = body["chain"][2];
  block["index"] = 7;
  auto parsed = block_from_json(block);
  ASSERT_TRUE(parsed.has_value());
  block["hash"] = compute_block_hash(*parsed);
  auto chain = validate_chain(body, ChainParams{});
  ASSERT_FALSE(chain.has_value());
  EXPECT_EQ(chain.error().rule, Rule::wrong_index) << chain.error().message();
  // Named by its place and by the index it claims: the chain has another block 7 elsewhere or not.
  EXPECT_EQ(chain.error().chain_position, std::optional<std::size_t>(2));
  EXPECT_EQ(chain.error().block_index, std::optional<std::uint64_t>(7));
  EXPECT_EQ(chain.error().message().rfind("block at position 2 (claims index 7): wrong_index", 0),
            0u)
      << chain.error().message();
}

TEST(ValidateChain, MalformedBlockNamesItsPosition) {
  Json body = test::read_json("reference_chain.json");
  body["chain"][3].erase("index");
  auto chain = validate_chain(body, ChainParams{});
  ASSERT_FALSE(chain.has_value());
  EXPECT_EQ(chain.error().rule, Rule::malformed_block);
  EXPECT_EQ(chain.error().chain_position, std::optional<std::size_t>(3));
  EXPECT_FALSE(chain.error().block_index.has_value());
  EXPECT_NE(chain.error().message().find("position 3 (no valid index)"), std::string::npos)
      << chain.error().message();
}

TEST(ValidateChain, LengthMismatch) {
  Json body = test::read_json("reference_chain.json");
  body["length"] = 4;
  auto chain = validate_chain(body, ChainParams{});
  ASSERT_FALSE(chain.has_value());
  EXPECT_EQ(chain.error().rule, Rule::malformed_chain);
  EXPECT_NE(chain.error().message().find("malformed_chain"), std::string::npos);
}

TEST(ValidateChain, NonArrayChain) {
  for (const char* text :
       {R"({"length": 1, "chain": {"index": 0}})", R"({"chain": "x"})", "42", "\"chain\"",
        R"({"length": 0, "chain": []})", "[]", R"({"length": 5})"}) {
    SCOPED_TRACE(text);
    auto chain = validate_chain(parse_json(text), ChainParams{});
    ASSERT_FALSE(chain.has_value());
    EXPECT_EQ(chain.error().rule, Rule::malformed_chain);
    EXPECT_NE(chain.error().message().find("malformed_chain"), std::string::npos);
  }
}

TEST(ValidateChain, InsufficientWorkAtHigherDifficulty) {
  auto chain = validate_chain(test::read_json("reference_chain.json"), [] {
    ChainParams params;
    params.difficulty = Difficulty::hex_digits(5);
    return params;
  }());
  ASSERT_FALSE(chain.has_value());
  EXPECT_EQ(chain.error().rule, Rule::insufficient_work);
  EXPECT_EQ(chain.error().block_index, std::optional<std::uint64_t>(1));
}

TEST(ValidateChain, DuplicatePostAcrossBlocks) {
  Json body = test::read_json("reference_chain.json");
  Block parent = *block_from_json(body["chain"][4]);
  Block replay =
      test::mine_child(parent, {body["chain"][1]["transactions"][0]}, Difficulty::hex_digits(2));
  body["chain"].push_back(block_to_json(replay));
  body["length"] = 6;
  auto chain = validate_chain(body, ChainParams{});
  ASSERT_FALSE(chain.has_value());
  EXPECT_EQ(chain.error().rule, Rule::duplicate_post);
  EXPECT_EQ(chain.error().block_index, std::optional<std::uint64_t>(5));
}

TEST(BlockFromJson, WrongTypesNameTheField) {
  Json good = test::read_json("reference_chain.json")["chain"][1];
  ASSERT_TRUE(block_from_json(good).has_value());
  struct Case {
    const char* field;
    Json value;
  };
  const Case cases[] = {
      {"index", "1"},
      {"index", -1},
      {"index", 1.5},
      {"transactions", "[]"},
      {"transactions", Json::object()},
      {"timestamp", "now"},
      {"timestamp", nullptr},
      {"previous_hash", 5},
      {"nonce", "187"},
      {"nonce", -3},
      {"nonce", 1.5},
      {"hash", 0},
  };
  for (const auto& c : cases) {
    Json bad = good;
    bad[c.field] = c.value;
    SCOPED_TRACE(std::string(c.field) + " = " + c.value.dump());
    auto parsed = block_from_json(bad);
    ASSERT_FALSE(parsed.has_value());
    EXPECT_EQ(parsed.error().rule, Rule::malformed_block);
    EXPECT_NE(parsed.error().detail.find(c.field), std::string::npos) << parsed.error().detail;
  }
  for (const char* field :
       {"index", "transactions", "timestamp", "previous_hash", "nonce", "hash"}) {
    Json bad = good;
    bad.erase(field);
    SCOPED_TRACE(field);
    auto parsed = block_from_json(bad);
    ASSERT_FALSE(parsed.has_value());
    EXPECT_EQ(parsed.error().rule, Rule::malformed_block);
    EXPECT_NE(parsed.error().detail.find(field), std::string::npos) << parsed.error().detail;
  }
  auto not_object = block_from_json(Json::array());
  ASSERT_FALSE(not_object.has_value());
  EXPECT_EQ(not_object.error().rule, Rule::malformed_block);
}

TEST(CheckPost, MalformedPosts) {
  for (const char* text : {R"([])", R"({"content": "x"})", R"({"author": "", "content": "x"})",
                           R"({"author": "a", "content": 3})",
                           R"({"author": "a", "content": "x", "timestamp": "t"})"}) {
    SCOPED_TRACE(text);
    auto verdict = check_post(parse_json(text), ChainParams{});
    ASSERT_TRUE(verdict.has_value());
    EXPECT_EQ(verdict->rule, Rule::malformed_post);
  }
  EXPECT_FALSE(check_post(test::make_post("a", "b"), ChainParams{}).has_value());
}

}  // namespace
}  // namespace yournet
