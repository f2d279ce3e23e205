#include "yournet/pow.hpp"

#include <algorithm>
#include <optional>
#include <thread>
#include <vector>

#include "yournet/nonce_search.hpp"

namespace yournet {
namespace {

constexpr std::uint64_t kChunk = 1 << 14;  // nonces a thread claims at a time
constexpr std::uint64_t kNone = std::numeric_limits<std::uint64_t>::max();

// Workers claim chunks in increasing order and only stop before a chunk that starts above the
// best nonce found so far; a chunk in progress is always finished. So every nonce below the
// reported one has been tried, by some thread: the answer is the serial one.
std::optional<std::uint64_t> search_range(const NonceSplice& splice, unsigned zero_bits,
                                          std::uint64_t begin, std::uint64_t end, unsigned threads,
                                          const std::atomic<bool>* cancel) {
  std::atomic<std::uint64_t> next_chunk{0};
  std::atomic<std::uint64_t> best{kNone};
  const std::uint64_t span = end - begin;  // written so a range up to UINT64_MAX cannot overflow
  const std::uint64_t chunks = span / kChunk + (span % kChunk != 0 ? 1 : 0);
  auto worker = [&] {
    NonceSearcher searcher(splice.prefix, splice.suffix);
    for (;;) {
      if (cancel && cancel->load(std::memory_order_relaxed)) return;
      std::uint64_t chunk = next_chunk.fetch_add(1, std::memory_order_relaxed);
      if (chunk >= chunks) return;
      std::uint64_t chunk_begin = begin + chunk * kChunk;
      if (chunk_begin >= best.load(std::memory_order_acquire)) return;
      std::uint64_t chunk_end = end - chunk_begin > kChunk ? chunk_begin + kChunk : end;  // no wrap
      if (auto found = searcher.search(chunk_begin, chunk_end, zero_bits)) {
        std::uint64_t current = best.load();
        while (*found < current && !best.compare_exchange_weak(current, *found)) {
        }
        return;
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& thread : pool) thread.join();
  if (best.load() == kNone) return std::nullopt;
  return best.load();
}

}  // namespace

MiningResult mine(const MiningRequest& request) {
  MiningResult result;
  result.block = request.block;
  result.block.nonce = 0;
  result.block.hash.clear();
  // The last nonce is kept below UINT64_MAX so the exclusive end of the range cannot overflow.
  std::uint64_t last = std::min(request.last_nonce, kNone - 1);
  if (request.first_nonce > last) return result;
  auto nonce = search_range(splice_at_nonce(result.block), request.difficulty.zero_bits,
                            request.first_nonce, last + 1, std::max(1u, request.threads),
                            request.cancel);
  if (!nonce) return result;
  result.found = true;
  result.block.nonce = *nonce;
  result.block.hash = compute_block_hash(result.block);
  result.attempts = *nonce - request.first_nonce + 1;
  return result;
}

}  // namespace yournet
