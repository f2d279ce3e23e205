#include "yournet/live/child_cleanup.hpp"

#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>

#include "child_registry.hpp"

namespace yournet::live {
namespace {

static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
              "the signal handler needs lock-free atomics");

// Zero-initialised before any code runs; never destroyed (atomics are trivially destructible), so
// the handler and the atexit hook can read it at any point of the exit.
std::array<std::atomic<std::uint64_t>, kMaxChildren> g_slots{};

// The signals whose default action ends the process (core dump or not), except SIGKILL and SIGSTOP,
// which cannot be caught, and the rarely used SIGALRM, SIGUSR1, SIGUSR2, SIGVTALRM, SIGPROF.
constexpr std::array kSignals = {SIGHUP, SIGINT,  SIGQUIT, SIGILL,  SIGABRT, SIGBUS,
                                 SIGFPE, SIGSEGV, SIGPIPE, SIGTERM, SIGXCPU, SIGXFSZ};

constexpr std::uint64_t entry(pid_t owner, pid_t child) noexcept {
  return (std::uint64_t{static_cast<std::uint32_t>(owner)} << 32) |
         std::uint64_t{static_cast<std::uint32_t>(child)};
}
constexpr std::uint32_t owner_of(std::uint64_t e) noexcept {
  return static_cast<std::uint32_t>(e >> 32);
}
constexpr pid_t child_of(std::uint64_t e) noexcept {
  return static_cast<pid_t>(static_cast<std::uint32_t>(e));
}

void kill_children_then_die(int sig) {
  const int saved_errno = errno;
  kill_all_children();
  // Back to the default action and raise the signal again: it stays pending while this handler
  // runs (every signal is blocked in it) and ends the process as soon as the handler returns, as if
  // the handler had never been there. A fault (SIGSEGV...) also happens again on return.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(sig, &dfl, nullptr);
  raise(sig);
  errno = saved_errno;
}

void kill_children_at_exit() {
  kill_all_children();
}

}  // namespace

void install_child_cleanup() {
  static std::mutex mutex;
  static bool installed = false;
  const std::lock_guard<std::mutex> lock(mutex);
  if (installed) return;
  if (std::atexit(kill_children_at_exit) != 0)
    throw std::runtime_error("yournet::live::install_child_cleanup: atexit failed");
  installed = true;
  for (const int sig : kSignals) {
    struct sigaction old {};
    if (sigaction(sig, nullptr, &old) != 0) continue;
    // Leave alone a signal that is ignored or has a handler: it does not end the process.
    if ((old.sa_flags & SA_SIGINFO) != 0 || old.sa_handler != SIG_DFL) continue;
    struct sigaction action {};
    action.sa_handler = kill_children_then_die;
    sigfillset(&action.sa_mask);
    action.sa_flags = SA_ONSTACK;  // on the alternate stack, if the thread has one
    sigaction(sig, &action, nullptr);
  }
}

void kill_all_children() noexcept {
  const auto me = static_cast<std::uint32_t>(getpid());
  for (const auto& slot : g_slots) {
    const std::uint64_t e = slot.load(std::memory_order_acquire);
    const pid_t child = child_of(e);
    // An entry of another process was copied here by fork: those are not our children.
    if (owner_of(e) != me || child <= 0) continue;
    // The child makes itself a group leader right after fork and so does its parent for it, but a
    // signal can come between fork and both: then only the child itself is there to kill.
    if (kill(-child, SIGKILL) != 0) kill(child, SIGKILL);
  }
}

std::size_t registered_child_count() noexcept {
  const auto me = static_cast<std::uint32_t>(getpid());
  std::size_t n = 0;
  for (const auto& slot : g_slots) {
    const std::uint64_t e = slot.load(std::memory_order_acquire);
    if (e != 0 && owner_of(e) == me) ++n;
  }
  return n;
}

namespace detail {

int reserve_child_slot() {
  const pid_t me = getpid();
  const std::uint64_t reserved = entry(me, 0);
  for (std::size_t i = 0; i < g_slots.size(); ++i) {
    std::uint64_t e = g_slots[i].load(std::memory_order_relaxed);
    // Free, or made by the process this one was forked from (stale here).
    while (e == 0 || owner_of(e) != static_cast<std::uint32_t>(me)) {
      if (g_slots[i].compare_exchange_weak(e, reserved, std::memory_order_acq_rel))
        return static_cast<int>(i);
    }
  }
  throw std::runtime_error("yournet::live::ChildProcess: cannot start more than " +
                           std::to_string(kMaxChildren) + " children at once (kMaxChildren)");
}

void set_child_pid(int slot, pid_t child) noexcept {
  g_slots[static_cast<std::size_t>(slot)].store(entry(getpid(), child), std::memory_order_release);
}

void release_child_slot(int slot) noexcept {
  g_slots[static_cast<std::size_t>(slot)].store(0, std::memory_order_release);
}

}  // namespace detail
}  // namespace yournet::live
