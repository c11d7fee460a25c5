#include "config/env_r2.h"

#include "base/strings.h"

namespace atl::config {

bool IsBucketName(std::string_view name) {
  if (name.size() < 3 || name.size() > 63 || name.front() == '-' || name.back() == '-') return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

absl::StatusOr<std::string> ParseR2Binding(const EnvValue& value, const EnvParseContext& context) {
  if (!value.IsString()) return value.Error("expected a bucket name (a string)");
  absl::StatusOr<std::string> name = value.String();
  if (!name.ok()) return name.status();
  if (!IsBucketName(*name)) {
    return value.Error(base::StrCat("\"", *name,
                                    "\" is not a bucket name (3-63 lower-case letters, digits or '-', "
                                    "starting and ending with a letter or digit)"));
  }
  return *name;
}

}  // namespace atl::config
