#pragma once
// Stand-ins for a Node's environment, shared by the node and store tests: a clock that stands
// still (its timers never fire), one that moves when told (firing its timers on the way), a miner
// that mines at once on the caller's thread, and a network where no peer ever answers.
#include <functional>
#include <map>
#include <string>

#include "yournet/node/environment.hpp"

namespace yournet::test {

class FixedClock : public Clock {
 public:
  double now() const override { return seconds; }
  void after(double, std::function<void()>) override {}
  double seconds = 1795527804.25;
};

class ManualClock : public Clock {
 public:
  double now() const override { return seconds; }
  void after(double delay, std::function<void()> fn) override {
    timers.emplace(seconds + delay, std::move(fn));  // equal times keep their order
  }
  // Moves the clock on by `by` seconds, running each timer due on the way at its own time, then
  // `after_each` (say, to deliver what it sent).
  void advance(double by, const std::function<void()>& after_each = nullptr) {
    const double until = seconds + by;
    while (!timers.empty() && timers.begin()->first <= until) {
      auto next = timers.begin();
      seconds = next->first;
      auto fn = std::move(next->second);
      timers.erase(next);
      fn();
      if (after_each) after_each();
    }
    seconds = until;
  }
  double seconds = 1795527804.25;
  std::multimap<double, std::function<void()>> timers;
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
