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

}  // namespace
}  // namespace aistor
