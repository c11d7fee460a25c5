#include "bindings/kv.h"

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "base/strings.h"
#include "bindings/buffers.h"
#include "bindings/native_scope.h"
#include "bindings/worker.h"
#include "isolates/v8_util.h"
#include "kv/kv_store.h"

namespace atl::bindings {
namespace {

using isolates::NewString;

void Throw(v8::Isolate* isolate, v8::Local<v8::Value> (*make)(v8::Local<v8::String>), std::string_view message) {
  isolate->ThrowException(make(NewString(isolate, message)));
}

void ThrowRangeError(v8::Isolate* isolate, std::string_view message) {
  Throw(isolate, v8::Exception::RangeError, message);
}

void ThrowStoreError(v8::Isolate* isolate, std::string_view operation, const absl::Status& status) {
  Throw(isolate, v8::Exception::Error, base::StrCat("KV ", operation, "() failed: ", base::ToStd(status.message())));
}

// The store of namespace info[0]; throws if there is none (a Worker made without it, or a
// context with no Worker, as while the snapshot is made).
kv::KvStore* StoreOf(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Worker* worker = NativeScope::WorkerFrom(info);
  kv::KvStore* store = nullptr;
  if (worker != nullptr && info[0]->IsUint32()) store = worker->kv_store(info[0].As<v8::Uint32>()->Value());
  if (store == nullptr) Throw(info.GetIsolate(), v8::Exception::Error, "this KV namespace is not available");
  return store;
}

// A JS string's UTF-8 bytes (lone surrogates become U+FFFD).
std::string Utf8Of(v8::Isolate* isolate, v8::Local<v8::String> text) {
  std::string out(text->Utf8Length(isolate), '\0');
  text->WriteUtf8(isolate, out.data(), static_cast<int>(out.size()), nullptr, v8::String::NO_NULL_TERMINATION |
                                                                              v8::String::REPLACE_INVALID_UTF8);
  return out;
}

// info[1] as a key: a string (the JS half converted it) of 1 to 512 UTF-8 bytes, not "." or "..".
bool KeyOf(const v8::FunctionCallbackInfo<v8::Value>& info, std::string_view operation, std::string* key) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[1]->IsString()) {
    ThrowTypeError(isolate, base::StrCat("KV ", operation, "(): the key must be a string"));
    return false;
  }
  *key = Utf8Of(isolate, info[1].As<v8::String>());
  if (key->empty()) {
    ThrowTypeError(isolate, base::StrCat("KV ", operation, "(): the key must not be empty"));
    return false;
  }
  if (*key == "." || *key == "..") {
    ThrowTypeError(isolate, base::StrCat("KV ", operation, "(): the key must not be \".\" or \"..\""));
    return false;
  }
  if (key->size() > kv::kMaxKeyBytes) {
    ThrowRangeError(isolate, base::StrCat("KV ", operation, "(): the key is ", key->size(), " bytes (UTF-8); the limit is ",
                                          kv::kMaxKeyBytes, " bytes"));
    return false;
  }
  return true;
}

void KvGet(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  kv::KvStore* store = StoreOf(info);
  std::string key;
  if (store == nullptr || !KeyOf(info, "get", &key)) return;
  bool as_text = info[2]->IsTrue();
  bool with_metadata = info[3]->IsTrue();
  v8::Local<v8::Value> value;
  v8::Local<v8::Value> metadata = v8::Null(isolate);
  bool failed = false;
  absl::StatusOr<bool> found = store->Get(key, kv::KvNow(), [&](const kv::KvRow& row) {
    if (as_text) {
      v8::Local<v8::String> text;
      if (!v8::String::NewFromUtf8(isolate, row.value.data(), v8::NewStringType::kNormal,
                                   static_cast<int>(row.value.size()))
               .ToLocal(&text)) {
        ThrowRangeError(isolate, "KV get(): the value is too long for a string; read it as an \"arrayBuffer\"");
        failed = true;
        return;
      }
      value = text;
    } else {
      // The bytes count against the tenant's memory budget from here on.
      v8::Local<v8::ArrayBuffer> buffer;
      if (!NewArrayBuffer(isolate, row.value.size()).ToLocal(&buffer)) {
        failed = true;  // a RangeError is thrown
        return;
      }
      if (!row.value.empty()) std::memcpy(buffer->Data(), row.value.data(), row.value.size());
      value = buffer;
    }
    if (with_metadata && !row.metadata.empty()) metadata = NewString(isolate, row.metadata);
  });
  if (failed) return;
  if (!found.ok()) return ThrowStoreError(isolate, "get", found.status());
  if (!*found) {
    info.GetReturnValue().SetNull();
    return;
  }
  if (!with_metadata) {
    info.GetReturnValue().Set(value);
    return;
  }
  v8::Local<v8::Value> pair[] = {value, metadata};
  info.GetReturnValue().Set(v8::Array::New(isolate, pair, 2));
}

// Whole seconds from info[index] (undefined: 0); -1 after throwing.
int64_t Seconds(const v8::FunctionCallbackInfo<v8::Value>& info, int index, const char* name) {
  if (info[index]->IsUndefined()) return 0;
  double seconds = info[index]->IsNumber() ? info[index].As<v8::Number>()->Value() : NAN;
  if (!std::isfinite(seconds)) {
    ThrowTypeError(info.GetIsolate(), base::StrCat("KV put(): ", name, " must be a finite number of seconds"));
    return -1;
  }
  if (seconds < 0) {
    ThrowRangeError(info.GetIsolate(), base::StrCat("KV put(): ", name, " must not be negative"));
    return -1;
  }
  return static_cast<int64_t>(std::floor(seconds));
}

void KvPut(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  kv::KvStore* store = StoreOf(info);
  std::string key;
  if (store == nullptr || !KeyOf(info, "put", &key)) return;
  // The value: a string, or the bytes of an ArrayBuffer or a view (the JS half read streams).
  std::string text;
  BufferBytes bytes_value;
  std::string_view value;
  if (info[2]->IsString()) {
    v8::Local<v8::String> string = info[2].As<v8::String>();
    // Checked before copying: at most 3 UTF-8 bytes per UTF-16 unit.
    size_t bytes = static_cast<size_t>(string->Length()) <= kv::kMaxValueBytes / 3
                       ? 0
                       : static_cast<size_t>(string->Utf8Length(isolate));
    if (bytes <= kv::kMaxValueBytes) {
      text = Utf8Of(isolate, string);
      value = text;
    } else {
      ThrowRangeError(isolate, base::StrCat("KV put(): the value is ", bytes, " bytes; the limit is ", kv::kMaxValueBytes,
                                            " bytes (25 MiB)"));
      return;
    }
  } else if (info[2]->IsArrayBuffer() || info[2]->IsArrayBufferView()) {
    if (!GetBufferBytes(isolate, info[2], &bytes_value)) return;
    value = bytes_value.view();
  } else {
    ThrowTypeError(isolate,
                   "KV put(): the value must be a string, an ArrayBuffer, an ArrayBufferView or a ReadableStream");
    return;
  }
  if (value.size() > kv::kMaxValueBytes) {
    ThrowRangeError(isolate, base::StrCat("KV put(): the value is ", value.size(), " bytes; the limit is ",
                                          kv::kMaxValueBytes, " bytes (25 MiB)"));
    return;
  }
  int64_t now = kv::KvNow();
  int64_t expiration = Seconds(info, 3, "expiration");
  if (expiration < 0) return;
  int64_t ttl = Seconds(info, 4, "expirationTtl");
  if (ttl < 0) return;
  if (!info[4]->IsUndefined()) {
    if (ttl < kv::kMinExpirationTtl) {
      ThrowRangeError(isolate, base::StrCat("KV put(): expirationTtl is ", ttl, "; it must be at least ",
                                            kv::kMinExpirationTtl, " seconds"));
      return;
    }
    expiration = now + ttl;
  } else if (!info[3]->IsUndefined() && expiration < now + kv::kMinExpirationTtl) {
    ThrowRangeError(isolate, base::StrCat("KV put(): expiration ", expiration, " is less than ", kv::kMinExpirationTtl,
                                          " seconds in the future (now is ", now, ")"));
    return;
  }
  std::string metadata;
  if (info[5]->IsString()) {
    metadata = Utf8Of(isolate, info[5].As<v8::String>());
    if (metadata.size() > kv::kMaxMetadataBytes) {
      ThrowRangeError(isolate, base::StrCat("KV put(): the metadata is ", metadata.size(),
                                            " bytes serialized; the limit is ", kv::kMaxMetadataBytes, " bytes"));
      return;
    }
  }
  absl::Status put = store->Put(key, value, expiration, metadata, now);
  if (!put.ok()) ThrowStoreError(isolate, "put", put);
}

void KvDelete(const v8::FunctionCallbackInfo<v8::Value>& info) {
  kv::KvStore* store = StoreOf(info);
  std::string key;
  if (store == nullptr || !KeyOf(info, "delete", &key)) return;
  absl::Status deleted = store->Delete(key);
  if (!deleted.ok()) ThrowStoreError(info.GetIsolate(), "delete", deleted);
}

void KvList(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  kv::KvStore* store = StoreOf(info);
  if (store == nullptr) return;
  std::string prefix = info[1]->IsString() ? Utf8Of(isolate, info[1].As<v8::String>()) : std::string();
  uint32_t limit = info[2]->IsUint32() ? info[2].As<v8::Uint32>()->Value() : kv::kMaxListLimit;
  if (limit < 1 || limit > kv::kMaxListLimit) {
    ThrowRangeError(isolate, base::StrCat("KV list(): limit is ", limit, "; it must be between 1 and ",
                                          kv::kMaxListLimit));
    return;
  }
  std::string cursor = info[3]->IsString() ? Utf8Of(isolate, info[3].As<v8::String>()) : std::string();
  absl::StatusOr<kv::KvListResult> page = store->List(prefix, limit, cursor, kv::KvNow());
  if (!page.ok()) {
    if (page.status().code() == absl::StatusCode::kInvalidArgument) {
      ThrowTypeError(isolate, "KV list(): the cursor is not one list() returned");
    } else {
      ThrowStoreError(isolate, "list", page.status());
    }
    return;
  }
  std::vector<v8::Local<v8::Value>> items;
  items.reserve(2 + page->keys.size() * 3);
  items.push_back(v8::Boolean::New(isolate, page->complete));
  items.push_back(NewString(isolate, page->cursor));
  for (const kv::KvListedKey& key : page->keys) {
    items.push_back(NewString(isolate, key.name));
    items.push_back(key.expiration == 0 ? v8::Local<v8::Value>(v8::Undefined(isolate))
                                        : v8::Local<v8::Value>(v8::Number::New(isolate, static_cast<double>(key.expiration))));
    items.push_back(key.metadata.empty() ? v8::Local<v8::Value>(v8::Undefined(isolate))
                                         : v8::Local<v8::Value>(NewString(isolate, key.metadata)));
  }
  info.GetReturnValue().Set(v8::Array::New(isolate, items.data(), items.size()));
}

}  // namespace

void InstallKv(NativeScope& scope) {
  scope.SetFunction("kvGet", KvGet);
  scope.SetFunction("kvPut", KvPut);
  scope.SetFunction("kvDelete", KvDelete);
  scope.SetFunction("kvList", KvList);
}

}  // namespace atl::bindings
