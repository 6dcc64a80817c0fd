#include "report/html_page.hpp"

#include <fmt/format.h>

#include "report/svg_chart.hpp"

namespace aistor {
namespace {

constexpr const char* kStyle =
    R"(body{font-family:sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:32px}
h3{font-size:15px;margin:18px 0 6px}.meta{color:#555;font-size:13px}
table{border-collapse:collapse;font-size:12px;margin:6px 0 14px}
th,td{border:1px solid #ddd;padding:3px 7px;white-space:nowrap}th{background:#f3f3f3}
td.n{text-align:right;font-variant-numeric:tabular-nums}
figure.chart{margin:10px 0 18px}figcaption{font-size:13px;font-weight:bold;margin-bottom:4px}
)";

constexpr const char* kSelfCheck = R"(for (const f of document.querySelectorAll('figure.chart')) {
  let n = 0;
  for (const m of f.querySelectorAll('.mark')) { const b = m.getBBox(); if (b.width > 0 || b.height > 0) n++; }
  f.dataset.drawn = n;
})";

}  // namespace

std::string html_page_open(std::string_view title, std::string_view extra_style) {
  const std::string t = escape_xml(std::string(title));
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\n"
      "<style>{}{}</style></head><body>\n<h1>{}</h1>\n",
      t, kStyle, extra_style, t);
}

std::string html_page_close() {
  return fmt::format("<script>\n{}\n</script>\n</body></html>\n", kSelfCheck);
}

}  // namespace aistor
