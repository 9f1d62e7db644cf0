#include "query/target_parser.h"

#include <cctype>
#include <charconv>
#include <optional>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace hourglass::query {
namespace {

using common::Result;
using common::Status;

bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Characters that end a path element outside braces (grammar.py's symbols).
bool IsPathChar(char c) {
  if (static_cast<unsigned char>(c) <= ' ' || static_cast<unsigned char>(c) >= 0x7f) {
    return static_cast<unsigned char>(c) >= 0x80;  // UTF-8 bytes are fine in names
  }
  switch (c) {
    case '(':
    case ')':
    case '{':
    case '}':
    case ',':
    case '\'':
    case '"':
    case '\\':
    case '|':
      return false;
    default:
      return true;
  }
}

constexpr std::string_view kTooDeep = "expression nested too deeply";

// True when no call or path lies under more than kMaxNestingDepth calls.
// Iterative: the tree may be deeper than the limit before this refuses it.
bool WithinDepth(const Expr& root) {
  std::vector<std::pair<const Expr*, int>> todo{{&root, 0}};
  while (!todo.empty()) {
    const auto [expr, depth] = todo.back();
    todo.pop_back();
    if (expr->kind != Expr::Kind::kCall && expr->kind != Expr::Kind::kPath) continue;
    if (depth > kMaxNestingDepth) return false;
    for (const Expr& arg : expr->args) todo.emplace_back(&arg, depth + 1);
    for (const Expr& arg : expr->kwarg_values) todo.emplace_back(&arg, depth + 1);
  }
  return true;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<Expr> ParseAll() {
    Result<Expr> expr = ParseExpression(0);
    if (!expr.ok()) return expr;
    SkipSpace();
    if (pos_ != text_.size()) return Error("unexpected character");
    if (!WithinDepth(*expr)) return Error(kTooDeep);
    return expr;
  }

 private:
  Status Error(std::string_view what) const {
    return Status::Error(
        fmt::format("Invalid target: {} at position {} in '{}'", what, pos_, text_.substr(0, 200)));
  }
  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool AtArgEnd(size_t at) const {
    while (at < text_.size() && std::isspace(static_cast<unsigned char>(text_[at]))) ++at;
    return at == text_.size() || text_[at] == ',' || text_[at] == ')';
  }

  // (call | path) followed by zero or more "| call". Each pipe nests what
  // came before one level deeper (`a|f()|g()` is g(f(a))), so pipes count
  // toward the depth; WithinDepth() checks the whole tree once parsed.
  Result<Expr> ParseExpression(int depth) {
    if (depth > kMaxNestingDepth) return Error(kTooDeep);
    SkipSpace();
    Result<Expr> expr = ParseCallOrPath(depth);
    if (!expr.ok()) return expr;
    int pipes = 0;
    for (SkipSpace(); Peek() == '|'; SkipSpace()) {
      if (depth + ++pipes > kMaxNestingDepth) return Error(kTooDeep);
      ++pos_;
      SkipSpace();
      Result<Expr> call = ParseCallOrPath(depth);
      if (!call.ok()) return call;
      if (call->kind != Expr::Kind::kCall) return Error("expected a function call after '|'");
      call->args.insert(call->args.begin(), std::move(*expr));
      expr = std::move(call);
    }
    return expr;
  }

  Result<Expr> ParseCallOrPath(int depth) {
    size_t end = pos_;
    if (end < text_.size() && IsIdentStart(text_[end])) {
      while (end < text_.size() && IsIdentChar(text_[end])) ++end;
      size_t paren = end;
      while (paren < text_.size() && std::isspace(static_cast<unsigned char>(text_[paren]))) {
        ++paren;
      }
      if (paren < text_.size() && text_[paren] == '(') {
        Expr call;
        call.kind = Expr::Kind::kCall;
        call.text = std::string(text_.substr(pos_, end - pos_));
        pos_ = paren + 1;
        if (Status s = ParseArgs(call, depth); !s.ok()) return s;
        return call;
      }
    }
    return ParsePath();
  }

  Status ParseArgs(Expr& call, int depth) {
    SkipSpace();
    if (Peek() == ')') return ++pos_, Status::Ok();
    while (true) {
      SkipSpace();
      std::string keyword = TryKeyword();
      Result<Expr> arg = ParseArg(depth + 1);
      if (!arg.ok()) return arg.status();
      if (!keyword.empty()) {
        call.kwarg_names.push_back(std::move(keyword));
        call.kwarg_values.push_back(std::move(*arg));
      } else if (!call.kwarg_names.empty()) {
        return Error("positional argument follows keyword argument");
      } else {
        call.args.push_back(std::move(*arg));
      }
      SkipSpace();
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      if (Peek() == ')') return ++pos_, Status::Ok();
      return Error(pos_ == text_.size() ? "missing ')'" : "expected ',' or ')'");
    }
  }

  // "name=" ahead (but not "name=="): consumes it and returns the name.
  std::string TryKeyword() {
    size_t end = pos_;
    if (end >= text_.size() || !IsIdentStart(text_[end])) return {};
    while (end < text_.size() && IsIdentChar(text_[end])) ++end;
    size_t eq = end;
    while (eq < text_.size() && std::isspace(static_cast<unsigned char>(text_[eq]))) ++eq;
    if (eq >= text_.size() || text_[eq] != '=') return {};
    std::string name(text_.substr(pos_, end - pos_));
    pos_ = eq + 1;
    SkipSpace();
    return name;
  }

  Result<Expr> ParseArg(int depth) {
    SkipSpace();
    const char c = Peek();
    if (c == '\'' || c == '"') return ParseString();
    if (std::optional<Expr> number = TryNumber()) return std::move(*number);
    if (std::optional<Expr> word = TryWordLiteral()) return std::move(*word);
    return ParseExpression(depth);
  }

  Result<Expr> ParseString() {
    const char quote = text_[pos_];
    size_t i = pos_ + 1;
    while (i < text_.size() && text_[i] != quote) i += text_[i] == '\\' ? 2 : 1;
    if (i >= text_.size()) return Error("unterminated string");
    Expr e;
    e.kind = Expr::Kind::kString;
    e.text = std::string(text_.substr(pos_ + 1, i - pos_ - 1));
    pos_ = i + 1;
    return e;
  }

  // A number only when followed by ',' or ')' or the end, as grammar.py does.
  std::optional<Expr> TryNumber() {
    size_t i = pos_;
    if (i < text_.size() && (text_[i] == '-' || text_[i] == '+')) ++i;
    const size_t digits = i;
    while (i < text_.size() && std::isdigit(static_cast<unsigned char>(text_[i]))) ++i;
    if (i == digits) return std::nullopt;
    bool is_float = false;
    if (i + 1 < text_.size() && text_[i] == '.' && std::isdigit((unsigned char)text_[i + 1])) {
      is_float = true;
      for (++i; i < text_.size() && std::isdigit((unsigned char)text_[i]);) ++i;
    }
    if (i < text_.size() && (text_[i] == 'e' || text_[i] == 'E')) {
      size_t j = i + 1;
      if (j < text_.size() && (text_[j] == '-' || text_[j] == '+')) ++j;
      const size_t exp_digits = j;
      while (j < text_.size() && std::isdigit(static_cast<unsigned char>(text_[j]))) ++j;
      if (j > exp_digits) is_float = true, i = j;
    }
    if (!AtArgEnd(i)) return std::nullopt;
    std::string_view token = text_.substr(pos_, i - pos_);
    if (token.front() == '+') token.remove_prefix(1);
    Expr e;
    if (is_float) {
      e.kind = Expr::Kind::kFloat;
      std::from_chars(token.data(), token.data() + token.size(), e.float_value);
    } else {
      e.kind = Expr::Kind::kInt;
      auto [p, ec] = std::from_chars(token.data(), token.data() + token.size(), e.int_value);
      if (ec != std::errc()) {  // too large for int64: keep it as a float
        e.kind = Expr::Kind::kFloat;
        std::from_chars(token.data(), token.data() + token.size(), e.float_value);
      }
    }
    pos_ = i;
    return e;
  }

  std::optional<Expr> TryWordLiteral() {
    size_t i = pos_;
    while (i < text_.size() && IsIdentChar(text_[i])) ++i;
    if (i == pos_ || !AtArgEnd(i)) return std::nullopt;
    std::string word(text_.substr(pos_, i - pos_));
    for (char& ch : word) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    Expr e;
    if (word == "true" || word == "false") {
      e.kind = Expr::Kind::kBool;
      e.bool_value = word == "true";
    } else if (word != "none") {
      return std::nullopt;
    }
    pos_ = i;
    return e;
  }

  // Path elements joined by '.', each made of plain characters, '\x'
  // escapes and {a,b} alternatives.
  Result<Expr> ParsePath() {
    const size_t start = pos_;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '\\' && pos_ + 1 < text_.size()) {
        pos_ += 2;
      } else if (c == '{') {
        const size_t close = text_.find('}', pos_);
        if (close == std::string_view::npos) return Error("missing '}'");
        pos_ = close + 1;
      } else if (IsPathChar(c)) {
        ++pos_;
      } else {
        break;
      }
    }
    if (pos_ == start) return Error("expected a metric path or function call");
    Expr e;
    e.kind = Expr::Kind::kPath;
    e.text = std::string(text_.substr(start, pos_ - start));
    return e;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

Result<Expr> ParseTarget(std::string_view target) {
  if (target.size() > kMaxTargetLength) return Status::Error("Invalid target: too long");
  return Parser(target).ParseAll();
}

std::string ExprToString(const Expr& expr) {
  switch (expr.kind) {
    case Expr::Kind::kPath:
      return expr.text;
    case Expr::Kind::kString:
      return "'" + expr.text + "'";
    case Expr::Kind::kInt:
      return std::to_string(expr.int_value);
    case Expr::Kind::kFloat:
      return fmt::format("{}", expr.float_value);
    case Expr::Kind::kBool:
      return expr.bool_value ? "True" : "False";
    case Expr::Kind::kNone:
      return "None";
    case Expr::Kind::kCall:
      break;
  }
  std::string out = expr.text + "(";
  for (size_t i = 0; i < expr.args.size(); ++i) {
    out += (i ? "," : "") + ExprToString(expr.args[i]);
  }
  for (size_t i = 0; i < expr.kwarg_names.size(); ++i) {
    out += (i || !expr.args.empty() ? "," : "") + expr.kwarg_names[i] + "=" +
           ExprToString(expr.kwarg_values[i]);
  }
  return out + ")";
}

}  // namespace hourglass::query
