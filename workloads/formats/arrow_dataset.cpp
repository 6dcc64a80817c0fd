#include "workloads/formats/arrow_dataset.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "core/error.hpp"
#include "workloads/formats/arrow_writer.hpp"
#include "workloads/formats/sample_content.hpp"

namespace aistor::formats {
namespace {

bool images(const DatasetSpec& spec) {
  return spec.preset == "imagenet";
}

constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .";
static_assert(sizeof kAlphabet == 65);

std::string hf_features(const DatasetSpec& spec) {
  const char* features =
      images(spec)
          ? R"({"image": {"_type": "Image"}, "label": {"dtype": "int64", "_type": "Value"}})"
          : R"({"text": {"dtype": "string", "_type": "Value"}})";
  return fmt::format(R"({{"info": {{"features": {}}}}})", features);
}

}  // namespace

std::vector<ArrowField> arrow_dataset_schema(const DatasetSpec& spec) {
  if (images(spec)) {
    ArrowField image{"image", ArrowType::struct_, true, {}};
    image.children.push_back({"bytes", ArrowType::binary, true, {}});
    image.children.push_back({"path", ArrowType::utf8, true, {}});
    return {image, {"label", ArrowType::int_, true, {}}};
  }
  return {{"text", ArrowType::utf8, true, {}}};
}

std::int64_t arrow_rows_per_batch(const DatasetSpec& spec) noexcept {
  return images(spec) ? 100 : 1000;
}

void fill_arrow_sample(const DatasetSpec& spec, std::span<std::byte> out, std::uint64_t id) {
  fill_sample(out, id, spec.seed);
  if (images(spec)) return;
  for (auto& b : out)
    b = static_cast<std::byte>(kAlphabet[std::to_integer<unsigned>(b) & 63U]);
}

std::optional<std::string> check_arrow_sample(const DatasetSpec& spec,
                                              std::span<const std::byte> sample, std::uint64_t id) {
  if (images(spec)) return check_sample(sample, id, spec.seed);
  std::vector<std::byte> want(sample.size());
  fill_arrow_sample(spec, want, id);
  if (std::equal(want.begin(), want.end(), sample.begin())) return std::nullopt;
  return std::string("content differs from the generated sample");
}

std::uint64_t write_arrow_part(const DatasetSpec& spec, const std::filesystem::path& file,
                               std::uint64_t first, std::uint64_t last,
                               const std::atomic<bool>* stop) {
  ArrowStreamWriter w(file, arrow_dataset_schema(spec), {{"huggingface", hf_features(spec)}});
  const bool image = images(spec);
  std::vector<ArrowColumn> cols(image ? 3 : 1);
  std::vector<std::byte> sample;
  std::uint64_t payload = 0;
  const auto per_batch = static_cast<std::uint64_t>(arrow_rows_per_batch(spec));
  for (std::uint64_t at = first; at < last; at += per_batch) {
    if (stop != nullptr && stop->load(std::memory_order_relaxed))
      throw InputError(fmt::format("{}: dataset generation interrupted", file.string()));
    const std::uint64_t end = std::min(last, at + per_batch);
    for (auto& c : cols)
      c.clear();
    for (std::uint64_t i = at; i < end; ++i) {
      sample.resize(spec.sizes.size_of(i, spec.seed));
      fill_arrow_sample(spec, sample, i);
      payload += sample.size();
      cols[0].append(sample);
      if (image) {
        const auto label = static_cast<std::int64_t>(i % 1000);
        const auto path = fmt::format("n{:08}_{}.JPEG", label, i);
        cols[1].append(std::as_bytes(std::span(path)));
        cols[2].append(label);
      }
    }
    w.write_batch(static_cast<std::int64_t>(end - at), cols);
  }
  w.finish(/*sync=*/false);
  return payload;
}

}  // namespace aistor::formats
