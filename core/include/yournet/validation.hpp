#pragma once
// Consensus rules as pure functions of data. A failure says which rule broke and where; what to do
// about the sender is the caller's business.
#include <cstdint>
#include <deque>
#include <memory_resource>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "yournet/block.hpp"
#include "yournet/crypto.hpp"
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

// The rules of a chain walked block by block: what they carry from one block to the next (the
// parent's index and hash, every post id seen). One walk serves both ways of reading a chain: from
// its parsed JSON (next) and from its text (chain_text.hpp: a block found valid there is only
// recorded, with accept).
// Digests found through a table of 4-byte indices into a list of their addresses, each beside 4
// more bytes of its digest so a probe reads another member only on a match (membership only,
// never iterated). A digest its owner keeps in place for the set's life goes in as its
// address (insert_held: a chain's post ids, held by its ChainText, are not copied); others are
// copied into the set. Fresh memory is most of what a chain's validation costs.
class DigestSet {
 public:
  // Indices are 32 bits.
  static constexpr std::size_t kMaxSize = 0xFFFF'FFFEu;

  // Its tables from `memory` (see ChainScanPlan::memory).
  explicit DigestSet(std::pmr::memory_resource* memory = std::pmr::get_default_resource())
      : members_(memory), slots_(memory) {}
  DigestSet(const DigestSet&) = delete;  // its addresses may point into its own copies
  DigestSet& operator=(const DigestSet&) = delete;
  DigestSet(DigestSet&&) = default;
  DigestSet& operator=(DigestSet&&) = default;

  bool contains(const Digest& digest) const;
  bool insert(const Digest& digest);  // a copy; false when it was there already
  // The digest where it is: it must stay there, unchanged, while the set lives.
  bool insert_held(const Digest& digest);
  void reserve(std::size_t count);
  // Asks the cache for the slot a later look-up of `digest` starts at.
  void prefetch(const Digest& digest) const;

 private:
  // Where probes for `digest` start.
  std::size_t home_slot(const Digest& digest) const;
  // The slot holding `digest`, or the empty one where it would go.
  std::size_t slot_of(const Digest& digest) const;
  static std::size_t min_slots(std::size_t count);
  static std::uint64_t slot_entry(const Digest& digest, std::size_t member);
  std::pmr::vector<const Digest*> members_;  // in insertion order
  std::deque<Digest> copies_;                // what insert copied (a deque: they never move)
  // 0 for an empty slot, else the digest's bytes 8 to 11 over 1 + an index into members_.
  std::pmr::vector<std::uint64_t> slots_;
};

class ChainWalk {
 public:
  explicit ChainWalk(const ChainParams& params,
                     std::pmr::memory_resource* memory = std::pmr::get_default_resource())
      : params_(params), posts_seen_(memory) {}

  // Every rule for the next block, from its wire JSON: genesis or link, the block alone, and no
  // post mined in an earlier block.
  Expected<Block, ValidationError> next(const Json& json);

  // True when a block that passes every rule alone (its hash recomputed and met, its posts
  // valid and distinct) with this index, previous hash and post ids is the valid next block.
  bool fits(std::uint64_t index, std::string_view previous_hash, std::string_view hash,
            const Digest* post_ids, std::size_t post_count) const;
  // Records such a block as the next one; its post ids must stay where they are, unchanged,
  // while the walk lives.
  void accept(std::uint64_t index, std::string_view hash, const Digest* post_ids,
              std::size_t post_count);

  // Asks the cache for what fits and accept will read of these post ids.
  [[gnu::always_inline]] void prefetch_posts(const Digest* post_ids, std::size_t post_count) const {
    for (std::size_t i = 0; i < post_count; ++i) posts_seen_.prefetch(post_ids[i]);
  }
  // Room for this many post ids, when the caller knows how many are coming.
  void reserve_posts(std::size_t count) { posts_seen_.reserve(count); }
  std::size_t position() const { return position_; }
  const ChainParams& params() const { return params_; }

 private:
  ChainParams params_;
  std::size_t position_ = 0;
  Block parent_;  // its index and hash only
  DigestSet posts_seen_;
};

// A whole chain from a GET /chain body ({"length", "chain", ...}) or a bare array of blocks:
// genesis, links, every block alone, and no post mined twice. From the body's text (faster, and
// what the node and chaintool use), see validate_chain_text in chain_text.hpp.
Expected<std::vector<Block>, ValidationError> validate_chain(const Json& body,
                                                             const ChainParams& params);
// The body-level rules of validate_chain ("chain" present, an array, not empty, "length"
// agreeing): the error, or the blocks' array.
Expected<const Json*, ValidationError> chain_blocks(const Json& body);

}  // namespace yournet
