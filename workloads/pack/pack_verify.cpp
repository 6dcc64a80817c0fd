// The pack workload's check: every packed file read back by aistor's readers, every CRC valid and
// every sample equal to its source's (read untimed with plain preads).
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/posix_io.hpp"
#include "core/unique_fd.hpp"
#include "workloads/formats/ffrecord.hpp"
#include "workloads/formats/tfrecord.hpp"
#include "workloads/pack/pack_workload.hpp"

namespace aistor {
namespace {

// The bytes of one unit, read untimed with plain preads (for verification).
std::vector<std::byte> read_unit(const PackSourceFile& f, const PackUnit& u) {
  const UniqueFd fd(::open(f.path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open", f.path.string());
  std::vector<std::byte> b(u.bytes);
  const auto n = pread_full(fd.get(), b.data(), b.size(), u.offset);
  if (n < 0) throw_system(static_cast<int>(-n), "pread", f.path.string());
  if (static_cast<std::uint64_t>(n) != u.bytes)
    throw InputError(fmt::format("{}: ends before byte {}", f.path.string(), u.offset + u.bytes));
  return b;
}

// The source's samples of a run of units, in order, one unit in memory at a time.
class Expected {
 public:
  Expected(const PackSource& s, std::size_t first, std::size_t end)
      : s_(s), unit_(first), end_(end) {}
  // The next sample, or nullopt past the last.
  std::optional<std::span<const std::byte>> next() {
    while (at_ == samples_.size()) {
      if (unit_ == end_) return std::nullopt;
      const PackUnit& u = s_.units()[unit_++];
      bytes_ = read_unit(s_.files()[u.file], u);
      samples_.clear();
      at_ = 0;
      s_.decode(u, bytes_, [&](std::span<const std::byte> x) { samples_.push_back(x); });
      where_ = fmt::format("{} byte {}", s_.files()[u.file].path.string(), u.offset);
    }
    return samples_[at_++];
  }
  [[nodiscard]] const std::string& where() const { return where_; }

 private:
  const PackSource& s_;
  std::size_t unit_, end_;
  std::vector<std::byte> bytes_;
  std::vector<std::span<const std::byte>> samples_;
  std::size_t at_ = 0;
  std::string where_;
};

bool same(std::span<const std::byte> a, std::span<const std::byte> b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace

void PackWorkload::verify_target(const Target& t) const {
  Expected want(*source_, t.first_unit, t.end_unit);
  std::uint64_t got = 0;
  auto compare = [&](std::span<const std::byte> sample, std::uint64_t offset) {
    const auto w = want.next();
    if (!w)
      throw InputError(fmt::format("{}: sample {} at offset {}: more samples than the source has",
                                   t.path.string(), got, offset));
    if (!same(*w, sample))
      throw InputError(fmt::format("{}: sample {} at offset {} differs from its source ({})",
                                   t.path.string(), got, offset, want.where()));
    ++got;
  };
  if (params_.target == PackTarget::tfrecord) {
    (void)formats::scan_tfrecord(
        t.path, /*verify_crc=*/true,
        [&](std::uint64_t, std::uint64_t offset, std::span<const std::byte> payload) {
          compare(payload, offset);
        });
    const auto index = formats::read_tfrecord_index(t.path, 0);
    if (index.size() != t.samples)
      throw InputError(fmt::format("{}.idx: {} entries for {} samples", t.path.string(),
                                   index.size(), t.samples));
  } else {
    const auto f = formats::FfRecordFile::open(t.path, 0);
    f.verify();
    std::vector<std::byte> buf;
    for (std::uint64_t i = 0; i < f.size(); ++i) {
      buf.resize(f.ref(i).length);
      f.read(i, buf);
      compare(buf, f.ref(i).offset);
    }
  }
  if (got != t.samples || want.next())
    throw InputError(
        fmt::format("{}: {} samples where its source has {}", t.path.string(), got, t.samples));
}

}  // namespace aistor
