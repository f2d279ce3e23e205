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

}  // namespace yournet::bench
