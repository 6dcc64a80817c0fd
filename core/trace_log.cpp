#include "core/trace_log.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <numeric>

namespace aistor {

TraceLog::TraceLog(std::uint32_t stream, std::uint64_t origin_ns, std::size_t max_ops)
    : stream_(stream), origin_ns_(origin_ns), max_ops_(max_ops) {
  ops_.reserve(std::min<std::size_t>(max_ops_, 1u << 16));
  issued_.reserve(ops_.capacity());
}

std::uint32_t TraceLog::intern(std::string_view name) {
  auto [it, added] =
      index_.try_emplace(std::string(name), static_cast<std::uint32_t>(names_.size()));
  if (added) names_.emplace_back(name);
  return it->second;
}

void TraceLog::name_file(std::uint32_t id, std::string_view name) {
  if (current_.size() <= id) current_.resize(std::size_t{id} + 1, UINT32_MAX);
  current_[id] = intern(name);
}

void TraceLog::add(std::uint8_t op, std::uint32_t id, std::uint64_t offset, std::uint32_t length,
                   std::int64_t result, std::uint64_t submit_ns, std::uint64_t done_ns,
                   std::uint64_t issued) {
  if (ops_.size() >= max_ops_) {
    ++dropped_;
    return;
  }
  if (current_.size() <= id || current_[id] == UINT32_MAX)
    name_file(id, fmt::format("file-{}", id));  // a workload that did not name its file
  TraceOp t;
  t.start_ns = submit_ns > origin_ns_ ? submit_ns - origin_ns_ : 0;
  t.latency_ns = done_ns > submit_ns ? done_ns - submit_ns : 0;
  t.offset = offset;
  t.result = result;
  t.length = length;
  t.file = current_[id];
  t.stream = stream_;
  t.op = op;
  ops_.push_back(t);
  issued_.push_back(issued);
}

std::vector<TraceOp> TraceLog::issue_order() const {
  std::vector<std::size_t> order(ops_.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (ops_[a].start_ns != ops_[b].start_ns) return ops_[a].start_ns < ops_[b].start_ns;
    return issued_[a] < issued_[b];
  });
  std::vector<TraceOp> out;
  out.reserve(ops_.size());
  for (std::size_t i : order)
    out.push_back(ops_[i]);
  return out;
}

}  // namespace aistor
