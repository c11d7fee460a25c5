#include "config/env_durable_objects.h"

#include "base/strings.h"
#include "config/names.h"

namespace atl::config {

absl::StatusOr<std::string> ParseDurableObjectBinding(const EnvValue& value, const EnvParseContext& context) {
  absl::StatusOr<std::string> class_name = value.String();
  if (!class_name.ok()) return class_name.status();
  if (!IsBindingName(*class_name)) {
    return value.Error(base::StrCat("\"", *class_name, "\" is not a class name (a JavaScript identifier)"));
  }
  return class_name;
}

}  // namespace atl::config
