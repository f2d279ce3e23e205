#include "yournet/pow.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "yournet/nonce_search.hpp"

namespace yournet {
namespace {

constexpr std::uint64_t kNone = std::numeric_limits<std::uint64_t>::max();
// Below every best nonce: "wait for me". A chunk starting at nonce 0 looks the same, which only
// means the caller waits for that one instead of searching it too.
constexpr std::uint64_t kClaiming = 0;
constexpr std::uint64_t kMinChunk = 64;
constexpr std::uint64_t kMaxChunk = 1 << 14;  // bounds how long cancel and a straggler take

// Nonces a thread claims at a time: about an eighth of the expected work, so at low difficulty a
// helper does not keep the caller waiting on a chunk far past the answer.
std::uint64_t chunk_size(unsigned zero_bits) {
  std::uint64_t work = std::uint64_t{1} << std::min(zero_bits, 62u);
  return std::clamp(work / 8, kMinChunk, kMaxChunk);
}

// One search. Workers claim chunks in increasing order and stop before a chunk that starts at or
// above the best nonce found so far (or on cancel, before claiming); a claimed chunk below the best
// is always searched to its end. Since the chunk holding the best was claimed after every lower
// one, once no worker holds a chunk below the best, every nonce below it has been tried: the answer
// is the serial one, however many threads took part and whenever they joined.
struct Job {
  NonceSplice splice;
  unsigned zero_bits = 0;
  std::uint64_t begin = 0;
  std::uint64_t end = 0;  // exclusive
  std::uint64_t chunk = 0;
  std::uint64_t chunks = 0;
  // The caller's cancel flag: read by the caller only, which may return (and the flag go) while a
  // helper still finishes a chunk; the caller passes it on to helpers through `stopped`.
  const std::atomic<bool>* cancel = nullptr;
  std::atomic<bool> stopped{false};  // no chunk is claimed from now on
  std::atomic<std::uint64_t> next_chunk{0};
  std::atomic<std::uint64_t> best{kNone};
  // Per helper: first nonce of the chunk it is searching, kClaiming while it takes one, or kNone.
  // The caller only cares about helpers below the best, never about stragglers past the answer.
  std::array<std::atomic<std::uint64_t>, MiningPool::kMaxThreads> held;
  // Guarded by the pool's mutex.
  unsigned helpers_wanted = 0;
  unsigned helpers_joined = 0;
  std::exception_ptr error;

  Job() {
    for (auto& h : held) h.store(kNone, std::memory_order_relaxed);
  }

  // Searches one whole chunk and records what it finds; true when it found a nonce.
  bool search_chunk(std::uint64_t chunk_begin, std::optional<NonceSearcher>& searcher) {
    std::uint64_t chunk_end = end - chunk_begin > chunk ? chunk_begin + chunk : end;  // no wrap
    if (!searcher) searcher.emplace(splice.prefix, splice.suffix);
    auto found = searcher->search(chunk_begin, chunk_end, zero_bits);
    if (!found) return false;
    std::uint64_t current = best.load();
    while (*found < current && !best.compare_exchange_weak(current, *found)) {
    }
    return true;
  }

  // `slot` is the helper's entry in `held` (nullptr for the caller, which nobody waits for).
  void work(std::atomic<std::uint64_t>* slot, std::optional<NonceSearcher>& searcher) {
    const bool caller = slot == nullptr;
    for (;;) {
      if (caller && cancel && cancel->load(std::memory_order_relaxed)) stopped.store(true);
      if (stopped.load(std::memory_order_relaxed)) return;
      if (slot) slot->store(kClaiming);  // before the claim, so a waiting caller cannot miss it
      std::uint64_t index = next_chunk.fetch_add(1);
      if (index >= chunks) return;
      std::uint64_t chunk_begin = begin + index * chunk;
      if (chunk_begin >= best.load()) return;
      if (slot) slot->store(chunk_begin);
      if (search_chunk(chunk_begin, searcher)) return;
    }
  }

  // A helper still holding a chunk below the best (the caller must not answer before that chunk
  // is searched) and what it holds, or nullptr. Called with the pool's mutex held.
  std::atomic<std::uint64_t>* straggler(std::uint64_t& held_begin) {
    for (unsigned i = 0; i < helpers_joined; ++i) {
      held_begin = held[i].load();
      if (held_begin < best.load()) return &held[i];
    }
    return nullptr;
  }
};

}  // namespace

struct MiningPool::Impl {
  std::mutex mutex;
  std::condition_variable job_posted;
  std::condition_variable helper_left;
  std::vector<std::shared_ptr<Job>> jobs;  // searches still accepting helpers
  std::vector<std::thread> helpers;
  bool stopping = false;
  unsigned min_helper_bits = 0;

  std::shared_ptr<Job> job_wanting_help() {
    for (const auto& job : jobs) {
      if (job->helpers_wanted > 0) return job;
    }
    return nullptr;
  }

  void helper_loop() {
    std::unique_lock lock(mutex);
    for (;;) {
      std::shared_ptr<Job> job;  // shared: the caller may return while we finish a straggler chunk
      job_posted.wait(lock, [&] { return stopping || (job = job_wanting_help()) != nullptr; });
      if (stopping) return;
      --job->helpers_wanted;
      std::atomic<std::uint64_t>& slot = job->held[job->helpers_joined++];
      lock.unlock();
      std::exception_ptr error;
      try {
        std::optional<NonceSearcher> searcher;  // built on the first chunk worth searching
        job->work(&slot, searcher);
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      if (error && !job->error) job->error = error;
      slot.store(kNone);
      helper_left.notify_all();
    }
  }

  // Called with the mutex held.
  void start_helpers(unsigned count) {
    while (helpers.size() < count) helpers.emplace_back([this] { helper_loop(); });
  }
};

MiningPool::MiningPool(unsigned min_helper_bits) : impl_(std::make_unique<Impl>()) {
  impl_->min_helper_bits = min_helper_bits;
}

MiningPool::~MiningPool() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->job_posted.notify_all();
  for (auto& helper : impl_->helpers) helper.join();
}

unsigned MiningPool::helper_count() const {
  std::lock_guard lock(impl_->mutex);
  return static_cast<unsigned>(impl_->helpers.size());
}

MiningPool& MiningPool::shared() {
  static MiningPool pool;
  return pool;
}

MiningResult MiningPool::mine(const MiningRequest& request) {
  MiningResult result;
  result.block = request.block;
  result.block.nonce = 0;
  result.block.hash.clear();
  // The last nonce is kept below UINT64_MAX so the exclusive end of the range cannot overflow.
  std::uint64_t last = std::min(request.last_nonce, kNone - 1);
  if (request.first_nonce > last) return result;

  auto job = std::make_shared<Job>();
  job->splice = splice_at_nonce(result.block);
  job->zero_bits = request.difficulty.zero_bits;
  job->begin = request.first_nonce;
  job->end = last + 1;
  job->chunk = chunk_size(job->zero_bits);
  const std::uint64_t span = job->end - job->begin;  // so a range up to UINT64_MAX cannot overflow
  job->chunks = span / job->chunk + (span % job->chunk != 0 ? 1 : 0);
  job->cancel = request.cancel;

  const unsigned helpers = job->zero_bits < impl_->min_helper_bits
                               ? 0
                               : std::clamp(request.threads, 1u, kMaxThreads) - 1;
  if (helpers > 0) {
    {
      std::lock_guard lock(impl_->mutex);
      impl_->start_helpers(helpers);
      job->helpers_wanted = helpers;
      impl_->jobs.push_back(job);
    }
    impl_->job_posted.notify_all();
  }
  std::exception_ptr error;
  std::optional<NonceSearcher> searcher;
  try {
    job->work(nullptr, searcher);
  } catch (...) {
    error = std::current_exception();
  }
  if (helpers > 0) {
    // Withdraw the offer, so no helper joins from now on. Then every chunk a helper still holds
    // below the best must be searched before answering: rather than wait for a helper the
    // scheduler may have put aside (the machine is often shared), search that chunk too. The
    // chunk's smallest valid nonce is the same whoever finds it.
    std::unique_lock lock(impl_->mutex);
    impl_->jobs.erase(std::find(impl_->jobs.begin(), impl_->jobs.end(), job));
    std::uint64_t held = kNone;
    while (std::atomic<std::uint64_t>* slot = job->straggler(held)) {
      if (held == kClaiming || error) {  // which chunk is not known yet: let it say
        impl_->helper_left.wait_for(lock, std::chrono::microseconds(100));
        continue;
      }
      lock.unlock();
      try {
        job->search_chunk(held, searcher);
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      // Covered: unless the helper has moved on meanwhile, it no longer holds anything needed.
      if (!error) slot->compare_exchange_strong(held, kNone);
    }
    if (!error) error = job->error;
  }
  if (error) std::rethrow_exception(error);

  std::uint64_t nonce = job->best.load();
  if (nonce == kNone) return result;
  result.found = true;
  result.block.nonce = nonce;
  result.block.hash = compute_block_hash(result.block);
  result.attempts = nonce - request.first_nonce + 1;
  return result;
}

MiningResult mine(const MiningRequest& request) {
  return MiningPool::shared().mine(request);
}

}  // namespace yournet
