#include "yournet/assert.hpp"

#include <cstdio>
#include <cstdlib>

namespace yournet {

void assertion_failed(const char* condition, const char* file, int line,
                      const char* message) noexcept {
  // Plain stdio, not the log: the core does not log, and this must work whatever state the
  // process is in.
  std::fprintf(stderr, "yournet: invariant broken: %s (%s:%d): %s\n", condition, file, line,
               message);
  std::fflush(stderr);
  std::abort();
}

}  // namespace yournet
