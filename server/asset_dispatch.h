#pragma once
// The request path's step for a tenant with static assets (config/assets_config.h): before its
// Worker runs, the assets answer what is theirs (Workers' router: run_worker_first, then an asset
// at the path); a tenant without a Worker gets every answer from them (404 included).

#include "assets/asset_set.h"
#include "bindings/worker_host.h"
#include "server/asset_codings.h"
#include "server/response_sink.h"

namespace atl::server {

// Answers `request` from `set` through `response` and returns true, or returns false: the
// Worker's turn. `has_worker`: the tenant has a script. A client that accepts br or gzip gets
// a compressible asset coded (from `codings`, with a weak ETag and Vary, as Cloudflare sends).
bool AnswerFromAssets(const assets::AssetSet& set, AssetCodings* codings, bool has_worker,
                      const bindings::RequestView& request, ResponseSink* response);

}  // namespace atl::server
