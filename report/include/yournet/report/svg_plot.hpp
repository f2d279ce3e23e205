#pragma once
// A small self-contained SVG line plot (no scripts, no external fonts or styles) for reports and
// benchmarks: linear or log-10 axes, several series, optional low/high bars per point.
#include <optional>
#include <string>
#include <vector>

namespace yournet::report {

struct PlotPoint {
  double x = 0;
  double y = 0;
  std::optional<double> y_low;  // e.g. p10; drawn as a bar with y_high
  std::optional<double> y_high;
};

struct PlotSeries {
  std::string name;
  std::string color;  // any SVG colour, e.g. "#1f77b4"
  std::vector<PlotPoint> points;
  bool dashed = false;
  bool markers = true;
  bool line = true;  // false: markers (and bars) only
};

struct Plot {
  std::string title;
  std::string subtitle;  // e.g. the machine load during the run
  std::string x_label;
  std::string y_label;
  bool log_x = false;
  bool log_y = false;
  std::vector<PlotSeries> series;
};

// The SVG document. Points with non-positive coordinates on a log axis are left out.
std::string render_svg(const Plot& plot);

}  // namespace yournet::report
