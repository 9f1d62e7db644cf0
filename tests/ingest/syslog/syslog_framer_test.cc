#include "ingest/syslog/syslog_framer.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

namespace hourglass::ingest {
namespace {
using namespace std::literals;

std::vector<SyslogFrame> FrameAll(std::string_view stream, size_t chunk = 0,
                                  SyslogFramerOptions options = {}) {
  SyslogFramer framer(options);
  std::vector<SyslogFrame> frames;
  if (chunk == 0) chunk = stream.size() ? stream.size() : 1;
  for (size_t i = 0; i < stream.size(); i += chunk) framer.Feed(stream.substr(i, chunk), frames);
  framer.Finish(frames);
  return frames;
}

std::vector<std::string> Data(const std::vector<SyslogFrame>& frames) {
  std::vector<std::string> out;
  for (const auto& frame : frames) out.push_back(frame.data);
  return out;
}

using Strings = std::vector<std::string>;

std::string Counted(std::string_view message) {
  return std::to_string(message.size()) + " " + std::string(message);
}

TEST_CASE("LF, NUL and CRLF end non-counted frames") {
  CHECK(Data(FrameAll("<13>a\n<13>b\r\n<14>c\0<15>d\n"sv)) ==
        Strings{"<13>a", "<13>b", "<14>c", "<15>d"});
}

TEST_CASE("Python SysLogHandler over TCP: NUL after each message, no LF") {
  const std::string_view stream("<14>first message\0<14>second message\0", 38);
  CHECK(Data(FrameAll(stream)) == Strings{"<14>first message", "<14>second message"});
}

TEST_CASE("octet-counted frames (RFC 6587)") {
  CHECK(Data(FrameAll("11 <13>a hello5 <13>b")) == Strings{"<13>a hello", "<13>b"});
}

TEST_CASE("a trailing LF inside a counted frame is dropped, as rsyslog does") {
  CHECK(Data(FrameAll("6 <13>a\n7 <13>b\r\n")) == Strings{"<13>a", "<13>b"});
}

TEST_CASE("framing is decided per frame: counted and delimited in one stream") {
  const std::string stream = "<13>plain one\n15 <13>counted one<13>plain two\n5 <13>x";
  const Strings want = {"<13>plain one", "<13>counted one", "<13>plain two", "<13>x"};
  CHECK(Data(FrameAll(stream)) == want);
}

TEST_CASE("byte-by-byte delivery gives the same frames as one read") {
  const std::string stream = Counted("<13>1 - - -") + std::string("<14>x\r\n<15>y\0"sv) +
                             Counted("<13>has\nLF inside!\n") + "<16>last without LF";
  const auto whole = Data(FrameAll(stream));
  CHECK(whole ==
        Strings{"<13>1 - - -", "<14>x", "<15>y", "<13>has\nLF inside!", "<16>last without LF"});
  for (size_t chunk = 1; chunk <= 7; ++chunk) {
    INFO("chunk " << chunk);
    CHECK(Data(FrameAll(stream, chunk)) == whole);
  }
}

TEST_CASE("empty frames (lone LF, LF after NUL) are skipped") {
  CHECK(Data(FrameAll("\n\n<13>a\0\n\r\n<13>b\n"sv)) == Strings{"<13>a", "<13>b"});
}

TEST_CASE("final frame without LF at close is kept") {
  CHECK(Data(FrameAll("<13>a\n<13>tail")) == Strings{"<13>a", "<13>tail"});
}

TEST_CASE("a counted frame cut by the end of the stream is kept, flagged") {
  const auto frames = FrameAll("30 <13>only part");
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].data == "<13>only part");
  CHECK(frames[0].framing_error);
}

TEST_CASE("an octet count not followed by SP falls back to LF framing, nothing lost") {
  const auto frames = FrameAll("2026-11-21 something\n<13>next\n");
  REQUIRE(frames.size() == 2);
  CHECK(frames[0].data == "2026-11-21 something");
  CHECK(frames[0].framing_error);
  CHECK(frames[1].data == "<13>next");
  CHECK_FALSE(frames[1].framing_error);
}

TEST_CASE("an absurd octet count is a framing error; LF still ends the frame") {
  const auto frames = FrameAll("99999999999999999999 <13>x\n<13>y\n");
  REQUIRE(frames.size() == 2);
  CHECK(frames[0].data == "99999999999999999999 <13>x");
  CHECK(frames[0].framing_error);
  CHECK(frames[1].data == "<13>y");
}

TEST_CASE("a zero octet count falls back to LF framing") {
  const auto frames = FrameAll("0 <13>x\n");
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].data == "0 <13>x");
  CHECK(frames[0].framing_error);
}

TEST_CASE("an octet count above max_frame_size is a framing error; the stream resyncs at LF") {
  SyslogFramerOptions options{.max_message_size = 10, .max_frame_size = 20};
  auto frames = FrameAll("21 <13>aaaaaaaaaaaaaaaaa\n<13>b\n", 0, options);
  REQUIRE(frames.size() == 2);
  CHECK(frames[0].framing_error);
  CHECK(frames[0].truncated);
  CHECK(frames[0].data == "21 <13>aaa");
  CHECK(frames[1].data == "<13>b");

  frames = FrameAll("15 <13>0123456789a<13>b\n", 0, options);
  REQUIRE(frames.size() == 2);
  CHECK(frames[0].data == "<13>012345");
  CHECK(frames[0].truncated);
  CHECK_FALSE(frames[0].framing_error);
  CHECK(frames[1].data == "<13>b");
}

// Frames of an octet-counted stream with no LF anywhere, as rsyslog and
// `logger --octet-count` send them; messages end in digits on purpose.
std::string CountedStream(int n, const std::string& label) {
  std::string stream;
  for (int i = 0; i < n; ++i) stream += Counted("<13>" + label + " message " + std::to_string(i));
  return stream;
}

Strings CountedMessages(int n, const std::string& label) {
  Strings out;
  for (int i = 0; i < n; ++i) out.push_back("<13>" + label + " message " + std::to_string(i));
  return out;
}

TEST_CASE("at the message limit: N octets kept whole, N+1 truncated, the rest discarded") {
  SyslogFramerOptions options{.max_message_size = 16, .max_frame_size = 4096};
  const std::string exact = "<13>" + std::string(12, 'e');       // 16 octets
  const std::string over = "<13>" + std::string(13, 'o');        // 17 octets
  const std::string far_over = "<13>" + std::string(3000, 'f');  // below max_frame_size
  const std::string stream = Counted(exact) + Counted(over) + Counted(far_over) + Counted("<13>n");
  for (size_t chunk : {0, 1, 2, 3, 5, 7, 16, 17, 100}) {
    INFO("chunk " << chunk);
    const auto frames = FrameAll(stream, chunk, options);
    REQUIRE(frames.size() == 4);
    CHECK(frames[0].data == exact);
    CHECK_FALSE(frames[0].truncated);
    CHECK(frames[1].data == over.substr(0, 16));
    CHECK(frames[1].truncated);
    CHECK(frames[2].data == far_over.substr(0, 16));
    CHECK(frames[2].truncated);
    CHECK(frames[3].data == "<13>n");
    CHECK_FALSE(frames[3].truncated);
    for (const auto& frame : frames) CHECK_FALSE(frame.framing_error);
  }
}

TEST_CASE("a count of exactly max_frame_size is read through; one more is impossible") {
  SyslogFramerOptions options{.max_message_size = 8, .max_frame_size = 32};
  const std::string body32 = "<13>" + std::string(28, 'x');
  auto frames = FrameAll(Counted(body32) + "5 <13>a", 0, options);
  REQUIRE(frames.size() == 2);
  CHECK(frames[0].data == "<13>xxxx");
  CHECK(frames[0].truncated);
  CHECK_FALSE(frames[0].framing_error);
  CHECK(frames[1].data == "<13>a");

  const std::string body33 = "<13>" + std::string(29, 'x');
  frames = FrameAll(Counted(body33) + "5 <13>a5 <13>b5 <13>c", 0, options);
  REQUIRE(frames.size() == 4);
  CHECK(frames[0].data == "33 <13>x");
  CHECK(frames[0].framing_error);
  CHECK(Data({frames.begin() + 1, frames.end()}) == Strings{"<13>a", "<13>b", "<13>c"});
}

TEST_CASE("the issue's oversized frame: 204,809 octets, then the next frames stay separate") {
  const std::string big = "<13>" + std::string(204'805, 'b');
  const auto frames = FrameAll(Counted(big) + CountedStream(100, "after"), 4096);
  REQUIRE(frames.size() == 101);
  CHECK(frames[0].truncated);
  CHECK(frames[0].data.size() == 64 * 1024);
  CHECK(Data({frames.begin() + 1, frames.end()}) == CountedMessages(100, "after"));
  for (const auto& frame : frames) CHECK_FALSE(frame.framing_error);
}

TEST_CASE("an impossible count (10^12) does not swallow the frames after it") {
  const std::string stream =
      "1000000000000 <13>bad frame 7" + CountedStream(10, "after") + "<13>plain tail\n";
  Strings want = {"1000000000000 <13>bad frame 7"};
  for (const auto& m : CountedMessages(10, "after")) want.push_back(m);
  want.push_back("<13>plain tail");
  for (size_t chunk : {0, 1, 2, 3, 4, 5, 6, 7, 11, 64}) {
    INFO("chunk " << chunk);
    const auto frames = FrameAll(stream, chunk);
    CHECK(Data(frames) == want);
    REQUIRE(!frames.empty());
    CHECK(frames[0].framing_error);
    for (size_t i = 1; i < frames.size(); ++i) CHECK_FALSE(frames[i].framing_error);
  }
}

TEST_CASE("an impossible count followed by one frame and the end of the stream") {
  const auto frames = FrameAll("99999999999 <13>bad" + Counted("<13>last 12"));
  CHECK(Data(frames) == Strings{"99999999999 <13>bad", "<13>last 12"});
}

TEST_CASE("after an impossible count, LF-framed lines starting with epoch seconds stay lines") {
  const std::string stream = "1733529600 host a: one\n1733529601 host b: two 5 <x>\n<13>three\n";
  const auto frames = FrameAll(stream);
  CHECK(Data(frames) ==
        Strings{"1733529600 host a: one", "1733529601 host b: two 5 <x>", "<13>three"});
}

TEST_CASE("a bad frame longer than the message limit is emitted truncated; sync comes back") {
  SyslogFramerOptions options{.max_message_size = 32};
  const std::string stream =
      "99999999999 <13>" + std::string(1000, 'g') + CountedStream(3, "after");
  for (size_t chunk : {0, 1, 7}) {
    INFO("chunk " << chunk);
    const auto frames = FrameAll(stream, chunk, options);
    REQUIRE(frames.size() == 4);
    CHECK(frames[0].truncated);
    CHECK(frames[0].framing_error);
    CHECK(frames[0].data.size() == 32);
    CHECK(Data({frames.begin() + 1, frames.end()}) == CountedMessages(3, "after"));
  }
}

TEST_CASE("Finish after a lone CR emits nothing") {
  CHECK(FrameAll("\r").empty());
  CHECK(Data(FrameAll("<13>a\n\r")) == Strings{"<13>a"});
}

// The regression input syslog_framer_empty_frame.bin (shared repro set), inline.
TEST_CASE("regression input: syslog_framer_empty_frame.bin gives no empty frame") {
  const std::string stream(
      "\x00\x40\x03\x00\x6f\x73\x74\x29\x22\x7e\x22\x62\x22\x6d\x73\xff\xff\x5f\x40\x00\x0d\x07\xb7"
      "\x67\x73",
      25);
  for (size_t limit : {1, 2, 3, 480, 64 * 1024}) {
    for (size_t chunk = 0; chunk <= stream.size(); ++chunk) {
      for (const auto& frame :
           FrameAll(stream, chunk, SyslogFramerOptions{.max_message_size = limit})) {
        CHECK_FALSE(frame.data.empty());
      }
    }
  }
}

TEST_CASE("an overlong delimited message is truncated and the stream carries on") {
  SyslogFramerOptions options{.max_message_size = 8};
  const std::string stream = "<13>" + std::string(100, 'x') + "\n<13>ok\n";
  for (size_t chunk : {0, 1, 3, 64}) {
    const auto frames = FrameAll(stream, chunk, options);
    REQUIRE(frames.size() == 2);
    CHECK(frames[0].data == "<13>xxxx");
    CHECK(frames[0].truncated);
    CHECK(frames[1].data == "<13>ok");
    CHECK_FALSE(frames[1].truncated);
  }
}

TEST_CASE("random streams: how the bytes are split never changes the frames") {
  std::mt19937 rng(9);
  const char kAlphabet[] = "0123456789  <<>\n\r\0ab";
  const std::string alphabet(kAlphabet, sizeof kAlphabet - 1);  // the NUL included
  SyslogFramerOptions options{.max_message_size = 24, .max_frame_size = 40};
  for (int round = 0; round < 300; ++round) {
    std::string stream;
    for (int i = 0; i < 400; ++i) stream.push_back(alphabet[rng() % alphabet.size()]);
    const auto whole = FrameAll(stream, 0, options);
    for (const auto& frame : whole) {
      CHECK_FALSE(frame.data.empty());
      CHECK(frame.data.size() <= 24);
    }
    for (size_t chunk : {1, 2, 5, 13}) {
      const auto split = FrameAll(stream, chunk, options);
      CHECK(Data(split) == Data(whole));
    }
  }
}

TEST_CASE("buffered bytes never exceed the message limit") {
  SyslogFramerOptions options{.max_message_size = 16};
  SyslogFramer framer(options);
  std::vector<SyslogFrame> frames;
  for (int i = 0; i < 1000; ++i) framer.Feed("yyyyyyyyyy", frames);
  CHECK(framer.buffered() <= 16);
  CHECK(frames.empty());
}

}  // namespace
}  // namespace hourglass::ingest
