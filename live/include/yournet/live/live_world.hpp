#pragma once
// The live worlds: a scenario played over real TCP on 127.0.0.1 in wall time (`time_scale` wall
// seconds per scenario second). Every node's outgoing peer traffic goes through a forward proxy
// of its own, run here, which applies the scenario's link model (latency, bandwidth, loss,
// duplication, reordering, partitions, cuts) in user space: kernel netem is not needed, and
// any node that honours an HTTP proxy setting can be put under faults.
//   http:    every node is a Node in this process behind its own HttpServer, state in SQLite.
//   process: every honest node is a chainnode process (SIGKILLed on crash, restarted from its
//            --data); a node group with "command" is a foreign program; adversaries stay here.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "yournet/sim/runner.hpp"
#include "yournet/sim/world.hpp"

namespace yournet::live {

enum class Hosting { in_process, processes };

struct LiveOptions {
  Hosting hosting = Hosting::in_process;
  double time_scale = 1.0;          // wall seconds per scenario second
  std::filesystem::path run_dir;    // node stores (and, for processes, their --data folders)
  std::filesystem::path log_dir;    // each process node's log
  std::filesystem::path chainnode;  // the chainnode program, for Hosting::processes
};

// Live nodes are at most this many: each has a listening socket, a proxy and maybe a process.
constexpr int kMaxLiveNodes = 64;

// Why this scenario cannot run in this live world (naming the node or field), or nullopt.
std::optional<std::string> live_refusal(const sim::Scenario& scenario, const LiveOptions& options);

// Plays the scenario live through the one runner. Throws std::runtime_error when the sockets or
// processes cannot be set up.
sim::RunResult run_live(const sim::Scenario& scenario, const LiveOptions& options,
                        const sim::RunOptions& run_options);

}  // namespace yournet::live
