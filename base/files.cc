#include "base/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/strings.h"

namespace atl::base {

absl::StatusOr<std::string> ReadFile(const std::filesystem::path& path) {
  auto unreadable = [&](int err) {
    return absl::NotFoundError(StrCat("cannot read file \"", path.string(), "\": ", std::strerror(err)));
  };
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return unreadable(errno);
  std::string text;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) text.append(buf, n);
  int err = std::ferror(f) ? errno : 0;
  std::fclose(f);
  if (err != 0) return unreadable(err);
  return text;
}

namespace {

absl::Status Errno(std::string_view what, const std::filesystem::path& path, int err) {
  return absl::InternalError(StrCat(what, " ", path.string(), ": ", std::strerror(err)));
}

absl::Status WriteAll(int fd, std::string_view bytes, const std::filesystem::path& temp) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("cannot write", temp, errno);
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteFileAtomically(const std::filesystem::path& path, std::string_view bytes, bool durable) {
  static std::atomic<uint64_t> counter{0};
  std::filesystem::path temp = path;
  temp += StrCat(".tmp.", static_cast<int64_t>(::getpid()), ".", counter.fetch_add(1));
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot create", temp, errno);
  absl::Status status = WriteAll(fd, bytes, temp);
  if (status.ok() && durable && ::fsync(fd) != 0) status = Errno("cannot fsync", temp, errno);
  if (::close(fd) != 0 && status.ok()) status = Errno("cannot write", temp, errno);
  if (status.ok() && ::rename(temp.c_str(), path.c_str()) != 0) status = Errno("cannot rename to", path, errno);
  if (!status.ok()) {
    ::unlink(temp.c_str());
    return status;
  }
  if (durable) {
    std::filesystem::path dir = path.parent_path();
    if (dir.empty()) dir = ".";
    int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
      ::fsync(dir_fd);
      ::close(dir_fd);
    }
  }
  return absl::OkStatus();
}

}  // namespace atl::base
