#pragma once
// A priority queue of unique (time_us, sequence) keys for a simulation, whose popped minimum
// never goes backwards: a radix heap. Each key waits in the bucket of the highest bit where it
// differs from the floor (the last key taken out); a push appends to a bucket's end and a pop
// scans one bucket front to back, moving its keys to lower buckets. A binary heap's pop instead
// visits log2(n) entries scattered over the whole queue, a cache miss each once the queue
// outgrows the caches (a 100,000-node run keeps about 10^6 events pending).
// The order is exactly (time_us, sequence), as any exact priority queue's for unique keys, so a
// run's trace does not depend on which one is used.
// A simulation looks at the events a few steps ahead (ahead) to fetch their records from memory
// in time: the next few keys are taken out of the heap, in order, into a window. A key pushed
// before the last one taken joins the window in its place, so the order stays exact. Only keys
// due soon after the last one popped are taken (kWindowSpan): taking one far ahead would draw
// every key pushed meanwhile into the window.
#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "yournet/assert.hpp"

namespace yournet::sim {

// Key: a struct with `std::int64_t time_us`, `std::uint64_t sequence` (unique) and operator>.
template <typename Key>
class MonotoneQueue {
 public:
  // Keys kept out of the heap, in order, for ahead(): at most kWindow, due at most kWindowSpan
  // (in time_us) after the last key popped.
  static constexpr std::size_t kWindow = 7;
  static constexpr std::int64_t kWindowSpan = 1000;

  bool empty() const { return size_ == 0 && window_.empty(); }
  std::size_t size() const { return size_ + window_.size(); }

  // `key` must come after the last key popped (asserted).
  void push(const Key& key) {
    YOURNET_ASSERT(!popped_any_ || key > last_popped_,
                   "an event pushed before the last one popped");
    if (below_floor(key)) {  // before a key of the window: its place is there
      window_.insert(std::upper_bound(window_.begin(), window_.end(), key,
                                      [](const Key& a, const Key& b) { return b > a; }),
                     key);
      return;
    }
    heap_push(key);
  }
  // Not const: the least key is searched for when first asked for, then remembered.
  const Key& top() { return window_.empty() ? heap_top() : window_.front(); }
  Key pop() {
    if (window_.empty()) {
      last_popped_ = heap_pop();
    } else {
      last_popped_ = window_.front();
      window_.erase(window_.begin());
    }
    popped_any_ = true;
    return last_popped_;
  }
  // The caller popped keys ahead and runs them itself, in order with this queue's: `present`, one
  // of them, is now the last key run, and a key pushed may come before the later ones again (it
  // waits apart, before the heap's keys, as a key of the window would).
  void resume_from(const Key& present) {
    YOURNET_ASSERT(popped_any_, "resumed before any key was popped");
    last_popped_ = present;
  }
  // The key `i` pops after the next (ahead(0) is top()), as the queue stands; nullptr past the
  // window (kWindow keys due within kWindowSpan; none before the first pop) or the queue's end.
  const Key* ahead(std::size_t i) {
    while (window_.size() <= i && window_.size() < kWindow && size_ > 0 && popped_any_ &&
           heap_top().time_us - last_popped_.time_us <= kWindowSpan) {
      window_.push_back(heap_pop());
    }
    return i < window_.size() ? &window_[i] : nullptr;
  }

 private:
  const Key& heap_top() {
    find_least();
    return buckets_[least_bucket_][least_index_];
  }
  void heap_push(const Key& key) {
    const std::size_t b = bucket_of(key);
    buckets_[b].push_back(key);
    occupied_[b / 64] |= std::uint64_t{1} << (b % 64);
    ++size_;
    if (least_found_ && buckets_[least_bucket_][least_index_] > key) {
      least_bucket_ = b;
      least_index_ = buckets_[b].size() - 1;
    }
  }
  // The least key becomes the floor; the other keys of its bucket move to lower buckets.
  Key heap_pop() {
    find_least();
    least_found_ = false;
    --size_;
    std::vector<Key>& bucket = buckets_[least_bucket_];
    const Key least = bucket[least_index_];
    occupied_[least_bucket_ / 64] &= ~(std::uint64_t{1} << (least_bucket_ % 64));
    if (least_bucket_ == 0) {  // only the floor itself is ever there
      bucket.clear();
      return least;
    }
    floor_time_ = time_bits(least);
    floor_sequence_ = least.sequence;
    for (std::size_t i = 0; i < bucket.size(); ++i) {
      if (i == least_index_) continue;
      const std::size_t b = bucket_of(bucket[i]);
      buckets_[b].push_back(bucket[i]);
      occupied_[b / 64] |= std::uint64_t{1} << (b % 64);
    }
    // A key passes through several buckets: each keeping the most it ever held would hold
    // several times the queue's size.
    if (bucket.capacity() > kKeptCapacity) {
      std::vector<Key>().swap(bucket);
    } else {
      bucket.clear();
    }
    return least;
  }

  // Bucket 0: equal to the floor; 1..64: the same time, the sequence's highest differing bit;
  // 65..128: the time's highest differing bit. Every key of a bucket comes before every key of a
  // higher one.
  static constexpr std::size_t kBuckets = 129;
  // An emptied bucket keeps its memory up to this many keys.
  static constexpr std::size_t kKeptCapacity = 4096;

  // Times as unsigned with their order kept (negative ones included).
  static std::uint64_t time_bits(const Key& key) {
    return static_cast<std::uint64_t>(key.time_us) ^ (std::uint64_t{1} << 63);
  }
  bool below_floor(const Key& key) const {
    const std::uint64_t t = time_bits(key);
    return t != floor_time_ ? t < floor_time_ : key.sequence < floor_sequence_;
  }
  std::size_t bucket_of(const Key& key) const {
    if (const std::uint64_t t = time_bits(key) ^ floor_time_)
      return 128 - static_cast<std::size_t>(std::countl_zero(t));
    const std::uint64_t s = key.sequence ^ floor_sequence_;
    return 64 - static_cast<std::size_t>(std::countl_zero(s));
  }
  // The least key is in the lowest occupied bucket: one pass over it.
  void find_least() {
    if (least_found_) return;
    YOURNET_ASSERT(size_ > 0, "the least key of an empty queue");
    std::size_t b = 0;
    while (!occupied_[b / 64]) b += 64;
    b += static_cast<std::size_t>(std::countr_zero(occupied_[b / 64]));
    const std::vector<Key>& bucket = buckets_[b];
    std::size_t least = 0;
    for (std::size_t i = 1; i < bucket.size(); ++i) {
      if (bucket[least] > bucket[i]) least = i;
    }
    least_bucket_ = b;
    least_index_ = least;
    least_found_ = true;
  }

  std::array<std::vector<Key>, kBuckets> buckets_;
  std::array<std::uint64_t, (kBuckets + 63) / 64> occupied_{};  // a bit per non-empty bucket
  std::uint64_t floor_time_ = 0;  // time_bits of the floor: at first the least time of all
  std::uint64_t floor_sequence_ = 0;
  std::size_t size_ = 0;     // in the heap
  std::vector<Key> window_;  // the next keys, in order, all before the heap's
  Key last_popped_{};
  bool popped_any_ = false;
  // Where the least key is, once found; kept up to date by pushes until the next pop.
  bool least_found_ = false;
  std::size_t least_bucket_ = 0;
  std::size_t least_index_ = 0;
};

}  // namespace yournet::sim
