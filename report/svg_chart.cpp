#include "report/svg_chart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace aistor {
namespace {

constexpr double kWidth = 1040, kLeft = 72, kRight = 330, kTop = 12, kBottom = 44;
constexpr double kSmallWidth = 340, kSmallHeight = 190;
constexpr const char* kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

const char* colour(std::size_t i) {
  return kPalette[i % std::size(kPalette)];
}

// Maps data values onto [from, to] pixels, linearly or by log10.
struct Scale {
  double lo, hi, from, to;
  bool log;

  [[nodiscard]] double operator()(double v) const {
    const double a = log ? std::log10(lo) : lo, b = log ? std::log10(hi) : hi;
    const double x = log ? std::log10(v) : v;
    return b == a ? (from + to) / 2 : from + (x - a) / (b - a) * (to - from);
  }
};

// A legend entry short enough for the space beside the plot (the whole name is the mark's title).
std::string legend(const std::string& name) {
  return name.size() <= 52 ? name : name.substr(0, 50) + "…";
}

std::string number(double v) {
  if (v == 0) return "0";
  const double a = std::abs(v);
  if (a >= 1e9) return fmt::format("{:g}G", v / 1e9);
  if (a >= 1e6) return fmt::format("{:g}M", v / 1e6);
  if (a >= 1e4) return fmt::format("{:g}k", v / 1e3);
  return fmt::format("{:g}", v);
}

// About five round ticks over [lo, hi]; powers of ten on a log axis.
std::vector<std::pair<double, std::string>> ticks_for(double lo, double hi, bool log) {
  std::vector<std::pair<double, std::string>> out;
  if (log) {
    // Powers of ten, and 2 and 5 times them when the range spans less than three decades.
    const bool fine = hi / lo < 1000;
    for (double p = std::pow(10, std::floor(std::log10(lo))); p <= hi * 1.0001; p *= 10) {
      for (double m : {1.0, 2.0, 5.0}) {
        if (m > 1 && !fine) continue;
        if (p * m >= lo * 0.9999 && p * m <= hi * 1.0001) out.emplace_back(p * m, number(p * m));
      }
    }
    if (out.size() < 2) out = {{lo, number(lo)}, {hi, number(hi)}};
    return out;
  }
  const double raw = (hi - lo) / 5;
  const double mag = std::pow(10, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * mag;
    if (step >= raw) break;
  }
  for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    out.emplace_back(v, number(std::abs(v) < step * 1e-9 ? 0 : v));
  return out;
}

// The data range of an axis: for a linear axis from 0 (throughput, bars) unless data go below.
std::pair<double, double> range(const std::vector<double>& values, bool log, bool from_zero) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (double v : values) {
    if (log && v <= 0) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (!(lo <= hi)) return {1, 10};
  if (!log && from_zero) lo = std::min(lo, 0.0);
  if (lo == hi) {
    if (log) return {lo / 2, hi * 2};
    return {lo - 1, hi + 1};
  }
  if (log) return {lo, hi};
  return {lo, hi + (hi - lo) * 0.05};
}

std::string open_svg(double height, double width = kWidth) {
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} "
      "{1}\" font-family=\"sans-serif\" font-size=\"11\">\n",
      width, height);
}

std::string y_axis(const Scale& y, const Axis& axis, double x0, double x1) {
  std::string s;
  const auto ticks = axis.ticks.empty() ? ticks_for(y.lo, y.hi, y.log) : axis.ticks;
  for (const auto& [v, text] : ticks) {
    if (v < y.lo || v > y.hi) continue;
    s += fmt::format(
        "<line x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#ddd\"/>"
        "<text x=\"{3:.1f}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>\n",
        x0, x1, y(v), x0 - 4, y(v) + 4, escape_xml(text));
  }
  s += fmt::format(
      "<text transform=\"translate(14,{:.1f}) rotate(-90)\" text-anchor=\"middle\">{}</text>\n",
      (y.from + y.to) / 2, escape_xml(axis.label));
  return s;
}

std::string x_axis(const Scale& x, const Axis& axis, double y0, double y1) {
  std::string s;
  const auto ticks = axis.ticks.empty() ? ticks_for(x.lo, x.hi, x.log) : axis.ticks;
  for (const auto& [v, text] : ticks) {
    if (v < x.lo || v > x.hi) continue;
    s += fmt::format(
        "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\" stroke=\"#ddd\"/>"
        "<text x=\"{0:.1f}\" y=\"{3:.1f}\" text-anchor=\"middle\">{4}</text>\n",
        x(v), y0, y1, y1 + 14, escape_xml(text));
  }
  s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n",
                   (x.from + x.to) / 2, y1 + 32, escape_xml(axis.label));
  return s;
}

// Entry i of the key beside the plot: a colour swatch and the (shortened) name.
std::string key_entry(std::size_t i, const std::string& name, double x1, double y0) {
  const double top = y0 + 16.0 * static_cast<double>(i);
  return fmt::format(
      "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"10\" height=\"10\" fill=\"{}\"/>"
      "<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n",
      x1 + 10, top, colour(i), x1 + 24, top + 9, escape_xml(legend(name)));
}

std::string frame(double x0, double x1, double y0, double y1) {
  return fmt::format(
      "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"none\" "
      "stroke=\"#999\"/>\n",
      x0, y0, x1 - x0, y1 - y0);
}

}  // namespace

std::string escape_xml(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

// The page's full width with a key beside the plot, or a small multiple without one.
struct LineLayout {
  double width, height, right;
  bool key;
};

Chart lines(const std::vector<Series>& series, const Axis& x_axis_spec, const Axis& y_spec,
            const LineLayout& l);

}  // namespace

Chart line_chart(const std::vector<Series>& series, const Axis& x, const Axis& y) {
  const double height = std::max(260.0, kTop + kBottom + 16.0 * static_cast<double>(series.size()));
  return lines(series, x, y, {kWidth, height, kRight, true});
}

Chart small_line_chart(const Series& series, const Axis& x, const Axis& y) {
  return lines({series}, x, y, {kSmallWidth, kSmallHeight, 14, false});
}

namespace {

Chart lines(const std::vector<Series>& series, const Axis& x_axis_spec, const Axis& y_spec,
            const LineLayout& l) {
  const double height = l.height;
  std::vector<double> xs, ys;
  for (const auto& s : series) {
    for (const auto& [x, y] : s.points) {
      if ((x_axis_spec.log && x <= 0) || (y_spec.log && y <= 0)) continue;
      xs.push_back(x);
      ys.push_back(y);
    }
  }
  const auto [x_lo, x_hi] = range(xs, x_axis_spec.log, true);
  const auto [y_lo, y_hi] = range(ys, y_spec.log, true);
  const double x0 = kLeft, x1 = l.width - l.right, y0 = kTop, y1 = height - kBottom;
  const Scale x{x_lo, x_hi, x0, x1, x_axis_spec.log}, y{y_lo, y_hi, y1, y0, y_spec.log};
  Chart chart;
  chart.svg = open_svg(height, l.width) + frame(x0, x1, y0, y1) + y_axis(y, y_spec, x0, x1) +
              x_axis(x, x_axis_spec, y0, y1);
  for (std::size_t i = 0; i < series.size(); ++i) {
    std::string d, dots;
    for (std::size_t k = 0; k < series[i].points.size(); ++k) {
      const auto [px, py] = series[i].points[k];
      if ((x.log && px <= 0) || (y.log && py <= 0)) continue;
      d += fmt::format("{}{:.1f},{:.1f}", d.empty() ? "M" : " L", x(px), y(py));
      const std::string dot = fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"{}\"/>", x(px),
                                          y(py), series[i].dots_only ? 5 : 2.5);
      if (k < series[i].links.size()) {
        dots += fmt::format("<a href=\"{}\">{}</a>", escape_xml(series[i].links[k]), dot);
      } else if (series[i].points.size() <= 40 || series[i].dots_only) {
        dots += dot;
      }
    }
    if (d.empty()) continue;
    const std::string path =
        series[i].dots_only
            ? std::string()
            : fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\"/>", d,
                          colour(i));
    chart.svg += fmt::format("<g class=\"mark\" fill=\"{}\"><title>{}</title>{}{}</g>\n", colour(i),
                             escape_xml(series[i].name), path, dots);
    if (l.key) chart.svg += key_entry(i, series[i].name, x1, y0);
    ++chart.marks;
  }
  chart.svg += "</svg>\n";
  return chart;
}

}  // namespace

Chart bar_chart(const std::vector<Bar>& bars, const Axis& y_spec) {
  const double height = 300;
  std::vector<double> ys;
  for (const auto& b : bars) {
    ys.push_back(b.value);
    if (b.high > b.low) ys.push_back(b.high);
  }
  const auto [y_lo, y_hi] = range(ys, false, true);
  const double x0 = kLeft, x1 = kWidth - kRight, y0 = kTop, y1 = height - kBottom;
  const Scale y{y_lo, y_hi, y1, y0, false};
  Chart chart;
  chart.svg = open_svg(height) + frame(x0, x1, y0, y1) + y_axis(y, y_spec, x0, x1);
  const double slot = (x1 - x0) / static_cast<double>(std::max<std::size_t>(bars.size(), 1));
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const auto& b = bars[i];
    const double left = x0 + slot * static_cast<double>(i) + slot * 0.15, w = slot * 0.7;
    const double top = std::min(y(b.value), y(0)), h = std::abs(y(0) - y(b.value));
    chart.svg += fmt::format(
        "<rect class=\"mark\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
        "fill=\"{}\"><title>{}: {}</title></rect>\n",
        left, top, w, h, colour(i), escape_xml(b.label), number(b.value));
    if (b.high > b.low) {
      const double mid = left + w / 2;
      chart.svg += fmt::format(
          "<path d=\"M{0:.1f},{1:.1f} L{0:.1f},{2:.1f} M{3:.1f},{1:.1f} L{4:.1f},{1:.1f} "
          "M{3:.1f},{2:.1f} L{4:.1f},{2:.1f}\" stroke=\"#333\"/>\n",
          mid, y(b.low), y(b.high), mid - 5, mid + 5);
    }
    // The label beside the plot, keyed by colour: cell names are too long to fit under a bar.
    chart.svg += key_entry(i, b.label, x1, y0);
    ++chart.marks;
  }
  chart.svg += "</svg>\n";
  return chart;
}

Chart span_chart(const std::vector<Span>& spans, const Axis& x_spec) {
  const double row = 14;
  const double height =
      kTop + kBottom + row * static_cast<double>(std::max<std::size_t>(spans.size(), 1));
  std::vector<double> xs;
  for (const auto& s : spans) {
    xs.push_back(s.start);
    xs.push_back(s.end);
  }
  const auto [x_lo, x_hi] = range(xs, false, true);
  const double x0 = kLeft, x1 = kWidth - kRight, y0 = kTop, y1 = height - kBottom;
  const Scale x{x_lo, x_hi, x0, x1, false};
  Chart chart;
  chart.svg = open_svg(height) + frame(x0, x1, y0, y1) + x_axis(x, x_spec, y0, y1);
  for (std::size_t i = 0; i < spans.size(); ++i) {
    const auto& s = spans[i];
    const double top = y0 + row * static_cast<double>(i) + 2;
    chart.svg += fmt::format(
        "<g class=\"mark\"><title>{0}</title><rect x=\"{1:.1f}\" y=\"{2:.1f}\" width=\"{3:.1f}\" "
        "height=\"{4:.1f}\" fill=\"{5}\"/><path d=\"M{6:.1f},{2:.1f} L{6:.1f},{7:.1f}\" "
        "stroke=\"#000\" stroke-width=\"2\"/></g>"
        "<text x=\"{8:.1f}\" y=\"{9:.1f}\" text-anchor=\"end\">{0}</text>\n",
        escape_xml(s.label), x(s.start), top, std::max(1.0, x(s.end) - x(s.start)), row - 4,
        colour(0), x(s.mark), top + row - 4, x0 - 4, top + row - 5);
    ++chart.marks;
  }
  chart.svg += "</svg>\n";
  return chart;
}

}  // namespace aistor
