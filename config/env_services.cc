#include "config/env_services.h"

#include "absl/strings/ascii.h"
#include "base/strings.h"

namespace atl::config {
namespace {

bool IsIdentifier(std::string_view name) {
  if (name.empty() || absl::ascii_isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '$') return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::string> ParseServiceBinding(const EnvValue& value, const EnvParseContext& context) {
  std::string target;
  std::string entrypoint;
  if (value.IsString()) {
    absl::StatusOr<std::string> text = value.String();
    if (!text.ok()) return text.status();
    target = *text;
  } else {
    // { service = "auth", entrypoint = "AdminApi" }: a named export of that tenant's script.
    constexpr std::string_view kShape = "expected a tenant name, or { service = \"tenant\", entrypoint = \"ExportName\" }";
    absl::StatusOr<std::vector<std::pair<std::string, std::string>>> fields =
        StringFields(value, {"service", "entrypoint"}, kShape);
    if (!fields.ok()) return fields.status();
    for (auto& [key, text] : *fields) (key == "service" ? target : entrypoint) = std::move(text);
    if (target.empty()) return value.Error(base::StrCat("missing \"service\" (", kShape, ")"));
    if (!IsIdentifier(entrypoint)) {
      return value.Error(base::StrCat("entrypoint \"", entrypoint, "\" is not the name of an export (", kShape, ")"));
    }
  }
  if (context.tenant_names == nullptr || context.tenant_names->count(target) == 0) {
    return value.Error(base::StrCat("no tenant is named \"", target, "\""));
  }
  return entrypoint.empty() ? target : base::StrCat(target, kEntrypointSeparator, entrypoint);
}

std::pair<std::string_view, std::string_view> SplitServiceBinding(std::string_view value) {
  size_t at = value.find(kEntrypointSeparator);
  if (at == std::string_view::npos) return {value, {}};
  return {value.substr(0, at), value.substr(at + 1)};
}

}  // namespace atl::config
