#include "bindings/kv.h"

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "base/limits.h"
#include "base/strings.h"
#include "bindings/buffers.h"
#include "bindings/native_args.h"
#include "bindings/native_scope.h"
#include "bindings/worker.h"
#include "isolates/v8_util.h"
#include "kv/kv_backend.h"
#include "kv/kv_store.h"

namespace atl::bindings {
namespace {

using isolates::NewString;

constexpr limits::KvLimits kLimits;  // Cloudflare Workers KV's key, value, metadata and list limits
constexpr uint32_t kDefaultCacheTtl = 60;  // seconds, as Workers KV's get() without cacheTtl

void Throw(v8::Isolate* isolate, v8::Local<v8::Value> (*make)(v8::Local<v8::String>), std::string_view message) {
  isolate->ThrowException(make(NewString(isolate, message)));
}

void ThrowRangeError(v8::Isolate* isolate, std::string_view message) {
  Throw(isolate, v8::Exception::RangeError, message);
}

void ThrowStoreError(v8::Isolate* isolate, std::string_view operation, const absl::Status& status) {
  Throw(isolate, v8::Exception::Error, base::StrCat("KV ", operation, "() failed: ", base::ToStd(status.message())));
}

// Starts a backend call (`start(done)`) and answers it. When the backend answered before
// `start` returned (SQLite, a cache hit), `to_js` makes the native's return value now, or throws.
// Otherwise the native returns undefined and the answer goes later, through the Worker's host
// calls, to the JS callback at argument `callback_index`: callback(true, value), or
// callback(false, exception) with what `to_js` threw. `to_js(isolate, Result)` is kept until
// then: it must own what it captures.
template <typename Result, typename Start, typename ToJs>
void Answer(const v8::FunctionCallbackInfo<v8::Value>& info, int callback_index, Start start, ToJs to_js) {
  struct Pending {
    const v8::FunctionCallbackInfo<v8::Value>* info;  // while the native runs
    bool answered = false;
    uint64_t call = 0;
    std::weak_ptr<Worker*> worker;
  };
  auto pending = std::make_shared<Pending>();
  pending->info = &info;
  start([pending, to_js](Result result) mutable {
    if (pending->info != nullptr) {  // answered at once: the native's return value
      pending->answered = true;
      v8::Local<v8::Value> value;
      if (to_js(pending->info->GetIsolate(), std::move(result)).ToLocal(&value)) pending->info->GetReturnValue().Set(value);
      return;
    }
    std::shared_ptr<Worker*> worker = pending->worker.lock();
    if (worker == nullptr || pending->call == 0) return;  // the Worker, or the call, is gone
    (*worker)->CompleteHostCall(pending->call, [&](v8::Isolate* isolate, v8::Local<v8::Value>* argv) {
      v8::TryCatch try_catch(isolate);
      v8::Local<v8::Value> value;
      bool ok = to_js(isolate, std::move(result)).ToLocal(&value);
      argv[0] = v8::Boolean::New(isolate, ok);
      argv[1] = ok                     ? value
                : try_catch.HasCaught() ? try_catch.Exception()
                                        : v8::Exception::Error(NewString(isolate, "KV call failed"));
      return 2;
    });
  });
  pending->info = nullptr;
  if (pending->answered) return;
  Worker* worker = NativeScope::WorkerFrom(info);
  v8::Local<v8::Value> callback = info[callback_index];
  if (worker != nullptr && callback->IsFunction()) {
    pending->worker = worker->weak_handle();
    pending->call = worker->BeginHostCall(callback.As<v8::Function>());
  }
  if (pending->call == 0) Throw(info.GetIsolate(), v8::Exception::Error, "KV: this call cannot wait for its answer here");
}

// The error a backend's failure becomes.
v8::MaybeLocal<v8::Value> StoreError(v8::Isolate* isolate, std::string_view operation, const absl::Status& status) {
  ThrowStoreError(isolate, operation, status);
  return {};
}

// Every KV native takes (namespace index, key or prefix, ...): the index is the binding's place
// in WorkerOptions::env (bindings/env_kv.h).
constexpr int kNamespace = 0;
constexpr int kKey = 1;

// The store of the namespace argument; throws if there is none (a Worker made without it, or a
// context with no Worker, as while the snapshot is made).
kv::KvBackend* StoreOf(const v8::FunctionCallbackInfo<v8::Value>& info, const NativeArgs& args) {
  Worker* worker = NativeScope::WorkerFrom(info);
  kv::KvBackend* store = nullptr;
  // Not a uint32: no index kv_store() knows.
  if (worker != nullptr) store = worker->kv_store(args.Uint32Or(kNamespace, UINT32_MAX));
  if (store == nullptr) Throw(info.GetIsolate(), v8::Exception::Error, "this KV namespace is not available");
  return store;
}

// The key argument: a string (the JS half converted it) of 1 to 512 UTF-8 bytes, not "." or "..".
bool KeyOf(const NativeArgs& args, std::string_view operation, std::string* key) {
  v8::Isolate* isolate = args.isolate();
  if (!args[kKey]->IsString()) {
    ThrowTypeError(isolate, base::StrCat("KV ", operation, "(): the key must be a string"));
    return false;
  }
  *key = *args.String(kKey);
  if (key->empty()) {
    ThrowTypeError(isolate, base::StrCat("KV ", operation, "(): the key must not be empty"));
    return false;
  }
  if (*key == "." || *key == "..") {
    ThrowTypeError(isolate, base::StrCat("KV ", operation, "(): the key must not be \".\" or \"..\""));
    return false;
  }
  if (key->size() > kLimits.max_key_bytes) {
    ThrowRangeError(isolate, base::StrCat("KV ", operation, "(): the key is ", key->size(), " bytes (UTF-8); the limit is ",
                                          kLimits.max_key_bytes, " bytes"));
    return false;
  }
  return true;
}

// kvGet(namespace, key, asText, withMetadata, cacheTtl, callback)
void KvGet(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "kvGet");
  kv::KvBackend* store = StoreOf(info, args);
  std::string key;
  if (store == nullptr || !KeyOf(args, "get", &key)) return;
  bool as_text = args.Flag(2);
  bool with_metadata = args.Flag(3);
  uint32_t cache_ttl = args.Uint32Or(4, kDefaultCacheTtl);
  auto to_js = [as_text, with_metadata](v8::Isolate* isolate,
                                        absl::StatusOr<const kv::KvRow*> found) -> v8::MaybeLocal<v8::Value> {
    if (!found.ok()) return StoreError(isolate, "get", found.status());
    if (*found == nullptr) return v8::Null(isolate);
    const kv::KvRow& row = **found;
    v8::Local<v8::Value> value;
    if (as_text) {
      v8::Local<v8::String> text;
      if (!v8::String::NewFromUtf8(isolate, row.value.data(), v8::NewStringType::kNormal,
                                   static_cast<int>(row.value.size()))
               .ToLocal(&text)) {
        ThrowRangeError(isolate, "KV get(): the value is too long for a string; read it as an \"arrayBuffer\"");
        return {};
      }
      value = text;
    } else {
      // The bytes count against the tenant's memory budget from here on.
      v8::Local<v8::ArrayBuffer> buffer;
      if (!NewArrayBuffer(isolate, row.value.size()).ToLocal(&buffer)) return {};  // a RangeError is thrown
      if (!row.value.empty()) std::memcpy(buffer->Data(), row.value.data(), row.value.size());
      value = buffer;
    }
    if (!with_metadata) return value;
    v8::Local<v8::Value> pair[] = {value, row.metadata.empty() ? v8::Null(isolate).As<v8::Value>()
                                                               : NewString(isolate, row.metadata).As<v8::Value>()};
    return v8::Array::New(isolate, pair, 2);
  };
  Answer<absl::StatusOr<const kv::KvRow*>>(
      info, 5, [&](kv::KvBackend::GetDone done) { store->Get(key, kv::KvNow(), cache_ttl, std::move(done)); }, to_js);
}

// Whole seconds from argument `index` (undefined: 0); -1 after throwing.
int64_t Seconds(const NativeArgs& args, int index, const char* name) {
  if (args[index]->IsUndefined()) return 0;
  double seconds = args[index]->IsNumber() ? args[index].As<v8::Number>()->Value() : NAN;
  if (!std::isfinite(seconds)) {
    ThrowTypeError(args.isolate(), base::StrCat("KV put(): ", name, " must be a finite number of seconds"));
    return -1;
  }
  if (seconds < 0) {
    ThrowRangeError(args.isolate(), base::StrCat("KV put(): ", name, " must not be negative"));
    return -1;
  }
  return static_cast<int64_t>(std::floor(seconds));
}

// kvPut(namespace, key, value, expiration, expirationTtl, metadata JSON, callback) -> true
void KvPut(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  NativeArgs args(info, "kvPut");
  constexpr int kValue = 2, kExpiration = 3, kTtl = 4, kMetadata = 5;
  kv::KvBackend* store = StoreOf(info, args);
  std::string key;
  if (store == nullptr || !KeyOf(args, "put", &key)) return;
  // The value: a string, or the bytes of an ArrayBuffer or a view (the JS half read streams).
  std::string text;
  BufferBytes bytes_value;
  std::string_view value;
  if (args[kValue]->IsString()) {
    v8::Local<v8::String> string = args[kValue].As<v8::String>();
    // Checked before copying: at most 3 UTF-8 bytes per UTF-16 unit.
    size_t bytes = static_cast<size_t>(string->Length()) <= kLimits.max_value_bytes / 3
                       ? 0
                       : static_cast<size_t>(string->Utf8Length(isolate));
    if (bytes <= kLimits.max_value_bytes) {
      text = *args.String(kValue);
      value = text;
    } else {
      ThrowRangeError(isolate, base::StrCat("KV put(): the value is ", bytes, " bytes; the limit is ", kLimits.max_value_bytes,
                                            " bytes (25 MiB)"));
      return;
    }
  } else if (args[kValue]->IsArrayBuffer() || args[kValue]->IsArrayBufferView()) {
    if (!args.Bytes(kValue, &bytes_value)) return;
    value = bytes_value.view();
  } else {
    ThrowTypeError(isolate,
                   "KV put(): the value must be a string, an ArrayBuffer, an ArrayBufferView or a ReadableStream");
    return;
  }
  if (value.size() > kLimits.max_value_bytes) {
    ThrowRangeError(isolate, base::StrCat("KV put(): the value is ", value.size(), " bytes; the limit is ",
                                          kLimits.max_value_bytes, " bytes (25 MiB)"));
    return;
  }
  int64_t now = kv::KvNow();
  int64_t expiration = Seconds(args, kExpiration, "expiration");
  if (expiration < 0) return;
  int64_t ttl = Seconds(args, kTtl, "expirationTtl");
  if (ttl < 0) return;
  if (!args[kTtl]->IsUndefined()) {
    if (ttl < kLimits.min_expiration_ttl_s) {
      ThrowRangeError(isolate, base::StrCat("KV put(): expirationTtl is ", ttl, "; it must be at least ",
                                            kLimits.min_expiration_ttl_s, " seconds"));
      return;
    }
    expiration = now + ttl;
  } else if (!args[kExpiration]->IsUndefined() && expiration < now + kLimits.min_expiration_ttl_s) {
    ThrowRangeError(isolate, base::StrCat("KV put(): expiration ", expiration, " is less than ", kLimits.min_expiration_ttl_s,
                                          " seconds in the future (now is ", now, ")"));
    return;
  }
  std::string metadata;
  if (args[kMetadata]->IsString()) {
    metadata = *args.String(kMetadata);
    if (metadata.size() > kLimits.max_metadata_bytes) {
      ThrowRangeError(isolate, base::StrCat("KV put(): the metadata is ", metadata.size(),
                                            " bytes serialized; the limit is ", kLimits.max_metadata_bytes, " bytes"));
      return;
    }
  }
  Answer<absl::Status>(
      info, 6,
      [&](kv::KvBackend::WriteDone done) { store->Put(key, value, expiration, metadata, now, std::move(done)); },
      [](v8::Isolate* isolate, absl::Status put) -> v8::MaybeLocal<v8::Value> {
        if (!put.ok()) return StoreError(isolate, "put", put);
        return v8::True(isolate);
      });
}

// kvDelete(namespace, key, callback) -> true
void KvDelete(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "kvDelete");
  kv::KvBackend* store = StoreOf(info, args);
  std::string key;
  if (store == nullptr || !KeyOf(args, "delete", &key)) return;
  Answer<absl::Status>(
      info, 2, [&](kv::KvBackend::WriteDone done) { store->Delete(key, std::move(done)); },
      [](v8::Isolate* isolate, absl::Status deleted) -> v8::MaybeLocal<v8::Value> {
        if (!deleted.ok()) return StoreError(isolate, "delete", deleted);
        return v8::True(isolate);
      });
}

// kvList(namespace, prefix, limit, cursor, callback)
void KvList(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  NativeArgs args(info, "kvList");
  kv::KvBackend* store = StoreOf(info, args);
  if (store == nullptr) return;
  std::string prefix = args.StringOr(1, "");
  uint32_t limit = args.Uint32Or(2, kLimits.max_list_limit);
  if (limit < 1 || limit > kLimits.max_list_limit) {
    ThrowRangeError(isolate, base::StrCat("KV list(): limit is ", limit, "; it must be between 1 and ",
                                          kLimits.max_list_limit));
    return;
  }
  std::string cursor = args.StringOr(3, "");
  auto to_js = [](v8::Isolate* isolate, absl::StatusOr<kv::KvListResult> page) -> v8::MaybeLocal<v8::Value> {
    if (!page.ok()) {
      if (page.status().code() == absl::StatusCode::kInvalidArgument) {
        ThrowTypeError(isolate, "KV list(): the cursor is not one list() returned");
        return {};
      }
      return StoreError(isolate, "list", page.status());
    }
    std::vector<v8::Local<v8::Value>> items;
    items.reserve(2 + page->keys.size() * 3);
    items.push_back(v8::Boolean::New(isolate, page->complete));
    items.push_back(NewString(isolate, page->cursor));
    for (const kv::KvListedKey& key : page->keys) {
      items.push_back(NewString(isolate, key.name));
      items.push_back(key.expiration == 0
                          ? v8::Local<v8::Value>(v8::Undefined(isolate))
                          : v8::Local<v8::Value>(v8::Number::New(isolate, static_cast<double>(key.expiration))));
      items.push_back(key.metadata.empty() ? v8::Local<v8::Value>(v8::Undefined(isolate))
                                           : v8::Local<v8::Value>(NewString(isolate, key.metadata)));
    }
    return v8::Array::New(isolate, items.data(), items.size());
  };
  Answer<absl::StatusOr<kv::KvListResult>>(
      info, 4,
      [&](kv::KvBackend::ListDone done) { store->List(prefix, limit, cursor, kv::KvNow(), std::move(done)); }, to_js);
}

}  // namespace

void InstallKv(NativeScope& scope) {
  scope.SetFunction("kvGet", KvGet);
  scope.SetFunction("kvPut", KvPut);
  scope.SetFunction("kvDelete", KvDelete);
  scope.SetFunction("kvList", KvList);
}

}  // namespace atl::bindings
