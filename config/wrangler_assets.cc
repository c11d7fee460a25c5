#include "config/wrangler_assets.h"

#include "base/strings.h"
#include "config/json_to_toml.h"

namespace atl::config {
namespace {

using base::StrCat;

absl::Status Error(std::string_view key, std::string_view message) {
  return absl::InvalidArgumentError(StrCat("assets.", key, ": ", message));
}

absl::Status StringKey(std::string_view key, const toml::node& value, std::string* out) {
  if (!value.is_string()) return Error(key, "expected a string");
  out->append(StrCat(", ", key, " = "));
  AppendTomlString(value.as_string()->get(), out);
  return absl::OkStatus();
}

}  // namespace

absl::Status WranglerAssetsToToml(const toml::node& assets, const std::filesystem::path& dir, std::string* out) {
  const toml::table* table = assets.as_table();
  if (table == nullptr) return absl::InvalidArgumentError("assets: expected a table ([assets] directory = \"./public\")");
  const toml::node* directory = table->get("directory");
  if (directory == nullptr) return Error("directory", "missing required key (the folder of the static assets)");
  if (!directory->is_string() || directory->as_string()->get().empty()) return Error("directory", "expected a path (a string)");
  std::filesystem::path path(directory->as_string()->get());
  if (path.is_relative()) path = dir / path;
  out->append("assets = { directory = ");
  AppendTomlString(path.lexically_normal().string(), out);
  for (const auto& [key_node, value] : *table) {
    std::string_view key = key_node.str();
    absl::Status st;
    if (key == "directory" || key == "experimental_serve_directly") {
      continue;
    } else if (key == "binding" || key == "html_handling" || key == "not_found_handling") {
      st = StringKey(key, value, out);
    } else if (key == "run_worker_first") {
      if (value.is_boolean()) {
        out->append(value.as_boolean()->get() ? ", run_worker_first = true" : ", run_worker_first = false");
      } else if (const toml::array* patterns = value.as_array()) {
        out->append(", run_worker_first = [");
        for (size_t i = 0; i < patterns->size(); ++i) {
          const toml::node& item = *patterns->get(i);
          if (!item.is_string()) return Error(StrCat(key, "[", i, "]"), "expected a path pattern (a string)");
          if (i > 0) out->append(", ");
          AppendTomlString(item.as_string()->get(), out);
        }
        out->push_back(']');
      } else {
        st = Error(key, "expected true, false or an array of path patterns");
      }
    } else {
      st = Error(key, "unknown key (expected directory, binding, html_handling, not_found_handling, run_worker_first)");
    }
    if (!st.ok()) return st;
  }
  out->append(" }\n");
  return absl::OkStatus();
}

}  // namespace atl::config
