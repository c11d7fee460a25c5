#pragma once
// `[server] user` (issue 17): a supervisor started as root runs its workers as this
// unprivileged user. The supervisor keeps root only for what it does itself (binding the
// listeners, port 80 and 443 included, before any worker starts; starting workers); the
// workers, which run tenants' code, are started with the user's uid and gid (libuv's
// UV_PROCESS_SETUID/SETGID, supplementary groups dropped), and data_dir is handed to that user
// so that KV, the Cache API and Durable Objects can write there. The worker reads the config,
// the scripts and the TLS key as that user: they must be readable by it.
//
//   absl::StatusOr<std::optional<WorkerUser>> user = ResolveWorkerUser(plan.user, plan.data_dir);

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace atl::server {

struct WorkerUser {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
};

// nullopt when `name` is empty, or (with a warning logged) when the process is not root.
// InvalidArgument for an unknown user; Internal when data_dir cannot be handed over.
absl::StatusOr<std::optional<WorkerUser>> ResolveWorkerUser(const std::string& name,
                                                            const std::filesystem::path& data_dir);

}  // namespace atl::server
