#pragma once
// A Workers project's wrangler.toml / wrangler.json / wrangler.jsonc
// (https://developers.cloudflare.com/workers/wrangler/configuration/) as atoll's config: each
// file becomes one `[[tenants]]` block of atoll's TOML (main -> script, vars, kv_namespaces -> kv,
// services, wasm_modules -> wasm, rules, compatibility_flags, triggers.crons, limits.cpu_ms), which
// the config parser then reads, so that there is one validator. Paths in a file are relative to
// its folder. Keys about deploying to Cloudflare are accepted and ignored (kWranglerIgnoredKeys);
// any other key atoll does not support is an error naming it. A `main` that needs bundling
// (TypeScript, bare npm imports) is refused with the esbuild command that bundles it as wrangler
// does: atoll runs no bundler.
//
//   absl::StatusOr<Config> config = LoadWranglerFiles({"app/wrangler.toml", "auth/wrangler.jsonc"});

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "config/config.h"

namespace atl::config {

// Keys accepted and ignored: they are about deploying to Cloudflare, not about running the Worker.
extern const char* const kWranglerIgnoredKeys;

// The atoll config TOML the files make (one tenant per file; the first file with no routes gets
// every route, "*/*"). Errors name the file and the wrangler key ("wrangler.toml: kv_namespaces[0].id: ...").
// `environment` (--env) selects each file's [env.NAME] over its top level; empty: the top level
// alone, [env.*] ignored.
absl::StatusOr<std::string> WranglerToToml(const std::vector<std::filesystem::path>& files,
                                           std::string_view environment = {});
// WranglerToToml, then the config parser; its errors are reported against the wrangler file.
absl::StatusOr<Config> LoadWranglerFiles(const std::vector<std::string>& files, const EnvLookup& env = ProcessEnv(),
                                         std::string_view environment = {});

// Refuses a `main` atoll cannot run as it is (TypeScript, JSX, a bare npm import) with the
// esbuild command that bundles it as wrangler does; `main_text` is the path as written, `label`
// the wrangler file for the message (wrangler_inputs.cc).
absl::Status CheckWranglerMain(const std::filesystem::path& main, const std::string& main_text, const std::string& label);

// JSON with comments (// and /* */) and trailing commas, as wrangler.jsonc allows, made plain
// JSON: comments become spaces, trailing commas go.
std::string StripJsonc(std::string_view text);

}  // namespace atl::config
