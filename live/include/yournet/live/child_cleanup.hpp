#pragma once
// The process-wide registry of live children. Every ChildProcess puts its pid (which is also its
// process group id) here while it runs; install_child_cleanup() makes sure that whatever way this
// process ends, every registered process group gets SIGKILL first:
//   - normal exit (return from main, std::exit): an std::atexit hook;
//   - a terminating signal (SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE, SIGXCPU, SIGXFSZ) and the
//     crash signals (SIGABRT, which an exception thrown out of main ends in, SIGSEGV, SIGBUS,
//     SIGFPE, SIGILL): a handler that kills the children, restores the default action and
//     re-raises the signal, so this process still dies of it (exit status as without the handler).
// Only signals whose action is the default one when install_child_cleanup() is called are taken
// over: a signal this program ignores or handles itself is left alone (it then exits normally and
// the atexit hook does the killing). A handler installed later replaces ours for that signal.
//
// Not covered: this process being killed by SIGKILL (there each child's PR_SET_PDEATHSIG kills it,
// but not the rest of its process group: see child_process.hpp), std::_Exit / std::quick_exit /
// _exit, and a stack overflow (no stack left to run the handler on).
//
// The registry is a fixed array of lock-free atomics, so the handler is async-signal-safe. Every
// entry records which process made it: a forked copy of this process never kills the children of
// the original.
#include <cstddef>

namespace yournet::live {

// At most this many ChildProcess objects can be running at once in one process; starting one
// more throws.
inline constexpr std::size_t kMaxChildren = 256;

// Installs the signal handlers and the atexit hook. Idempotent and thread-safe; call it early in
// main, before starting children.
void install_child_cleanup();

// SIGKILLs every registered child's process group now, without reaping. Async-signal-safe: a
// program with its own signal handler can call it from there.
void kill_all_children() noexcept;

// How many children this process has registered (running or not yet reaped).
std::size_t registered_child_count() noexcept;

}  // namespace yournet::live
