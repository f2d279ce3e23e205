// A parent for the tests of child_cleanup.hpp:
//   live_spawn_helper MODE READY_FILE -- PROGRAM ARGS...
// starts PROGRAM ARGS as a ChildProcess (output to child.log), waits until READY_FILE exists ("-":
// do not wait), writes the child's pid to child.pid (all in the working directory), then:
//   wait               install_child_cleanup(), then sleep until killed
//   wait-no-cleanup    sleep until killed, without install_child_cleanup()
//   wait-ignoring-hup  SIGHUP ignored, install_child_cleanup(), sleep until killed
//   exit               install_child_cleanup(), std::exit(0) (the ChildProcess is not destroyed)
//   throw              install_child_cleanup(), an exception out of main
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "yournet/live/child_cleanup.hpp"
#include "yournet/live/child_process.hpp"

namespace live = yournet::live;

int main(int argc, char** argv) {
  if (argc < 5 || std::string(argv[3]) != "--") {
    std::fprintf(stderr, "usage: %s MODE READY_FILE -- PROGRAM ARGS...\n", argv[0]);
    return 2;
  }
  const rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);  // the throw mode ends in SIGABRT
  const std::string mode = argv[1];
  const std::string ready = argv[2];
  if (mode == "wait-ignoring-hup") signal(SIGHUP, SIG_IGN);
  if (mode != "wait-no-cleanup") live::install_child_cleanup();

  live::ChildSpec spec;
  spec.argv.assign(argv + 4, argv + argc);
  spec.log_file = "child.log";
  live::ChildProcess child(spec);

  if (ready != "-") {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!std::filesystem::exists(ready)) {
      if (std::chrono::steady_clock::now() > deadline) {
        std::fprintf(stderr, "%s never appeared\n", ready.c_str());
        return 3;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  std::ofstream("child.pid.tmp") << child.pid() << "\n";
  std::filesystem::rename("child.pid.tmp", "child.pid");

  if (mode == "exit") std::exit(0);
  if (mode == "throw") throw std::runtime_error("thrown out of main on purpose");
  for (;;) pause();
}
