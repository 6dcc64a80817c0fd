#pragma once
// Traces of others, read into the same Trace as aistor's own: fio's iologs (version 2, with its
// `wait` lines, and version 3, timestamps in microseconds; sync and datasync kept as syncs, trims
// skipped), blkparse's default text output (its
// queue events, `Q`: what the application asked for, one stream per process), and the CSV that
// MLPerf Storage's KV-cache benchmark writes with --io-trace-log (Timestamp in seconds, Operation,
// Object_Size_Bytes, Tier, Key, Phase: whole-object reads and writes of `<key>.npy`; its GPU and
// CPU tiers move no storage bytes and are skipped).
//
// Ops longer than kMaxImportedOp are cut into pieces of it, issued back to back (an 8 GiB object
// is not one buffer). A trace holds at most `max_ops` ops after the cutting (kMaxImportedOps, 64 Mi
// ops, 3 GiB, unless the caller says less): an impossible size is an error at its line, never an
// exhausted machine. Every error is an InputError naming the file and the line.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>

#include "workloads/formats/trace_file.hpp"

namespace aistor::formats {

inline constexpr std::uint32_t kMaxImportedOp = 16u << 20;
inline constexpr std::uint64_t kMaxImportedOps = 64u << 20;

enum class TraceFormat : std::uint8_t { automatic, aistor, fio, blkparse, mlperf_kv };

// "auto", "aistor", "fio", "blkparse", "mlperf-kv"; nullopt for anything else.
[[nodiscard]] std::optional<TraceFormat> trace_format_from(std::string_view name);
[[nodiscard]] const char* to_string(TraceFormat f) noexcept;

// Which format the bytes are in (never `automatic`); InputError when none.
[[nodiscard]] TraceFormat detect_trace_format(std::string_view bytes, std::string_view origin);

[[nodiscard]] Trace parse_fio_iolog(std::string_view text, std::string_view origin,
                                    std::uint64_t max_ops = kMaxImportedOps);
[[nodiscard]] Trace parse_blkparse(std::string_view text, std::string_view origin,
                                   std::uint64_t max_ops = kMaxImportedOps);
[[nodiscard]] Trace parse_mlperf_kv(std::string_view text, std::string_view origin,
                                    std::uint64_t max_ops = kMaxImportedOps);

// Any format, from bytes (the fuzz target's entry) or a file.
[[nodiscard]] Trace parse_any_trace(std::string_view bytes, std::string_view origin,
                                    TraceFormat format = TraceFormat::automatic,
                                    std::uint64_t max_ops = kMaxImportedOps);
[[nodiscard]] Trace load_trace(const std::filesystem::path& path,
                               TraceFormat format = TraceFormat::automatic);

}  // namespace aistor::formats
