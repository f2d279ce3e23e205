#pragma once
// What netsim's commands (run, sweep, shrink, merge) share: exit codes, the progress line, reading
// and writing files, and one run with its report.
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>

#include "yournet/cli/cli.hpp"
#include "yournet/json.hpp"
#include "yournet/live/live_world.hpp"
#include "yournet/sim/swarm.hpp"

namespace yournet::netsim {

namespace fs = std::filesystem;
namespace po = boost::program_options;

constexpr int kExitPass = cli::kExitOk, kExitFail = 1, kExitUsage = cli::kExitUsage;

using WallClock = std::chrono::steady_clock;
inline double seconds_since(WallClock::time_point start) {
  return std::chrono::duration<double>(WallClock::now() - start).count();
}

// The path as a shell word, so a printed replay command can be pasted as is.
std::string shell_word(const std::string& text);
std::string fixed(double value, int decimals);

// One progress line on stderr, rewritten in place; only when stderr is a terminal.
class ProgressLine {
 public:
  explicit ProgressLine(bool enabled) : enabled_(enabled && isatty(STDERR_FILENO) != 0) {}
  ~ProgressLine() { clear(); }
  bool enabled() const { return enabled_; }
  void show(const std::string& text) {
    if (!enabled_) return;
    auto now = WallClock::now();
    if (now - created_ < std::chrono::milliseconds(500)) return;  // short runs: no flicker
    if (shown_ && now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    shown_ = true;
    std::fprintf(stderr, "\r\033[K%s", text.c_str());
    std::fflush(stderr);
  }
  void clear() {
    if (!enabled_ || !shown_) return;
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    shown_ = false;
  }

 private:
  bool enabled_;
  bool shown_ = false;
  WallClock::time_point created_ = WallClock::now();
  WallClock::time_point last_{};
};

struct Invocation {
  std::string scenario_path;
  fs::path out;
  bool quiet = false;
  bool check_determinism = false;
  bool live = false;
  live::Hosting hosting = live::Hosting::in_process;
  double time_scale = 1.0;
  fs::path chainnode;
  unsigned threads = 1;  // a simulated run's (RunOptions::threads)
};

// One run of the scenario (`drawn`: a swarm scenario's draw, recorded in summary.json) with its
// trace, summary and report in how.out; returns the exit code.
int run_single(const sim::Scenario& scenario, const Json& drawn, const Invocation& how);

// The file as JSON; nullopt (after saying why on stderr) when it cannot be read.
std::optional<Json> read_json_file(const std::string& path);
// The same for a scenario file, refused past sim::kMaxScenarioFileBytes (max_file_bytes).
std::optional<Json> read_scenario_file(const std::string& path);
// Writes `json` to DIR/NAME; false (after saying so) when it cannot.
bool write_json(const fs::path& dir, const char* name, const Json& json);
// The command line's scenario file ("scenario") as JSON, which a sweep draws every seed from, and
// drawn for "seed" when given (else the file's own seed); nullopt after saying why.
struct ScenarioFile {
  Json file;
  sim::DrawnScenario drawn;
};
std::optional<ScenarioFile> load_scenario_for_seed(const po::variables_map& vm);
// Foreign nodes ("command") run only live: true (after naming the node) when there is one.
bool refuse_foreign_nodes(const sim::Scenario& scenario, const std::string& path);
// The first failing seeds of a sweep.json, as a sweep or a merge prints them.
void print_failures(const Json& sweep, const fs::path& file);

// The subcommands: argv[0] is the subcommand's name.
int shrink_main(int argc, char** argv);
int merge_main(int argc, char** argv);

}  // namespace yournet::netsim
