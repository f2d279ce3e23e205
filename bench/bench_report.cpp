#include "bench_report.hpp"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <thread>

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

}  // namespace yournet::bench
