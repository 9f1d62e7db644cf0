// SeriesBlock: the compressed points of one series over one block span (up to
// kSlotsPerBlock slots) as one value: slot deltas in a few bits, values either
// as scaled decimal deltas or XOR-coded against the previous value (Gorilla).
// Every double bit pattern round-trips exactly. The byte format is described
// in series_block.cc. Pure functions and value types; any thread, no sharing.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "store/data_key.h"

namespace hourglass::store {

// Tag of a series block value: 0x40 | 0x08 if dense | mode (mode 0 XOR, 1..4
// decimal with 10^(mode-1) scale). Tags 0x10..0x3f belong to block_codec.h.
inline constexpr uint8_t kTagSeriesBlock = 0x40;

struct SeriesBlockPoint {
  uint16_t slot = 0;
  double value = 0;
};

// Appends points in increasing slot order; O(1) amortized per point (a value
// that needs a wider coding, or the first gap in slots, re-encodes the block:
// at most 5 times a block).
class SeriesBlockWriter {
 public:
  SeriesBlockWriter() = default;
  // allow_decimal false: values are always XOR-coded (mode 0), for comparisons.
  explicit SeriesBlockWriter(bool allow_decimal) : allow_decimal_(allow_decimal) {}
  // Continues an encoded block (e.g. a head's bytes). False if `block` is
  // not a valid series block; `out` is then unchanged.
  static bool Resume(std::string_view block, SeriesBlockWriter* out);

  // False, and nothing changes, if slot >= kSlotsPerBlock or slot <= last_slot().
  bool Append(uint16_t slot, double value);

  // The encoded block; empty while count() == 0.
  std::string_view bytes() const { return bytes_; }
  int count() const { return count_; }
  int last_slot() const { return count_ == 0 ? -1 : last_slot_; }

 private:
  void AppendInMode(uint16_t slot, double value);  // value fits mode_
  void PutBits(uint64_t v, int n);
  void PutValue(double value);
  void Reencode(int mode, bool dense, std::string_view old);
  void WriteHeader();

  // Laid out small: a store holds one writer per series with an open block.
  std::string bytes_;
  // Previous value's state: XOR mode uses prev_bits_ and the window,
  // decimal mode prev_scaled_.
  uint64_t prev_bits_ = 0;
  int64_t prev_scaled_ = 0;
  uint32_t bit_len_ = 0;  // bits used after the header
  uint16_t count_ = 0;
  uint16_t first_slot_ = 0;
  uint16_t last_slot_ = 0;
  uint8_t mode_ = 0;
  int8_t prev_leading_ = -1;  // -1: no window yet
  uint8_t prev_trailing_ = 0;
  bool dense_ = false;  // every slot from first to last present: no slot deltas
  bool allow_decimal_ = true;
};

// Iterates a block's points in slot order. Init checks the header; Next
// returns false at the end or on corrupt input (then corrupt() is true).
// Never reads outside `block`.
class SeriesBlockDecoder {
 public:
  bool Init(std::string_view block);
  bool Next(SeriesBlockPoint* p);
  bool corrupt() const { return corrupt_; }
  int count() const { return count_; }
  int first_slot() const { return first_slot_; }
  int last_slot() const { return last_slot_; }
  // Bits of the stream read so far (after the header).
  uint64_t bit_pos() const { return pos_; }
  // Decoder state, for SeriesBlockWriter::Resume.
  int mode() const { return mode_; }
  bool dense() const { return dense_; }
  uint64_t prev_bits() const { return prev_bits_; }
  int prev_leading() const { return prev_leading_; }
  int prev_trailing() const { return prev_trailing_; }
  int64_t prev_scaled() const { return static_cast<int64_t>(prev_scaled_); }

 private:
  bool Fail() {
    corrupt_ = true;
    return false;
  }
  bool Get(int n, uint64_t* v);
  bool GetBit(uint64_t* v) { return Get(1, v); }
  bool GetValue(double* value);

  const unsigned char* data_ = nullptr;
  uint64_t size_bits_ = 0;
  uint64_t pos_ = 0;
  int mode_ = 0;
  bool dense_ = false;
  int count_ = 0, read_ = 0;
  int first_slot_ = 0, last_slot_ = 0, slot_ = 0;
  bool corrupt_ = false;
  uint64_t prev_bits_ = 0;
  int prev_leading_ = -1, prev_trailing_ = 0;
  uint64_t prev_scaled_ = 0;  // wraps on corrupt input instead of overflowing
};

// Inline: called for every few bits of a decode.
inline bool SeriesBlockDecoder::Get(int n, uint64_t* v) {
  if (size_bits_ - pos_ < static_cast<uint64_t>(n)) return false;
  const int shift = static_cast<int>(pos_ & 7);
  if (n > 0 && n <= 64 - shift && size_bits_ - (pos_ & ~uint64_t{7}) >= 64) {
    // Fast path: the n bits lie within 8 whole bytes of the stream.
    uint64_t word;
    std::memcpy(&word, data_ + (pos_ >> 3), 8);
    word = __builtin_bswap64(word) << shift;
    *v = word >> (64 - n);
    pos_ += static_cast<uint64_t>(n);
    return true;
  }
  uint64_t out = 0;
  while (n > 0) {
    const int used = static_cast<int>(pos_ & 7);
    const int take = n < 8 - used ? n : 8 - used;
    const unsigned byte = data_[pos_ >> 3];
    out = (out << take) | ((byte >> (8 - used - take)) & ((1u << take) - 1));
    pos_ += static_cast<uint64_t>(take);
    n -= take;
  }
  *v = out;
  return true;
}

// Every point of a block. False if corrupt (then `out` holds a prefix).
bool DecodeSeriesBlock(std::string_view block, std::vector<SeriesBlockPoint>* out);

// Calls fn(slot, value) for the points with slot_from <= slot < slot_to,
// stopping once past slot_to. False if the block is corrupt (points before
// the corruption may have been passed to fn).
template <typename Fn>
bool ForEachSeriesBlockPoint(std::string_view block, int slot_from, int slot_to, Fn&& fn) {
  SeriesBlockDecoder d;
  if (!d.Init(block)) return false;
  if (slot_to <= d.first_slot() || slot_from > d.last_slot()) return true;
  SeriesBlockPoint p;
  while (d.Next(&p)) {
    if (p.slot >= slot_to) return true;
    if (p.slot >= slot_from) fn(p.slot, p.value);
  }
  return !d.corrupt();
}

// Encodes sorted, slot-unique points (slot < kSlotsPerBlock) into `out`.
// False if they are not.
bool EncodeSeriesBlock(const std::vector<SeriesBlockPoint>& points, std::string* out);

// Count and last slot from the header alone. False if the header is invalid.
bool SeriesBlockHeader(std::string_view block, int* count, int* last_slot);

// Puts (slot, value) into `block` (empty: a new block): a new slot is
// inserted; an occupied one gets combine(old, new). Decode, merge, re-encode.
// False, `block` unchanged, if it is corrupt or slot >= kSlotsPerBlock.
template <typename Combine>
bool PatchSeriesBlock(std::string* block, uint16_t slot, double value, Combine&& combine) {
  if (slot >= kSlotsPerBlock) return false;
  std::vector<SeriesBlockPoint> points;
  if (!block->empty() && !DecodeSeriesBlock(*block, &points)) return false;
  auto it = points.begin();
  while (it != points.end() && it->slot < slot) ++it;
  if (it != points.end() && it->slot == slot) {
    it->value = combine(it->value, value);
  } else {
    points.insert(it, SeriesBlockPoint{slot, value});
  }
  return EncodeSeriesBlock(points, block);
}

}  // namespace hourglass::store
