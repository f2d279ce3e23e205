// Chain validation against the Python reference, same run: a mined 10,000-block GET /chain body
// (scripts/validation_baseline.py make), validated
//   - whole process: `chaintool verify FILE` (start to exit; on the machine's threads, and on one
//     with --threads 1) against Python's in-process time, the measure;
//   - in process, for prefixes of 100 to all 10,001 blocks: ChainText::validate against the
//     reference's way in Python (json.loads, then per block json.dumps(sort_keys=True) + SHA-256 +
//     link check).
// Best of REPEAT runs each, interleaved with Python's, in wall time and in CPU time (user + system:
// what other load on a shared machine disturbs least). Writes validation.md and validation.svg.
//
// Usage: validation_bench --chaintool PATH --baseline scripts/validation_baseline.py
//                         --work DIR --report-dir DIR [--repeat N]
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_report.hpp"
#include "yournet/chain_text.hpp"

using namespace yournet;
namespace fs = std::filesystem;
using bench::fixed;
using bench::option;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

// The lines a command prints.
std::vector<std::string> output_of(const std::string& command) {
  std::vector<std::string> lines;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return lines;
  char buffer[4096];
  while (fgets(buffer, sizeof buffer, pipe)) lines.emplace_back(buffer);
  pclose(pipe);
  return lines;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

int main(int argc, char** argv) {
  const std::string chaintool = option(argc, argv, "chaintool", "chaintool");
  const std::string baseline = option(argc, argv, "baseline", "scripts/validation_baseline.py");
  const fs::path work = option(argc, argv, "work", "validation_bench");
  const fs::path report_dir = option(argc, argv, "report-dir", ".");
  const int repeat = std::stoi(option(argc, argv, "repeat", "5"));
  fs::create_directories(work);
  const fs::path full = work / "chain_10000.json";
  if (!fs::exists(full)) {
    std::cerr << "validation_bench: mining the 10,000-block chain in Python (about 20 s)\n";
    if (bench::run_process({"python3", baseline, "make", full.string()}).exit_status != 0) return 1;
  }
  const std::vector<int> lengths = {100, 300, 1000, 3000, 10001};
  std::map<int, fs::path> files;
  for (int length : lengths) {
    files[length] = length == 10001 ? full : work / ("chain_" + std::to_string(length) + ".json");
    if (!fs::exists(files[length]) &&
        bench::run_process({"python3", baseline, "prefix", full.string(), std::to_string(length),
                            files[length].string()})
                .exit_status != 0)
      return 1;
  }
  const std::string load_before = bench::load_average();

  // Wall and CPU seconds.
  struct Times {
    double wall = 1e9, cpu = 1e9;
    void keep_best(const Times& other) {
      wall = std::min(wall, other.wall);
      cpu = std::min(cpu, other.cpu);
    }
  };
  // Python, in process (best of REPEAT inside the script).
  auto python_seconds = [&](const fs::path& file) {
    for (const auto& line : output_of("REPEAT=" + std::to_string(repeat) + " python3 " + baseline +
                                      " time " + file.string())) {
      Json row = parse_json(line);
      return Times{row["seconds"].get<double>(), row["cpu_seconds"].get<double>()};
    }
    return Times{0, 0};
  };
  // Ours in process: ChainText validate, best of REPEAT.
  auto ours_seconds = [&](const std::string& text) {
    Times best;
    for (int i = 0; i < repeat; ++i) {
      const auto start = Clock::now();
      const double start_cpu = cpu_seconds();
      ChainText chain(text);
      auto verdict = chain.validate(ChainParams{});
      best.keep_best(Times{seconds_since(start), cpu_seconds() - start_cpu});
      if (!verdict) {
        std::cerr << "validation_bench: " << verdict.error().message() << "\n";
        std::exit(1);
      }
    }
    return best;
  };

  struct Row {
    int blocks;
    std::size_t bytes;
    Times ours, python;
  };
  std::vector<Row> rows;
  for (int length : lengths) {
    const std::string text = read_file(files[length]);
    const Times python = python_seconds(files[length]);
    rows.push_back(Row{length, text.size(), ours_seconds(text), python});
  }

  // The whole chaintool process against Python in process, interleaved: with chaintool's default
  // threads and on one. Which goes first alternates by round: the run right after Python's is
  // often slower (its freed memory), and should not always be the same one.
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  Times process_best, one_thread_best, python_best;
  for (int i = 0; i < repeat; ++i) {
    for (const bool one_thread : {i % 2 == 1, i % 2 == 0}) {
      std::vector<std::string> command = {chaintool, "verify", full.string()};
      if (one_thread) command.insert(command.end(), {"--threads", "1"});
      const bench::ProcessRun run = bench::run_process(command);
      if (run.exit_status != 0) {
        std::cerr << "validation_bench: chaintool verify failed\n";
        return 1;
      }
      const Times process{run.wall_s, run.cpu_s};
      (one_thread ? one_thread_best : process_best).keep_best(process);
    }
    python_best.keep_best(python_seconds(full));
  }
  const std::string load = "before: " + load_before + "; after: " + bench::load_average();

  std::ostringstream md;
  md << "# Chain validation against the Python reference\n\n"
     << "`bench/validation_bench` (`cmake --build build --target run_validation_bench`), Release "
        "build, best of "
     << repeat << " runs each, Python's runs interleaved with ours. Machine " << load
     << ": compare the ratios, not the absolute figures.\n\n"
     << "The chain: " << (rows.back().blocks - 1)
     << " blocks mined at 2 hex digits, two posts each, "
     << fixed(static_cast<double>(rows.back().bytes) / 1e6, 1)
     << " MB, written by `scripts/validation_baseline.py make` as the reference node's "
        "`json.dumps` writes a GET /chain body. Python validates it the reference's way in "
        "process: `json.loads`, then per block `json.dumps(block, sort_keys=True)` + SHA-256 + "
        "difficulty + link check.\n\n"
     << "## Whole process: `chaintool verify` against Python in process\n\n"
     << "`chaintool verify` as a user runs it (by default on up to the machine's " << threads
     << " hardware threads, a thread for each 4 MiB of chain at most, "
        "`ChainScanPlan::kMinPartBytes`; the verdict is the same for any count), and with "
        "`--threads 1`.\n\n"
     << "| time | chaintool verify, whole process (s) | Python, in process (s) | ratio |\n"
     << "|---|---|---|---|\n"
     << "| wall, default threads | " << fixed(process_best.wall, 4) << " | "
     << fixed(python_best.wall, 4) << " | **" << fixed(python_best.wall / process_best.wall, 1)
     << "x** |\n"
     << "| CPU (user + system), default threads | " << fixed(process_best.cpu, 4) << " | "
     << fixed(python_best.cpu, 4) << " | **" << fixed(python_best.cpu / process_best.cpu, 1)
     << "x** |\n"
     << "| wall, 1 thread | " << fixed(one_thread_best.wall, 4) << " | "
     << fixed(python_best.wall, 4) << " | **" << fixed(python_best.wall / one_thread_best.wall, 1)
     << "x** |\n"
     << "| CPU (user + system), 1 thread | " << fixed(one_thread_best.cpu, 4) << " | "
     << fixed(python_best.cpu, 4) << " | **" << fixed(python_best.cpu / one_thread_best.cpu, 1)
     << "x** |\n\n"
     << "## In process, by chain length\n\n"
     << "Ours: `ChainText(body).validate(params)` on one thread (every rule of `validate_chain`, "
        "duplicate posts across the chain included).\n\n"
     << "![validated blocks per second against chain length](validation.svg)\n\n"
     << "| blocks | bytes | ours (s) | Python (s) | ours blocks/s | Python blocks/s | ratio | CPU "
        "ratio |\n"
     << "|---|---|---|---|---|---|---|---|\n";
  bench::Plot plot;
  plot.title = "Chain validation: blocks per second against chain length";
  plot.subtitle = "in process, best of " + std::to_string(repeat) + "; load " + load;
  plot.x_label = "blocks in the chain";
  plot.y_label = "validated blocks per second";
  plot.log_x = true;
  plot.log_y = true;
  bench::PlotSeries ours{"ours (ChainText)", "#1f77b4", {}};
  bench::PlotSeries python{"Python reference", "#d62728", {}};
  for (const Row& row : rows) {
    const double ours_rate = row.blocks / row.ours.wall, python_rate = row.blocks / row.python.wall;
    md << "| " << row.blocks << " | " << row.bytes << " | " << fixed(row.ours.wall, 5) << " | "
       << fixed(row.python.wall, 5) << " | " << fixed(ours_rate, 0) << " | "
       << fixed(python_rate, 0) << " | **" << fixed(row.python.wall / row.ours.wall, 1) << "x** | "
       << fixed(row.python.cpu / row.ours.cpu, 1) << "x |\n";
    ours.points.push_back({static_cast<double>(row.blocks), ours_rate, {}, {}});
    python.points.push_back({static_cast<double>(row.blocks), python_rate, {}, {}});
  }
  plot.series = {ours, python};
  fs::create_directories(report_dir);
  std::ofstream(report_dir / "validation.md") << md.str();
  std::ofstream(report_dir / "validation.svg") << bench::render_svg(plot);
  std::cout << md.str();
  return 0;
}
