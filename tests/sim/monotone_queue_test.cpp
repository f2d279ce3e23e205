// The radix heap pops exactly what a binary heap pops, in the same order, whatever the mix of
// pushes, pops and looks at the top and the keys after it (which may let later pushes fall below
// its floor, into the window of keys it keeps in order).
#include "yournet/sim/monotone_queue.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <set>

namespace yournet::sim {
namespace {

struct TestKey {
  std::int64_t time_us;
  std::uint64_t sequence;
  bool operator>(const TestKey& other) const {  // the queue's order
    return time_us != other.time_us ? time_us > other.time_us : sequence > other.sequence;
  }
  bool operator<(const TestKey& other) const { return other > *this; }  // the reference's
};

// Pushes at or after the last popped time, as a simulation does, and compares every pop with the
// keys kept in order (a binary heap's order: the sequence numbers are distinct); an ordered set
// lets each look ahead walk the keys in place, not pop a copy of a heap (minutes under ASan).
void expect_same_order_as_binary_heap(std::uint32_t seed, std::int64_t max_delay_us, int steps) {
  std::mt19937_64 rng(seed);
  MonotoneQueue<TestKey> radix;
  std::set<TestKey> reference;
  std::uint64_t sequence = 0;
  std::int64_t now = -1000;  // negative times keep their order too
  bool popped = false;
  for (int step = 0; step < steps; ++step) {
    const auto draw = rng() % 8;
    if (draw < 4 || reference.empty()) {
      const int pushes = static_cast<int>(rng() % 3) + 1;
      for (int i = 0; i < pushes; ++i) {
        const std::int64_t delay =
            static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(max_delay_us + 1));
        const TestKey key{now + delay, sequence++};
        radix.push(key);
        reference.insert(key);
      }
    } else if (draw < 6) {
      ASSERT_EQ(radix.top().time_us, reference.begin()->time_us);
      ASSERT_EQ(radix.top().sequence, reference.begin()->sequence);
      // It and the keys after it, as far as the queue looks ahead (keys pushed into the window may
      // take it past kWindow).
      auto later = reference.begin();  // ahead(0) is the top itself
      for (std::size_t i = 0;; ++i, ++later) {
        const TestKey* ahead = radix.ahead(i);
        if (later == reference.end()) {
          ASSERT_EQ(ahead, nullptr) << "step " << step;
          break;
        }
        if (!ahead) {  // only past kWindow, or a key due too long after the last one popped
          ASSERT_TRUE(i >= MonotoneQueue<TestKey>::kWindow || !popped ||
                      later->time_us - now > MonotoneQueue<TestKey>::kWindowSpan)
              << "step " << step << ", " << i;
          break;
        }
        ASSERT_EQ(ahead->sequence, later->sequence) << "step " << step << ", " << i;
      }
    } else {
      const TestKey expected = *reference.begin();
      reference.erase(reference.begin());
      const TestKey got = radix.pop();
      ASSERT_EQ(got.time_us, expected.time_us) << "step " << step;
      ASSERT_EQ(got.sequence, expected.sequence) << "step " << step;
      now = got.time_us;
      popped = true;
    }
    ASSERT_EQ(radix.size(), reference.size());
  }
  for (const TestKey& expected : reference) ASSERT_EQ(radix.pop().sequence, expected.sequence);
  EXPECT_TRUE(radix.empty());
}

TEST(MonotoneQueue, PopsInTheOrderOfABinaryHeapWithManyTies) {
  for (std::uint32_t seed = 1; seed <= 20; ++seed) expect_same_order_as_binary_heap(seed, 3, 20000);
}

TEST(MonotoneQueue, PopsInTheOrderOfABinaryHeapWithSpreadTimes) {
  for (std::uint32_t seed = 1; seed <= 20; ++seed)
    expect_same_order_as_binary_heap(seed, 5'000'000, 20000);
}

// A key pushed after the top was looked at, due before that top: it comes out first.
TEST(MonotoneQueue, AKeyBelowTheLookedAtTopComesFirst) {
  MonotoneQueue<TestKey> queue;
  queue.push(TestKey{100, 0});
  queue.push(TestKey{200, 1});
  EXPECT_EQ(queue.pop().sequence, 0u);
  EXPECT_EQ(queue.top().sequence, 1u);  // the floor is now (200, 1)
  queue.push(TestKey{150, 2});
  queue.push(TestKey{100, 3});
  queue.push(TestKey{300, 4});
  EXPECT_EQ(queue.pop().sequence, 3u);
  EXPECT_EQ(queue.pop().sequence, 2u);
  EXPECT_EQ(queue.pop().sequence, 1u);
  EXPECT_EQ(queue.pop().sequence, 4u);
  EXPECT_TRUE(queue.empty());
}

// Keys pushed between the ones looked at ahead take their places among them.
TEST(MonotoneQueue, AKeyPushedInsideTheLookedAheadWindowTakesItsPlace) {
  MonotoneQueue<TestKey> queue;
  for (std::uint64_t i = 0; i < 6; ++i) queue.push(TestKey{static_cast<std::int64_t>(i) * 10, i});
  EXPECT_EQ(queue.ahead(0), nullptr) << "nothing looked at before the first pop";
  EXPECT_EQ(queue.pop().sequence, 0u);
  ASSERT_NE(queue.ahead(2), nullptr);
  EXPECT_EQ(queue.ahead(2)->sequence, 3u);
  queue.push(TestKey{15, 6});  // between the keys at 10 and 20
  queue.push(TestKey{5, 7});   // before the next one
  EXPECT_EQ(queue.ahead(0)->sequence, 7u);
  const std::uint64_t expected[] = {7, 1, 6, 2, 3, 4, 5};
  for (std::uint64_t sequence : expected) EXPECT_EQ(queue.pop().sequence, sequence);
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.ahead(0), nullptr);
}

// A key due long after the last one popped stays in the heap, and keys pushed meanwhile go there
// too: the window never holds more than the few keys due next.
TEST(MonotoneQueue, AKeyDueLongAfterTheLastPoppedIsNotLookedAt) {
  constexpr std::int64_t kSpan = MonotoneQueue<TestKey>::kWindowSpan;
  MonotoneQueue<TestKey> queue;
  queue.push(TestKey{0, 0});
  queue.push(TestKey{10, 1});
  queue.push(TestKey{kSpan + 1, 2});
  EXPECT_EQ(queue.pop().sequence, 0u);
  ASSERT_NE(queue.ahead(0), nullptr);
  EXPECT_EQ(queue.ahead(0)->sequence, 1u);
  EXPECT_EQ(queue.ahead(1), nullptr);
  queue.push(TestKey{kSpan, 3});
  ASSERT_NE(queue.ahead(1), nullptr);
  EXPECT_EQ(queue.ahead(1)->sequence, 3u);
  EXPECT_EQ(queue.ahead(2), nullptr);
  const std::uint64_t expected[] = {1, 3, 2};
  for (std::uint64_t sequence : expected) EXPECT_EQ(queue.pop().sequence, sequence);
  EXPECT_TRUE(queue.empty());
}

}  // namespace
}  // namespace yournet::sim
