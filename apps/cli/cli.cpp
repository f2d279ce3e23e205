// The mains' shared command-line pieces (yournet/cli/cli.hpp).
#include "yournet/cli/cli.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <iostream>

namespace yournet::cli {

Parsed parse_command_line(int argc, char** argv, const Usage& usage,
                          const po::options_description& options,
                          std::initializer_list<Positional> positionals) {
  po::options_description all;
  all.add(options);
  po::positional_options_description order;
  for (const auto& positional : positionals) {
    all.add_options()(positional.name, positional.value);
    order.add(positional.name, positional.max_count);
  }
  Parsed parsed;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(order).run(),
              parsed.vars);
    po::notify(parsed.vars);
  } catch (const po::error& e) {
    parsed.exit = usage_error(usage, options, e.what());
    return parsed;
  }
  if (parsed.vars.count("help")) {
    std::cout << usage.text << options;
    parsed.exit = kExitOk;
  }
  return parsed;
}

int usage_error(const Usage& usage, const po::options_description& options, std::string_view why) {
  std::cerr << usage.name << ": " << why << "\n" << usage.text << options;
  return kExitUsage;
}

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
