#include "apps/progress_line.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <algorithm>

namespace aistor::cli {

void ProgressLine::update(const ProgressUpdate& u) {
  if (!enabled_ || u.phase == nullptr) return;
  std::string text;
  if (u.preparing) {
    text = fmt::format("[{}/{}] {}: preparing", u.index + 1, u.total, u.phase->name);
  } else {
    double mbs = u.elapsed_s > 0 ? static_cast<double>(u.bytes) / u.elapsed_s / 1e6 : 0;
    double iops = u.elapsed_s > 0 ? static_cast<double>(u.ops) / u.elapsed_s : 0;
    std::string eta = "?";
    if (u.goal.duration_ns) {
      eta = fmt::format("{:.0f}s",
                        std::max(0.0, static_cast<double>(u.goal.duration_ns) / 1e9 - u.elapsed_s));
    } else if (u.goal.bytes && u.bytes) {
      double rest = static_cast<double>(u.goal.bytes - std::min(u.goal.bytes, u.bytes));
      eta = fmt::format("{:.0f}s", rest / (static_cast<double>(u.bytes) / u.elapsed_s));
    }
    text = fmt::format("[{}/{}] {}: {:.1f} MB/s  {:.0f} IOPS  ETA {}", u.index + 1, u.total,
                       u.phase->name, mbs, iops, eta);
  }
  fmt::print(out_, "\r\033[K{}", text.substr(0, 120));
  out_.flush();
  shown_ = true;
}

void ProgressLine::clear() {
  if (!shown_) return;
  fmt::print(out_, "\r\033[K");
  out_.flush();
  shown_ = false;
}

}  // namespace aistor::cli
