#pragma once
// A clock that runs ahead of (or behind) another by a fixed offset: a node whose system clock is
// off, for scenarios over real sockets. Only the stamps move; timers keep their delays.
#include <functional>
#include <utility>

#include "yournet/node/environment.hpp"

namespace yournet::net {

class OffsetClock : public Clock {
 public:
  OffsetClock(Clock& inner, double offset_seconds) : inner_(inner), offset_(offset_seconds) {}
  double now() const override { return inner_.now() + offset_; }
  void after(double delay_seconds, std::function<void()> fn) override {
    inner_.after(delay_seconds, std::move(fn));
  }
  double offset() const { return offset_; }

 private:
  Clock& inner_;
  double offset_;
};

}  // namespace yournet::net
