#include "bench_report.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <thread>

extern char** environ;

namespace yournet::bench {

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  double one = 0, five = 0, fifteen = 0;
  if (!(in >> one >> five >> fifteen)) return "load average unknown";
  char buf[128];
  std::snprintf(buf, sizeof buf, "load average %.2f, %.2f, %.2f on %u hardware threads", one, five,
                fifteen, std::thread::hardware_concurrency());
  return buf;
}

std::string take_report_dir(int argc, char** argv, std::vector<char*>& rest) {
  std::string report_dir;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--report-dir=", 13) == 0) {
      report_dir = argv[i] + 13;
    } else {
      rest.push_back(argv[i]);
    }
  }
  return report_dir;
}

namespace {

double seconds(const timeval& time) {
  return static_cast<double>(time.tv_sec) + static_cast<double>(time.tv_usec) * 1e-6;
}

}  // namespace

ProcessRun run_process(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  ProcessRun result;
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = 0;
  if (posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ) == 0) {
    int status = -1;
    rusage usage{};
    wait4(pid, &status, 0, &usage);
    result.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    result.cpu_s = seconds(usage.ru_utime) + seconds(usage.ru_stime);
    result.peak_resident_kb = usage.ru_maxrss;
    if (WIFEXITED(status)) result.exit_status = WEXITSTATUS(status);
  }
  posix_spawn_file_actions_destroy(&actions);
  return result;
}

std::string option(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == "--" + name) return argv[i + 1];
  }
  return fallback;
}

std::string fixed(double value, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, value);
  return buffer;
}

}  // namespace yournet::bench
