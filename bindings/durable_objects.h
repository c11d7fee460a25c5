#pragma once
// Durable Objects (https://developers.cloudflare.com/durable-objects/): the natives under the lazy
// module `durable_objects` (js/lazy/durable_objects.js, which shapes namespaces, ids, stubs,
// ctx.storage and the objects over them). Storage is kv::DoStore (kv/do_store.h), one SQLite
// database per object, every call synchronous on the JS thread (so a storage operation never lets
// another event in: the input gate; and a write is committed before its promise resolves: the
// output gate). Cluster mode with PostgreSQL (kv::DoConfig().backend): the file is a journaled
// working copy (bindings/do_shared_storage.h), restored before the object's first event, and a
// write is acknowledged once its commit is durable in shared storage (doReady, doSync).
//
//   native.doIdFromName(className, name) -> 64 hex digits (HMAC-SHA256 keyed by the tenant)
//   native.doNewUniqueId() -> 64 hex digits (random)
//   native.doIsLocal(id) -> whether this process owns the object (kv::ObjectPlacement)
//   native.doOwner(id) -> the index of the worker process that owns it
//   native.doClustered() -> cluster mode: objects have owner nodes (server/cluster_objects.h)
//   native.doWhere(className, id) -> true (this node owns it), the owner node's name, or undefined
//   native.doResolve(className, id, callback) -> the same from etcd (claiming it if unowned): at
//     once, or later through callback(ok, owner or message)
//   native.doFence(className, id) -> this process's fencing token for the object (0: none)
//   native.doOpen(className, id) -> handle; native.doClose(handle)
//   native.doShared() -> whether storage is journaled to shared storage (cluster mode)
//   native.doReady(handle, callback) / native.doSync(handle, callback) -> true now, or undefined
//     and callback(ok, error) later: the store is restored / every write so far is durable
//   native.doExec(handle, sql, [bindings]) -> [columns, flat cells, rowsRead, rowsWritten]
//   native.doSize(handle) -> bytes
//   native.doSerialize(value) -> ArrayBuffer; native.doDeserialize(bytes) -> value (ValueSerializer)
//   native.doAlarmIndex(className, id, atMs, clear) -> records / clears the alarm in the index
//   native.doCheckToken(text) -> whether a forwarded call carries this server's secret
//   native.doIdleMs() -> [server] do_idle_ms

namespace atl::bindings {

class NativeScope;

void InstallDurableObjects(NativeScope& scope);

}  // namespace atl::bindings
