#pragma once
// Charts drawn as inline SVG, with no script and nothing fetched: lines over an x axis, bars
// with a low-high whisker, and spans (a start-to-end bar with a mark inside, for storm clients).
// Every data mark carries class "mark", so a reader (or a test) can count what was drawn.
#include <string>
#include <utility>
#include <vector>

namespace aistor {

struct Axis {
  std::string label;
  bool log = false;  // log10; values <= 0 are left out
  // Ticks as (value, text); empty: about five round values over the data's range.
  std::vector<std::pair<double, std::string>> ticks;
};

struct Series {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y)
  bool dots_only = false;                         // points marked, not joined (events on a trend)
  std::vector<std::string> links;                 // a link for each point (its dot), or none
};

struct Bar {
  std::string label;
  double value = 0;
  double low = 0, high = 0;  // a whisker from low to high when high > low
};

struct Span {
  std::string label;
  double start = 0, mark = 0, end = 0;
};

struct Chart {
  std::string svg;
  std::size_t marks = 0;  // data marks drawn: a series, a bar or a span each
};

// HTML/XML text with & < > " escaped.
[[nodiscard]] std::string escape_xml(const std::string& text);

[[nodiscard]] Chart line_chart(const std::vector<Series>& series, const Axis& x, const Axis& y);
// One series in a third of the page's width, without a key (its figure's caption names it): the
// small multiples of a report's phases.
[[nodiscard]] Chart small_line_chart(const Series& series, const Axis& x, const Axis& y);
[[nodiscard]] Chart bar_chart(const std::vector<Bar>& bars, const Axis& y);
[[nodiscard]] Chart span_chart(const std::vector<Span>& spans, const Axis& x);

}  // namespace aistor
