#include "yournet/block.hpp"

#include <algorithm>
#include <stdexcept>

#include "yournet/crypto.hpp"

namespace yournet {

std::string Difficulty::describe() const {
  if (zero_bits % 4 == 0) return std::to_string(zero_bits / 4) + " hex digits";
  return std::to_string(zero_bits) + " bits";
}

std::string post_id(const Json& post) {
  return sha256_hex(canonical(post));
}

const Block& genesis_block() {
  static const Block genesis = [] {
    Block block;
    block.index = 0;
    block.timestamp = 0;
    block.previous_hash = "0";
    block.nonce = 0;
    block.hash = compute_block_hash(block);
    return block;
  }();
  return genesis;
}

Json block_to_json(const Block& block, bool include_hash) {
  Json out = Json::object();
  out["index"] = block.index;
  out["transactions"] = block.transactions;
  out["timestamp"] = block.timestamp;
  out["previous_hash"] = block.previous_hash;
  out["nonce"] = block.nonce;
  if (include_hash) out["hash"] = block.hash;
  return out;
}

// What a block's canonical text is reserved for, so it is one allocation in the usual case: the
// keys, index, nonce, previous hash and timestamp, then so much per post.
constexpr std::size_t kCanonicalHeadBytes = 192;
constexpr std::size_t kCanonicalPostBytes = 128;

std::string block_canonical(const Block& block) {
  // canonical(block_to_json(block, false)) without copying the posts into a temporary object:
  // every node hashes every block it receives. Keys in sorted order.
  std::string out;
  out.reserve(kCanonicalHeadBytes + kCanonicalPostBytes * block.transactions.size());
  out += "{\"index\": ";
  append_canonical(out, Json(block.index));
  out += ", \"nonce\": ";
  append_canonical(out, Json(block.nonce));
  out += ", \"previous_hash\": ";
  append_python_string(out, block.previous_hash);
  out += ", \"timestamp\": ";
  append_canonical(out, block.timestamp);
  out += ", \"transactions\": ";
  append_canonical(out, block.transactions);
  out += '}';
  return out;
}

std::string compute_block_hash(const Block& block) {
  return sha256_hex(block_canonical(block));
}

NonceSplice splice_at_nonce(const Block& block) {
  // Keys sort as index < nonce < previous_hash < timestamp < transactions, so the nonce digits sit
  // right after the index.
  std::string full = block_canonical(block);
  std::string prefix = "{\"index\": " + std::to_string(block.index) + ", \"nonce\": ";
  std::string nonce_digits = std::to_string(block.nonce);
  if (full.compare(0, prefix.size(), prefix) != 0 ||
      full.compare(prefix.size(), nonce_digits.size(), nonce_digits) != 0) {
    throw std::logic_error("canonical block does not start with index and nonce");
  }
  return NonceSplice{prefix, full.substr(prefix.size() + nonce_digits.size())};
}

bool is_block_hash(std::string_view text) {
  constexpr std::size_t kHashHexDigits = 64;
  return text.size() == kHashHexDigits && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool meets_difficulty(std::string_view hash_hex, Difficulty difficulty) {
  unsigned bits_left = difficulty.zero_bits;
  for (char c : hash_hex) {
    if (bits_left == 0) return true;
    int nibble = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (nibble < 0) return false;
    if (bits_left >= 4) {
      if (nibble != 0) return false;
      bits_left -= 4;
    } else {
      return (nibble >> (4 - bits_left)) == 0;
    }
  }
  return bits_left == 0;
}

}  // namespace yournet
