#include "workloads/formats/sample_content.hpp"

#include <fmt/format.h>
#include <cstring>
#include <vector>

#include "core/random_bytes.hpp"
#include "workloads/formats/crc.hpp"

namespace aistor::formats {
namespace {

std::uint64_t content_seed(std::uint64_t id, std::uint64_t seed) noexcept {
  return seed * 0x9e3779b97f4a7c15ULL ^ (id + 0x632be59bd9b4e019ULL);
}

template <typename T>
T load(const std::byte* p) noexcept {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace

void fill_sample(std::span<std::byte> out, std::uint64_t id, std::uint64_t seed) noexcept {
  if (out.size() < kSampleHeader) {
    fill_random(out.data(), out.size(), content_seed(id, seed));
    return;
  }
  auto body = out.subspan(kSampleHeader);
  fill_random(body.data(), body.size(), content_seed(id, seed));
  auto length = static_cast<std::uint32_t>(out.size());
  std::uint32_t crc = crc32c(body);
  std::memcpy(out.data(), &id, 8);
  std::memcpy(out.data() + 8, &length, 4);
  std::memcpy(out.data() + 12, &crc, 4);
}

std::optional<std::string> check_sample(std::span<const std::byte> sample,
                                        std::uint64_t expected_id, std::uint64_t seed) {
  if (sample.size() < kSampleHeader) {
    std::vector<std::byte> want(sample.size());
    fill_random(want.data(), want.size(), content_seed(expected_id, seed));
    if (std::memcmp(want.data(), sample.data(), sample.size()) != 0) {
      return fmt::format("bytes differ from sample {}", expected_id);
    }
    return std::nullopt;
  }
  auto id = load<std::uint64_t>(sample.data());
  auto length = load<std::uint32_t>(sample.data() + 8);
  auto crc = load<std::uint32_t>(sample.data() + 12);
  if (id != expected_id)
    return fmt::format("holds sample {} where {} was expected", id, expected_id);
  if (length != sample.size()) {
    return fmt::format("header says {} bytes, the record has {}", length, sample.size());
  }
  std::uint32_t actual = crc32c(sample.subspan(kSampleHeader));
  if (actual != crc) {
    return fmt::format("content checksum mismatch (stored 0x{:08x}, computed 0x{:08x})", crc,
                       actual);
  }
  return std::nullopt;
}

}  // namespace aistor::formats
