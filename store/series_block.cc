// DESIGN: the byte format of a series block.
//
//   byte 0     tag: 0x40 | dense | mode. dense (0x08): the points fill every
//              slot from the first to the last, and no slot deltas are
//              stored. mode (low 3 bits) 0: values XOR-coded (Gorilla); mode
//              1..4: every value is r / 10^(mode-1) for an integer r with
//              |r| < 2^53 (bit-exact), stored as zigzag deltas of r.
//   bytes 1-4  u32 little-endian: bits 0-8 first slot, 9-17 last slot,
//              18-26 point count (1..360), 27-31 zero.
//   bytes 5-   a bit stream, most significant bit of each byte first, padded
//              with zero bits to a whole byte (no further bytes). Per point:
//              the slot delta from the previous point (not for the first
//              point, whose slot is in the header, nor in a dense block),
//              then the value.
//
//   slot delta d >= 1:   '0' d = 1 | '10' + 3 bits d-2 | '11' + 9 bits d
//   XOR value:           first point: 64 bits. Then x = bits ^ previous bits:
//                        '0' x = 0 | '10' + the bits of x inside the previous
//                        window | '11' + 5 bits leading zeros + 6 bits length
//                        (0 means 64) + length bits; that sets the window.
//   decimal value:       z = zigzag(r - previous r) (previous r of the first
//                        point: 0): '0' z = 0 | '10' + 5 bits | '110' + 12
//                        bits | '1110' + 24 bits | '1111' + 64 bits.
//
// The writer picks the smallest mode every value of the block fits, so a
// block of small integers or 2-decimal values takes the decimal path.
#include "store/series_block.h"

#include <bit>
#include <cmath>
#include <cstring>

namespace hourglass::store {
namespace {

static_assert(std::endian::native == std::endian::little, "the header is read little-endian");

constexpr size_t kHeaderSize = 5;
constexpr int kMaxMode = 4;
constexpr int kDenseFlag = 0x08;
constexpr double kScale[kMaxMode + 1] = {0, 1, 10, 100, 1000};

uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }

// The scaled integer of `value` in decimal `mode`, if it is exactly that.
bool Scaled(double value, int mode, int64_t* r) {
  const double x = value * kScale[mode];
  if (!(std::fabs(x) < 9007199254740992.0)) return false;  // 2^53; NaN fails too
  const int64_t n = std::llround(x);
  if (Bits(static_cast<double>(n) / kScale[mode]) != Bits(value)) return false;
  *r = n;
  return true;
}

// The smallest decimal mode `value` fits, or 0 (XOR) if none.
int MinMode(double value) {
  int64_t r;
  for (int m = 1; m <= kMaxMode; ++m) {
    if (Scaled(value, m, &r)) return m;
  }
  return 0;
}

uint32_t PackHeader(int first, int last, int count) {
  return static_cast<uint32_t>(first) | static_cast<uint32_t>(last) << 9 |
         static_cast<uint32_t>(count) << 18;
}

}  // namespace

// ---- Writer ----

void SeriesBlockWriter::PutBits(uint64_t v, int n) {
  if (n > 56) {  // at most 7 bits wait in the last byte: keep them and n within 64
    PutBits(v >> 32, n - 32);
    v &= 0xffffffffu;
    n = 32;
  }
  if (n <= 0) return;
  // The low n bits of v, most significant first, after the bits already in
  // the last byte: assembled in one word, then stored a byte at a time.
  const int used = static_cast<int>(bit_len_ & 7);
  uint64_t word = (v & ((uint64_t{1} << n) - 1)) << (64 - used - n);
  size_t at = bytes_.size();
  if (used != 0) {
    --at;
    word |= uint64_t{static_cast<unsigned char>(bytes_[at])} << 56;
  }
  const size_t count = static_cast<size_t>(used + n + 7) / 8;
  bytes_.resize(at + count);
  for (size_t i = 0; i < count; ++i) bytes_[at + i] = static_cast<char>(word >> (56 - 8 * i));
  bit_len_ += static_cast<uint32_t>(n);
}

void SeriesBlockWriter::PutValue(double value) {
  if (mode_ != 0) {
    int64_t r = 0;
    Scaled(value, mode_, &r);  // the caller checked that it fits
    const uint64_t d = static_cast<uint64_t>(r) - static_cast<uint64_t>(prev_scaled_);
    const uint64_t z = (d << 1) ^ static_cast<uint64_t>(static_cast<int64_t>(d) >> 63);
    prev_scaled_ = r;
    if (z == 0) {
      PutBits(0, 1);
    } else if (z < (1u << 5)) {
      PutBits(0b10, 2), PutBits(z, 5);
    } else if (z < (1u << 12)) {
      PutBits(0b110, 3), PutBits(z, 12);
    } else if (z < (1u << 24)) {
      PutBits(0b1110, 4), PutBits(z, 24);
    } else {
      PutBits(0b1111, 4), PutBits(z, 64);
    }
    return;
  }
  const uint64_t bits = Bits(value);
  if (count_ == 0) {
    PutBits(bits, 64);
    prev_bits_ = bits;
    return;
  }
  const uint64_t x = bits ^ prev_bits_;
  prev_bits_ = bits;
  if (x == 0) {
    PutBits(0, 1);
    return;
  }
  int leading = std::countl_zero(x);
  const int trailing = std::countr_zero(x);
  if (leading > 31) leading = 31;
  if (prev_leading_ >= 0 && leading >= prev_leading_ && trailing >= prev_trailing_) {
    PutBits(0b10, 2);
    PutBits(x >> prev_trailing_, 64 - prev_leading_ - prev_trailing_);
    return;
  }
  const int length = 64 - leading - trailing;
  PutBits(0b11, 2);
  PutBits(static_cast<uint64_t>(leading), 5);
  PutBits(static_cast<uint64_t>(length & 63), 6);
  PutBits(x >> trailing, length);
  prev_leading_ = static_cast<int8_t>(leading);
  prev_trailing_ = static_cast<uint8_t>(trailing);
}

void SeriesBlockWriter::WriteHeader() {
  bytes_[0] = static_cast<char>(kTagSeriesBlock | mode_ | (dense_ ? kDenseFlag : 0));
  const uint32_t h = PackHeader(first_slot_, last_slot_, count_);
  std::memcpy(bytes_.data() + 1, &h, 4);  // little-endian (asserted in block_codec.cc)
}

// Re-encodes the points of `old` in `mode` (0 if one of them does not fit it),
// dense or not.
void SeriesBlockWriter::Reencode(int mode, bool dense, std::string_view old) {
  std::vector<SeriesBlockPoint> points;
  DecodeSeriesBlock(old, &points);  // our own bytes: valid
  int64_t r;
  for (const SeriesBlockPoint& p : points) {
    if (mode != 0 && !Scaled(p.value, mode, &r)) mode = 0;
  }
  *this = SeriesBlockWriter(allow_decimal_);
  mode_ = static_cast<uint8_t>(mode);
  dense_ = dense;
  for (const SeriesBlockPoint& p : points) AppendInMode(p.slot, p.value);
}

bool SeriesBlockWriter::Append(uint16_t slot, double value) {
  if (slot >= kSlotsPerBlock || (count_ > 0 && slot <= last_slot_)) return false;
  int64_t r;
  if (count_ == 0) {
    mode_ = static_cast<uint8_t>(allow_decimal_ ? MinMode(value) : 0);
    dense_ = true;
  } else {
    int mode = mode_;
    if (mode_ != 0 && !Scaled(value, mode_, &r)) {
      const int need = MinMode(value);
      mode = need > mode_ ? need : 0;
    }
    const bool dense = dense_ && slot == last_slot_ + 1;
    if (mode != mode_ || dense != dense_) Reencode(mode, dense, std::string(bytes_));
  }
  AppendInMode(slot, value);
  return true;
}

void SeriesBlockWriter::AppendInMode(uint16_t slot, double value) {
  if (count_ == 0) {
    bytes_.assign(kHeaderSize, '\0');
    bit_len_ = 0;
    first_slot_ = slot;
  } else if (!dense_) {
    const int d = slot - last_slot_;
    if (d == 1) {
      PutBits(0, 1);
    } else if (d <= 9) {
      PutBits(0b10, 2), PutBits(static_cast<uint64_t>(d - 2), 3);
    } else {
      PutBits(0b11, 2), PutBits(static_cast<uint64_t>(d), 9);
    }
  }
  PutValue(value);
  last_slot_ = slot;
  ++count_;
  WriteHeader();
}

bool SeriesBlockWriter::Resume(std::string_view block, SeriesBlockWriter* out) {
  SeriesBlockDecoder d;
  if (!d.Init(block)) return false;
  SeriesBlockPoint p;
  while (d.Next(&p)) {
  }
  if (d.corrupt()) return false;
  SeriesBlockWriter w;
  w.bytes_.assign(block.data(), block.size());
  w.bit_len_ = static_cast<uint32_t>(d.bit_pos());  // a block is far below 512 MiB
  w.mode_ = static_cast<uint8_t>(d.mode());
  w.dense_ = d.dense();
  w.count_ = static_cast<uint16_t>(d.count());
  w.first_slot_ = static_cast<uint16_t>(d.first_slot());
  w.last_slot_ = static_cast<uint16_t>(d.last_slot());
  w.prev_bits_ = d.prev_bits();
  w.prev_leading_ = static_cast<int8_t>(d.prev_leading());
  w.prev_trailing_ = static_cast<uint8_t>(d.prev_trailing());
  w.prev_scaled_ = d.prev_scaled();
  *out = std::move(w);
  return true;
}

// ---- Decoder ----

bool SeriesBlockHeader(std::string_view block, int* count, int* last_slot) {
  SeriesBlockDecoder d;
  if (!d.Init(block)) return false;
  *count = d.count();
  *last_slot = d.last_slot();
  return true;
}

bool SeriesBlockDecoder::Init(std::string_view block) {
  *this = SeriesBlockDecoder();
  if (block.size() < kHeaderSize) return Fail();
  const auto tag = static_cast<uint8_t>(block[0]);
  if ((tag & 0xf0) != kTagSeriesBlock || (tag & 7) > kMaxMode) return Fail();
  uint32_t h;
  std::memcpy(&h, block.data() + 1, 4);
  mode_ = tag & 7;
  dense_ = (tag & kDenseFlag) != 0;
  first_slot_ = static_cast<int>(h & 511);
  last_slot_ = static_cast<int>((h >> 9) & 511);
  count_ = static_cast<int>((h >> 18) & 511);
  if ((h >> 27) != 0 || count_ < 1 || last_slot_ >= kSlotsPerBlock || first_slot_ > last_slot_ ||
      count_ > last_slot_ - first_slot_ + 1 || (dense_ && count_ != last_slot_ - first_slot_ + 1) ||
      (count_ == 1) != (first_slot_ == last_slot_)) {
    return Fail();
  }
  data_ = reinterpret_cast<const unsigned char*>(block.data()) + kHeaderSize;
  size_bits_ = static_cast<uint64_t>(block.size() - kHeaderSize) * 8;
  return true;
}

bool SeriesBlockDecoder::GetValue(double* value) {
  uint64_t b, v;
  if (mode_ != 0) {
    static constexpr int kWidth[] = {5, 12, 24, 64};
    int code = 0;  // number of leading '1' bits of the prefix, at most 4
    if (!GetBit(&b)) return false;
    if (b != 0) {
      code = 1;
      while (code < 4) {
        if (!GetBit(&b)) return false;
        if (b == 0) break;
        ++code;
      }
      uint64_t z;
      if (!Get(kWidth[code - 1], &z)) return false;
      const uint64_t d = (z >> 1) ^ (0 - (z & 1));
      prev_scaled_ += d;
    }
    *value = static_cast<double>(static_cast<int64_t>(prev_scaled_)) / kScale[mode_];
    return true;
  }
  if (read_ == 0) {
    if (!Get(64, &prev_bits_)) return false;
  } else {
    if (!GetBit(&b)) return false;
    if (b != 0) {
      if (!GetBit(&b)) return false;
      if (b == 0) {
        if (prev_leading_ < 0) return false;
        if (!Get(64 - prev_leading_ - prev_trailing_, &v)) return false;
        prev_bits_ ^= v << prev_trailing_;
      } else {
        uint64_t leading, length;
        if (!Get(5, &leading) || !Get(6, &length)) return false;
        if (length == 0) length = 64;
        if (leading + length > 64 || !Get(static_cast<int>(length), &v)) return false;
        prev_leading_ = static_cast<int>(leading);
        prev_trailing_ = static_cast<int>(64 - leading - length);
        prev_bits_ ^= v << prev_trailing_;
      }
    }
  }
  *value = std::bit_cast<double>(prev_bits_);
  return true;
}

bool SeriesBlockDecoder::Next(SeriesBlockPoint* p) {
  if (corrupt_ || data_ == nullptr) return false;
  if (read_ == count_) {
    // The end: the last slot matches the header and only zero padding follows.
    uint64_t pad;
    const int rest = static_cast<int>(size_bits_ - pos_);
    if (slot_ != last_slot_ || rest >= 8 || !Get(rest, &pad) || pad != 0) return Fail();
    pos_ -= static_cast<uint64_t>(rest);
    return false;
  }
  if (read_ == 0) {
    slot_ = first_slot_;
  } else if (dense_) {
    ++slot_;
  } else {
    uint64_t b, d = 1;
    if (!GetBit(&b)) return Fail();
    if (b != 0) {
      if (!GetBit(&b)) return Fail();
      if (b == 0) {
        if (!Get(3, &d)) return Fail();
        d += 2;
      } else if (!Get(9, &d) || d == 0) {
        return Fail();
      }
    }
    slot_ += static_cast<int>(d);
    if (slot_ > last_slot_) return Fail();
  }
  if (!GetValue(&p->value)) return Fail();
  p->slot = static_cast<uint16_t>(slot_);
  ++read_;
  return true;
}

bool DecodeSeriesBlock(std::string_view block, std::vector<SeriesBlockPoint>* out) {
  out->clear();
  SeriesBlockDecoder d;
  if (!d.Init(block)) return false;
  out->reserve(static_cast<size_t>(d.count()));
  SeriesBlockPoint p;
  while (d.Next(&p)) out->push_back(p);
  return !d.corrupt();
}

bool EncodeSeriesBlock(const std::vector<SeriesBlockPoint>& points, std::string* out) {
  SeriesBlockWriter w;
  for (const SeriesBlockPoint& p : points) {
    if (!w.Append(p.slot, p.value)) return false;
  }
  out->assign(w.bytes());
  return true;
}

}  // namespace hourglass::store
