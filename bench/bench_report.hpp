#pragma once
// What the benchmark runners share: the plot writer (report/svg_plot), the machine's load average
// (printed beside every figure) and the --report-dir=DIR option.
#include <string>
#include <vector>

#include "yournet/report/svg_plot.hpp"

namespace yournet::bench {

using report::Plot;
using report::PlotPoint;
using report::PlotSeries;
using report::render_svg;

// The machine's load average; --report-dir=DIR taken out of argv before Google Benchmark sees it.
std::string load_average();
std::string take_report_dir(int argc, char** argv, std::vector<char*>& rest);

// What one run of another program cost, measured from outside (start to exit).
struct ProcessRun {
  int exit_status = -1;  // -1: could not start, or killed by a signal
  double wall_s = 0;
  double cpu_s = 0;  // user + system
  long peak_resident_kb = 0;
};

// Runs args[0] (searched in PATH) to completion with its standard output to /dev/null.
ProcessRun run_process(const std::vector<std::string>& args);

// "--name VALUE" from argv, or `fallback`.
std::string option(int argc, char** argv, const std::string& name, const std::string& fallback);

// printf("%.*f").
std::string fixed(double value, int digits);

}  // namespace yournet::bench
