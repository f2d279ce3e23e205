// HugePageResource: large tables on 2 MiB boundaries (where the kernel can back them with huge
// pages), small ones from the default resource; both usable and returned.
#include "yournet/huge_pages.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory_resource>
#include <vector>

namespace yournet {
namespace {

TEST(HugePageResource, LargeTablesStartOnHugePageBoundaries) {
  std::pmr::memory_resource* memory = huge_page_resource();
  for (std::size_t bytes : {HugePageResource::kMinBytes, HugePageResource::kHugePage + 1,
                            3 * HugePageResource::kHugePage}) {
    void* p = memory->allocate(bytes, alignof(std::max_align_t));
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % HugePageResource::kHugePage, 0u) << bytes;
    std::memset(p, 0xA5, bytes);  // every byte is ours to write
    EXPECT_EQ(static_cast<unsigned char*>(p)[bytes - 1], 0xA5);
    memory->deallocate(p, bytes, alignof(std::max_align_t));
  }
}

TEST(HugePageResource, SmallTablesComeFromTheDefaultResource) {
  std::pmr::memory_resource* memory = huge_page_resource();
  const std::size_t bytes = HugePageResource::kMinBytes - 1;
  void* p = memory->allocate(bytes, 8);
  std::memset(p, 1, bytes);
  memory->deallocate(p, bytes, 8);
  EXPECT_TRUE(memory->is_equal(*huge_page_resource()));
  EXPECT_FALSE(memory->is_equal(*std::pmr::new_delete_resource()));
}

TEST(HugePageResource, VectorsGrowAcrossTheThreshold) {
  std::pmr::vector<std::uint64_t> values(huge_page_resource());
  for (std::uint64_t i = 0; i < 1'000'000; ++i) values.push_back(i * i);
  std::uint64_t sum = 0;
  for (std::uint64_t value : values) sum += value;
  EXPECT_EQ(sum, 333332833333500000u);
}

}  // namespace
}  // namespace yournet
