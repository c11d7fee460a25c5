#pragma once
// Env binding kind `assets` (the `binding` of [tenants.assets], config/assets_config.h): env.NAME
// is a Fetcher over the tenant's static assets (https://developers.cloudflare.com/workers/static-assets/binding/),
// made by lazy module `assets`'s newAssets(index); env.NAME.fetch(request) answers as the assets
// answer a request (assets/asset_response.h), whatever the URL's host. Its native finds the
// files through Worker::asset_set(index):
//
//   native.assetsServe(index, method, url, ifNoneMatch, navigate, cacheable)
//     -> [status, [name, value, ...], ArrayBuffer | null]

#include <vector>

#include "absl/status/status.h"
#include "bindings/env_binding.h"

namespace atl::bindings {

class NativeScope;

absl::Status InstallAssetsBindings(EnvSetup& setup, const std::vector<EnvEntry>& entries);
void InstallAssetsNatives(NativeScope& scope);

}  // namespace atl::bindings
