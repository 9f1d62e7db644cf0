// Streaming compression of sealed audit files: gzip (default, what zcat and
// Athena read), zstd, or none. Encoder and Decoder take input in chunks and
// hand output to a sink in chunks of at most kChunk bytes, so memory stays
// bounded whatever the file size. One thread per instance; they own their
// zlib/zstd state (freed by the destructor).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace hourglass::archive {

enum class Compression { kGzip, kZstd, kNone };

// "gzip" | "zstd" | "none".
common::Result<Compression> ParseCompression(std::string_view text);
std::string_view CompressionName(Compression compression);
// ".gz", ".zst" or "" (appended to the audit file name).
std::string_view CompressionSuffix(Compression compression);
// The compression a sealed file name's suffix says (.gz, .zst, else none).
Compression CompressionOfName(std::string_view name);

// Receives output bytes; a failed Status aborts the stream.
using ChunkSink = std::function<common::Status(std::string_view)>;

class Codec {
 public:
  static constexpr size_t kChunk = 1 << 16;
  virtual ~Codec() = default;
  // Feeds `input`; output goes to `sink` as it is produced.
  virtual common::Status Write(std::string_view input, const ChunkSink& sink) = 0;
  // Flushes the end of the stream. A decoder fails here if its input was
  // truncated.
  virtual common::Status Finish(const ChunkSink& sink) = 0;
};

// Compressor for `compression` at its default level.
common::Result<std::unique_ptr<Codec>> MakeEncoder(Compression compression);
// Decompressor; gzip input may hold several members (as zcat accepts).
common::Result<std::unique_ptr<Codec>> MakeDecoder(Compression compression);

}  // namespace hourglass::archive
