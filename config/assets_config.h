#pragma once
// A tenant's static assets (`[tenants.assets]`, wrangler's `[assets]`): the folder served and
// how requests resolve against it, as Workers Static Assets
// (https://developers.cloudflare.com/workers/static-assets/). assets/ loads and serves them.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace atl::config {

// https://developers.cloudflare.com/workers/static-assets/routing/advanced/html-handling/
enum class HtmlHandling { kAutoTrailingSlash, kForceTrailingSlash, kDropTrailingSlash, kNone };
// https://developers.cloudflare.com/workers/static-assets/routing/ (404-page, single-page-application)
enum class NotFoundHandling { kNone, kPage404, kSinglePageApplication };

struct AssetsConfig {
  std::filesystem::path directory;  // absolute; an existing folder
  std::string binding;              // env.BINDING.fetch() serves them to the Worker; empty: no binding
  HtmlHandling html_handling = HtmlHandling::kAutoTrailingSlash;
  NotFoundHandling not_found_handling = NotFoundHandling::kNone;
  // `run_worker_first = true`: every request goes to the Worker (which may call the binding).
  bool run_worker_first = false;
  // `run_worker_first = ["/api/*", "!/api/docs/*"]`: a request whose path matches one of
  // `worker_first` goes to the Worker, unless it matches one of `assets_first` (the "!" ones).
  std::vector<std::string> worker_first;
  std::vector<std::string> assets_first;
};

// The names as the files write them ("auto-trailing-slash", "404-page", ...); InvalidArgument
// listing the names otherwise.
absl::StatusOr<HtmlHandling> ParseHtmlHandling(std::string_view name);
absl::StatusOr<NotFoundHandling> ParseNotFoundHandling(std::string_view name);
// A run_worker_first pattern: starts with "/" (after a "!"), `*` its only wildcard.
absl::Status CheckRunWorkerFirstPattern(std::string_view pattern);

}  // namespace atl::config
