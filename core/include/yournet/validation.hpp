#pragma once
// Consensus rules as pure functions of data. A failure says which rule broke and where; what to do
// about the sender is the caller's business.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "yournet/block.hpp"
#include "yournet/expected.hpp"

namespace yournet {

enum class Rule {
  malformed_block,    // a field missing or of the wrong type
  malformed_post,     // a post is not an object with non-empty string author and content
  malformed_chain,    // the chain dump itself (not an array, length disagrees, empty)
  bad_hash,           // stored hash is not the recomputed hash
  insufficient_work,  // hash does not meet the difficulty
  broken_link,        // previous_hash is not the parent's hash
  wrong_index,        // index is not the parent's plus one
  foreign_genesis,    // block 0 is not the shared genesis
  bad_signature,      // signed post whose signature does not verify
  unsigned_post,      // chain requires signatures and a post has none
  duplicate_post,     // a post already in this block or one of its ancestors
};

const char* rule_name(Rule rule);

struct ValidationError {
  Rule rule;
  std::optional<std::uint64_t> block_index;   // the index the block at fault claims, when one is
  std::optional<std::size_t> chain_position;  // its place in the chain checked (0 = genesis)
  std::optional<std::size_t> post_position;   // the post at fault within the block, when one is
  std::string detail;
  // "block at position 6 (claims index 7): wrong_index: ..." or, for a block checked on its own,
  // "block 3: bad_hash: ..." — one line naming block, rule and detail.
  std::string message() const;
};

using Verdict = std::optional<ValidationError>;  // nullopt = valid

enum class SignatureStatus { unsigned_post, valid, invalid };
SignatureStatus signature_status(const Json& post);

// The message a post's signature covers: canonical(post without "signature").
std::string post_signing_bytes(const Json& post);
// Adds "public_key" and "signature" to the post (which must carry its own timestamp).
Expected<Json, std::string> sign_post(Json post, const std::string& private_key_hex);

// Shape and signature of one post; the error's detail names the field at fault.
Verdict check_post(const Json& post, const ChainParams& params);

// A block from its wire JSON; the error names the field. Unknown extra fields are ignored,
// as the reference does (they are then not part of the hash).
Expected<Block, ValidationError> block_from_json(const Json& json);

// Rules that need no other block: hash recomputes, meets difficulty, posts valid and distinct.
Verdict check_block_alone(const Block& block, const ChainParams& params);
// Rules linking a block to its parent: index and previous_hash.
Verdict check_block_link(const Block& block, const Block& parent);

// A whole chain from a GET /chain body ({"length", "chain", ...}) or a bare array of blocks:
// genesis, links, every block alone, and no post mined twice.
Expected<std::vector<Block>, ValidationError> validate_chain(const Json& body,
                                                             const ChainParams& params);

}  // namespace yournet
