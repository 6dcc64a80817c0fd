#pragma once
// Byte strings and payloads shared by the TFRecord tests.
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <random>
#include <vector>

namespace aistor::formats {

inline std::vector<std::byte> to_bytes(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int b : v)
    out.push_back(static_cast<std::byte>(b));
  return out;
}

inline std::vector<std::byte> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> c((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> out(c.size());
  std::memcpy(out.data(), c.data(), c.size());
  return out;
}

// Seeded payloads of varied sizes, 0 and sizes beyond the 1 MiB buffer included.
inline std::vector<std::vector<std::byte>> make_payloads(std::size_t n) {
  std::mt19937_64 rng(42);
  std::vector<std::vector<std::byte>> out;
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t size = 0;
    if (i % 97 == 0)
      size = 0;
    else if (i % 250 == 1)
      size = (1 << 20) + rng() % 100000;  // larger than the read and write buffers
    else
      size = rng() % 5000;
    std::vector<std::byte> p(size);
    for (auto& b : p)
      b = static_cast<std::byte>(rng());
    out.push_back(std::move(p));
  }
  return out;
}

// "hello" and "" framed as TensorFlow writes them; CRC bytes computed independently (python).
inline const std::vector<std::byte> kHelloRecord =
    to_bytes({0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xea, 0xb2, 0x04,
              0x3e, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0xbb, 0x1f, 0x1c, 0x19});
inline const std::vector<std::byte> kEmptyRecord =
    to_bytes({0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x29, 0x03, 0x98, 0x07, 0xd8, 0xea,
              0x82, 0xa2});

}  // namespace aistor::formats
