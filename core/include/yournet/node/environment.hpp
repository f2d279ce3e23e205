#pragma once
// What a Node may use of the world: a transport to peers, a clock with timers, and a miner. The
// live node implements them with HTTP, the system clock and worker threads; the simulator with its
// in-memory network, virtual clock and deterministic mining.
#include <functional>

#include "yournet/http_message.hpp"
#include "yournet/pow.hpp"
#include "yournet/transport.hpp"

namespace yournet {

class Clock {
 public:
  virtual ~Clock() = default;
  // Unix seconds, as Python's time.time() (the reference stamps posts and blocks with it).
  virtual double now() const = 0;
  // Runs `fn` on the node's thread after `delay_seconds`.
  virtual void after(double delay_seconds, std::function<void()> fn) = 0;
};

class MiningService {
 public:
  virtual ~MiningService() = default;
  // Mines and calls back on the node's thread; the live node mines on a worker, never blocking.
  virtual void mine(MiningRequest request, std::function<void(MiningResult)> done) = 0;
};

}  // namespace yournet
