#pragma once
// Plain data of the chain: posts, blocks, difficulty and the chain's rules' parameters.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "yournet/json.hpp"

namespace yournet {

// Proof of work as leading zero bits of the hash. The reference counts hex digits (4 bits each);
// bits give finer steps for benchmarks and simulations.
struct Difficulty {
  unsigned zero_bits = 8;

  static Difficulty hex_digits(unsigned digits) { return Difficulty{digits * 4}; }
  static Difficulty bits(unsigned bits) { return Difficulty{bits}; }
  // Expected hashes to find a block, the work a block at this difficulty proves.
  std::uint64_t work() const { return std::uint64_t{1} << (zero_bits > 62 ? 62 : zero_bits); }
  std::string describe() const;  // "2 hex digits" or "10 bits"
  friend bool operator==(const Difficulty&, const Difficulty&) = default;
};

inline constexpr unsigned kMaxDifficultyBits = 62;

struct ChainParams {
  Difficulty difficulty = Difficulty::hex_digits(2);  // the reference node's
  bool require_signatures = false;
};

// A post (transaction) is a JSON object: author, content, timestamp and any extra fields, all
// hashed. Its id is the SHA-256 of its canonical form.
std::string post_id(const Json& post);

struct Block {
  std::uint64_t index = 0;
  Json transactions = Json::array();
  Json timestamp = 0;  // a number as it came: the genesis has the integer 0, mined blocks floats
  std::string previous_hash;
  std::uint64_t nonce = 0;
  std::string hash;  // lowercase hex SHA-256 of canonical form without "hash"; set by miner/parser
};

const Block& genesis_block();
inline constexpr const char* kGenesisHash =
    "6dbf23122cb5046cc5c0c1b245c75f8e43c59ca8ffeac292715e5078e631d0c9";

// The block as the wire carries it, with "hash" unless told otherwise.
Json block_to_json(const Block& block, bool include_hash = true);
// The exact bytes that are hashed: canonical(block without "hash").
std::string block_canonical(const Block& block);
std::string compute_block_hash(const Block& block);
// Whether text is a block hash as the wire writes it: 64 lowercase hex digits.
bool is_block_hash(std::string_view text);

// The canonical bytes split around the nonce digits, so a miner writes them once and splices each
// nonce in: canonical = prefix + decimal(nonce) + suffix.
struct NonceSplice {
  std::string prefix;
  std::string suffix;
};
NonceSplice splice_at_nonce(const Block& block);

// True when the hex hash has at least the difficulty's leading zero bits.
bool meets_difficulty(std::string_view hash_hex, Difficulty difficulty);

}  // namespace yournet
