// libFuzzer: the config file (config/config.h ParseConfig: toml++ then every validation of
// SPEC §2) from arbitrary text. A result is either a Config or an InvalidArgument; no crash, no
// exception escapes (toml++ is used without exceptions). No environment variable is visible.
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  atl::config::EnvLookup no_env = [](std::string_view) { return std::optional<std::string>(); };
  (void)atl::config::ParseConfig(text, {}, no_env);
  return 0;
}
