#pragma once
// The frame every aistor HTML page shares (the report, the history): one self-contained page,
// styles inline, nothing fetched, and a self-check that counts each chart's marks the browser laid
// out with a size (data-drawn beside data-marks on every figure.chart), which
// tests/html_in_chromium.py reads.
#include <string>
#include <string_view>

namespace aistor {

// <!DOCTYPE html> ... <body><h1>title</h1>, with the shared styles and `extra_style`.
[[nodiscard]] std::string html_page_open(std::string_view title, std::string_view extra_style);
// The self-check script and the closing tags.
[[nodiscard]] std::string html_page_close();

}  // namespace aistor
