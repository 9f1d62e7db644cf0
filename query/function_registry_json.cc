// FunctionRegistry's /functions output, in graphite-web 1.1's shape
// (graphite/functions/views.py functionList and Param.toJSON).
#include <algorithm>

#include "query/function_registry.h"
#include "query/render_format.h"

namespace hourglass::query {
namespace {

// Python's repr() of a default given as a JSON literal ('sum', False, inf).
std::string PyDefault(const std::string& json) {
  if (json == "true") return "True";
  if (json == "false") return "False";
  if (json == "1e9999") return "inf";
  if (!json.empty() && json.front() == '"') return "'" + json.substr(1, json.size() - 2) + "'";
  return json;
}

// inspect.formatargspec: "summarize(seriesList, intervalString, func='sum')".
std::string Signature(const FunctionDef& def) {
  std::string out = def.name + "(";
  for (size_t i = 0; i < def.params.size(); ++i) {
    const Param& p = def.params[i];
    if (i) out += ", ";
    if (p.multiple || p.type == ParamType::kSeriesLists) out += "*";
    out += p.name;
    if (!p.default_json.empty()) out += "=" + PyDefault(p.default_json);
  }
  return out + ")";
}

std::vector<std::string> Options(const FunctionRegistry& registry, const Param& p) {
  std::vector<std::string> options = p.options;
  if (p.type == ParamType::kAggFunc || p.type == ParamType::kAggOrSeriesFunc) {
    options.insert(options.end(), AggFuncNames().begin(), AggFuncNames().end());
  }
  if (p.type == ParamType::kAggOrSeriesFunc) {
    for (const auto& [name, def] : registry.functions()) {
      if (def.aggregator) options.push_back(name);
    }
  }
  std::sort(options.begin(), options.end());
  options.erase(std::unique(options.begin(), options.end()), options.end());
  return options;
}

void AppendParam(std::string& out, const FunctionRegistry& registry, const Param& p) {
  out += "{\"name\":";
  AppendJsonString(out, p.name);
  out += ",\"type\":";
  AppendJsonString(out, ParamTypeName(p.type));
  if (p.required) out += ",\"required\":true";
  if (!p.default_json.empty()) out += ",\"default\":" + p.default_json;
  if (p.multiple || p.type == ParamType::kSeriesLists) out += ",\"multiple\":true";
  const std::vector<std::string> options = Options(registry, p);
  if (!options.empty()) {
    out += ",\"options\":[";
    for (size_t i = 0; i < options.size(); ++i) {
      if (i) out.push_back(',');
      const std::string& o = options[i];
      if (o == "False" || o == "None" || o == "True") {
        out += o == "False" ? "false" : o == "None" ? "null" : "true";
      } else {
        AppendJsonString(out, o);
      }
    }
    out += "]";
  }
  out += "}";
}

void AppendFunction(std::string& out, const FunctionRegistry& registry, const FunctionDef& def) {
  out += "{\"name\":";
  AppendJsonString(out, def.name);
  out += ",\"function\":";
  AppendJsonString(out, Signature(def));
  out += ",\"description\":";
  AppendJsonString(out, def.description);
  out += ",\"module\":\"graphite.render.functions\",\"group\":";
  AppendJsonString(out, def.group);
  out += ",\"params\":[";
  for (size_t i = 0; i < def.params.size(); ++i) {
    if (i) out.push_back(',');
    AppendParam(out, registry, def.params[i]);
  }
  out += "]}";
}

}  // namespace

std::string FunctionRegistry::FunctionJson(std::string_view name) const {
  const FunctionDef* def = Find(name);
  std::string out;
  if (def != nullptr) AppendFunction(out, *this, *def);
  return out;
}

std::string FunctionRegistry::FunctionsJson(bool grouped, std::string_view group) const {
  std::map<std::string, std::vector<const FunctionDef*>> by_group;
  for (const auto& [name, def] : functions_) {
    if (!group.empty() && def.group != group) continue;
    by_group[grouped ? def.group : std::string()].push_back(&def);
  }
  std::string out = "{";
  bool first_group = true;
  for (const auto& [group_name, defs] : by_group) {
    if (grouped) {
      if (!first_group) out.push_back(',');
      AppendJsonString(out, group_name);
      out += ":{";
    }
    first_group = false;
    for (size_t i = 0; i < defs.size(); ++i) {
      if (i || (!grouped && out.size() > 1)) out.push_back(',');
      AppendJsonString(out, defs[i]->name);
      out.push_back(':');
      AppendFunction(out, *this, *defs[i]);
    }
    if (grouped) out.push_back('}');
  }
  return out + "}";
}

}  // namespace hourglass::query
