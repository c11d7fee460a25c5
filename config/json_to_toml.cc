#include "config/json_to_toml.h"

#include <cstdint>
#include <cstdio>

#include "absl/strings/escaping.h"
#include "base/json_reader.h"
#include "base/strings.h"

namespace atl::config {
namespace {

using base::JsonValue;

// `value` appended to `out` as a TOML value: inline tables, arrays, basic strings, numbers as
// written (the config parser checks them). JSON null is refused: TOML has none.
absl::Status AppendToml(const JsonValue& value, std::string_view label, int depth, std::string* out) {
  if (depth > 16) return absl::InvalidArgumentError(base::StrCat(label, ": nested too deeply"));
  switch (value.type) {
    case JsonValue::Type::kNull:
      return absl::InvalidArgumentError(base::StrCat(label, ": null is not a value here"));
    case JsonValue::Type::kBool:
      out->append(value.boolean ? "true" : "false");
      return absl::OkStatus();
    case JsonValue::Type::kNumber:
      out->append(value.text);
      return absl::OkStatus();
    case JsonValue::Type::kString:
      AppendTomlString(value.text, out);
      return absl::OkStatus();
    case JsonValue::Type::kArray: {
      out->push_back('[');
      for (size_t i = 0; i < value.items.size(); ++i) {
        if (i > 0) out->append(", ");
        if (absl::Status st = AppendToml(value.items[i], label, depth + 1, out); !st.ok()) return st;
      }
      out->push_back(']');
      return absl::OkStatus();
    }
    case JsonValue::Type::kObject: {
      out->append("{ ");
      for (size_t i = 0; i < value.members.size(); ++i) {
        if (i > 0) out->append(", ");
        AppendTomlString(value.members[i].first, out);
        out->append(" = ");
        if (absl::Status st = AppendToml(value.members[i].second, label, depth + 1, out); !st.ok()) return st;
      }
      out->append(" }");
      return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

// A deploy's `wasm` object: NAME -> "path relative to the deploy's folder", or
// NAME -> {"base64": "...module bytes..."}.
absl::Status WasmTable(const JsonValue& table, std::vector<DeployWasm>* out) {
  if (!table.IsObject()) return absl::InvalidArgumentError("body: wasm: expected an object");
  for (const auto& [name, value] : table.members) {
    DeployWasm entry;
    entry.name = name;
    if (value.type == JsonValue::Type::kString) {
      entry.path = value.text;
    } else if (value.IsObject()) {
      const JsonValue* encoded = value.Get("base64");
      if (value.members.size() != 1 || encoded == nullptr || encoded->type != JsonValue::Type::kString) {
        return absl::InvalidArgumentError(base::StrCat("body: wasm.", name, ": expected {\"base64\": ...}"));
      }
      if (!absl::Base64Unescape(encoded->text, &entry.bytes)) {
        return absl::InvalidArgumentError(base::StrCat("wasm.", name, ": not valid base64"));
      }
      entry.inline_bytes = true;
    } else {
      return absl::InvalidArgumentError(
          base::StrCat("body: wasm.", name, ": expected a path in the deploy's folder or {\"base64\": ...}"));
    }
    out->push_back(std::move(entry));
  }
  return absl::OkStatus();
}

// Every string under `value` (the targets of `services`, for the stand-in tenants the config
// parser wants to see).
void CollectStrings(const JsonValue& value, std::vector<std::string>* out) {
  if (value.type == JsonValue::Type::kString) out->push_back(value.text);
  for (const JsonValue& item : value.items) CollectStrings(item, out);
  for (const auto& [key, member] : value.members) CollectStrings(member, out);
}

}  // namespace

absl::StatusOr<std::string> JsonValueToToml(std::string_view json, std::string_view label) {
  absl::StatusOr<JsonValue> value = base::ParseJson(json, label);
  if (!value.ok()) return value.status();
  std::string toml;
  if (absl::Status st = AppendToml(*value, label, 0, &toml); !st.ok()) return st;
  return toml;
}

void AppendTomlString(std::string_view s, std::string* out) {
  out->push_back('"');
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      // Every non-ASCII character as \uXXXX / \UXXXXXXXX: the TOML atoll writes is ASCII, which
      // toml++ 3.3.0 reads safely (config/toml_text.h). Bytes that are not UTF-8 stay as they are
      // (toml++ refuses them).
      size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
      bool valid = n != 0 && i + n <= s.size();
      char32_t cp = n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
      for (size_t k = 1; valid && k < n; ++k) {
        unsigned char cc = static_cast<unsigned char>(s[i + k]);
        valid = (cc & 0xC0) == 0x80;
        cp = (cp << 6) | (cc & 0x3F);
      }
      if (!valid) {
        out->push_back(static_cast<char>(c));
        continue;
      }
      char buffer[16];
      std::snprintf(buffer, sizeof(buffer), cp > 0xFFFF ? "\\U%08X" : "\\u%04X", static_cast<unsigned>(cp));
      out->append(buffer);
      i += n - 1;
      continue;
    }
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buffer[8];
          std::snprintf(buffer, sizeof(buffer), "\\u%04x", c);
          out->append(buffer);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

absl::StatusOr<std::string> TenantJsonToToml(std::string_view json, std::string* script,
                                             std::vector<std::string>* services, std::vector<DeployWasm>* wasm) {
  absl::StatusOr<JsonValue> body = base::ParseJson(json, "body");
  if (!body.ok()) return body.status();
  if (!body->IsObject()) return absl::InvalidArgumentError("body: expected a JSON object");
  std::string toml;
  bool have_script = false;
  for (const auto& [key, value] : body->members) {
    if (key == "script") {
      if (value.type != JsonValue::Type::kString) return absl::InvalidArgumentError("body: script: expected a string");
      *script = value.text;
      have_script = true;
      continue;
    }
    if (key == "wasm") {
      // Not passed through: its paths are checked (Stage) before anything reads them.
      if (wasm == nullptr) return absl::InvalidArgumentError("body: \"wasm\" is not accepted here");
      if (absl::Status st = WasmTable(value, wasm); !st.ok()) return st;
      continue;
    }
    if (key == "assets") {
      // Its directory is a folder of the server's disk (an absolute path would serve any).
      return absl::InvalidArgumentError(
          "body: assets: not accepted in a deploy (a config file's folder of static assets, read from the server's disk)");
    }
    if (key == "d1" && value.IsObject()) {
      // A migrations folder is read from the server's disk: only a config file names one.
      for (const auto& [name, database] : value.members) {
        if (database.Get("migrations") != nullptr) {
          return absl::InvalidArgumentError(base::StrCat(
              "body: d1.", name, ".migrations: not accepted in a deploy (a config file's folder of .sql files); "
              "give the database's name, and create its tables from the tenant's code"));
        }
      }
    }
    AppendTomlString(key, &toml);
    toml.append(" = ");
    if (absl::Status st = AppendToml(value, "body", 0, &toml); !st.ok()) return st;
    toml.push_back('\n');
    if (key == "services" && services != nullptr) CollectStrings(value, services);
  }
  if (!have_script) return absl::InvalidArgumentError("body: \"script\" (the script's source text) is required");
  return toml;
}

}  // namespace atl::config
