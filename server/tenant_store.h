#pragma once
// Tenants deployed through the admin API (SPEC §5), kept under `data_dir/tenants/NAME/`:
// `vN.js` (the script of version N) and `tenant.toml` (its settings as a one-tenant config,
// the commit point: written to a temporary file, fsynced and renamed). A deleted tenant leaves
// a `deleted` marker, so that a tenant of the same name in the config file stays away too.
//
// A deploy body is JSON: {"script": "...source...", "routes": [...], ...any tenant key of the
// config file}. It is turned into TOML (config/json_to_toml.h) and read by the config parser, so
// every key means and checks exactly what it does in atoll.toml.
//
//   TenantStore store(data_dir / "tenants");
//   absl::StatusOr<TenantStore::Staged> staged = store.Stage("hello", body, {});
//   ... compile staged->config; then store.Commit(*staged) or store.Discard(*staged)

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "config/config.h"
#include "config/json_to_toml.h"

namespace atl::server {

using config::DeployWasm;

class TenantStore {
 public:
  struct Staged {
    std::string name;
    uint64_t version = 0;
    std::string etag;
    uint64_t revision = 0;              // cluster mode: the etcd revision of tenants/NAME it is
    std::filesystem::path script_file;  // written already
    std::vector<std::filesystem::path> wasm_files;  // modules sent inline, written already
    std::string toml;                   // what Commit writes
    config::TenantConfig config;
  };
  // What Load found: deployed tenants, and the names deleted through the API.
  struct Loaded {
    std::vector<config::TenantConfig> tenants;
    std::vector<uint64_t> versions;
    std::vector<std::string> etags;
    std::vector<uint64_t> revisions;    // cluster mode: the etcd revision each is (else 0)
    std::vector<std::string> deleted;
  };

  // `admin_token_env`: the server's variable holding the admin token, refused as a secret.
  explicit TenantStore(std::filesystem::path dir, std::string admin_token_env = "ATOLL_ADMIN_TOKEN")
      : dir_(std::move(dir)), admin_token_env_(std::move(admin_token_env)) {}

  // Parses `json` and writes its script as the next version; InvalidArgument for a bad body.
  // `known_tenants` are the names a `services` binding may refer to.
  // `revision`: in cluster mode, the etcd revision this deploy is (kept in tenant.toml's header).
  absl::StatusOr<Staged> Stage(std::string_view name, std::string_view json,
                               const std::vector<std::string>& known_tenants, uint64_t revision = 0);
  // Makes the staged version the tenant's current one, durably; older scripts are removed.
  absl::Status Commit(const Staged& staged);
  // Removes what Stage wrote.
  void Discard(const Staged& staged);
  // Marks the tenant deleted (durably).
  absl::Status Remove(std::string_view name);
  absl::StatusOr<Loaded> Load() const;
  // What Load finds of tenant `name` alone (nothing at all if it was never deployed).
  absl::StatusOr<Loaded> LoadOne(std::string_view name) const;

  // Held from Stage to Commit or Discard: worker processes deploying at the same time take
  // turns (an exclusive flock on `.deploy.lock`), so no two pick the same version.
  class Lock {
   public:
    explicit Lock(const std::filesystem::path& dir);
    ~Lock();
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;

   private:
    int fd_ = -1;
  };
  Lock Exclusive() const { return Lock(dir_); }

 private:
  absl::StatusOr<Loaded> LoadDirs(const std::vector<std::filesystem::path>& dirs) const;
  // A tenant's TOML with the [server] keys the parser checks tenants against.
  std::string WithServer(std::string_view toml) const;

  std::filesystem::path dir_;
  std::string admin_token_env_;
};

}  // namespace atl::server
