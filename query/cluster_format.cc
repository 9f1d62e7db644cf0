#include "query/cluster_format.h"

#include <algorithm>
#include <bit>
#include <climits>
#include <cmath>
#include <cstdint>
#include <string_view>

namespace hourglass::query {
namespace {

// Appends `bytes` bytes of `v`, most significant first (msgpack, pickle's
// BINFLOAT) or least significant first (pickle's lengths and ints).
void PutBig(std::string& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutLittle(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// msgpack (https://github.com/msgpack/msgpack/blob/master/spec.md), the
// subset these answers need: str, int, float 64, nil, bool, array, map.
class MsgpackWriter {
 public:
  explicit MsgpackWriter(std::string& out) : out_(out) {}
  void BeginList(size_t n) { Header(n, 0x90, 0xdc, 0xdd); }
  void EndList() {}
  void BeginDict(size_t n) { Header(n, 0x80, 0xde, 0xdf); }
  void EndDict() {}
  void BeginPair() { BeginList(2); }
  void EndPair() {}
  void Str(std::string_view s) {
    if (s.size() < 32) {
      out_.push_back(static_cast<char>(0xa0 | s.size()));
    } else if (s.size() <= 0xff) {
      out_.push_back(static_cast<char>(0xd9));
      PutBig(out_, s.size(), 1);
    } else if (s.size() <= 0xffff) {
      out_.push_back(static_cast<char>(0xda));
      PutBig(out_, s.size(), 2);
    } else {
      out_.push_back(static_cast<char>(0xdb));
      PutBig(out_, s.size(), 4);
    }
    out_ += s;
  }
  void Int(int64_t v) {
    if (v >= 0 && v < 128) {
      out_.push_back(static_cast<char>(v));  // positive fixint
    } else if (v >= -32 && v < 0) {
      out_.push_back(static_cast<char>(0xe0 | (v + 32)));  // negative fixint
    } else {
      out_.push_back(static_cast<char>(0xd3));  // int 64
      PutBig(out_, static_cast<uint64_t>(v), 8);
    }
  }
  void Float(double v) {
    out_.push_back(static_cast<char>(0xcb));  // float 64
    PutBig(out_, std::bit_cast<uint64_t>(v), 8);
  }
  void Nil() { out_.push_back(static_cast<char>(0xc0)); }
  void Bool(bool b) { out_.push_back(static_cast<char>(b ? 0xc3 : 0xc2)); }

 private:
  void Header(size_t n, uint8_t fix, uint8_t b16, uint8_t b32) {
    if (n < 16) {
      out_.push_back(static_cast<char>(fix | n));
    } else if (n <= 0xffff) {
      out_.push_back(static_cast<char>(b16));
      PutBig(out_, n, 2);
    } else {
      out_.push_back(static_cast<char>(b32));
      PutBig(out_, n, 4);
    }
  }
  std::string& out_;
};

// Pickle protocol 2 (the opcodes of CPython's Lib/pickle.py), no memo: a list
// is EMPTY_LIST MARK items APPENDS, a dict EMPTY_DICT MARK pairs SETITEMS, a
// pair TUPLE2. Loads with any Python 2.3+ unpickler.
class PickleWriter {
 public:
  explicit PickleWriter(std::string& out) : out_(out) {}
  void Begin() { out_ += "\x80\x02"; }  // PROTO 2
  void End() { out_.push_back('.'); }   // STOP
  void BeginList(size_t) { out_ += "]("; }
  void EndList() { out_.push_back('e'); }
  void BeginDict(size_t) { out_ += "}("; }
  void EndDict() { out_.push_back('u'); }
  void BeginPair() {}
  void EndPair() { out_.push_back(static_cast<char>(0x86)); }
  void Str(std::string_view s) {  // BINUNICODE: u32 length, UTF-8 bytes
    out_.push_back('X');
    PutLittle(out_, s.size(), 4);
    out_ += s;
  }
  void Int(int64_t v) {
    if (v >= INT32_MIN && v <= INT32_MAX) {  // BININT: i32
      out_.push_back('J');
      PutLittle(out_, static_cast<uint64_t>(v), 4);
    } else {  // LONG1: 8 bytes, two's complement
      out_ += "\x8a\x08";
      PutLittle(out_, static_cast<uint64_t>(v), 8);
    }
  }
  void Float(double v) {  // BINFLOAT: big-endian double
    out_.push_back('G');
    PutBig(out_, std::bit_cast<uint64_t>(v), 8);
  }
  void Nil() { out_.push_back('N'); }
  void Bool(bool b) { out_.push_back(static_cast<char>(b ? 0x88 : 0x89)); }

 private:
  std::string& out_;
};

// One dict entry with a str key.
template <typename W>
void StrField(W& w, std::string_view key, std::string_view value) {
  w.Str(key);
  w.Str(value);
}
template <typename W>
void IntField(W& w, std::string_view key, int64_t value) {
  w.Str(key);
  w.Int(value);
}

template <typename W>
void WriteNodes(W& w, const std::vector<ClusterNode>& nodes) {
  w.BeginList(nodes.size());
  for (const ClusterNode& node : nodes) {
    w.BeginDict(node.is_leaf ? 3 : 2);
    StrField(w, "path", node.path);
    w.Str("is_leaf");
    w.Bool(node.is_leaf);
    if (node.is_leaf) {
      w.Str("intervals");
      w.BeginList(1);
      w.BeginPair();
      w.Int(node.interval_start);
      w.Int(node.interval_end);
      w.EndPair();
      w.EndList();
    }
    w.EndDict();
  }
  w.EndList();
}

template <typename W>
void WriteSeries(W& w, const SeriesList& list) {
  w.BeginList(list.size());
  for (const Series& s : list) {
    w.BeginDict(9);
    StrField(w, "name", s.name);
    IntField(w, "start", s.start);
    IntField(w, "end", s.end);
    IntField(w, "step", s.step);
    w.Str("values");  // as TimeSeries iterates: consolidated by valuesPerPoint
    const std::vector<double> consolidated =
        s.values_per_point > 1 ? ConsolidatedValues(s) : std::vector<double>{};
    const std::vector<double>& values = s.values_per_point > 1 ? consolidated : s.values;
    w.BeginList(values.size());
    for (double v : values) std::isnan(v) ? w.Nil() : w.Float(v);
    w.EndList();
    StrField(w, "pathExpression", s.path_expression);
    IntField(w, "valuesPerPoint", s.values_per_point);
    StrField(w, "consolidationFunc", s.consolidation_name);
    w.Str("xFilesFactor");
    w.Float(s.x_files_factor);
    w.EndDict();
  }
  w.EndList();
}

template <typename Write>
std::string Encode(ClusterFormat format, Write write) {
  std::string out;
  if (format == ClusterFormat::kMsgpack) {
    MsgpackWriter w(out);
    write(w);
  } else {
    PickleWriter w(out);
    w.Begin();
    write(w);
    w.End();
  }
  return out;
}

}  // namespace

std::vector<ClusterNode> ClusterNodesOf(const std::vector<store::Node>& found,
                                        int64_t interval_start, int64_t interval_end) {
  std::vector<ClusterNode> nodes;
  for (size_t i = 0; i < found.size(); ++i) {
    const store::Node& n = found[i];
    if (i > 0 && found[i - 1].path == n.path) continue;
    if (n.has_children) nodes.push_back({n.path, false});
    if (n.is_leaf) nodes.push_back({n.path, true, interval_start, interval_end});
  }
  return nodes;
}

std::string EncodeClusterNodes(const std::vector<ClusterNode>& nodes, ClusterFormat format) {
  return Encode(format, [&](auto& w) { WriteNodes(w, nodes); });
}

std::string EncodeClusterSeries(const SeriesList& list, ClusterFormat format) {
  return Encode(format, [&](auto& w) { WriteSeries(w, list); });
}

std::optional<ClusterFormat> ParseClusterFormat(std::string_view name) {
  if (name == "msgpack") return ClusterFormat::kMsgpack;
  if (name == "pickle") return ClusterFormat::kPickle;
  return std::nullopt;
}

const char* ClusterContentType(ClusterFormat format) {
  return format == ClusterFormat::kMsgpack ? "application/x-msgpack" : "application/pickle";
}

}  // namespace hourglass::query
