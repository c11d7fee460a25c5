// The tenant key `rules` (wrangler's module rules, module_rules.h): an array of tables
// {type, globs, fallthrough}, each error naming its key path.
#include "config/config_parser.h"

namespace atl::config::internal {

absl::Status ConfigParser::ParseModuleRules(const toml::node& n, const toml::source_region& parent,
                                            std::string_view path, std::vector<ModuleRule>* out) const {
  const toml::array* array = n.as_array();
  if (array == nullptr) {
    return WrongType(n, parent, path, "an array of module rules ([{type = \"Text\", globs = [\"**/*.md\"]}])");
  }
  const toml::source_region& here = Where(n, parent);
  for (size_t i = 0; i < array->size(); ++i) {
    const toml::node& item = *array->get(i);
    std::string item_path = Index(path, i);
    const toml::table* table = item.as_table();
    if (table == nullptr) return WrongType(item, here, item_path, "a table {type, globs, fallthrough}");
    const toml::source_region& where = Where(item, here);
    ModuleRule rule;
    bool have_type = false, have_globs = false;
    for (const Entry& e : Entries(*table)) {
      std::string key_path = Join(item_path, e.key);
      const toml::node& v = *e.value;
      if (e.key == "type") {
        absl::StatusOr<std::string_view> name = String(v, where, key_path);
        if (!name.ok()) return name.status();
        absl::StatusOr<ModuleType> type = ParseModuleType(*name);
        if (!type.ok()) return Error(Where(v, where), key_path, base::ToStd(type.status().message()));
        rule.type = *type;
        have_type = true;
      } else if (e.key == "globs") {
        const toml::array* globs = v.as_array();
        if (globs == nullptr || globs->empty()) return WrongType(v, where, key_path, "a non-empty array of globs");
        for (size_t g = 0; g < globs->size(); ++g) {
          std::string glob_path = Index(key_path, g);
          absl::StatusOr<std::string_view> glob = String(*globs->get(g), Where(v, where), glob_path);
          if (!glob.ok()) return glob.status();
          if (glob->empty()) return Error(Where(*globs->get(g), where), glob_path, "a glob cannot be empty");
          rule.globs.emplace_back(*glob);
        }
        have_globs = true;
      } else if (e.key == "fallthrough") {
        const auto* b = v.as_boolean();
        if (b == nullptr) return WrongType(v, where, key_path, "a boolean");
        rule.fallthrough = b->get();
      } else {
        return Unknown(e, where, item_path, "type, globs, fallthrough");
      }
    }
    if (!have_type) return Error(where, item_path, "missing required key \"type\"");
    if (!have_globs) return Error(where, item_path, "missing required key \"globs\"");
    out->push_back(std::move(rule));
  }
  return absl::OkStatus();
}

}  // namespace atl::config::internal
