// Vector search on SSD: the index layout, the graph's invariants, a search that is exact where its
// list covers the graph, reads that depend on what the last ones returned, exact recall for a
// fixed seed, every damaged index, every impossible parameter, reuse of a matching index.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "core/config_node.hpp"
#include "core/error.hpp"
#include "core/posix_io.hpp"
#include "core/unique_fd.hpp"
#include "report/vector_search_table.hpp"
#include "tests/test_support.hpp"
#include "workloads/formats/inspect.hpp"
#include "workloads/formats/vector_graph.hpp"
#include "workloads/formats/vector_index_build.hpp"
#include "workloads/vector_search/beam_search.hpp"
#include "workloads/vector_search/query_source.hpp"

namespace aistor {
namespace {

namespace fs = std::filesystem;
using formats::IndexSpec;
using formats::VectorIndexHeader;

IndexSpec spec_of(nlohmann::json j) {
  ConfigNode node(j, "index");
  return IndexSpec::parse(node);
}

IndexSpec small_spec() {
  return spec_of({{"dim", 16},
                  {"count", 1500},
                  {"degree", 12},
                  {"build_list", 24},
                  {"pq_bytes", 8},
                  {"clusters", 8}});
}

using test::error_of;

// Reads node `id`'s aligned read from the graph file (what an engine would deliver).
std::vector<std::byte> read_node(const SearchIndex& index, std::uint32_t id) {
  const UniqueFd fd(::open(index.graph_file().c_str(), O_RDONLY | O_CLOEXEC));
  std::vector<std::byte> buf(index.header().read_bytes());
  EXPECT_EQ(pread_full(fd.get(), buf.data(), buf.size(), index.header().read_offset(id)),
            static_cast<std::int64_t>(buf.size()));
  return buf;
}

// Runs a whole search synchronously; returns its answer and the hops' reads in order.
std::vector<std::uint32_t> search(const SearchIndex& index, const BeamParams& p,
                                  std::span<const float> query,
                                  std::vector<std::vector<std::uint32_t>>* hops = nullptr) {
  BeamSearch s(index, p);
  s.start(query);
  std::vector<std::uint32_t> reads;
  while (s.next_hop(reads)) {
    if (hops != nullptr) hops->push_back(reads);
    for (const std::uint32_t id : reads)
      s.arrived(id, read_node(index, id));
  }
  return s.results();
}

TEST(VectorIndex, LayoutFollowsDiskAnn) {
  // 128 float32 dimensions and 32 neighbours: 512 + 4 + 128 = 644 bytes, six a sector.
  const VectorIndexHeader h{128, formats::VectorDtype::float32, formats::VectorMetric::l2, 100, 32,
                            0};
  EXPECT_EQ(h.record_bytes(), 644u);
  EXPECT_EQ(h.nodes_per_sector(), 6u);
  EXPECT_EQ(h.read_bytes(), 4096u);
  EXPECT_EQ(h.record_offset(0), 4096u);
  EXPECT_EQ(h.record_offset(5), 4096u + 5 * 644);
  EXPECT_EQ(h.record_offset(6), 8192u);
  EXPECT_EQ(h.file_bytes(), 4096u * (1 + 17));
  // MLPerf's shape: 1536 float32 dimensions and 56 neighbours span two sectors.
  const VectorIndexHeader m{
      1536, formats::VectorDtype::float32, formats::VectorMetric::cosine, 10, 56, 3};
  EXPECT_EQ(m.record_bytes(), 6144u + 228);
  EXPECT_EQ(m.nodes_per_sector(), 0u);
  EXPECT_EQ(m.read_bytes(), 8192u);
  EXPECT_EQ(m.record_offset(3), 4096u * (1 + 6));
  const auto sector = m.encode();
  const auto back = VectorIndexHeader::decode(sector, "x");
  EXPECT_EQ(back.dim, 1536u);
  EXPECT_EQ(back.entry, 3u);
  EXPECT_EQ(back.metric, formats::VectorMetric::cosine);
  EXPECT_EQ(spec_of({{"preset", "mlperf-vectordb"}, {"scale", 0.001}}).count, 1000u);
}

TEST(VectorIndex, GraphKeepsItsDegreeAndReachesEveryNode) {
  const IndexSpec s = small_spec();
  const std::vector<float> data = formats::VectorSource(s).all(nullptr);
  const auto g =
      formats::build_graph(data, {s.dim, s.degree, s.build_list, s.alpha, s.seed, 2}, nullptr);
  ASSERT_EQ(g.neighbours.size(), s.count);
  for (std::size_t i = 0; i < g.neighbours.size(); ++i) {
    const auto& adj = g.neighbours[i];
    EXPECT_LE(adj.size(), s.degree) << "node " << i;
    EXPECT_EQ(std::set<std::uint32_t>(adj.begin(), adj.end()).size(), adj.size()) << "node " << i;
    EXPECT_EQ(std::count(adj.begin(), adj.end(), i), 0) << "node " << i;
  }
  EXPECT_EQ(formats::reachable_from_entry(g), s.count);
}

TEST(VectorIndex, BuildsReusesAndInspects) {
  test::ScratchDir dir;
  const auto r = formats::build_index(small_spec(), dir.path() / "i", 1, nullptr);
  EXPECT_FALSE(r.reused);
  EXPECT_EQ(r.reachable, 1500u);
  EXPECT_TRUE(formats::build_index(small_spec(), dir.path() / "i", 1, nullptr).reused);
  const auto j = formats::inspect(dir.path() / "i");
  EXPECT_EQ(j["format"], "aistor-vector-index");
  EXPECT_EQ(j["nodes"], 1500);
  EXPECT_EQ(j["reachable_from_entry"], 1500);
  EXPECT_EQ(j["max_degree"], 12);
  EXPECT_EQ(j["pq_bytes"], fs::file_size(dir.path() / "i" / "pq.bin"));
  // Another spec replaces the files its manifest lists; a directory of others' files is refused.
  auto other = small_spec();
  other.seed = 2;
  EXPECT_FALSE(formats::build_index(other, dir.path() / "i", 1, nullptr).reused);
  fs::create_directories(dir.path() / "foreign");
  std::ofstream(dir.path() / "foreign" / "keep.txt") << "mine";
  EXPECT_NE(error_of([&] {
              (void)formats::build_index(other, dir.path() / "foreign", 1, nullptr);
            }).find("holds files aistor did not make"),
            std::string::npos);
  EXPECT_EQ(test::read_file(dir.path() / "foreign" / "keep.txt"), "mine");
}

TEST(BeamSearch, ExactWhereTheListCoversTheGraph) {
  test::ScratchDir dir;
  const auto s =
      spec_of({{"dim", 8}, {"count", 200}, {"degree", 8}, {"build_list", 16}, {"pq_bytes", 4}});
  (void)formats::build_index(s, dir.path() / "i", 1, nullptr);
  const SearchIndex index(dir.path() / "i", 0);
  const formats::VectorSource source(s);
  const std::vector<float> all = source.all(nullptr);
  for (std::uint64_t q = 0; q < 5; ++q) {
    std::vector<float> query(s.dim);
    source.query(q, query);
    EXPECT_EQ(search(index, {4, 200, 10}, query), formats::exact_neighbours(s, all, query, 10))
        << "query " << q;
  }
}

TEST(BeamSearch, EachHopReadsOnlyNeighboursOfWhatArrived) {
  test::ScratchDir dir;
  (void)formats::build_index(small_spec(), dir.path() / "i", 1, nullptr);
  const SearchIndex index(dir.path() / "i", 0);
  std::vector<float> query(16);
  formats::VectorSource(index.spec()).query(3, query);
  std::vector<std::vector<std::uint32_t>> hops;
  (void)search(index, {4, 32, 10}, query, &hops);
  ASSERT_GT(hops.size(), 2u);
  EXPECT_EQ(hops[0], std::vector<std::uint32_t>{static_cast<std::uint32_t>(index.header().entry)});
  std::set<std::uint32_t> known{static_cast<std::uint32_t>(index.header().entry)};
  for (const auto& hop : hops) {
    EXPECT_LE(hop.size(), 4u);
    for (const std::uint32_t id : hop) {
      EXPECT_TRUE(known.count(id)) << id << " read before a read that named it arrived";
    }
    for (const std::uint32_t id : hop) {
      const auto buf = read_node(index, id);
      const auto r = formats::parse_record(index.header(), id, buf, "x");
      for (std::uint32_t i = 0; i < r.degree; ++i)
        known.insert(r.neighbour(i));
    }
  }
}

TEST(QuerySource, HandsOutNoReadOfAQueryUntilItsHopArrived) {
  test::ScratchDir dir;
  (void)formats::build_index(small_spec(), dir.path() / "i", 1, nullptr);
  const SearchIndex index(dir.path() / "i", 0);
  std::vector<float> pool(16);
  formats::VectorSource(index.spec()).query(0, pool);
  std::atomic<std::uint64_t> issued{0};
  QueryPlan plan{&index, {4, 32, 10}, 0, &pool, 1, nullptr, &issued, 1};
  VsTallies t;
  QuerySource source(plan, 1, t);
  source.begin();
  IoRequest r;
  ASSERT_TRUE(source.next(r));  // the first hop: the entry alone
  EXPECT_EQ(r.offset, index.header().read_offset(index.header().entry));
  EXPECT_FALSE(source.next(r));
  EXPECT_TRUE(source.waiting());
  auto buf = read_node(index, static_cast<std::uint32_t>(index.header().entry));
  r.buf = buf.data();
  source.completed(r, r.length);
  std::vector<IoRequest> hop;
  for (IoRequest next; source.next(next);)
    hop.push_back(next);
  ASSERT_EQ(hop.size(), 4u);
  // Three of the four arrived: still nothing new to read.
  for (std::size_t i = 0; i + 1 < hop.size(); ++i) {
    const UniqueFd fd(::open(index.graph_file().c_str(), O_RDONLY | O_CLOEXEC));
    std::vector<std::byte> b(hop[i].length);
    ASSERT_EQ(pread_full(fd.get(), b.data(), b.size(), hop[i].offset), 4096);
    hop[i].buf = b.data();
    source.completed(hop[i], hop[i].length);
    IoRequest none;
    EXPECT_FALSE(source.next(none)) << "after " << i + 1 << " of 4";
  }
  const UniqueFd fd(::open(index.graph_file().c_str(), O_RDONLY | O_CLOEXEC));
  std::vector<std::byte> b(hop.back().length);
  ASSERT_EQ(pread_full(fd.get(), b.data(), b.size(), hop.back().offset), 4096);
  hop.back().buf = b.data();
  source.completed(hop.back(), hop.back().length);
  IoRequest after;
  EXPECT_TRUE(source.next(after));  // the last one arrived: the next hop begins
}

TEST(VectorSearch, RecallForAFixedSeedIsExact) {
  test::ScratchDir dir;
  const nlohmann::json index{{"dim", 16},        {"count", 1500}, {"degree", 12},
                             {"build_list", 24}, {"pq_bytes", 8}, {"clusters", 8}};
  // Built on one thread (a parallel build's insertion order varies), then reused by the phase.
  (void)formats::build_index(small_spec(), dir.path() / "vector-index", 1, nullptr);
  const auto phase = test::run_phase(dir.path(), {{"workload", "vector-search"},
                                                  {"index", index},
                                                  {"queries", 300},
                                                  {"concurrency", 3},
                                                  {"search_list", 12},
                                                  {"k", 10},
                                                  {"recall_queries", 100},
                                                  {"engine", {{"name", "pread"}}}});
  ASSERT_EQ(phase["status"], "ok") << phase.dump();
  const auto& w = phase["workload_metrics"];
  EXPECT_TRUE(w["index"]["reused"].get<bool>());
  EXPECT_EQ(w["queries"], 300);
  EXPECT_EQ(w["recall"]["queries"], 100);
  EXPECT_DOUBLE_EQ(w["recall"]["at_k"].get<double>(), 0.948);  // 948 of 1,000
  EXPECT_EQ(w["device"]["reads"].get<std::uint64_t>(), phase["ops"].get<std::uint64_t>());
  EXPECT_GT(w["hops"]["mean"].get<double>(), 1.0);
  const auto table = vector_search_table({{{"phases", {phase}}}});
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_EQ(table.rows[1].back(), "ok");
}

// Every host engine reads the same records: the same 300 queries make the same reads and find
// the same neighbours, whether their beams share an io_uring queue or each query has a thread.
TEST(VectorSearch, EveryHostEngineSearchesAlike) {
  test::ScratchDir dir;
  const nlohmann::json index{{"dim", 16},        {"count", 1500}, {"degree", 12},
                             {"build_list", 24}, {"pq_bytes", 8}, {"clusters", 8}};
  (void)formats::build_index(small_spec(), dir.path() / "vector-index", 1, nullptr);
  std::optional<std::uint64_t> reads;
  for (const nlohmann::json& engine :
       {nlohmann::json{{"name", "pread"}}, nlohmann::json{{"name", "odirect"}},
        nlohmann::json{{"name", "io_uring"}, {"direct", true}, {"queue_depth", 24}},
        nlohmann::json{{"name", "mmap"}}}) {
    const auto phase = test::run_phase(dir.path(), {{"workload", "vector-search"},
                                                    {"index", index},
                                                    {"queries", 300},
                                                    {"concurrency", 6},
                                                    {"threads", 2},
                                                    {"search_list", 12},
                                                    {"k", 10},
                                                    {"engine", engine}});
    ASSERT_EQ(phase["status"], "ok") << engine.dump() << phase.dump();
    const auto& w = phase["workload_metrics"];
    EXPECT_EQ(w["queries"], 300) << engine.dump();
    EXPECT_DOUBLE_EQ(w["recall"]["at_k"].get<double>(), 0.948) << engine.dump();
    const auto n = w["device"]["reads"].get<std::uint64_t>();
    if (reads) {
      EXPECT_EQ(n, *reads) << engine.dump();
    }
    reads = n;
    // With io_uring a worker keeps its three queries' beams in flight at once.
    if (engine["name"] == "io_uring") {
      EXPECT_EQ(w["search"]["reads_in_flight_per_worker"], 12);
    }
  }
}

TEST(VectorSearch, DamagedIndexesSayFileAndOffset) {
  test::ScratchDir dir;
  const fs::path i = dir.path() / "i";
  (void)formats::build_index(small_spec(), i, 1, nullptr);
  const std::string graph = test::read_file(i / "graph.index");
  const std::string pq = test::read_file(i / "pq.bin");
  auto with = [&](const char* file, const std::string& bytes) {
    std::ofstream(i / file, std::ios::binary | std::ios::trunc) << bytes;
    return error_of([&] { SearchIndex index(i, 0); });
  };
  std::string bad = graph;
  bad[0] = 'X';
  EXPECT_EQ(with("graph.index", bad),
            (i / "graph.index").string() + ": offset 0: not an aistor vector index (bad magic)");
  bad = graph;
  bad[20] = '\x07';  // the metric, under the header's checksum
  EXPECT_NE(with("graph.index", bad).find("offset 64: header checksum mismatch"),
            std::string::npos);
  EXPECT_NE(with("graph.index", graph.substr(0, 100000)).find("offset 100000: truncated"),
            std::string::npos);
  EXPECT_NE(with("graph.index", graph.substr(0, 100)).find("offset 0: shorter than"),
            std::string::npos);
  std::ofstream(i / "graph.index", std::ios::binary | std::ios::trunc) << graph;
  bad = pq;
  bad[bad.size() / 2] ^= 0x5a;
  EXPECT_NE(with("pq.bin", bad).find("checksum mismatch"), std::string::npos);
  EXPECT_NE(with("pq.bin", pq.substr(0, 20)).find("pq.bin: offset 20: truncated"),
            std::string::npos);
  std::ofstream(i / "pq.bin", std::ios::binary | std::ios::trunc) << pq;
  // A neighbour id out of range, found when the search reads the record (the entry's: always).
  const SearchIndex index(i, 0);
  const auto& h = index.header();
  const std::uint64_t at = h.record_offset(h.entry) + 16 * 4 + 4;
  bad = graph;
  const std::uint32_t huge = 999999;
  std::memcpy(&bad[at], &huge, 4);
  std::ofstream(i / "graph.index", std::ios::binary | std::ios::trunc) << bad;
  std::vector<float> q(16);
  EXPECT_EQ(error_of([&] {
              (void)search(index, {4, 24, 10}, q);
            }),
            fmt::format("{}: offset {}: node {}'s neighbour id 999999 is out of range (1500 "
                        "nodes)",
                        (i / "graph.index").string(), at, h.entry));
}

TEST(VectorSearch, ImpossibleParametersNameTheirKey) {
  auto error = [](nlohmann::json extra) {
    nlohmann::json p{{"workload", "vector-search"},
                     {"queries", 10},
                     {"index", {{"dim", 8}, {"count", 100}, {"degree", 8}, {"pq_bytes", 4}}}};
    for (auto& [k, v] : extra.items())
      p[k] = v;
    return test::plan_error(p);
  };
  EXPECT_NE(error({{"beam_width", 8}, {"search_list", 4}}).find("phases[0].beam_width: 8 is wider"),
            std::string::npos);
  EXPECT_NE(error({{"k", 20}, {"search_list", 10}}).find("phases[0].k: 20 results"),
            std::string::npos);
  EXPECT_NE(error({{"index", {{"degree", 0}}}}).find("index.degree: must be at least 1"),
            std::string::npos);
  EXPECT_NE(error({{"index", {{"count", 10}, {"degree", 10}}}}).find("index.degree: 10 neighbours"),
            std::string::npos);
  EXPECT_NE(error({{"index", {{"degree", 32}, {"build_list", 8}}}}).find("index.build_list"),
            std::string::npos);
  EXPECT_NE(error({{"index", {{"dtype", "uint8"}, {"metric", "cosine"}}}}).find("index.metric"),
            std::string::npos);
  EXPECT_NE(error({{"index", {{"dim", 4}, {"pq_bytes", 8}}}}).find("index.pq_bytes"),
            std::string::npos);
  EXPECT_NE(error({{"index", {{"dims", 4}}}}).find("index.dims"), std::string::npos);
  EXPECT_NE(error({{"concurrency", 2}, {"threads", 4}}).find("phases[0].threads"),
            std::string::npos);
  EXPECT_NE(error({{"queries", 0}}).find("phases[0].duration"), std::string::npos);
  EXPECT_NE(error({{"index_dir", "../x"}}).find("phases[0].index_dir"), std::string::npos);
}

}  // namespace
}  // namespace aistor
