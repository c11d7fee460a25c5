#pragma once
// The config parser's inside, shared by config.cc (the file, [server], [defaults]) and
// config_tenants.cc ([[tenants]] and their env bindings); nobody else includes it (it brings in
// toml++). Use config.h.

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "absl/status/statusor.h"
#include "base/strings.h"
#include "config/config.h"
#include "config/env_binding.h"

// toml++ is used header-only and without exceptions: toml::parse returns a toml::parse_result.
#define TOML_EXCEPTIONS 0
#define TOML_ENABLE_FORMATTERS 0
#include <toml++/toml.h>

namespace atl::config::internal {

namespace fs = std::filesystem;
using base::StrCat;

// Where an error points: the node's own position, else its parent's.
const toml::source_region& Where(const toml::node& node, const toml::source_region& parent);
// "a table", "an integer", ... for "expected X, got Y".
const char* TypeName(toml::node_type type);
// "tenants[0]" + "vars" -> "tenants[0].vars"; keys that are not bare TOML keys are quoted.
std::string Join(std::string_view parent, std::string_view key);
// "tenants" + 0 -> "tenants[0]".
std::string Index(std::string_view parent, size_t i);

// The entries of a table in file order (toml::table itself is ordered by key).
struct Entry {
  std::string_view key;
  const toml::key* key_node;
  const toml::node* value;
};
std::vector<Entry> Entries(const toml::table& table);

// Checks an outbound host pattern (`host`, `*.host`, `host:port`, IPv4, `[v6]:port`) and
// returns it lower-cased; the error message is only the reason (config_tenants.cc).
absl::StatusOr<std::string> CanonicalOutbound(std::string_view text);

// Walks the parsed TOML document and builds a Config; stops at the first error. The file-wide
// parts ([server], [defaults]) are in config.cc, the tenants and their bindings in
// config_tenants.cc.
class ConfigParser {
 public:
  ConfigParser(std::string file_label, fs::path base_dir, const EnvLookup& env)
      : file_(std::move(file_label)), base_dir_(std::move(base_dir)), env_(env) {}

  absl::StatusOr<Config> Parse(const toml::table& root);

 private:
  absl::Status Error(const toml::source_region& where, std::string_view path, std::string_view message) const {
    return absl::InvalidArgumentError(
        StrCat(file_, ":", where.begin.line, ":", where.begin.column, ": ", path, ": ", message));
  }
  absl::Status Unknown(const Entry& e, const toml::source_region& parent, std::string_view path,
                       std::string_view expected) const {
    const toml::source_region& where = e.key_node->source().begin.line ? e.key_node->source() : Where(*e.value, parent);
    return Error(where, Join(path, e.key),
                 StrCat("unknown key \"", e.key, "\" (expected one of: ", expected, ")"));
  }
  absl::Status WrongType(const toml::node& n, const toml::source_region& parent, std::string_view path,
                         std::string_view expected) const {
    return Error(Where(n, parent), path, StrCat("expected ", expected, ", got ", TypeName(n.type())));
  }

  absl::StatusOr<std::string_view> String(const toml::node& n, const toml::source_region& parent,
                                          std::string_view path) const {
    if (const auto* s = n.as_string()) return std::string_view(s->get());
    return WrongType(n, parent, path, "a string");
  }
  absl::StatusOr<int64_t> Integer(const toml::node& n, const toml::source_region& parent, std::string_view path,
                                  int64_t min, int64_t max) const {
    const auto* i = n.as_integer();
    if (i == nullptr) return WrongType(n, parent, path, "an integer");
    int64_t v = i->get();
    if (v < min || v > max) return Error(Where(n, parent), path, StrCat("must be between ", min, " and ", max, ", got ", v));
    return v;
  }
  const toml::table* Table(const toml::node& n) const { return n.as_table(); }

  // Resolves a path against the config folder; `must_exist` requires a regular file there.
  absl::StatusOr<fs::path> FilePath(const toml::node& n, const toml::source_region& parent, std::string_view path,
                                    bool must_exist) const;

  absl::Status ParseServer(const toml::node& n, const toml::source_region& parent, ServerConfig* out);
  absl::Status ParseCluster(const toml::node& n, const toml::source_region& parent, ClusterConfig* out);
  absl::Status ParseListen(const toml::node& n, const toml::source_region& parent, std::string_view path,
                           std::vector<ListenAddress>* out);
  absl::Status ParseTls(const toml::node& n, const toml::source_region& parent, std::string_view path,
                        TlsConfig* out);
  absl::Status ParseTlsCertificates(const toml::node& n, const toml::source_region& parent, std::string_view path,
                                    std::vector<TlsCertificate>* out) const;
  // Parses one [defaults] key into `out`; *handled is false when `key` is not one.
  absl::Status ParseSetting(const Entry& e, const toml::source_region& parent, std::string_view path,
                            TenantSettings* out, bool* handled) const;
  absl::Status ParseDefaults(const toml::node& n, const toml::source_region& parent, TenantSettings* out);
  absl::Status ParseTenants(const toml::node& n, const toml::source_region& parent, Config* out);
  absl::Status ParseTenant(const toml::table& t, std::string_view path, const TenantSettings& defaults,
                           TenantConfig* out);
  // The `[tenants.KIND]` table of one env binding kind, each entry parsed by the kind's parser
  // (env_binding.h) and appended to out->env.
  absl::Status ParseEnvBindings(const EnvBindingKind& kind, const toml::node& n, const toml::source_region& parent,
                                std::string_view path, TenantConfig* out);
  // A table of NAME = value bindings; `each` checks one value.
  absl::Status ParseBindings(const toml::node& n, const toml::source_region& parent, std::string_view path,
                             const std::function<absl::Status(const Entry&, std::string_view value_path,
                                                              const toml::source_region& where)>& each);
  // The tenant key `rules`: wrangler's module rules (module_rules.h), in config_rules.cc.
  absl::Status ParseModuleRules(const toml::node& n, const toml::source_region& parent, std::string_view path,
                                std::vector<ModuleRule>* out) const;
  absl::Status ClaimBinding(const Entry& e, const toml::source_region& where, std::string_view path);
  // The tenant key `assets` (assets_config.h), in config_assets.cc; claims its binding's name.
  absl::Status ParseAssets(const toml::node& n, const toml::source_region& parent, std::string_view path,
                           AssetsConfig* out);

  friend class TomlEnvValue;

  std::string file_;
  fs::path base_dir_;
  const EnvLookup& env_;
  std::string admin_token_env_;  // [server] admin_token_env: refused as a tenant's secret

  // Every tenant name in the file (for `services`), collected before the main pass.
  std::unordered_set<std::string> all_tenant_names_;
  // Tenant name -> the key path and line that defined it first.
  std::unordered_map<std::string, std::string> seen_names_;
  // Canonical route -> the key path and line that claimed it first.
  std::unordered_map<std::string, std::string> seen_routes_;
  // Binding names of the tenant being parsed -> the key path that defined them.
  std::unordered_map<std::string, std::string> bindings_;
};

}  // namespace atl::config::internal
