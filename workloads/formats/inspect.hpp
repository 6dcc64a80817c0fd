#pragma once
// What a file or dataset directory is, checked through: `aistor inspect`.
//
// Recognises an aistor dataset directory (its manifest), a TFRecord file (plain, GZIP or ZLIB), an
// FFRecord file, an Arrow IPC file (stream or file format), and a directory without a manifest
// holding TFRecord files, FFRecord files or raw samples (one file each, any tree); counts records
// and payload bytes, summarises sizes, and checks every checksum (and, for aistor-generated data,
// that each sample is the one expected). Corruption throws InputError naming the file, the record
// and its byte offset.
#include <filesystem>

#include <nlohmann/json.hpp>

namespace aistor::formats {

[[nodiscard]] nlohmann::json inspect(const std::filesystem::path& path);

// The human form of inspect()'s result.
[[nodiscard]] std::string describe_inspection(const nlohmann::json& result);

}  // namespace aistor::formats
