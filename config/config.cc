#include "config/config.h"
#include "config/toml_text.h"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <system_error>
#include <unordered_map>
#include <unordered_set>

#include "absl/strings/ascii.h"
#include "base/files.h"
#include "base/strings.h"
#include "config/cluster_layout.h"
#include "config/byte_size.h"
#include "config/config_parser.h"
#include "config/names.h"

// The config file as a whole, [server] and [defaults]; [[tenants]] is config_tenants.cc.

namespace atl::config {
namespace internal {

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

namespace {

bool IsBareKey(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

// "tenants[0]" + "vars" -> "tenants[0].vars"; keys that are not bare TOML keys are quoted.
std::string Join(std::string_view parent, std::string_view key) {
  std::string k = IsBareKey(key) ? std::string(key) : StrCat("\"", key, "\"");
  return parent.empty() ? k : StrCat(parent, ".", k);
}

std::string Index(std::string_view parent, size_t i) { return StrCat(parent, "[", i, "]"); }

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

// [server] cf_header: a header name (RFC 9110 token) that is not one the server reads itself.
absl::Status CheckCfHeader(std::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("expected a header name, got \"\"");
  for (unsigned char c : name) {
    if (!(absl::ascii_isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos)) {
      return absl::InvalidArgumentError(base::StrCat("\"", name, "\" is not a header name"));
    }
  }
  std::string lower = absl::AsciiStrToLower(std::string(name));
  for (std::string_view owned : {"host", "content-length", "transfer-encoding", "connection", "expect", "upgrade", "te", "trailer"}) {
    if (lower == owned) return absl::InvalidArgumentError(base::StrCat("\"", name, "\" is a header the server reads itself"));
  }
  return absl::OkStatus();
}

constexpr std::string_view kTopKeys = "server, cluster, defaults, tenants";
constexpr std::string_view kClusterKeys = "etcd, node_name, advertise, prefix, lease_ttl_s, deploy_timeout_ms, postgres";
constexpr std::string_view kServerKeys =
    "listen, workers, admin_listen, admin_token_env, data_dir, max_isolates, drain_ms, max_connections, cf_header, tls, "
    "websocket_ping_ms, websocket_idle_ms, do_max_storage, do_idle_ms, sandbox, user, worker_memory_mb, prewarm_mb, "
    "idle_before_deep_reduce_ms, code_cache_memory_mb, code_cache_disk_mb, wasm_cache_mb";
constexpr std::string_view kDefaultsKeys = "memory_mb, cpu_ms, wall_ms, subrequests, wait_until_ms, max_request_body, context, isolation, cache_mb, max_websockets";
absl::StatusOr<Config> ConfigParser::Parse(const toml::table& root) {
  Config config;
  const toml::source_region& top = root.source();
  const toml::node* server = nullptr;
  const toml::node* cluster = nullptr;
  const toml::node* defaults = nullptr;
  const toml::node* tenants = nullptr;
  for (const Entry& e : Entries(root)) {
    if (e.key == "server") server = e.value;
    else if (e.key == "cluster") cluster = e.value;
    else if (e.key == "defaults") defaults = e.value;
    else if (e.key == "tenants") tenants = e.value;
    else return Unknown(e, top, "", kTopKeys);
  }
  if (server != nullptr) {
    if (absl::Status s = ParseServer(*server, top, &config.server); !s.ok()) return s;
  }
  if (cluster != nullptr) {
    if (absl::Status s = ParseCluster(*cluster, top, &config.cluster); !s.ok()) return s;
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

absl::Status ConfigParser::ParseCluster(const toml::node& n, const toml::source_region& parent, ClusterConfig* out) {
  const std::string path = "cluster";
  const toml::table* table = Table(n);
  if (table == nullptr) return WrongType(n, parent, path, "a table");
  const toml::source_region& here = Where(n, parent);
  for (const Entry& e : Entries(*table)) {
    std::string key_path = Join(path, e.key);
    if (e.key == "etcd" || e.key == "node_name" || e.key == "advertise" || e.key == "prefix") {
      absl::StatusOr<std::string_view> text = String(*e.value, here, key_path);
      if (!text.ok()) return text.status();
      if (text->empty()) return Error(Where(*e.value, here), key_path, "is empty");
      if (e.key == "etcd") {
        if (!text->starts_with("http://")) return Error(Where(*e.value, here), key_path, "expected http://HOST:PORT (etcd's client URL)");
        out->etcd = std::string(*text);
      } else if (e.key == "node_name") {
        if (!ValidClusterName(*text)) return Error(Where(*e.value, here), key_path, "must match [a-z0-9-]{1,63}");
        out->node_name = std::string(*text);
      } else if (e.key == "advertise") {
        if (!ParseListenAddress(*text).ok()) return Error(Where(*e.value, here), key_path, "expected HOST:PORT");
        out->advertise = std::string(*text);
      } else {
        if (text->front() != '/' || text->back() != '/') return Error(Where(*e.value, here), key_path, "must start and end with \"/\"");
        out->prefix = std::string(*text);
      }
    } else if (e.key == "lease_ttl_s") {
      absl::StatusOr<int64_t> value = Integer(*e.value, here, key_path, 2, 3600);
      if (!value.ok()) return value.status();
      out->lease_ttl_s = static_cast<uint32_t>(*value);
    } else if (e.key == "deploy_timeout_ms") {
      absl::StatusOr<int64_t> value = Integer(*e.value, here, key_path, 1, 3600000);
      if (!value.ok()) return value.status();
      out->deploy_timeout_ms = static_cast<uint32_t>(*value);
    } else if (e.key == "postgres") {
      // A libpq conninfo; libpq itself checks it when a worker connects.
      absl::StatusOr<std::string_view> text = String(*e.value, here, key_path);
      if (!text.ok()) return text.status();
      if (text->empty()) return Error(Where(*e.value, here), key_path, "the connection string is empty");
      out->postgres = std::string(*text);
    } else {
      return Unknown(e, here, path, kClusterKeys);
    }
  }
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
      out->connection.drain_ms = static_cast<uint32_t>(*value);
    } else if (e.key == "max_connections") {
      absl::StatusOr<int64_t> value = Integer(v, here, key_path, 1, 100000000);
      if (!value.ok()) return value.status();
      out->connection.max_connections = static_cast<uint32_t>(*value);
    } else if (e.key == "websocket_ping_ms" || e.key == "websocket_idle_ms") {
      absl::StatusOr<int64_t> value = Integer(v, here, key_path, 0, 86400000);
      if (!value.ok()) return value.status();
      (e.key == "websocket_ping_ms" ? out->websocket.ping_interval_ms : out->websocket.idle_timeout_ms) =
          static_cast<uint32_t>(*value);
    } else if (e.key == "cf_header") {
      absl::StatusOr<std::string_view> text = String(v, here, key_path);
      if (!text.ok()) return text.status();
      if (absl::Status s = CheckCfHeader(*text); !s.ok()) return Error(Where(v, here), key_path, base::ToStd(s.message()));
      out->cf_header = absl::AsciiStrToLower(std::string(*text));
    } else if (e.key == "prewarm_mb") {
      absl::StatusOr<int64_t> value = Integer(v, here, key_path, 0, 1000000);
      if (!value.ok()) return value.status();
      out->prewarm_mb = static_cast<uint32_t>(*value);
    } else if (e.key == "worker_memory_mb") {
      absl::StatusOr<int64_t> value = Integer(v, here, key_path, 0, int64_t{1} << 24);
      if (!value.ok()) return value.status();
      out->worker_memory_mb = static_cast<uint32_t>(*value);
    } else if (e.key == "user") {
      absl::StatusOr<std::string_view> text = String(v, here, key_path);
      if (!text.ok()) return text.status();
      if (text->empty()) return Error(Where(v, here), key_path, "a user name, not empty");
      out->user = std::string(*text);
    } else if (e.key == "sandbox") {
      const auto* b = v.as_boolean();
      if (b == nullptr) return WrongType(v, here, key_path, "true or false");
      out->sandbox = b->get();
    } else if (e.key == "idle_before_deep_reduce_ms") {
      absl::StatusOr<int64_t> value = Integer(v, here, key_path, 0, 86400000);
      if (!value.ok()) return value.status();
      out->pool.idle_before_deep_reduce_ms = static_cast<uint32_t>(*value);
    } else if (e.key == "code_cache_memory_mb" || e.key == "code_cache_disk_mb" || e.key == "wasm_cache_mb") {
      absl::StatusOr<int64_t> value = Integer(v, here, key_path, 1, 1000000);
      if (!value.ok()) return value.status();
      (e.key == "code_cache_memory_mb" ? out->code_cache.memory_mb
       : e.key == "code_cache_disk_mb" ? out->code_cache.disk_mb
                                       : out->code_cache.wasm_mb) = static_cast<uint32_t>(*value);
    } else if (e.key == "do_idle_ms") {
      absl::StatusOr<int64_t> value = Integer(v, here, key_path, 1, 86400000);
      if (!value.ok()) return value.status();
      out->do_idle_ms = static_cast<uint32_t>(*value);
    } else if (e.key == "do_max_storage") {
      const auto* s = v.as_string();
      if (s == nullptr) return WrongType(v, here, key_path, "a size (\"1GB\")");
      absl::StatusOr<uint64_t> size = ParseByteSize(s->get());
      if (!size.ok()) return Error(Where(v, here), key_path, base::ToStd(size.status().message()));
      out->do_max_storage = *size;
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
  if (e.key == "cache_mb") return number(0, 65536, &out->cache_mb);
  if (e.key == "max_websockets") return number(0, 1000000, &out->max_websockets);
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
    else if (*mode == "per_request_hardened") out->context = ContextMode::kPerRequestHardened;
    else return Error(Where(v, parent), key_path, StrCat("expected \"shared\", \"per_request\" or \"per_request_hardened\", got \"", *mode, "\""));
    return absl::OkStatus();
  }
  if (e.key == "isolation") {
    absl::StatusOr<std::string_view> mode = String(v, parent, key_path);
    if (!mode.ok()) return mode.status();
    out->process_isolation = *mode == "process";
    out->auto_isolation = *mode == "auto";
    if (*mode != "shared" && *mode != "process" && *mode != "auto") {
      return Error(Where(v, parent), key_path, StrCat("expected \"shared\", \"process\" or \"auto\", got \"", *mode, "\""));
    }
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

}  // namespace internal

using internal::ConfigParser;
namespace fs = std::filesystem;
using base::StrCat;

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

  absl::StatusOr<std::string> ascii = AsciiTomlText(text, label);  // toml++ reads ASCII only (toml_text.h)
  if (!ascii.ok()) return ascii.status();
  toml::parse_result result = toml::parse(*ascii, std::string_view(label));
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
