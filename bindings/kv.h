#pragma once
// KV namespaces (env.STORE, SPEC §3): the natives under the lazy module `kv`
// (js/lazy/kv.js, which shapes the Cloudflare Workers KV API over them). A namespace is known to
// JS by its index in WorkerOptions::env; the store is a kv::KvBackend (kv/kv_backend.h): SQLite,
// answering synchronously on the JS thread, or PostgreSQL (cluster mode), answering from the loop.
// A native returns its answer when the backend gave it at once; otherwise it returns undefined and
// calls its last argument later, callback(true, answer) or callback(false, error). The JS half
// returns promises either way.
//
//   native.kvGet(index, key, asText, withMetadata, cacheTtl, cb) -> value | [value, metadataJson|null] | null
//   native.kvPut(index, key, value, expiration, expirationTtl, metadataJson|undefined, cb) -> true
//   native.kvDelete(index, key, cb) -> true
//   native.kvList(index, prefix, limit, cursor, cb) -> [complete, cursor, name, expiration, metadataJson, ...]

namespace atl::bindings {

class NativeScope;

void InstallKv(NativeScope& scope);

}  // namespace atl::bindings
