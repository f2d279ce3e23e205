// The mains' shared command-line parsing (yournet/cli/cli.hpp). Kept apart from the log level and
// signals (log_and_signals.cpp) so that a main needing neither (chaintool) links no spdlog or Asio.
#include "yournet/cli/cli.hpp"

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

void add_connection_limit_options(po::options_description& options, std::size_t& max_connections,
                                  std::size_t& max_connections_per_client) {
  auto positive = [](const char* name) {
    return [name](std::size_t value) {
      if (value == 0) throw po::error(std::string("--") + name + " must be positive");
    };
  };
  options.add_options()("max-connections",
                        po::value(&max_connections)
                            ->default_value(max_connections)
                            ->value_name("N")
                            ->notifier(positive("max-connections")),
                        "open connections at most; past it the one idle longest is closed to "
                        "make room")(
      "max-connections-per-client",
      po::value(&max_connections_per_client)
          ->default_value(max_connections_per_client)
          ->value_name("N")
          ->notifier(positive("max-connections-per-client")),
      "open connections of one client IP address at most; past it a new one is closed at once");
}

int usage_error(const Usage& usage, const po::options_description& options, std::string_view why) {
  std::cerr << usage.name << ": " << why << "\n" << usage.text << options;
  return kExitUsage;
}

}  // namespace yournet::cli
