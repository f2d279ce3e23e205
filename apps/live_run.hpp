#pragma once
// netsim --transport http: a scenario's timeline played against real Nodes behind the real HTTP
// server and client (net/) on 127.0.0.1, in wall time. All nodes live in this one process, on one
// io_context and one thread (each with its own mining thread), so a run needs no orchestration,
// cleans up after itself, and its trace has one clock and one order; the bytes still cross real
// sockets, through the same HttpServer and HttpTransport a chainnode uses.
#include <optional>
#include <string>

#include "yournet/sim/simulation.hpp"

namespace yournet::sim {

struct LiveOptions {
  double time_scale = 1.0;  // wall seconds per simulated second
};

// Live nodes are at most this many: each has a listening socket and a mining thread.
constexpr int kMaxLiveNodes = 64;

// Why this scenario cannot run over real HTTP, naming the feature (a fault only the kernel could
// inject: latency, loss, partitions...), or nullopt when it can. Never run a scenario without its
// faults: a refusal is better than a pass that means nothing.
std::optional<std::string> live_refusal(const Scenario& scenario);

// Plays the scenario live; trace lines go to options.trace_sink (t_us is simulated time: wall time
// since the start divided by the time scale), progress to options.progress. The summary has the
// simulator's fields plus "transport": "http" and "time_scale". Throws std::runtime_error when the
// sockets cannot be set up.
RunResult run_live(const Scenario& scenario, const LiveOptions& live, const RunOptions& options);

}  // namespace yournet::sim
