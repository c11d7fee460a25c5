#pragma once
// Which asset a request path names, as Workers' asset worker resolves it: the tenant's
// html_handling (/about serves about.html, /blog/ serves blog/index.html, /about.html redirects
// to /about, ...) and, for a path nothing matches, its not_found_handling (index.html for a
// single-page application, the nearest 404.html). The rules are Cloudflare's, case by case:
// https://developers.cloudflare.com/workers/static-assets/routing/advanced/html-handling/
// (workers-sdk packages/workers-shared/asset-worker/src/handler.ts).

#include <optional>
#include <string>
#include <string_view>

#include "assets/asset_set.h"

namespace atl::assets {

// What a path resolves to: an asset served with `status` (200; 404 for a 404.html page), or a
// redirect (307) to the decoded path `redirect`.
struct Intent {
  const Asset* asset = nullptr;
  int status = 200;
  std::string redirect;
};

// `decoded_path` as DecodePath gives it. nullopt: no asset, and not_found_handling has none
// either (the Worker's turn, or a plain 404).
std::optional<Intent> Resolve(const AssetSet& set, std::string_view decoded_path, config::NotFoundHandling not_found);

// A request path decoded segment by segment (decodeURIComponent; a segment that does not decode
// stays as it is), runs of "/" made one.
std::string DecodePath(std::string_view path);
// Each segment as encodeURIComponent encodes it: the path an asset is served at.
std::string EncodePath(std::string_view decoded);

}  // namespace atl::assets
