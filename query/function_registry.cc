#include "query/function_registry.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "query/render_format.h"
#include "query/time_parser.h"

namespace hourglass::query {

using common::Result;
using common::Status;

void FunctionRegistry::Add(FunctionDef def) {
  std::string name = def.name;
  functions_.insert_or_assign(std::move(name), std::move(def));
}

const FunctionDef* FunctionRegistry::Find(std::string_view name) const {
  auto it = functions_.find(name);
  return it == functions_.end() ? nullptr : &it->second;
}

const std::vector<std::string>& AggFuncNames() {
  static const std::vector<std::string> kNames = {
      "average", "avg", "avg_zero", "count", "current", "diff",   "last", "max",
      "median",  "min", "multiply", "range", "rangeOf", "stddev", "sum",  "total"};
  return kNames;
}

std::string_view ParamTypeName(ParamType type) {
  switch (type) {
    case ParamType::kSeriesList:
    case ParamType::kSeriesLists:
      return "seriesList";
    case ParamType::kNestedSeriesLists:
      return "seriesLists";
    case ParamType::kString:
      return "string";
    case ParamType::kInteger:
      return "integer";
    case ParamType::kFloat:
      return "float";
    case ParamType::kBoolean:
      return "boolean";
    case ParamType::kNode:
      return "node";
    case ParamType::kNodeOrTag:
      return "nodeOrTag";
    case ParamType::kTag:
      return "tag";
    case ParamType::kInterval:
      return "interval";
    case ParamType::kIntOrInterval:
      return "intOrInterval";
    case ParamType::kIntOrInf:
      return "intOrInf";
    case ParamType::kAggFunc:
      return "aggFunc";
    case ParamType::kAggOrSeriesFunc:
      return "aggOrSeriesFunc";
    case ParamType::kAny:
      return "any";
    case ParamType::kDate:
      return "date";
  }
  return "any";
}

namespace {

// Python's repr() of an argument, for error messages.
std::string Repr(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kNone:
      return "None";
    case Value::Kind::kBool:
      return v.bool_value ? "True" : "False";
    case Value::Kind::kInt:
      return std::to_string(v.int_value);
    case Value::Kind::kFloat:
      return PyFloatRepr(v.float_value);
    case Value::Kind::kString:
      return "'" + v.string_value + "'";
    case Value::Kind::kSeriesList:
      return fmt::format("<seriesList of {}>", v.series.size());
    case Value::Kind::kList:
      return "[...]";
  }
  return "?";
}

Status InvalidValue(const FunctionDef& def, const Param& p, const Value& v) {
  return Status::Error(
      fmt::format(R"(Invalid "{}" value specified for function "{}" parameter "{}": {})",
                  ParamTypeName(p.type), def.name, p.name, Repr(v)));
}

bool IsNumber(const Value& v) {
  return v.kind == Value::Kind::kInt || v.kind == Value::Kind::kFloat;
}

// Checks `v` against the type and converts it where graphite's validator
// does (booleans from 0/1/"true", inf for intOrInf).
Status CheckValue(const FunctionDef& def, const Param& p, Value& v) {
  if (v.kind == Value::Kind::kNone && !p.required) return Status::Ok();
  const std::vector<std::string>& options =
      p.type == ParamType::kAggFunc ? AggFuncNames() : p.options;
  const std::string option_text = v.kind == Value::Kind::kBool ? (v.bool_value ? "True" : "False")
                                  : v.kind == Value::Kind::kString ? v.string_value
                                                                   : std::string("\x01");
  if (!options.empty() && std::find(options.begin(), options.end(), option_text) == options.end()) {
    return Status::Error(
        fmt::format(R"(Invalid option specified for function "{}" parameter "{}": {})", def.name,
                    p.name, Repr(v)));
  }
  using K = Value::Kind;
  bool ok = false;
  switch (p.type) {
    case ParamType::kSeriesList:
    case ParamType::kSeriesLists:
    case ParamType::kNestedSeriesLists:
      ok = v.kind == K::kSeriesList;
      break;
    case ParamType::kString:
      ok = v.kind == K::kString || (v.kind == K::kBool && !options.empty());
      break;
    case ParamType::kTag:
    case ParamType::kAggFunc:
    case ParamType::kAggOrSeriesFunc:
      ok = v.kind == K::kString;
      break;
    case ParamType::kInteger:
    case ParamType::kNode:
      ok = v.kind == K::kInt;
      break;
    case ParamType::kFloat:  // validateFloat: float(value)
      ok = IsNumber(v);
      if (v.kind == K::kInt) v.kind = K::kFloat;
      break;
    case ParamType::kNodeOrTag:
      ok = v.kind == K::kInt || v.kind == K::kString;
      break;
    case ParamType::kBoolean: {
      std::string lower = v.string_value;
      std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
      if (v.kind == K::kBool) return Status::Ok();
      if (IsNumber(v) && (v.float_value == 0 || v.float_value == 1)) {
        v.bool_value = v.float_value == 1;
      } else if (v.kind == K::kString && (lower == "true" || lower == "false")) {
        v.bool_value = lower == "true";
      } else {
        return InvalidValue(def, p, v);
      }
      v.kind = K::kBool;
      return Status::Ok();
    }
    case ParamType::kInterval:
      ok = v.kind == K::kString && ParseTimeOffset(v.string_value).ok();
      break;
    case ParamType::kIntOrInterval:
      ok = v.kind == K::kInt || (v.kind == K::kString && ParseTimeOffset(v.string_value).ok());
      break;
    case ParamType::kIntOrInf:
      ok = v.kind == K::kInt || (v.kind == K::kFloat && std::isinf(v.float_value));
      break;
    case ParamType::kAny:
    case ParamType::kDate:
      ok = true;
      break;
  }
  return ok ? Status::Ok() : InvalidValue(def, p, v);
}

// The default of an omitted parameter, from its JSON literal.
Value DefaultValue(const Param& p) {
  Value v;
  const std::string& d = p.default_json;
  if (d.empty()) return v;
  if (d.front() == '"') {
    v.kind = Value::Kind::kString;
    v.string_value = d.substr(1, d.size() - 2);
  } else if (d == "true" || d == "false") {
    v.kind = Value::Kind::kBool;
    v.bool_value = d == "true";
  } else if (d == "1e9999") {
    v.kind = Value::Kind::kFloat;
    v.float_value = INFINITY;
  } else if (d.find_first_of(".e") == std::string::npos) {
    v.kind = Value::Kind::kInt;
    std::from_chars(d.data(), d.data() + d.size(), v.int_value);
    v.float_value = static_cast<double>(v.int_value);
  } else {
    v.kind = Value::Kind::kFloat;
    std::from_chars(d.data(), d.data() + d.size(), v.float_value);
  }
  return v;
}

// A `multiple` parameter: every positional value from `from` on. Series
// lists are merged into one (int_value counts the lists); others are kList.
Status BindMultiple(const FunctionDef& def, const Param& p, std::vector<Value>& positional,
                    size_t from, Value& out) {
  const bool series = p.type == ParamType::kSeriesLists || p.type == ParamType::kSeriesList;
  out.kind = series ? Value::Kind::kSeriesList : Value::Kind::kList;
  for (size_t i = from; i < positional.size(); ++i) {
    if (Status s = CheckValue(def, p, positional[i]); !s.ok()) return s;
    if (!series) {
      out.items.push_back(std::move(positional[i]));
      continue;
    }
    ++out.int_value;
    for (Series& s : positional[i].series) out.series.push_back(std::move(s));
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<Value>> FunctionRegistry::Bind(const FunctionDef& def,
                                                  std::vector<Value> positional,
                                                  const std::vector<std::string>& kw_names,
                                                  std::vector<Value> kw_values) {
  std::vector<Value> bound(def.params.size());
  std::vector<bool> seen(def.params.size(), false);
  const bool multiple = !def.params.empty() && (def.params.back().multiple ||
                                                def.params.back().type == ParamType::kSeriesLists);
  const size_t fixed = multiple ? def.params.size() - 1 : def.params.size();
  if (!multiple && positional.size() + kw_names.size() > fixed) {
    return Status::Error(
        fmt::format(R"(Too many parameters specified for function "{}")", def.name));
  }
  for (size_t i = 0; i < std::min(fixed, positional.size()); ++i) {
    bound[i] = std::move(positional[i]);
    seen[i] = true;
  }
  if (multiple && positional.size() > fixed) {
    if (Status s = BindMultiple(def, def.params.back(), positional, fixed, bound.back()); !s.ok()) {
      return s;
    }
    seen.back() = true;
  }
  std::vector<std::string> unexpected;
  for (size_t k = 0; k < kw_names.size(); ++k) {
    auto it = std::find_if(def.params.begin(), def.params.end(),
                           [&](const Param& p) { return p.name == kw_names[k]; });
    const size_t idx = static_cast<size_t>(it - def.params.begin());
    if (it == def.params.end() || seen[idx]) {
      unexpected.push_back(kw_names[k]);
      continue;
    }
    bound[idx] = std::move(kw_values[k]);
    seen[idx] = bound[idx].kind != Value::Kind::kNone;
  }
  for (size_t i = 0; i < def.params.size(); ++i) {
    const Param& p = def.params[i];
    if (!seen[i] && p.required) {
      return Status::Error(
          fmt::format(R"(Missing required parameter "{}" for function "{}")", p.name, def.name));
    }
    if (!seen[i]) {
      bound[i] = DefaultValue(p);
      if (p.multiple || p.type == ParamType::kSeriesLists) {
        bound[i].kind =
            p.type == ParamType::kSeriesLists ? Value::Kind::kSeriesList : Value::Kind::kList;
      }
      continue;
    }
    if (bound[i].kind == Value::Kind::kList ||
        (i + 1 == def.params.size() && multiple && positional.size() > fixed)) {
      continue;  // checked item by item
    }
    if (Status s = CheckValue(def, p, bound[i]); !s.ok()) return s;
    if (p.multiple && p.type != ParamType::kSeriesLists && p.type != ParamType::kSeriesList) {
      Value list;
      list.kind = Value::Kind::kList;
      list.items.push_back(std::move(bound[i]));
      bound[i] = std::move(list);
    } else if (p.type == ParamType::kSeriesLists) {
      bound[i].int_value = 1;
    }
  }
  if (!unexpected.empty()) {
    return Status::Error(
        fmt::format("Unexpected key word arguments: {}", fmt::join(unexpected, ", ")));
  }
  return bound;
}

}  // namespace hourglass::query
