// No child outlives its parent: a helper parent (live_spawn_helper) starts a child through
// ChildProcess and is then killed, exits or throws; the child and its process group must be gone
// within a second. SIGKILL is covered by PR_SET_PDEATHSIG, everything else by the registry of
// install_child_cleanup(). The children there are shells with a background sleep: PDEATHSIG only
// reaches the shell, so the sleep dies only if its whole process group was killed.
#include "yournet/live/child_cleanup.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "live_test_util.hpp"
#include "yournet/live/child_process.hpp"

using namespace std::chrono_literals;
namespace live = yournet::live;
using live_test::process_dead;
using live_test::TempDir;
using live_test::wait_until;

namespace {

constexpr auto kGoneWithin = 1s;
const std::vector<std::string> kShellWithBackground = {
    "/bin/sh", "-c", "sleep 30 & echo $! > bg.tmp; mv bg.tmp bg.pid; wait"};

// A helper parent running in a temporary directory, its child, and the child's background sleep.
struct Family {
  TempDir dir;
  std::optional<live::ChildProcess> parent;
  pid_t child = 0;
  pid_t background = 0;  // 0 unless the child is kShellWithBackground

  Family(const std::string& mode, const std::vector<std::string>& child_argv) {
    const bool with_background = child_argv == kShellWithBackground;
    live::ChildSpec spec;
    spec.argv = {YOURNET_LIVE_SPAWN_HELPER, mode, with_background ? "bg.pid" : "-", "--"};
    spec.argv.insert(spec.argv.end(), child_argv.begin(), child_argv.end());
    spec.log_file = dir / "parent.log";
    spec.working_directory = dir.path();
    parent.emplace(spec);
    child = live_test::wait_for_pid_file(dir / "child.pid");
    if (with_background) background = live_test::wait_for_pid_file(dir / "bg.pid");
  }
  ~Family() {
    // Whatever a failed test left behind.
    for (const pid_t pid : {child, background}) {
      if (pid > 0 && !process_dead(pid)) ::kill(pid, SIGKILL);
    }
  }
  Family(const Family&) = delete;
  Family& operator=(const Family&) = delete;

  std::string parent_log() const { return live_test::read_file(dir / "parent.log"); }
};

}  // namespace

TEST(ChildCleanup, ParentKilledBySigkillTakesTheChildAlongThroughPdeathsig) {
  Family family("wait", {"sleep", "30"});
  ASSERT_GT(family.child, 0) << family.parent_log();
  ASSERT_FALSE(process_dead(family.child));
  ::kill(family.parent->pid(), SIGKILL);
  EXPECT_TRUE(wait_until([&] { return process_dead(family.child); }, kGoneWithin));
  EXPECT_EQ(family.parent->wait_exit().signal, SIGKILL);
}

class ChildCleanupOnSignal : public testing::TestWithParam<int> {};

TEST_P(ChildCleanupOnSignal, ParentKilledBySignalTakesTheChildsWholeGroupAlong) {
  const int sig = GetParam();
  Family family("wait", kShellWithBackground);
  ASSERT_GT(family.child, 0) << family.parent_log();
  ASSERT_GT(family.background, 0);
  ASSERT_FALSE(process_dead(family.child));
  ASSERT_FALSE(process_dead(family.background));
  ::kill(family.parent->pid(), sig);
  EXPECT_TRUE(wait_until([&] { return process_dead(family.child); }, kGoneWithin));
  EXPECT_TRUE(wait_until([&] { return process_dead(family.background); }, kGoneWithin));
  const live::ExitStatus status = family.parent->wait_exit();
  EXPECT_EQ(status.signal, sig) << "the parent dies of the signal, as without the handler: "
                                << status.to_string();
}

INSTANTIATE_TEST_SUITE_P(Signals, ChildCleanupOnSignal, testing::Values(SIGTERM, SIGINT, SIGHUP),
                         [](const testing::TestParamInfo<int>& info) {
                           return std::string(sigabbrev_np(info.param));
                         });

TEST(ChildCleanup, WithoutInstallOnlyPdeathsigActsAndTheGroupSurvives) {
  // The control for the test above: the background sleep dies there because of the registry.
  Family family("wait-no-cleanup", kShellWithBackground);
  ASSERT_GT(family.background, 0) << family.parent_log();
  ::kill(family.parent->pid(), SIGTERM);
  EXPECT_EQ(family.parent->wait_exit().signal, SIGTERM);
  EXPECT_TRUE(wait_until([&] { return process_dead(family.child); }, kGoneWithin));
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(process_dead(family.background));
}

TEST(ChildCleanup, AnIgnoredSignalIsLeftAlone) {
  Family family("wait-ignoring-hup", kShellWithBackground);
  ASSERT_GT(family.background, 0) << family.parent_log();
  ::kill(family.parent->pid(), SIGHUP);
  std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(family.parent->running());
  EXPECT_FALSE(process_dead(family.background));
  ::kill(family.parent->pid(), SIGTERM);
  EXPECT_EQ(family.parent->wait_exit().signal, SIGTERM);
  EXPECT_TRUE(wait_until([&] { return process_dead(family.background); }, kGoneWithin));
}

TEST(ChildCleanup, ParentExitingNormallyTakesTheChildsGroupAlong) {
  Family family("exit", kShellWithBackground);
  ASSERT_GT(family.background, 0) << family.parent_log();
  const live::ExitStatus status = family.parent->wait_exit();
  EXPECT_TRUE(status.success()) << status.to_string();
  EXPECT_TRUE(wait_until([&] { return process_dead(family.child); }, kGoneWithin));
  EXPECT_TRUE(wait_until([&] { return process_dead(family.background); }, kGoneWithin));
}

TEST(ChildCleanup, ParentThrowingOutOfMainTakesTheChildsGroupAlong) {
  Family family("throw", kShellWithBackground);
  ASSERT_GT(family.background, 0) << family.parent_log();
  const live::ExitStatus status = family.parent->wait_exit();
  EXPECT_EQ(status.signal, SIGABRT) << status.to_string();
  EXPECT_TRUE(wait_until([&] { return process_dead(family.child); }, kGoneWithin));
  EXPECT_TRUE(wait_until([&] { return process_dead(family.background); }, kGoneWithin));
  EXPECT_NE(family.parent_log().find("thrown out of main on purpose"), std::string::npos);
}

TEST(ChildCleanup, InstallIsIdempotent) {
  live::install_child_cleanup();
  live::install_child_cleanup();
  struct sigaction action {};
  ::sigaction(SIGTERM, nullptr, &action);
  EXPECT_NE(action.sa_handler, SIG_DFL);
}
