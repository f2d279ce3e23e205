#include "yournet/validation.hpp"

#include <algorithm>
#include <set>

#include "yournet/assert.hpp"
#include "yournet/crypto.hpp"

namespace yournet {
namespace {

ValidationError error(Rule rule, std::optional<std::uint64_t> index, std::string detail,
                      std::optional<std::size_t> post = std::nullopt) {
  return ValidationError{rule, index, std::nullopt, post, std::move(detail)};
}

bool non_empty_string(const Json& post, const char* key) {
  auto it = post.find(key);
  return it != post.end() && it->is_string() && !it->get_ref<const std::string&>().empty();
}

}  // namespace

const char* rule_name(Rule rule) {
  switch (rule) {
    case Rule::malformed_block:
      return "malformed_block";
    case Rule::malformed_post:
      return "malformed_post";
    case Rule::malformed_chain:
      return "malformed_chain";
    case Rule::bad_hash:
      return "bad_hash";
    case Rule::insufficient_work:
      return "insufficient_work";
    case Rule::broken_link:
      return "broken_link";
    case Rule::wrong_index:
      return "wrong_index";
    case Rule::foreign_genesis:
      return "foreign_genesis";
    case Rule::bad_signature:
      return "bad_signature";
    case Rule::unsigned_post:
      return "unsigned_post";
    case Rule::duplicate_post:
      return "duplicate_post";
  }
  return "unknown";
}

std::string ValidationError::message() const {
  std::string out;
  if (chain_position) {
    out += "block at position " + std::to_string(*chain_position);
    out += block_index ? " (claims index " + std::to_string(*block_index) + "): "
                       : " (no valid index): ";
  } else if (block_index) {
    out += "block " + std::to_string(*block_index) + ": ";
  }
  if (post_position) out += "post " + std::to_string(*post_position) + ": ";
  out += rule_name(rule);
  if (!detail.empty()) out += ": " + detail;
  return out;
}

std::string post_signing_bytes(const Json& post) {
  Json unsigned_post = post;
  unsigned_post.erase("signature");
  return canonical(unsigned_post);
}

SignatureStatus signature_status(const Json& post) {
  bool has_key = post.contains("public_key");
  bool has_signature = post.contains("signature");
  if (!has_key && !has_signature) return SignatureStatus::unsigned_post;
  if (!has_key || !has_signature || !post["public_key"].is_string() ||
      !post["signature"].is_string()) {
    return SignatureStatus::invalid;
  }
  return ed25519_verify(post["public_key"].get<std::string>(), post_signing_bytes(post),
                        post["signature"].get<std::string>())
             ? SignatureStatus::valid
             : SignatureStatus::invalid;
}

Expected<Json, std::string> sign_post(Json post, const std::string& private_key_hex) {
  if (!post.is_object()) return unexpected(std::string("a post must be a JSON object"));
  if (!post.contains("timestamp") || !post["timestamp"].is_number()) {
    return unexpected(std::string("a signed post must carry its own numeric timestamp"));
  }
  auto keys = ed25519_from_private(private_key_hex);
  if (!keys) return unexpected(std::string("the private key is not 32 bytes of hex"));
  post.erase("signature");
  post["public_key"] = keys->public_key_hex;
  auto signature = ed25519_sign(keys->private_key_hex, post_signing_bytes(post));
  if (!signature) return unexpected(std::string("signing failed"));
  post["signature"] = *signature;
  return post;
}

Verdict check_post(const Json& post, const ChainParams& params) {
  if (!post.is_object())
    return error(Rule::malformed_post, std::nullopt, "a post must be a JSON object");
  if (!non_empty_string(post, "author")) {
    return error(Rule::malformed_post, std::nullopt, "\"author\" must be a non-empty string");
  }
  if (!non_empty_string(post, "content")) {
    return error(Rule::malformed_post, std::nullopt, "\"content\" must be a non-empty string");
  }
  if (post.contains("timestamp") && !post["timestamp"].is_number()) {
    return error(Rule::malformed_post, std::nullopt, "\"timestamp\" must be a number");
  }
  switch (signature_status(post)) {
    case SignatureStatus::valid:
      return std::nullopt;
    case SignatureStatus::invalid:
      return error(Rule::bad_signature, std::nullopt,
                   "signature of post by \"" + post["author"].get<std::string>() +
                       "\" does not verify against its public_key");
    case SignatureStatus::unsigned_post:
      if (params.require_signatures) {
        return error(Rule::unsigned_post, std::nullopt, "this chain requires signed posts");
      }
      return std::nullopt;
  }
  return std::nullopt;
}

Expected<Block, ValidationError> block_from_json(const Json& json) {
  std::optional<std::uint64_t> index;
  if (json.is_object()) {
    auto it = json.find("index");
    if (it != json.end() && it->is_number_unsigned()) index = it->get<std::uint64_t>();
    if (it != json.end() && it->is_number_integer() && it->get<std::int64_t>() >= 0) {
      index = static_cast<std::uint64_t>(it->get<std::int64_t>());
    }
  }
  auto fail = [&](std::string detail) {
    return unexpected(error(Rule::malformed_block, index, std::move(detail)));
  };
  if (!json.is_object()) return fail("a block must be a JSON object");
  if (!index) return fail("\"index\" must be a non-negative integer");
  Block block;
  block.index = *index;
  auto transactions = json.find("transactions");
  if (transactions == json.end() || !transactions->is_array()) {
    return fail("\"transactions\" must be an array");
  }
  block.transactions = *transactions;
  auto timestamp = json.find("timestamp");
  if (timestamp == json.end() || !timestamp->is_number())
    return fail("\"timestamp\" must be a number");
  block.timestamp = *timestamp;
  auto previous = json.find("previous_hash");
  if (previous == json.end() || !previous->is_string()) {
    return fail("\"previous_hash\" must be a string");
  }
  block.previous_hash = previous->get<std::string>();
  auto nonce = json.find("nonce");
  if (nonce == json.end() || !(nonce->is_number_unsigned() ||
                               (nonce->is_number_integer() && nonce->get<std::int64_t>() >= 0))) {
    return fail("\"nonce\" must be a non-negative integer");
  }
  block.nonce = nonce->get<std::uint64_t>();
  auto hash = json.find("hash");
  if (hash == json.end() || !hash->is_string()) return fail("\"hash\" must be a string");
  block.hash = hash->get<std::string>();
  return block;
}

Verdict check_block_alone(const Block& block, const ChainParams& params) {
  std::string recomputed = compute_block_hash(block);
  if (block.hash != recomputed) {
    return error(Rule::bad_hash, block.index,
                 "stored hash " + block.hash + " is not the recomputed " + recomputed);
  }
  if (block.index == 0) {
    if (block.hash != kGenesisHash) {
      return error(Rule::foreign_genesis, 0,
                   "block 0 hashes to " + block.hash + ", not the shared genesis");
    }
    return std::nullopt;
  }
  if (!meets_difficulty(block.hash, params.difficulty)) {
    return error(
        Rule::insufficient_work, block.index,
        "hash " + block.hash + " has fewer than " + params.difficulty.describe() + " of zeros");
  }
  std::set<std::string> seen;
  for (std::size_t i = 0; i < block.transactions.size(); ++i) {
    if (auto verdict = check_post(block.transactions[i], params)) {
      verdict->block_index = block.index;
      verdict->post_position = i;
      return verdict;
    }
    if (!seen.insert(post_id(block.transactions[i])).second) {
      return error(Rule::duplicate_post, block.index, "the same post appears twice in the block",
                   i);
    }
  }
  return std::nullopt;
}

Verdict check_block_link(const Block& block, const Block& parent) {
  if (block.previous_hash != parent.hash) {
    return error(Rule::broken_link, block.index,
                 "previous_hash " + block.previous_hash + " is not the hash of block " +
                     std::to_string(parent.index) + " (" + parent.hash + ")");
  }
  if (block.index != parent.index + 1) {
    return error(Rule::wrong_index, block.index,
                 "its parent has index " + std::to_string(parent.index) + ", so it must be " +
                     std::to_string(parent.index + 1));
  }
  return std::nullopt;
}

// Open addressing, linear probing; a SHA-256 digest's first bytes are already uniform.
namespace {
// A digest's bytes as a number: digests are SHA-256 outputs, so any of their bytes are as good as
// a hash of them.
std::uint64_t digest_word(const Digest& digest, std::size_t offset, std::size_t bytes) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < bytes; ++i) value = (value << 8) | digest[offset + i];
  return value;
}
std::uint64_t digest_tag(const Digest& digest) {
  return digest_word(digest, 8, 4);
}
}  // namespace

// At most two thirds full: probes stay short (the tags spare reads of members), and the table,
// fresh memory for each chain, stays small.
std::size_t DigestSet::min_slots(std::size_t count) {
  return count + count / 2 + 1;
}

std::size_t DigestSet::home_slot(const Digest& digest) const {
  return static_cast<std::size_t>(digest_word(digest, 0, 8)) & (slots_.size() - 1);
}

std::size_t DigestSet::slot_of(const Digest& digest) const {
  const std::uint64_t tag = digest_tag(digest);
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t slot = home_slot(digest);; slot = (slot + 1) & mask) {
    const std::uint64_t entry = slots_[slot];
    if (entry == 0) return slot;
    // The member itself is read only when its tag matches: once in 2^32 for another digest.
    if (entry >> 32 == tag && *members_[(entry & 0xFFFF'FFFFu) - 1] == digest) return slot;
  }
}

void DigestSet::prefetch(const Digest& digest) const {
  if (slots_.empty()) return;
  __builtin_prefetch(&slots_[home_slot(digest)]);
}

bool DigestSet::contains(const Digest& digest) const {
  return !slots_.empty() && slots_[slot_of(digest)] != 0;
}

void DigestSet::reserve(std::size_t count) {
  YOURNET_ASSERT(count <= kMaxSize, "a digest set of more than kMaxSize digests");
  members_.reserve(count);
  std::size_t slots = 64;
  while (slots < min_slots(count)) slots *= 2;
  if (slots <= slots_.size()) return;
  slots_.assign(slots, 0);
  for (std::size_t i = 0; i < members_.size(); ++i)
    slots_[slot_of(*members_[i])] = slot_entry(*members_[i], i);
}

std::uint64_t DigestSet::slot_entry(const Digest& digest, std::size_t member) {
  return digest_tag(digest) << 32 | (member + 1);
}

bool DigestSet::insert_held(const Digest& digest) {
  if (min_slots(members_.size() + 1) > slots_.size()) reserve(members_.size() + 1);
  const std::size_t slot = slot_of(digest);
  if (slots_[slot] != 0) return false;
  members_.push_back(&digest);
  slots_[slot] = slot_entry(digest, members_.size() - 1);
  return true;
}

bool DigestSet::insert(const Digest& digest) {
  if (contains(digest)) return false;
  copies_.push_back(digest);
  return insert_held(copies_.back());
}

Expected<Block, ValidationError> ChainWalk::next(const Json& json) {
  // Every failure names the block's place in the chain beside the index it claims.
  auto at_position = [this](ValidationError failure) {
    failure.chain_position = position_;
    return unexpected(std::move(failure));
  };
  auto parsed = block_from_json(json);
  if (!parsed) return at_position(parsed.error());
  Block& block = *parsed;
  if (position_ == 0) {
    if (block.index != 0 || block.hash != kGenesisHash ||
        compute_block_hash(block) != kGenesisHash) {
      return at_position(
          error(Rule::foreign_genesis, block.index,
                "the first block is not the shared genesis " + std::string(kGenesisHash)));
    }
  } else if (auto verdict = check_block_link(block, parent_)) {
    return at_position(*verdict);
  }
  if (auto verdict = check_block_alone(block, params_)) return at_position(*verdict);
  for (std::size_t i = 0; i < block.transactions.size(); ++i) {
    if (!posts_seen_.insert(sha256(canonical(block.transactions[i])))) {
      return at_position(
          error(Rule::duplicate_post, block.index, "post already mined in an earlier block", i));
    }
  }
  ++position_;
  parent_.index = block.index;
  parent_.hash = block.hash;
  return std::move(block);
}

bool ChainWalk::fits(std::uint64_t index, std::string_view previous_hash, std::string_view hash,
                     const Digest* post_ids, std::size_t post_count) const {
  if (position_ == 0) {
    if (index != 0 || hash != kGenesisHash) return false;
  } else if (previous_hash != parent_.hash || index != parent_.index + 1) {
    return false;
  }
  for (std::size_t i = 0; i < post_count; ++i) {
    if (posts_seen_.contains(post_ids[i])) return false;
  }
  return true;
}

void ChainWalk::accept(std::uint64_t index, std::string_view hash, const Digest* post_ids,
                       std::size_t post_count) {
  for (std::size_t i = 0; i < post_count; ++i) posts_seen_.insert_held(post_ids[i]);
  ++position_;
  parent_.index = index;
  parent_.hash.assign(hash);
}

Expected<const Json*, ValidationError> chain_blocks(const Json& body) {
  auto fail = [](std::string detail) {
    return unexpected(error(Rule::malformed_chain, std::nullopt, std::move(detail)));
  };
  const Json* blocks = &body;
  if (body.is_object()) {
    auto chain = body.find("chain");
    if (chain == body.end()) return fail("no \"chain\" field");
    blocks = &*chain;
    auto length = body.find("length");
    if (length != body.end() &&
        (!length->is_number_integer() || length->get<std::int64_t>() < 0 ||
         static_cast<std::size_t>(length->get<std::int64_t>()) != chain->size())) {
      return fail("\"length\" does not match the number of blocks");
    }
  }
  if (!blocks->is_array()) return fail("\"chain\" must be an array of blocks");
  if (blocks->empty()) return fail("the chain is empty; it must start with the genesis block");
  return blocks;
}

Expected<std::vector<Block>, ValidationError> validate_chain(const Json& body,
                                                             const ChainParams& params) {
  auto blocks = chain_blocks(body);
  if (!blocks) return unexpected(blocks.error());
  std::vector<Block> chain;
  chain.reserve((*blocks)->size());
  ChainWalk walk(params);
  for (const auto& json : **blocks) {
    auto block = walk.next(json);
    if (!block) return unexpected(block.error());
    chain.push_back(std::move(*block));
  }
  return chain;
}

}  // namespace yournet
