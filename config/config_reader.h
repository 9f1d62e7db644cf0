// Reader: reads typed values out of the merged config table (strings,
// listen addresses, integers, durations, sizes, arrays of tables) and records
// each problem as "FILE:LINE: key: reason". Internal to config/ (config.cc);
// one thread per instance.
#pragma once

#include <fmt/format.h>

#include <toml++/toml.h>
#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/listen_address.h"
#include "config/config.h"

namespace hourglass::config {

inline constexpr const char* kDefaultsPath = "<defaults>";
inline constexpr const char* kOverridePath = "--set";

// Where a node came from: "FILE:LINE", or "--set" for an override.
inline std::string Where(const toml::node& node) {
  const auto& source = node.source();
  const std::string path = source.path ? *source.path : std::string(kDefaultsPath);
  if (path == kOverridePath) return path;
  return fmt::format("{}:{}", path, source.begin.line);
}
// Reads typed values out of the merged table, recording problems with the
// location of the offending value.
class Reader {
 public:
  Reader(const toml::table& root, std::vector<std::string>& problems)
      : root_(root), problems_(problems) {}

  const toml::node* Node(const char* key) const { return root_.at_path(key).node(); }

  void Problem(const char* key, std::string_view reason) { ProblemAt(key, key, reason); }

  // A problem with `key`, located where `where_key` is set.
  void ProblemAt(const char* where_key, const char* key, std::string_view reason) {
    const toml::node* node = Node(where_key);
    problems_.push_back(
        fmt::format("{}: {}: {}", node ? Where(*node) : std::string(kDefaultsPath), key, reason));
  }

  std::string String(const char* key) {
    if (auto v = root_.at_path(key).value<std::string>()) return *v;
    Problem(key, "must be a string");
    return {};
  }

  // A "HOST:PORT" string, HOST a numeric IPv4 or [IPv6] address.
  std::string Listen(const char* key) {
    const toml::node* node = Node(key);
    if (node == nullptr || !node->is_string()) {
      Problem(key, "must be a string \"HOST:PORT\"");
      return {};
    }
    std::string value = node->as_string()->get();
    // The parser `serve` binds with: a host name such as localhost is refused
    // here too, not only when the socket binds.
    if (!common::ParseListenAddress(value).ok()) Problem(key, "must be HOST:PORT");
    return value;
  }

  bool Bool(const char* key) {
    if (auto v = root_.at_path(key).value<bool>()) return *v;
    Problem(key, "must be true or false");
    return false;
  }

  int64_t Integer(const char* key, int64_t min, int64_t max) {
    const toml::node* node = Node(key);
    if (node == nullptr || !node->is_integer()) {
      Problem(key, "must be an integer");
      return min;
    }
    const int64_t v = node->as_integer()->get();
    if (v < min || v > max) Problem(key, fmt::format("must be from {} to {}", min, max));
    return std::clamp(v, min, max);
  }

  int64_t Duration(const char* key, int64_t min_seconds, int64_t max_seconds) {
    const toml::node* node = Node(key);
    int64_t seconds = -1;
    if (node != nullptr && node->is_string())
      seconds = ParseDurationSeconds(node->as_string()->get());
    if (node != nullptr && node->is_integer()) seconds = node->as_integer()->get();
    if (seconds < 0) {
      Problem(key, "must be a duration such as \"10s\", \"5m\", \"1h\"");
      return min_seconds;
    }
    if (seconds < min_seconds || seconds > max_seconds) {
      Problem(key, fmt::format("must be from {}s to {}s", min_seconds, max_seconds));
    }
    return std::clamp(seconds, min_seconds, max_seconds);
  }

  size_t Bytes(const char* key, int64_t min, int64_t max) {
    const toml::node* node = Node(key);
    int64_t bytes = -1;
    if (node != nullptr && node->is_string()) bytes = ParseByteSize(node->as_string()->get());
    if (node != nullptr && node->is_integer()) bytes = node->as_integer()->get();
    if (bytes < 0) {
      Problem(key, "must be a size such as 65536, \"64KiB\" or \"16MiB\"");
      return static_cast<size_t>(min);
    }
    if (bytes < min || bytes > max)
      Problem(key, fmt::format("must be from {} to {} bytes", min, max));
    return static_cast<size_t>(std::clamp(bytes, min, max));
  }

  // One of `choices`.
  std::string Choice(const char* key, const std::vector<std::string>& choices) {
    std::string value = String(key);
    if (std::find(choices.begin(), choices.end(), value) == choices.end()) {
      std::string list;
      for (const auto& choice : choices) list += (list.empty() ? "" : ", ") + choice;
      Problem(key, "must be one of " + list);
    }
    return value;
  }

  std::vector<std::string> Strings(const char* key) {
    std::vector<std::string> out;
    const toml::array* array = root_.at_path(key).as_array();
    for (size_t i = 0; array != nullptr && i < array->size(); ++i) {
      if (auto v = array->get(i)->value<std::string>())
        out.push_back(*v);
      else
        array = nullptr;
    }
    if (array == nullptr) Problem(key, "must be an array of strings");
    return out;
  }

  // An array of tables (`[[key]]` entries or `[{...}, ...]`) whose entries use
  // only `fields`; each entry is checked where it is written.
  std::vector<const toml::table*> Tables(const char* key,
                                         std::initializer_list<std::string_view> fields) {
    std::vector<const toml::table*> out;
    const toml::array* array = root_.at_path(key).as_array();
    if (array == nullptr) {
      Problem(key, "must be an array of tables");
      return out;
    }
    for (const toml::node& element : *array) {
      const toml::table* table = element.as_table();
      if (table == nullptr) {
        problems_.push_back(fmt::format("{}: {}: each entry must be a table", Where(element), key));
        continue;
      }
      for (const auto& [field, value] : *table) {
        if (std::find(fields.begin(), fields.end(), field.str()) == fields.end()) {
          problems_.push_back(
              fmt::format("{}: {}.{}: unknown key", Where(value), key, field.str()));
        }
      }
      out.push_back(table);
    }
    return out;
  }

  // A string field of an entry of Tables(key); `fallback` when absent, a
  // problem when absent and `fallback` is null.
  std::string EntryString(const toml::table& entry, const char* key, std::string_view field,
                          const char* fallback) {
    const toml::node* node = entry.get(field);
    if (node == nullptr && fallback != nullptr) return fallback;
    if (node != nullptr && node->is_string()) return node->as_string()->get();
    problems_.push_back(fmt::format("{}: {}.{}: {}", Where(node ? *node : entry), key, field,
                                    node ? "must be a string" : "is required"));
    return {};
  }

  // A size field ("64KiB" or bytes) of an entry of Tables(key) within
  // [min, max]; `fallback` when absent.
  int64_t EntryBytes(const toml::table& entry, const char* key, std::string_view field,
                     int64_t fallback, int64_t min, int64_t max) {
    return EntryScaled(entry, key, field, fallback, min, max, ParseByteSize,
                       fmt::format("a size from {} to {} bytes", min, max));
  }

  // A duration field ("10s" or seconds) of an entry of Tables(key) within
  // [min, max] seconds; `fallback` when absent.
  int64_t EntrySeconds(const toml::table& entry, const char* key, std::string_view field,
                       int64_t fallback, int64_t min, int64_t max) {
    return EntryScaled(entry, key, field, fallback, min, max, ParseDurationSeconds,
                       fmt::format("a duration from {}s to {}s", min, max));
  }

  // A number field in [0, 1] of an entry of Tables(key), `fallback` when absent.
  double EntryFraction(const toml::table& entry, const char* key, std::string_view field,
                       double fallback) {
    const toml::node* node = entry.get(field);
    if (node == nullptr) return fallback;
    const std::optional<double> v = node->value<double>();
    if (!v || !(*v >= 0 && *v <= 1)) {
      problems_.push_back(
          fmt::format("{}: {}.{}: must be a number from 0 to 1", Where(*node), key, field));
      return fallback;
    }
    return *v;
  }

  std::vector<double> Numbers(const char* key) {
    std::vector<double> out;
    const toml::array* array = root_.at_path(key).as_array();
    if (array == nullptr) {
      Problem(key, "must be an array of numbers");
      return out;
    }
    for (const auto& element : *array) {
      if (auto v = element.value<double>()) {
        out.push_back(*v);
      } else {
        Problem(key, "must be an array of numbers");
        return {};
      }
    }
    return out;
  }

 private:
  // An integer field, or a string `parse` turns into one (-1: invalid).
  int64_t EntryScaled(const toml::table& entry, const char* key, std::string_view field,
                      int64_t fallback, int64_t min, int64_t max,
                      int64_t (*parse)(std::string_view), const std::string& what) {
    const toml::node* node = entry.get(field);
    if (node == nullptr) return fallback;
    const int64_t v =
        node->is_string() ? parse(node->as_string()->get()) : node->value<int64_t>().value_or(-1);
    if (v < min || v > max) {
      problems_.push_back(fmt::format("{}: {}.{}: must be {}", Where(*node), key, field, what));
      return fallback;
    }
    return v;
  }

  const toml::table& root_;
  std::vector<std::string>& problems_;
};

}  // namespace hourglass::config
