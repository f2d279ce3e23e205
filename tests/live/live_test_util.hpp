#pragma once
// Helpers for the live/ tests: a temporary directory, reading files, bounded polling and telling
// whether a pid still runs.
#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>

namespace live_test {

// A fresh directory, removed with its contents at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "yournet-live-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    // Canonical, so that it compares equal to what a child's pwd prints.
    path_ = std::filesystem::canonical(pattern);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Polls `done` every 2 ms until it holds (true) or `timeout` has passed (false).
inline bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

// The pid read from a file that a process writes once (empty file or none: 0).
inline pid_t read_pid(const std::filesystem::path& path) {
  std::ifstream in(path);
  long pid = 0;
  in >> pid;
  return static_cast<pid_t>(pid);
}

// Waits up to 10 s for a pid file to be complete.
inline pid_t wait_for_pid_file(const std::filesystem::path& path) {
  pid_t pid = 0;
  wait_until(
      [&] {
        pid = read_pid(path);
        return pid > 0 && read_file(path).find('\n') != std::string::npos;
      },
      std::chrono::seconds(10));
  return pid;
}

// Whether `pid` no longer runs: no such process, or a zombie (dead, waiting for a parent that is
// not us, or for an init that does not reap, to collect it).
inline bool process_dead(pid_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (stat.empty()) return true;
  const auto paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return true;
  const char state = stat[paren + 2];
  return state == 'Z' || state == 'X';
}

}  // namespace live_test
