#include "yournet/report/svg_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "yournet/report/run_report.hpp"  // html_escape: one escaping rule for every page and plot we write

namespace yournet::report {
using sim::html_escape;
namespace {

constexpr double kWidth = 760;
constexpr double kHeight = 480;
constexpr double kLeft = 80;
constexpr double kRight = 200;  // room for the legend
constexpr double kTop = 60;
constexpr double kBottom = 60;

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// Tick label: 1e6 -> "1M", 0.001 -> "0.001", 250 -> "250".
std::string tick_label(double v) {
  char buf[32];
  double a = std::fabs(v);
  if (a >= 1e9) {
    std::snprintf(buf, sizeof buf, "%gG", v / 1e9);
  } else if (a >= 1e6) {
    std::snprintf(buf, sizeof buf, "%gM", v / 1e6);
  } else if (a >= 1e4) {
    std::snprintf(buf, sizeof buf, "%gk", v / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%g", v);
  }
  return buf;
}

struct Axis {
  bool log = false;
  double lo = 0;
  double hi = 1;
  double pixel_lo = 0;
  double pixel_hi = 1;

  double to_pixel(double v) const {
    double a = log ? std::log10(lo) : lo;
    double b = log ? std::log10(hi) : hi;
    double t = ((log ? std::log10(v) : v) - a) / (b - a);
    return pixel_lo + t * (pixel_hi - pixel_lo);
  }

  std::vector<double> ticks() const {
    std::vector<double> out;
    if (log) {
      for (double p = std::floor(std::log10(lo)); p <= std::ceil(std::log10(hi)); ++p) {
        double v = std::pow(10.0, p);
        if (v >= lo * 0.999 && v <= hi * 1.001) out.push_back(v);
      }
      return out;
    }
    double raw = (hi - lo) / 8;
    double step = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0, 10.0}) {
      if (step * m >= raw) {
        step *= m;
        break;
      }
    }
    for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
      out.push_back(std::fabs(v) < step * 1e-9 ? 0.0 : v);  // no "-0" from rounding
    }
    return out;
  }
};

// Range of the values, widened to whole decades (log) or a margin (linear).
Axis make_axis(std::vector<double> values, bool log, double pixel_lo, double pixel_hi) {
  Axis axis;
  axis.log = log;
  axis.pixel_lo = pixel_lo;
  axis.pixel_hi = pixel_hi;
  if (values.empty()) values = {1, 10};
  auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  axis.lo = *lo;
  axis.hi = *hi;
  if (log) {
    axis.lo = std::pow(10.0, std::floor(std::log10(axis.lo)));
    axis.hi = std::pow(10.0, std::ceil(std::log10(axis.hi)));
    if (axis.hi <= axis.lo) axis.hi = axis.lo * 10;
  } else {
    double margin = (axis.hi - axis.lo) * 0.05;
    if (margin == 0) margin = std::max(1.0, std::fabs(axis.hi) * 0.1);
    axis.lo -= margin;
    axis.hi += margin;
  }
  return axis;
}

bool drawable(double v, bool log) {
  return std::isfinite(v) && (!log || v > 0);
}

}  // namespace

std::string render_svg(const Plot& plot) {
  std::vector<double> xs;
  std::vector<double> ys;
  for (const auto& s : plot.series) {
    for (const auto& p : s.points) {
      if (!drawable(p.x, plot.log_x) || !drawable(p.y, plot.log_y)) continue;
      xs.push_back(p.x);
      ys.push_back(p.y);
      for (auto bound : {p.y_low, p.y_high}) {
        if (bound && drawable(*bound, plot.log_y)) ys.push_back(*bound);
      }
    }
  }
  const double plot_right = kWidth - kRight;
  const double plot_bottom = kHeight - kBottom;
  Axis x = make_axis(xs, plot.log_x, kLeft, plot_right);
  Axis y = make_axis(ys, plot.log_y, plot_bottom, kTop);

  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(kWidth) +
                    "\" height=\"" + num(kHeight) + "\" viewBox=\"0 0 " + num(kWidth) + " " +
                    num(kHeight) + "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += "<text x=\"" + num(kWidth / 2) + "\" y=\"22\" text-anchor=\"middle\" font-size=\"16\">" +
         html_escape(plot.title) + "</text>\n";
  if (!plot.subtitle.empty()) {
    svg += "<text x=\"" + num(kWidth / 2) + "\" y=\"40\" text-anchor=\"middle\" fill=\"#555\">" +
           html_escape(plot.subtitle) + "</text>\n";
  }
  // Grid and ticks.
  for (double v : x.ticks()) {
    double px = x.to_pixel(v);
    svg += "<line x1=\"" + num(px) + "\" y1=\"" + num(kTop) + "\" x2=\"" + num(px) + "\" y2=\"" +
           num(plot_bottom) + "\" stroke=\"#e5e5e5\"/>\n";
    svg += "<text x=\"" + num(px) + "\" y=\"" + num(plot_bottom + 16) +
           "\" text-anchor=\"middle\">" + tick_label(v) + "</text>\n";
  }
  for (double v : y.ticks()) {
    double py = y.to_pixel(v);
    svg += "<line x1=\"" + num(kLeft) + "\" y1=\"" + num(py) + "\" x2=\"" + num(plot_right) +
           "\" y2=\"" + num(py) + "\" stroke=\"#e5e5e5\"/>\n";
    svg += "<text x=\"" + num(kLeft - 6) + "\" y=\"" + num(py + 4) + "\" text-anchor=\"end\">" +
           tick_label(v) + "</text>\n";
  }
  svg += "<rect x=\"" + num(kLeft) + "\" y=\"" + num(kTop) + "\" width=\"" +
         num(plot_right - kLeft) + "\" height=\"" + num(plot_bottom - kTop) +
         "\" fill=\"none\" stroke=\"#333\"/>\n";
  svg += "<text x=\"" + num((kLeft + plot_right) / 2) + "\" y=\"" + num(kHeight - 16) +
         "\" text-anchor=\"middle\">" + html_escape(plot.x_label) + "</text>\n";
  svg += "<text transform=\"translate(18," + num((kTop + plot_bottom) / 2) +
         ") rotate(-90)\" text-anchor=\"middle\">" + html_escape(plot.y_label) + "</text>\n";

  // Series, then the legend.
  double legend_y = kTop + 10;
  for (const auto& s : plot.series) {
    std::string path;
    std::string marks;
    for (const auto& p : s.points) {
      if (!drawable(p.x, plot.log_x) || !drawable(p.y, plot.log_y)) continue;
      double px = x.to_pixel(p.x);
      double py = y.to_pixel(p.y);
      path += (path.empty() ? "M" : " L") + num(px) + "," + num(py);
      if (p.y_low && p.y_high && drawable(*p.y_low, plot.log_y) &&
          drawable(*p.y_high, plot.log_y)) {
        double lo = y.to_pixel(*p.y_low);
        double hi = y.to_pixel(*p.y_high);
        marks += "<path d=\"M" + num(px) + "," + num(lo) + " L" + num(px) + "," + num(hi) + " M" +
                 num(px - 4) + "," + num(lo) + " L" + num(px + 4) + "," + num(lo) + " M" +
                 num(px - 4) + "," + num(hi) + " L" + num(px + 4) + "," + num(hi) + "\" stroke=\"" +
                 s.color + "\" stroke-opacity=\"0.6\"/>\n";
      }
      if (s.markers) {
        marks += "<circle cx=\"" + num(px) + "\" cy=\"" + num(py) + "\" r=\"3.5\" fill=\"" +
                 s.color + "\"/>\n";
      }
    }
    if (!path.empty() && s.line) {
      svg += "<path d=\"" + path + "\" fill=\"none\" stroke=\"" + s.color +
             "\" stroke-width=\"2\"" + (s.dashed ? " stroke-dasharray=\"6,4\"" : "") + "/>\n";
    }
    svg += marks;
    svg += "<line x1=\"" + num(plot_right + 12) + "\" y1=\"" + num(legend_y) + "\" x2=\"" +
           num(plot_right + 36) + "\" y2=\"" + num(legend_y) + "\" stroke=\"" + s.color +
           "\" stroke-width=\"2\"" + (s.dashed ? " stroke-dasharray=\"6,4\"" : "") + "/>\n";
    svg += "<text x=\"" + num(plot_right + 42) + "\" y=\"" + num(legend_y + 4) + "\">" +
           html_escape(s.name) + "</text>\n";
    legend_y += 20;
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace yournet::report
