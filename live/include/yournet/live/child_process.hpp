#pragma once
// Starts a program as a child process that cannot outlive this one by accident.
//
// The child:
//   - runs in a process group of its own (its pgid is its pid); kill() and terminate() signal the
//     whole group, and when the child is found to have exited, whatever is left of its group is
//     SIGKILLed before the child is reaped (so the group id cannot have been reused by then);
//   - gets PR_SET_PDEATHSIG = SIGKILL, so the kernel kills it if the parent dies, even by SIGKILL.
//     Linux ties this to the THREAD that started the child, not the process: start children from
//     the main thread (or from one that lives as long as they do), or they die when that thread
//     exits. It only covers the child itself, not processes the child starts in turn, and the
//     kernel clears it when the child runs a set-user-ID or set-group-ID program or one with file
//     capabilities;
//   - is registered for install_child_cleanup() (child_cleanup.hpp), which kills every child's
//     process group when this process exits or dies of a signal;
//   - has stdin on /dev/null and stdout and stderr appended to the log file, inherits no other file
//     descriptor, starts with every signal at its default action and none blocked.
//
// Starting fails with an exception, never with a child that silently died: std::invalid_argument
// for a bad ChildSpec, std::system_error naming the program (or the directory, or the log file)
// when the program is not found in PATH, cannot be executed, or the working directory or the log
// file cannot be opened. Failures that happen in the child after fork come back through a
// close-on-exec pipe.
//
// Thread-safety: one ChildProcess must not be used by two threads at once; different ones may.
// Starting reads the environment (environ): do not setenv/unsetenv concurrently. The children
// must not be reaped by anyone else: no waitpid(-1, ...) in this program and SIGCHLD not set to
// SIG_IGN (the status is then unknown, see ExitStatus).
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace yournet::live {

struct ChildSpec {
  // The program and its arguments. A program name without '/' is looked up in the child's PATH
  // (after env and unset_env are applied; "/bin:/usr/bin" if it has none); a relative path with
  // '/' is relative to working_directory.
  std::vector<std::string> argv;
  // stdout and stderr are appended here; the file is created (0644) if missing. Empty: /dev/null.
  std::filesystem::path log_file;
  // The child's working directory; none: this process's.
  std::optional<std::filesystem::path> working_directory;
  // Added to this process's environment, replacing variables of the same name.
  std::map<std::string, std::string> env;
  // Removed from the inherited environment (applied before env: a name in both is set).
  std::vector<std::string> unset_env;
};

// How a child ended.
struct ExitStatus {
  bool exited = false;  // it returned from main or called exit: `code` holds the exit code
  int code = 0;
  int signal = 0;  // the signal that killed it when !exited; 0: unknown (reaped by someone else)

  bool success() const noexcept { return exited && code == 0; }
  std::string to_string() const;  // "exit code 3", "killed by signal 9 (Killed)"
};

class ChildProcess {
 public:
  // Starts the program; throws (see above) if it cannot be started.
  explicit ChildProcess(const ChildSpec& spec);
  // Kills the child's process group with SIGKILL and reaps the child. Never throws.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // The moved-from object holds no child (pid() == -1, running() == false).
  ChildProcess(ChildProcess&& other) noexcept;
  // Kills and reaps the child this object held, then takes over other's.
  ChildProcess& operator=(ChildProcess&& other) noexcept;

  // The child's pid, which is also its process group id. Kept after the child is reaped (for
  // messages), when it no longer designates a process. -1 after a move.
  pid_t pid() const noexcept { return pid_; }
  // The program as executed (argv[0] resolved through PATH).
  const std::string& program() const noexcept { return program_; }

  // Whether the child is still running; never blocks. Once it has exited this reaps it (after
  // killing what is left of its process group) and returns false from then on.
  bool running();
  // SIGKILL to the child's process group, then waits for the child and reaps it. Does nothing if
  // the child was already reaped.
  ExitStatus kill();
  // SIGTERM to the child's process group, waits up to `timeout` for the child to exit, then
  // kill(). Does nothing if the child was already reaped.
  ExitStatus terminate(std::chrono::milliseconds timeout);
  // Waits (without limit) for the child to exit and reaps it.
  ExitStatus wait_exit();
  // The status once the child has been reaped; none while it runs.
  const std::optional<ExitStatus>& exit_status() const noexcept { return status_; }

 private:
  bool exited_without_reaping(bool block);
  void reap();
  void release() noexcept;

  pid_t pid_ = -1;
  int slot_ = -1;  // the registry entry (child_cleanup.hpp); -1 once released
  std::string program_;
  std::optional<ExitStatus> status_;
};

}  // namespace yournet::live
