// The mains' shared log level and stop on SIGINT or SIGTERM (yournet/cli/cli.hpp).
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <iostream>

#include "yournet/cli/cli.hpp"

namespace yournet::cli {

bool set_log_level(std::string_view program, const std::string& name) {
  // from_str answers `off` for any name it does not know.
  const auto level = spdlog::level::from_str(name);
  if (level == spdlog::level::off && name != "off") {
    std::cerr << program << ": unknown --log-level " << name << "\n";
    return false;
  }
  spdlog::set_level(level);
  return true;
}

struct StopOnSignal::Signals {
  explicit Signals(boost::asio::io_context& io) : set(io, SIGINT, SIGTERM) {}
  boost::asio::signal_set set;
};

StopOnSignal::StopOnSignal(boost::asio::io_context& io, std::function<void()> stop)
    : signals_(std::make_unique<Signals>(io)) {
  signals_->set.async_wait(
      [stop = std::move(stop)](const boost::system::error_code& ec, int signal) {
        if (ec) return;  // cancelled: the program is stopping anyway
        spdlog::info("signal {}: stopping", signal);
        stop();
      });
}

StopOnSignal::~StopOnSignal() = default;

}  // namespace yournet::cli
