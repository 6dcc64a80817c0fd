#pragma once
// SHA-256 (FIPS 180-4) of a byte string, as 64 lowercase hex digits.
//
// A self-contained implementation (no OpenSSL) for content fingerprints of configs, data files
// and reports — not tuned for hashing large data at I/O speed. Pure function; thread-safe; never
// throws except std::bad_alloc.
#include <string>
#include <string_view>

namespace aistor {

[[nodiscard]] std::string sha256_hex(std::string_view data);

}  // namespace aistor
