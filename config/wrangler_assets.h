#pragma once
// wrangler's `[assets]` (https://developers.cloudflare.com/workers/static-assets/binding/) as
// atoll's tenant key `assets` (config/assets_config.h):
//   [assets] directory = "./dist", binding = "ASSETS", not_found_handling = "single-page-application"
//     -> assets = { directory = "/abs/dist", binding = "ASSETS", not_found_handling = "..." }
// `directory` is made absolute against the file's folder; html_handling, not_found_handling and
// run_worker_first are passed on (the tenant parser checks them); `experimental_serve_directly`
// is accepted and ignored; any other key is refused.
//
//   absl::Status st = WranglerAssetsToToml(assets_node, file.parent_path(), &toml);  // "assets.binding: ..."

#include <filesystem>
#include <string>

#include "absl/status/status.h"
#define TOML_EXCEPTIONS 0
#define TOML_ENABLE_FORMATTERS 0
#include <toml++/toml.h>

namespace atl::config {

absl::Status WranglerAssetsToToml(const toml::node& assets, const std::filesystem::path& dir, std::string* out);

}  // namespace atl::config
