#include "query/form_params.h"

namespace hourglass::query {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
               HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

bool FormParams::Parse(std::string_view encoded) {
  while (!encoded.empty()) {
    const size_t amp = encoded.find('&');
    const std::string_view part = encoded.substr(0, amp);
    encoded = amp == std::string_view::npos ? std::string_view() : encoded.substr(amp + 1);
    if (part.empty()) continue;
    if (pairs_.size() >= kMaxParams) return false;
    const size_t eq = part.find('=');
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
    pairs_.emplace_back(PercentDecode(part.substr(0, eq), true), PercentDecode(value, true));
  }
  return true;
}

bool FormParams::Has(std::string_view name) const { return Get(name).has_value(); }

std::optional<std::string_view> FormParams::Get(std::string_view name) const {
  for (auto it = pairs_.rbegin(); it != pairs_.rend(); ++it) {
    if (it->first == name) return std::string_view(it->second);
  }
  return std::nullopt;
}

std::vector<std::string_view> FormParams::GetAll(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& [key, value] : pairs_) {
    if (key == name) out.push_back(value);
  }
  return out;
}

}  // namespace hourglass::query
