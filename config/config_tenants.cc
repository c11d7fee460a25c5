#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "base/strings.h"
#include "config/config_parser.h"
#include "config/cron.h"
#include "config/names.h"

// [[tenants]]: each tenant's keys, its routes, outbound hosts and env bindings (one table per
// kind of config/env_binding.h).

namespace atl::config {
namespace internal {

// Checks an outbound host pattern (`host`, `*.host`, `host:port`, IPv4, `[v6]:port`) and
// returns it lower-cased; the error message is only the reason.
absl::StatusOr<std::string> CanonicalOutbound(std::string_view text) {
  auto bad = [](std::string_view why) { return absl::InvalidArgumentError(std::string(why)); };
  std::string s;
  for (char c : text) s.push_back(base::AsciiToLower(c));
  std::string_view host = s;
  std::string_view port;
  bool has_port = false;
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    if (close == std::string_view::npos) return bad("missing ']' after the IPv6 address");
    std::string v6(host.substr(1, close - 1));
    unsigned char buf[16];
    if (inet_pton(AF_INET6, v6.c_str(), buf) != 1) return bad("not a valid IPv6 address");
    std::string_view rest = host.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad("expected [IPv6]:PORT");
      port = rest.substr(1);
      has_port = true;
    }
  } else {
    size_t colon = host.find(':');
    if (colon != std::string_view::npos) {
      if (host.find(':', colon + 1) != std::string_view::npos) {
        return bad("an IPv6 address must be written in brackets, e.g. \"[::1]:443\"");
      }
      port = host.substr(colon + 1);
      host = host.substr(0, colon);
      has_port = true;
    }
    std::string_view name = host;
    if (name.size() >= 2 && name.substr(0, 2) == "*.") name.remove_prefix(2);
    if (name.empty()) return bad("the host is empty");
    if (name.size() > 253) return bad("the host is longer than 253 characters");
    bool numeric = true;
    size_t label = 0;
    for (size_t i = 0; i <= name.size(); ++i) {
      if (i == name.size() || name[i] == '.') {
        if (label == 0) return bad("the host has an empty label");
        label = 0;
        continue;
      }
      char c = name[i];
      if (c == '*') return bad("'*' may only appear as a \"*.\" prefix");
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
        return bad(StrCat("the host may contain only letters, digits, '-' and '.', not '", c, "'"));
      }
      if (++label > 63) return bad("a host label is longer than 63 characters");
      if (c < '0' || c > '9') numeric = false;
    }
    if (numeric) {
      unsigned char buf[4];
      if (name.size() != host.size() || inet_pton(AF_INET, std::string(name).c_str(), buf) != 1) {
        return bad("not a valid IPv4 address");
      }
    }
  }
  if (has_port) {
    uint32_t value;
    if (!base::ParseUnsigned(port, &value) || value == 0 || value > 65535) return bad("the port must be 1-65535");
  }
  return s;
}

// A TOML value as JSON text (for vars that are not strings); the error message is the reason.
absl::Status TomlToJson(const toml::node& n, std::string* out, int depth) {
  if (depth > 32) return absl::InvalidArgumentError("nested too deeply");
  if (const auto* s = n.as_string()) {
    out->push_back('"');
    for (unsigned char c : s->get()) {
      if (c == '"' || c == '\\') {
        out->push_back('\\');
        out->push_back(static_cast<char>(c));
      } else if (c < 0x20 || c == 0x7f) {
        char buffer[8];
        std::snprintf(buffer, sizeof(buffer), "\\u%04x", c);
        out->append(buffer);
      } else {
        out->push_back(static_cast<char>(c));
      }
    }
    out->push_back('"');
  } else if (const auto* i = n.as_integer()) {
    out->append(std::to_string(i->get()));
  } else if (const auto* f = n.as_floating_point()) {
    double v = f->get();
    if (!std::isfinite(v)) return absl::InvalidArgumentError("a value that is not a finite number has no JSON form");
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%.17g", v);
    out->append(buffer);
  } else if (const auto* b = n.as_boolean()) {
    out->append(b->get() ? "true" : "false");
  } else if (const auto* a = n.as_array()) {
    out->push_back('[');
    for (size_t k = 0; k < a->size(); ++k) {
      if (k > 0) out->push_back(',');
      if (absl::Status st = TomlToJson(*a->get(k), out, depth + 1); !st.ok()) return st;
    }
    out->push_back(']');
  } else if (const auto* t = n.as_table()) {
    out->push_back('{');
    bool first = true;
    for (const Entry& e : Entries(*t)) {
      if (!first) out->push_back(',');
      first = false;
      toml::value<std::string> key{std::string(e.key)};
      if (absl::Status st = TomlToJson(key, out, depth + 1); !st.ok()) return st;
      out->push_back(':');
      if (absl::Status st = TomlToJson(*e.value, out, depth + 1); !st.ok()) return st;
    }
    out->push_back('}');
  } else {
    return absl::InvalidArgumentError(StrCat("a var may be a string, number, boolean, array or table, not ", TypeName(n.type())));
  }
  return absl::OkStatus();
}

// The binding tables come from EnvBindingKinds().
const std::string kTenantKeys =
    StrCat("name, script, routes, memory_mb, cpu_ms, wall_ms, subrequests, wait_until_ms, max_request_body, context, isolation, cache_mb, max_websockets, ",
           EnvBindingKeys(), ", outbound, compatibility_flags, triggers, rules, assets");

absl::Status ConfigParser::ParseTenants(const toml::node& n, const toml::source_region& parent, Config* out) {
  const std::string path = "tenants";
  const toml::array* array = n.as_array();
  if (array == nullptr) return WrongType(n, parent, path, "an array of tables ([[tenants]])");
  for (const toml::node& item : *array) {
    if (const toml::table* t = item.as_table()) {
      if (const toml::node* name = t->get("name"); name != nullptr && name->is_string()) {
        all_tenant_names_.insert(name->as_string()->get());
      }
    }
  }
  out->tenants.reserve(array->size());
  const toml::source_region& here = Where(n, parent);
  for (size_t i = 0; i < array->size(); ++i) {
    const toml::node& item = *array->get(i);
    std::string item_path = Index(path, i);
    const toml::table* t = item.as_table();
    if (t == nullptr) return WrongType(item, here, item_path, "a table");
    TenantConfig tenant;
    if (absl::Status s = ParseTenant(*t, item_path, out->defaults, &tenant); !s.ok()) return s;
    out->tenants.push_back(std::move(tenant));
  }
  return absl::OkStatus();
}

absl::Status ConfigParser::ClaimBinding(const Entry& e, const toml::source_region& where, std::string_view path) {
  if (!IsBindingName(e.key)) {
    return Error(where, path, StrCat("binding name \"", e.key, "\" is not valid (1-255 bytes, no control characters, not __proto__)"));
  }
  auto [it, inserted] = bindings_.emplace(std::string(e.key), std::string(path));
  if (!inserted) return Error(where, path, StrCat("binding name \"", e.key, "\" is already used by ", it->second));
  return absl::OkStatus();
}

absl::Status ConfigParser::ParseBindings(
    const toml::node& n, const toml::source_region& parent, std::string_view path,
    const std::function<absl::Status(const Entry&, std::string_view, const toml::source_region&)>& each) {
  const toml::table* table = Table(n);
  if (table == nullptr) return WrongType(n, parent, path, "a table");
  const toml::source_region& here = Where(n, parent);
  for (const Entry& e : Entries(*table)) {
    std::string key_path = Join(path, e.key);
    const toml::source_region& where = Where(*e.value, e.key_node->source().begin.line ? e.key_node->source() : here);
    if (absl::Status s = ClaimBinding(e, where, key_path); !s.ok()) return s;
    if (absl::Status s = each(e, key_path, where); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// An env binding's value for its kind's parser (env_binding.h): the TOML node, where it is and
// its key path.
class TomlEnvValue : public EnvValue {
 public:
  TomlEnvValue(const ConfigParser& parser, const toml::node& node, const toml::source_region& where, std::string path)
      : parser_(parser), node_(node), where_(where), path_(std::move(path)) {}

  absl::StatusOr<std::string> String() const override {
    absl::StatusOr<std::string_view> s = parser_.String(node_, where_, path_);
    if (!s.ok()) return s.status();
    return std::string(*s);
  }
  bool IsString() const override { return node_.is_string(); }
  absl::StatusOr<std::string> Json() const override {
    std::string out;
    if (absl::Status st = TomlToJson(node_, &out, 0); !st.ok()) return parser_.Error(where_, path_, base::ToStd(st.message()));
    return out;
  }
  absl::StatusOr<fs::path> ExistingFile() const override {
    return parser_.FilePath(node_, where_, path_, /*must_exist=*/true);
  }
  absl::StatusOr<std::unique_ptr<EnvValue>> OnlyField(std::string_view key, std::string_view expected) const override {
    const toml::table* table = node_.as_table();
    if (table == nullptr) return parser_.WrongType(node_, where_, path_, expected);
    const Entry* found = nullptr;
    std::vector<Entry> entries = Entries(*table);
    for (const Entry& field : entries) {
      if (field.key != key) return parser_.Unknown(field, where_, path_, key);
      found = &field;
    }
    if (found == nullptr) return parser_.Error(where_, path_, StrCat("missing required key \"", key, "\""));
    return std::unique_ptr<EnvValue>(
        new TomlEnvValue(parser_, *found->value, Where(*found->value, where_), Join(path_, found->key)));
  }
  absl::Status Error(std::string_view message) const override { return parser_.Error(where_, path_, message); }

 private:
  const ConfigParser& parser_;
  const toml::node& node_;
  const toml::source_region& where_;
  std::string path_;
};

absl::Status ConfigParser::ParseEnvBindings(const EnvBindingKind& kind, const toml::node& n,
                                            const toml::source_region& parent, std::string_view path,
                                            TenantConfig* out) {
  EnvParseContext context{&env_, admin_token_env_, &all_tenant_names_, base_dir_, {}};
  return ParseBindings(n, parent, path, [&](const Entry& b, std::string_view p, const toml::source_region& w) {
    TomlEnvValue entry(*this, *b.value, w, std::string(p));
    if (kind.any_json && !entry.IsString()) {
      absl::StatusOr<std::string> json = entry.Json();
      if (!json.ok()) return json.status();
      out->env.push_back({std::string(kind.key), std::string(b.key), *std::move(json), /*json=*/true});
      return absl::OkStatus();
    }
    context.name = b.key;
    absl::StatusOr<std::string> value = kind.parse(TomlEnvValue(*this, *b.value, w, std::string(p)), context);
    if (!value.ok()) return value.status();
    out->env.push_back({std::string(kind.key), std::string(b.key), *std::move(value)});
    return absl::OkStatus();
  });
}

absl::Status ConfigParser::ParseTenant(const toml::table& t, std::string_view path, const TenantSettings& defaults,
                                       TenantConfig* out) {
  const toml::source_region& here = t.source();
  out->settings = defaults;
  bindings_.clear();
  bool have_name = false, have_script = false;
  for (const Entry& e : Entries(t)) {
    std::string key_path = Join(path, e.key);
    const toml::node& v = *e.value;
    const toml::source_region& where = Where(v, here);
    if (e.key == "name") {
      absl::StatusOr<std::string_view> name = String(v, here, key_path);
      if (!name.ok()) return name.status();
      if (!MatchesName(*name, /*allow_underscore=*/false)) {
        return Error(where, key_path, StrCat("tenant name \"", *name, "\" must match [a-z0-9-]{1,63}"));
      }
      auto [it, inserted] =
          seen_names_.emplace(std::string(*name), StrCat(key_path, " (line ", where.begin.line, ")"));
      if (!inserted) return Error(where, key_path, StrCat("duplicate tenant name \"", *name, "\", also at ", it->second));
      out->name = std::string(*name);
      have_name = true;
    } else if (e.key == "script") {
      absl::StatusOr<fs::path> script = FilePath(v, here, key_path, /*must_exist=*/true);
      if (!script.ok()) return script.status();
      out->script = *std::move(script);
      have_script = true;
    } else if (e.key == "routes") {
      const toml::array* routes = v.as_array();
      if (routes == nullptr) return WrongType(v, here, key_path, "an array of route patterns");
      for (size_t i = 0; i < routes->size(); ++i) {
        const toml::node& item = *routes->get(i);
        std::string item_path = Index(key_path, i);
        absl::StatusOr<std::string_view> text = String(item, where, item_path);
        if (!text.ok()) return text.status();
        const toml::source_region& item_where = Where(item, where);
        absl::StatusOr<RoutePattern> pattern = ParseRoutePattern(*text);
        if (!pattern.ok()) return Error(item_where, item_path, base::ToStd(pattern.status().message()));
        auto [it, inserted] = seen_routes_.emplace(pattern->ToString(),
                                                   StrCat(item_path, " (line ", item_where.begin.line, ")"));
        if (!inserted) {
          return Error(item_where, item_path,
                       StrCat("route \"", pattern->ToString(), "\" conflicts with the same route at ", it->second));
        }
        out->routes.push_back(*std::move(pattern));
      }
    } else if (const EnvBindingKind* kind = FindEnvBindingKind(e.key)) {
      if (absl::Status st = ParseEnvBindings(*kind, v, here, key_path, out); !st.ok()) return st;
    } else if (e.key == "outbound") {
      const toml::array* hosts = v.as_array();
      if (hosts == nullptr) return WrongType(v, here, key_path, "an array of host patterns");
      for (size_t i = 0; i < hosts->size(); ++i) {
        const toml::node& item = *hosts->get(i);
        std::string item_path = Index(key_path, i);
        absl::StatusOr<std::string_view> text = String(item, where, item_path);
        if (!text.ok()) return text.status();
        absl::StatusOr<std::string> host = CanonicalOutbound(*text);
        if (!host.ok()) {
          return Error(Where(item, where), item_path,
                       StrCat("invalid outbound host \"", *text, "\": ", base::ToStd(host.status().message()),
                              " (expected host, *.host, host:port, an IPv4 address or [IPv6]:port)"));
        }
        out->outbound.push_back(*std::move(host));
      }
    } else if (e.key == "compatibility_flags") {
      const toml::array* flags = v.as_array();
      if (flags == nullptr) return WrongType(v, here, key_path, "an array of flag names");
      for (size_t i = 0; i < flags->size(); ++i) {
        const toml::node& item = *flags->get(i);
        std::string item_path = Index(key_path, i);
        absl::StatusOr<std::string_view> flag = String(item, where, item_path);
        if (!flag.ok()) return flag.status();
        // Workers has hundreds of flags, most about behaviour atoll always has; any well-formed
        // name is accepted so that a project runs unchanged (README lists those with an effect).
        if (flag->empty() || !std::all_of(flag->begin(), flag->end(), [](char c) {
              return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
            })) {
          return Error(Where(item, where), item_path,
                       StrCat("invalid compatibility flag \"", *flag, "\" (expected a name like nodejs_compat)"));
        }
        out->compatibility_flags.emplace_back(*flag);
      }
    } else if (e.key == "rules") {
      if (absl::Status st = ParseModuleRules(v, here, key_path, &out->rules); !st.ok()) return st;
    } else if (e.key == "assets") {
      out->assets.emplace();
      if (absl::Status st = ParseAssets(v, here, key_path, &*out->assets); !st.ok()) return st;
      // env.BINDING is an env binding of its own kind (bindings/env_assets.h), made from the folder.
      if (!out->assets->binding.empty()) out->env.push_back({"assets", out->assets->binding, ""});
    } else if (e.key == "triggers") {
      const toml::table* triggers = v.as_table();
      if (triggers == nullptr) return WrongType(v, here, key_path, "a table ([tenants.triggers] crons = [...])");
      for (const Entry& t_entry : Entries(*triggers)) {
        std::string crons_path = Join(key_path, t_entry.key);
        if (t_entry.key != "crons") return Unknown(t_entry, where, key_path, "crons");
        const toml::array* crons = t_entry.value->as_array();
        const toml::source_region& crons_where = Where(*t_entry.value, where);
        if (crons == nullptr) return WrongType(*t_entry.value, where, crons_path, "an array of cron expressions");
        for (size_t i = 0; i < crons->size(); ++i) {
          const toml::node& item = *crons->get(i);
          std::string item_path = Index(crons_path, i);
          absl::StatusOr<std::string_view> text = String(item, crons_where, item_path);
          if (!text.ok()) return text.status();
          absl::StatusOr<CronSchedule> cron = ParseCron(*text);
          if (!cron.ok()) return Error(Where(item, crons_where), item_path, base::ToStd(cron.status().message()));
          out->crons.emplace_back(*text);
        }
      }
    } else {
      bool handled;
      if (absl::Status s = ParseSetting(e, here, path, &out->settings, &handled); !s.ok()) return s;
      if (!handled) return Unknown(e, here, path, kTenantKeys);
    }
  }
  if (!have_name) return Error(here, path, "missing required key \"name\"");
  // A tenant of static assets alone has no Worker (wrangler's [assets] without `main`).
  if (!have_script && !out->assets) return Error(here, path, "missing required key \"script\" (or \"assets\")");
  if (!have_script && !out->crons.empty()) return Error(here, path, "triggers need a script");
  return absl::OkStatus();
}

}  // namespace internal

std::vector<NamedValue> TenantConfig::Bindings(std::string_view kind) const {
  std::vector<NamedValue> out;
  for (const EnvBinding& binding : env) {
    if (binding.kind == kind) out.emplace_back(binding.name, binding.value);
  }
  return out;
}

}  // namespace atl::config
