// Generated datasets: sizes, self-checking content, the manifest's rules, round trips through
// `inspect` for every format, and corrupted copies caught with file, record and offset.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "core/config_node.hpp"
#include "core/error.hpp"
#include "tests/test_support.hpp"
#include "workloads/formats/dataset.hpp"
#include "workloads/formats/ffrecord.hpp"
#include "workloads/formats/inspect.hpp"
#include "workloads/formats/model_file.hpp"
#include "workloads/formats/sample_content.hpp"
#include "workloads/formats/size_distribution.hpp"
#include "workloads/formats/tfrecord.hpp"

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

// ---- Directories aistor did not make ---------------------------------------------------------

void write_file(const std::filesystem::path& p, std::size_t bytes, char fill) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << std::string(bytes, fill);
}

std::vector<std::byte> bytes_of(std::size_t n, std::uint8_t seed) {
  std::vector<std::byte> v(n);
  for (std::size_t i = 0; i < n; ++i)
    v[i] = static_cast<std::byte>(seed + i * 7);
  return v;
}

TEST(Inspect, RawTreeWithoutManifest) {
  test::ScratchDir dir;
  const auto root = dir.path() / "imagenet";
  write_file(root / "n01440764" / "a.JPEG", 1000, 'x');
  write_file(root / "n01440764" / "b.JPEG", 3000, 'y');
  write_file(root / "n01443537" / "c.JPEG", 5, 'z');
  write_file(root / "n01443537" / "deep" / "d.JPEG", 0, 'z');
  write_file(root / ".cache" / "ignored", 100, 'q');
  write_file(root / ".hidden", 100, 'q');
  const auto info = inspect(root);
  EXPECT_EQ(info["format"], "raw");
  EXPECT_EQ(info["records"], 4);
  EXPECT_EQ(info["files"], 4);
  EXPECT_EQ(info["payload_bytes"], 4005);
  EXPECT_EQ(info["sizes"]["min"], 0);
  EXPECT_EQ(info["sizes"]["max"], 3000);
  EXPECT_NE(info["checked"].get<std::string>().find("no checksums"), std::string::npos);
}

TEST(Inspect, RecordFileDirectoriesWithoutManifest) {
  test::ScratchDir dir;
  const auto tf = dir.path() / "tf";
  std::filesystem::create_directories(tf);
  for (int f = 0; f < 2; ++f) {  // names without an extension, as tf.data shards often have
    TfRecordWriter w(tf / ("train-0000" + std::to_string(f) + "-of-00002"));
    for (int i = 0; i < 10 + f; ++i)
      w.append(bytes_of(100 + i, static_cast<std::uint8_t>(i)));
    w.finish();
  }
  write_file(tf / "train-00000-of-00002.idx", 10, '0');  // a sidecar, not a sample
  auto info = inspect(tf);
  EXPECT_EQ(info["format"], "tfrecord");
  EXPECT_EQ(info["compression"], "none");
  EXPECT_EQ(info["records"], 21);
  EXPECT_EQ(info["files"], 2);
  EXPECT_EQ(info["payload_bytes"], 10 * 100 + 45 + 11 * 100 + 55);

  const auto ff = dir.path() / "ff";
  std::filesystem::create_directories(ff);
  for (int f = 0; f < 3; ++f) {
    FfRecordWriter w(ff / ("part-" + std::to_string(f)), 4);  // no .ffr: found by its header
    for (int i = 0; i < 4; ++i)
      w.append(bytes_of(50, static_cast<std::uint8_t>(f)));
    w.finish();
  }
  info = inspect(ff);
  EXPECT_EQ(info["format"], "ffrecord");
  EXPECT_EQ(info["records"], 12);
  EXPECT_EQ(info["files"], 3);
  EXPECT_EQ(info["payload_bytes"], 600);

  // A flipped payload byte in the second file is named by file, record and offset.
  {
    std::fstream f(tf / "train-00001-of-00002", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(16 + 100 + 12 + 3);  // record 1's payload
    f.put('\x55');
  }
  try {
    (void)inspect(tf);
    FAIL() << "corruption not found";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("train-00001-of-00002: record 1 at offset 116"), std::string::npos) << what;
  }
}

TEST(Inspect, MixedOrEmptyDirectoriesAreErrors) {
  test::ScratchDir dir;
  const auto mixed = dir.path() / "mixed";
  write_file(mixed / "a.bin", 100, 'a');
  {
    TfRecordWriter w(mixed / "b.tfrecord");
    w.append(bytes_of(10, 1));
    w.finish();
  }
  try {
    (void)inspect(mixed);
    FAIL() << "mixed directory accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("mixed directory"), std::string::npos) << e.what();
  }
  std::filesystem::create_directories(dir.path() / "empty" / "sub");
  EXPECT_THROW((void)inspect(dir.path() / "empty"), InputError);
}

// Impossible sizes are refused before a byte is written, and nothing is left behind.
TEST(Dataset, ADatasetLargerThanTheDiskIsRefusedBeforeWriting) {
  test::ScratchDir dir;
  DatasetSpec spec;
  spec.format = DatasetFormat::ffrecord;
  spec.samples = 1ULL << 40;  // 4 PiB at the default 4 KiB mean
  try {
    (void)generate_dataset(spec, dir.path() / "huge", 1, nullptr);
    ADD_FAILURE() << "generated";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("not enough free space for the dataset"),
              std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path() / "huge"));
}

TEST(ModelFile, AModelLargerThanTheDiskIsRefusedBeforeWriting) {
  test::ScratchDir dir;
  try {
    (void)write_model_file(dir.path() / "m.safetensors", ModelFormat::safetensors,
                           {{"w", "F32", {1ULL << 25, 1ULL << 25}}}, 1);  // 4 PiB
    ADD_FAILURE() << "written";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("not enough free space for the model file"),
              std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

}  // namespace
}  // namespace aistor::formats
