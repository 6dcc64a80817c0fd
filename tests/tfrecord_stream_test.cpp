// TfRecordStreamParser: the records scan_tfrecord sees, whatever the pieces the bytes arrive in.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "tests/test_support.hpp"
#include "tests/tfrecord_fixtures.hpp"
#include "workloads/formats/tfrecord.hpp"
#include "workloads/formats/tfrecord_stream.hpp"

namespace aistor::formats {
namespace {

namespace fs = std::filesystem;

class StreamParser : public ::testing::TestWithParam<TfCompression> {};

TEST_P(StreamParser, MatchesScanInAnyPiecesAndCatchesTruncation) {
  test::ScratchDir dir;
  const fs::path file = dir.path() / "s.tfrecord";
  const auto payloads = make_payloads(120);
  {
    TfRecordWriter w(file, GetParam());
    for (const auto& pl : payloads)
      w.append(pl);
    w.finish();
  }
  const auto bytes = read_file(file);
  for (std::size_t piece : {std::size_t{13}, std::size_t{4096}, bytes.size()}) {
    TfRecordStreamParser parser(GetParam(), file.string(), true);
    std::vector<std::vector<std::byte>> got;
    std::vector<std::uint64_t> offsets;
    for (std::size_t at = 0; at < bytes.size(); at += piece) {
      parser.push(std::span(bytes).subspan(at, std::min(piece, bytes.size() - at)),
                  [&](std::uint64_t i, std::uint64_t offset, std::span<const std::byte> p) {
                    EXPECT_EQ(i, got.size());
                    got.emplace_back(p.begin(), p.end());
                    offsets.push_back(offset);
                  });
    }
    parser.finish();
    ASSERT_EQ(got.size(), payloads.size()) << "pieces of " << piece;
    std::uint64_t offset = 0;
    for (std::size_t i = 0; i < payloads.size(); ++i) {
      ASSERT_EQ(got[i], payloads[i]) << i;
      ASSERT_EQ(offsets[i], offset) << i;
      offset += payloads[i].size() + 16;
    }
    EXPECT_EQ(parser.records(), payloads.size());
    if (GetParam() == TfCompression::none) {
      EXPECT_EQ(parser.inflate_cpu_ns(), 0U);
    }
  }
  // The file cut in the middle: an error at finish (or earlier), never a silent short read.
  TfRecordStreamParser cut(GetParam(), "cut", true);
  try {
    cut.push(std::span(bytes).first(bytes.size() / 2),
             [](std::uint64_t, std::uint64_t, std::span<const std::byte>) {});
    cut.finish();
    FAIL() << "truncation not reported";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("cut: record ", 0), 0U) << e.what();
  }
}

TEST(StreamParserCorrupt, PayloadCrcCheckedOnlyWhenAsked) {
  std::vector<std::byte> bytes = kHelloRecord;
  bytes[14] ^= std::byte{1};  // a payload byte
  auto run = [&](bool verify) {
    TfRecordStreamParser p(TfCompression::none, "x", verify);
    p.push(bytes, [](std::uint64_t, std::uint64_t, std::span<const std::byte>) {});
    p.finish();
  };
  EXPECT_NO_THROW(run(false));
  try {
    run(true);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("x: record 0 at offset 0: payload CRC mismatch"),
              std::string::npos)
        << e.what();
  }
  bytes = kHelloRecord;
  bytes[3] ^= std::byte{1};  // the length
  EXPECT_THROW(run(false), InputError);
}

INSTANTIATE_TEST_SUITE_P(TfRecord, StreamParser,
                         ::testing::Values(TfCompression::none, TfCompression::gzip,
                                           TfCompression::zlib));

}  // namespace
}  // namespace aistor::formats
