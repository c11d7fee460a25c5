// ResolveWorkerUser (worker_user.h): the user's ids, and data_dir made theirs.
#include "server/worker_user.h"

#include <pwd.h>
#include <unistd.h>

#include <vector>

#include "base/log.h"
#include "base/strings.h"

namespace atl::server {

absl::StatusOr<std::optional<WorkerUser>> ResolveWorkerUser(const std::string& name,
                                                            const std::filesystem::path& data_dir) {
  if (name.empty()) return std::optional<WorkerUser>();
  if (geteuid() != 0) {
    base::LogLine(base::LogLevel::kWarn, "server.user: not started as root, the workers run as this user")
        .Str("user", name)
        .Emit();
    return std::optional<WorkerUser>();
  }
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  if (getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 || found == nullptr) {
    return absl::InvalidArgumentError(base::StrCat("server.user: no user named \"", name, "\""));
  }
  WorkerUser user{name, found->pw_uid, found->pw_gid};
  if (user.uid == 0) return absl::InvalidArgumentError(base::StrCat("server.user: \"", name, "\" is root"));
  if (!data_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(data_dir, ec);
    if (lchown(data_dir.c_str(), user.uid, user.gid) != 0) {
      return absl::InternalError(base::StrCat("server.user: cannot give ", data_dir.string(), " to ", name));
    }
    // Files an earlier run made as root (KV databases, deployed tenants) become the user's too.
    for (auto it = std::filesystem::recursive_directory_iterator(data_dir, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (lchown(it->path().c_str(), user.uid, user.gid) != 0) {
        return absl::InternalError(base::StrCat("server.user: cannot give ", it->path().string(), " to ", name));
      }
    }
  }
  return std::optional<WorkerUser>(user);
}

}  // namespace atl::server
