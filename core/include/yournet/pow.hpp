#pragma once
// Proof-of-work mining: the smallest nonce (counting up from a start, as the reference does) whose
// block hash meets the difficulty. The multi-threaded search returns exactly the serial answer.
#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>

#include "yournet/block.hpp"

namespace yournet {

struct MiningRequest {
  Block block;  // nonce and hash are ignored and filled in
  Difficulty difficulty;
  // Threads searching, the caller's included; capped at MiningPool::kMaxThreads.
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

// Helper threads started once and kept: a mine() call with `threads` > 1 searches itself and lends
// up to `threads - 1` idle helpers, so no thread is started per call (which would cost more than a
// whole low-difficulty block). Several calls may mine at once from different threads; each still
// gets the serial answer, helpers are just shared between them.
class MiningPool {
 public:
  static constexpr unsigned kMaxThreads = 64;
  // Below this difficulty a block takes tens of microseconds, less than waking a helper costs, so
  // the caller mines alone (the answer is the same either way).
  static constexpr unsigned kDefaultMinHelperBits = 9;

  explicit MiningPool(unsigned min_helper_bits = kDefaultMinHelperBits);
  ~MiningPool();  // stops and joins the helpers; no mine() call may still be running
  MiningPool(const MiningPool&) = delete;
  MiningPool& operator=(const MiningPool&) = delete;

  MiningResult mine(const MiningRequest& request);
  unsigned helper_count() const;  // helpers started so far (they start on first need)

  // The pool behind the free function mine().
  static MiningPool& shared();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// MiningPool::shared().mine(request).
MiningResult mine(const MiningRequest& request);

}  // namespace yournet
