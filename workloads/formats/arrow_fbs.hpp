#pragma once
// Tags of Arrow's flatbuffer schemas (Message.fbs, Schema.fbs) that aistor's Arrow IPC reader and
// writer both use.
#include <cstdint>

namespace aistor::arrow_fbs {

// MessageHeader union.
inline constexpr std::uint8_t kHeaderSchema = 1, kHeaderDictionary = 2, kHeaderRecordBatch = 3;
// Type union.
inline constexpr std::uint8_t kTypeInt = 2, kTypeBinary = 4, kTypeUtf8 = 5, kTypeStruct = 13,
                              kTypeLargeBinary = 19, kTypeLargeUtf8 = 20;
// MetadataVersion V5.
inline constexpr std::int16_t kVersionV5 = 4;

}  // namespace aistor::arrow_fbs
