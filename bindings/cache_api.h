#pragma once
// The Cache API (https://developers.cloudflare.com/workers/runtime-apis/cache/): the natives under
// the lazy module `cache` (js/lazy/cache.js, which gives the `caches` global its Workers
// semantics: Cache-Control, Vary, 304, 206). The store is cache::HttpCache, one per process,
// handed over by the server with SetHttpCache; entries are kept under the Worker's tenant name,
// capped at its `cache_mb`.
//
//   native.cacheGet(key) -> [metaJson, ArrayBuffer body] | null
//   native.cachePut(key, metaJson, body, expiresMs) -> stored (bool)
//   native.cacheDelete(key) -> deleted (bool)
//   native.cacheMaxEntryBytes() -> the largest body put stores

#include <memory>

namespace atl::cache {
class HttpCache;
}

namespace atl::bindings {

class NativeScope;

// The store every Worker of this process uses (null: the Cache API stores nothing, as when
// there is no data_dir). Set once before Workers are made.
void SetHttpCache(std::shared_ptr<cache::HttpCache> cache);

void InstallCacheApi(NativeScope& scope);

}  // namespace atl::bindings
