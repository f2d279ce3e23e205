// The one-pass chain reader against the exact path, on any text: ChainText(text).validate, on
// one thread and on three, and validate_chain(parse_json(text)) give the same verdict, the same
// error message and the same blocks, and ChainText refuses exactly the text parse_json refuses.
// Proof of work stops a fuzzer at the first block, so each input is read a second time with its
// hashes recomputed and no work required, which reaches the fast path's own rules (links, indexes,
// posts, duplicates).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "yournet/chain_text.hpp"
#include "yournet/json.hpp"
#include "yournet/validation.hpp"

using namespace yournet;

namespace {

// One thread, and three that start from guessed block starts whatever the text's length: the
// same verdict either way.
ChainScanPlan plan_of(unsigned threads) {
  ChainScanPlan plan;
  plan.threads = threads;
  plan.min_part_bytes = 1;
  return plan;
}

void agree(std::string_view text, const ChainParams& params, const ChainScanPlan& plan) {
  std::optional<Json> body;
  try {
    body = parse_json(text);
  } catch (const JsonError&) {
  }
  std::optional<ChainText> fast;
  try {
    fast.emplace(text, plan);
  } catch (const JsonError&) {
  }
  fuzz::check(body.has_value() == fast.has_value(),
              body ? "ChainText refused text parse_json reads" : "ChainText read unreadable text");
  if (!body) return;
  auto exact = validate_chain(*body, params);
  auto quick = fast->validate(params);
  if (exact.has_value() != quick.has_value()) {
    fuzz::fail(exact ? "ChainText refused a valid chain: " + quick.error().message()
                     : "ChainText took a chain validate_chain refuses: " + exact.error().message());
  }
  if (!exact) {
    if (exact.error().message() != quick.error().message()) {
      fuzz::fail("the two paths name different faults: " + exact.error().message() + " / " +
                 quick.error().message());
    }
    return;
  }
  fuzz::check(exact->size() == quick->size(), "the two paths read different numbers of blocks");
  for (std::size_t i = 0; i < exact->size(); ++i) {
    fuzz::check((*exact)[i].hash == (*quick)[i].hash && (*exact)[i].index == (*quick)[i].index,
                "the two paths read block " + std::to_string(i) + " differently");
  }
}

void agree(std::string_view text, const ChainParams& params) {
  agree(text, params, plan_of(1));
  agree(text, params, plan_of(3));
}

// The same chain with every block's hash made right, written back as text.
std::optional<std::string> rehashed(std::string_view text) {
  Json copy;
  try {
    copy = parse_json(text);
  } catch (const JsonError&) {
    return std::nullopt;
  }
  Json* blocks = copy.is_array() ? &copy : nullptr;
  if (copy.is_object() && copy.contains("chain") && copy["chain"].is_array()) {
    blocks = &copy["chain"];
  }
  if (!blocks) return std::nullopt;
  for (auto& item : *blocks) {
    auto block = block_from_json(item);
    if (!block) continue;
    block->hash = compute_block_hash(*block);
    item = block_to_json(*block);
  }
  return copy.dump();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  agree(text, ChainParams{});
  if (auto again = rehashed(text)) {
    ChainParams no_work;
    no_work.difficulty = Difficulty::bits(0);
    agree(*again, no_work);
  }
  return 0;
}
