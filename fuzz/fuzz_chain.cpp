// Blocks and chains from any JSON: block_from_json and validate_chain either accept or name the
// fault (in a message that is valid UTF-8), never throw; a parsed block writes back to JSON that
// parses to the same block. Proof of work stops a fuzzer at the first block, so each input is also
// validated a second time with its hashes recomputed and no work required, which reaches the
// rules behind the hash (links, indexes, posts, signatures, duplicates).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "yournet/json.hpp"
#include "yournet/validation.hpp"

using namespace yournet;

namespace {

void check_message(const ValidationError& error) {
  Json(error.message()).dump();  // throws (a crash) if the message is not UTF-8
}

void validate(const Json& body, const ChainParams& params) {
  auto chain = validate_chain(body, params);
  if (!chain) return check_message(chain.error());
  fuzz::check(!chain->empty(), "a valid chain without blocks");
  fuzz::check(chain->front().hash == kGenesisHash, "a valid chain with a foreign genesis");
}

// The same chain with every block's hash made right: the blocks that parse, hashed again.
Json rehashed(const Json& body) {
  Json copy = body;
  Json* blocks = copy.is_array() ? &copy : nullptr;
  if (copy.is_object() && copy.contains("chain") && copy["chain"].is_array()) {
    blocks = &copy["chain"];
  }
  if (!blocks) return copy;
  for (auto& item : *blocks) {
    auto block = block_from_json(item);
    if (!block) continue;
    block->hash = compute_block_hash(*block);
    item = block_to_json(*block);
  }
  return copy;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Json body;
  try {
    body = parse_json(text);
  } catch (const JsonError&) {
    return 0;
  }
  auto block = block_from_json(body);
  if (block) {
    const std::string written = canonical(block_to_json(*block));
    auto again = block_from_json(parse_json(written));
    fuzz::check(again.has_value(), "a block's own JSON does not parse: " + written);
    fuzz::check(canonical(block_to_json(*again)) == written, "a block changes on its way back");
    fuzz::check(compute_block_hash(*again) == compute_block_hash(*block), "a block's hash moved");
    Verdict alone = check_block_alone(*block, ChainParams{});
    if (alone) check_message(*alone);
  } else {
    check_message(block.error());
  }
  validate(body, ChainParams{});
  ChainParams no_work;
  no_work.difficulty = Difficulty::bits(0);
  validate(rehashed(body), no_work);
  return 0;
}
