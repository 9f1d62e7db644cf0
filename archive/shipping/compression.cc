#include "archive/shipping/compression.h"

#include <zlib.h>
#include <zstd.h>

#include <vector>

namespace hourglass::archive {
namespace {

using common::Status;

class CopyCodec final : public Codec {
 public:
  Status Write(std::string_view input, const ChunkSink& sink) override {
    return input.empty() ? Status::Ok() : sink(input);
  }
  Status Finish(const ChunkSink&) override { return Status::Ok(); }
};

// gzip over zlib's deflate/inflate with a gzip wrapper (windowBits 31).
class GzipCodec final : public Codec {
 public:
  explicit GzipCodec(bool encode) : encode_(encode), out_(kChunk) {}
  ~GzipCodec() override {
    if (ready_) encode_ ? deflateEnd(&z_) : inflateEnd(&z_);
  }
  Status Init() {
    const int rc = encode_ ? deflateInit2(&z_, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY)
                           : inflateInit2(&z_, 31);
    ready_ = rc == Z_OK;
    return ready_ ? Status::Ok() : Status::Error("zlib initialisation failed");
  }
  Status Write(std::string_view input, const ChunkSink& sink) override {
    return Run(input, false, sink);
  }
  Status Finish(const ChunkSink& sink) override {
    if (auto status = Run({}, true, sink); !status) return status;
    if (!encode_ && !ended_) return Status::Error("gzip stream is truncated");
    return Status::Ok();
  }

 private:
  Status Run(std::string_view input, bool finish, const ChunkSink& sink) {
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
    z_.avail_in = static_cast<uInt>(input.size());
    for (;;) {
      if (!encode_ && ended_ && z_.avail_in > 0) {  // another gzip member follows
        if (inflateReset(&z_) != Z_OK) return Status::Error("gzip reset failed");
        ended_ = false;
      }
      z_.next_out = reinterpret_cast<Bytef*>(out_.data());
      z_.avail_out = static_cast<uInt>(out_.size());
      const int rc =
          encode_ ? deflate(&z_, finish ? Z_FINISH : Z_NO_FLUSH) : inflate(&z_, Z_NO_FLUSH);
      const size_t produced = out_.size() - z_.avail_out;
      if (produced > 0) {
        if (auto status = sink({out_.data(), produced}); !status) return status;
      }
      if (rc == Z_STREAM_END) {
        ended_ = true;
        if (encode_ || z_.avail_in == 0) return Status::Ok();
        continue;
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) return Status::Error("gzip data is corrupt");
      if (z_.avail_in == 0 && z_.avail_out != 0 && !(encode_ && finish)) return Status::Ok();
      if (rc == Z_BUF_ERROR && produced == 0) return Status::Ok();
    }
  }

  const bool encode_;
  bool ready_ = false;
  bool ended_ = false;
  z_stream z_{};
  std::vector<char> out_;
};

struct CStreamFree {
  void operator()(ZSTD_CStream* s) const { ZSTD_freeCStream(s); }
};
struct DStreamFree {
  void operator()(ZSTD_DStream* s) const { ZSTD_freeDStream(s); }
};

class ZstdEncoder final : public Codec {
 public:
  ZstdEncoder() : stream_(ZSTD_createCStream()), out_(ZSTD_CStreamOutSize()) {}
  Status Init() {
    if (!stream_ || ZSTD_isError(ZSTD_initCStream(stream_.get(), 3))) {
      return Status::Error("zstd initialisation failed");
    }
    return Status::Ok();
  }
  Status Write(std::string_view input, const ChunkSink& sink) override {
    ZSTD_inBuffer in{input.data(), input.size(), 0};
    while (in.pos < in.size) {
      ZSTD_outBuffer out{out_.data(), out_.size(), 0};
      if (ZSTD_isError(ZSTD_compressStream(stream_.get(), &out, &in))) {
        return Status::Error("zstd compression failed");
      }
      if (out.pos > 0) {
        if (auto status = sink({out_.data(), out.pos}); !status) return status;
      }
    }
    return Status::Ok();
  }
  Status Finish(const ChunkSink& sink) override {
    for (;;) {
      ZSTD_outBuffer out{out_.data(), out_.size(), 0};
      const size_t left = ZSTD_endStream(stream_.get(), &out);
      if (ZSTD_isError(left)) return Status::Error("zstd compression failed");
      if (out.pos > 0) {
        if (auto status = sink({out_.data(), out.pos}); !status) return status;
      }
      if (left == 0) return Status::Ok();
    }
  }

 private:
  std::unique_ptr<ZSTD_CStream, CStreamFree> stream_;
  std::vector<char> out_;
};

class ZstdDecoder final : public Codec {
 public:
  ZstdDecoder() : stream_(ZSTD_createDStream()), out_(ZSTD_DStreamOutSize()) {}
  Status Init() {
    if (!stream_ || ZSTD_isError(ZSTD_initDStream(stream_.get()))) {
      return Status::Error("zstd initialisation failed");
    }
    return Status::Ok();
  }
  Status Write(std::string_view input, const ChunkSink& sink) override {
    ZSTD_inBuffer in{input.data(), input.size(), 0};
    for (;;) {
      ZSTD_outBuffer out{out_.data(), out_.size(), 0};
      const size_t rc = ZSTD_decompressStream(stream_.get(), &out, &in);
      if (ZSTD_isError(rc)) return Status::Error("zstd data is corrupt");
      last_hint_ = rc;
      if (out.pos > 0) {
        if (auto status = sink({out_.data(), out.pos}); !status) return status;
      }
      if (in.pos == in.size && out.pos < out.size) return Status::Ok();
    }
  }
  Status Finish(const ChunkSink&) override {
    return last_hint_ == 0 ? Status::Ok() : Status::Error("zstd stream is truncated");
  }

 private:
  std::unique_ptr<ZSTD_DStream, DStreamFree> stream_;
  std::vector<char> out_;
  size_t last_hint_ = 1;  // 0 once a frame is complete
};

template <typename T, typename... Args>
common::Result<std::unique_ptr<Codec>> Initialised(Args... args) {
  auto codec = std::make_unique<T>(args...);
  if (auto status = codec->Init(); !status) return status;
  return std::unique_ptr<Codec>(std::move(codec));
}

}  // namespace

common::Result<Compression> ParseCompression(std::string_view text) {
  if (text == "gzip") return Compression::kGzip;
  if (text == "zstd") return Compression::kZstd;
  if (text == "none") return Compression::kNone;
  return Status::Error("archive.compression must be gzip, zstd or none");
}

std::string_view CompressionName(Compression compression) {
  switch (compression) {
    case Compression::kGzip:
      return "gzip";
    case Compression::kZstd:
      return "zstd";
    case Compression::kNone:
      return "none";
  }
  return "none";
}

std::string_view CompressionSuffix(Compression compression) {
  switch (compression) {
    case Compression::kGzip:
      return ".gz";
    case Compression::kZstd:
      return ".zst";
    case Compression::kNone:
      return "";
  }
  return "";
}

Compression CompressionOfName(std::string_view name) {
  if (name.ends_with(".gz")) return Compression::kGzip;
  if (name.ends_with(".zst")) return Compression::kZstd;
  return Compression::kNone;
}

common::Result<std::unique_ptr<Codec>> MakeEncoder(Compression compression) {
  switch (compression) {
    case Compression::kGzip:
      return Initialised<GzipCodec>(true);
    case Compression::kZstd:
      return Initialised<ZstdEncoder>();
    case Compression::kNone:
      break;
  }
  return std::unique_ptr<Codec>(std::make_unique<CopyCodec>());
}

common::Result<std::unique_ptr<Codec>> MakeDecoder(Compression compression) {
  switch (compression) {
    case Compression::kGzip:
      return Initialised<GzipCodec>(false);
    case Compression::kZstd:
      return Initialised<ZstdDecoder>();
    case Compression::kNone:
      break;
  }
  return std::unique_ptr<Codec>(std::make_unique<CopyCodec>());
}

}  // namespace hourglass::archive
