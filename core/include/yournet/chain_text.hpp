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
#include <memory_resource>
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

class ChainText;

// The blocks of a chain ChainText::validate found valid, in order, read from the ChainText's
// own records (a vector of them would be as many fresh pages again). Views into the ChainText,
// which must outlive it.
class ValidChain {
 public:
  class Iterator {
   public:
    ChainBlockText operator*() const;
    Iterator& operator++();
    bool operator==(const Iterator&) const = default;

   private:
    friend class ValidChain;
    Iterator(const ChainText* text, std::size_t segment, std::size_t block)
        : text_(text), segment_(segment), block_(block) {}
    void skip_empty_segments();
    const ChainText* text_;
    std::size_t segment_, block_;
  };

  std::size_t size() const { return size_; }
  ChainBlockText operator[](std::size_t position) const;
  ChainBlockText back() const { return (*this)[size_ - 1]; }
  Iterator begin() const;
  Iterator end() const;

 private:
  friend class ChainText;
  ValidChain(const ChainText& text, std::size_t size) : text_(&text), size_(size) {}
  const ChainText* text_;
  std::size_t size_;
};

// How a long chain array is read on several threads: other threads each scan a stretch from a
// guessed block start, kept only when the stretch before it is seen to end exactly there. The
// scan, verdict and error are the same for any plan; a plan only changes how long it takes.
struct ChainScanPlan {
  // More threads than this gain nothing on the machines we run on and cost a stack each.
  static constexpr unsigned kMaxThreads = 8;
  // A stretch of its own pays for a thread only when it is long: on the VMs we measure on a thread
  // takes ~0.3 ms to start and the two cores slow each other, so `chaintool verify` of a 6 MB
  // chain took as long on two threads as on one (14.6 against 15.5 ms best, 16.6 against 16.1
  // median), and of a 21 MB chain 0.84 of the time (reports/bench/validation_steps.md).
  static constexpr std::size_t kMinPartBytes = std::size_t{4} << 20;

  unsigned threads = 1;  // at most kMaxThreads are used
  std::size_t min_part_bytes = kMinPartBytes;
  // Where the scan's and the walk's tables go (fresh memory for each chain). A process that reads
  // one chain and exits (chaintool) gives huge_page_resource(); one that lives on keeps the
  // default, whose freed memory its next chain reuses.
  std::pmr::memory_resource* memory = std::pmr::get_default_resource();
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
  // Writes into the records (what it reads the exact way): one call at a time.
  Expected<ValidChain, ValidationError> validate(const ChainParams& params) const;

  // Blocks scanned on threads other than the caller's and kept (for tests of the plan).
  std::size_t blocks_read_by_helpers() const { return blocks_read_by_helpers_; }

  // A block hash in hex.
  static constexpr std::size_t kHashHexSize = 2 * Digest{}.size();

  // What the scan found of one block, for validate (56 bytes: a chain's records are fresh
  // memory).
  // Index, hash and posts are the block's once validate has found it valid (it writes them in
  // for a block it read the exact way).
  struct Scanned {
    std::uint64_t index = 0;
    std::string_view json;
    // Set when fast (a view into the text, never null then): fields read, canonical bytes
    // hashed, its rules hold but difficulty.
    std::string_view previous_hash;
    const char* hash = nullptr;    // kHashHexSize characters
    std::uint32_t first_post = 0;  // into its segment's post_ids
    std::uint32_t posts = 0;

    bool fast() const { return previous_hash.data() != nullptr; }
    std::string_view hash_text() const { return {hash, kHashHexSize}; }
    ChainBlockText as_block() const { return {index, hash_text(), json, posts}; }
  };
  // Blocks scanned in one stretch (one thread's), with the ids of their posts.
  struct Segment {
    explicit Segment(std::pmr::memory_resource* memory) : blocks(memory), post_ids(memory) {}
    std::pmr::vector<Scanned> blocks;
    std::pmr::vector<Digest> post_ids;
  };

 private:
  const Scanned* last_block() const;  // null when there is none

  std::string_view body_;
  std::string normalized_;    // the body re-written by nlohmann, when the scan could not read it
  bool happy_shape_ = false;  // an object with a non-empty "chain" and a fitting "length", or a
                              // non-empty array: else validate takes the exact path whole
  bool object_body_ = false;
  std::pmr::memory_resource* memory_;  // the plan's
  // In chain order: helpers' stretches are kept, not copied. Mutable: validate writes in what it
  // read the exact way.
  mutable std::vector<Segment> segments_;
  std::optional<std::string_view> peers_;
  std::size_t blocks_read_by_helpers_ = 0;
  mutable std::deque<std::string> exact_hashes_;  // hashes of blocks read the exact way

  friend class ChainScanner;
  friend class ValidChain;
};

// A block of a validated chain as a Block (the exact parse of its text).
Block block_from_text(std::string_view json);

}  // namespace yournet
