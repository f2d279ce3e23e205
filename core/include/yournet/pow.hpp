#pragma once
// Proof-of-work mining: the smallest nonce (counting up from a start, as the reference does) whose
// block hash meets the difficulty. The multi-threaded search returns exactly the serial answer.
#include <atomic>
#include <cstdint>
#include <limits>

#include "yournet/block.hpp"

namespace yournet {

struct MiningRequest {
  Block block;  // nonce and hash are ignored and filled in
  Difficulty difficulty;
  unsigned threads = 1;
  std::uint64_t first_nonce = 0;
  // Inclusive, and capped at UINT64_MAX - 1 so the range's exclusive end is representable.
  std::uint64_t last_nonce = std::numeric_limits<std::uint64_t>::max() - 1;
  const std::atomic<bool>* cancel = nullptr;  // checked between chunks of nonces
};

struct MiningResult {
  bool found = false;
  Block block;  // with nonce and hash when found
  // Nonces a serial miner tries to reach the answer (nonce - first_nonce + 1): the same whatever
  // the thread count, so simulated mining time stays deterministic.
  std::uint64_t attempts = 0;
};

MiningResult mine(const MiningRequest& request);

}  // namespace yournet
