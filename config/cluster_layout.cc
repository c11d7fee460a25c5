#include "config/cluster_layout.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "base/json_reader.h"
#include "base/json_writer.h"
#include "base/strings.h"

namespace atl::config {

bool ValidClusterName(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

std::string_view ClusterKeys::After(std::string_view key, std::string_view under) {
  if (!key.starts_with(under)) return {};
  return key.substr(under.size());
}

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    unsigned char last = static_cast<unsigned char>(end.back());
    if (last < 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key
}

absl::StatusOr<SplitBody> SplitDeployBody(std::string_view body) {
  absl::StatusOr<base::JsonValue> doc = base::ParseJson(body);
  if (!doc.ok()) return absl::InvalidArgumentError(base::StrCat("body: ", base::ToStd(doc.status().message())));
  if (!doc->IsObject()) return absl::InvalidArgumentError("body: expected a JSON object");
  SplitBody out;
  out.spec = "{";
  bool have_script = false;
  for (const auto& [key, value] : doc->members) {
    if (key == "script") {
      if (value.type != base::JsonValue::Type::kString) return absl::InvalidArgumentError("body: script must be a string");
      out.script = value.text;
      have_script = true;
      continue;
    }
    if (out.spec.size() > 1) out.spec.push_back(',');
    out.spec.push_back('"');
    base::AppendJsonEscaped(key, &out.spec);
    out.spec += "\":";
    out.spec.append(value.raw);
  }
  out.spec.push_back('}');
  if (!have_script) return absl::InvalidArgumentError("body: missing \"script\"");
  return out;
}

std::string JoinDeployBody(std::string_view spec, std::string_view script) {
  std::string out = "{\"script\":\"";
  base::AppendJsonEscaped(script, &out);
  out.push_back('"');
  std::string_view rest = spec.size() >= 2 ? spec.substr(1, spec.size() - 2) : std::string_view();
  if (rest.find_first_not_of(" \t\r\n") != std::string_view::npos) {
    out.push_back(',');
    out.append(rest);
  }
  out.push_back('}');
  return out;
}

std::string EncodeTenantRecord(const TenantRecord& record) {
  std::string out = "{\"bundle\":\"";
  base::AppendJsonEscaped(record.bundle, &out);
  out += "\",\"spec\":";
  out += record.spec;
  out += "}";
  return out;
}

absl::StatusOr<TenantRecord> DecodeTenantRecord(std::string_view json) {
  absl::StatusOr<base::JsonValue> doc = base::ParseJson(json);
  if (!doc.ok()) return doc.status();
  const base::JsonValue* bundle = doc->Get("bundle");
  const base::JsonValue* spec = doc->Get("spec");
  if (bundle == nullptr || bundle->type != base::JsonValue::Type::kString || spec == nullptr || !spec->IsObject()) {
    return absl::InvalidArgumentError("tenant record: expected {\"bundle\": HASH, \"spec\": {...}}");
  }
  return TenantRecord{bundle->text, std::string(spec->raw)};
}

std::string EncodeNodeRecord(const NodeRecord& record) {
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Key("advertise");
  w.String(record.advertise);
  w.Key("cores");
  w.Int(record.cores);
  w.Key("memory_mb");
  w.Int(static_cast<int64_t>(record.memory_mb));
  w.EndObject();
  return out;
}

absl::StatusOr<NodeRecord> DecodeNodeRecord(std::string_view json) {
  absl::StatusOr<base::JsonValue> doc = base::ParseJson(json);
  if (!doc.ok()) return doc.status();
  NodeRecord out;
  if (const base::JsonValue* v = doc->Get("advertise")) out.advertise = v->text;
  if (const base::JsonValue* v = doc->Get("cores")) out.cores = static_cast<uint32_t>(v->Int());
  if (const base::JsonValue* v = doc->Get("memory_mb")) out.memory_mb = static_cast<uint64_t>(v->Int());
  return out;
}

std::string EncodeLoadRecord(const LoadRecord& record) {
  std::string out;
  base::JsonWriter w(&out);
  w.BeginObject();
  w.Key("cores");
  w.Int(record.cores);
  w.Key("memory_mb");
  w.Int(static_cast<int64_t>(record.memory_mb));
  w.Key("tenants");
  w.BeginObject();
  for (const auto& [name, load] : record.tenants) {
    w.Key(name);
    w.BeginObject();
    w.Key("memory_kb");
    w.Int(static_cast<int64_t>(load.memory_kb));
    w.Key("rps");
    w.Double(load.rps);
    w.EndObject();
  }
  w.EndObject();
  w.EndObject();
  return out;
}

absl::StatusOr<LoadRecord> DecodeLoadRecord(std::string_view json) {
  absl::StatusOr<base::JsonValue> doc = base::ParseJson(json);
  if (!doc.ok()) return doc.status();
  if (!doc->IsObject()) return absl::InvalidArgumentError("load record: expected an object");
  LoadRecord out;
  if (const base::JsonValue* v = doc->Get("cores")) out.cores = static_cast<uint32_t>(v->Int());
  if (const base::JsonValue* v = doc->Get("memory_mb")) out.memory_mb = static_cast<uint64_t>(v->Int());
  if (const base::JsonValue* tenants = doc->Get("tenants"); tenants != nullptr && tenants->IsObject()) {
    for (const auto& [name, value] : tenants->members) {
      TenantLoad load;
      if (const base::JsonValue* v = value.Get("memory_kb")) load.memory_kb = static_cast<uint64_t>(std::max<int64_t>(0, v->Int()));
      if (const base::JsonValue* v = value.Get("rps")) {
        double rps = std::strtod(v->text.c_str(), nullptr);
        load.rps = std::isfinite(rps) && rps > 0 ? rps : 0;
      }
      out.tenants.emplace_back(name, load);
    }
  }
  return out;
}

std::string EncodePlacementRecord(const PlacementRecord& record) {
  std::string out = "{\"nodes\":[";
  for (size_t i = 0; i < record.nodes.size(); ++i) {
    if (i > 0) out += ",";
    out += "\"";
    base::AppendJsonEscaped(record.nodes[i], &out);
    out += "\"";
  }
  out += "],\"controller\":\"";
  base::AppendJsonEscaped(record.controller, &out);
  out += "\"}";
  return out;
}

absl::StatusOr<PlacementRecord> DecodePlacementRecord(std::string_view json) {
  absl::StatusOr<base::JsonValue> doc = base::ParseJson(json);
  if (!doc.ok()) return doc.status();
  const base::JsonValue* nodes = doc->Get("nodes");
  if (nodes == nullptr || nodes->type != base::JsonValue::Type::kArray) {
    return absl::InvalidArgumentError("placement record: expected {\"nodes\": [...]}");
  }
  PlacementRecord out;
  for (const base::JsonValue& n : nodes->items) {
    if (n.type != base::JsonValue::Type::kString || !ValidClusterName(n.text)) {
      return absl::InvalidArgumentError("placement record: a node name is not [a-z0-9-]{1,63}");
    }
    out.nodes.push_back(n.text);
  }
  if (const base::JsonValue* v = doc->Get("controller")) out.controller = v->text;
  return out;
}

}  // namespace atl::config
