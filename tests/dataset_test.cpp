// Generated datasets: sizes, self-checking content, the manifest's rules, round trips through
// `inspect` for every format, and corrupted copies caught with file, record and offset.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "core/config_node.hpp"
#include "core/error.hpp"
#include "tests/test_support.hpp"
#include "workloads/formats/dataset.hpp"
#include "workloads/formats/inspect.hpp"
#include "workloads/formats/sample_content.hpp"
#include "workloads/formats/size_distribution.hpp"

namespace aistor::formats {
namespace {

DatasetSpec spec_of(const nlohmann::json& j) {
  ConfigNode node(j, "dataset");
  return parse_dataset_spec(node);
}

TEST(SizeDistribution, FixedUniformAndClampedLognormal) {
  SizeDistribution fixed{SizeKind::fixed, 4096, 0, 4096, 4096};
  EXPECT_EQ(fixed.size_of(7, 1), 4096u);
  SizeDistribution uniform{SizeKind::uniform, 0, 0, 100, 200};
  SizeDistribution logn{SizeKind::lognormal, 5000, 3500, 316, 237000};
  double sum = 0;
  std::uint64_t lo = UINT64_MAX, hi = 0;
  for (std::uint64_t i = 0; i < 200000; ++i) {
    auto u = uniform.size_of(i, 3);
    ASSERT_GE(u, 100u);
    ASSERT_LE(u, 200u);
    auto s = logn.size_of(i, 3);
    sum += static_cast<double>(s);
    lo = std::min(lo, s);
    hi = std::max(hi, s);
  }
  EXPECT_NEAR(sum / 200000, 5000, 100);  // the clamp barely moves the mean
  EXPECT_GE(lo, 316u);
  EXPECT_LE(hi, 237000u);
  EXPECT_EQ(logn.size_of(12345, 3), logn.size_of(12345, 3));
  EXPECT_NE(logn.size_of(12345, 3), logn.size_of(12345, 4));
}

TEST(SampleContent, CarriesItsIdAndChecksum) {
  std::vector<std::byte> s(1000);
  fill_sample(s, 42, 9);
  EXPECT_FALSE(check_sample(s, 42, 9));
  EXPECT_EQ(*check_sample(s, 41, 9), "holds sample 42 where 41 was expected");
  s[500] ^= std::byte{1};
  EXPECT_NE(check_sample(s, 42, 9)->find("content checksum mismatch"), std::string::npos);
  std::vector<std::byte> tiny(5);
  fill_sample(tiny, 3, 9);
  EXPECT_FALSE(check_sample(tiny, 3, 9));
  EXPECT_TRUE(check_sample(tiny, 4, 9));
}

TEST(DatasetSpec, PresetsScaleAndRejectConflicts) {
  auto s = spec_of({{"preset", "imagenet"}, {"scale", 0.001}, {"format", "ffrecord"}});
  EXPECT_EQ(s.samples, 1431u);
  EXPECT_EQ(s.files, 1u);
  EXPECT_EQ(s.sizes.kind, SizeKind::lognormal);
  EXPECT_THROW(spec_of({{"preset", "imagenet"}, {"samples", 5}}), InputError);
  EXPECT_THROW(spec_of({{"samples", 2}, {"files", 3}}), InputError);
  EXPECT_THROW(spec_of({{"samples", 10}, {"format", "parquet"}}), InputError);
}

class DatasetRoundTrip : public testing::TestWithParam<std::string> {};

TEST_P(DatasetRoundTrip, GeneratedDataInspectsExactly) {
  test::ScratchDir dir;
  auto spec = spec_of({{"format", GetParam()},
                       {"samples", 1000},
                       {"files", 3},
                       {"fan_out", 7},
                       {"sizes", {{"kind", "uniform"}, {"min", "10"}, {"max", "3000"}}},
                       {"seed", 5}});
  auto r = generate_dataset(spec, dir.path() / "ds", 2, nullptr);
  EXPECT_FALSE(r.reused);
  EXPECT_EQ(r.samples, 1000u);
  std::uint64_t expected = 0;
  for (std::uint64_t i = 0; i < 1000; ++i)
    expected += spec.sizes.size_of(i, 5);
  EXPECT_EQ(r.payload_bytes, expected);
  auto info = inspect(dir.path() / "ds");
  EXPECT_EQ(info["records"], 1000);
  EXPECT_EQ(info["payload_bytes"], expected);
  EXPECT_EQ(info["format"], GetParam());
  // Same spec again: reused, nothing rewritten.
  EXPECT_TRUE(generate_dataset(spec, dir.path() / "ds", 2, nullptr).reused);
}

INSTANTIATE_TEST_SUITE_P(Formats, DatasetRoundTrip,
                         testing::Values("raw", "tfrecord", "tfrecord-gzip", "tfrecord-zlib",
                                         "ffrecord"),
                         [](const testing::TestParamInfo<std::string>& p) {
                           std::string n = p.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

TEST(Dataset, SameSeedSameBytesAndAMismatchRegenerates) {
  test::ScratchDir dir;
  auto spec = spec_of({{"samples", 50}, {"seed", 3}});
  (void)generate_dataset(spec, dir.path() / "a", 1, nullptr);
  (void)generate_dataset(spec, dir.path() / "b", 1, nullptr);
  auto read = [](const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), {});
  };
  auto name = spec.record_file(0);
  EXPECT_EQ(read(dir.path() / "a" / name), read(dir.path() / "b" / name));
  auto other = spec_of({{"samples", 60}, {"seed", 3}});
  auto r = generate_dataset(other, dir.path() / "a", 1, nullptr);
  EXPECT_FALSE(r.reused);
  EXPECT_EQ(inspect(dir.path() / "a")["records"], 60);
}

TEST(Dataset, NeverWritesIntoADirectoryItDidNotMake) {
  test::ScratchDir dir;
  auto theirs = dir.path() / "theirs";
  std::filesystem::create_directories(theirs);
  std::ofstream(theirs / "precious.txt") << "keep me";
  try {
    (void)generate_dataset(spec_of({{"samples", 5}}), theirs, 1, nullptr);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("did not make"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(std::filesystem::exists(theirs / "precious.txt"));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(theirs), {}), 1);
}

// Corrupted copies of a generated TFRecord dataset: each is caught with file, record and offset.
TEST(Dataset, InspectNamesTheFirstBadRecord) {
  test::ScratchDir dir;
  auto spec =
      spec_of({{"samples", 100}, {"sizes", {{"kind", "fixed"}, {"mean", "1000"}}}, {"seed", 2}});
  (void)generate_dataset(spec, dir.path() / "ds", 1, nullptr);
  auto file = dir.path() / "ds" / spec.record_file(0);
  // Record 10 starts at 10 * (1000 + 16); its payload 12 bytes later.
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(10 * 1016 + 12 + 500);
    f.put('\x55');
  }
  try {
    (void)inspect(dir.path() / "ds");
    FAIL() << "corruption not found";
  } catch (const InputError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find(file.string()), std::string::npos) << what;
    EXPECT_NE(what.find("record 10"), std::string::npos) << what;
    EXPECT_NE(what.find("offset 10160"), std::string::npos) << what;
  }
}

TEST(Inspect, EmptyAndMissingFilesAreErrors) {
  test::ScratchDir dir;
  std::ofstream(dir.path() / "empty.tfrecord");
  EXPECT_THROW((void)inspect(dir.path() / "empty.tfrecord"), InputError);
  EXPECT_THROW((void)inspect(dir.path() / "missing"), InputError);
}

}  // namespace
}  // namespace aistor::formats
