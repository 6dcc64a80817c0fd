// The trace file's round trip and every way it can be damaged; fio's iologs (written by fio
// itself), blkparse text and MLPerf KV-cache CSV read to exact op lists; the exports; the CLI.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "apps/cli.hpp"
#include "core/error.hpp"
#include "core/recorder.hpp"
#include "tests/test_support.hpp"
#include "workloads/formats/trace_export.hpp"
#include "workloads/formats/trace_import.hpp"
#include "workloads/replay/replay_plan.hpp"

namespace aistor {
namespace {

namespace fs = std::filesystem;
using formats::Trace;
using test::error_of;
using test::write_text;

// Two workers' logs: worker 1 names a file under the directory, worker 0 one outside it.
Trace two_worker_trace(const fs::path& dir) {
  TraceLog a(0, 1000, 100);
  TraceLog b(1, 1000, 100);
  a.name_file(3, "/elsewhere/x.bin");
  b.name_file(0, (dir / "sub" / "y.bin").string());
  a.add(kTraceRead, 3, 4096, 4096, 4096, 1500, 2500);
  b.add(kTraceWrite, 0, 0, 512, 512, 1200, 1300);
  a.add(kTraceRead, 3, 0, 4096, -5, 1700, 1800);
  b.add(kTraceRead, 0, 512, 512, 512, 1700, 1750);
  const TraceLog* logs[] = {&a, &b};
  return formats::merge_logs(logs, dir, {{"phase", "p"}});
}

TEST(TraceFile, RoundTripKeepsEveryFieldAndOrdersByStart) {
  test::ScratchDir d;
  const Trace t = two_worker_trace(d.path());
  formats::write_trace(d.path() / "t.trace", t);
  const Trace r = formats::read_trace(d.path() / "t.trace");
  EXPECT_EQ(r.files, (std::vector<std::string>{"/elsewhere/x.bin", "sub/y.bin"}));
  EXPECT_EQ(r.streams, 2u);
  EXPECT_EQ(r.meta["phase"], "p");
  ASSERT_EQ(r.ops.size(), 4u);
  // By start time; the two ops at 700 ns keep their workers' order (worker 0's log came first).
  const std::uint64_t starts[] = {200, 500, 700, 700};
  const std::uint32_t streams[] = {1, 0, 0, 1};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(r.ops[i].start_ns, starts[i]) << i;
    EXPECT_EQ(r.ops[i].stream, streams[i]) << i;
  }
  EXPECT_EQ(r.ops[0].op, kTraceWrite);
  EXPECT_EQ(r.ops[0].latency_ns, 100u);
  EXPECT_EQ(r.ops[1].offset, 4096u);
  EXPECT_EQ(r.ops[1].file, 0u);
  EXPECT_EQ(r.ops[2].result, -5);
  EXPECT_EQ(r.ops[3].file, 1u);
}

TEST(TraceFile, OpsSubmittedTogetherKeepTheirIssueOrderWhateverOrderTheyComplete) {
  TraceLog a(0, 0, 10);
  // One batch of three at 100 ns, completing last-issued first; then one at 50 ns.
  a.add(kTraceWrite, 0, 8192, 4096, 4096, 100, 110, 3);
  a.add(kTraceWrite, 0, 4096, 4096, 4096, 100, 120, 2);
  a.add(kTraceWrite, 0, 0, 4096, 4096, 100, 130, 1);
  a.add(kTraceWrite, 0, 12288, 4096, 4096, 50, 140, 0);
  const TraceLog* logs[] = {&a};
  const Trace t = formats::merge_logs(logs, "/", {});
  ASSERT_EQ(t.ops.size(), 4u);
  const std::uint64_t offsets[] = {12288, 0, 4096, 8192};
  for (std::size_t i = 0; i < 4; ++i)
    EXPECT_EQ(t.ops[i].offset, offsets[i]) << i;
}

TEST(TraceFile, DroppedOpsPastTheLimitMakeATruncatedTrace) {
  TraceLog a(0, 0, 2);
  for (int i = 0; i < 5; ++i)
    a.add(kTraceRead, 0, 0, 1, 1, 10, 20);
  EXPECT_EQ(a.ops().size(), 2u);
  EXPECT_EQ(a.dropped(), 3u);
  EXPECT_EQ(a.names(), (std::vector<std::string>{"file-0"}));  // unnamed: named by its id
  test::ScratchDir d;
  const TraceLog* logs[] = {&a};
  formats::write_trace(d.path() / "t", formats::merge_logs(logs, d.path(), {}));
  EXPECT_EQ(formats::read_trace(d.path() / "t").dropped, 3u);
}

TEST(TraceFile, EveryDamageIsOneLineWithItsByteOffset) {
  test::ScratchDir d;
  formats::write_trace(d.path() / "t", two_worker_trace(d.path()));
  const std::string good = test::read_file(d.path() / "t");
  auto parse = [](std::string bytes) {
    return error_of([&] { (void)formats::parse_trace(bytes, "t"); });
  };
  EXPECT_EQ(parse(good.substr(0, 40)), "t: truncated: 40 bytes, shorter than the 64-byte header");
  EXPECT_NE(parse(good.substr(0, good.size() - 7)).find("truncated or padded"), std::string::npos);
  EXPECT_NE(parse(good + "x").find("truncated or padded"), std::string::npos);
  std::string bad = good;
  bad[0] = 'X';
  EXPECT_EQ(parse(bad), "t: not an aistor trace (no AISTORTR at byte 0)");
  bad = good;
  bad[8] = 9;
  EXPECT_EQ(parse(bad), "t: trace version 9 at byte 8; this aistor reads version 1");
  bad = good;
  bad[70] ^= 1;
  EXPECT_EQ(parse(bad), "t: corrupt: the meta text at byte 64 fails its checksum");
  bad = good;
  bad[bad.size() - 3] ^= 1;
  EXPECT_NE(parse(bad).find("t: corrupt: the ops from byte "), std::string::npos);
  bad = good;
  bad[15] = static_cast<char>(0x7f);  // meta length past the end
  EXPECT_NE(parse(bad).find("truncated: meta text of"), std::string::npos);
}

TEST(TraceFile, AShortReadAtEndOfFileIsRecordedAsAskedAndReplayedAsMayEndEarly) {
  TraceLog log(0, 0, 10);
  Recorder rec(0, 1'000'000);
  rec.trace_into(&log);
  rec.name_file(0, "f");
  // An O_DIRECT read of a file's last, partial block: asked 4096, got 100 (the pump's to_eof).
  rec.record(Direction::read, 0, 8192, 100, 100, 10, 20, 4096);
  rec.record(Direction::read, 0, 0, 4096, 4096, 30, 40, 4096);
  ASSERT_EQ(log.ops().size(), 2u);
  EXPECT_EQ(log.ops()[0].length, 4096u);
  EXPECT_EQ(log.ops()[0].result, 100);
  EXPECT_EQ(rec.stats(Direction::read).bytes, 4196u);
  const TraceLog* logs[] = {&log};
  const Trace t = formats::merge_logs(logs, "/", {});
  const ReplayPlan plan = plan_replay(t, {}, "/x", 4);
  ASSERT_EQ(plan.threads.size(), 1u);
  EXPECT_TRUE(plan.threads[0][0].to_eof);
  EXPECT_FALSE(plan.threads[0][1].to_eof);
  EXPECT_EQ(plan.files[0].extent, 8292u);  // as far as the file reached, not the block asked
}

TEST(TraceImport, FioV3AsFioItselfWroteIt) {
  test::ScratchDir d;
  const auto r = test::run_command(fmt::format(
      "cd {} && fio --name=j --filename=f1 --size=256k --bs=4k --rw=randrw --ioengine=psync "
      "--write_iolog=log.txt --output=/dev/null 2>&1",
      d.path().string()));
  ASSERT_EQ(r.exit_code, 0) << r.output << " (scripts/install-deps.sh --tests installs fio)";
  const std::string log = test::read_file(d.path() / "log.txt");
  ASSERT_TRUE(log.starts_with("fio version 3 iolog\n")) << log.substr(0, 40);
  // What the log says, line by line, against what the reader made of it.
  std::istringstream in(log);
  std::string line;
  std::getline(in, line);
  std::vector<TraceOp> expect;
  std::uint64_t ts = 0;
  std::uint64_t first = UINT64_MAX;
  std::string file;
  std::string action;
  while (in >> ts >> file >> action) {
    if (action == "read" || action == "write") {
      TraceOp o;
      in >> o.offset >> o.length;
      o.start_ns = ts * 1000;
      o.op = action == "write" ? kTraceWrite : kTraceRead;
      first = std::min(first, o.start_ns);
      expect.push_back(o);
    }
  }
  const Trace t = formats::load_trace(d.path() / "log.txt");
  EXPECT_EQ(t.format, "fio v3");
  EXPECT_EQ(t.files, (std::vector<std::string>{"f1"}));
  ASSERT_EQ(t.ops.size(), 64u);
  ASSERT_EQ(t.ops.size(), expect.size());
  for (std::size_t i = 0; i < expect.size(); ++i) {
    EXPECT_EQ(t.ops[i].start_ns, expect[i].start_ns - first) << i;
    EXPECT_EQ(t.ops[i].offset, expect[i].offset) << i;
    EXPECT_EQ(t.ops[i].length, 4096u) << i;
    EXPECT_EQ(t.ops[i].op, expect[i].op) << i;
  }
}

TEST(TraceImport, FioV2WaitsAddUpSyncsKeptTrimsSkipped) {
  const Trace t = formats::parse_fio_iolog(
      "fio version 2 iolog\n/dev/sdb add\n/dev/sdb open\n/dev/sdb read 0 4096\n"
      "/dev/sdb wait 1500 0\n/dev/sdb write 8192 512\n/dev/sdb sync 0 0\n/dev/sdb trim 0 4096\n"
      "/dev/sdb wait 500 0\n/dev/sdb read 40000000 33554432\n/dev/sdb close\n",
      "v2");
  EXPECT_EQ(t.format, "fio v2");
  EXPECT_EQ(t.skipped, 1u);
  ASSERT_EQ(t.ops.size(), 5u);  // the 32 MiB read is two 16 MiB pieces
  EXPECT_EQ(t.ops[0].start_ns, 0u);
  EXPECT_EQ(t.ops[1].start_ns, 1'500'000u);
  EXPECT_EQ(t.ops[1].op, kTraceWrite);
  EXPECT_EQ(t.ops[2].op, kTraceSync);
  EXPECT_EQ(t.ops[2].start_ns, 1'500'000u);
  EXPECT_EQ(t.ops[2].length, 0u);
  EXPECT_EQ(t.ops[3].start_ns, 2'000'000u);
  EXPECT_EQ(t.ops[3].offset, 40'000'000u);
  EXPECT_EQ(t.ops[4].offset, 40'000'000u + (16u << 20));
  EXPECT_EQ(t.ops[4].length, 16u << 20);
}

TEST(TraceImport, BlkparseQueueEventsOneStreamPerProcess) {
  const Trace t = formats::parse_blkparse(
      "  8,0    3        1     0.000000000   697  Q   W 223490 + 8 [kjournald]\n"
      "  8,0    3        2     0.000002375   697  G   W 223490 + 8 [kjournald]\n"
      "  8,16   1        3     0.001000000   700  Q   R 100 + 16 [python]\n"
      "  8,0    3        4     0.002000000   697  Q  FWS 0 + 0 [kjournald]\n"
      "  8,0    0        0     0.002100000     0  m   N cfq697 insert_request\n"
      "  8,0    3        5     0.003000000   697  Q  RM 7 + 1 [kjournald]\n"
      "  8,0    3        6     0.004000000   697  C   W 223490 + 8 [0]\n"
      "\n"
      "CPU3 (8,0):\n"
      " Reads Queued:           0,        0KiB\n",
      "blk");
  EXPECT_EQ(t.files, (std::vector<std::string>{"blk-8-0", "blk-8-16"}));
  EXPECT_EQ(t.streams, 2u);
  EXPECT_EQ(t.skipped, 1u);  // the flush
  ASSERT_EQ(t.ops.size(), 3u);
  EXPECT_EQ(t.ops[0].offset, 223490u * 512);
  EXPECT_EQ(t.ops[0].length, 4096u);
  EXPECT_EQ(t.ops[0].op, kTraceWrite);
  EXPECT_EQ(t.ops[1].start_ns, 1'000'000u);
  EXPECT_EQ(t.ops[1].stream, 1u);
  EXPECT_EQ(t.ops[1].file, 1u);
  EXPECT_EQ(t.ops[2].start_ns, 3'000'000u);
  EXPECT_EQ(t.ops[2].length, 512u);
  EXPECT_EQ(t.ops[2].stream, 0u);
}

TEST(TraceImport, MlperfKvCsvStorageTierOnly) {
  const Trace t = formats::parse_mlperf_kv(
      "Timestamp,Operation,Object_Size_Bytes,Tier,Key,Phase\n"
      "1733500000.250,write,40000000,nvme,user3/req7,prefill\n"
      "1733500000.100,read,1000,gpu,user3/req6,decode\n"
      "1733500000.500,Read,4096,NVMe,sys_prompt,decode\n"
      "1733500000.600,read,4096,cpu,sys_prompt,decode\n",
      "kv.csv");
  EXPECT_EQ(t.skipped, 2u);
  EXPECT_EQ(t.files, (std::vector<std::string>{"user3_req7.npy", "sys_prompt.npy"}));
  ASSERT_EQ(t.ops.size(), 4u);  // 40 MB: three pieces
  EXPECT_EQ(t.ops[0].length, 16u << 20);
  EXPECT_EQ(t.ops[2].offset, 32u << 20);
  EXPECT_EQ(t.ops[2].length, 40'000'000u - (32u << 20));
  EXPECT_EQ(t.ops[3].start_ns, 250'000'000u);
  EXPECT_EQ(t.ops[3].op, kTraceRead);
}

TEST(TraceImport, BadInputNamesTheFileAndLine) {
  auto err = [](std::string_view text) {
    return error_of([&] { (void)formats::parse_any_trace(text, "f"); });
  };
  EXPECT_NE(err("hello world\n").find("f: unknown trace format"), std::string::npos);
  EXPECT_EQ(err(""),
            "f: unknown trace format (not an aistor trace, a fio iolog v2/v3, blkparse "
            "text, or MLPerf KV-cache CSV)");
  EXPECT_EQ(err("fio version 3 iolog\n0 a add\n5 a read x 4096\n"),
            "f: line 3: offset 'x' is not a whole number");
  EXPECT_EQ(err("fio version 3 iolog\n0 a add\n5 a wait 100 0\n"),
            "f: line 3: 'wait' is not allowed in a version 3 iolog");
  EXPECT_EQ(err("fio version 2 iolog\nb read 0 1\n"), "f: line 2: read of b before add");
  EXPECT_EQ(err("fio version 7 iolog\n"),
            "f: line 1: 'fio version 7 iolog': fio iologs of version 2 and 3 are read");
  EXPECT_EQ(err("fio version 2 iolog\na add\na read 0 0\n"), "f: line 3: an op of 0 bytes");
  EXPECT_EQ(err("fio version 2 iolog\na add\na read 18446744073709551615 2\n"),
            "f: line 3: offset + length past 2^64");
  EXPECT_EQ(err("fio version 2 iolog\na add\n"), "f: no read or write in the trace");
  EXPECT_EQ(err("Timestamp,Operation,Object_Size_Bytes,Tier,Key,Phase\n1.0,erase,5,nvme,k,p\n"),
            "f: line 2: operation 'erase' (read or write)");
  EXPECT_EQ(err("Timestamp,Operation,Size\n"),
            "f: line 1: expected the header Timestamp,Operation,Object_Size_Bytes,Tier,Key,Phase");
  EXPECT_EQ(err("  8,0 3 1 0.0 697 Q W 10 + x [a]\n"),
            "f: line 1: sector count 'x' is not a whole number");
}

TEST(TraceImport, AnImpossibleSizeIsAnErrorAtItsLineNotAnExhaustedMachine) {
  auto err = [](std::string_view text, std::uint64_t max_ops) {
    return error_of([&] {
      (void)formats::parse_any_trace(text, "f", formats::TraceFormat::automatic, max_ops);
    });
  };
  // 2^60 bytes would be 2^36 pieces of 16 MiB: refused before one is made.
  EXPECT_EQ(err("Timestamp,Operation,Object_Size_Bytes,Tier,Key,Phase\n"
                "1.0,read,1152921504606846976,nvme,k,p\n",
                formats::kMaxImportedOps),
            "f: line 2: an op of 1152921504606846976 bytes takes the trace past 67108864 ops of "
            "at most 16777216 bytes");
  // The budget counts every op: the third of three 16 MiB pieces, then a sync past it.
  const std::string three = "fio version 2 iolog\na add\na write 0 50331648\n";
  EXPECT_EQ(formats::parse_any_trace(three, "f", formats::TraceFormat::automatic, 3).ops.size(),
            3u);
  EXPECT_EQ(err(three, 2),
            "f: line 3: an op of 50331648 bytes takes the trace past 2 ops of at most 16777216 "
            "bytes");
  EXPECT_EQ(err(three + "a sync\n", 3), "f: line 4: the trace holds more than 3 ops");
}

TEST(TraceExport, CsvAndAFioIologThatFioReplays) {
  test::ScratchDir d;
  const Trace t = two_worker_trace(d.path());
  std::ostringstream csv;
  formats::write_trace_csv(csv, t);
  EXPECT_EQ(csv.str(),
            "start_ns,stream,op,file,offset,length,latency_ns,result\n"
            "200,1,write,sub/y.bin,0,512,100,512\n"
            "500,0,read,/elsewhere/x.bin,4096,4096,1000,4096\n"
            "700,0,read,/elsewhere/x.bin,0,4096,100,-5\n"
            "700,1,read,sub/y.bin,512,512,50,512\n");
  // fio replays what we export: the 64 reads, as its own report counts them.
  Trace mine;
  mine.format = "aistor";
  mine.files = {"data.bin"};
  mine.streams = 1;
  for (std::uint32_t i = 0; i < 64; ++i)
    mine.ops.push_back({i * 10'000ull, 0, (63 - i) * 4096ull, 4096, 4096, 0, 0, kTraceRead, {}});
  std::ostringstream log;
  formats::write_fio_iolog(log, mine);
  write_text(d.path() / "replay.log", log.str());
  test::write_pattern_file(d.path() / "data.bin", 64 * 4096);
  const auto r = test::run_command(fmt::format(
      "cd {} && fio --name=r --read_iolog=replay.log --ioengine=psync --output-format=json "
      "--output=out.json 2>&1",
      d.path().string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto fio = nlohmann::json::parse(test::read_file(d.path() / "out.json"));
  EXPECT_EQ(fio["jobs"][0]["read"]["total_ios"], 64);
  EXPECT_EQ(fio["jobs"][0]["read"]["io_bytes"], 64 * 4096);
  EXPECT_EQ(fio["jobs"][0]["write"]["total_ios"], 0);
}

TEST(TraceCli, ShowAndExport) {
  test::ScratchDir d;
  formats::write_trace(d.path() / "t", two_worker_trace(d.path()));
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(cli::trace({"show", (d.path() / "t").string()}, {out, err}), 0);
  EXPECT_NE(out.str().find("aistor trace, 2 streams, 2 files"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("writes 1 ops, 512 B"), std::string::npos) << out.str();
  EXPECT_EQ(cli::trace({"export", (d.path() / "t").string(), "--to", "fio", "--output",
                        (d.path() / "t.log").string()},
                       {out, err}),
            0);
  EXPECT_EQ(formats::load_trace(d.path() / "t.log").ops.size(), 4u);
  EXPECT_EQ(cli::trace({"export", (d.path() / "t").string()}, {out, err}), 2);
  EXPECT_EQ(cli::trace({"show", (d.path() / "missing").string()}, {out, err}), 1);
}

}  // namespace
}  // namespace aistor
