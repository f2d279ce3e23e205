#pragma once
// YOURNET_ASSERT(condition, message): a core invariant, checked in every build type (Release
// included, unlike assert()). A broken invariant means the node's state can no longer be trusted,
// so the process stops at once rather than answer, store or relay from that state: it writes the
// condition, file, line and message to stderr and calls std::abort. The message is evaluated only
// on failure. Checks on hot paths are O(1) or amortised; whole-structure checks run where they are
// cheap, and on every change only in a build with -DYOURNET_FULL_CHECKS=ON (kFullChecks).

namespace yournet {

#ifdef YOURNET_FULL_CHECKS
inline constexpr bool kFullChecks = true;
#else
inline constexpr bool kFullChecks = false;
#endif

[[noreturn]] void assertion_failed(const char* condition, const char* file, int line,
                                   const char* message) noexcept;

}  // namespace yournet

#define YOURNET_ASSERT(condition, message) \
  ((condition) ? static_cast<void>(0)      \
               : ::yournet::assertion_failed(#condition, __FILE__, __LINE__, (message)))
