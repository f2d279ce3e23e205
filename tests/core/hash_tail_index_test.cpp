// HashTailIndex finds exactly what a std::map of the same hashes finds, through insertions and
// erasures in any order, for block-like hashes, hashes sharing their tail (equal keys: only the
// whole-hash comparison tells them apart) and short ones.
#include "yournet/hash_tail_index.hpp"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace yournet {
namespace {

struct Item {
  std::string hash;
};
struct HashOfItem {
  std::string_view operator()(const Item& item) const { return item.hash; }
};

std::string random_hex(std::mt19937_64& rng, std::size_t digits) {
  static const char kHex[] = "0123456789abcdef";
  std::string text;
  for (std::size_t i = 0; i < digits; ++i) text += kHex[rng() % 16];
  return text;
}

TEST(HashTailIndex, FindsWhatAMapFindsThroughInsertionsAndErasures) {
  std::mt19937_64 rng(7);
  const std::string shared_tail = random_hex(rng, 16);
  std::vector<std::unique_ptr<Item>> items;
  for (int i = 0; i < 600; ++i) {
    switch (i % 3) {
      case 0:  // a block hash: leading zeros, then random digits
        items.push_back(std::make_unique<Item>(Item{"00" + random_hex(rng, 62)}));
        break;
      case 1:  // the same tail as others: equal keys
        items.push_back(std::make_unique<Item>(Item{random_hex(rng, 48) + shared_tail}));
        break;
      default:  // shorter than a key's 16 characters
        items.push_back(std::make_unique<Item>(Item{random_hex(rng, 1 + rng() % 15)}));
    }
  }
  HashTailIndex<Item, HashOfItem> index;
  std::map<std::string, Item*> reference;
  for (int step = 0; step < 20000; ++step) {
    Item* item = items[rng() % items.size()].get();
    const bool held = reference.count(item->hash) != 0;
    if (rng() % 2 == 0) {
      if (held) {
        index.erase(reference[item->hash]);
        reference.erase(item->hash);
      } else {
        index.insert(item);
        reference[item->hash] = item;
      }
    }
    ASSERT_EQ(index.size(), reference.size()) << "step " << step;
    const Item* probe = items[rng() % items.size()].get();
    auto expected = reference.find(probe->hash);
    ASSERT_EQ(index.find(probe->hash), expected == reference.end() ? nullptr : expected->second)
        << "step " << step;
  }
  for (const auto& [hash, item] : reference) EXPECT_EQ(index.find(hash), item);
  EXPECT_EQ(index.find("not held at all, and longer than a key"), nullptr);
}

TEST(HashTailIndex, AnEmptyIndexFindsNothing) {
  HashTailIndex<Item, HashOfItem> index;
  EXPECT_EQ(index.find(""), nullptr);
  EXPECT_EQ(index.find(std::string(64, '0')), nullptr);
  EXPECT_EQ(index.size(), 0u);
}

}  // namespace
}  // namespace yournet
