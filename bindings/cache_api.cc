#include "bindings/cache_api.h"

#include <cstring>
#include <string>

#include "base/limits.h"
#include "base/strings.h"
#include "bindings/buffers.h"
#include "bindings/native_args.h"
#include "bindings/native_scope.h"
#include "bindings/worker.h"
#include "cache/http_cache.h"
#include "isolates/v8_util.h"

namespace atl::bindings {
namespace {

using isolates::NewString;

constexpr limits::HttpCacheLimits kLimits;

std::shared_ptr<cache::HttpCache>& SharedCache() {
  static std::shared_ptr<cache::HttpCache> cache;
  return cache;
}

void ThrowError(v8::Isolate* isolate, std::string_view message) {
  isolate->ThrowException(v8::Exception::Error(NewString(isolate, message)));
}

// The store and the calling Worker; false with nothing thrown when there is no store (a miss).
bool Context(const v8::FunctionCallbackInfo<v8::Value>& info, cache::HttpCache** cache, Worker** worker) {
  *worker = NativeScope::WorkerFrom(info);
  *cache = SharedCache().get();
  return *worker != nullptr && *cache != nullptr;
}

bool KeyOf(const NativeArgs& args, std::string* key) {
  if (!args[0]->IsString()) {
    ThrowTypeError(args.isolate(), "cache: the key must be a string");
    return false;
  }
  *key = *args.String(0);
  if (key->size() > kLimits.max_key_bytes) {
    ThrowTypeError(args.isolate(), base::StrCat("cache: the URL is longer than ", kLimits.max_key_bytes, " bytes"));
    return false;
  }
  return true;
}

// cacheGet(key) -> [metaJson, ArrayBuffer] | null
void CacheGet(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  NativeArgs args(info, "cacheGet");
  info.GetReturnValue().SetNull();
  std::string key;
  if (!KeyOf(args, &key)) return;
  cache::HttpCache* cache;
  Worker* worker;
  if (!Context(info, &cache, &worker)) return;
  v8::Local<v8::Value> pair[2];
  bool failed = false;
  absl::StatusOr<bool> found =
      cache->Get(worker->tenant_name(), key, cache::HttpCacheNowMs(), [&](std::string_view meta, std::string_view body) {
        v8::Local<v8::ArrayBuffer> buffer;
        // The bytes count against the tenant's memory budget from here on.
        if (!NewArrayBuffer(isolate, body.size()).ToLocal(&buffer)) {
          failed = true;  // a RangeError is thrown
          return;
        }
        if (!body.empty()) std::memcpy(buffer->Data(), body.data(), body.size());
        pair[0] = NewString(isolate, meta);
        pair[1] = buffer;
      });
  if (failed) return;
  if (!found.ok()) return ThrowError(isolate, base::StrCat("cache match() failed: ", base::ToStd(found.status().message())));
  if (*found) info.GetReturnValue().Set(v8::Array::New(isolate, pair, 2));
}

// cachePut(key, metaJson, body, expiresMs) -> bool
void CachePut(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  NativeArgs args(info, "cachePut");
  info.GetReturnValue().Set(false);
  std::string key;
  if (!KeyOf(args, &key)) return;
  std::string meta = args.StringOr(1, "");
  BufferBytes body;
  if (!args.Bytes(2, &body)) {
    ThrowTypeError(isolate, "cache put(): the body must be bytes");
    return;
  }
  if (body.view().size() > kLimits.max_entry_bytes) return;  // not stored, as Workers' 512 MB limit
  double expires = args[3]->IsNumber() ? args[3].As<v8::Number>()->Value() : 0;
  cache::HttpCache* cache;
  Worker* worker;
  if (!Context(info, &cache, &worker)) return;
  absl::StatusOr<bool> stored = cache->Put(worker->tenant_name(), key, meta, body.view(), static_cast<int64_t>(expires),
                                           cache::HttpCacheNowMs(), uint64_t{worker->cache_mb()} << 20);
  if (!stored.ok()) return ThrowError(isolate, base::StrCat("cache put() failed: ", base::ToStd(stored.status().message())));
  info.GetReturnValue().Set(*stored);
}

// cacheDelete(key) -> bool
void CacheDelete(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "cacheDelete");
  info.GetReturnValue().Set(false);
  std::string key;
  if (!KeyOf(args, &key)) return;
  cache::HttpCache* cache;
  Worker* worker;
  if (!Context(info, &cache, &worker)) return;
  absl::StatusOr<bool> deleted = cache->Delete(worker->tenant_name(), key);
  if (!deleted.ok()) {
    return ThrowError(info.GetIsolate(), base::StrCat("cache delete() failed: ", base::ToStd(deleted.status().message())));
  }
  info.GetReturnValue().Set(*deleted);
}

// cacheMaxEntryBytes() -> the largest body put stores (HttpCacheLimits::max_entry_bytes)
void CacheMaxEntryBytes(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(static_cast<double>(kLimits.max_entry_bytes));
}

}  // namespace

void SetHttpCache(std::shared_ptr<cache::HttpCache> cache) { SharedCache() = std::move(cache); }

void InstallCacheApi(NativeScope& scope) {
  scope.SetFunction("cacheGet", CacheGet);
  scope.SetFunction("cachePut", CachePut);
  scope.SetFunction("cacheDelete", CacheDelete);
  scope.SetFunction("cacheMaxEntryBytes", CacheMaxEntryBytes);
}

}  // namespace atl::bindings
