#include "config/config.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <system_error>
#include <unordered_map>
#include <unordered_set>

#include "base/files.h"
#include "base/strings.h"
#include "config/byte_size.h"

// toml++ is used header-only and without exceptions: toml::parse returns a toml::parse_result.
#define TOML_EXCEPTIONS 0
#define TOML_ENABLE_FORMATTERS 0
#include <toml++/toml.h>

namespace atl::config {
namespace {

namespace fs = std::filesystem;
using base::StrCat;

// Where an error points: the node's own position, else its parent's.
const toml::source_region& Where(const toml::node& node, const toml::source_region& parent) {
  return node.source().begin.line != 0 ? node.source() : parent;
}

const char* TypeName(toml::node_type type) {
  switch (type) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    default: return "nothing";
  }
}

bool IsBareKey(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// "tenants[0]" + "vars" -> "tenants[0].vars"; keys that are not bare TOML keys are quoted.
std::string Join(std::string_view parent, std::string_view key) {
  std::string k = IsBareKey(key) ? std::string(key) : StrCat("\"", key, "\"");
  return parent.empty() ? k : StrCat(parent, ".", k);
}

std::string Index(std::string_view parent, size_t i) { return StrCat(parent, "[", i, "]"); }

// The entries of a table in file order (toml::table itself is ordered by key).
struct Entry {
  std::string_view key;
  const toml::key* key_node;
  const toml::node* value;
};

std::vector<Entry> Entries(const toml::table& table) {
  std::vector<Entry> out;
  out.reserve(table.size());
  for (const auto& [key, value] : table) out.push_back({key.str(), &key, &value});
  std::stable_sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) {
    const auto& pa = a.key_node->source().begin;
    const auto& pb = b.key_node->source().begin;
    return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
  });
  return out;
}

bool MatchesName(std::string_view s, bool allow_underscore) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || (allow_underscore && c == '_');
    if (!ok) return false;
  }
  return true;
}

// A binding name becomes a property of `env`: a JavaScript identifier (as Wrangler requires).
bool IsBindingName(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool IsEnvName(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

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

// Walks the parsed TOML document and builds a Config; stops at the first error.
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
  absl::Status ParseListen(const toml::node& n, const toml::source_region& parent, std::string_view path,
                           std::vector<ListenAddress>* out);
  absl::Status ParseTls(const toml::node& n, const toml::source_region& parent, std::string_view path,
                        TlsConfig* out);
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
  absl::Status ClaimBinding(const Entry& e, const toml::source_region& where, std::string_view path);

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

constexpr std::string_view kTopKeys = "server, defaults, tenants";
constexpr std::string_view kServerKeys =
    "listen, workers, admin_listen, admin_token_env, data_dir, max_isolates, drain_ms, max_connections, tls";
constexpr std::string_view kTlsKeys = "cert, key";
constexpr std::string_view kDefaultsKeys = "memory_mb, cpu_ms, wall_ms, subrequests, wait_until_ms, max_request_body, context";
// The binding tables come from EnvBindingKinds().
const std::string kTenantKeys =
    StrCat("name, script, routes, memory_mb, cpu_ms, wall_ms, subrequests, wait_until_ms, max_request_body, context, ",
           EnvBindingKeys(), ", outbound");

absl::StatusOr<Config> ConfigParser::Parse(const toml::table& root) {
  Config config;
  const toml::source_region& top = root.source();
  const toml::node* server = nullptr;
  const toml::node* defaults = nullptr;
  const toml::node* tenants = nullptr;
  for (const Entry& e : Entries(root)) {
    if (e.key == "server") server = e.value;
    else if (e.key == "defaults") defaults = e.value;
    else if (e.key == "tenants") tenants = e.value;
    else return Unknown(e, top, "", kTopKeys);
  }
  if (server != nullptr) {
    if (absl::Status s = ParseServer(*server, top, &config.server); !s.ok()) return s;
  }
  admin_token_env_ = config.server.admin_token_env;
  if (config.server.listen.empty()) config.server.listen.push_back(*ParseListenAddress("127.0.0.1:8080"));
  if (config.server.data_dir.empty()) config.server.data_dir = (base_dir_ / "atoll-data").lexically_normal();
  if (defaults != nullptr) {
    if (absl::Status s = ParseDefaults(*defaults, top, &config.defaults); !s.ok()) return s;
  }
  if (tenants != nullptr) {
    if (absl::Status s = ParseTenants(*tenants, top, &config); !s.ok()) return s;
  }
  return config;
}

absl::StatusOr<fs::path> ConfigParser::FilePath(const toml::node& n, const toml::source_region& parent,
                                                std::string_view path, bool must_exist) const {
  absl::StatusOr<std::string_view> text = String(n, parent, path);
  if (!text.ok()) return text.status();
  if (text->empty()) return Error(Where(n, parent), path, "the path is empty");
  fs::path p(*text);
  if (p.is_relative()) p = base_dir_ / p;
  p = p.lexically_normal();
  if (must_exist) {
    std::error_code ec;
    fs::file_status st = fs::status(p, ec);
    if (ec || !fs::exists(st)) return Error(Where(n, parent), path, StrCat("file \"", p.string(), "\" does not exist"));
    if (!fs::is_regular_file(st)) {
      return Error(Where(n, parent), path, StrCat("\"", p.string(), "\" is not a regular file"));
    }
  }
  return p;
}

absl::Status ConfigParser::ParseListen(const toml::node& n, const toml::source_region& parent, std::string_view path,
                                       std::vector<ListenAddress>* out) {
  auto one = [&](const toml::node& item, const toml::source_region& item_parent,
                 const std::string& item_path) -> absl::Status {
    absl::StatusOr<std::string_view> text = String(item, item_parent, item_path);
    if (!text.ok()) return text.status();
    absl::StatusOr<ListenAddress> address = ParseListenAddress(*text);
    if (!address.ok()) return Error(Where(item, item_parent), item_path, base::ToStd(address.status().message()));
    for (const ListenAddress& other : *out) {
      if (other.ToString() == address->ToString()) {
        return Error(Where(item, item_parent), item_path, StrCat("address ", address->ToString(), " is listed twice"));
      }
    }
    out->push_back(*std::move(address));
    return absl::OkStatus();
  };
  if (n.is_string()) return one(n, parent, std::string(path));
  const toml::array* array = n.as_array();
  if (array == nullptr) return WrongType(n, parent, path, "a string or an array of strings");
  if (array->empty()) return Error(Where(n, parent), path, "at least one address is required");
  for (size_t i = 0; i < array->size(); ++i) {
    if (absl::Status s = one(*array->get(i), Where(n, parent), Index(path, i)); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ConfigParser::ParseTls(const toml::node& n, const toml::source_region& parent, std::string_view path,
                                    TlsConfig* out) {
  const toml::table* table = Table(n);
  if (table == nullptr) return WrongType(n, parent, path, "a table");
  const toml::source_region& here = Where(n, parent);
  bool have_cert = false, have_key = false;
  for (const Entry& e : Entries(*table)) {
    std::string key_path = Join(path, e.key);
    if (e.key == "cert" || e.key == "key") {
      absl::StatusOr<fs::path> p = FilePath(*e.value, here, key_path, /*must_exist=*/true);
      if (!p.ok()) return p.status();
      (e.key == "cert" ? out->cert : out->key) = *std::move(p);
      (e.key == "cert" ? have_cert : have_key) = true;
    } else {
      return Unknown(e, here, path, kTlsKeys);
    }
  }
  if (!have_cert) return Error(here, path, "missing required key \"cert\"");
  if (!have_key) return Error(here, path, "missing required key \"key\"");
  return absl::OkStatus();
}

absl::Status ConfigParser::ParseServer(const toml::node& n, const toml::source_region& parent, ServerConfig* out) {
  const std::string path = "server";
  const toml::table* table = Table(n);
  if (table == nullptr) return WrongType(n, parent, path, "a table");
  const toml::source_region& here = Where(n, parent);
  for (const Entry& e : Entries(*table)) {
    std::string key_path = Join(path, e.key);
    const toml::node& v = *e.value;
    if (e.key == "listen") {
      if (absl::Status s = ParseListen(v, here, key_path, &out->listen); !s.ok()) return s;
    } else if (e.key == "workers") {
      if (const auto* s = v.as_string()) {
        if (s->get() != "auto") return Error(Where(v, here), key_path, StrCat("expected \"auto\" or a number, got \"", s->get(), "\""));
        out->workers = 0;
      } else {
        if (!v.is_integer()) return WrongType(v, here, key_path, "\"auto\" or an integer");
        absl::StatusOr<int64_t> workers = Integer(v, here, key_path, 1, 1024);
        if (!workers.ok()) return workers.status();
        out->workers = static_cast<uint32_t>(*workers);
      }
    } else if (e.key == "admin_listen") {
      absl::StatusOr<std::string_view> text = String(v, here, key_path);
      if (!text.ok()) return text.status();
      absl::StatusOr<ListenAddress> address = ParseListenAddress(*text);
      if (!address.ok()) return Error(Where(v, here), key_path, base::ToStd(address.status().message()));
      out->admin_listen = *std::move(address);
    } else if (e.key == "admin_token_env") {
      absl::StatusOr<std::string_view> text = String(v, here, key_path);
      if (!text.ok()) return text.status();
      if (!IsEnvName(*text)) {
        return Error(Where(v, here), key_path, StrCat("\"", *text, "\" is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)"));
      }
      out->admin_token_env = std::string(*text);
    } else if (e.key == "data_dir") {
      absl::StatusOr<fs::path> dir = FilePath(v, here, key_path, /*must_exist=*/false);
      if (!dir.ok()) return dir.status();
      out->data_dir = *std::move(dir);
    } else if (e.key == "max_isolates") {
      absl::StatusOr<int64_t> value = Integer(v, here, key_path, 1, 1000000);
      if (!value.ok()) return value.status();
      out->pool.max_isolates = static_cast<uint32_t>(*value);
    } else if (e.key == "drain_ms") {
      absl::StatusOr<int64_t> value = Integer(v, here, key_path, 0, 3600000);
      if (!value.ok()) return value.status();
      out->drain_ms = static_cast<uint32_t>(*value);
    } else if (e.key == "max_connections") {
      absl::StatusOr<int64_t> value = Integer(v, here, key_path, 1, 100000000);
      if (!value.ok()) return value.status();
      out->connection.max_connections = static_cast<uint32_t>(*value);
    } else if (e.key == "tls") {
      TlsConfig tls;
      if (absl::Status s = ParseTls(v, here, key_path, &tls); !s.ok()) return s;
      out->tls = std::move(tls);
    } else {
      return Unknown(e, here, path, kServerKeys);
    }
  }
  return absl::OkStatus();
}

absl::Status ConfigParser::ParseSetting(const Entry& e, const toml::source_region& parent, std::string_view path,
                                        TenantSettings* out, bool* handled) const {
  *handled = true;
  std::string key_path = Join(path, e.key);
  const toml::node& v = *e.value;
  auto number = [&](int64_t min, int64_t max, uint32_t* field) -> absl::Status {
    absl::StatusOr<int64_t> value = Integer(v, parent, key_path, min, max);
    if (!value.ok()) return value.status();
    *field = static_cast<uint32_t>(*value);
    return absl::OkStatus();
  };
  if (e.key == "memory_mb") return number(8, 65536, &out->memory_mb);
  if (e.key == "cpu_ms") return number(1, 600000, &out->cpu_ms);
  if (e.key == "wall_ms") return number(1, 3600000, &out->wall_ms);
  if (e.key == "subrequests") return number(0, 100000, &out->subrequests);
  if (e.key == "wait_until_ms") return number(1, 3600000, &out->wait_until_ms);
  if (e.key == "max_request_body") {
    if (const auto* s = v.as_string()) {
      absl::StatusOr<uint64_t> size = ParseByteSize(s->get());
      if (!size.ok()) return Error(Where(v, parent), key_path, base::ToStd(size.status().message()));
      out->max_request_body = *size;
      return absl::OkStatus();
    }
    if (!v.is_integer()) return WrongType(v, parent, key_path, "a size (\"10MB\") or an integer number of bytes");
    absl::StatusOr<int64_t> bytes = Integer(v, parent, key_path, 0, std::numeric_limits<int64_t>::max());
    if (!bytes.ok()) return bytes.status();
    out->max_request_body = static_cast<uint64_t>(*bytes);
    return absl::OkStatus();
  }
  if (e.key == "context") {
    absl::StatusOr<std::string_view> mode = String(v, parent, key_path);
    if (!mode.ok()) return mode.status();
    if (*mode == "shared") out->context = ContextMode::kShared;
    else if (*mode == "per_request") out->context = ContextMode::kPerRequest;
    else return Error(Where(v, parent), key_path, StrCat("expected \"shared\" or \"per_request\", got \"", *mode, "\""));
    return absl::OkStatus();
  }
  *handled = false;
  return absl::OkStatus();
}

absl::Status ConfigParser::ParseDefaults(const toml::node& n, const toml::source_region& parent, TenantSettings* out) {
  const std::string path = "defaults";
  const toml::table* table = Table(n);
  if (table == nullptr) return WrongType(n, parent, path, "a table");
  const toml::source_region& here = Where(n, parent);
  for (const Entry& e : Entries(*table)) {
    bool handled;
    if (absl::Status s = ParseSetting(e, here, path, out, &handled); !s.ok()) return s;
    if (!handled) return Unknown(e, here, path, kDefaultsKeys);
  }
  return absl::OkStatus();
}

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
    return Error(where, path, StrCat("binding name \"", e.key, "\" is not a JavaScript identifier ([A-Za-z_$][A-Za-z0-9_$]*)"));
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
  EnvParseContext context{&env_, admin_token_env_, &all_tenant_names_};
  return ParseBindings(n, parent, path, [&](const Entry& b, std::string_view p, const toml::source_region& w) {
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
    } else {
      bool handled;
      if (absl::Status s = ParseSetting(e, here, path, &out->settings, &handled); !s.ok()) return s;
      if (!handled) return Unknown(e, here, path, kTenantKeys);
    }
  }
  if (!have_name) return Error(here, path, "missing required key \"name\"");
  if (!have_script) return Error(here, path, "missing required key \"script\"");
  return absl::OkStatus();
}

}  // namespace

std::vector<NamedValue> TenantConfig::Bindings(std::string_view kind) const {
  std::vector<NamedValue> out;
  for (const EnvBinding& binding : env) {
    if (binding.kind == kind) out.emplace_back(binding.name, binding.value);
  }
  return out;
}

EnvLookup ProcessEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

absl::StatusOr<Config> ParseConfig(std::string_view text, const std::filesystem::path& file, const EnvLookup& env) {
  std::string label = file.empty() ? std::string("<config>") : file.string();
  std::error_code ec;
  fs::path base_dir = file.empty() ? fs::current_path(ec) : fs::absolute(file, ec).parent_path();
  if (ec) base_dir = file.parent_path();
  base_dir = base_dir.lexically_normal();

  toml::parse_result result = toml::parse(text, std::string_view(label));
  if (!result) {
    const toml::parse_error& error = result.error();
    return absl::InvalidArgumentError(StrCat(label, ":", error.source().begin.line, ":", error.source().begin.column,
                                             ": ", error.description()));
  }
  ConfigParser parser(label, base_dir, env);
  absl::StatusOr<Config> config = parser.Parse(result.table());
  if (config.ok() && !file.empty()) config->path = fs::absolute(file, ec).lexically_normal();
  return config;
}

absl::StatusOr<Config> LoadConfigFile(const std::filesystem::path& file, const EnvLookup& env) {
  std::error_code ec;
  fs::path path = fs::absolute(file, ec);
  if (ec) path = file;
  path = path.lexically_normal();
  absl::StatusOr<std::string> text = base::ReadFile(path);
  if (!text.ok()) return absl::NotFoundError(StrCat("config: ", text.status().message()));
  return ParseConfig(*text, path, env);
}

}  // namespace atl::config
