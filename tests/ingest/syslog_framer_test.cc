#include "ingest/syslog_framer.h"

#include <catch2/catch.hpp>
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

TEST_CASE("an absurd octet count falls back to LF framing") {
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

TEST_CASE("an octet count above the frame limit falls back; above the message limit truncates") {
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
