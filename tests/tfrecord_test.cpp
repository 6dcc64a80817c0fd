#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "tests/test_support.hpp"
#include "tests/tfrecord_fixtures.hpp"
#include "workloads/formats/crc.hpp"
#include "workloads/formats/tfrecord.hpp"

namespace aistor::formats {
namespace {

namespace fs = std::filesystem;

std::span<const std::byte> bytes_of(std::string_view s) {
  return std::as_bytes(std::span(s));
}

void write_file(const fs::path& path, std::span<const std::byte> data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  ASSERT_TRUE(out.good());
}

void write_text(const fs::path& path, const std::string& text) {
  write_file(path, bytes_of(text));
}

std::string read_text(const fs::path& path) {
  auto b = read_file(path);
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

struct Record {
  std::uint64_t offset;
  std::vector<std::byte> payload;
};

std::vector<Record> scan_all(const fs::path& file, bool verify, TfRecordStats* stats = nullptr) {
  std::vector<Record> out;
  auto s = scan_tfrecord(
      file, verify,
      [&](std::uint64_t index, std::uint64_t offset, std::span<const std::byte> payload) {
        EXPECT_EQ(index, out.size());
        out.push_back({offset, {payload.begin(), payload.end()}});
      });
  if (stats != nullptr) *stats = s;
  return out;
}

// Expects an InputError naming the file, the record and the offset.
void expect_error(const fs::path& file, bool verify, std::uint64_t record, std::uint64_t offset,
                  const std::string& what) {
  try {
    (void)scan_tfrecord(file, verify);
    FAIL() << "no error for " << file;
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(file.string() + ": "), std::string::npos) << msg;
    EXPECT_NE(msg.find("record " + std::to_string(record) + " at offset " + std::to_string(offset) +
                       ": "),
              std::string::npos)
        << msg;
    EXPECT_NE(msg.find(what), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

void expect_index_error(const fs::path& file, std::uint64_t line, const std::string& what) {
  try {
    (void)read_tfrecord_index(file, 0);
    FAIL() << "no error for " << file;
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(file.string() + ".idx: line " + std::to_string(line) + ": "),
              std::string::npos)
        << msg;
    EXPECT_NE(msg.find(what), std::string::npos) << msg;
  }
}

// ---- Format, checked against bytes built from the spec -----------------------------------------

TEST(TfRecord, ReadsHandBuiltBytes) {
  test::ScratchDir dir;
  const fs::path file = dir.path() / "hand.tfrecord";
  std::vector<std::byte> data = kHelloRecord;
  data.insert(data.end(), kEmptyRecord.begin(), kEmptyRecord.end());
  data.insert(data.end(), kHelloRecord.begin(), kHelloRecord.end());
  write_file(file, data);

  TfRecordStats stats;
  const auto records = scan_all(file, true, &stats);
  ASSERT_EQ(records.size(), 3U);
  EXPECT_EQ(records[0].offset, 0U);
  EXPECT_EQ(records[1].offset, 21U);
  EXPECT_EQ(records[2].offset, 37U);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(records[0].payload.data()), 5), "hello");
  EXPECT_TRUE(records[1].payload.empty());
  EXPECT_EQ(records[2].payload, records[0].payload);
  EXPECT_EQ(stats.records, 3U);
  EXPECT_EQ(stats.payload_bytes, 10U);
  EXPECT_EQ(stats.file_bytes, 58U);
  EXPECT_EQ(stats.compression, TfCompression::none);
}

TEST(TfRecord, WriterProducesSpecBytes) {
  test::ScratchDir dir;
  const fs::path file = dir.path() / "w.tfrecord";
  {
    TfRecordWriter w(file);
    w.append(bytes_of("hello"));
    w.append({});
    EXPECT_EQ(w.records(), 2U);
    EXPECT_EQ(w.file_bytes(), 37U);
    w.finish();
    w.finish();  // idempotent
  }
  std::vector<std::byte> expected = kHelloRecord;
  expected.insert(expected.end(), kEmptyRecord.begin(), kEmptyRecord.end());
  EXPECT_EQ(read_file(file), expected);
  EXPECT_EQ(read_text(fs::path(file.string() + ".idx")), "0 21\n21 16\n");
  const auto refs = read_tfrecord_index(file, 9);
  ASSERT_EQ(refs.size(), 2U);
  EXPECT_EQ(refs[0].offset, 12U);
  EXPECT_EQ(refs[0].length, 5U);
  EXPECT_EQ(refs[0].file, 9U);
  EXPECT_EQ(refs[1].offset, 33U);
  EXPECT_EQ(refs[1].length, 0U);
}

TEST(TfRecord, EmptyFileHasNoRecords) {
  test::ScratchDir dir;
  const fs::path file = dir.path() / "empty.tfrecord";
  { TfRecordWriter w(file); }  // the destructor finishes
  EXPECT_EQ(fs::file_size(file), 0U);
  const auto stats = scan_tfrecord(file, true);
  EXPECT_EQ(stats.records, 0U);
  EXPECT_EQ(stats.file_bytes, 0U);
  EXPECT_TRUE(read_tfrecord_index(file, 0).empty());
  EXPECT_TRUE(index_tfrecord(file, 0, true).empty());
}

TEST(TfRecord, MovedWriterKeepsWriting) {
  test::ScratchDir dir;
  const fs::path file = dir.path() / "m.tfrecord";
  TfRecordWriter a(file);
  a.append(bytes_of("hello"));
  TfRecordWriter b(std::move(a));
  b.append(bytes_of("hello"));
  b.finish();
  EXPECT_THROW(b.append(bytes_of("x")), std::logic_error);
  EXPECT_EQ(scan_tfrecord(file, true).records, 2U);
}

// ---- Round trips -------------------------------------------------------------------------------

TEST(TfRecord, RoundTripWithIndex) {
  test::ScratchDir dir;
  const fs::path file = dir.path() / "rt.tfrecord";
  const auto payloads = make_payloads(1000);
  std::uint64_t payload_bytes = 0;
  {
    TfRecordWriter w(file);
    for (const auto& p : payloads) {
      w.append(p);
      payload_bytes += p.size();
    }
    w.finish();
    EXPECT_EQ(w.records(), 1000U);
    EXPECT_EQ(w.file_bytes(), payload_bytes + 16 * 1000);
  }
  EXPECT_EQ(fs::file_size(file), payload_bytes + 16 * 1000);
  EXPECT_FALSE(fs::exists(file.string() + ".idx.tmp"));

  TfRecordStats stats;
  const auto records = scan_all(file, true, &stats);
  ASSERT_EQ(records.size(), payloads.size());
  std::uint64_t offset = 0;
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    ASSERT_EQ(records[i].payload, payloads[i]) << i;
    ASSERT_EQ(records[i].offset, offset);
    offset += payloads[i].size() + 16;
  }
  EXPECT_EQ(stats.records, 1000U);
  EXPECT_EQ(stats.payload_bytes, payload_bytes);
  EXPECT_EQ(stats.file_bytes, offset);

  const auto from_idx = read_tfrecord_index(file, 3);
  const auto scanned = index_tfrecord(file, 3, true);
  const auto unverified = index_tfrecord(file, 3, false);
  ASSERT_EQ(from_idx.size(), 1000U);
  ASSERT_EQ(scanned.size(), 1000U);
  ASSERT_EQ(unverified.size(), 1000U);
  for (std::size_t i = 0; i < from_idx.size(); ++i) {
    EXPECT_EQ(from_idx[i].offset, scanned[i].offset);
    EXPECT_EQ(from_idx[i].length, scanned[i].length);
    EXPECT_EQ(from_idx[i].file, 3U);
    EXPECT_EQ(scanned[i].file, 3U);
    EXPECT_EQ(unverified[i].offset, scanned[i].offset);
    EXPECT_EQ(from_idx[i].length, payloads[i].size());
    EXPECT_EQ(from_idx[i].offset, records[i].offset + 12);
  }
  EXPECT_EQ(scan_tfrecord(file, false).records, 1000U);  // the skipping path
}

class Compressed : public ::testing::TestWithParam<TfCompression> {};

TEST_P(Compressed, RoundTrip) {
  test::ScratchDir dir;
  const TfCompression c = GetParam();
  const fs::path plain = dir.path() / "plain.tfrecord";
  const fs::path file = dir.path() / "z.tfrecord";
  const auto payloads = make_payloads(600);
  {
    TfRecordWriter p(plain);
    TfRecordWriter w(file, c);
    for (const auto& pl : payloads) {
      p.append(pl);
      w.append(pl);
    }
    w.finish();
    EXPECT_EQ(w.file_bytes(), fs::file_size(file));
  }
  EXPECT_FALSE(fs::exists(file.string() + ".idx"));
  const auto head = read_file(file);
  ASSERT_GE(head.size(), 2U);
  const auto b0 = std::to_integer<unsigned>(head[0]);
  const auto b1 = std::to_integer<unsigned>(head[1]);
  if (c == TfCompression::gzip) {
    EXPECT_EQ(b0, 0x1fU);
    EXPECT_EQ(b1, 0x8bU);
    const auto r =
        test::run_command("gzip -dc < '" + file.string() + "' | cmp - '" + plain.string() + "'");
    EXPECT_EQ(r.exit_code, 0) << r.output;
  } else {
    EXPECT_EQ(b0, 0x78U);
    EXPECT_EQ((b0 * 256 + b1) % 31, 0U);
  }

  TfRecordStats stats;
  const auto records = scan_all(file, true, &stats);
  EXPECT_EQ(stats.compression, c);
  EXPECT_EQ(stats.file_bytes, fs::file_size(file));
  ASSERT_EQ(records.size(), payloads.size());
  std::uint64_t offset = 0;
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    ASSERT_EQ(records[i].payload, payloads[i]) << i;
    ASSERT_EQ(records[i].offset, offset);
    offset += payloads[i].size() + 16;
  }
  EXPECT_EQ(scan_tfrecord(file, false).records, payloads.size());
  EXPECT_THROW((void)index_tfrecord(file, 0, false), InputError);

  // A cut compressed stream is an error in terms of the uncompressed stream.
  const fs::path cut = dir.path() / "cut.tfrecord";
  write_file(cut, std::span(head).first(head.size() / 2));
  try {
    (void)scan_tfrecord(cut, true);
    FAIL();
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(cut.string() + ": record "), std::string::npos) << msg;
    EXPECT_NE(msg.find("uncompressed offset"), std::string::npos) << msg;
  }
}

TEST_P(Compressed, EmptyStream) {
  test::ScratchDir dir;
  const fs::path file = dir.path() / "e.tfrecord";
  { TfRecordWriter w(file, GetParam()); }
  EXPECT_GT(fs::file_size(file), 0U);
  const auto stats = scan_tfrecord(file, true);
  EXPECT_EQ(stats.records, 0U);
  EXPECT_EQ(stats.compression, GetParam());
}

INSTANTIATE_TEST_SUITE_P(TfRecord, Compressed,
                         ::testing::Values(TfCompression::gzip, TfCompression::zlib));

// A record whose length bytes look like a zlib header is still read as uncompressed.
TEST(TfRecord, LengthThatLooksLikeZlibMagic) {
  test::ScratchDir dir;
  const fs::path file = dir.path() / "magic.tfrecord";
  {
    TfRecordWriter w(file);
    w.append(std::vector<std::byte>(0x1d08));  // first bytes 08 1d: a valid zlib CMF/FLG pair
  }
  EXPECT_EQ(scan_tfrecord(file, true).compression, TfCompression::none);
  EXPECT_EQ(scan_tfrecord(file, true).records, 1U);
}

// ---- Corruption --------------------------------------------------------------------------------

class Corrupt : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = dir_.path() / "c.tfrecord";
    TfRecordWriter w(file_);
    for (int i = 0; i < 3; ++i)
      w.append(bytes_of("hello"));  // records at 0, 21, 42; file 63 bytes
    w.finish();
    data_ = read_file(file_);
    ASSERT_EQ(data_.size(), 63U);
  }
  void rewrite(std::span<const std::byte> data) { write_file(file_, data); }

  test::ScratchDir dir_;
  fs::path file_;
  std::vector<std::byte> data_;
};

TEST_F(Corrupt, CutInsidePayload) {
  rewrite(std::span(data_).first(42 + 12 + 2));
  expect_error(file_, true, 2, 42, "beyond end of file");
  expect_error(file_, false, 2, 42, "beyond end of file");
}

TEST_F(Corrupt, CutInsideLengthField) {
  rewrite(std::span(data_).first(21 + 5));
  expect_error(file_, false, 1, 21, "truncated length field");
}

TEST_F(Corrupt, CutInsideFooter) {
  rewrite(std::span(data_).first(42 + 12 + 5 + 2));
  expect_error(file_, false, 2, 42, "truncated footer");
}

TEST_F(Corrupt, HugeLengthDoesNotAllocate) {
  const std::uint64_t length = std::uint64_t{1} << 40;
  std::memcpy(data_.data() + 21, &length, 8);
  const std::uint32_t crc = masked_crc32c(std::span(data_).subspan(21, 8));
  std::memcpy(data_.data() + 29, &crc, 4);
  rewrite(data_);
  expect_error(file_, true, 1, 21, "payload length 1099511627776 beyond end of file");
  EXPECT_THROW((void)index_tfrecord(file_, 0, false), InputError);
}

TEST_F(Corrupt, HugeLengthInCompressedStream) {
  const std::uint64_t length = std::uint64_t{1} << 40;
  std::memcpy(data_.data() + 21, &length, 8);
  const std::uint32_t crc = masked_crc32c(std::span(data_).subspan(21, 8));
  std::memcpy(data_.data() + 29, &crc, 4);
  const fs::path gz = dir_.path() / "huge.tfrecord.gz";
  rewrite(data_);
  const auto r = test::run_command("gzip -c < '" + file_.string() + "' > '" + gz.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  try {
    (void)scan_tfrecord(gz, true);
    FAIL();
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("record 1 at uncompressed offset 21: truncated payload (30 of "
                       "1099511627776 bytes)"),
              std::string::npos)
        << msg;
  }
}

TEST_F(Corrupt, FlippedPayloadBit) {
  data_[21 + 12 + 3] ^= std::byte{0x10};
  rewrite(data_);
  expect_error(file_, true, 1, 21, "payload CRC mismatch");
  EXPECT_EQ(scan_tfrecord(file_, false).records, 3U);
  std::vector<std::string> seen;
  (void)scan_tfrecord(file_, false, [&](std::uint64_t, std::uint64_t, auto p) {
    seen.emplace_back(reinterpret_cast<const char*>(p.data()), p.size());
  });
  ASSERT_EQ(seen.size(), 3U);
  EXPECT_EQ(seen[1], "hel|o");  // 0x6c ^ 0x10
}

TEST_F(Corrupt, BadLengthCrc) {
  data_[42 + 9] ^= std::byte{1};
  rewrite(data_);
  expect_error(file_, false, 2, 42, "length CRC mismatch");
}

TEST_F(Corrupt, BadIndex) {
  const fs::path idx = file_.string() + ".idx";
  EXPECT_EQ(read_text(idx), "0 21\n21 21\n42 21\n");
  EXPECT_EQ(read_tfrecord_index(file_, 0).size(), 3U);
  EXPECT_EQ(read_tfrecord_index(file_, 0).size(), 3U);

  write_text(idx, "0 21\n21 21\n0 21\n");
  expect_index_error(file_, 3, "offset 0 is not after the previous offset 21");
  write_text(idx, "0 21\n21 21\n42 22\n");
  expect_index_error(file_, 3, "record [42, 64) is beyond the end of the file (63 bytes)");
  write_text(idx, "0 21\n21 21\n");
  expect_index_error(file_, 3, "index ends at offset 42 but the file has 63 bytes");
  write_text(idx, "0 21\n22 20\n");
  expect_index_error(file_, 2, "should be 21");
  write_text(idx, "0 21\n21 -21\n");
  expect_index_error(file_, 2, "expected \"<offset> <size>\"");
  write_text(idx, "0 21\n21\n");
  expect_index_error(file_, 2, "expected");
  write_text(idx, "0 21\n21 8\n");
  expect_index_error(file_, 2, "smaller than the 16 bytes");
  write_text(idx, "0 21\n21 21\n42 21");  // no final newline: accepted
  EXPECT_EQ(read_tfrecord_index(file_, 0).size(), 3U);
  write_text(idx, std::string(1000, '1'));
  expect_index_error(file_, 1, "");
}

}  // namespace
}  // namespace aistor::formats
