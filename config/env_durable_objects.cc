#include "config/env_durable_objects.h"

#include "base/strings.h"

namespace atl::config {
namespace {

// [A-Za-z_$][A-Za-z0-9_$]*, at most 128 bytes: an export name, and a folder of data_dir/do/.
bool IsClassName(std::string_view s) {
  if (s.empty() || s.size() > 128 || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::string> ParseDurableObjectBinding(const EnvValue& value, const EnvParseContext& context) {
  absl::StatusOr<std::string> class_name = value.String();
  if (!class_name.ok()) return class_name.status();
  if (!IsClassName(*class_name)) {
    return value.Error(base::StrCat("\"", *class_name, "\" is not a class name (a JavaScript identifier)"));
  }
  return class_name;
}

}  // namespace atl::config
