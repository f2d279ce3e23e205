#include "yournet/net/asio_clock.hpp"

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>

namespace yournet::net {

double AsioClock::now() const {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

void AsioClock::after(double delay_seconds, std::function<void()> fn) {
  if (delay_seconds < 0) delay_seconds = 0;
  auto delay = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(delay_seconds));
  auto timer = std::make_shared<boost::asio::steady_timer>(io_, delay);
  timer->async_wait([timer, fn = std::move(fn)](const boost::system::error_code& ec) {
    if (!ec) fn();
  });
}

}  // namespace yournet::net
