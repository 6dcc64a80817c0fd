// Recorder::to_wire / from_wire: a recorder carried across a fork, from a client process to its
// parent. Fixed-width fields in this build's byte order, vectors and strings length-prefixed.
#include <cstring>
#include <type_traits>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/recorder.hpp"

namespace aistor {
namespace {

constexpr std::uint64_t kWireMagic = 0x6169'7374'7277'0001ULL;  // "aistrw", version 1

static_assert(std::is_trivially_copyable_v<LatencyHistogram>);

class WireWriter {
 public:
  template <typename T>
  void put(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    out_.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void put_string(const std::string& s) {
    put<std::uint64_t>(s.size());
    out_ += s;
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class WireReader {
 public:
  explicit WireReader(std::string_view in) : in_(in) {}
  template <typename T>
  T get() {
    static_assert(std::is_trivially_copyable_v<T>);
    T v;
    std::memcpy(&v, take(sizeof v), sizeof v);
    return v;
  }
  std::string get_string() {
    const auto n = get<std::uint64_t>();
    return std::string(take(n), n);
  }
  // A count of elements each at least `element_bytes` long, checked against what is left so a
  // corrupt count cannot ask for a huge allocation.
  std::uint64_t get_count(std::size_t element_bytes) {
    const auto n = get<std::uint64_t>();
    if (element_bytes && n > (in_.size() - at_) / element_bytes) fail("count");
    return n;
  }
  [[nodiscard]] bool done() const { return at_ == in_.size(); }
  [[noreturn]] void fail(const char* what) const {
    throw InputError(
        fmt::format("recorder wire form: bad {} at byte {} of {}", what, at_, in_.size()));
  }

 private:
  const char* take(std::size_t n) {
    if (n > in_.size() - at_) fail("length (truncated)");
    const char* p = in_.data() + at_;
    at_ += n;
    return p;
  }
  std::string_view in_;
  std::size_t at_ = 0;
};

}  // namespace

std::string Recorder::to_wire() const {
  WireWriter w;
  w.put(kWireMagic);
  w.put(origin_ns_);
  w.put(interval_ns_);
  for (const auto& d : dirs_) {
    w.put(d.ops);
    w.put(d.bytes);
    w.put(d.issued_ops);
    w.put(d.sequential_ops);
    w.put(d.latency);
    w.put<std::uint64_t>(d.sizes.size());
    for (const auto& [size, n] : d.sizes) {
      w.put(size);
      w.put(n);
    }
  }
  w.put<std::uint64_t>(next_offset_.size());
  for (auto v : next_offset_)
    w.put(v);
  w.put<std::uint64_t>(file_names_.size());
  for (const auto& s : file_names_)
    w.put_string(s);
  w.put(first_submit_ns_);
  w.put(last_done_ns_);
  w.put<std::uint64_t>(series_bytes_.size());
  for (std::size_t i = 0; i < series_bytes_.size(); ++i) {
    w.put(series_bytes_[i]);
    w.put(series_ops_[i]);
  }
  w.put<std::uint64_t>(errors_.size());
  for (const auto& [err, n] : errors_) {
    w.put(err);
    w.put(n);
  }
  w.put<std::uint64_t>(details_.size());
  for (const auto& e : details_) {
    w.put(e.err);
    w.put(e.dir);
    w.put_string(e.file);
    w.put(e.offset);
    w.put(e.length);
    w.put(e.result);
  }
  return w.take();
}

Recorder Recorder::from_wire(std::string_view wire) {
  WireReader r(wire);
  if (r.get<std::uint64_t>() != kWireMagic) r.fail("magic");
  const auto origin = r.get<std::uint64_t>();
  const auto interval = r.get<std::uint64_t>();
  if (interval == 0) r.fail("interval");
  Recorder out(origin, interval);
  for (auto& d : out.dirs_) {
    d.ops = r.get<std::uint64_t>();
    d.bytes = r.get<std::uint64_t>();
    d.issued_ops = r.get<std::uint64_t>();
    d.sequential_ops = r.get<std::uint64_t>();
    d.latency = r.get<LatencyHistogram>();
    const auto sizes = r.get_count(12);
    for (std::uint64_t i = 0; i < sizes; ++i) {
      const auto size = r.get<std::uint32_t>();
      d.sizes.emplace_back(size, r.get<std::uint64_t>());
    }
  }
  out.next_offset_.resize(r.get_count(8));
  for (auto& v : out.next_offset_)
    v = r.get<std::uint64_t>();
  out.file_names_.resize(r.get_count(8));
  for (auto& s : out.file_names_)
    s = r.get_string();
  out.first_submit_ns_ = r.get<std::uint64_t>();
  out.last_done_ns_ = r.get<std::uint64_t>();
  const auto slots = r.get_count(16);
  out.series_bytes_.resize(slots);
  out.series_ops_.resize(slots);
  for (std::uint64_t i = 0; i < slots; ++i) {
    out.series_bytes_[i] = r.get<std::uint64_t>();
    out.series_ops_[i] = r.get<std::uint64_t>();
  }
  const auto errors = r.get_count(12);
  for (std::uint64_t i = 0; i < errors; ++i) {
    const int err = r.get<int>();
    out.errors_[err] = r.get<std::uint64_t>();
  }
  const auto details = r.get_count(8);
  if (details > kMaxErrorDetails) r.fail("error detail count");
  for (std::uint64_t i = 0; i < details; ++i) {
    ErrorDetail e;
    e.err = r.get<int>();
    e.dir = r.get<Direction>();
    e.file = r.get_string();
    e.offset = r.get<std::uint64_t>();
    e.length = r.get<std::uint32_t>();
    e.result = r.get<std::int64_t>();
    out.details_.push_back(std::move(e));
  }
  if (!r.done()) r.fail("trailing bytes");
  return out;
}

}  // namespace aistor
