// Linked into the executables that replace malloc with mimalloc (see yournet_use_fast_allocator
// in CMakeLists.txt). A large simulation touches a few hundred MB in random order; 2 MiB pages
// spare it most TLB misses (scale_10k runs ~15 % faster with them).
#include <mimalloc.h>

namespace {
const bool kLargePages = [] {
  mi_option_enable(mi_option_large_os_pages);
  return true;
}();
}  // namespace
