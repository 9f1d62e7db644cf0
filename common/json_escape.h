// JSON string literals: the one escaper every hand-written JSON answer and
// audit line uses. Output is always valid UTF-8 JSON: invalid UTF-8 becomes
// U+FFFD, control characters and DEL are escaped. Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>

namespace hourglass::common {

// Appends `text` as a quoted JSON string to `out`. '"' and '\\' are escaped,
// \n \r \t by name, other bytes below 0x20 and 0x7F as \u00XX; valid UTF-8
// sequences (up to 4 bytes) are copied; every byte of an invalid sequence
// (overlong, surrogate, above U+10FFFF, truncated) becomes U+FFFD. Runs of
// plain bytes are copied in one append.
void AppendJsonString(std::string& out, std::string_view text);

// The same, returned as a new string.
std::string JsonString(std::string_view text);

// `text` with every byte of an invalid UTF-8 sequence replaced by U+FFFD, as
// AppendJsonString does; for strings handed to a JSON library (Boost.JSON
// copies bytes above 0x7F unchecked).
std::string ToValidUtf8(std::string_view text);

}  // namespace hourglass::common
