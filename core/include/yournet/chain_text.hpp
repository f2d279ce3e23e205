#pragma once
// A GET /chain body validated from its text in one pass: each block's canonical bytes are written
// straight from the input where they are provably the same bytes Python's
// json.dumps(sort_keys=True) gives (plain ASCII strings, keys of posts put in order, numbers in
// their canonical form) and hashed at once, with no JSON tree. Any block the fast path is not sure
// of (escapes or non-ASCII text, nested values in posts, signed posts, a rule that fails) goes
// through the exact path: parsed with parse_json and checked by ChainWalk::next, so the verdict,
// error included, is validate_chain's for every input.
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "yournet/block.hpp"
#include "yournet/expected.hpp"
#include "yournet/validation.hpp"

namespace yournet {

// One block of a body, as text of that body.
struct ChainBlockText {
  std::uint64_t index = 0;
  std::string_view hash;
  std::string_view json;  // the block's JSON text
  std::size_t posts = 0;
};

// How a long chain array is read on several threads: other threads each scan a stretch from a
// guessed block start, kept only when the stretch before it is seen to end exactly there. The
// scan, verdict and error are the same for any plan; a plan only changes how long it takes.
struct ChainScanPlan {
  // More threads than this gain nothing on the machines we run on and cost a stack each.
  static constexpr unsigned kMaxThreads = 8;
  // A thread starting costs about as much as scanning a few kilobytes: stretches are longer.
  static constexpr std::size_t kMinPartBytes = 128 * 1024;

  unsigned threads = 1;  // at most kMaxThreads are used
  std::size_t min_part_bytes = kMinPartBytes;
};

// The blocks of a GET /chain body (or a bare array of blocks), found in one pass over its text.
// Throws JsonError, as parse_json would, for text that is not JSON. Views into `body`, which must
// outlive it.
class ChainText {
 public:
  explicit ChainText(std::string_view body, ChainScanPlan plan = {});
  ChainText(const ChainText&) = delete;  // may view its own copy of the body
  ChainText& operator=(const ChainText&) = delete;

  // Blocks listed (0 when the body is not a chain's shape).
  std::size_t size() const;
  // The last block's "hash" when the body is an object whose "chain" ends in a block with a
  // string "hash" (what a node checks before anything else), else nullopt.
  std::optional<std::string> tip_hash() const;
  // Blocks whose canonical bytes were written from the text, without the exact parser.
  std::size_t blocks_read_fast() const;
  // The body's "peers" value as text, when the body is an object that has one.
  std::optional<std::string_view> peers() const { return peers_; }

  // Every rule of validate_chain; the blocks of a valid chain in order (views into the body and
  // this ChainText). Difficulty and signatures are the parameters' part: the scan needs none.
  Expected<std::vector<ChainBlockText>, ValidationError> validate(const ChainParams& params) const;

  // Blocks scanned on threads other than the caller's and kept (for tests of the plan).
  std::size_t blocks_read_by_helpers() const { return blocks_read_by_helpers_; }

  // A block hash in hex.
  static constexpr std::size_t kHashHexSize = 2 * Digest{}.size();

  // What the scan found of one block, for validate (56 bytes: a chain's records are fresh
  // memory).
  struct Scanned {
    std::uint64_t index = 0;  // set when fast
    std::string_view json;
    std::string_view previous_hash;  // set when fast
    // kHashHexSize characters, set when fast: fields read, canonical bytes hashed, its rules
    // hold but difficulty.
    const char* hash = nullptr;
    std::uint32_t first_post = 0;  // into its segment's post_ids
    std::uint32_t posts = 0;

    bool fast() const { return hash != nullptr; }
    std::string_view hash_text() const { return {hash, kHashHexSize}; }
  };
  // Blocks scanned in one stretch (one thread's), with the ids of their posts.
  struct Segment {
    std::vector<Scanned> blocks;
    std::vector<Digest> post_ids;
  };

 private:
  const Scanned* last_block() const;  // null when there is none

  std::string_view body_;
  std::string normalized_;    // the body re-written by nlohmann, when the scan could not read it
  bool happy_shape_ = false;  // an object with a non-empty "chain" and a fitting "length", or a
                              // non-empty array: else validate takes the exact path whole
  bool object_body_ = false;
  std::vector<Segment> segments_;  // in chain order: helpers' stretches are kept, not copied
  std::optional<std::string_view> peers_;
  std::size_t blocks_read_by_helpers_ = 0;
  mutable std::deque<std::string> exact_hashes_;  // hashes of blocks read the exact way

  friend class ChainScanner;
};

// A block of a validated chain as a Block (the exact parse of its text).
Block block_from_text(std::string_view json);

}  // namespace yournet
