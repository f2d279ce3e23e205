#include "yournet/chain_text.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <span>
#include <stdexcept>
#include <stop_token>
#include <system_error>
#include <thread>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "yournet/crypto.hpp"

namespace yournet {
namespace {

// The text is not something the scan reads (malformed, too deep, a key it cannot compare): the
// exact parser decides, and gives the error if there is one.
struct Unreadable {};

bool is_space(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// True when none of the 8 bytes at `p` needs a look inside a string: no quote, backslash,
// control character, DEL or non-ASCII byte (each test finds whether any byte matches).
bool ordinary_word(const char* p) {
  constexpr std::uint64_t kOnes = 0x0101010101010101, kHighs = 0x8080808080808080;
  std::uint64_t x = 0;
  std::memcpy(&x, p, sizeof x);
  auto has_zero = [](std::uint64_t v) { return ((v - kOnes) & ~v & kHighs) != 0; };
  if (x & kHighs) return false;
  return !has_zero(x ^ (kOnes * '"')) && !has_zero(x ^ (kOnes * '\\')) &&
         !has_zero(x ^ (kOnes * 0x7F)) && ((x - kOnes * 0x20) & ~x & kHighs) == 0;
}

// Skips bytes that need no look inside a string (ordinary_word's test): the first byte from `p`
// on that does, or a point before it when few bytes are left. 16 bytes at a time with SSE2 (every
// x86-64), then 8.
const char* skip_ordinary(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'),
                del = _mm_set1_epi8(0x7F), space = _mm_set1_epi8(0x20);
  while (end - p >= 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // Compared as signed bytes, a non-ASCII byte (0x80 and up) is below ' ' as well.
    const __m128i special =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)),
                     _mm_or_si128(_mm_cmpeq_epi8(x, del), _mm_cmplt_epi8(x, space)));
    const int mask = _mm_movemask_epi8(special);
    if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#endif
  while (end - p >= 8 && ordinary_word(p)) p += 8;
  return p;
}

struct StringToken {
  std::string_view raw;  // between the quotes
  // Printable ASCII with only the escapes json.dumps writes itself (\" \\ \n \r \t \b \f): the
  // raw text is then exactly the canonical text.
  bool plain = true;
};

struct NumberToken {
  std::string_view text;
  bool integer = true;
};

bool digest_is_hex(const Digest& digest, std::string_view hex) {
  static constexpr char kDigits[] = "0123456789abcdef";
  if (hex.size() != 2 * digest.size()) return false;
  for (std::size_t i = 0; i < digest.size(); ++i) {
    if (hex[2 * i] != kDigits[digest[i] >> 4] || hex[2 * i + 1] != kDigits[digest[i] & 0xF])
      return false;
  }
  return true;
}

// True when `text` is the literal: compared inline, its length known (no call to memcmp, which
// the scan otherwise makes for every key it reads).
template <std::size_t N>
bool is(std::string_view text, const char (&literal)[N]) {
  return text.size() == N - 1 && std::memcmp(text.data(), literal, N - 1) == 0;
}

// A non-negative integer literal in canonical form (no sign, no leading zero) that fits 64 bits.
std::optional<std::uint64_t> plain_unsigned(const NumberToken& number) {
  if (!number.integer || number.text.empty() || number.text.size() > 19 ||
      !is_digit(number.text.front()))
    return std::nullopt;
  std::uint64_t value = 0;
  auto [end, ec] =
      std::from_chars(number.text.data(), number.text.data() + number.text.size(), value);
  if (ec != std::errc() || end != number.text.data() + number.text.size()) return std::nullopt;
  return value;
}

}  // namespace

// One pass over a body: structure, spans, and for each block its canonical bytes and hashes.
class ChainScanner {
 public:
  ChainScanner(ChainText& out, std::string_view text, const ChainScanPlan& plan)
      : out_(&out),
        segment_(&out.segments_.back()),
        prefetched_(text.data()),
        p_(text.data()),
        end_(text.data() + text.size()),
        plan_(plan) {}

  // Throws Unreadable; sets `confirm` when the text holds what only the exact parser can judge
  // (non-ASCII or \u escapes in strings, numbers beyond 64 bits or a double's range, keys not
  // compared for duplicates).
  void run() {
    space();
    if (peek() == '{') {
      out_->object_body_ = true;
      top_object();
    } else if (peek() == '[') {
      chain_array();
      out_->happy_shape_ = out_->size() > 0;
    } else {
      skip_value();
    }
    space();
    if (p_ != end_) throw Unreadable{};
  }
  bool confirm = false;

 private:
  struct ScanPart;
  // A part's scanner: its blocks go to the part, its depth starts at the chain array's.
  ChainScanner(ScanPart& part, std::string_view text, std::size_t depth)
      : segment_(&part.segment),
        prefetched_(text.data()),
        p_(text.data()),
        end_(text.data() + text.size()),
        depth_(depth) {}

  static constexpr std::size_t kMaxDepth = JsonLimits{}.max_depth;

  void space() {
    while (p_ != end_ && is_space(*p_)) ++p_;
  }
  char peek() {
    space();
    if (p_ == end_) throw Unreadable{};
    return *p_;
  }
  void expect(char c) {
    if (peek() != c) throw Unreadable{};
    ++p_;
  }
  // After a value inside an object or array: true when another follows, false at `close`.
  bool next_or_close(char close) {
    char c = peek();
    ++p_;
    if (c == ',') return true;
    if (c == close) return false;
    throw Unreadable{};
  }
  void enter() {
    if (++depth_ > kMaxDepth) throw Unreadable{};
  }
  void leave() { --depth_; }

  StringToken string() {
    expect('"');
    StringToken token;
    const char* start = p_;
    for (;;) {
      p_ = skip_ordinary(p_, end_);
      if (p_ == end_) throw Unreadable{};
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') break;
      if (c == '\\') {
        if (++p_ == end_) throw Unreadable{};
        switch (*p_) {
          case '"':
          case '\\':
          case 'n':
          case 'r':
          case 't':
          case 'b':
          case 'f':
            break;
          case '/':
            token.plain = false;
            break;
          case 'u':
            // Surrogate pairs are the exact parser's to judge.
            token.plain = false;
            confirm = true;
            for (int i = 0; i < 4; ++i) {
              if (++p_ == end_ || !std::isxdigit(static_cast<unsigned char>(*p_)))
                throw Unreadable{};
            }
            break;
          default:
            throw Unreadable{};
        }
      } else if (c < 0x20) {
        throw Unreadable{};
      } else if (c >= 0x7F) {
        token.plain = false;
        if (c >= 0x80) confirm = true;  // UTF-8 validity is the exact parser's to judge
      }
      ++p_;
    }
    token.raw = std::string_view(start, static_cast<std::size_t>(p_ - start));
    ++p_;
    return token;
  }

  NumberToken number() {
    const char* start = p_;
    NumberToken token;
    if (p_ != end_ && *p_ == '-') ++p_;
    if (p_ == end_ || !is_digit(*p_)) throw Unreadable{};
    if (*p_ == '0') {
      ++p_;
    } else {
      while (p_ != end_ && is_digit(*p_)) ++p_;
    }
    if (p_ != end_ && *p_ == '.') {
      token.integer = false;
      ++p_;
      if (p_ == end_ || !is_digit(*p_)) throw Unreadable{};
      while (p_ != end_ && is_digit(*p_)) ++p_;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      token.integer = false;
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || !is_digit(*p_)) throw Unreadable{};
      while (p_ != end_ && is_digit(*p_)) ++p_;
    }
    token.text = std::string_view(start, static_cast<std::size_t>(p_ - start));
    return token;
  }

  // Appends the number's canonical text; false when only the exact path can tell it.
  bool canonical_number(const NumberToken& number, std::string& out) {
    if (number.integer) {
      const std::size_t digits = number.text.size() - (number.text.front() == '-' ? 1 : 0);
      if (digits > 18) {  // may not fit 64 bits: parse_json refuses those
        confirm = true;
        return false;
      }
      if (number.text == "-0") return false;
      out += number.text;
      return true;
    }
    if (is_python_float_repr(number.text)) {  // Python wrote it: no need to read and rewrite
      out += number.text;
      return true;
    }
    double value = 0;
    auto [end, ec] =
        std::from_chars(number.text.data(), number.text.data() + number.text.size(), value);
    if (ec != std::errc() || end != number.text.data() + number.text.size() ||
        !std::isfinite(value)) {
      confirm = true;
      return false;
    }
    append_python_float(out, value);
    return true;
  }

  void literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::memcmp(p_, word.data(), word.size()) != 0)
      throw Unreadable{};
    p_ += word.size();
  }

  void skip_value() {
    switch (peek()) {
      case '"':
        string();
        return;
      case '{':
        // A skipped object's keys are not compared: duplicates are the exact parser's to refuse.
        confirm = true;
        enter();
        ++p_;
        if (peek() == '}') {
          ++p_;
        } else {
          do {
            string();
            expect(':');
            skip_value();
          } while (next_or_close('}'));
        }
        leave();
        return;
      case '[':
        enter();
        ++p_;
        if (peek() == ']') {
          ++p_;
        } else {
          do {
            skip_value();
          } while (next_or_close(']'));
        }
        leave();
        return;
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default: {
        NumberToken token = number();
        scratch_.clear();
        canonical_number(token, scratch_);  // only for what it flags
        return;
      }
    }
  }

  void top_object() {
    enter();
    expect('{');
    bool has_chain = false, chain_array_ok = false, has_length = false;
    std::optional<std::uint64_t> length;
    if (peek() == '}') {
      ++p_;
    } else {
      do {
        StringToken key = string();
        expect(':');
        if (key.raw.find('\\') != std::string_view::npos) {
          // Escapes may spell "chain": the exact parser's text is read instead. In that text
          // (nlohmann's writing) a key with a backslash is none of ours.
          if (out_->normalized_.empty()) throw Unreadable{};
          skip_value();
          continue;
        }
        if (is(key.raw, "chain")) {
          if (has_chain) throw Unreadable{};  // the exact parser keeps the last: read its text
          has_chain = true;
          if (peek() == '[') {
            chain_array();
            chain_array_ok = true;
          } else {
            skip_value();
          }
        } else if (is(key.raw, "length")) {
          if (has_length) throw Unreadable{};
          has_length = true;
          if (peek() == '-' || is_digit(peek())) {
            NumberToken token = number();
            length = plain_unsigned(token);
            scratch_.clear();
            canonical_number(token, scratch_);
          } else {
            skip_value();
          }
        } else if (is(key.raw, "peers")) {
          if (out_->peers_) throw Unreadable{};
          space();
          const char* start = p_;
          skip_value();
          out_->peers_ = std::string_view(start, static_cast<std::size_t>(p_ - start));
        } else {
          confirm = true;  // an unknown key may repeat: the exact parser judges the body
          skip_value();
        }
      } while (next_or_close('}'));
    }
    leave();
    const std::size_t blocks = out_->size();
    out_->happy_shape_ =
        chain_array_ok && blocks > 0 && (!has_length || (length && *length == blocks));
  }

  void chain_array() {
    enter();
    expect('[');
    if (peek() == ']') {
      ++p_;
    } else {
      scan_block();
      std::vector<std::unique_ptr<ScanPart>> parts;
      if (next_or_close(']')) {
        parts = start_parts();
        for (;;) {
          space();
          if (const ScanPart* part = adopt(parts)) {
            if (part->closed) break;
            continue;  // at the next part's start
          }
          scan_block();
          if (!next_or_close(']')) break;
        }
      }
      finish_hash_checks();
      for (auto& part : parts) part->thread.request_stop();  // passed over: not needed
    }
    leave();
  }

  // One element of the chain array, at the cursor, recorded in the segment.
  void scan_block() {
    space();
    const char* start = p_;
    prefetch_ahead();
    ChainText::Scanned block;
    if (peek() == '{') {  // peek: the text may end here
      block.first_post = static_cast<std::uint32_t>(segment_->post_ids.size());
      const std::size_t depth = depth_;
      if (!fast_block(block)) {
        segment_->post_ids.resize(block.first_post);
        block = ChainText::Scanned{};
        depth_ = depth;
        p_ = start;
        skip_value();
      }
    } else {
      skip_value();
    }
    block.json = std::string_view(start, static_cast<std::size_t>(p_ - start));
    segment_->blocks.push_back(block);
    if (block.fast()) check_hash(segment_->blocks.size() - 1);
  }

  // The hash of a block read fast (its canonical bytes in messages_), checked two blocks at a
  // time (sha256_pair); finish_hash_checks checks one left over. A block whose hash does not
  // hold is left to the exact path.
  void check_hash(std::size_t record) {
    if (!pending_check_) {
      pending_check_ = record;
      return;
    }
    const auto [first, second] = sha256_pair(messages_[0], messages_[1]);
    settle_hash(*pending_check_, first);
    settle_hash(record, second);
    pending_check_.reset();
  }
  // Before the scan stops or leaves its segment.
  void finish_hash_checks() {
    if (!pending_check_) return;
    settle_hash(*pending_check_, sha256(messages_[0]));
    pending_check_.reset();
  }
  // A block whose hash does not hold was still read whole by fast_block, with every check a
  // block whose hash holds gets: the body needs no exact parse for it (a tampered chain costs
  // what a valid one does), only the block, which validate gives the exact path to name the fault.
  void settle_hash(std::size_t record, const Digest& digest) {
    ChainText::Scanned& block = segment_->blocks[record];
    if (digest_is_hex(digest, block.hash_text())) return;
    const std::string_view json = block.json;
    block = ChainText::Scanned{};  // its post ids stay behind in the segment, unused
    block.json = json;
  }

  // Asks for the text a few blocks ahead, a cache line at a time: its first read (straight from
  // the page cache) otherwise stalls the scan, which the hardware's prefetch does not foresee
  // across pages.
  void prefetch_ahead() {
    constexpr std::size_t kAhead = 2048, kLines = 16, kLine = 64;
    const char* from = std::max(prefetched_, p_ + std::min<std::size_t>(kAhead, end_ - p_));
    const char* to = p_ + std::min<std::size_t>(kAhead + kLines * kLine, end_ - p_);
    for (; from < to; from += kLine) __builtin_prefetch(from);
    prefetched_ = std::max(prefetched_, from);
  }

  // A stretch of the chain array scanned on a thread of its own from a guessed block start, up to
  // the next part's start or the array's end.
  struct ScanPart {
    explicit ScanPart(std::pmr::memory_resource* memory) : segment(memory) {}
    const char* start = nullptr;
    const char* stop = nullptr;  // the next part's start; null for the last
    ChainText::Segment segment;
    const char* end = nullptr;  // the cursor after the stretch: `stop`, or past the array's `]`
    bool closed = false;        // the stretch ended with the array
    bool confirm = false;
    bool failed = false;  // the text from `start` on did not read as blocks
    std::jthread thread;  // last member: joined (and asked to stop) before the rest goes
  };

  // Parts for the rest of the array when the plan has threads for it, each started at the first
  // block start found after an even share of the text. A block start is told by the bytes block
  // 0 opens with (its brace, spaces, first key and its closing quote) after a comma: a guess,
  // which `adopt` checks.
  std::vector<std::unique_ptr<ScanPart>> start_parts() {
    std::vector<std::unique_ptr<ScanPart>> parts;
    const unsigned threads = std::min(plan_.threads, ChainScanPlan::kMaxThreads);
    const std::size_t rest = static_cast<std::size_t>(end_ - p_);
    const std::size_t count =
        std::min<std::size_t>(threads, rest / std::max<std::size_t>(plan_.min_part_bytes, 1));
    const std::string_view first = segment_->blocks.front().json;
    if (count < 2 || first.empty() || first[0] != '{') return parts;
    std::size_t key_start = 1;
    while (key_start < first.size() && is_space(first[key_start])) ++key_start;
    if (key_start == first.size() || first[key_start] != '"') return parts;
    const std::size_t key_end = first.find('"', key_start + 1);
    if (key_end == std::string_view::npos) return parts;
    const std::string_view opening = first.substr(0, key_end + 1);
    const std::string_view text(p_, rest);
    std::size_t from = 0;
    for (std::size_t k = 1; k < count; ++k) {
      std::size_t at = text.find(opening, std::max(from, rest / count * k));
      while (at != std::string_view::npos && !after_comma(text, at))
        at = text.find(opening, at + 1);
      if (at == std::string_view::npos) break;
      auto part = std::make_unique<ScanPart>(plan_.memory);
      part->start = p_ + at;
      if (!parts.empty()) parts.back()->stop = part->start;
      parts.push_back(std::move(part));
      from = at + 1;
    }
    next_part_ = 0;
    for (std::size_t k = 0; k < parts.size(); ++k) {
      try {
        parts[k]->thread =
            std::jthread([&part = *parts[k], end = end_, depth = depth_](std::stop_token stop) {
              scan_part(part, end, depth, stop);
            });
      } catch (const std::system_error&) {
        // No more threads to be had: this scan reads from here on (the part before stops here).
        parts.resize(k);
        break;
      }
    }
    return parts;
  }

  static bool after_comma(std::string_view text, std::size_t at) {
    while (at > 0 && is_space(text[at - 1])) --at;
    return at > 0 && text[at - 1] == ',';
  }

  // On a part's thread: its blocks, as the scan from its start would read them.
  static void scan_part(ScanPart& part, const char* end, std::size_t depth,
                        const std::stop_token& stop) {
    try {
      ChainScanner scanner(
          part, std::string_view(part.start, static_cast<std::size_t>(end - part.start)), depth);
      const std::size_t share =
          static_cast<std::size_t>((part.stop ? part.stop : end) - part.start);
      part.segment.blocks.reserve(share / 64 + 1);
      part.segment.post_ids.reserve(share / 32 + 1);
      for (;;) {
        if (stop.stop_requested()) throw Unreadable{};
        scanner.scan_block();
        if (!scanner.next_or_close(']')) {
          part.closed = true;
          break;
        }
        scanner.space();
        if (scanner.p_ == part.stop) break;
      }
      scanner.finish_hash_checks();
      part.end = scanner.p_;
      part.confirm = scanner.confirm;
    } catch (...) {
      part.failed = true;  // the scan from the part's start, if it gets there, finds out why
    }
  }

  // When the cursor is at the next part's start, that part's blocks taken as this scan's (the
  // cursor then after them); parts the cursor has passed are dropped. Null when none is taken.
  const ScanPart* adopt(std::vector<std::unique_ptr<ScanPart>>& parts) {
    while (next_part_ < parts.size()) {
      ScanPart& part = *parts[next_part_];
      if (part.start > p_) return nullptr;
      ++next_part_;
      if (part.start < p_) {  // a wrong guess: the scan went past it
        part.thread.request_stop();
        continue;
      }
      part.thread.join();
      if (part.failed) return nullptr;
      // Only the caller's scanner takes parts: out_ is set.
      out_->blocks_read_by_helpers_ += part.segment.blocks.size();
      finish_hash_checks();
      out_->segments_.push_back(std::move(part.segment));
      segment_ =
          &out_->segments_.emplace_back(out_->memory_);  // for blocks this thread reads after them
      confirm = confirm || part.confirm;
      p_ = part.end;
      return &part;
    }
    return nullptr;
  }
  // A block read field by field, its canonical bytes hashed as they are written; false (the
  // cursor then anywhere in the block) for anything the exact path must judge.
  bool fast_block(ChainText::Scanned& block) {
    // Bits of the fields read, so a repeated or missing one is seen.
    constexpr unsigned kIndex = 1, kNonce = 2, kPrevious = 4, kTimestamp = 8, kPosts = 16,
                       kHash = 32, kAll = 63;
    unsigned seen = 0;
    std::string_view nonce_digits, index_digits;
    timestamp_.clear();
    posts_.clear();
    enter();
    expect('{');
    if (peek() == '}') return false;
    do {
      StringToken key = string();
      expect(':');
      if (!key.plain) return false;
      unsigned field = is(key.raw, "index")           ? kIndex
                       : is(key.raw, "nonce")         ? kNonce
                       : is(key.raw, "previous_hash") ? kPrevious
                       : is(key.raw, "timestamp")     ? kTimestamp
                       : is(key.raw, "transactions")  ? kPosts
                       : is(key.raw, "hash")          ? kHash
                                                      : 0u;
      if (field & seen) return false;
      seen |= field;
      const char c = peek();
      switch (field) {
        case kIndex:
        case kNonce: {
          if (c != '-' && !is_digit(c)) return false;
          NumberToken token = number();
          auto value = plain_unsigned(token);
          if (!value) return false;
          if (field == kIndex) {
            block.index = *value;
            index_digits = token.text;
          } else {
            nonce_digits = token.text;
          }
          break;
        }
        case kPrevious:
        case kHash: {
          if (c != '"') return false;
          StringToken token = string();
          if (!token.plain) return false;
          if (field == kPrevious) {
            block.previous_hash = token.raw;
          } else if (token.raw.size() == ChainText::kHashHexSize) {
            block.hash = token.raw.data();
          } else {
            return false;  // not a block hash: the exact path names the fault
          }
          break;
        }
        case kTimestamp:
          if (c != '-' && !is_digit(c)) return false;
          if (!canonical_number(number(), timestamp_)) return false;
          break;
        case kPosts:
          if (c != '[' || !fast_posts(block)) return false;
          break;
        default:
          confirm = true;  // an unknown key may repeat: the exact parser judges the body
          skip_value();    // ignored, as block_from_json does
      }
    } while (next_or_close('}'));
    leave();
    if (seen != kAll) return false;

    // The canonical bytes, hashed once the block is recorded (check_hash).
    std::string& message = messages_[pending_check_ ? 1 : 0];
    message.clear();
    message += "{\"index\": ";
    message += index_digits;
    message += ", \"nonce\": ";
    message += nonce_digits;
    message += ", \"previous_hash\": \"";
    message += block.previous_hash;
    message += "\", \"timestamp\": ";
    message += timestamp_;
    message += ", \"transactions\": ";
    message += posts_text_;
    message += '}';
    // Posts distinct within the block (check_block_alone's rule).
    sorted_ids_.assign(segment_->post_ids.begin() + block.first_post, segment_->post_ids.end());
    std::sort(sorted_ids_.begin(), sorted_ids_.end());
    if (std::adjacent_find(sorted_ids_.begin(), sorted_ids_.end()) != sorted_ids_.end())
      return false;
    return true;
  }

  // The posts array: its canonical text in posts_text_ and each post's id in the segment. Text
  // written as json.dumps(sort_keys=True) writes it (as the tutorial's nodes write posts) is its
  // own canonical text: it is hashed where it lies, and only other text is written out again,
  // into posts_.
  bool fast_posts(ChainText::Scanned& block) {
    enter();
    const char* const array_start = p_;
    expect('[');
    rewritten_posts_ = false;
    post_texts_.clear();
    // Where the next post starts in canonical text; null when it cannot be canonical.
    const char* expected = p_;
    if (peek() == ']') {
      if (p_ != expected) rewrite_posts();
      ++p_;
    } else {
      do {
        space();
        const char* const post_start = p_;
        if (peek() != '{') return false;
        bool as_written = post_start == expected;
        if (!fast_post(as_written)) return false;
        if (!as_written && !rewritten_posts_) rewrite_posts();
        if (rewritten_posts_) {
          if (block.posts > 0) posts_ += ", ";
          const std::size_t start = posts_.size();
          append_post();
          post_texts_.push_back({nullptr, start, posts_.size() - start});
        } else {
          post_texts_.push_back({post_start, 0, static_cast<std::size_t>(p_ - post_start)});
        }
        ++block.posts;
        expected = end_ - p_ >= 2 && p_[0] == ',' && p_[1] == ' ' ? p_ + 2 : nullptr;
      } while (next_or_close(']'));
      if (!rewritten_posts_ && p_ - 1 != post_texts_.back().data + post_texts_.back().size)
        rewrite_posts();  // space before the `]`
    }
    post_ids();
    if (rewritten_posts_) {
      posts_ += ']';
      posts_text_ = posts_;
    } else {
      posts_text_ = std::string_view(array_start, static_cast<std::size_t>(p_ - array_start));
    }
    leave();
    return true;
  }

  // The ids of the block's posts (post_texts_) into the segment, two hashed at once.
  void post_ids() {
    auto text = [this](const PostText& post) {
      return post.data ? std::string_view(post.data, post.size)
                       : std::string_view(posts_).substr(post.offset, post.size);
    };
    std::size_t i = 0;
    for (; i + 1 < post_texts_.size(); i += 2) {
      auto [first, second] = sha256_pair(text(post_texts_[i]), text(post_texts_[i + 1]));
      segment_->post_ids.push_back(first);
      segment_->post_ids.push_back(second);
    }
    if (i < post_texts_.size()) segment_->post_ids.push_back(sha256(text(post_texts_[i])));
  }

  // From here on the posts array is written out: first the posts read so far (each as written,
  // its own canonical text).
  void rewrite_posts() {
    rewritten_posts_ = true;
    posts_ = '[';
    for (std::size_t i = 0; i < post_texts_.size(); ++i) {
      if (i > 0) posts_ += ", ";
      posts_.append(post_texts_[i].data, post_texts_[i].size);
    }
  }

  // One unsigned post whose fields are plain strings, numbers or literals, read into
  // post_members_: check_post's rules. `as_written` is cleared unless its text is its canonical
  // text (keys in order, separators and numbers as json.dumps writes them).
  bool fast_post(bool& as_written) {
    post_member_count_ = 0;
    values_.clear();
    enter();
    expect('{');
    const char* expected = p_;        // where the next key's quote is in canonical text
    if (peek() == '}') return false;  // no author: malformed
    const char* value_end = nullptr;
    do {
      space();
      if (p_ != expected) as_written = false;
      StringToken key = string();
      // Keys compared and ordered as they are written: no escapes.
      if (!key.plain || key.raw.find('\\') != std::string_view::npos ||
          post_member_count_ == kMaxPostMembers)
        return false;
      const char* const expected_value = p_ + 2;  // after `: `
      expect(':');
      PostMember& member = post_members_[post_member_count_++];
      member.key = key.raw;
      member.rewritten = false;
      if (post_member_count_ > 1 && !(post_members_[post_member_count_ - 2].key < key.raw))
        as_written = false;
      const char c = peek();
      const char* const value_start = p_;
      if (value_start != expected_value || value_start[-1] != ' ') as_written = false;
      if (c == '"') {
        if (!string().plain) return false;
        member.kind = 's';
      } else if (c == '-' || is_digit(c)) {
        NumberToken token = number();
        member.kind = 'n';
        if (!number_as_written(token)) {
          member.rewritten = true;
          member.value_offset = values_.size();
          if (!canonical_number(token, values_)) return false;
          as_written = false;
        }
      } else if (c == 't' || c == 'f' || c == 'n') {
        literal(c == 't' ? "true" : c == 'f' ? "false" : "null");
        member.kind = 'l';
      } else {
        return false;  // nested values: the exact path
      }
      value_end = p_;
      member.value = std::string_view(value_start, static_cast<std::size_t>(p_ - value_start));
      if (member.rewritten) member.value_size = values_.size() - member.value_offset;
      expected = end_ - p_ >= 2 && p_[0] == ',' && p_[1] == ' ' ? p_ + 2 : nullptr;
    } while (next_or_close('}'));
    leave();
    if (p_ - 1 != value_end) as_written = false;  // space before the `}`
    const auto members = std::span(post_members_).first(post_member_count_);
    if (!as_written) {
      std::sort(members.begin(), members.end(),
                [](const PostMember& a, const PostMember& b) { return a.key < b.key; });
    }
    bool author = false, content = false;
    for (std::size_t i = 0; i < members.size(); ++i) {
      const PostMember& member = members[i];
      if (i > 0 && members[i - 1].key == member.key) return false;
      const bool non_empty_string = member.kind == 's' && member.value.size() > 2;
      if (is(member.key, "author")) author = non_empty_string;
      if (is(member.key, "content")) content = non_empty_string;
      if (is(member.key, "timestamp") && member.kind != 'n') return false;
      if (is(member.key, "public_key") || is(member.key, "signature")) return false;
    }
    return author && content;
  }

  // The post fast_post read, keys in order, appended to posts_.
  void append_post() {
    posts_ += '{';
    for (std::size_t i = 0; i < post_member_count_; ++i) {
      const PostMember& member = post_members_[i];
      if (i > 0) posts_ += ", ";
      posts_ += '"';
      posts_ += member.key;
      posts_ += "\": ";
      if (member.rewritten) {
        posts_.append(values_, member.value_offset, member.value_size);
      } else {
        posts_ += member.value;
      }
    }
    posts_ += '}';
  }

  // True when canonical_number writes the number as it is.
  static bool number_as_written(const NumberToken& number) {
    if (!number.integer) return is_python_float_repr(number.text);
    const std::size_t digits = number.text.size() - (number.text.front() == '-' ? 1 : 0);
    return digits <= 18 && number.text != "-0";
  }

  struct PostMember {
    std::string_view key;
    std::string_view value;  // as written (a string with its quotes)
    bool rewritten = false;  // its canonical text is in values_ instead
    std::size_t value_offset = 0, value_size = 0;
    char kind = 's';  // 's' string, 'n' number, 'l' literal
  };
  static constexpr std::size_t kMaxPostMembers = 16;

  ChainText* out_ = nullptr;     // null for a part's scanner, which reads blocks only
  ChainText::Segment* segment_;  // where the blocks read go
  const char* prefetched_;       // prefetch_ahead asked up to here
  const char* p_;
  const char* end_;
  std::size_t depth_ = 0;
  ChainScanPlan plan_;         // a part's scanner starts no parts of its own
  std::size_t next_part_ = 0;  // the parts before it were taken or dropped
  // Buffers reused from block to block.
  std::string timestamp_, posts_, values_, scratch_;
  std::string messages_[2];  // canonical bytes of blocks whose hash is not checked yet
  std::optional<std::size_t> pending_check_;  // the record whose bytes are in messages_[0]
  std::array<PostMember, kMaxPostMembers> post_members_;
  std::size_t post_member_count_ = 0;
  // Each post's canonical text: in the body, or (data null) in posts_.
  struct PostText {
    const char* data;
    std::size_t offset, size;
  };
  std::vector<PostText> post_texts_;
  bool rewritten_posts_ = false;  // the posts array is being written into posts_
  std::string_view posts_text_;   // the block's posts array, canonical
  std::vector<Digest> sorted_ids_;
};

ChainText::ChainText(std::string_view body, ChainScanPlan plan)
    : body_(body), memory_(plan.memory) {
  auto scan = [this, &plan](std::string_view text) {
    happy_shape_ = object_body_ = false;
    segments_.clear();
    ChainText::Segment& first = segments_.emplace_back(memory_);
    peers_.reset();
    // Room for as many blocks and posts as the text could hold (a block takes over 64 bytes, a
    // post over 32): reserved, not touched, so growing never copies what was read.
    first.blocks.reserve(text.size() / 64 + 1);
    first.post_ids.reserve(text.size() / 32 + 1);
    blocks_read_by_helpers_ = 0;
    ChainScanner scanner(*this, text, plan);
    scanner.run();
    return scanner.confirm;
  };
  try {
    if (scan(body)) (void)parse_json(body);  // throws what the exact parser finds wrong
  } catch (const Unreadable&) {
    // parse_json gives the error; text it takes that the scan does not (duplicate keys...) is
    // read again as nlohmann writes it.
    normalized_ = parse_json(body).dump();
    body_ = normalized_;
    try {
      scan(body_);
    } catch (const Unreadable&) {
      throw JsonError("chain body could not be read");
    }
  }
}

std::size_t ChainText::size() const {
  std::size_t blocks = 0;
  for (const Segment& segment : segments_) blocks += segment.blocks.size();
  return blocks;
}

const ChainText::Scanned* ChainText::last_block() const {
  for (auto segment = segments_.rbegin(); segment != segments_.rend(); ++segment) {
    if (!segment->blocks.empty()) return &segment->blocks.back();
  }
  return nullptr;
}

std::size_t ChainText::blocks_read_fast() const {
  std::size_t fast = 0;
  for (const Segment& segment : segments_) {
    fast +=
        static_cast<std::size_t>(std::count_if(segment.blocks.begin(), segment.blocks.end(),
                                               [](const Scanned& block) { return block.fast(); }));
  }
  return fast;
}

std::optional<std::string> ChainText::tip_hash() const {
  const Scanned* last = last_block();
  if (!object_body_ || !last) return std::nullopt;
  if (last->fast()) return std::string(last->hash_text());
  Json json = parse_json(last->json);
  if (!json.is_object()) return std::nullopt;
  auto hash = json.find("hash");
  if (hash == json.end() || !hash->is_string()) return std::nullopt;
  return hash->get<std::string>();
}

namespace {
// How far ahead of the walk validate asks for blocks' hashes.
constexpr std::size_t kWalkPrefetchBlocks = 8;
}  // namespace

Expected<ValidChain, ValidationError> ChainText::validate(const ChainParams& params) const {
  if (!happy_shape_) {
    auto shape = chain_blocks(parse_json(body_));
    if (!shape) return unexpected(shape.error());
    throw std::logic_error("a chain body's shape read two ways");
  }
  ChainWalk walk(params, memory_);
  std::size_t posts = 0;
  for (const Segment& segment : segments_) posts += segment.post_ids.size();
  walk.reserve_posts(posts);
  for (Segment& segment : segments_) {
    for (std::size_t i = 0; i < segment.blocks.size(); ++i) {
      Scanned& block = segment.blocks[i];
      // The hashes a few blocks on, in the text read long ago, and where their posts go in the
      // set: asked for now, they are in the cache when their turn comes (the walk otherwise
      // waits on memory at every block).
      if (i + kWalkPrefetchBlocks < segment.blocks.size()) {
        const Scanned& ahead = segment.blocks[i + kWalkPrefetchBlocks];
        if (ahead.fast()) {
          __builtin_prefetch(ahead.previous_hash.data());
          __builtin_prefetch(ahead.hash);
          __builtin_prefetch(ahead.hash + kHashHexSize - 1);
          walk.prefetch_posts(segment.post_ids.data() + ahead.first_post, ahead.posts);
        }
      }
      const Digest* ids = segment.post_ids.data() + block.first_post;
      if (block.fast() &&
          (block.index == 0 || meets_difficulty(block.hash_text(), params.difficulty)) &&
          !(params.require_signatures && block.posts > 0) &&
          walk.fits(block.index, block.previous_hash, block.hash_text(), ids, block.posts)) {
        walk.accept(block.index, block.hash_text(), ids, block.posts);
        continue;
      }
      auto exact = walk.next(parse_json(block.json));
      if (!exact) return unexpected(exact.error());
      exact_hashes_.push_back(std::move(exact->hash));
      block.index = exact->index;
      block.hash = exact_hashes_.back().data();
      block.posts = static_cast<std::uint32_t>(exact->transactions.size());
    }
  }
  return ValidChain(*this, size());
}

ChainBlockText ValidChain::operator[](std::size_t position) const {
  for (const ChainText::Segment& segment : text_->segments_) {
    if (position < segment.blocks.size()) return segment.blocks[position].as_block();
    position -= segment.blocks.size();
  }
  throw std::out_of_range("a block beyond the chain");
}

ValidChain::Iterator ValidChain::begin() const {
  Iterator start(text_, 0, 0);
  start.skip_empty_segments();
  return start;
}

ValidChain::Iterator ValidChain::end() const {
  return Iterator(text_, text_->segments_.size(), 0);
}

ChainBlockText ValidChain::Iterator::operator*() const {
  return text_->segments_[segment_].blocks[block_].as_block();
}

ValidChain::Iterator& ValidChain::Iterator::operator++() {
  ++block_;
  skip_empty_segments();
  return *this;
}

void ValidChain::Iterator::skip_empty_segments() {
  while (segment_ < text_->segments_.size() && block_ == text_->segments_[segment_].blocks.size()) {
    ++segment_;
    block_ = 0;
  }
}

Block block_from_text(std::string_view json) {
  auto block = block_from_json(parse_json(json));
  if (!block) throw std::logic_error("a validated block does not read: " + block.error().message());
  return std::move(*block);
}

}  // namespace yournet
