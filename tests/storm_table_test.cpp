#include "report/storm_table.hpp"

#include <gtest/gtest.h>

#include <string>

namespace aistor {
namespace {

const char* kReport = R"({
  "phases": [
    {"name": "storm-8", "workload": "storm", "engine": {"name": "pread"}, "status": "ok",
     "workload_metrics": {
       "clients": 2, "refresh": false, "model": {"file_bytes": 4400000000},
       "completion_s": {"min": 2.5, "p50": 2.5, "p99": 3.25, "max": 3.25},
       "straggler_ratio": 1.3, "first_done_bytes_per_s": 3.1e9, "last_done_bytes_per_s": 2.7e9,
       "storage_read_bytes": 4400000000,
       "client_rows": [
         {"client": 0, "status": "ok", "start_s": 0.0005, "first_byte_s": 0.002, "finish_s": 2.5,
          "bytes_per_s": 1.76e9, "storage_read_bytes": 4000000000, "page_cache_fraction": 0.09},
         {"client": 1, "status": "failed", "error": "client 1 (pid 7): killed by signal 9",
          "start_s": null, "first_byte_s": null, "finish_s": null, "bytes_per_s": 0,
          "storage_read_bytes": null}]}},
    {"name": "raw", "workload": "raw", "status": "ok"}]})";

}  // namespace

TEST(StormTable, ARowPerStormAndOnePerClient) {
  const auto report = nlohmann::json::parse(kReport);
  EXPECT_EQ(storm_table({report}, true),
            "storm phase  engine  clients  model     min s  p50 s  p99 s  max s  straggler  "
            "first-done GB/s  last-done GB/s  storage read  status\n" +
                std::string(132, '-') +
                "\n"
                "storm-8      pread   2        4.10 GiB  2.500  2.500  3.250  3.250       1.30     "
                "        3.10            2.70      4.10 GiB  ok\n"
                "\n"
                "client      start s  first byte s  finish s  GB/s  storage read  from cache  "
                "status\n" +
                std::string(121, '-') +
                "\n"
                "storm-8\n"
                "  client 0    0.001         0.002     2.500  1.76      3.73 GiB          9%  ok\n"
                "  client 1        -             -         -  0.00             -           -  "
                "failed: client 1 (pid 7): killed by signal 9\n");
}

TEST(StormTable, NothingWithoutStorms) {
  EXPECT_EQ(storm_table({nlohmann::json::parse(R"({"phases": [{"name": "x"}]})")}, true), "");
}

}  // namespace aistor
