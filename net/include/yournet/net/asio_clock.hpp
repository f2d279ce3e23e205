#pragma once
// Clock on an io_context: wall-clock seconds for stamps, steady timers for delays.
#include <boost/asio/io_context.hpp>

#include "yournet/node/environment.hpp"

namespace yournet::net {

class AsioClock : public Clock {
 public:
  explicit AsioClock(boost::asio::io_context& io) : io_(io) {}
  double now() const override;
  void after(double delay_seconds, std::function<void()> fn) override;

 private:
  boost::asio::io_context& io_;
};

}  // namespace yournet::net
