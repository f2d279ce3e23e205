#pragma once
// Memory for large tables that live as long as one piece of work (a chain's scan records, its
// post ids, the set of posts seen), which the kernel may back with 2 MiB pages. For a process that
// does that work once and exits; a process that lives on reuses freed memory without faults. Every
// fresh 4 KiB page costs a page fault, and on the virtual machines we measure on a fault costs
// about 10 us: a 10,000-block chain's tables took ~400 of them, a seventh of `chaintool verify`. A
// 2 MiB page costs one fault and the zeroing of 2 MiB (~150 us there). See
// reports/bench/validation.md.
#include <cstddef>
#include <memory_resource>

namespace yournet {

class HugePageResource final : public std::pmr::memory_resource {
 public:
  static constexpr std::size_t kHugePage = std::size_t{2} << 20;
  // Smaller allocations come from the default resource: a huge page costs about as much as 16
  // small faults, so it pays only for tables that would take more.
  static constexpr std::size_t kMinBytes = std::size_t{64} << 10;

 private:
  void* do_allocate(std::size_t bytes, std::size_t alignment) override;
  void do_deallocate(void* p, std::size_t bytes, std::size_t alignment) override;
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
    return this == &other;
  }
};

// The process's one instance (it holds no state).
HugePageResource* huge_page_resource();

}  // namespace yournet
