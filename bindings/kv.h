#pragma once
// KV namespaces (env.STORE, SPEC §3): the natives under the lazy module `kv`
// (js/lazy/kv.js, which shapes the Cloudflare Workers KV API over them). A namespace is known to
// JS by its index in WorkerOptions::kv; the store is kv::KvStore (kv/kv_store.h). Every call is
// synchronous on the JS thread (one short SQLite statement); the JS half returns promises.
//
//   native.kvGet(index, key, asText, withMetadata) -> value | [value, metadataJson|null] | null
//   native.kvPut(index, key, value, expiration, expirationTtl, metadataJson|undefined)
//   native.kvDelete(index, key)
//   native.kvList(index, prefix, limit, cursor) -> [complete, cursor, name, expiration, metadataJson, ...]

namespace atl::bindings {

class NativeScope;

void InstallKv(NativeScope& scope);

}  // namespace atl::bindings
