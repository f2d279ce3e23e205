#pragma once
// Helpers shared by the core tests.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "yournet/block.hpp"
#include "yournet/json.hpp"
#include "yournet/pow.hpp"

namespace yournet::test {

inline std::string read_text(const std::string& name) {
  std::ifstream in(std::string(YOURNET_TEST_DATA_DIR) + "/" + name, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline Json read_json(const std::string& name) {
  return parse_json(read_text(name));
}

inline Json make_post(const std::string& author, const std::string& content,
                      double timestamp = 1700000000.5) {
  Json post = Json::object();
  post["author"] = author;
  post["content"] = content;
  post["timestamp"] = timestamp;
  return post;
}

// The low difficulty (4 bits) tests mine at, to stay fast.
inline ChainParams fast_params() {
  ChainParams params;
  params.difficulty = Difficulty::bits(4);
  return params;
}

// A child of `parent` carrying `posts`, mined at `difficulty`. `salt` varies the timestamp so that
// siblings with the same posts differ.
inline Block mine_child(const Block& parent, const std::vector<Json>& posts,
                        Difficulty difficulty = Difficulty::bits(4), double salt = 0.0) {
  Block block;
  block.index = parent.index + 1;
  block.transactions = Json::array();
  for (const auto& post : posts) block.transactions.push_back(post);
  block.timestamp = 1700000100.25 + static_cast<double>(parent.index) + salt;
  block.previous_hash = parent.hash;
  MiningRequest request;
  request.block = block;
  request.difficulty = difficulty;
  MiningResult result = mine(request);
  return result.block;
}

}  // namespace yournet::test
