#include "workloads/formats/ffrecord.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "tests/test_support.hpp"
#include "workloads/formats/crc.hpp"

namespace aistor::formats {
namespace {

using Bytes = std::vector<std::byte>;

void put_u32(Bytes& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<std::byte>(v >> (8 * i)));
}
void put_u64(Bytes& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<std::byte>(v >> (8 * i)));
}
void put_str(Bytes& out, std::string_view s) {
  for (char c : s)
    out.push_back(static_cast<std::byte>(c));
}
void set_u64(Bytes& out, std::size_t at, std::uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out[at + i] = static_cast<std::byte>(v >> (8 * i));
}

Bytes as_bytes(std::string_view s) {
  Bytes b;
  put_str(b, s);
  return b;
}

void write_file(const std::filesystem::path& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good());
}

Bytes read_whole(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return as_bytes(s);
}

// "hello", "", "ffrecord!" laid out by hand from the spec; every CRC is a literal computed with
// python3's zlib.crc32 (the meta one over bytes [4, 48)).
Bytes literal_file() {
  Bytes f;
  put_u32(f, 0x38cec187);  // checksum_meta
  put_u64(f, 3);           // N
  put_u32(f, 0x3610a686);  // crc32("hello")
  put_u32(f, 0x00000000);  // crc32("")
  put_u32(f, 0x5b60f25c);  // crc32("ffrecord!")
  put_u64(f, 48);          // 12 + 12 * 3
  put_u64(f, 53);
  put_u64(f, 53);
  put_str(f, "hello");
  put_str(f, "ffrecord!");
  return f;
}

// Rewrites checksum_meta over [4, 12 + 12N) so a tampered index reaches the offset checks.
void reseal(Bytes& f, std::uint64_t n) {
  std::uint32_t meta = crc32(std::span<const std::byte>(f.data() + 4, 8 + 12 * n));
  for (int i = 0; i < 4; ++i)
    f[i] = static_cast<std::byte>(meta >> (8 * i));
}

std::string input_error(const std::filesystem::path& path, bool verify = false) {
  try {
    auto f = FfRecordFile::open(path, 0);
    if (verify) f.verify();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

Bytes payload(std::uint32_t file, std::uint64_t i, std::size_t length) {
  Bytes b(length);
  std::uint64_t x = (file + 1) * 0x9e3779b97f4a7c15ULL ^ (i + 1) * 0xbf58476d1ce4e5b9ULL;
  for (auto& byte : b) {
    x ^= x >> 29;
    x *= 0x94d049bb133111ebULL;
    byte = static_cast<std::byte>(x >> 56);
  }
  return b;
}

void expect_ref(const SampleRef& r, std::uint64_t offset, std::uint32_t length,
                std::uint32_t file) {
  EXPECT_EQ(r.offset, offset);
  EXPECT_EQ(r.length, length);
  EXPECT_EQ(r.file, file);
}

TEST(FfRecord, ReadsAFileBuiltFromTheSpec) {
  test::ScratchDir dir;
  auto path = dir.path() / "literal.ffr";
  write_file(path, literal_file());

  auto f = FfRecordFile::open(path, 7);
  ASSERT_EQ(f.size(), 3U);
  EXPECT_EQ(f.file_bytes(), 62U);
  EXPECT_EQ(f.path(), path);
  EXPECT_GE(f.fd(), 0);
  expect_ref(f.ref(0), 48, 5, 7);
  expect_ref(f.ref(1), 53, 0, 7);
  expect_ref(f.ref(2), 53, 9, 7);
  EXPECT_EQ(f.checksum(0), 0x3610a686U);
  EXPECT_EQ(f.checksum(1), 0U);
  EXPECT_EQ(f.checksum(2), 0x5b60f25cU);
  EXPECT_THROW((void)f.ref(3), std::out_of_range);

  Bytes out(9);
  f.read(2, out);
  EXPECT_EQ(out, as_bytes("ffrecord!"));
  Bytes none;
  f.read(1, none);
  Bytes wrong(4);
  EXPECT_THROW(f.read(0, wrong), std::invalid_argument);

  std::vector<std::uint64_t> seen;
  f.verify([&](std::uint64_t i) { seen.push_back(i); });
  EXPECT_EQ(seen, (std::vector<std::uint64_t>{0, 1, 2}));
}

TEST(FfRecord, WriterProducesTheSpecBytes) {
  test::ScratchDir dir;
  auto path = dir.path() / "written.ffr";
  FfRecordWriter w(path, 3);
  w.append(as_bytes("hello"));
  w.append({});
  w.append(as_bytes("ffrecord!"));
  EXPECT_EQ(w.file_bytes(), 62U);
  w.finish();
  w.finish();  // idempotent
  EXPECT_EQ(read_whole(path), literal_file());
}

TEST(FfRecord, RoundTripsADatasetOfThreeFiles) {
  test::ScratchDir dir;
  // File 0 mixes empty, small and two samples past the 1 MiB write buffer (one past the 4 MiB
  // verify buffer); file 1 has one sample; file 2 none (header only).
  std::vector<std::vector<std::size_t>> lengths(3);
  for (std::uint64_t i = 0; i < 500; ++i) {
    std::size_t len = i % 50 == 0 ? 0 : (i * 7919) % 3001;
    if (i == 100) len = (std::size_t{5} << 20) + 3;
    if (i == 101) len = std::size_t{1} << 20;
    lengths[0].push_back(len);
  }
  lengths[1].push_back(12345);

  std::vector<std::filesystem::path> paths;
  for (std::uint32_t file = 0; file < 3; ++file) {
    paths.push_back(dir.path() / ("part-" + std::to_string(file) + ".ffr"));
    FfRecordWriter w(paths.back(), lengths[file].size());
    for (std::uint64_t i = 0; i < lengths[file].size(); ++i) {
      w.append(payload(file, i, lengths[file][i]));
    }
    w.finish();
  }

  for (std::uint32_t file = 0; file < 3; ++file) {
    auto f = FfRecordFile::open(paths[file], file);
    ASSERT_EQ(f.size(), lengths[file].size());
    std::uint64_t offset = 12 + 12 * lengths[file].size();
    for (std::uint64_t i = 0; i < f.size(); ++i) {
      const auto len = lengths[file][i];
      expect_ref(f.ref(i), offset, static_cast<std::uint32_t>(len), file);
      Bytes expected = payload(file, i, len);
      EXPECT_EQ(f.checksum(i), crc32(expected));
      Bytes got(len);
      f.read(i, got);
      EXPECT_EQ(got, expected) << "file " << file << " sample " << i;
      offset += len;
    }
    EXPECT_EQ(f.file_bytes(), offset);
    std::uint64_t calls = 0;
    f.verify([&](std::uint64_t i) { EXPECT_EQ(i, calls++); });
    EXPECT_EQ(calls, lengths[file].size());
  }
  EXPECT_EQ(std::filesystem::file_size(paths[2]), 12U);
}

// More samples than the writer holds before writing header entries (64 Ki): the header it
// writes in batches, with checksum_meta from two combined CRCs, equals one built in one piece.
TEST(FfRecord, HeaderWrittenInBatchesEqualsOneBuiltWhole) {
  test::ScratchDir dir;
  const auto path = dir.path() / "many.ffr";
  constexpr std::uint64_t kSamples = 150001;
  Bytes checksums;
  Bytes offsets;
  Bytes data;
  std::uint64_t offset = 12 + 12 * kSamples;
  {
    FfRecordWriter w(path, kSamples);
    for (std::uint64_t i = 0; i < kSamples; ++i) {
      const Bytes p = payload(1, i, i % 5);
      w.append(p);
      put_u32(checksums, detail::crc32_portable(p));
      put_u64(offsets, offset);
      offset += p.size();
      data.insert(data.end(), p.begin(), p.end());
    }
    w.finish();
  }
  Bytes meta_input;
  put_u64(meta_input, kSamples);
  meta_input.insert(meta_input.end(), checksums.begin(), checksums.end());
  meta_input.insert(meta_input.end(), offsets.begin(), offsets.end());
  Bytes expected;
  put_u32(expected, detail::crc32_portable(meta_input));
  expected.insert(expected.end(), meta_input.begin(), meta_input.end());
  expected.insert(expected.end(), data.begin(), data.end());
  EXPECT_EQ(read_whole(path), expected);
  auto f = FfRecordFile::open(path, 0);
  EXPECT_EQ(f.size(), kSamples);
  EXPECT_NO_THROW(f.verify());
}

TEST(FfRecord, CrossChecksWithAPythonReader) {
  if (test::run_command("python3 -c 'import zlib, struct'").exit_code != 0) {
    GTEST_SKIP() << "python3 with zlib is not available";
  }
  test::ScratchDir dir;
  auto path = dir.path() / "py.ffr";
  FfRecordWriter w(path, 4);
  w.append(as_bytes("alpha"));
  w.append({});
  w.append(payload(0, 2, 70000));
  w.append(as_bytes("omega"));
  w.finish();
  // A reader written from ffrecord's fileio.py: meta CRC over [4, 12 + 12N), then every sample.
  auto script = dir.path() / "read.py";
  std::ofstream(script) << "import struct, sys, zlib\n"
                           "d = open(sys.argv[1], 'rb').read()\n"
                           "meta, n = struct.unpack_from('<Iq', d, 0)\n"
                           "assert zlib.crc32(d[4:12 + 12 * n]) == meta, 'meta'\n"
                           "crcs = struct.unpack_from('<%dI' % n, d, 12)\n"
                           "offs = list(struct.unpack_from('<%dQ' % n, d, 12 + 4 * n)) + [len(d)]\n"
                           "for i in range(n):\n"
                           "    assert zlib.crc32(d[offs[i]:offs[i + 1]]) == crcs[i], i\n"
                           "print('ok', n, [offs[i + 1] - offs[i] for i in range(n)])\n";
  auto res = test::run_command("python3 " + script.string() + " " + path.string());
  EXPECT_EQ(res.exit_code, 0) << res.output;
  EXPECT_EQ(res.output, "ok 4 [5, 0, 70000, 5]\n");
}

TEST(FfRecord, WriterEnforcesTheSampleCount) {
  test::ScratchDir dir;
  auto path = dir.path() / "count.ffr";
  {
    FfRecordWriter w(path, 2);
    w.append(as_bytes("a"));
    EXPECT_THROW(w.finish(), std::logic_error);
    w.append(as_bytes("b"));
    EXPECT_THROW(w.append(as_bytes("c")), std::logic_error);
    w.finish();
    EXPECT_THROW(w.append(as_bytes("c")), std::logic_error);
  }
  EXPECT_EQ(FfRecordFile::open(path, 0).size(), 2U);

  // Never finished, even with a payload past the write buffer already on disk: the file is
  // emptied, so it cannot pass for a dataset.
  {
    FfRecordWriter w(path, 2);
    w.append(payload(0, 0, std::size_t{2} << 20));
    EXPECT_GT(std::filesystem::file_size(path), std::uint64_t{2} << 20);
  }
  EXPECT_EQ(std::filesystem::file_size(path), 0U);
  EXPECT_EQ(input_error(path),
            path.string() + ": offset 0: file too short for a header (0 of 12 bytes)");
  {
    FfRecordWriter w(path, 1);
    w.append(as_bytes("abc"));
    w = FfRecordWriter(dir.path() / "other.ffr", 0);  // abandons the first file
    w.finish();
  }
  EXPECT_EQ(std::filesystem::file_size(path), 0U);
  EXPECT_EQ(FfRecordFile::open(dir.path() / "other.ffr", 0).size(), 0U);

  EXPECT_THROW(FfRecordWriter(path, std::uint64_t{1} << 60), InputError);
}

TEST(FfRecord, WriteFailureIsASystemError) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full on this machine";
  FfRecordWriter w("/dev/full", 2);
  w.append(as_bytes("small"));  // buffered
  try {
    w.append(payload(0, 1, std::size_t{1} << 20));  // flushes, then writes directly
    ADD_FAILURE() << "append passed";
  } catch (const SystemError& e) {
    EXPECT_EQ(e.err(), ENOSPC);
    EXPECT_NE(std::string(e.what()).find("pwrite /dev/full"), std::string::npos) << e.what();
  }
}

// ---- corruptions: each one an InputError naming the file and the offset of the bad field ----

class FfRecordCorruption : public ::testing::Test {
 protected:
  test::ScratchDir dir_;
  std::filesystem::path path_ = dir_.path() / "bad.ffr";
  std::string prefix_ = path_.string() + ": ";
};

TEST_F(FfRecordCorruption, EmptyFile) {
  write_file(path_, {});
  EXPECT_EQ(input_error(path_), prefix_ + "offset 0: file too short for a header (0 of 12 bytes)");
}

TEST_F(FfRecordCorruption, TruncatedHeader) {
  Bytes f = literal_file();
  f.resize(7);
  write_file(path_, f);
  EXPECT_EQ(input_error(path_), prefix_ + "offset 0: file too short for a header (7 of 12 bytes)");

  // The fixed part is there but the arrays are cut.
  f = literal_file();
  f.resize(40);
  write_file(path_, f);
  EXPECT_EQ(input_error(path_), prefix_ + "offset 4: N=3 does not fit in 40 bytes");
}

TEST_F(FfRecordCorruption, HugeSampleCountIsRejectedBeforeAllocating) {
  Bytes f = literal_file();
  set_u64(f, 4, std::uint64_t{1} << 60);
  write_file(path_, f);
  EXPECT_EQ(input_error(path_),
            prefix_ + "offset 4: N=1152921504606846976 does not fit in 62 bytes");

  set_u64(f, 4, ~std::uint64_t{0});
  write_file(path_, f);
  EXPECT_EQ(input_error(path_), prefix_ + "offset 4: N=-1 does not fit in 62 bytes");

  // The largest N whose header fits is accepted by the size check (and then fails the meta CRC).
  set_u64(f, 4, 4);  // 12 + 48 = 60 <= 62
  write_file(path_, f);
  EXPECT_NE(input_error(path_).find("meta checksum mismatch"), std::string::npos);
  set_u64(f, 4, 5);  // 72 > 62
  write_file(path_, f);
  EXPECT_EQ(input_error(path_), prefix_ + "offset 4: N=5 does not fit in 62 bytes");
}

TEST_F(FfRecordCorruption, BadMetaChecksum) {
  Bytes f = literal_file();
  f[16] ^= std::byte{0x01};  // checksums[1]
  write_file(path_, f);
  EXPECT_EQ(input_error(path_),
            prefix_ + "offset 0: meta checksum mismatch (stored 0x38cec187, computed 0xc914c42d)");
}

TEST_F(FfRecordCorruption, FirstOffsetNotAtHeaderEnd) {
  Bytes f = literal_file();
  set_u64(f, 24, 47);
  reseal(f, 3);
  write_file(path_, f);
  EXPECT_EQ(input_error(path_),
            prefix_ + "offset 24: sample 0: offset 47 out of order (samples start at 48)");
}

TEST_F(FfRecordCorruption, OffsetsOutOfOrder) {
  Bytes f = literal_file();
  set_u64(f, 40, 50);  // offsets[2] < offsets[1] = 53
  reseal(f, 3);
  write_file(path_, f);
  EXPECT_EQ(input_error(path_),
            prefix_ + "offset 40: sample 2: offset 50 out of order (sample 1 starts at 53)");
}

TEST_F(FfRecordCorruption, OffsetBeyondEnd) {
  Bytes f = literal_file();
  set_u64(f, 40, 100);
  reseal(f, 3);
  write_file(path_, f);
  EXPECT_EQ(input_error(path_), prefix_ + "offset 40: sample 2: offset 100 beyond end (62 bytes)");
}

TEST_F(FfRecordCorruption, FlippedSampleByteIsCaughtByVerify) {
  Bytes f = literal_file();
  f[55] = static_cast<std::byte>('X');  // "ffrecord!" -> "ffXecord!"
  write_file(path_, f);
  auto file = FfRecordFile::open(path_, 0);  // the header is intact
  std::vector<std::uint64_t> seen;
  try {
    file.verify([&](std::uint64_t i) { seen.push_back(i); });
    ADD_FAILURE() << "verify passed";
  } catch (const InputError& e) {
    EXPECT_EQ(
        std::string(e.what()),
        prefix_ +
            "sample 2 at offset 53: checksum mismatch (stored 0x5b60f25c, computed 0x30ad948e)");
  }
  EXPECT_EQ(seen, (std::vector<std::uint64_t>{0, 1}));
}

TEST_F(FfRecordCorruption, TruncatedLastSample) {
  // Cut inside the last sample: the index still fits, its CRC does not.
  Bytes f = literal_file();
  f.resize(59);
  write_file(path_, f);
  EXPECT_EQ(FfRecordFile::open(path_, 0).ref(2).length, 6U);
  EXPECT_EQ(
      input_error(path_, true),
      prefix_ +
          "sample 2 at offset 53: checksum mismatch (stored 0x5b60f25c, computed 0x65eaea78)");

  // Cut before the last samples start: the header check sees it.
  f.resize(50);
  write_file(path_, f);
  EXPECT_EQ(input_error(path_), prefix_ + "offset 32: sample 1: offset 53 beyond end (50 bytes)");
}

TEST_F(FfRecordCorruption, FileShrinksAfterOpen) {
  write_file(path_, literal_file());
  auto file = FfRecordFile::open(path_, 0);
  ASSERT_EQ(::truncate(path_.c_str(), 60), 0);
  Bytes out(9);
  try {
    file.read(2, out);
    ADD_FAILURE() << "read passed";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), prefix_ + "offset 60: sample 2: file ends after 7 of 9 bytes");
  }
  try {
    file.verify();
    ADD_FAILURE() << "verify passed";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), prefix_ + "offset 60: sample 2: file ends after 7 of 9 bytes");
  }
}

}  // namespace
}  // namespace aistor::formats
