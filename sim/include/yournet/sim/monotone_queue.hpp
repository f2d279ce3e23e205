#pragma once
// A priority queue of unique (time_us, sequence) keys for a simulation, whose popped minimum
// never goes backwards: a radix heap. Each key waits in the bucket of the highest bit where it
// differs from the floor (the least key seen last); a push appends to a bucket's end and a pop
// scans one bucket front to back, moving its keys to lower buckets. A binary heap's pop instead
// visits log2(n) entries scattered over the whole queue, a cache miss each once the queue
// outgrows the caches (a 100,000-node run keeps about 10^6 events pending).
// The order is exactly (time_us, sequence), as any exact priority queue's for unique keys, so a
// run's trace does not depend on which one is used.
#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

namespace yournet::sim {

// Key: a struct with `std::int64_t time_us`, `std::uint64_t sequence` (unique) and operator>.
template <typename Key>
class MonotoneQueue {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

  void push(const Key& key) {
    ++size_;
    // Below the floor (an event due before the next one, pushed after that one was looked at):
    // it comes before every bucketed key.
    if (below_floor(key)) return below_.push(key);
    const std::size_t b = bucket_of(key);
    buckets_[b].push_back(key);
    occupied_[b / 64] |= std::uint64_t{1} << (b % 64);
  }
  // Not const: the least key is found when it is first asked for.
  const Key& top() {
    settle();
    return below_.empty() ? buckets_[0].back() : below_.top();
  }
  Key pop() {
    settle();
    --size_;
    if (!below_.empty()) {
      Key key = below_.top();
      below_.pop();
      return key;
    }
    Key key = buckets_[0].back();
    buckets_[0].pop_back();
    occupied_[0] &= ~std::uint64_t{1};  // the floor is unique: bucket 0 holds at most one key
    return key;
  }

 private:
  // Bucket 0: equal to the floor; 1..64: the same time, the sequence's highest differing bit;
  // 65..128: the time's highest differing bit.
  static constexpr std::size_t kBuckets = 129;

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
  std::size_t lowest_occupied() const {
    for (std::size_t w = 0; w < occupied_.size(); ++w) {
      if (occupied_[w]) return w * 64 + static_cast<std::size_t>(std::countr_zero(occupied_[w]));
    }
    return kBuckets;
  }
  // Makes the least key bucket 0's (unless a key below the floor comes first): the lowest
  // occupied bucket's least key becomes the floor, and its keys move to lower buckets.
  void settle() {
    if (!below_.empty() || !buckets_[0].empty() || size_ == 0) return;
    const std::size_t from = lowest_occupied();
    std::vector<Key>& bucket = buckets_[from];
    const Key& least = *std::min_element(bucket.begin(), bucket.end(),
                                         [](const Key& a, const Key& b) { return b > a; });
    floor_time_ = time_bits(least);
    floor_sequence_ = least.sequence;
    occupied_[from / 64] &= ~(std::uint64_t{1} << (from % 64));
    for (const Key& key : bucket) {
      const std::size_t b = bucket_of(key);
      buckets_[b].push_back(key);
      occupied_[b / 64] |= std::uint64_t{1} << (b % 64);
    }
    bucket.clear();
  }

  std::array<std::vector<Key>, kBuckets> buckets_;
  std::array<std::uint64_t, (kBuckets + 63) / 64> occupied_{};  // a bit per non-empty bucket
  std::priority_queue<Key, std::vector<Key>, std::greater<Key>> below_;
  std::uint64_t floor_time_ = 0;  // time_bits of the floor: the least time of all
  std::uint64_t floor_sequence_ = 0;
  std::size_t size_ = 0;
};

}  // namespace yournet::sim
