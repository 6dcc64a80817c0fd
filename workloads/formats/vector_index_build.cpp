#include "workloads/formats/vector_index_build.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <optional>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "core/durable_file.hpp"
#include "core/error.hpp"
#include "core/json_guard.hpp"
#include "core/posix_io.hpp"
#include "core/unique_fd.hpp"
#include "workloads/formats/vector_graph.hpp"
#include "workloads/formats/vector_pq.hpp"

namespace aistor::formats {
namespace {

constexpr int kBuilderVersion = 1;

std::optional<nlohmann::json> read_manifest(const std::filesystem::path& dir) {
  const auto path = dir / kIndexManifest;
  std::ifstream in(path);
  if (!in) return std::nullopt;
  auto j = nlohmann::json::parse(in, json_depth_guard(path.string()), false);
  if (j.is_discarded() || !j.is_object() || j.value("generator", "") != "aistor")
    throw InputError(fmt::format("{}: not a valid aistor index manifest", path.string()));
  return j;
}

// True when the directory already holds this spec's complete index; clears an older index's
// listed files; refuses a directory of someone else's files.
bool reuse_or_clear(const std::filesystem::path& dir, const nlohmann::json& wanted) {
  const auto old = read_manifest(dir);
  if (!old) {
    if (std::filesystem::directory_iterator(dir) != std::filesystem::directory_iterator()) {
      throw InputError(
          fmt::format("{}: holds files aistor did not make (no {}); give an empty or "
                      "new directory",
                      dir.string(), kIndexManifest));
    }
    return false;
  }
  if ((*old)["spec"] == wanted && old->value("builder_version", 0) == kBuilderVersion &&
      old->value("complete", false))
    return true;
  for (const char* f : {kIndexGraphFile, kIndexPqFile}) {
    std::error_code ec;
    std::filesystem::remove(dir / f, ec);
  }
  return false;
}

void write_graph(const IndexSpec& spec, const std::vector<float>& data, const VectorGraph& g,
                 const std::filesystem::path& file) {
  const VectorIndexHeader h = spec.header(g.entry);
  DurableTemporary tmp(file);
  const UniqueFd fd(
      ::open(tmp.temporary().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!fd) throw_errno("open", tmp.temporary().string());
  const auto head = h.encode();
  std::vector<std::byte> chunk(std::size_t{16} << 20);
  std::uint64_t at = 0;  // file offset of chunk[0]
  std::size_t used = 0;
  // Writes chunk[0, n) and keeps what follows at the chunk's start.
  auto flush = [&](std::size_t n) {
    if (n == 0) return;
    if (pwrite_full(fd.get(), chunk.data(), n, at) != static_cast<std::int64_t>(n))
      throw_errno("write", tmp.temporary().string());
    std::memmove(chunk.data(), chunk.data() + n, used - n);
    used -= n;
    at += n;
  };
  std::copy(head.begin(), head.end(), chunk.begin());
  used = kIndexSector;
  const std::size_t vec = std::size_t{spec.dim} * dtype_bytes(spec.dtype);
  for (std::uint64_t id = 0; id < spec.count; ++id) {
    const std::uint64_t off = h.record_offset(id);
    const std::uint64_t end = h.read_offset(id) + h.read_bytes();
    if (end - at > chunk.size()) flush(h.read_offset(id) - at);  // sectors before this one
    std::fill(chunk.begin() + static_cast<std::ptrdiff_t>(used),
              chunk.begin() + static_cast<std::ptrdiff_t>(end - at), std::byte{0});
    used = std::max<std::size_t>(used, end - at);
    std::byte* r = chunk.data() + (off - at);
    store_vector(spec, std::span<const float>(&data[id * spec.dim], spec.dim), r);
    const auto& adj = g.neighbours[id];
    const auto degree = static_cast<std::uint32_t>(adj.size());
    std::memcpy(r + vec, &degree, 4);
    std::memcpy(r + vec + 4, adj.data(), adj.size() * 4);
  }
  flush(used);
  if (::ftruncate(fd.get(), static_cast<off_t>(h.file_bytes())) != 0)
    throw_errno("ftruncate", tmp.temporary().string());
  if (::fsync(fd.get()) != 0) throw_errno("fsync", tmp.temporary().string());
  tmp.commit();
}

void check_memory(const IndexSpec& spec) {
  const auto ram = static_cast<std::uint64_t>(::sysconf(_SC_PHYS_PAGES)) *
                   static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  // The vectors as floats and the graph's lists: what the build holds at once.
  const std::uint64_t need = spec.count * (std::uint64_t{spec.dim} * 4 + spec.degree * 4 + 64);
  if (need > ram / 2) {
    throw InputError(
        fmt::format("index: building {} vectors of {} dimensions needs about {} MiB "
                    "of memory, more than half of this machine's {} MiB (lower "
                    "count or scale)",
                    spec.count, spec.dim, need >> 20, ram >> 20));
  }
}

}  // namespace

IndexSpec read_index_spec(const std::filesystem::path& dir) {
  const auto m = read_manifest(dir);
  if (!m) {
    throw InputError(fmt::format("{}: no index here (no {})", dir.string(), kIndexManifest));
  }
  if (!m->value("complete", false))
    throw InputError(fmt::format("{}: the index's build did not finish", dir.string()));
  return IndexSpec::from_json(m->value("spec", nlohmann::json()), (dir / kIndexManifest).string());
}

IndexBuildResult build_index(const IndexSpec& spec, const std::filesystem::path& dir,
                             unsigned threads, const std::atomic<bool>* stop) {
  IndexBuildResult r;
  const auto wanted = spec.to_json();
  std::filesystem::create_directories(dir);
  if (reuse_or_clear(dir, wanted)) {
    r.reused = true;
    r.graph_bytes = std::filesystem::file_size(dir / kIndexGraphFile);
    r.pq_bytes = std::filesystem::file_size(dir / kIndexPqFile);
    r.reachable = spec.count;
    return r;
  }
  check_memory(spec);
  const auto t0 = std::chrono::steady_clock::now();
  nlohmann::json manifest{{"generator", "aistor"},
                          {"builder_version", kBuilderVersion},
                          {"spec", wanted},
                          {"files", {kIndexGraphFile, kIndexPqFile}},
                          {"complete", false}};
  write_file_durably(dir / kIndexManifest, manifest.dump(2) + "\n");
  const std::vector<float> data = VectorSource(spec).all(stop);
  auto pq = ProductQuantizer::train(data, spec.dim, spec.pq_bytes, spec.seed, threads, stop);
  const PqFile codes = PqFile::encode_all(std::move(pq), data, threads, stop);
  codes.write(dir / kIndexPqFile);
  const VectorGraph g = build_graph(
      data, {spec.dim, spec.degree, spec.build_list, spec.alpha, spec.seed, threads}, stop);
  r.reachable = reachable_from_entry(g);
  write_graph(spec, data, g, dir / kIndexGraphFile);
  manifest["complete"] = true;
  manifest["entry"] = g.entry;
  write_file_durably(dir / kIndexManifest, manifest.dump(2) + "\n");
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.graph_bytes = std::filesystem::file_size(dir / kIndexGraphFile);
  r.pq_bytes = std::filesystem::file_size(dir / kIndexPqFile);
  return r;
}

}  // namespace aistor::formats
