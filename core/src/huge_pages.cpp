#include "yournet/huge_pages.hpp"

#include <sys/mman.h>

#include <cstdint>
#include <new>

namespace yournet {
namespace {

std::size_t whole_huge_pages(std::size_t bytes) {
  return (bytes + HugePageResource::kHugePage - 1) / HugePageResource::kHugePage *
         HugePageResource::kHugePage;
}

}  // namespace

void* HugePageResource::do_allocate(std::size_t bytes, std::size_t alignment) {
  if (bytes < kMinBytes || alignment > kHugePage)
    return std::pmr::new_delete_resource()->allocate(bytes, alignment);
  // Mapped one huge page longer, then trimmed to start on a huge page boundary: the kernel backs
  // only aligned 2 MiB stretches with huge pages.
  const std::size_t size = whole_huge_pages(bytes);
  void* map = ::mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (map == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<std::uintptr_t>(map);
  const std::uintptr_t aligned = (start + kHugePage - 1) / kHugePage * kHugePage;
  if (aligned > start) ::munmap(map, aligned - start);
  if (const std::uintptr_t tail = start + size + kHugePage - (aligned + size); tail > 0)
    ::munmap(reinterpret_cast<void*>(aligned + size), tail);
#if defined(MADV_HUGEPAGE)
  // Advice only: where the kernel has no huge pages to give, 4 KiB pages serve as before.
  (void)::madvise(reinterpret_cast<void*>(aligned), size, MADV_HUGEPAGE);
#endif
  return reinterpret_cast<void*>(aligned);
}

void HugePageResource::do_deallocate(void* p, std::size_t bytes, std::size_t alignment) {
  if (bytes < kMinBytes || alignment > kHugePage) {
    std::pmr::new_delete_resource()->deallocate(p, bytes, alignment);
    return;
  }
  ::munmap(p, whole_huge_pages(bytes));
}

HugePageResource* huge_page_resource() {
  // Never destroyed: tables may outlive static destructors.
  static HugePageResource* const resource = new HugePageResource();
  return resource;
}

}  // namespace yournet
