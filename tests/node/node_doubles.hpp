#pragma once
// Stand-ins for a Node's environment, shared by the node and store tests: a clock that stands
// still (its timers never fire), a miner that mines at once on the caller's thread, and a network
// where no peer ever answers.
#include <functional>
#include <string>

#include "yournet/node/environment.hpp"

namespace yournet::test {

class FixedClock : public Clock {
 public:
  double now() const override { return seconds; }
  void after(double, std::function<void()>) override {}
  double seconds = 1795527804.25;
};

class InlineMiner : public MiningService {
 public:
  void mine(MiningRequest request, std::function<void(MiningResult)> done) override {
    done(yournet::mine(request));
  }
};

class OfflineTransport : public Transport {
 public:
  void send(const std::string&, HttpRequest, ResponseCallback done) override {
    if (done) done(std::nullopt, "offline");
  }
};

}  // namespace yournet::test
