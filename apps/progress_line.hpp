#pragma once
// The live line on a terminal: phase, MB/s, IOPS, ETA — redrawn in place, erased when done.
#include <ostream>

#include "workloads/runner/runner.hpp"

namespace aistor::cli {

class ProgressLine {
 public:
  ProgressLine(std::ostream& out, bool enabled) : out_(out), enabled_(enabled) {}
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  ~ProgressLine() { clear(); }

  void update(const ProgressUpdate& u);
  void clear();

 private:
  std::ostream& out_;
  bool enabled_;
  bool shown_ = false;
};

}  // namespace aistor::cli
