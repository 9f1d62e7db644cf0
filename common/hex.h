// Lower-case hexadecimal encoding of bytes ("\x01\xab" -> "01ab"), as used
// for SHA-256 and MD5 digests and SigV4 signatures. Pure; any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace hourglass::common {

std::string HexEncode(std::string_view bytes);
// For digest buffers (OpenSSL hands out unsigned char).
std::string HexEncode(const unsigned char* data, size_t size);

}  // namespace hourglass::common
