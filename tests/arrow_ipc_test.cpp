#include "workloads/formats/arrow_ipc.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "workloads/formats/inspect.hpp"

namespace aistor {
namespace {

// Fixtures written by Apache Arrow's JavaScript implementation
// (tests/fixtures/arrow/make_fixtures.mjs).
std::vector<std::byte> fixture(const std::string& name) {
  std::ifstream in(std::string(AISTOR_SOURCE_DIR) + "/tests/fixtures/arrow/" + name,
                   std::ios::binary);
  std::vector<char> c((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> b(c.size());
  std::memcpy(b.data(), c.data(), c.size());
  return b;
}

std::string text(const std::optional<std::span<const std::byte>>& v) {
  return v ? std::string(reinterpret_cast<const char*>(v->data()), v->size()) : "<null>";
}

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i)
    out += s;
  return out;
}

void expect_hf_table(const ArrowIpcFile& f) {
  ASSERT_EQ(f.schema().size(), 3U);
  EXPECT_EQ(f.schema()[0].name, "text");
  EXPECT_EQ(f.schema()[0].type, ArrowType::utf8);
  EXPECT_EQ(f.schema()[1].type, ArrowType::struct_);
  ASSERT_EQ(f.schema()[1].children.size(), 2U);
  EXPECT_EQ(f.schema()[1].children[0].type, ArrowType::binary);
  EXPECT_EQ(f.schema()[2].type, ArrowType::int_);
  ASSERT_EQ(f.batches().size(), 2U);
  EXPECT_EQ(f.rows(), 8);
  std::int64_t global = 0;
  for (const auto& b : f.batches()) {
    ASSERT_EQ(b.leaves.size(), 4U);
    EXPECT_EQ(b.leaves[0].path, "text");
    EXPECT_EQ(b.leaves[1].path, "image.bytes");
    EXPECT_EQ(b.leaves[2].path, "image.path");
    EXPECT_EQ(b.leaves[3].path, "label");
    for (std::int64_t r = 0; r < b.rows; ++r, ++global) {
      const int i = static_cast<int>(global);
      EXPECT_EQ(text(b.leaves[0].value(r)),
                i == 2 ? "<null>" : "sample " + std::to_string(i) + " " + std::string(i * 7, 'x'));
      EXPECT_EQ(text(b.leaves[1].value(r)), repeat("img" + std::to_string(i), i + 1));
      EXPECT_EQ(text(b.leaves[2].value(r)), "images/" + std::to_string(i) + ".jpg");
    }
  }
}

TEST(ArrowIpc, StreamFormatReadsEveryValueAndTheNull) {
  const auto b = fixture("hf.arrows");
  const ArrowIpcFile f(b, "hf.arrows");
  EXPECT_FALSE(f.file_format());
  expect_hf_table(f);
}

TEST(ArrowIpc, FileFormatReadsTheSameTable) {
  const auto b = fixture("hf.arrow");
  const ArrowIpcFile f(b, "hf.arrow");
  EXPECT_TRUE(f.file_format());
  expect_hf_table(f);
}

TEST(ArrowIpc, LargeOffsets) {
  const auto b = fixture("large.arrows");
  const ArrowIpcFile f(b, "large.arrows");
  ASSERT_EQ(f.batches().size(), 1U);
  const auto& leaves = f.batches()[0].leaves;
  EXPECT_EQ(leaves[0].type, ArrowType::large_utf8);
  EXPECT_EQ(leaves[1].type, ArrowType::large_binary);
  EXPECT_EQ(text(leaves[0].value(2)), "ccc");
  EXPECT_EQ(text(leaves[1].value(1)), "22");
}

std::string error_of(std::span<const std::byte> b) {
  try {
    const ArrowIpcFile f(b, "bad.arrow");
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(ArrowIpc, EveryTruncationIsAOneLineErrorNamingTheFile) {
  const auto b = fixture("hf.arrow");
  for (std::size_t n = 0; n < b.size(); ++n) {
    const auto e = error_of(std::span(b).first(n));
    EXPECT_EQ(e.rfind("bad.arrow: byte ", 0), 0U) << n << ": " << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << n;
  }
  const auto s = fixture("hf.arrows");
  // A stream cut at a message boundary is a shorter, valid stream; cut inside one, an error.
  int errors = 0;
  for (std::size_t n = 1; n < s.size(); ++n) {
    const auto e = error_of(std::span(s).first(n));
    if (e == "no error") continue;
    ++errors;
    EXPECT_EQ(e.rfind("bad.arrow: byte ", 0), 0U) << n << ": " << e;
  }
  EXPECT_GT(errors, static_cast<int>(s.size()) - 8);
}

TEST(ArrowIpc, CorruptOffsetsAreCaught) {
  auto b = fixture("large.arrows");
  // The large_utf8 offsets {0,1,3,6} start the body; make the last one point past the data.
  const std::int64_t bad = 1000;
  const auto first = std::search(b.begin(), b.end(), reinterpret_cast<const std::byte*>("abbccc"),
                                 reinterpret_cast<const std::byte*>("abbccc") + 6);
  ASSERT_NE(first, b.end());
  bool patched = false;
  for (std::size_t i = 0; i + 8 <= static_cast<std::size_t>(first - b.begin()); i += 8) {
    std::int64_t v;
    std::memcpy(&v, b.data() + i, 8);
    if (v == 6) {
      std::memcpy(b.data() + i, &bad, 8);
      patched = true;
    }
  }
  ASSERT_TRUE(patched);
  EXPECT_NE(error_of(b).find("column text: row 3: offset 1000"), std::string::npos) << error_of(b);
}

TEST(ArrowIpc, AnyByteSetToZeroOrFFParsesOrFailsWithInputError) {
  for (const char* name : {"hf.arrows", "hf.arrow"}) {
    const auto good = fixture(name);
    for (std::size_t i = 0; i < good.size(); ++i) {
      for (std::byte v : {std::byte{0}, std::byte{0xFF}}) {
        auto b = good;
        b[i] = v;
        try {
          const ArrowIpcFile f(b, name);
          for (const auto& batch : f.batches())
            for (const auto& leaf : batch.leaves)
              for (std::int64_t r = 0; r < batch.rows; ++r)
                (void)leaf.value(r);
        } catch (const InputError&) {
        }
      }
    }
  }
}

TEST(ArrowIpc, InspectCountsRowsNullsAndValueBytesPerColumn) {
  const auto j =
      formats::inspect(std::string(AISTOR_SOURCE_DIR) + "/tests/fixtures/arrow/hf.arrow");
  EXPECT_EQ(j["format"], "arrow");
  EXPECT_EQ(j["ipc"], "file");
  EXPECT_EQ(j["rows"], 8);
  EXPECT_EQ(j["batches"], 2);
  ASSERT_EQ(j["columns"].size(), 4U);
  EXPECT_EQ(j["columns"][0]["nulls"], 1);
  EXPECT_EQ(j["columns"][0]["value_bytes"], 245);  // "sample i " + 7i x's, row 2 null
  EXPECT_EQ(j["columns"][1]["path"], "image.bytes");
  EXPECT_EQ(j["columns"][1]["value_bytes"], 144);
  EXPECT_TRUE(j["columns"][3]["value_bytes"].is_null());
}

TEST(ArrowIpc, NotArrowAtAll) {
  const std::string junk = "hello, this is not arrow";
  const auto e = error_of(std::as_bytes(std::span(junk)));
  EXPECT_EQ(e.rfind("bad.arrow: byte ", 0), 0U) << e;
}

// The byte where the footer's Block for batch `i` starts (its int64 offset), found by value.
std::size_t footer_block(const std::vector<std::byte>& b, const ArrowIpcFile& f, std::size_t i) {
  std::uint32_t footer_bytes = 0;
  std::memcpy(&footer_bytes, b.data() + b.size() - 10, 4);
  const std::size_t footer = b.size() - 10 - footer_bytes;
  const auto want = static_cast<std::int64_t>(f.batches()[i].message_offset);
  for (std::size_t at = footer; at + 24 <= b.size(); at += 8) {
    std::int64_t v = 0;
    std::memcpy(&v, b.data() + at, 8);
    if (v == want) return at;
  }
  ADD_FAILURE() << "no block for batch " << i;
  return 0;
}

template <typename T>
void put(std::vector<std::byte>& b, std::size_t at, T v) {
  std::memcpy(b.data() + at, &v, sizeof v);
}

// As Apache Arrow's file reader does, the batches read are the footer's: a footer listing one of
// the stream's two batches reads that one (5 rows, not 8).
TEST(ArrowIpc, FileFormatReadsTheBatchesItsFooterLists) {
  auto b = fixture("hf.arrow");
  const ArrowIpcFile f(b, "hf.arrow");
  const auto block0 = footer_block(b, f, 0);
  put<std::uint32_t>(b, block0 - 4, 1);  // the vector's length
  const ArrowIpcFile one(b, "hf.arrow");
  ASSERT_EQ(one.batches().size(), 1U);
  EXPECT_EQ(one.rows(), 5);
}

TEST(ArrowIpc, FooterBlocksOutsideTheStreamPartAreRefused) {
  const auto good = fixture("hf.arrow");
  const ArrowIpcFile f(good, "hf.arrow");
  const auto block1 = footer_block(good, f, 1);
  const std::string outside = "record batch block 1: offset";
  for (const std::int64_t offset :
       {std::int64_t{-8}, std::int64_t{0}, std::int64_t{4}, static_cast<std::int64_t>(good.size()),
        std::int64_t{1} << 62}) {
    auto b = good;
    put<std::int64_t>(b, block1, offset);
    const auto e = error_of(b);
    EXPECT_NE(e.find(outside), std::string::npos) << offset << ": " << e;
  }
  for (const std::int64_t body :
       {std::int64_t{-1}, static_cast<std::int64_t>(good.size()), INT64_MAX}) {
    auto b = good;
    put<std::int64_t>(b, block1 + 16, body);
    const auto e = error_of(b);
    EXPECT_NE(e.find(outside), std::string::npos) << body << ": " << e;
  }
  // Inside the file but not framing the batch there: the block's lengths disagree with it.
  auto b = good;
  put<std::int64_t>(b, block1 + 16, 8);
  EXPECT_EQ(error_of(b).rfind("bad.arrow: byte ", 0), 0U) << error_of(b);
  b = good;
  put<std::int64_t>(b, block1 + 16, 360 + 8);
  EXPECT_NE(error_of(b).find("record batch block 1 says 736 bytes, the message there holds 728"),
            std::string::npos)
      << error_of(b);
  // Every error names a byte the file has.
  for (std::size_t at = block1; at < block1 + 24; ++at) {
    auto c = good;
    c[at] = std::byte{0xff};
    const auto e = error_of(c);
    if (e == "no error") continue;
    const auto byte = std::stoull(e.substr(std::string("bad.arrow: byte ").size()));
    EXPECT_LE(byte, good.size()) << e;
  }
}

TEST(ArrowIpc, ADamagedLeadingMagicIsADamagedArrowFile) {
  auto b = fixture("hf.arrow");
  b[4] = std::byte{'X'};
  EXPECT_EQ(error_of(b).rfind("bad.arrow: byte 0: no leading ARROW1 magic", 0), 0U) << error_of(b);
}

}  // namespace
}  // namespace aistor
