#pragma once
// The asset side of a tenant with static assets, as Workers' router and asset worker answer
// (https://developers.cloudflare.com/workers/static-assets/routing/worker-script/): whether a
// request is the assets' or the Worker's (run_worker_first, then whether an asset matches), and
// the answer: the asset with its ETag, Content-Type and Cache-Control, 304 for a matching
// If-None-Match, a 307 to the path it is served at, 405 for a method other than GET/HEAD, 404.
// Used by the request path (server/tenant_manager.cc) and env.ASSETS.fetch() (bindings/).

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "assets/asset_set.h"

namespace atl::assets {

struct AssetRequest {
  // host, path and search from an absolute URL ("http://host/a%20b?x=1"; a bare "/path?x" too).
  void SetUrl(std::string_view url);

  std::string_view method;
  std::string_view host;           // the Host header (for _redirects and _headers rules naming one)
  std::string_view path;           // as the request URL carries it (percent-encoded), no query
  std::string_view search;         // "?a=1", or empty
  std::string_view if_none_match;  // the header's value, or empty
  bool navigate = false;           // Sec-Fetch-Mode: navigate (a browser loading a page)
  bool cacheable = true;           // no Authorization and no Range header
};

struct AssetResponse {
  int status = 404;
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case names
  // The asset's bytes (valid while the AssetSet is), HEAD included: whoever writes the answer
  // leaves a HEAD's body out. Empty for 304, 307, 404 without a page, 405.
  std::string_view body;
};

// The assets' answer to `request` when they answer it ahead of a Worker that follows them
// (Workers' router): a _redirects rule matches, or an asset (or a redirect to one) is at its
// path; not_found_handling counts only for a navigation (as Workers'
// `assets_navigation_prefers_asset_serving`). nullopt: the Worker's turn.
std::optional<AssetResponse> AnswerAheadOfWorker(const AssetSet& set, const AssetRequest& request);

// The assets' answer to `request`: a _redirects rule's redirect (or rewrite), else the asset
// (not_found_handling applied), a plain 404 when nothing matches; then _headers' rules.
AssetResponse ServeAsset(const AssetSet& set, const AssetRequest& request);

// Whether a request for `path` goes to the Worker before any asset lookup (run_worker_first:
// true, or a pattern matching and no "!" pattern matching; `*` matches any characters).
bool RunsWorkerFirst(const config::AssetsConfig& config, std::string_view path);

}  // namespace atl::assets
