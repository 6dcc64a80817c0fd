// The dataset index finds every sample: reading the bytes it points at gives exactly that sample.
#include "workloads/formats/dataset_index.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "core/config_node.hpp"
#include "core/error.hpp"
#include "core/posix_io.hpp"
#include "core/unique_fd.hpp"
#include "tests/test_support.hpp"
#include "workloads/formats/sample_content.hpp"

namespace aistor::formats {
namespace {

DatasetSpec make_spec(const std::string& format) {
  nlohmann::json j{{"format", format},
                   {"samples", 300},
                   {"files", 4},
                   {"fan_out", 5},
                   {"sizes", {{"kind", "lognormal"}, {"mean", "2000"}, {"stdev", "1500"}}},
                   {"seed", 11}};
  ConfigNode node(j, "dataset");
  return parse_dataset_spec(node);
}

class IndexPerFormat : public testing::TestWithParam<std::string> {};

TEST_P(IndexPerFormat, EveryRefReadsBackAsItsSample) {
  test::ScratchDir dir;
  auto spec = make_spec(GetParam());
  (void)generate_dataset(spec, dir.path() / "ds", 2, nullptr);
  auto index = DatasetIndex::open(dir.path() / "ds");
  ASSERT_EQ(index.size(), 300u);
  EXPECT_EQ(index.file_count(), GetParam() == "raw" ? 300u : 4u);
  std::vector<std::byte> buf;
  for (std::uint64_t i = 0; i < index.size(); ++i) {
    const SampleRef& ref = index.at(i);
    ASSERT_EQ(ref.length, spec.sizes.size_of(i, 11)) << i;
    buf.resize(ref.length);
    UniqueFd fd(::open(index.path_of(ref).c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(fd) << index.path_of(ref);
    ASSERT_EQ(pread_full(fd.get(), buf.data(), buf.size(), ref.offset),
              static_cast<std::int64_t>(ref.length));
    ASSERT_FALSE(check_sample(buf, i, 11)) << "sample " << i << ": " << *check_sample(buf, i, 11);
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, IndexPerFormat, testing::Values("raw", "tfrecord", "ffrecord"));

TEST(DatasetIndex, AUsersTfRecordFileIndexesWithOrWithoutItsSidecar) {
  test::ScratchDir dir;
  auto spec = make_spec("tfrecord");
  (void)generate_dataset(spec, dir.path() / "ds", 1, nullptr);
  auto file = dir.path() / "ds" / spec.record_file(2);
  auto with = DatasetIndex::open(file);
  std::filesystem::remove(file.string() + ".idx");
  auto without = DatasetIndex::open(file);
  ASSERT_EQ(with.size(), without.size());
  EXPECT_EQ(with.size(), spec.first_sample_of(3) - spec.first_sample_of(2));
  for (std::uint64_t i = 0; i < with.size(); ++i) {
    EXPECT_EQ(with.at(i).offset, without.at(i).offset);
    EXPECT_EQ(with.at(i).length, without.at(i).length);
  }
}

// An Arrow file written by Apache Arrow's JavaScript implementation (tests/fixtures/arrow): one
// sample a row, the row's first string column ("text"), at the file offset its bytes lie at; the
// null row is an empty sample. Stream and file formats index alike.
TEST(DatasetIndex, AnArrowFileIndexesItsRowsFirstStringColumn) {
  for (const char* name : {"hf.arrows", "hf.arrow"}) {
    const std::filesystem::path file =
        std::filesystem::path(AISTOR_SOURCE_DIR) / "tests/fixtures/arrow" / name;
    const auto index = DatasetIndex::open(file);
    ASSERT_EQ(index.size(), 8u) << name;
    std::ifstream in(file, std::ios::binary);
    for (std::uint64_t i = 0; i < 8; ++i) {
      const auto& ref = index.at(i);
      EXPECT_EQ(ref.file, 0u);
      std::string got(ref.length, '\0');
      in.seekg(static_cast<std::streamoff>(ref.offset));
      in.read(got.data(), static_cast<std::streamsize>(got.size()));
      EXPECT_EQ(got, i == 2 ? std::string()
                            : "sample " + std::to_string(i) + " " + std::string(i * 7, 'x'))
          << name << " row " << i;
    }
  }
}

TEST(DatasetIndex, CompressedAndForeignInputsAreRefused) {
  test::ScratchDir dir;
  (void)generate_dataset(make_spec("tfrecord-gzip"), dir.path() / "gz", 1, nullptr);
  EXPECT_THROW((void)DatasetIndex::open(dir.path() / "gz"), InputError);
  std::filesystem::create_directories(dir.path() / "empty");
  EXPECT_THROW((void)DatasetIndex::open(dir.path() / "empty"), InputError);
}

}  // namespace
}  // namespace aistor::formats
