#pragma once
// Objects found by their block hash: open addressing with linear probing over 16-byte slots (a
// 64-bit key made from the hash's last 16 characters, and the object's address). A block hash is
// uniformly random past its proof-of-work zeros, so its tail is a key as good as any hash of it;
// the whole hash is compared only when the keys match. A probe is one cache miss where
// std::unordered_map's bucket, node and key text were three, and an insertion allocates nothing
// (a simulated network holds ten million of them). Any string works as a hash (a shorter one is
// hashed whole); only the speed relies on uniform tails. Looked up, never iterated.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string_view>
#include <vector>

#include "yournet/assert.hpp"

namespace yournet {

// HashOf: a function object giving a Value's hash, which must not change while it is held.
template <typename Value, typename HashOf>
class HashTailIndex {
 public:
  std::size_t size() const { return size_; }

  Value* find(std::string_view hash) const {
    if (size_ == 0) return nullptr;
    const std::uint64_t key = key_of(hash);
    for (std::size_t i = home(key);; i = next(i)) {
      const Slot& slot = slots_[i];
      if (!slot.value) return nullptr;
      if (slot.key == key && HashOf{}(*slot.value) == hash) return slot.value;
    }
  }
  // Asks the CPU to fetch the slot where a probe for `hash` starts (a hint: changes nothing).
  [[gnu::always_inline]] void prefetch(std::string_view hash) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[home(key_of(hash))]);
  }
  // Adds a value whose hash is not held yet (asserted).
  void insert(Value* value) {
    if ((size_ + 1) * kMaxLoadDenominator > slots_.size() * kMaxLoadNumerator) grow();
    const std::string_view hash = HashOf{}(*value);
    const std::uint64_t key = key_of(hash);
    std::size_t i = home(key);
    for (; slots_[i].value; i = next(i)) {
      YOURNET_ASSERT(slots_[i].key != key || HashOf{}(*slots_[i].value) != hash,
                     "a hash is indexed once");
    }
    slots_[i] = Slot{key, value};
    ++size_;
  }
  // Removes a held value (asserted). The slots after it that belong before it move back (no
  // tombstones: probes stay as short as the load makes them).
  void erase(const Value* value) {
    const std::uint64_t key = key_of(HashOf{}(*value));
    std::size_t hole = home(key);
    while (slots_[hole].value != value) {
      YOURNET_ASSERT(slots_[hole].value != nullptr, "only a held value is erased");
      hole = next(hole);
    }
    for (std::size_t i = next(hole); slots_[i].value; i = next(i)) {
      // The slot stays unless its home lies cyclically in (hole, i].
      const std::size_t h = home(slots_[i].key);
      const bool stays = hole < i ? (hole < h && h <= i) : (hole < h || h <= i);
      if (stays) continue;
      slots_[hole] = slots_[i];
      hole = i;
    }
    slots_[hole] = Slot{};
    --size_;
  }

 private:
  struct Slot {
    std::uint64_t key = 0;
    Value* value = nullptr;  // null: empty
  };
  // At most 4/5 full (a node's tree of a 100-block run fits 128 slots, 2 KB; at 3/4 it took 4 KB
  // and a 100,000-node simulation past 1.5 GB); 16 slots at first.
  static constexpr std::size_t kMaxLoadNumerator = 4;
  static constexpr std::size_t kMaxLoadDenominator = 5;
  static constexpr std::size_t kFirstSlots = 16;

  static std::uint64_t key_of(std::string_view hash) {
    if (hash.size() < 16) return mix(std::hash<std::string_view>{}(hash));
    std::uint64_t high, low;
    std::memcpy(&high, hash.data() + hash.size() - 16, 8);
    std::memcpy(&low, hash.data() + hash.size() - 8, 8);
    return mix(high * 0x9E3779B97F4A7C15ULL ^ low);
  }
  // Hex digits carry 4 bits a byte: spread them over every bit of the key (splitmix64's finish).
  static std::uint64_t mix(std::uint64_t x) {
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
  }
  std::size_t home(std::uint64_t key) const { return key & (slots_.size() - 1); }
  std::size_t next(std::size_t i) const { return (i + 1) & (slots_.size() - 1); }
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? kFirstSlots : old.size() * 2, Slot{});
    for (const Slot& slot : old) {
      if (!slot.value) continue;
      std::size_t i = home(slot.key);
      while (slots_[i].value) i = next(i);
      slots_[i] = slot;
    }
  }

  std::vector<Slot> slots_;  // a power of two of them
  std::size_t size_ = 0;
};

}  // namespace yournet
