#include "config/wrangler.h"
#include "config/toml_text.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "base/strings.h"
#include "config/json_to_toml.h"
#include "config/names.h"
#include "config/wrangler_assets.h"
#include "config/wrangler_environments.h"
#include "config/wrangler_queues.h"
#include "config/wrangler_r2.h"

#define TOML_EXCEPTIONS 0
#define TOML_ENABLE_FORMATTERS 0
#include <toml++/toml.h>

namespace atl::config {
namespace {

namespace fs = std::filesystem;
using base::StrCat;

// Reads one wrangler file (TOML, or JSON with comments) as a TOML table.
absl::StatusOr<toml::table> ReadWrangler(const fs::path& file, const std::string& label) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return absl::NotFoundError(StrCat(label, ": cannot read the file"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  std::string ext = file.extension().string();
  if (ext == ".json" || ext == ".jsonc") {
    absl::StatusOr<std::string> value = JsonValueToToml(StripJsonc(text), label);
    if (!value.ok()) return value.status();
    toml::parse_result parsed = toml::parse(StrCat("root = ", *value));  // ASCII (AppendTomlString)
    if (!parsed) return absl::InvalidArgumentError(StrCat(label, ": ", parsed.error().description()));
    toml::table* root = parsed.table()["root"].as_table();
    if (root == nullptr) return absl::InvalidArgumentError(StrCat(label, ": expected a JSON object"));
    return std::move(*root);
  }
  absl::StatusOr<std::string> ascii = AsciiTomlText(text, label);  // toml++ reads ASCII only (toml_text.h)
  if (!ascii.ok()) return ascii.status();
  toml::parse_result parsed = toml::parse(*ascii, file.string());
  if (!parsed) {
    const auto& where = parsed.error().source().begin;
    return absl::InvalidArgumentError(StrCat(label, ":", where.line, ":", where.column, ": ", parsed.error().description()));
  }
  return std::move(parsed).table();
}

// `node` as a TOML value on one line (inline tables).
absl::Status AppendToml(const toml::node& node, std::string* out, int depth = 0) {
  if (depth > 32) return absl::InvalidArgumentError("nested too deeply");
  if (const auto* s = node.as_string()) {
    AppendTomlString(s->get(), out);
  } else if (const auto* i = node.as_integer()) {
    out->append(std::to_string(i->get()));
  } else if (const auto* f = node.as_floating_point()) {
    double v = f->get();
    if (std::isnan(v)) {
      out->append("nan");
    } else if (std::isinf(v)) {
      out->append(v > 0 ? "inf" : "-inf");
    } else {
      char buffer[40];
      std::snprintf(buffer, sizeof(buffer), "%.17g", v);
      out->append(buffer);
      if (std::string_view(buffer).find_first_of(".eE") == std::string_view::npos) out->append(".0");
    }
  } else if (const auto* b = node.as_boolean()) {
    out->append(b->get() ? "true" : "false");
  } else if (const auto* a = node.as_array()) {
    out->push_back('[');
    for (size_t k = 0; k < a->size(); ++k) {
      if (k > 0) out->append(", ");
      if (absl::Status st = AppendToml(*a->get(k), out, depth + 1); !st.ok()) return st;
    }
    out->push_back(']');
  } else if (const auto* t = node.as_table()) {
    out->append("{ ");
    bool first = true;
    for (const auto& [key, value] : InOrder(*t)) {
      if (!first) out->append(", ");
      first = false;
      AppendTomlString(key, out);
      out->append(" = ");
      if (absl::Status st = AppendToml(*value, out, depth + 1); !st.ok()) return st;
    }
    out->append(" }");
  } else {
    return absl::InvalidArgumentError("dates and times are not supported here");
  }
  return absl::OkStatus();
}

constexpr std::string_view kSupportedKeys =
    "name, main, routes, route, vars, kv_namespaces, services, wasm_modules, rules, compatibility_flags, "
    "compatibility_date, triggers, limits, durable_objects (bindings: name, class_name), workflows (binding, class_name, name), "
    "d1_databases (binding, database_name, database_id), queues (producers, consumers), r2_buckets (binding, bucket_name), "
    "assets, env (with --env), "
    "migrations (ignored), "
    "dev (ip, port)";

// Where `wrangler dev` would listen: [dev] ip (default localhost) and port (default 8787).
absl::StatusOr<std::string> DevListen(const toml::table& root, const std::string& label) {
  std::string ip = "127.0.0.1";
  int64_t port = 8787;
  if (const toml::table* dev = root["dev"].as_table()) {
    if (const toml::node* n = dev->get("ip")) {
      if (!n->is_string()) return absl::InvalidArgumentError(StrCat(label, ": dev.ip: expected a string"));
      ip = n->as_string()->get();
      if (ip == "localhost" || ip == "*") ip = ip == "*" ? "0.0.0.0" : "127.0.0.1";
      if (ip.find(':') != std::string::npos && ip.front() != '[') ip = StrCat("[", ip, "]");
    }
    if (const toml::node* n = dev->get("port")) {
      if (!n->is_integer() || n->as_integer()->get() < 1 || n->as_integer()->get() > 65535) {
        return absl::InvalidArgumentError(StrCat(label, ": dev.port: expected a port number (1-65535)"));
      }
      port = n->as_integer()->get();
    }
  }
  return StrCat(ip, ":", port);
}

bool Ignored(std::string_view key) {
  for (std::string_view k : base::Split(kWranglerIgnoredKeys, ',')) {
    while (!k.empty() && k.front() == ' ') k.remove_prefix(1);
    if (k == key) return true;
  }
  return false;
}

// Converts one file's table into the lines of one [[tenants]] block.
class TenantWriter {
 public:
  TenantWriter(const fs::path& file, std::string label, bool default_route, std::string_view environment)
      : dir_(file.parent_path()), label_(std::move(label)), default_route_(default_route), environment_(environment) {}

  absl::Status Error(std::string_view key, std::string_view message) const {
    return absl::InvalidArgumentError(StrCat(label_, ": ", key, ": ", message));
  }

  absl::StatusOr<std::string> Convert(const SelectedKeys& keys) {
    std::string out = "[[tenants]]\n";
    bool have_name = false, have_main = false, have_routes = false, have_vars = false, have_assets = false;
    if (absl::Status st = ReadDevVars(); !st.ok()) return st;
    for (const auto& [key, value_ptr] : keys.entries) {
      const toml::node& value = *value_ptr;
      absl::Status st;
      if (key == "name") {
        have_name = true;
        st = Line("name", value, &out);
      } else if (key == "main") {
        have_main = true;
        st = Main(value, &out);
      } else if (key == "routes" || key == "route") {
        have_routes = true;
        st = Routes(key, value, &out);
      } else if (key == "vars") {
        have_vars = true;
        st = Vars(value, &out);
      } else if (key == "rules" || key == "compatibility_flags") {
        st = Line(key, value, &out);
      } else if (key == "kv_namespaces") {
        st = BindingList(key, value, "id", "kv", &out);
      } else if (key == "services") {
        st = BindingList(key, value, "service", "services", &out);
      } else if (key == "wasm_modules") {
        st = WasmModules(value, &out);
      } else if (key == "durable_objects") {
        st = DurableObjects(value, &out);
      } else if (key == "workflows") {
        st = Workflows(value, &out);
      } else if (key == "d1_databases") {
        st = D1Databases(value, &out);
      } else if (key == "queues") {
        st = WranglerQueuesToToml(value, &out);
        if (!st.ok()) st = absl::InvalidArgumentError(StrCat(label_, ": ", st.message()));
      } else if (key == "r2_buckets") {
        st = WranglerR2ToToml(value, &out);
        if (!st.ok()) st = absl::InvalidArgumentError(StrCat(label_, ": ", st.message()));
      } else if (key == "assets") {
        have_assets = true;
        st = WranglerAssetsToToml(value, dir_, &out);
        if (!st.ok()) st = absl::InvalidArgumentError(StrCat(label_, ": ", st.message()));
      } else if (key == "migrations") {
        // Class migrations: atoll makes an object's database on first use and never renames or
        // deletes classes, so the list is checked for shape only.
        if (!value.is_array()) st = Error(key, "expected an array of tables");
      } else if (key == "triggers") {
        st = Triggers(value, &out);
      } else if (key == "limits") {
        st = Limits(value, &out);
      } else if (key == "dev") {
        if (!value.is_table()) st = Error(key, "expected a table");
      } else if (key == "compatibility_date" || Ignored(key)) {
        continue;
      } else {
        st = Error(key, StrCat("unknown or unsupported key \"", key, "\" (atoll reads: ", kSupportedKeys,
                               "; and ignores: ", kWranglerIgnoredKeys, ")"));
      }
      if (!st.ok()) return st;
    }
    if (!have_name) return Error("name", "missing required key \"name\" (the Worker's name: its tenant name)");
    // A Worker of static assets alone has no `main`.
    if (!have_main && !have_assets) return Error("main", "missing required key \"main\" (the Worker's script)");
    if (!have_routes && default_route_) out += "routes = [\"*/*\"]\n";
    if (!have_vars && !dev_vars_.empty()) {
      if (absl::Status st = Vars(toml::table(), &out); !st.ok()) return st;
    }
    return out;
  }

 private:
  // `.dev.vars` next to the file (wrangler dev's local secrets; `.dev.vars.ENV` instead when it
  // exists and --env ENV is given): KEY=VALUE lines, `#` comments, values optionally in "double"
  // (with \n escapes) or 'single' quotes. They become string vars, over [vars] of the same name,
  // as in wrangler dev.
  absl::Status ReadDevVars() {
    fs::path file = dir_ / ".dev.vars";
    std::error_code ec;
    if (!environment_.empty() && fs::exists(dir_ / StrCat(".dev.vars.", environment_), ec)) {
      file = dir_ / StrCat(".dev.vars.", environment_);
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) return absl::OkStatus();
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
      ++number;
      std::string_view text = line;
      while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
      while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
      if (text.empty() || text.front() == '#') continue;
      if (text.rfind("export ", 0) == 0) text.remove_prefix(7);
      size_t eq = text.find('=');
      if (eq == std::string_view::npos || eq == 0) {
        return absl::InvalidArgumentError(StrCat(file.string(), ":", number, ": expected KEY=VALUE"));
      }
      std::string_view key = text.substr(0, eq);
      while (!key.empty() && key.back() == ' ') key.remove_suffix(1);
      std::string_view raw = text.substr(eq + 1);
      while (!raw.empty() && raw.front() == ' ') raw.remove_prefix(1);
      std::string value;
      if (raw.size() >= 2 && raw.front() == '"' && raw.back() == '"') {
        for (size_t i = 1; i + 1 < raw.size(); ++i) {
          if (raw[i] == '\\' && i + 2 < raw.size()) {
            char e = raw[++i];
            value.push_back(e == 'n' ? '\n' : e == 't' ? '\t' : e);
          } else {
            value.push_back(raw[i]);
          }
        }
      } else if (raw.size() >= 2 && raw.front() == '\'' && raw.back() == '\'') {
        value = std::string(raw.substr(1, raw.size() - 2));
      } else {
        value = std::string(raw);
      }
      dev_vars_.emplace_back(std::string(key), std::move(value));
    }
    return absl::OkStatus();
  }

  // [vars] (any JSON type) with `.dev.vars` over it.
  absl::Status Vars(const toml::node& value, std::string* out) {
    const auto* t = value.as_table();
    if (t == nullptr) return Error("vars", "expected a table");
    out->append("vars = { ");
    bool first = true;
    for (const auto& [k, v] : InOrder(*t)) {
      bool overridden = false;
      for (const auto& dev : dev_vars_) overridden = overridden || dev.first == k;
      if (overridden) continue;
      if (!first) out->append(", ");
      first = false;
      AppendTomlString(k, out);
      out->append(" = ");
      if (absl::Status st = AppendToml(*v, out); !st.ok()) return Error(StrCat("vars.", k), base::ToStd(st.message()));
    }
    for (const auto& [k, v] : dev_vars_) {
      if (!first) out->append(", ");
      first = false;
      AppendTomlString(k, out);
      out->append(" = ");
      AppendTomlString(v, out);
    }
    out->append(" }\n");
    return absl::OkStatus();
  }

  absl::Status Line(std::string_view key, const toml::node& value, std::string* out) {
    AppendTomlString(key, out);
    out->append(" = ");
    if (absl::Status st = AppendToml(value, out); !st.ok()) return Error(key, base::ToStd(st.message()));
    out->push_back('\n');
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> Path(std::string_view key, const toml::node& value) const {
    const auto* s = value.as_string();
    if (s == nullptr || s->get().empty()) return Error(key, "expected a path (a string)");
    fs::path p(s->get());
    if (p.is_relative()) p = dir_ / p;
    return p.lexically_normal().string();
  }

  absl::Status Main(const toml::node& value, std::string* out) {
    absl::StatusOr<std::string> path = Path("main", value);
    if (!path.ok()) return path.status();
    if (absl::Status st = CheckWranglerMain(*path, value.as_string()->get(), label_); !st.ok()) return st;
    out->append("script = ");
    AppendTomlString(*path, out);
    out->push_back('\n');
    return absl::OkStatus();
  }

  absl::Status Routes(std::string_view key, const toml::node& value, std::string* out) {
    std::vector<const toml::node*> items;
    if (const auto* a = value.as_array()) {
      for (const auto& item : *a) items.push_back(&item);
    } else {
      items.push_back(&value);  // `route = "..."`
    }
    out->append("routes = [");
    for (size_t i = 0; i < items.size(); ++i) {
      std::string item_key = StrCat(key, "[", i, "]");
      std::string pattern;
      bool custom_domain = false;
      if (const auto* s = items[i]->as_string()) {
        pattern = s->get();
      } else if (const auto* t = items[i]->as_table()) {
        for (const auto& [field, v] : *t) {
          if (field.str() == "pattern" && v.is_string()) {
            pattern = v.as_string()->get();
          } else if (field.str() == "custom_domain" && v.is_boolean()) {
            custom_domain = v.as_boolean()->get();
          } else if (field.str() != "zone_name" && field.str() != "zone_id") {
            return Error(StrCat(item_key, ".", field.str()), "unknown key (expected pattern, zone_name, zone_id, custom_domain)");
          }
        }
        if (pattern.empty()) return Error(item_key, "missing required key \"pattern\"");
      } else {
        return Error(item_key, "expected a route pattern or {pattern, zone_name}");
      }
      for (std::string_view scheme : {"https://", "http://"}) {
        if (pattern.rfind(scheme, 0) == 0) pattern.erase(0, scheme.size());
      }
      // A custom domain is the whole host; a pattern without a path is the host's every path.
      if (custom_domain || pattern.find('/') == std::string::npos) pattern += "/*";
      if (i > 0) out->append(", ");
      AppendTomlString(pattern, out);
    }
    out->append("]\n");
    return absl::OkStatus();
  }

  // kv_namespaces [{binding, id}] and services [{binding, service}] -> NAME = value.
  absl::Status BindingList(std::string_view key, const toml::node& value, std::string_view field,
                           std::string_view atoll_key, std::string* out) {
    const auto* a = value.as_array();
    if (a == nullptr) return Error(key, StrCat("expected an array of {binding, ", field, "}"));
    out->append(atoll_key);
    out->append(" = { ");
    for (size_t i = 0; i < a->size(); ++i) {
      std::string item_key = StrCat(key, "[", i, "]");
      const auto* t = a->get(i)->as_table();
      if (t == nullptr) return Error(item_key, StrCat("expected {binding, ", field, "}"));
      std::string binding, target, entrypoint;
      for (const auto& [k, v] : *t) {
        std::string_view name = k.str();
        if (name == "binding" && v.is_string()) {
          binding = v.as_string()->get();
        } else if (name == field && v.is_string()) {
          target = v.as_string()->get();
        } else if (name == "entrypoint" && field == "service" && v.is_string()) {
          entrypoint = v.as_string()->get();  // a named export of that Worker (config/env_services.h)
        } else if ((name == "preview_id" && field == "id") || (name == "environment" && field == "service")) {
          continue;  // wrangler dev --remote / deploy-time choices
        } else {
          return Error(StrCat(item_key, ".", name),
                       StrCat("unknown or unsupported key (expected binding and ", field, ", both strings)"));
        }
      }
      if (binding.empty()) return Error(item_key, "missing required key \"binding\"");
      if (target.empty()) return Error(item_key, StrCat("missing required key \"", field, "\""));
      if (field == "id") {
        // A KV namespace id is the atoll namespace's name (data_dir/kv/ID.sqlite3).
        for (char& c : target) c = base::AsciiToLower(c);
        if (!MatchesName(target, /*allow_underscore=*/true)) {
          return Error(StrCat(item_key, ".id"),
                       StrCat("\"", target, "\" cannot name an atoll KV namespace (expected [a-z0-9_-]{1,63})"));
        }
      }
      if (i > 0) out->append(", ");
      AppendTomlString(binding, out);
      out->append(" = ");
      if (entrypoint.empty()) {
        AppendTomlString(target, out);
      } else {
        out->append("{ service = ");
        AppendTomlString(target, out);
        out->append(", entrypoint = ");
        AppendTomlString(entrypoint, out);
        out->append(" }");
      }
    }
    out->append(" }\n");
    return absl::OkStatus();
  }

  // A list of bindings whose items are tables of strings, each table as its fields: those of
  // `read` kept, those of `ignored` accepted and dropped, any other key (or a value that is not a
  // string) refused, saying `expected`. `key` is the list's wrangler key, for errors.
  using Fields = std::map<std::string, std::string, std::less<>>;
  absl::StatusOr<std::vector<Fields>> StringTables(std::string_view key, const toml::array& list,
                                                   std::initializer_list<std::string_view> read,
                                                   std::initializer_list<std::string_view> ignored,
                                                   std::string_view expected) const {
    std::vector<Fields> out;
    for (size_t i = 0; i < list.size(); ++i) {
      std::string item_key = StrCat(key, "[", i, "]");
      const auto* item = list.get(i)->as_table();
      if (item == nullptr) return Error(item_key, StrCat("expected a table (", expected, ")"));
      Fields fields;
      for (const auto& [k, v] : *item) {
        std::string_view field = k.str();
        bool kept = std::find(read.begin(), read.end(), field) != read.end();
        bool dropped = std::find(ignored.begin(), ignored.end(), field) != ignored.end();
        if (!v.is_string() || (!kept && !dropped)) {
          return Error(StrCat(item_key, ".", field), StrCat("unknown or unsupported key (", expected, ")"));
        }
        if (kept) fields.emplace(field, v.as_string()->get());
      }
      out.push_back(std::move(fields));
    }
    return out;
  }

  // The field `name` of list item `i` (of `key`); an error when it is missing or empty.
  absl::StatusOr<std::string> Required(std::string_view key, size_t i, const Fields& fields, std::string_view name) const {
    auto it = fields.find(name);
    if (it == fields.end() || it->second.empty()) return Error(StrCat(key, "[", i, "]"), StrCat("missing required key \"", name, "\""));
    return it->second;
  }

  // `BINDING = "value"` pairs of `fields[binding]` and `fields[value]` as atoll's table `atoll_key`.
  absl::Status SimpleBindings(std::string_view key, const std::vector<Fields>& tables, std::string_view binding,
                              std::string_view value, std::string_view atoll_key, std::string* out) const {
    out->append(StrCat(atoll_key, " = { "));
    for (size_t i = 0; i < tables.size(); ++i) {
      absl::StatusOr<std::string> name = Required(key, i, tables[i], binding);
      if (!name.ok()) return name.status();
      absl::StatusOr<std::string> target = Required(key, i, tables[i], value);
      if (!target.ok()) return target.status();
      if (i > 0) out->append(", ");
      AppendTomlString(*name, out);
      out->append(" = ");
      AppendTomlString(*target, out);
    }
    out->append(" }\n");
    return absl::OkStatus();
  }

  // durable_objects.bindings [{name, class_name}] -> durable_objects = { NAME = "Class" }. A class
  // of another Worker (script_name) is not supported.
  absl::Status DurableObjects(const toml::node& value, std::string* out) {
    const auto* t = value.as_table();
    const toml::array* a = t == nullptr ? nullptr : (*t)["bindings"].as_array();
    if (a == nullptr) return Error("durable_objects", "expected { bindings = [{name, class_name}] }");
    absl::StatusOr<std::vector<Fields>> tables = StringTables(
        "durable_objects.bindings", *a, {"name", "class_name"}, {"environment"},
        "expected name and class_name, both strings; a class of another Worker, script_name, is not supported");
    if (!tables.ok()) return tables.status();
    return SimpleBindings("durable_objects.bindings", *tables, "name", "class_name", "durable_objects", out);
  }

  // workflows [{binding, class_name, name}] -> workflows = { BINDING = "Class" }. The instances
  // are keyed by class (`name` is checked for shape only); a Workflow of another Worker
  // (script_name) is not supported.
  absl::Status Workflows(const toml::node& value, std::string* out) {
    const toml::array* a = value.as_array();
    if (a == nullptr) return Error("workflows", "expected an array of {binding, class_name, name}");
    absl::StatusOr<std::vector<Fields>> tables = StringTables(
        "workflows", *a, {"binding", "class_name"}, {"name"},
        "expected binding, class_name and name, all strings; a Workflow of another Worker, script_name, is not supported");
    if (!tables.ok()) return tables.status();
    return SimpleBindings("workflows", *tables, "binding", "class_name", "workflows", out);
  }

  // d1_databases [{binding, database_name, database_id, migrations_dir, ...}] -> d1 = { BINDING =
  // { database = "name", migrations = "dir" } }: the database is the tenant's, by name
  // (database_id when there is no name); its migrations are migrations_dir's .sql files, or
  // those of "migrations" next to the file when it exists (wrangler's default), applied as
  // `wrangler d1 migrations apply` would (README "D1"). preview_database_id and
  // migrations_table are accepted.
  absl::Status D1Databases(const toml::node& value, std::string* out) {
    const toml::array* a = value.as_array();
    if (a == nullptr) return Error("d1_databases", "expected an array of {binding, database_name, database_id}");
    absl::StatusOr<std::vector<Fields>> tables =
        StringTables("d1_databases", *a, {"binding", "database_name", "database_id", "migrations_dir"},
                     {"preview_database_id", "migrations_table"},
                     "expected binding, database_name, database_id, preview_database_id, migrations_dir, "
                     "migrations_table, all strings");
    if (!tables.ok()) return tables.status();
    out->append("d1 = { ");
    for (size_t i = 0; i < tables->size(); ++i) {
      Fields& fields = (*tables)[i];
      absl::StatusOr<std::string> binding = Required("d1_databases", i, fields, "binding");
      if (!binding.ok()) return binding.status();
      std::string name = fields["database_name"].empty() ? fields["database_id"] : fields["database_name"];
      if (name.empty()) return Error(StrCat("d1_databases[", i, "]"), "missing required key \"database_name\" (or \"database_id\")");
      fs::path migrations = fields["migrations_dir"];
      std::error_code ec;
      if (migrations.empty() && fs::is_directory(dir_ / "migrations", ec)) migrations = "migrations";
      if (i > 0) out->append(", ");
      AppendTomlString(*binding, out);
      out->append(" = { database = ");
      AppendTomlString(name, out);
      if (!migrations.empty()) {
        out->append(", migrations = ");
        AppendTomlString((migrations.is_relative() ? dir_ / migrations : migrations).lexically_normal().string(), out);
      }
      out->append(" }");
    }
    out->append(" }\n");
    return absl::OkStatus();
  }

  absl::Status WasmModules(const toml::node& value, std::string* out) {
    const auto* t = value.as_table();
    if (t == nullptr) return Error("wasm_modules", "expected a table of NAME = \"path.wasm\"");
    out->append("wasm = { ");
    bool first = true;
    for (const auto& [k, v] : InOrder(*t)) {
      absl::StatusOr<std::string> path = Path(StrCat("wasm_modules.", k), *v);
      if (!path.ok()) return path.status();
      if (!first) out->append(", ");
      first = false;
      AppendTomlString(k, out);
      out->append(" = ");
      AppendTomlString(*path, out);
    }
    out->append(" }\n");
    return absl::OkStatus();
  }

  absl::Status Triggers(const toml::node& value, std::string* out) {
    const auto* t = value.as_table();
    if (t == nullptr) return Error("triggers", "expected a table ({crons = [...]})");
    for (const auto& [k, v] : *t) {
      if (k.str() != "crons") return Error(StrCat("triggers.", k.str()), "unknown key (expected crons)");
    }
    return Line("triggers", value, out);
  }

  absl::Status Limits(const toml::node& value, std::string* out) {
    const auto* t = value.as_table();
    if (t == nullptr) return Error("limits", "expected a table ({cpu_ms = N})");
    for (const auto& [k, v] : *t) {
      if (k.str() != "cpu_ms") return Error(StrCat("limits.", k.str()), "unknown key (expected cpu_ms)");
      if (absl::Status st = Line("cpu_ms", v, out); !st.ok()) return st;
    }
    return absl::OkStatus();
  }

  fs::path dir_;
  std::string label_;
  bool default_route_;
  std::string environment_;  // --env: which .dev.vars file
  std::vector<std::pair<std::string, std::string>> dev_vars_;  // .dev.vars, in file order
};

// "tenants[i].kv.X: ..." from the config parser, said in the wrangler file's terms.
std::string ParserErrorInWranglerTerms(std::string_view message, const std::vector<std::string>& labels) {
  size_t at = message.find(": tenants[");
  if (at == std::string_view::npos) return StrCat(labels.front(), ": ", message);
  size_t index_start = at + 10;
  size_t index_end = message.find(']', index_start);
  uint32_t index = 0;
  if (index_end == std::string_view::npos || !base::ParseUnsigned(message.substr(index_start, index_end - index_start), &index) ||
      index >= labels.size()) {
    return std::string(message);
  }
  std::string_view rest = message.substr(index_end + 1);
  if (!rest.empty() && rest[0] == '.') rest.remove_prefix(1);
  std::string key(rest);
  for (auto [from, to] : {std::pair<std::string_view, std::string_view>{"kv.", "kv_namespaces (binding "},
                          {"wasm.", "wasm_modules."}, {"script", "main"}, {"services.", "services (binding "},
                          {"durable_objects.", "durable_objects.bindings (name "},
                          {"workflows.", "workflows (binding "}, {"d1.", "d1_databases (binding "},
                          {"queues.", "queues.producers (binding "}, {"queue_consumers.", "queues.consumers (queue "},
                          {"r2.", "r2_buckets (binding "}}) {
    if (key.rfind(from, 0) == 0) {
      std::string tail = key.substr(from.size());
      bool binding = to.back() == ' ';
      if (binding) {
        size_t colon = tail.find(':');
        key = StrCat(to, tail.substr(0, colon), ")", colon == std::string::npos ? "" : tail.substr(colon));
      } else {
        key = StrCat(to, tail);
      }
      break;
    }
  }
  return StrCat(labels[index], ": ", key);
}

}  // namespace

const char* const kWranglerIgnoredKeys =
    "$schema, account_id, workers_dev, preview_urls, send_metrics, minify, keep_names, keep_vars, logpush, "
    "observability, placement, tail_consumers, upload_source_maps, usage_model, no_bundle, "
    "first_party_worker, send_email";

absl::StatusOr<std::string> WranglerToToml(const std::vector<fs::path>& files, std::string_view environment) {
  // A wrangler project runs like `wrangler dev`: one process; state in .wrangler/ of the first
  // project's folder (wrangler keeps its own in .wrangler/state).
  std::string toml = "[server]\nworkers = 1\ndata_dir = ";
  AppendTomlString((fs::absolute(files.front()).parent_path() / ".wrangler" / "atoll").lexically_normal().string(), &toml);
  toml += "\n";
  for (size_t i = 0; i < files.size(); ++i) {
    std::string label = files[i].string();
    absl::StatusOr<toml::table> table = ReadWrangler(files[i], label);
    if (!table.ok()) return table.status();
    absl::StatusOr<SelectedKeys> keys = SelectEnvironment(*table, environment, label);
    if (!keys.ok()) return keys.status();
    if (i == 0) {
      absl::StatusOr<std::string> listen = DevListen(*table, label);
      if (!listen.ok()) return listen.status();
      toml += "listen = ";
      AppendTomlString(*listen, &toml);
      toml += "\n";
    }
    absl::StatusOr<std::string> tenant = TenantWriter(fs::absolute(files[i]), label, i == 0, environment).Convert(*keys);
    if (!tenant.ok()) return tenant.status();
    toml += *tenant;
  }
  return toml;
}

absl::StatusOr<Config> LoadWranglerFiles(const std::vector<std::string>& files, const EnvLookup& env,
                                         std::string_view environment) {
  if (files.empty()) return absl::InvalidArgumentError("no wrangler file given");
  std::vector<fs::path> paths(files.begin(), files.end());
  absl::StatusOr<std::string> toml = WranglerToToml(paths, environment);
  if (!toml.ok()) return toml.status();
  fs::path first = fs::absolute(paths.front());
  absl::StatusOr<Config> config = ParseConfig(*toml, first, env);
  if (!config.ok()) {
    return absl::Status(config.status().code(), ParserErrorInWranglerTerms(base::ToStd(config.status().message()), files));
  }
  config->path = first;
  return config;
}

}  // namespace atl::config
