// ChildProcess: starting, logging, environment and working directory, start failures reported as
// exceptions, and killing that leaves no process and no zombie behind.
#include "yournet/live/child_process.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <vector>

#include "live_test_util.hpp"
#include "yournet/live/child_cleanup.hpp"

using namespace std::chrono_literals;
namespace live = yournet::live;
using live_test::process_dead;
using live_test::read_file;
using live_test::TempDir;
using live_test::wait_until;

namespace {

live::ChildSpec shell(const std::string& script, const std::filesystem::path& log) {
  live::ChildSpec spec;
  spec.argv = {"/bin/sh", "-c", script};
  spec.log_file = log;
  return spec;
}

// Gone and reaped: not even a zombie is left.
bool reaped(pid_t pid) {
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

// This process has no child at all (none running, none unreaped).
bool no_children() {
  return ::waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD;
}

// Runs `spec`, which must throw std::system_error; returns the exception.
std::system_error start_failure(const live::ChildSpec& spec) {
  try {
    live::ChildProcess child(spec);
  } catch (const std::system_error& e) {
    return e;
  }
  ADD_FAILURE() << "started " << spec.argv.front();
  return std::system_error(0, std::generic_category());
}

}  // namespace

TEST(ChildProcess, WritesToTheLogAndIsGoneOnceKilled) {
  TempDir dir;
  live::ChildProcess child(shell("echo hi; sleep 30", dir / "child.log"));
  const pid_t pid = child.pid();
  ASSERT_GT(pid, 0);
  EXPECT_EQ(::getpgid(pid), pid) << "a process group of its own";
  EXPECT_TRUE(wait_until([&] { return read_file(dir / "child.log") == "hi\n"; }, 10s));
  EXPECT_TRUE(child.running());
  EXPECT_FALSE(child.exit_status());

  const live::ExitStatus status = child.kill();
  EXPECT_FALSE(status.exited);
  EXPECT_EQ(status.signal, SIGKILL);
  EXPECT_EQ(status.to_string(), "killed by signal 9 (Killed)");
  EXPECT_TRUE(reaped(pid));
  EXPECT_FALSE(child.running());
  ASSERT_TRUE(child.exit_status());
  EXPECT_EQ(child.exit_status()->signal, SIGKILL);
  EXPECT_EQ(child.kill().signal, SIGKILL) << "a second kill() only repeats the status";
  EXPECT_EQ(live::registered_child_count(), 0U);
}

TEST(ChildProcess, AppendsToAnExistingLog) {
  TempDir dir;
  std::ofstream(dir / "child.log") << "before\n";
  live::ChildProcess child(shell("echo out; echo err >&2", dir / "child.log"));
  EXPECT_TRUE(child.wait_exit().success());
  EXPECT_EQ(read_file(dir / "child.log"), "before\nout\nerr\n");
}

TEST(ChildProcess, ReportsTheExitCode) {
  live::ChildProcess child(shell("exit 3", ""));
  const live::ExitStatus status = child.wait_exit();
  EXPECT_TRUE(status.exited);
  EXPECT_EQ(status.code, 3);
  EXPECT_FALSE(status.success());
  EXPECT_EQ(status.to_string(), "exit code 3");
  EXPECT_FALSE(child.running());
  EXPECT_TRUE(reaped(child.pid()));
  EXPECT_TRUE(wait_until([&] { return !child.running(); }, 1s));
}

TEST(ChildProcess, RunningReapsOnceTheChildHasExited) {
  live::ChildProcess child(shell("exit 0", ""));
  EXPECT_TRUE(wait_until([&] { return !child.running(); }, 10s));
  EXPECT_TRUE(reaped(child.pid()));
  ASSERT_TRUE(child.exit_status());
  EXPECT_TRUE(child.exit_status()->success());
  EXPECT_TRUE(no_children());
}

TEST(ChildProcess, EnvironmentIsInheritedAddedOverriddenAndRemoved) {
  TempDir dir;
  ::setenv("YOURNET_LIVE_KEPT", "parent", 1);
  ::setenv("YOURNET_LIVE_OVERRIDDEN", "parent", 1);
  ::setenv("YOURNET_LIVE_REMOVED", "parent", 1);
  live::ChildSpec spec = shell(
      "echo \"kept=$YOURNET_LIVE_KEPT overridden=$YOURNET_LIVE_OVERRIDDEN"
      " removed=${YOURNET_LIVE_REMOVED-unset} added=$YOURNET_LIVE_ADDED\"",
      dir / "child.log");
  spec.env = {{"YOURNET_LIVE_OVERRIDDEN", "child"}, {"YOURNET_LIVE_ADDED", "a b=c"}};
  spec.unset_env = {"YOURNET_LIVE_REMOVED"};
  live::ChildProcess child(spec);
  EXPECT_TRUE(child.wait_exit().success());
  EXPECT_EQ(read_file(dir / "child.log"),
            "kept=parent overridden=child removed=unset added=a b=c\n");
  EXPECT_STREQ(::getenv("YOURNET_LIVE_REMOVED"), "parent") << "the parent's is untouched";
  ::unsetenv("YOURNET_LIVE_KEPT");
  ::unsetenv("YOURNET_LIVE_OVERRIDDEN");
  ::unsetenv("YOURNET_LIVE_REMOVED");
}

TEST(ChildProcess, ProgramIsLookedUpInTheChildsPath) {
  TempDir dir;
  std::filesystem::create_directory(dir / "bin");
  std::ofstream(dir / "bin" / "yournet-live-tool") << "#!/bin/sh\necho tool ran\n";
  std::filesystem::permissions(dir / "bin" / "yournet-live-tool",
                               std::filesystem::perms::owner_all);
  live::ChildSpec spec;
  spec.argv = {"yournet-live-tool"};
  spec.log_file = dir / "child.log";
  spec.env = {{"PATH", (dir / "bin").string() + ":/bin:/usr/bin"}};
  live::ChildProcess child(spec);
  EXPECT_EQ(child.program(), (dir / "bin" / "yournet-live-tool").string());
  EXPECT_TRUE(child.wait_exit().success());
  EXPECT_EQ(read_file(dir / "child.log"), "tool ran\n");
}

TEST(ChildProcess, RunsInTheWorkingDirectory) {
  TempDir dir;
  std::filesystem::create_directory(dir / "work");
  std::ofstream(dir / "work" / "run.sh") << "#!/bin/sh\npwd\n";
  std::filesystem::permissions(dir / "work" / "run.sh", std::filesystem::perms::owner_all);
  live::ChildSpec spec;
  spec.argv = {"./run.sh"};  // relative to the working directory
  spec.log_file = dir / "child.log";
  spec.working_directory = dir / "work";
  live::ChildProcess child(spec);
  EXPECT_TRUE(child.wait_exit().success());
  EXPECT_EQ(read_file(dir / "child.log"), (dir / "work").string() + "\n");
}

TEST(ChildProcess, ProgramNotInPathThrowsNamingIt) {
  live::ChildSpec spec;
  spec.argv = {"yournet-no-such-program", "--flag"};
  const std::system_error e = start_failure(spec);
  EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
  EXPECT_NE(std::string(e.what()).find("'yournet-no-such-program'"), std::string::npos) << e.what();
  EXPECT_TRUE(no_children());
  EXPECT_EQ(live::registered_child_count(), 0U);
}

TEST(ChildProcess, ExecFailureInTheChildThrowsNamingTheProgram) {
  TempDir dir;
  live::ChildSpec spec;
  spec.argv = {(dir / "missing-program").string()};
  std::system_error e = start_failure(spec);
  EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
  EXPECT_NE(std::string(e.what()).find("cannot execute '" + spec.argv[0] + "'"), std::string::npos)
      << e.what();

  std::ofstream(dir / "not-executable") << "#!/bin/sh\n";
  spec.argv = {(dir / "not-executable").string()};
  e = start_failure(spec);
  EXPECT_EQ(e.code(), std::errc::permission_denied);
  EXPECT_NE(std::string(e.what()).find("'" + spec.argv[0] + "'"), std::string::npos) << e.what();

  EXPECT_TRUE(no_children()) << "the failed child was reaped";
  EXPECT_EQ(live::registered_child_count(), 0U);
}

TEST(ChildProcess, MissingWorkingDirectoryThrowsNamingIt) {
  TempDir dir;
  live::ChildSpec spec = shell("true", "");
  spec.working_directory = dir / "missing";
  const std::system_error e = start_failure(spec);
  EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
  EXPECT_NE(std::string(e.what()).find((dir / "missing").string()), std::string::npos) << e.what();
  EXPECT_TRUE(no_children());
}

TEST(ChildProcess, UnopenableLogFileThrowsNamingIt) {
  TempDir dir;
  const std::system_error e = start_failure(shell("true", dir / "missing" / "child.log"));
  EXPECT_NE(std::string(e.what()).find((dir / "missing" / "child.log").string()), std::string::npos)
      << e.what();
  EXPECT_TRUE(no_children());
}

TEST(ChildProcess, BadSpecThrowsInvalidArgument) {
  live::ChildSpec spec;
  EXPECT_THROW(live::ChildProcess{spec}, std::invalid_argument);
  spec.argv = {"/bin/true"};
  spec.env = {{"A=B", "c"}};
  EXPECT_THROW(live::ChildProcess{spec}, std::invalid_argument);
}

TEST(ChildProcess, DestructorKillsAndReaps) {
  pid_t pid = 0;
  {
    live::ChildProcess child(shell("sleep 30", ""));
    pid = child.pid();
    EXPECT_TRUE(child.running());
    EXPECT_EQ(live::registered_child_count(), 1U);
  }
  EXPECT_TRUE(reaped(pid));
  EXPECT_EQ(live::registered_child_count(), 0U);
}

TEST(ChildProcess, KillTakesTheWholeProcessGroup) {
  TempDir dir;
  live::ChildSpec spec = shell("sleep 30 & echo $! > bg.tmp; mv bg.tmp bg.pid; wait", "");
  spec.working_directory = dir.path();
  live::ChildProcess child(spec);
  const pid_t background = live_test::wait_for_pid_file(dir / "bg.pid");
  ASSERT_GT(background, 0);
  EXPECT_FALSE(process_dead(background));
  child.kill();
  EXPECT_TRUE(wait_until([&] { return process_dead(background); }, 1s));
}

TEST(ChildProcess, AnExitedChildTakesWhatIsLeftOfItsGroupAlong) {
  TempDir dir;
  live::ChildSpec spec = shell("sleep 30 & echo $! > bg.pid", "");
  spec.working_directory = dir.path();
  live::ChildProcess child(spec);
  EXPECT_TRUE(child.wait_exit().success());
  const pid_t background = live_test::read_pid(dir / "bg.pid");
  ASSERT_GT(background, 0);
  EXPECT_TRUE(wait_until([&] { return process_dead(background); }, 1s));
}

TEST(ChildProcess, TerminateLetsTheChildExitCleanly) {
  TempDir dir;
  live::ChildProcess child(
      shell("trap 'echo got TERM; exit 7' TERM; echo ready; while :; do sleep 0.01; done",
            dir / "child.log"));
  ASSERT_TRUE(wait_until([&] { return read_file(dir / "child.log") == "ready\n"; }, 10s));
  const live::ExitStatus status = child.terminate(10s);
  EXPECT_TRUE(status.exited);
  EXPECT_EQ(status.code, 7);
  // The shell may also report its foreground sleep "Terminated": the whole group got SIGTERM.
  EXPECT_NE(read_file(dir / "child.log").find("got TERM\n"), std::string::npos);
  EXPECT_TRUE(reaped(child.pid()));
}

TEST(ChildProcess, TerminateKillsAChildThatIgnoresSigterm) {
  TempDir dir;
  live::ChildProcess child(
      shell("trap '' TERM; echo ready; while :; do sleep 0.01; done", dir / "child.log"));
  ASSERT_TRUE(wait_until([&] { return read_file(dir / "child.log") == "ready\n"; }, 10s));
  const auto start = std::chrono::steady_clock::now();
  const live::ExitStatus status = child.terminate(300ms);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms);
  EXPECT_EQ(status.signal, SIGKILL);
  EXPECT_TRUE(reaped(child.pid()));
}

TEST(ChildProcess, InheritsNoOtherFileDescriptor) {
  TempDir dir;
  const int fd = ::open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
  ASSERT_GT(fd, 2);
  const std::string proc_fd = "/proc/$$/fd/" + std::to_string(fd);
  live::ChildProcess child(
      shell("if [ -e " + proc_fd + " ]; then echo open; else echo closed; fi", dir / "child.log"));
  EXPECT_TRUE(child.wait_exit().success());
  ::close(fd);
  EXPECT_EQ(read_file(dir / "child.log"), "closed\n");
}

TEST(ChildProcess, StartsWithDefaultSignalsNoneBlocked) {
  TempDir dir;
  struct sigaction ignore {};
  struct sigaction old_action {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGUSR1, &ignore, &old_action);
  sigset_t usr2;
  sigset_t old_mask;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  ::pthread_sigmask(SIG_BLOCK, &usr2, &old_mask);

  live::ChildProcess child(
      shell("exec grep -E '^Sig(Ign|Blk):' /proc/self/status", dir / "child.log"));
  EXPECT_TRUE(child.wait_exit().success());
  ::sigaction(SIGUSR1, &old_action, nullptr);
  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);

  std::istringstream lines(read_file(dir / "child.log"));
  std::string name;
  std::string hex;
  int seen = 0;
  while (lines >> name >> hex) {
    const unsigned long long mask = std::stoull(hex, nullptr, 16);
    const int sig = name == "SigIgn:" ? SIGUSR1 : SIGUSR2;
    EXPECT_EQ(mask & (1ULL << (sig - 1)), 0U) << name << " " << hex;
    ++seen;
  }
  EXPECT_EQ(seen, 2);
}

TEST(ChildProcess, MovingTransfersTheChild) {
  live::ChildProcess first(shell("sleep 30", ""));
  const pid_t pid = first.pid();
  live::ChildProcess second(std::move(first));
  EXPECT_EQ(first.pid(), -1);  // NOLINT(bugprone-use-after-move): documented moved-from state
  EXPECT_FALSE(first.running());
  EXPECT_EQ(second.pid(), pid);
  EXPECT_TRUE(second.running());
  second = live::ChildProcess(shell("sleep 30", ""));
  EXPECT_TRUE(reaped(pid)) << "assignment killed the child it replaced";
  EXPECT_EQ(live::registered_child_count(), 1U);
}

TEST(ChildProcess, KillAllChildrenKillsEveryRegisteredGroup) {
  live::ChildProcess a(shell("sleep 30", ""));
  live::ChildProcess b(shell("sleep 30", ""));
  live::kill_all_children();
  EXPECT_EQ(a.wait_exit().signal, SIGKILL);
  EXPECT_EQ(b.wait_exit().signal, SIGKILL);
}

TEST(ChildProcess, AtMostMaxChildrenAtOnce) {
  std::vector<live::ChildProcess> children;
  children.reserve(live::kMaxChildren);
  live::ChildSpec spec;
  spec.argv = {"/bin/sleep", "30"};
  for (std::size_t i = 0; i < live::kMaxChildren; ++i) children.emplace_back(spec);
  EXPECT_EQ(live::registered_child_count(), live::kMaxChildren);
  try {
    live::ChildProcess one_too_many(spec);
    ADD_FAILURE() << "started child number " << live::kMaxChildren + 1;
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("256"), std::string::npos) << e.what();
  }
  children.clear();
  EXPECT_EQ(live::registered_child_count(), 0U);
  EXPECT_TRUE(no_children());
}
