#include "config/wrangler_r2.h"

#include <string_view>

#include "base/strings.h"
#include "config/json_to_toml.h"

namespace atl::config {
namespace {

using base::StrCat;

constexpr std::string_view kExpected =
    "expected binding, bucket_name, preview_bucket_name and jurisdiction, all strings";

absl::Status Error(std::string_view key, std::string_view message) {
  return absl::InvalidArgumentError(StrCat(key, ": ", message));
}

}  // namespace

absl::Status WranglerR2ToToml(const toml::node& r2_buckets, std::string* out) {
  const toml::array* list = r2_buckets.as_array();
  if (list == nullptr) return Error("r2_buckets", "expected an array of {binding, bucket_name}");
  out->append("r2 = { ");
  for (size_t i = 0; i < list->size(); ++i) {
    std::string key = StrCat("r2_buckets[", i, "]");
    const toml::table* item = list->get(i)->as_table();
    if (item == nullptr) return Error(key, StrCat("expected a table (", kExpected, ")"));
    std::string binding, bucket;
    for (const auto& [k, v] : *item) {
      std::string_view field = k.str();
      bool known = field == "binding" || field == "bucket_name" || field == "preview_bucket_name" || field == "jurisdiction";
      if (!known || !v.is_string()) return Error(StrCat(key, ".", field), StrCat("unknown or unsupported key (", kExpected, ")"));
      if (field == "binding") binding = v.as_string()->get();
      if (field == "bucket_name") bucket = v.as_string()->get();
    }
    if (binding.empty()) return Error(key, "missing required key \"binding\"");
    if (bucket.empty()) return Error(key, "missing required key \"bucket_name\"");
    if (i > 0) out->append(", ");
    AppendTomlString(binding, out);
    out->append(" = ");
    AppendTomlString(bucket, out);
  }
  out->append(" }\n");
  return absl::OkStatus();
}

}  // namespace atl::config
