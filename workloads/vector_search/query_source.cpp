#include "workloads/vector_search/query_source.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/clock.hpp"
#include "core/error.hpp"

namespace aistor {

QuerySource::QuerySource(const QueryPlan& plan, unsigned slots, VsTallies& tallies)
    : plan_(plan), t_(tallies) {
  slots_.reserve(slots);
  for (unsigned i = 0; i < slots; ++i)
    slots_.emplace_back(*plan_.index, plan_.beam);
}

void QuerySource::begin() {
  for (auto& s : slots_)
    start(s);
}

void QuerySource::start(Slot& s) {
  const std::uint64_t q = plan_.issued->fetch_add(1, std::memory_order_relaxed);
  if (plan_.limit != 0 && q >= plan_.limit) {
    s.active = false;
    return;
  }
  const std::uint32_t dim = plan_.index->header().dim;
  s.active = true;
  s.query = q;
  s.start_ns = now_ns();
  s.io_ns = 0;
  s.failed = false;
  s.search.start(std::span<const float>(&(*plan_.queries)[(q % plan_.pool) * dim], dim));
  advance(s);
}

// Plans the slot's next hop, or ends its query (and starts the next) when there is none.
void QuerySource::advance(Slot& s) {
  s.handed = 0;
  s.arrived = 0;
  if (!s.search.next_hop(s.reads)) {
    finish(s);
    start(s);
    return;
  }
  s.issued_ns.assign(s.reads.size(), 0);
}

void QuerySource::finish(Slot& s) {
  const std::uint64_t ns = now_ns() - s.start_ns;
  t_.latency.record(ns);
  t_.latency_ns += ns;
  t_.io_ns += s.io_ns;
  t_.hops.record(s.search.hops());
  t_.hops_total += s.search.hops();
  t_.reads += s.search.reads();
  t_.cache_hits += s.search.cache_hits();
  t_.bytes += std::uint64_t{s.search.reads()} * plan_.index->header().read_bytes();
  ++t_.queries;
  if (plan_.ground_truth != nullptr && s.query < plan_.ground_truth->size()) {
    const auto& truth = (*plan_.ground_truth)[s.query];
    const auto got = s.search.results();
    std::uint64_t hits = 0;
    for (const std::uint32_t id : got)
      hits += static_cast<std::uint64_t>(std::find(truth.begin(), truth.end(), id) != truth.end());
    ++t_.recall_queries;
    t_.recall_hits += hits;
  }
}

bool QuerySource::next(IoRequest& r) {
  for (std::size_t n = 0; n < slots_.size(); ++n) {
    const std::size_t i = (cursor_ + n) % slots_.size();
    Slot& s = slots_[i];
    if (!s.active || s.handed == s.reads.size()) continue;
    const std::size_t k = s.handed++;
    const std::uint32_t id = s.reads[k];
    const std::uint64_t now = now_ns();
    if (k == 0) s.hop_ns = now;
    s.issued_ns[k] = now;
    const auto& h = plan_.index->header();
    r.op = Op::read;
    r.file = plan_.file;
    r.offset = h.read_offset(id);
    r.length = h.read_bytes();
    r.tag = (std::uint64_t{i} << 32) | k;
    ++in_flight_;
    cursor_ = i;  // stay on this query until its hop is handed out
    return true;
  }
  return false;
}

void QuerySource::completed(const IoRequest& r, std::int64_t res) {
  --in_flight_;
  Slot& s = slots_[r.tag >> 32];
  const std::size_t k = r.tag & 0xffffffffU;
  const std::uint64_t now = now_ns();
  t_.read_ns += now - s.issued_ns[k];
  if (!s.active) return;
  if (res != static_cast<std::int64_t>(r.length)) {
    s.failed = true;  // the pump records the failure (and stops on it when asked)
  } else if (!s.failed) {
    s.search.arrived(s.reads[k], std::span<const std::byte>(r.buf, r.length));
  }
  if (++s.arrived < s.reads.size()) return;
  if (s.failed) {  // the query cannot go on: the next one starts
    ++t_.failed_queries;
    s.failed = false;
    start(s);
    return;
  }
  s.io_ns += now - s.hop_ns;
  advance(s);
}

}  // namespace aistor
