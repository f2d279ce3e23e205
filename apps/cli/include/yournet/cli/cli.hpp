#pragma once
// What every main (chainnode, chaintool, netsim, webapp) shares: parsing the command line with
// --help and exit 2 on bad usage, the log level by name, and stopping on SIGINT or SIGTERM.
#include <boost/program_options.hpp>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace boost::asio {
class io_context;
}

namespace yournet::cli {

namespace po = boost::program_options;

// Every CLI: 0 done (also after --help), 2 bad usage; what 1 means is each program's own.
constexpr int kExitOk = 0;
constexpr int kExitUsage = 2;

// How a program introduces itself: `name` starts each error line ("netsim shrink: ..."), `text`
// stands before the options in --help and in the help printed after a usage error (empty where
// the options' caption already says it, as netsim's do).
struct Usage {
  std::string name;
  std::string text;
};

// A word on the command line that is not an option: an option hidden from --help, filled from the
// words in order (`max_count` -1: all the words left).
struct Positional {
  const char* name;
  const po::value_semantic* value;  // owned from here on, as add_options() owns it
  int max_count;
};

struct Parsed {
  po::variables_map vars;
  // Set: main returns it at once (kExitOk after --help, kExitUsage after a bad option).
  std::optional<int> exit;
};

// Parses and notifies (options bound to variables are set). --help prints the usage and `options`
// on stdout; a bad option prints "NAME: what" then the usage and options on stderr.
Parsed parse_command_line(int argc, char** argv, const Usage& usage,
                          const po::options_description& options,
                          std::initializer_list<Positional> positionals = {});

// --max-connections N and --max-connections-per-client N of a listening server (chainnode, webapp),
// bound to these variables, whose values are the defaults shown; 0 is a usage error.
void add_connection_limit_options(po::options_description& options, std::size_t& max_connections,
                                  std::size_t& max_connections_per_client);

// "NAME: why", the usage and the options on stderr; returns kExitUsage.
int usage_error(const Usage& usage, const po::options_description& options, std::string_view why);

// spdlog's level by name (trace, debug, info, warn, error, critical or off); false after saying
// "PROGRAM: unknown --log-level NAME" on stderr.
bool set_log_level(std::string_view program, const std::string& name);

// Runs `stop` once, on the io_context's thread, when SIGINT or SIGTERM arrives (logged at info),
// for as long as this object lives.
class StopOnSignal {
 public:
  StopOnSignal(boost::asio::io_context& io, std::function<void()> stop);
  ~StopOnSignal();
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;

 private:
  struct Signals;  // Asio's signal_set, kept out of the mains that do not need Asio
  std::unique_ptr<Signals> signals_;
};

}  // namespace yournet::cli
