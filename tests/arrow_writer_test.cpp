#include "workloads/formats/arrow_writer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/mapping.hpp"
#include "test_support.hpp"
#include "workloads/formats/arrow_dataset.hpp"
#include "workloads/formats/dataset.hpp"

namespace aistor::formats {
namespace {

std::span<const std::byte> bytes_of(const std::string& s) {
  return std::as_bytes(std::span(s));
}
std::string text(const std::optional<std::span<const std::byte>>& v) {
  return v ? std::string(reinterpret_cast<const char*>(v->data()), v->size()) : "<null>";
}

// Every type the writer knows, nested as Hugging Face nests images, over two batches.
std::vector<ArrowField> all_types() {
  ArrowField image{"image", ArrowType::struct_, true, {}};
  image.children.push_back({"bytes", ArrowType::binary, true, {}});
  image.children.push_back({"path", ArrowType::utf8, true, {}});
  return {image,
          {"label", ArrowType::int_, false, {}},
          {"big", ArrowType::large_binary, true, {}},
          {"note", ArrowType::large_utf8, true, {}}};
}

TEST(ArrowWriter, WhatItWritesReadsBackExactlyBatchByBatch) {
  test::ScratchDir dir;
  const auto file = dir.path() / "t.arrow";
  ArrowStreamWriter w(file, all_types(), {{"huggingface", R"({"info": {}})"}});
  std::vector<ArrowColumn> cols(5);
  for (int batch = 0; batch < 2; ++batch) {
    for (auto& c : cols)
      c.clear();
    for (int r = 0; r < 3 + batch; ++r) {
      const std::string id = std::to_string(batch) + "/" + std::to_string(r);
      cols[0].append(bytes_of("img" + id));
      cols[1].append(bytes_of("p" + id + ".jpg"));
      cols[2].append(std::int64_t{100 * batch + r});
      cols[3].append(bytes_of(std::string(static_cast<std::size_t>(r), 'x')));  // empty at r=0
      cols[4].append(bytes_of("note" + id));
    }
    w.write_batch(3 + batch, cols);
  }
  w.finish(true);
  EXPECT_EQ(w.bytes(), std::filesystem::file_size(file));

  const Mapping map = map_file(file);
  const std::span<const std::byte> all(map.data(), map.size());
  const ArrowIpcFile f(all, file.string());
  EXPECT_FALSE(f.file_format());
  ASSERT_EQ(f.schema().size(), 4U);
  EXPECT_EQ(f.schema()[0].type, ArrowType::struct_);
  EXPECT_EQ(f.schema()[0].children[1].name, "path");
  EXPECT_FALSE(f.schema()[1].nullable);
  EXPECT_EQ(f.schema()[3].type, ArrowType::large_utf8);
  ASSERT_EQ(f.batches().size(), 2U);
  EXPECT_EQ(f.rows(), 7);
  const auto& b1 = f.batches()[1];
  ASSERT_EQ(b1.leaves.size(), 5U);
  EXPECT_EQ(b1.leaves[0].path, "image.bytes");
  EXPECT_EQ(text(b1.leaves[0].value(3)), "img1/3");
  EXPECT_EQ(text(b1.leaves[1].value(2)), "p1/2.jpg");
  std::int64_t label = 0;
  std::memcpy(&label, b1.leaves[2].data.data() + 8 * 3, 8);
  EXPECT_EQ(label, 103);
  EXPECT_EQ(text(b1.leaves[3].value(0)), "");
  EXPECT_EQ(text(b1.leaves[3].value(2)), "xx");
  EXPECT_EQ(text(b1.leaves[4].value(1)), "note1/1");

  // One message alone parses to the same batch, at the same file offsets.
  const auto one = parse_arrow_batch(all.subspan(b1.message_offset, b1.message_bytes),
                                     b1.message_offset, f.schema(), file.string());
  EXPECT_EQ(one.rows, 4);
  EXPECT_EQ(one.body_offset, b1.body_offset);
  EXPECT_EQ(one.message_bytes, b1.message_bytes);
  EXPECT_EQ(text(one.leaves[4].value(3)), "note1/3");
  // Batches tile the stream: the second starts where the first ends.
  EXPECT_EQ(f.batches()[0].message_offset + f.batches()[0].message_bytes, b1.message_offset);
  EXPECT_EQ(b1.message_offset + b1.message_bytes + 8, map.size());  // then end of stream
}

TEST(ArrowWriter, AMessageCutShortOrNotABatchIsAnErrorWithItsOffset) {
  test::ScratchDir dir;
  const auto file = dir.path() / "t.arrow";
  ArrowStreamWriter w(file, {{"text", ArrowType::utf8, true, {}}}, {});
  ArrowColumn c;
  c.append(bytes_of("hello"));
  w.write_batch(1, std::span(&c, 1));
  w.finish(false);
  const Mapping map = map_file(file);
  const std::span<const std::byte> all(map.data(), map.size());
  const ArrowIpcFile f(all, "t");
  const auto& b = f.batches().at(0);
  try {
    (void)parse_arrow_batch(all.subspan(b.message_offset, b.message_bytes - 3), b.message_offset,
                            f.schema(), "t");
    FAIL() << "a truncated message parsed";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("t: byte "), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
  // The schema message is not a record batch.
  EXPECT_THROW((void)parse_arrow_batch(all.subspan(0, b.message_offset), 0, f.schema(), "t"),
               InputError);
}

TEST(ArrowWriter, ColumnsThatDoNotMatchTheSchemaAreRefused) {
  test::ScratchDir dir;
  ArrowStreamWriter w(dir.path() / "t.arrow", {{"text", ArrowType::utf8, true, {}}}, {});
  std::vector<ArrowColumn> two(2);
  EXPECT_THROW(w.write_batch(0, two), std::invalid_argument);
  ArrowColumn c;
  c.append(bytes_of("a"));
  EXPECT_THROW(w.write_batch(2, std::span(&c, 1)), std::invalid_argument);  // 1 value, 2 rows
}

TEST(ArrowDataset, GeneratedFilesAreHuggingFaceShapedAndHoldTheirSamples) {
  test::ScratchDir dir;
  DatasetSpec spec;
  spec.format = DatasetFormat::arrow;
  spec.preset = "imagenet";
  spec.samples = 250;
  spec.files = 2;
  spec.sizes = {SizeKind::uniform, 0, 0, 100, 5000};
  const auto g = generate_dataset(spec, dir.path(), 2, nullptr);
  EXPECT_EQ(g.samples, 250U);
  const auto file = dir.path() / spec.record_file(1);
  EXPECT_EQ(file.filename(), "data-00001-of-00002.arrow");
  const Mapping map = map_file(file);
  const ArrowIpcFile f(std::span<const std::byte>(map.data(), map.size()), file.string());
  EXPECT_EQ(f.rows(), 125);
  EXPECT_EQ(f.batches().size(), 2U);  // 100 rows a batch
  ASSERT_EQ(f.batches()[0].leaves.size(), 3U);
  EXPECT_EQ(f.batches()[0].leaves[0].path, "image.bytes");
  EXPECT_EQ(text(f.batches()[1].leaves[1].value(0)), "n00000225_225.JPEG");
  std::vector<std::byte> want(spec.sizes.size_of(130, spec.seed));
  fill_arrow_sample(spec, want, 130);
  const auto got = f.batches()[0].leaves[0].value(5);
  ASSERT_TRUE(got);
  EXPECT_TRUE(std::equal(got->begin(), got->end(), want.begin(), want.end()));
  std::uint64_t payload = 0;
  for (int p = 0; p < 2; ++p) {
    const Mapping m = map_file(dir.path() / spec.record_file(static_cast<std::uint32_t>(p)));
    const ArrowIpcFile a(std::span<const std::byte>(m.data(), m.size()), "a");
    for (const auto& b : a.batches())
      for (std::int64_t r = 0; r < b.rows; ++r)
        payload += b.leaves[0].value(r)->size();
  }
  EXPECT_EQ(payload, g.payload_bytes);
}

TEST(ArrowDataset, TextIsPrintableAscii) {
  DatasetSpec spec;
  spec.format = DatasetFormat::arrow;
  spec.preset = "openwebtext";
  std::vector<std::byte> s(4096);
  fill_arrow_sample(spec, s, 7);
  for (auto b : s) {
    const auto c = std::to_integer<int>(b);
    ASSERT_TRUE(c == ' ' || c == '.' || std::isalnum(c)) << c;
  }
  EXPECT_EQ(arrow_dataset_schema(spec).at(0).name, "text");
}

}  // namespace
}  // namespace aistor::formats
