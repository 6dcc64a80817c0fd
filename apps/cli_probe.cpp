// `aistor probe gpu`: the host↔device copy ceilings that GPU phases are measured against.
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <fstream>
#include <ostream>

#include <nlohmann/json.hpp>

#include "apps/cli.hpp"
#include "core/error.hpp"
#include "core/units.hpp"
#ifdef AISTOR_HAVE_CUDA
#include "cuda/copy_probe.hpp"
#include "cuda/cuda_probe.hpp"
#endif

namespace aistor::cli {
namespace {

struct ProbeArgs {
  int gpu = 0;
  std::vector<std::size_t> chunks{64 << 10, 1 << 20, 4 << 20, 16 << 20, 64 << 20};
  std::string json_path;
};

ProbeArgs parse_probe_args(const std::vector<std::string>& args) {
  if (args.empty() || args[0] != "gpu") {
    throw InputError(
        "probe: expected \"aistor probe gpu [--gpu N] [--chunks 64K,1M,...] "
        "[--json FILE]\"");
  }
  ProbeArgs p;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (i + 1 >= args.size()) throw InputError(fmt::format("probe gpu: {} needs a value", args[i]));
    const std::string& value = args[++i];
    if (args[i - 1] == "--gpu") {
      auto n = parse_size(value);
      if (!n || *n > 1023)
        throw InputError(fmt::format("probe gpu: --gpu: \"{}\" is no GPU index", value));
      p.gpu = static_cast<int>(*n);
    } else if (args[i - 1] == "--chunks") {
      p.chunks.clear();
      std::size_t start = 0;
      while (start <= value.size()) {
        std::size_t comma = value.find(',', start);
        std::string item = value.substr(start, comma == std::string::npos ? comma : comma - start);
        auto n = parse_size(item);
        if (!n || *n == 0 || *n > (1ULL << 30)) {
          throw InputError(
              fmt::format("probe gpu: --chunks: \"{}\" is not a size from 1 to 1GiB", item));
        }
        p.chunks.push_back(static_cast<std::size_t>(*n));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else if (args[i - 1] == "--json") {
      p.json_path = value;
    } else {
      throw InputError(fmt::format("probe gpu: unknown option {}", args[i - 1]));
    }
  }
  return p;
}

#ifdef AISTOR_HAVE_CUDA
// One row per chunk size: pinned and pageable, each direction, GB/s.
void print_rates(std::ostream& out, const std::vector<std::size_t>& chunks,
                 const std::vector<cuda::CopyRate>& rates) {
  fmt::print(out, "{:>8}  {:>10}  {:>10}  {:>12}  {:>12}\n", "chunk", "pinned H2D", "pinned D2H",
             "pageable H2D", "pageable D2H");
  auto rate = [&](std::size_t chunk, bool pinned, bool to_device) {
    for (const auto& r : rates) {
      if (r.chunk == chunk && r.pinned == pinned && r.to_device == to_device) return r.bytes_per_s;
    }
    return 0.0;
  };
  for (std::size_t chunk : chunks) {
    fmt::print(out, "{:>8}  {:>10.1f}  {:>10.1f}  {:>12.1f}  {:>12.1f}\n", short_size(chunk),
               rate(chunk, true, true) / 1e9, rate(chunk, true, false) / 1e9,
               rate(chunk, false, true) / 1e9, rate(chunk, false, false) / 1e9);
  }
}
#endif

}  // namespace

int probe(const std::vector<std::string>& args, Streams io) {
  ProbeArgs p;
  try {
    p = parse_probe_args(args);
  } catch (const InputError& e) {
    fmt::print(io.err, "aistor: {}\n", e.what());
    return 2;
  }
#ifdef AISTOR_HAVE_CUDA
  auto found = cuda::probe();
  if (p.gpu >= static_cast<int>(found.gpus.size())) {
    fmt::print(io.err, "aistor: probe gpu: no GPU {} ({})\n", p.gpu,
               found.error.empty() ? fmt::format("CUDA sees {}", found.gpus.size()) : found.error);
    return 1;
  }
  const auto& gpu = found.gpus[static_cast<std::size_t>(p.gpu)];
  constexpr std::size_t kTotal = 512ULL << 20;
  std::vector<cuda::CopyRate> rates;
  try {
    rates = cuda::probe_copies(p.gpu, p.chunks, kTotal);
  } catch (const std::exception& e) {
    fmt::print(io.err, "aistor: probe gpu: {}\n", e.what());
    return 1;
  }
  fmt::print(io.out, "GPU {}: {} (PCI bus {}), copy rates in GB/s, {} per point, median of 3\n",
             gpu.index, gpu.name, gpu.pci_bus, short_size(kTotal));
  print_rates(io.out, p.chunks, rates);
  nlohmann::json copies = nlohmann::json::array();
  for (const auto& r : rates) {
    copies.push_back({{"chunk", r.chunk},
                      {"memory", r.pinned ? "pinned" : "pageable"},
                      {"direction", r.to_device ? "host_to_device" : "device_to_host"},
                      {"bytes_per_s", r.bytes_per_s}});
  }
  if (!p.json_path.empty()) {
    std::ofstream f(p.json_path);
    f << nlohmann::json{{"gpu", {{"index", gpu.index}, {"name", gpu.name}}},
                        {"bytes_per_point", kTotal},
                        {"copies", copies}}
             .dump(2)
      << '\n';
    if (!f) {
      fmt::print(io.err, "aistor: probe gpu: cannot write {}\n", p.json_path);
      return 1;
    }
  }
  return 0;
#else
  fmt::print(io.err, "aistor: probe gpu: built without CUDA (no nvcc found at configure time)\n");
  return 1;
#endif
}

}  // namespace aistor::cli
