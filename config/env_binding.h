#pragma once
// Env bindings (SPEC §3): the `[tenants.KIND]` tables whose `NAME = value` entries become
// env.NAME in the tenant's script. Each kind is a unit of its own, in two halves: its parser
// here (config/env_KIND.{h,cc}) turns an entry into a neutral EnvBinding, and its installer in
// bindings/ (bindings/env_KIND.{h,cc}) puts it on env when a context is made. The config parser
// knows kinds only through EnvBindingKinds() (env_binding.cc); bindings/README.md has the
// checklist for a new kind.
//
//   for (const EnvBindingKind& kind : EnvBindingKinds()) ... kind.parse(value, context)

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "absl/status/statusor.h"

namespace atl::config {

// Reads an environment variable; nullopt when unset. Tests pass their own.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// One env binding as configured: env.NAME of kind `kind`, with what the kind's parser made of
// the value (a string, a KV namespace name, an absolute path, a tenant name).
struct EnvBinding {
  std::string kind;   // the table's key: "vars", "secrets", "kv", "wasm", "services"
  std::string name;   // env.NAME (a JavaScript identifier, unique in the tenant)
  std::string value;
  bool json = false;  // `value` is JSON text (a var that is not a string: env.NAME is the value)
  bool operator==(const EnvBinding&) const = default;
};

// One `NAME = value` entry as a kind's parser sees it (the TOML stays in config.cc). Errors
// name the file, line and key path ("atoll.toml:5:1: tenants[0].kv.STORE: ...").
class EnvValue {
 public:
  virtual ~EnvValue() = default;
  // The value as a string ("expected a string, got an integer" otherwise).
  virtual absl::StatusOr<std::string> String() const = 0;
  // Whether the value is a string; else Json() is the value as JSON text (numbers, booleans,
  // arrays, tables; dates and non-finite floats are refused).
  virtual bool IsString() const = 0;
  virtual absl::StatusOr<std::string> Json() const = 0;
  // The value as a path to an existing regular file, relative to the config's folder; absolute.
  virtual absl::StatusOr<std::filesystem::path> ExistingFile() const = 0;
  // The value as a table whose only key is `key` (`expected` names its shape for a wrong type):
  // that key's value.
  virtual absl::StatusOr<std::unique_ptr<EnvValue>> OnlyField(std::string_view key,
                                                              std::string_view expected) const = 0;
  // InvalidArgument `message` at this value.
  virtual absl::Status Error(std::string_view message) const = 0;
};

// What a parser may consult besides the value.
struct EnvParseContext {
  const EnvLookup* env = nullptr;                              // the process's variables
  std::string admin_token_env;                                 // [server] admin_token_env
  const std::unordered_set<std::string>* tenant_names = nullptr;  // every tenant of the file
  std::filesystem::path config_dir;                            // relative paths start here
  std::string_view name;                                       // the entry's NAME
};

// A kind of env binding: its `[tenants.KEY]` table and the parser of one entry's value.
struct EnvBindingKind {
  std::string_view key;
  absl::StatusOr<std::string> (*parse)(const EnvValue& value, const EnvParseContext& context);
  // A value that is not a string is taken as it is (EnvBinding::json), not given to `parse`.
  bool any_json = false;
};

// A value written as a table of strings (`{ service = "auth", entrypoint = "Api" }`): its
// fields by key, each one of `keys`; any other key or a value that is not a string is an error
// at the value naming `shape`, what the kind expects.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> StringFields(const EnvValue& value,
                                                                             const std::vector<std::string_view>& keys,
                                                                             std::string_view shape);

// Every kind, in the order their bindings are put on env (bindings/env_binding.cc keeps the same).
const std::vector<EnvBindingKind>& EnvBindingKinds();
// The kind of table `key`; null if it is not a binding table.
const EnvBindingKind* FindEnvBindingKind(std::string_view key);
// "vars, secrets, kv, wasm, services, durable_objects, workflows, d1, queues, queue_consumers": the keys, for "expected one of"
// messages.
std::string EnvBindingKeys();

}  // namespace atl::config
