#include "workloads/model_load/model_load_workload.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <string_view>

#include "core/align.hpp"
#include "core/clock.hpp"
#include "core/config_node.hpp"
#include "core/error.hpp"
#include "workloads/common/file_claims.hpp"
#include "workloads/common/request_alignment.hpp"
#include "workloads/formats/gguf_metadata.hpp"
#include "workloads/formats/model_preset.hpp"

namespace aistor {
namespace {

using formats::ModelFile;

// The files of `path`: itself, or the model files directly inside it, by name.
std::vector<std::filesystem::path> model_files_at(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    if (!std::filesystem::exists(path, ec)) {
      throw InputError(fmt::format("{}: no such model file or directory", path.string()));
    }
    return {path};
  }
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(path)) {
    if (e.is_regular_file() && formats::looks_like_model_file(e.path())) out.push_back(e.path());
  }
  if (out.empty()) {
    throw InputError(
        fmt::format("{}: no .safetensors or .gguf files in the directory", path.string()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Splits [offset, offset + bytes) into chunks whose boundaries lie on the file's chunk-size grid:
// a tensor that starts mid-grid gets a short first chunk, so a direct engine's aligned requests
// never overlap inside a tensor and the reads stay sequential.
void add_chunks(std::vector<ModelLoadWorkload::Chunk>& out, std::uint32_t file,
                std::uint64_t offset, std::uint64_t bytes, std::uint32_t chunk, bool first) {
  const std::uint64_t end = offset + bytes;
  for (std::uint64_t at = offset; at < end;) {
    const std::uint64_t next = std::min(end, (at / chunk + 1) * chunk);
    out.push_back({file, at, static_cast<std::uint32_t>(next - at), first});
    at = next;
  }
}

// Whether a file found under a generated model's name holds exactly the tensors it would be
// written with (names, dtypes, shapes), so it can be reused instead of written again.
bool same_tensors(const ModelFile& m, const std::vector<formats::TensorSpec>& specs) {
  if (m.tensors.size() != specs.size()) return false;
  std::map<std::string_view, const formats::TensorSpec*> by_name;
  for (const auto& s : specs)
    by_name[s.name] = &s;
  return std::all_of(m.tensors.begin(), m.tensors.end(), [&](const formats::TensorInfo& t) {
    const auto it = by_name.find(t.name);
    return it != by_name.end() && it->second->dtype == t.dtype && it->second->shape == t.shape;
  });
}

class ChunkSource final : public RequestSource {
 public:
  ChunkSource(const std::vector<ModelLoadWorkload::Chunk>& chunks, std::size_t begin,
              std::size_t end, const std::vector<FileId>& ids, const std::vector<ModelFile>& files,
              std::uint32_t alignment, std::function<void(const ModelLoadWorkload::Chunk&)> done)
      : chunks_(chunks),
        next_(begin),
        end_(end),
        ids_(ids),
        files_(files),
        alignment_(alignment),
        done_(std::move(done)) {}

  bool next(IoRequest& r) override {
    if (next_ == end_) return false;
    const auto& c = chunks_[next_];
    const std::uint64_t first = align_down(c.offset, alignment_);
    const std::uint64_t last = align_up(c.offset + c.length, alignment_);
    r.op = Op::read;
    r.file = ids_[c.file];
    r.offset = first;
    r.length = static_cast<std::uint32_t>(last - first);
    r.to_eof = last > files_[c.file].file_bytes;
    r.tag = next_++;
    return true;
  }
  void completed(const IoRequest& r, std::int64_t res) override {
    if (res > 0) done_(chunks_[r.tag]);
  }

 private:
  const std::vector<ModelLoadWorkload::Chunk>& chunks_;
  std::size_t next_;
  std::size_t end_;
  const std::vector<FileId>& ids_;
  const std::vector<ModelFile>& files_;
  std::uint32_t alignment_;
  std::function<void(const ModelLoadWorkload::Chunk&)> done_;
};

}  // namespace

ModelLoadParams ModelLoadWorkload::parse(ConfigNode& phase) {
  ModelLoadParams p;
  const bool has_path = phase.has("path");
  if (has_path == phase.has("model")) {
    phase.fail(has_path ? "model" : "path",
               "give either \"path\" (a model file or directory) or \"model\" (one to generate)");
  }
  if (has_path) {
    p.path = phase.string("path", std::nullopt);
  } else {
    ConfigNode m = phase.object("model");
    p.format = m.choice("format", "safetensors", {"safetensors", "gguf"}) == "gguf"
                   ? formats::ModelFormat::gguf
                   : formats::ModelFormat::safetensors;
    p.preset = m.string("preset", "");
    p.size = m.size("size", 0);
    p.parameters = m.size("parameters", 0);
    if (!p.preset.empty() + (p.size != 0) + (p.parameters != 0) != 1) {
      m.fail("preset", "give one of a preset (and scale), a size or a parameter count");
    }
    if (!p.preset.empty()) {
      try {
        (void)formats::model_preset(p.preset);
      } catch (const InputError& e) {
        m.fail("preset", e.what());
      }
    }
    p.scale = m.number("scale", 1.0, 1e-6, 1000);
    p.dtype = m.string("dtype", p.format == formats::ModelFormat::gguf ? "Q4_K" : "BF16");
    try {
      (void)formats::tensor_bytes(p.dtype, 256);
    } catch (const InputError& e) {
      m.fail("dtype", e.what());
    }
    m.finish();
  }
  p.chunk_size = static_cast<std::uint32_t>(phase.size("chunk_size", 2 << 20, 4096, 1ULL << 30));
  p.by_tensor = phase.choice("order", "tensors", {"tensors", "range"}) == "tensors";
  p.threads = static_cast<unsigned>(phase.integer("threads", 1, 1, 4096));
  return p;
}

Goal ModelLoadWorkload::goal() const {
  return {chunk_bytes_, 0};
}

std::vector<std::filesystem::path> ModelLoadWorkload::prepare(const PhaseEnv& env) {
  files_.clear();
  chunks_.clear();
  pump_buffers_.clear();
  pump_buffers_.resize(params_.threads);
  std::vector<std::filesystem::path> paths;
  if (!params_.path.empty()) {
    paths = model_files_at(params_.path);
  } else {
    const auto shape = params_.size ? formats::model_shape_of_size(params_.size, params_.dtype)
                       : params_.parameters
                           ? formats::model_shape_of_parameters(params_.parameters, params_.dtype)
                           : formats::scaled(formats::model_preset(params_.preset), params_.scale);
    const auto tensors = formats::model_tensors(shape, params_.format, params_.dtype);
    const auto name = fmt::format(
        "aistor-model-{}-{}l-{}{}.{}",
        params_.preset.empty() ? fmt::format("sized-h{}", shape.hidden) : params_.preset,
        shape.layers, params_.dtype, params_.version,
        params_.format == formats::ModelFormat::gguf ? "gguf" : "safetensors");
    const auto path = env.dir / name;
    FileClaims claims(env.dir);
    bool reuse = false;
    std::error_code ec;
    if (std::filesystem::exists(std::filesystem::symlink_status(path, ec))) {
      try {
        reuse = same_tensors(formats::read_model_file(path), tensors);
      } catch (const InputError&) {
        reuse = false;
      }
      // A file with the generated model's tensors is read whoever made it; one that differs is
      // replaced only when aistor made it.
      if (!reuse && !claims.owns(name)) {
        throw InputError(
            fmt::format("{}: exists, aistor did not create it (it is not in {}), "
                        "and it is not the model this phase generates: refusing to "
                        "replace it",
                        path.string(), (env.dir / kFileClaims).string()));
      }
    }
    if (!reuse) {
      claims.claim(name);
      const auto metadata = params_.format == formats::ModelFormat::gguf
                                ? formats::gguf_metadata(shape, params_.dtype)
                                : nlohmann::json::object();
      (void)formats::write_model_file(path, params_.format, tensors, params_.seed, metadata);
    }
    paths = {path};
  }
  for (const auto& p : paths)
    files_.push_back(formats::read_model_file(p));
  bool first = true;
  first_tensor_bytes_ = 0;
  for (std::uint32_t f = 0; f < files_.size(); ++f) {
    const ModelFile& m = files_[f];
    if (!params_.by_tensor) {
      add_chunks(chunks_, f, 0, m.file_bytes, params_.chunk_size, false);
      continue;
    }
    add_chunks(chunks_, f, 0, m.data_offset, params_.chunk_size, false);  // the header
    for (const auto& t : m.tensors) {
      add_chunks(chunks_, f, t.offset, t.bytes, params_.chunk_size, first && t.bytes > 0);
      if (first && t.bytes > 0) {
        first_tensor_bytes_ = t.bytes;
        first = false;
      }
    }
  }
  chunk_bytes_ = 0;
  for (const auto& c : chunks_)
    chunk_bytes_ += c.length;
  first_tensor_done_ = 0;
  first_tensor_ns_ = 0;
  first_byte_ns_ = 0;
  start_ns_ = 0;
  end_ns_ = 0;
  return paths;
}

void ModelLoadWorkload::make_buffers(WorkerContext& ctx, std::uint32_t alignment) {
  pump_buffers_.at(ctx.index).emplace(ctx.engine, ctx.queue_depth,
                                      align_up(params_.chunk_size, alignment) + 2 * alignment);
}

void ModelLoadWorkload::before_start(WorkerContext& ctx) {
  make_buffers(ctx, request_alignment(ctx.engine, files_.front().path));
}

void ModelLoadWorkload::run(WorkerContext& ctx) {
  // The load starts before the files are opened: an mmap engine maps (and with populate, reads)
  // them in open(), which the recorder, counting from the first request, would not see.
  note_start(now_ns());
  const std::size_t n = chunks_.size();
  const std::size_t begin = n * ctx.index / params_.threads;
  const std::size_t end = n * (ctx.index + 1) / params_.threads;
  std::vector<FileId> ids;
  for (const auto& f : files_) {
    ids.push_back(ctx.engine.open(f.path, Access::read));
    ctx.recorder.name_file(ids.back(), f.path.string());
  }
  const std::uint32_t alignment = request_alignment(ctx.engine, files_.front().path);
  ChunkSource source(chunks_, begin, end, ids, files_, alignment, [this](const Chunk& c) {
    std::uint64_t none = 0;
    if (first_byte_ns_.load(std::memory_order_relaxed) == 0) {
      (void)first_byte_ns_.compare_exchange_strong(none, now_ns());
    }
    if (!c.first_tensor) return;
    const auto done = first_tensor_done_.fetch_add(c.length) + c.length;
    if (done == first_tensor_bytes_) first_tensor_ns_.store(now_ns());
  });
  PumpLimits limits;
  limits.stop_on_error = ctx.stop_on_error;
  std::optional<PumpBuffers>& buffers = pump_buffers_.at(ctx.index);
  if (!buffers) make_buffers(ctx, alignment);
  {
    Pump pump(ctx.engine, *buffers, ctx.recorder, ctx.stop, ctx.progress);
    ctx.outcome = pump.run(source, limits);
  }
  buffers.reset();
  const std::uint64_t finished = now_ns();
  std::uint64_t seen = end_ns_.load();
  while (finished > seen && !end_ns_.compare_exchange_weak(seen, finished)) {
  }
  for (FileId id : ids)
    ctx.engine.close(id);
}

void ModelLoadWorkload::note_start(std::uint64_t t) {
  std::uint64_t seen = start_ns_.load();
  while ((seen == 0 || t < seen) && !start_ns_.compare_exchange_weak(seen, t)) {
  }
}

nlohmann::json ModelLoadWorkload::describe_model() const {
  std::uint64_t tensors = 0, tensor_bytes = 0, file_bytes = 0, parameters = 0;
  for (const auto& f : files_) {
    tensors += f.tensors.size();
    for (const auto& t : f.tensors) {
      std::uint64_t n = 1;
      for (auto d : t.shape)
        n *= d;
      parameters += n;
    }
    tensor_bytes += f.data_bytes;
    file_bytes += f.file_bytes;
  }
  return {{"files", files_.size()},
          {"format", files_.empty() ? "" : formats::to_string(files_.front().format)},
          {"tensors", tensors},
          {"parameters", parameters},
          {"tensor_bytes", tensor_bytes},
          {"file_bytes", file_bytes},
          {"order", params_.by_tensor ? "tensors" : "range"},
          {"chunk_size", params_.chunk_size},
          {"requested_bytes", chunk_bytes_}};
}

LoadTiming ModelLoadWorkload::timing() const {
  return {start_ns_.load(), first_byte_ns_.load(), first_tensor_ns_.load(), end_ns_.load()};
}

nlohmann::json ModelLoadWorkload::summarize() const {
  const LoadTiming t = timing();
  auto since_start = [&](std::uint64_t at) {
    return at > t.start_ns && t.start_ns > 0
               ? nlohmann::json(static_cast<double>(at - t.start_ns) / 1e9)
               : nlohmann::json(nullptr);
  };
  const double load_s = t.end_ns > t.start_ns && t.start_ns > 0
                            ? static_cast<double>(t.end_ns - t.start_ns) / 1e9
                            : 0.0;
  nlohmann::json out = describe_model();
  out["load_s"] = load_s;
  out["load_bytes_per_s"] = load_s > 0 ? static_cast<double>(chunk_bytes_) / load_s : 0.0;
  out["first_byte_s"] = since_start(t.first_byte_ns);
  out["first_tensor_s"] = since_start(t.first_tensor_ns);
  return out;
}

WorkloadInfo model_load_workload_info() {
  return {"model-load",
          "load model weights (safetensors, GGUF) tensor by tensor or by range, into host or GPU "
          "memory",
          [](ConfigNode& phase) -> std::unique_ptr<Workload> {
            return std::make_unique<ModelLoadWorkload>(ModelLoadWorkload::parse(phase));
          },
          true};
}

}  // namespace aistor
