#include "yournet/live/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <set>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

#include "child_registry.hpp"

namespace yournet::live {
namespace {

constexpr std::string_view kWho = "yournet::live::ChildProcess: ";
constexpr const char* kDefaultPath = "/bin:/usr/bin";  // glibc's when PATH is not set

[[noreturn]] void throw_errno(int error, const std::string& what) {
  throw std::system_error(error, std::generic_category(), std::string(kWho) + what);
}

std::string in_quotes(const std::string& s) {
  return "'" + s + "'";
}

bool has_nul(const std::string& s) {
  return s.find('\0') != std::string::npos;
}

class Fd {
 public:
  explicit Fd(int fd = -1) noexcept : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const noexcept { return fd_; }
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

// Moves a close-on-exec descriptor above 0, 1 and 2 (which are free when the parent closed its
// standard streams), so that the child's dup2 onto 0, 1 and 2 cannot overwrite it.
void lift_above_stdio(Fd& fd) {
  if (fd.get() > STDERR_FILENO) return;
  const int lifted = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
  if (lifted < 0) throw_errno(errno, "fcntl(F_DUPFD_CLOEXEC) failed");
  fd.reset(lifted);
}

// This process's environment with unset_env removed and env added (replacing).
std::vector<std::string> child_environment(const ChildSpec& spec) {
  std::set<std::string, std::less<>> dropped(spec.unset_env.begin(), spec.unset_env.end());
  for (const auto& kv : spec.env) dropped.insert(kv.first);
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view var(*e);
    const auto eq = var.find('=');
    if (eq == std::string_view::npos) continue;
    if (dropped.find(var.substr(0, eq)) == dropped.end()) out.emplace_back(var);
  }
  for (const auto& kv : spec.env) out.push_back(kv.first + "=" + kv.second);
  return out;
}

// The program execve will run: argv[0] itself if it has a '/', else the first executable regular
// file of that name in PATH (as execvp would find it).
std::string resolve_program(const std::string& name, const std::vector<std::string>& env) {
  if (name.find('/') != std::string::npos) return name;
  std::string path = kDefaultPath;
  for (const auto& var : env) {
    if (var.compare(0, 5, "PATH=") == 0) path = var.substr(5);
  }
  int error = ENOENT;
  std::size_t begin = 0;
  while (begin <= path.size()) {
    std::size_t end = path.find(':', begin);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(begin, end - begin);
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/" + name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      if (::access(candidate.c_str(), X_OK) == 0) {
        // Absolute, so that a relative PATH entry does not depend on working_directory.
        return std::filesystem::absolute(candidate).string();
      }
      error = EACCES;
    }
    begin = end + 1;
  }
  throw_errno(error, "cannot start " + in_quotes(name) + ": no executable of that name in PATH (" +
                         path + ")");
}

// What the child writes to the error pipe when it fails before exec.
enum class Step : int { kSetup = 1, kChdir = 2, kExec = 3 };
struct StartFailure {
  Step step;
  int error;
};

// Everything the child needs, prepared before fork: between fork and exec the child may only call
// async-signal-safe functions (another thread may have held the malloc lock at the fork).
struct Launch {
  const char* program;
  char* const* argv;
  char* const* envp;
  const char* working_directory;  // null: stay
  int stdin_fd;
  int log_fd;
  int error_fd;
  pid_t parent;
};

// Puts `fd` on `target` without close-on-exec.
bool install_fd(int fd, int target) noexcept {
  if (fd == target) return ::fcntl(fd, F_SETFD, 0) == 0;
  return ::dup2(fd, target) == target;
}

// Marks every descriptor from 3 up close-on-exec (not closed: the error pipe must stay open until
// exec succeeds).
void cloexec_from_3() noexcept {
#if defined(SYS_close_range) && defined(CLOSE_RANGE_CLOEXEC)
  if (::syscall(SYS_close_range, 3U, UINT_MAX, CLOSE_RANGE_CLOEXEC) == 0) return;
#endif
  struct rlimit limit {};
  rlim_t max = 65536;
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    max = limit.rlim_cur;
  for (rlim_t fd = 3; fd < max; ++fd) {
    const int flags = ::fcntl(static_cast<int>(fd), F_GETFD);
    if (flags >= 0 && (flags & FD_CLOEXEC) == 0)
      ::fcntl(static_cast<int>(fd), F_SETFD, flags | FD_CLOEXEC);
  }
}

[[noreturn]] void run_child(const Launch& l) noexcept {
  const auto fail = [&l](Step step) {
    const StartFailure failure{step, errno};
    const ssize_t written = ::write(l.error_fd, &failure, sizeof failure);
    (void)written;
    ::_exit(127);
  };
  // A process group of its own (the parent does the same, whichever comes first).
  if (::setpgid(0, 0) != 0) fail(Step::kSetup);
  // Die with the parent; if it already died, the signal was never sent.
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail(Step::kSetup);
  if (::getppid() != l.parent) ::_exit(127);
  // Every signal at its default action (handlers are reset by exec anyway, but ignored signals
  // would stay ignored); all were blocked by the parent around fork and are unblocked last.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);  // fails for reserved
  }
  if (!install_fd(l.stdin_fd, STDIN_FILENO) || !install_fd(l.log_fd, STDOUT_FILENO) ||
      !install_fd(l.log_fd, STDERR_FILENO))
    fail(Step::kSetup);
  if (l.working_directory != nullptr && ::chdir(l.working_directory) != 0) fail(Step::kChdir);
  cloexec_from_3();
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execve(l.program, l.argv, l.envp);
  fail(Step::kExec);
  ::_exit(127);  // not reached
}

std::vector<char*> pointers(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

void validate(const ChildSpec& spec) {
  const auto bad = [](const std::string& why) {
    throw std::invalid_argument(std::string(kWho) + why);
  };
  if (spec.argv.empty() || spec.argv.front().empty()) bad("argv is empty or has an empty argv[0]");
  for (const auto& arg : spec.argv) {
    if (has_nul(arg)) bad("an argument of " + in_quotes(spec.argv.front()) + " contains a NUL");
  }
  for (const auto& kv : spec.env) {
    if (kv.first.empty() || kv.first.find('=') != std::string::npos || has_nul(kv.first) ||
        has_nul(kv.second))
      bad("bad environment variable " + in_quotes(kv.first) + " for " +
          in_quotes(spec.argv.front()));
  }
  if (spec.working_directory && spec.working_directory->empty())
    bad("working_directory is set but empty for " + in_quotes(spec.argv.front()));
}

}  // namespace

std::string ExitStatus::to_string() const {
  if (exited) return "exit code " + std::to_string(code);
  if (signal == 0) return "exit status unknown (the child was reaped elsewhere)";
  const char* description = ::sigdescr_np(signal);
  return "killed by signal " + std::to_string(signal) +
         (description != nullptr ? " (" + std::string(description) + ")" : std::string());
}

ChildProcess::ChildProcess(const ChildSpec& spec) {
  validate(spec);
  const std::vector<std::string> env = child_environment(spec);
  program_ = resolve_program(spec.argv.front(), env);
  const std::vector<char*> argv = pointers(spec.argv);
  const std::vector<char*> envp = pointers(env);
  const std::string working_directory =
      spec.working_directory ? spec.working_directory->string() : std::string();
  const std::string log_path = spec.log_file.empty() ? "/dev/null" : spec.log_file.string();

  Fd log(::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0644));
  if (log.get() < 0)
    throw_errno(errno,
                "cannot open the log file " + in_quotes(log_path) + " for " + in_quotes(program_));
  Fd stdin_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (stdin_fd.get() < 0) throw_errno(errno, "cannot open /dev/null");
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw_errno(errno, "pipe2 failed");
  Fd error_read(pipe_fds[0]);
  Fd error_write(pipe_fds[1]);
  lift_above_stdio(log);
  lift_above_stdio(stdin_fd);
  lift_above_stdio(error_write);

  const Launch launch{
      program_.c_str(),  argv.data(),
      envp.data(),       spec.working_directory ? working_directory.c_str() : nullptr,
      stdin_fd.get(),    log.get(),
      error_write.get(), ::getpid()};
  const int slot = detail::reserve_child_slot();

  // No signal handler may run in the child before it has reset them all, and in the parent none
  // may run between fork and the child being registered as a process group leader.
  sigset_t all;
  sigset_t old;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  const pid_t pid = ::fork();
  if (pid == 0) run_child(launch);
  const int fork_error = errno;
  if (pid > 0) {
    ::setpgid(pid, pid);  // may fail once the child has exec'd: it did it itself by then
    detail::set_child_pid(slot, pid);
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) {
    detail::release_child_slot(slot);
    throw_errno(fork_error, "fork failed starting " + in_quotes(program_));
  }
  pid_ = pid;
  slot_ = slot;
  error_write.reset();

  // End of file: exec succeeded (the pipe closed on exec). A StartFailure: it did not.
  StartFailure failure{};
  ssize_t n;
  do {
    n = ::read(error_read.get(), &failure, sizeof failure);
  } while (n < 0 && errno == EINTR);
  if (n == 0) return;
  const int read_error = errno;
  kill();  // the child is exiting with 127 anyway; reap it
  if (n != static_cast<ssize_t>(sizeof failure))
    throw_errno(n < 0 ? read_error : EIO, "lost track of starting " + in_quotes(program_));
  std::string what = "cannot execute " + in_quotes(program_);
  if (program_ != spec.argv.front()) what += " (argv[0] " + in_quotes(spec.argv.front()) + ")";
  if (failure.step == Step::kChdir)
    what = "cannot start " + in_quotes(program_) + ": cannot change to the working directory " +
           in_quotes(working_directory);
  if (failure.step == Step::kSetup)
    what = "cannot start " + in_quotes(program_) + ": setting up the child failed";
  throw_errno(failure.error, what);
}

ChildProcess::~ChildProcess() {
  release();
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      slot_(std::exchange(other.slot_, -1)),
      program_(std::move(other.program_)),
      status_(std::exchange(other.status_, std::nullopt)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    release();
    pid_ = std::exchange(other.pid_, -1);
    slot_ = std::exchange(other.slot_, -1);
    program_ = std::move(other.program_);
    status_ = std::exchange(other.status_, std::nullopt);
  }
  return *this;
}

void ChildProcess::release() noexcept {
  if (pid_ > 0 && !status_) kill();
}

bool ChildProcess::exited_without_reaping(bool block) {
  siginfo_t info{};
  const int flags = WEXITED | WNOWAIT | (block ? 0 : WNOHANG);
  for (;;) {
    info.si_pid = 0;
    if (::waitid(P_PID, static_cast<id_t>(pid_), &info, flags) == 0) return info.si_pid != 0;
    if (errno != EINTR) return true;  // ECHILD: reaped by someone else; reap() finds out
  }
}

void ChildProcess::reap() {
  // The child has exited but is not reaped yet, so neither its pid nor its process group id can
  // have been reused: kill whatever is left of its group, free the registry entry, then reap.
  siginfo_t info{};
  const bool zombie =
      ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
      info.si_pid == pid_;
  if (zombie) ::kill(-pid_, SIGKILL);
  if (slot_ >= 0) detail::release_child_slot(std::exchange(slot_, -1));
  ExitStatus status;
  int raw = 0;
  pid_t reaped;
  do {
    reaped = ::waitpid(pid_, &raw, 0);
  } while (reaped < 0 && errno == EINTR);
  if (reaped == pid_ && WIFEXITED(raw)) {
    status.exited = true;
    status.code = WEXITSTATUS(raw);
  } else if (reaped == pid_ && WIFSIGNALED(raw)) {
    status.signal = WTERMSIG(raw);
  }
  status_ = status;
}

bool ChildProcess::running() {
  if (pid_ <= 0 || status_) return false;
  if (!exited_without_reaping(false)) return true;
  reap();
  return false;
}

ExitStatus ChildProcess::wait_exit() {
  if (pid_ <= 0) return ExitStatus{};
  if (!status_) {
    exited_without_reaping(true);
    reap();
  }
  return *status_;
}

ExitStatus ChildProcess::kill() {
  if (pid_ <= 0) return ExitStatus{};
  if (status_) return *status_;
  if (::kill(-pid_, SIGKILL) != 0) ::kill(pid_, SIGKILL);
  return wait_exit();
}

ExitStatus ChildProcess::terminate(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return ExitStatus{};
  if (status_) return *status_;
  if (::kill(-pid_, SIGTERM) != 0) ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::chrono::milliseconds pause(1);
  for (;;) {
    if (!running()) return *status_;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(pause, deadline - now));
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
  }
  return kill();
}

}  // namespace yournet::live
