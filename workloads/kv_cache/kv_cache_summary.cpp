// The kv-cache phase's figures (summarize) and, under mpirun, every rank's beside each other with
// the maximum of the ranks' p95 (MLPerf's rule).
#include <algorithm>

#include "workloads/kv_cache/kv_cache_workload.hpp"

namespace aistor {
namespace {

nlohmann::json latency(const LatencyHistogram& h) {
  if (h.count() == 0) return {{"count", 0}};
  return {{"count", h.count()},      {"mean", h.mean()},        {"p50", h.quantile(0.50)},
          {"p95", h.quantile(0.95)}, {"p99", h.quantile(0.99)}, {"p99_9", h.quantile(0.999)},
          {"max", h.max()}};
}

nlohmann::json sizes(const std::map<std::uint64_t, std::uint64_t>& m) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [bytes, n] : m)
    j[std::to_string(bytes)] = n;
  return j;
}

double per_s(std::uint64_t n, double seconds) {
  return seconds > 0 ? static_cast<double>(n) / seconds : 0.0;
}

double p95_at(const nlohmann::json& j, std::initializer_list<const char*> path) {
  const nlohmann::json* at = &j;
  for (const char* k : path) {
    if (!at->is_object() || !at->contains(k)) return 0;
    at = &(*at)[k];
  }
  return at->is_object() ? at->value("p95", 0.0) : 0.0;
}

}  // namespace

void KvTallies::merge(const KvTallies& o) {
  requests += o.requests;
  lookups += o.lookups;
  misses += o.misses;
  decode_reads += o.decode_reads;
  unplaced += o.unplaced;
  context_tokens += o.context_tokens;
  cached_tokens += o.cached_tokens;
  generated_tokens += o.generated_tokens;
  for (std::size_t t = 0; t < kKvTiers; ++t) {
    auto& a = tiers[t];
    const auto& b = o.tiers[t];
    a.hits += b.hits;
    a.read_bytes += b.read_bytes;
    a.placed += b.placed;
    a.write_bytes += b.write_bytes;
    a.moved_in += b.moved_in;
    a.moved_out += b.moved_out;
    a.dropped += b.dropped;
    a.read_ns.merge(b.read_ns);
    a.write_ns.merge(b.write_ns);
  }
  prefix_ns.merge(o.prefix_ns);
  storage_ns.merge(o.storage_ns);
  request_ns.merge(o.request_ns);
  queue_ns.merge(o.queue_ns);
  write_op_ns.merge(o.write_op_ns);
  read_op_ns.merge(o.read_op_ns);
  sync_ns.merge(o.sync_ns);
  advise_ns.merge(o.advise_ns);
  verified += o.verified;
  mismatches += o.mismatches;
  for (const auto& [k, n] : o.written_sizes)
    written_sizes[k] += n;
  for (const auto& [k, n] : o.read_sizes)
    read_sizes[k] += n;
}

nlohmann::json KvCacheWorkload::summarize() const {
  const std::scoped_lock lock(mutex_);
  const KvTallies& t = tallies_;
  const double s = static_cast<double>(wall_ns_) / 1e9;
  nlohmann::json tiers = nlohmann::json::object();
  for (std::size_t i = 0; i < kKvTiers; ++i) {
    const auto& x = t.tiers[i];
    const std::uint64_t budget = params_.budgets[i];
    tiers[to_string(static_cast<KvTier>(i))] = {
        {"budget_bytes",
         budget == KvTiers::kUnlimited ? nlohmann::json("unlimited") : nlohmann::json(budget)},
        {"peak_used_bytes", peak_used_[i]},
        {"hits", x.hits},
        {"read_bytes", x.read_bytes},
        {"read_bytes_per_s", per_s(x.read_bytes, s)},
        {"placed", x.placed},
        {"write_bytes", x.write_bytes},
        {"write_bytes_per_s", per_s(x.write_bytes, s)},
        {"moved_in", x.moved_in},
        {"moved_out", x.moved_out},
        {"dropped", x.dropped},
        {"read_ns", latency(x.read_ns)},
        {"write_ns", latency(x.write_ns)}};
  }
  nlohmann::json j{
      {"model", params_.model.to_json()},
      {"block_tokens", params_.block_tokens != 0 ? nlohmann::json(params_.block_tokens)
                                                 : nlohmann::json("request")},
      {"users", params_.users},
      {"threads", params_.workers()},
      {"rate", params_.rate > 0 ? nlohmann::json(params_.rate) : nlohmann::json("closed loop")},
      {"context", params_.context.to_json()},
      {"generate_tokens", params_.generate.to_json()},
      {"layout", params_.layout == KvLayout::slab ? "slab" : "file_per_entry"},
      {"sync", params_.sync == KvSync::each    ? "each"
               : params_.sync == KvSync::batch ? "batch"
                                               : "none"},
      {"cold_reads", params_.cold_reads ? "fadvise" : "none"},
      {"wall_s", s},
      {"requests", t.requests},
      {"requests_per_s", per_s(t.requests, s)},
      {"tokens",
       {{"context", t.context_tokens},
        {"cached", t.cached_tokens},
        {"generated", t.generated_tokens}}},
      {"cached_tokens_per_s", per_s(t.cached_tokens, s)},
      {"generated_tokens_per_s", per_s(t.generated_tokens, s)},
      {"lookups", t.lookups},
      {"misses", t.misses},
      {"decode_reads", t.decode_reads},
      {"hit_rate",
       t.lookups ? 1.0 - static_cast<double>(t.misses) / static_cast<double>(t.lookups) : 0.0},
      {"unplaced", t.unplaced},
      {"host_pool_bytes", pooled_bytes_.load()},
      {"tiers", tiers},
      {"storage_read_bytes_per_s", per_s(t.tiers[2].read_bytes, s)},
      {"storage_write_bytes_per_s", per_s(t.tiers[2].write_bytes, s)},
      {"prefix_load_ns", latency(t.prefix_ns)},
      {"request_storage_ns", latency(t.storage_ns)},
      {"request_ns", latency(t.request_ns)},
      {"storage_write_ns", latency(t.write_op_ns)},
      {"storage_read_ns", latency(t.read_op_ns)},
      {"sync_ns", latency(t.sync_ns)},
      {"advise_ns", latency(t.advise_ns)},
      {"entry_sizes", {{"written", sizes(t.written_sizes)}, {"read", sizes(t.read_sizes)}}}};
  if (params_.rate > 0) j["queue_ns"] = latency(t.queue_ns);
  if (params_.verify) j["verify"] = {{"chunks", t.verified}, {"mismatches", t.mismatches}};
  return j;
}

nlohmann::json KvCacheWorkload::summarize_ranks(const std::vector<nlohmann::json>& per_rank) const {
  if (per_rank.empty() || !per_rank.front().is_object()) return nullptr;
  nlohmann::json rows = nlohmann::json::array();
  std::uint64_t requests = 0;
  double read = 0, write = 0;
  double worst_storage = 0, worst_read = 0, worst_write = 0;
  for (std::size_t r = 0; r < per_rank.size(); ++r) {
    const auto& m = per_rank[r];
    if (!m.is_object()) continue;
    const double st = p95_at(m, {"request_storage_ns"});
    const double rd = p95_at(m, {"tiers", "storage", "read_ns"});
    const double wr = p95_at(m, {"tiers", "storage", "write_ns"});
    rows.push_back({{"rank", r},
                    {"requests", m.value("requests", std::uint64_t{0})},
                    {"storage_read_bytes_per_s", m.value("storage_read_bytes_per_s", 0.0)},
                    {"storage_write_bytes_per_s", m.value("storage_write_bytes_per_s", 0.0)},
                    {"hit_rate", m.value("hit_rate", 0.0)},
                    {"request_storage_p95_ns", st},
                    {"storage_read_p95_ns", rd},
                    {"storage_write_p95_ns", wr}});
    requests += m.value("requests", std::uint64_t{0});
    read += m.value("storage_read_bytes_per_s", 0.0);
    write += m.value("storage_write_bytes_per_s", 0.0);
    worst_storage = std::max(worst_storage, st);
    worst_read = std::max(worst_read, rd);
    worst_write = std::max(worst_write, wr);
  }
  nlohmann::json j = per_rank.front();
  j["ranks"] = rows;
  j["requests"] = requests;
  j["storage_read_bytes_per_s"] = read;
  j["storage_write_bytes_per_s"] = write;
  j["max_rank_p95_ns"] = {{"request_storage", worst_storage},
                          {"storage_read", worst_read},
                          {"storage_write", worst_write}};
  return j;
}

}  // namespace aistor
