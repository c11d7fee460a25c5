#include "config/env_d1.h"

#include <algorithm>
#include <vector>

#include "base/files.h"
#include "base/json_writer.h"
#include "base/strings.h"

namespace atl::config {
namespace {

constexpr std::string_view kShape =
    "expected a database name, or { database = \"name\", migrations = \"folder of .sql files\" }";

bool IsDatabaseName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

void AppendJsonString(std::string_view text, std::string* out) {
  out->push_back('"');
  base::AppendJsonEscaped(text, out);
  out->push_back('"');
}

// The folder's *.sql files in name order, as [[name, text], ...] (wrangler's migrations_dir).
absl::Status AppendMigrations(const EnvValue& value, const std::filesystem::path& dir, std::string* out) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return value.Error(base::StrCat("migrations: \"", dir.string(), "\" is not a folder"));
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".sql") files.push_back(entry.path());
  }
  if (ec) return value.Error(base::StrCat("migrations: cannot list \"", dir.string(), "\": ", ec.message()));
  std::sort(files.begin(), files.end());
  out->push_back('[');
  for (const std::filesystem::path& file : files) {
    absl::StatusOr<std::string> text = base::ReadFile(file);
    if (!text.ok()) return value.Error(base::StrCat("migrations: ", text.status().message()));
    if (out->back() != '[') out->push_back(',');
    out->push_back('[');
    AppendJsonString(file.filename().string(), out);
    out->push_back(',');
    AppendJsonString(*text, out);
    out->push_back(']');
  }
  out->push_back(']');
  return absl::OkStatus();
}

}  // namespace

// The binding's value for the installer: {"name": "...", "migrations": [[file, sql], ...]} as JSON.
absl::StatusOr<std::string> ParseD1Binding(const EnvValue& value, const EnvParseContext& context) {
  std::string name;
  std::string migrations;
  if (value.IsString()) {
    absl::StatusOr<std::string> text = value.String();
    if (!text.ok()) return text.status();
    name = *text;
  } else {
    absl::StatusOr<std::vector<std::pair<std::string, std::string>>> fields =
        StringFields(value, {"database", "migrations"}, kShape);
    if (!fields.ok()) return fields.status();
    for (auto& [key, text] : *fields) (key == "database" ? name : migrations) = std::move(text);
  }
  if (!IsDatabaseName(name)) {
    return value.Error(base::StrCat("\"", name, "\" is not a database name (1-64 letters, digits, '_' or '-')"));
  }
  std::string out = "{\"name\":";
  AppendJsonString(name, &out);
  out += ",\"migrations\":";
  if (migrations.empty()) {
    out += "[]";
  } else {
    std::filesystem::path dir = migrations;
    if (dir.is_relative()) dir = context.config_dir / dir;
    if (absl::Status st = AppendMigrations(value, dir.lexically_normal(), &out); !st.ok()) return st;
  }
  out += "}";
  return out;
}

}  // namespace atl::config
