#pragma once
// The storage operations of one step of a request: entries (segments) read or written through the
// pump, each cut into requests of at most `request_size` bytes (`alignment`-padded for O_DIRECT).
// A write's bytes come from the entry's memory (a host-tier entry demoted: copied into the pump's
// buffer; or memory of the engine's, which the request points into), or else are the pump's seeded
// bytes with a 16-byte header (the entry's serial and the offset in it) stamped in, so `verify` can
// check every chunk a read brings back.
#include <cstdint>
#include <span>
#include <vector>

#include "engines/pump.hpp"

namespace aistor {

struct KvSegment {
  FileId file = 0;
  std::uint64_t offset = 0;  // in the file
  std::uint64_t bytes = 0;   // the entry's
  std::uint64_t serial = 0;
  const std::byte* host = nullptr;  // write from this host memory (copied into the request)
  std::byte* device = nullptr;      // write from this engine memory (the request points into it)
};

struct KvChunkCheck {
  std::uint64_t verified = 0;
  std::uint64_t mismatches = 0;
};

class KvSegmentSource final : public RequestSource {
 public:
  // `reference`: the pump's seeded bytes (at least request_size), for stamping and checking;
  // `check`: reads are verified into it (null: not verified).
  KvSegmentSource(Engine& engine, Op op, std::span<const KvSegment> segments,
                  std::uint32_t request_size, std::uint32_t alignment,
                  std::span<const std::byte> reference, KvChunkCheck* check);

  [[nodiscard]] bool next(IoRequest& request) override;
  void stamp(IoRequest& request) override;
  void completed(const IoRequest& request, std::int64_t res) override;

 private:
  Engine& engine_;
  Op op_;
  std::span<const KvSegment> segments_;
  std::uint32_t request_size_;
  std::uint32_t alignment_;
  std::span<const std::byte> reference_;
  KvChunkCheck* check_;
  std::size_t segment_ = 0;
  std::uint64_t pos_ = 0;
};

// The 16-byte header a stamped chunk starts with.
void kv_stamp(std::byte* chunk, std::size_t length, std::uint64_t serial, std::uint64_t offset);
// Whether `chunk` (the valid `length` bytes of an entry at `offset`) is what a stamped write of
// it carried.
[[nodiscard]] bool kv_chunk_ok(const std::byte* chunk, std::size_t length, std::uint64_t serial,
                               std::uint64_t offset, std::span<const std::byte> reference);

}  // namespace aistor
