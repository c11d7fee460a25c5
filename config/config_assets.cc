// The tenant key `assets` (assets_config.h): [tenants.assets] directory, binding, html_handling,
// not_found_handling, run_worker_first, each error naming its key path.
#include "config/assets_config.h"
#include "config/config_parser.h"
#include "config/names.h"

namespace atl::config {

absl::StatusOr<HtmlHandling> ParseHtmlHandling(std::string_view name) {
  if (name == "auto-trailing-slash") return HtmlHandling::kAutoTrailingSlash;
  if (name == "force-trailing-slash") return HtmlHandling::kForceTrailingSlash;
  if (name == "drop-trailing-slash") return HtmlHandling::kDropTrailingSlash;
  if (name == "none") return HtmlHandling::kNone;
  return absl::InvalidArgumentError(base::StrCat(
      "unknown html_handling \"", name, "\" (expected auto-trailing-slash, force-trailing-slash, drop-trailing-slash or none)"));
}

absl::StatusOr<NotFoundHandling> ParseNotFoundHandling(std::string_view name) {
  if (name == "none") return NotFoundHandling::kNone;
  if (name == "404-page") return NotFoundHandling::kPage404;
  if (name == "single-page-application") return NotFoundHandling::kSinglePageApplication;
  return absl::InvalidArgumentError(
      base::StrCat("unknown not_found_handling \"", name, "\" (expected none, 404-page or single-page-application)"));
}

absl::Status CheckRunWorkerFirstPattern(std::string_view pattern) {
  std::string_view rest = pattern.starts_with('!') ? pattern.substr(1) : pattern;
  if (!rest.starts_with('/')) {
    return absl::InvalidArgumentError(
        base::StrCat("run_worker_first pattern \"", pattern, "\" must start with \"/\" (or \"!/\")"));
  }
  return absl::OkStatus();
}

namespace internal {

absl::Status ConfigParser::ParseAssets(const toml::node& n, const toml::source_region& parent, std::string_view path,
                                       AssetsConfig* out) {
  const toml::table* table = n.as_table();
  if (table == nullptr) return WrongType(n, parent, path, "a table ([tenants.assets] directory = \"public\")");
  const toml::source_region& here = Where(n, parent);
  bool have_directory = false;
  for (const Entry& e : Entries(*table)) {
    std::string key_path = Join(path, e.key);
    const toml::node& v = *e.value;
    const toml::source_region& where = Where(v, here);
    if (e.key == "directory") {
      absl::StatusOr<fs::path> dir = FilePath(v, here, key_path, /*must_exist=*/false);
      if (!dir.ok()) return dir.status();
      std::error_code ec;
      if (!fs::is_directory(*dir, ec)) return Error(where, key_path, StrCat("\"", dir->string(), "\" is not a folder"));
      out->directory = *std::move(dir);
      have_directory = true;
    } else if (e.key == "binding") {
      absl::StatusOr<std::string_view> name = String(v, here, key_path);
      if (!name.ok()) return name.status();
      if (!IsBindingName(*name)) {
        return Error(where, key_path, StrCat("binding name \"", *name, "\" is not valid (1-255 bytes, no control characters, not __proto__)"));
      }
      auto [it, inserted] = bindings_.emplace(std::string(*name), key_path);
      if (!inserted) return Error(where, key_path, StrCat("binding name \"", *name, "\" is already used by ", it->second));
      out->binding = std::string(*name);
    } else if (e.key == "html_handling" || e.key == "not_found_handling") {
      absl::StatusOr<std::string_view> name = String(v, here, key_path);
      if (!name.ok()) return name.status();
      absl::Status parsed;
      if (e.key == "html_handling") {
        absl::StatusOr<HtmlHandling> h = ParseHtmlHandling(*name);
        if (h.ok()) out->html_handling = *h;
        parsed = h.status();
      } else {
        absl::StatusOr<NotFoundHandling> h = ParseNotFoundHandling(*name);
        if (h.ok()) out->not_found_handling = *h;
        parsed = h.status();
      }
      if (!parsed.ok()) return Error(where, key_path, base::ToStd(parsed.message()));
    } else if (e.key == "run_worker_first") {
      if (const toml::value<bool>* b = v.as_boolean()) {
        out->run_worker_first = b->get();
        continue;
      }
      const toml::array* patterns = v.as_array();
      if (patterns == nullptr) return WrongType(v, here, key_path, "true, false or an array of path patterns");
      for (size_t i = 0; i < patterns->size(); ++i) {
        std::string item_path = Index(key_path, i);
        absl::StatusOr<std::string_view> pattern = String(*patterns->get(i), where, item_path);
        if (!pattern.ok()) return pattern.status();
        if (absl::Status ok = CheckRunWorkerFirstPattern(*pattern); !ok.ok()) {
          return Error(Where(*patterns->get(i), where), item_path, base::ToStd(ok.message()));
        }
        if (pattern->starts_with('!')) {
          out->assets_first.emplace_back(pattern->substr(1));
        } else {
          out->worker_first.emplace_back(*pattern);
        }
      }
    } else {
      return Unknown(e, here, path, "directory, binding, html_handling, not_found_handling, run_worker_first");
    }
  }
  if (!have_directory) return Error(here, path, "missing required key \"directory\"");
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace atl::config
