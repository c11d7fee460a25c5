#include "base/files.h"

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

}  // namespace atl::base
