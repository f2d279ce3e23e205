#pragma once
// The registry behind child_cleanup.hpp, as ChildProcess uses it. Each entry holds the pid of the
// process that made it (high 32 bits) and the child's pid (low 32 bits, 0 while reserved).
#include <sys/types.h>

namespace yournet::live::detail {

// Takes a free entry for a child about to be forked; throws std::runtime_error when all
// kMaxChildren are taken.
int reserve_child_slot();
// Records the forked child's pid in the reserved entry. Async-signal-safe.
void set_child_pid(int slot, pid_t child) noexcept;
// Frees the entry (before the child is reaped, so the pid in it is never a reused one).
void release_child_slot(int slot) noexcept;

}  // namespace yournet::live::detail
