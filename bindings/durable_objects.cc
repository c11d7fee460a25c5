#include "bindings/durable_objects.h"

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "base/strings.h"
#include "bindings/buffers.h"
#include "bindings/do_shared_storage.h"
#include "bindings/native_args.h"
#include "bindings/native_scope.h"
#include "bindings/worker.h"
#include "isolates/v8_util.h"
#include "kv/do_store.h"

namespace atl::bindings {
namespace {

using isolates::NewString;

void ThrowError(v8::Isolate* isolate, std::string_view message) {
  isolate->ThrowException(v8::Exception::Error(NewString(isolate, message)));
}

std::string Hex(const unsigned char* bytes, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < size; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 15];
  }
  return out;
}

std::string TenantOf(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Worker* worker = NativeScope::WorkerFrom(info);
  return worker == nullptr ? std::string() : worker->tenant_name();
}

// A class name or id as a path component: a JS identifier / 64 hex digits, checked by the JS half
// and again here.
bool SafeComponent(std::string_view text) {
  if (text.empty() || text.size() > 128) return false;
  for (char c : text) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$')) return false;
  }
  return true;
}

// The open databases of this process, by handle; each belongs to one tenant.
struct OpenStore {
  std::string tenant;
  std::string key;  // tenant/class/id
  std::unique_ptr<kv::DoStore> store;           // single node: the SQLite file alone
  std::shared_ptr<SharedObjectStorage> shared;  // cluster mode with PostgreSQL (do_shared_storage.h)
  uint32_t opens = 0;  // contexts that opened it and did not close it (per_request contexts share it)
  kv::DoStore* db() const { return shared ? shared->store() : store.get(); }
};
struct Stores {
  absl::flat_hash_map<uint32_t, OpenStore> by_handle;
  absl::flat_hash_map<std::string, uint32_t> by_key;
  uint32_t next = 1;
};
Stores& OpenStores() {
  static Stores* stores = new Stores;
  return *stores;
}

OpenStore* OpenStoreOf(const v8::FunctionCallbackInfo<v8::Value>& info, const NativeArgs& args) {
  auto it = OpenStores().by_handle.find(args.Uint32Or(0, 0));
  if (it == OpenStores().by_handle.end() || it->second.tenant != TenantOf(info)) {
    ThrowError(info.GetIsolate(), "this Durable Object's storage is closed");
    return nullptr;
  }
  return &it->second;
}

kv::DoStore* StoreOf(const v8::FunctionCallbackInfo<v8::Value>& info, const NativeArgs& args) {
  OpenStore* open = OpenStoreOf(info, args);
  if (open == nullptr) return nullptr;
  if (open->shared && !open->shared->failure().ok()) {
    ThrowError(info.GetIsolate(), base::ToStd(open->shared->failure().message()));
    return nullptr;
  }
  return open->db();
}

// Starts `start(done)` (done: void(absl::Status)) and answers it: when `done` ran before `start`
// returned, the native returns true or throws the error; otherwise it returns undefined and the
// JS function at argument `callback_index` gets (true) or (false, Error) later, through the
// Worker's host calls (the event loop answered).
template <typename Start>
void AnswerStatus(const v8::FunctionCallbackInfo<v8::Value>& info, int callback_index, Start start) {
  struct Pending {
    bool in_call = true;
    bool answered = false;
    absl::Status status;
    uint64_t call = 0;
    std::weak_ptr<Worker*> worker;
  };
  auto pending = std::make_shared<Pending>();
  start([pending](absl::Status status) {
    if (pending->in_call) {
      pending->answered = true;
      pending->status = std::move(status);
      return;
    }
    std::shared_ptr<Worker*> worker = pending->worker.lock();
    if (worker == nullptr || pending->call == 0) return;
    (*worker)->CompleteHostCall(pending->call, [&](v8::Isolate* isolate, v8::Local<v8::Value>* argv) {
      argv[0] = v8::Boolean::New(isolate, status.ok());
      argv[1] = status.ok() ? v8::Undefined(isolate).As<v8::Value>()
                            : v8::Exception::Error(NewString(isolate, base::ToStd(status.message())));
      return 2;
    });
  });
  pending->in_call = false;
  v8::Isolate* isolate = info.GetIsolate();
  if (pending->answered) {
    if (!pending->status.ok()) return ThrowError(isolate, base::ToStd(pending->status.message()));
    info.GetReturnValue().Set(true);
    return;
  }
  Worker* worker = NativeScope::WorkerFrom(info);
  v8::Local<v8::Value> callback = info[callback_index];
  if (worker != nullptr && callback->IsFunction()) {
    pending->worker = worker->weak_handle();
    pending->call = worker->BeginHostCall(callback.As<v8::Function>());
  }
  if (pending->call == 0) ThrowError(isolate, "Durable Object storage: this call cannot wait for its answer here");
}

void DoIdFromName(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "doIdFromName");
  std::string key = base::StrCat("atoll-durable-object:", TenantOf(info));
  std::string message = base::StrCat(args.Text(0), std::string_view("\0", 1), args.Text(1));
  unsigned char digest[32];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), digest, &length);
  info.GetReturnValue().Set(NewString(info.GetIsolate(), Hex(digest, 32)));
}

void DoNewUniqueId(const v8::FunctionCallbackInfo<v8::Value>& info) {
  unsigned char bytes[32];
  RAND_bytes(bytes, sizeof bytes);
  info.GetReturnValue().Set(NewString(info.GetIsolate(), Hex(bytes, 32)));
}

void DoIsLocal(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "doIsLocal");
  info.GetReturnValue().Set(kv::ObjectPlacement::IsLocal(args.Text(0)));
}

void DoOwner(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "doOwner");
  info.GetReturnValue().Set(kv::ObjectPlacement::Owner(args.Text(0)));
}

// Cluster mode (kv::DoSettings::where): false on a single node.
void DoClustered(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(static_cast<bool>(kv::DoConfig().where));
}

// The route's JS shape: true (this node), the owner node's name, or undefined (not known).
v8::Local<v8::Value> RouteValue(v8::Isolate* isolate, const kv::ObjectRoute& route) {
  switch (route.kind) {
    case kv::ObjectRoute::kHere: return v8::True(isolate);
    case kv::ObjectRoute::kRemote: return NewString(isolate, route.node);
    default: return v8::Undefined(isolate);
  }
}

void DoWhere(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "doWhere");
  const kv::DoSettings& settings = kv::DoConfig();
  if (!settings.where) return info.GetReturnValue().Set(true);
  info.GetReturnValue().Set(RouteValue(info.GetIsolate(), settings.where(TenantOf(info), args.Text(0), args.Text(1))));
}

// doResolve(className, id, callback): the owner at once (the return value) or later through
// callback(true, owner) / callback(false, error message); claims the object if nobody owns it.
void DoResolve(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  NativeArgs args(info, "doResolve");
  const kv::DoSettings& settings = kv::DoConfig();
  if (!settings.resolve) return info.GetReturnValue().Set(true);
  struct Pending {
    bool in_native = true;
    std::optional<absl::StatusOr<kv::ObjectRoute>> now;  // answered before the native returned
    uint64_t call = 0;
    std::weak_ptr<Worker*> worker;
  };
  auto pending = std::make_shared<Pending>();
  settings.resolve(TenantOf(info), args.Text(0), args.Text(1), [pending](absl::StatusOr<kv::ObjectRoute> route) {
    if (pending->in_native) {
      pending->now = std::move(route);
      return;
    }
    std::shared_ptr<Worker*> worker = pending->worker.lock();
    if (worker == nullptr || pending->call == 0) return;
    (*worker)->CompleteHostCall(pending->call, [&](v8::Isolate* isolate, v8::Local<v8::Value>* argv) {
      argv[0] = v8::Boolean::New(isolate, route.ok());
      argv[1] = route.ok() ? RouteValue(isolate, *route)
                           : v8::Local<v8::Value>(NewString(isolate, base::ToStd(route.status().message())));
      return 2;
    });
  });
  pending->in_native = false;
  if (pending->now) {
    if (!pending->now->ok()) return ThrowError(isolate, base::ToStd(pending->now->status().message()));
    return info.GetReturnValue().Set(RouteValue(isolate, **pending->now));
  }
  Worker* worker = NativeScope::WorkerFrom(info);
  if (worker != nullptr && info[2]->IsFunction()) {
    pending->worker = worker->weak_handle();
    pending->call = worker->BeginHostCall(info[2].As<v8::Function>());
  }
  if (pending->call == 0) ThrowError(isolate, "Durable Objects: this call cannot wait for its answer here");
}

// The fencing token this process writes the object's storage with (kv::ObjectPlacement::Fence).
void DoFence(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "doFence");
  uint64_t token = kv::ObjectPlacement::Fence(TenantOf(info), args.Text(0), args.Text(1));
  info.GetReturnValue().Set(v8::Number::New(info.GetIsolate(), static_cast<double>(token)));
}

void DoOpen(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  NativeArgs args(info, "doOpen");
  std::string tenant = TenantOf(info);
  std::string class_name = args.Text(0);
  std::string id = args.Text(1);
  if (kv::DoConfig().data_dir.empty()) {
    return ThrowError(isolate, "Durable Objects need the server's data_dir ([server] data_dir)");
  }
  if (tenant.empty() || !SafeComponent(class_name) || !SafeComponent(id)) {
    return ThrowError(isolate, "Durable Object storage: bad class name or id");
  }
  std::string key = base::StrCat(tenant, "/", class_name, "/", id);
  Stores& stores = OpenStores();
  if (auto it = stores.by_key.find(key); it != stores.by_key.end()) {
    OpenStore& open = stores.by_handle[it->second];
    if (!open.shared || open.shared->failure().ok()) {
      ++open.opens;
      info.GetReturnValue().Set(it->second);
      return;
    }
    stores.by_key.erase(it);  // failed: its holders keep their handle until they close it
  }
  std::filesystem::path file = kv::DoConfig().data_dir / "do" / tenant / class_name / (id + ".sqlite3");
  const std::shared_ptr<kv::DoBackend>& backend = kv::DoConfig().backend;
  absl::StatusOr<std::unique_ptr<kv::DoStore>> store = kv::DoStore::Open(file, kv::DoConfig().max_bytes, backend != nullptr);
  if (!store.ok()) return ThrowError(isolate, base::ToStd(store.status().message()));
  uint32_t handle = stores.next++;
  stores.by_key[key] = handle;
  OpenStore& open = stores.by_handle[handle] = OpenStore{tenant, key, nullptr, nullptr, 1};
  if (backend != nullptr) {
    open.shared = std::make_shared<SharedObjectStorage>(kv::DoObjectKey{tenant, class_name, id}, std::move(*store), backend);
    open.shared->Load();
  } else {
    open.store = std::move(*store);
  }
  info.GetReturnValue().Set(handle);
}

// doShared() -> whether storage is journaled to shared storage (cluster mode with PostgreSQL).
void DoShared(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(kv::DoConfig().backend != nullptr);
}

// doReady(handle, callback): the store is restored (true, or the callback later); throws if it failed.
void DoReady(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "doReady");
  OpenStore* open = OpenStoreOf(info, args);
  if (open == nullptr) return;
  if (!open->shared) return info.GetReturnValue().Set(true);
  std::shared_ptr<SharedObjectStorage> shared = open->shared;
  AnswerStatus(info, 1, [&](SharedObjectStorage::Done done) { shared->WhenReady(std::move(done)); });
}

// doSync(handle, callback): commits what changed; true (or the callback later) once every write
// made so far is durable in shared storage; throws when the storage failed (a refused commit).
void DoSync(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "doSync");
  OpenStore* open = OpenStoreOf(info, args);
  if (open == nullptr) return;
  if (!open->shared) return info.GetReturnValue().Set(true);
  std::shared_ptr<SharedObjectStorage> shared = open->shared;
  AnswerStatus(info, 1, [&](SharedObjectStorage::Done done) { shared->Sync(std::move(done)); });
}

void DoClose(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "doClose");
  Stores& stores = OpenStores();
  auto it = stores.by_handle.find(args.Uint32Or(0, 0));
  if (it == stores.by_handle.end() || it->second.tenant != TenantOf(info)) return;
  if (--it->second.opens > 0) return;
  if (auto key = stores.by_key.find(it->second.key); key != stores.by_key.end() && key->second == it->first) {
    stores.by_key.erase(key);
  }
  if (it->second.shared) it->second.shared->Close();
  stores.by_handle.erase(it);
}

bool ToSql(v8::Isolate* isolate, v8::Local<v8::Value> value, kv::SqlValue* out) {
  if (value->IsNullOrUndefined()) return true;
  if (value->IsBoolean()) {
    out->type = kv::SqlValue::kInteger;
    out->integer = value->IsTrue() ? 1 : 0;
  } else if (value->IsNumber()) {
    double number = value.As<v8::Number>()->Value();
    if (std::trunc(number) == number && std::fabs(number) < 9007199254740992.0) {
      out->type = kv::SqlValue::kInteger;
      out->integer = static_cast<int64_t>(number);
    } else {
      out->type = kv::SqlValue::kReal;
      out->real = number;
    }
  } else if (value->IsBigInt()) {
    out->type = kv::SqlValue::kInteger;
    out->integer = value.As<v8::BigInt>()->Int64Value();
  } else if (value->IsString()) {
    out->type = kv::SqlValue::kText;
    out->bytes = isolates::ToUtf8(isolate, value);
  } else if (value->IsArrayBuffer() || value->IsArrayBufferView()) {
    BufferBytes bytes;
    if (!GetBufferBytes(isolate, value, &bytes)) return false;
    out->type = kv::SqlValue::kBlob;
    out->bytes = std::string(bytes.view());
  } else {
    ThrowTypeError(isolate, "SQL bindings must be null, numbers, bigints, strings, booleans or ArrayBuffers");
    return false;
  }
  return true;
}

v8::Local<v8::Value> FromSql(v8::Isolate* isolate, const kv::SqlValue& value) {
  switch (value.type) {
    case kv::SqlValue::kInteger: return v8::Number::New(isolate, static_cast<double>(value.integer));
    case kv::SqlValue::kReal: return v8::Number::New(isolate, value.real);
    case kv::SqlValue::kText: return NewString(isolate, value.bytes);
    case kv::SqlValue::kBlob: {
      v8::Local<v8::ArrayBuffer> buffer;
      if (!NewArrayBuffer(isolate, value.bytes.size()).ToLocal(&buffer)) return v8::Null(isolate);
      if (!value.bytes.empty()) std::memcpy(buffer->Data(), value.bytes.data(), value.bytes.size());
      return buffer;
    }
    default: return v8::Null(isolate);
  }
}

void DoExec(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  NativeArgs args(info, "doExec");
  kv::DoStore* store = StoreOf(info, args);
  if (store == nullptr) return;
  std::string sql = args.Text(1);
  std::vector<kv::SqlValue> bindings;
  if (info[2]->IsArray()) {
    v8::Local<v8::Array> array = info[2].As<v8::Array>();
    v8::Local<v8::Context> context = isolate->GetCurrentContext();
    for (uint32_t i = 0; i < array->Length(); ++i) {
      v8::Local<v8::Value> item;
      if (!array->Get(context, i).ToLocal(&item)) return;
      bindings.emplace_back();
      if (!ToSql(isolate, item, &bindings.back())) return;
    }
  }
  kv::SqlResult result;
  absl::Status status = store->Exec(sql, bindings, &result);
  if (!status.ok()) return ThrowError(isolate, base::ToStd(status.message()));
  std::vector<v8::Local<v8::Value>> columns;
  for (const std::string& column : result.columns) columns.push_back(NewString(isolate, column));
  std::vector<v8::Local<v8::Value>> cells;
  cells.reserve(result.cells.size());
  for (const kv::SqlValue& cell : result.cells) cells.push_back(FromSql(isolate, cell));
  v8::Local<v8::Value> out[] = {v8::Array::New(isolate, columns.data(), columns.size()),
                                v8::Array::New(isolate, cells.data(), cells.size()),
                                v8::Number::New(isolate, static_cast<double>(result.rows_read)),
                                v8::Number::New(isolate, static_cast<double>(result.rows_written))};
  info.GetReturnValue().Set(v8::Array::New(isolate, out, 4));
}

void DoSize(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "doSize");
  kv::DoStore* store = StoreOf(info, args);
  if (store != nullptr) info.GetReturnValue().Set(v8::Number::New(info.GetIsolate(), static_cast<double>(store->Size())));
}

void DoSerialize(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::ValueSerializer serializer(isolate);
  serializer.WriteHeader();
  bool ok = false;
  if (!serializer.WriteValue(isolate->GetCurrentContext(), info[0]).To(&ok) || !ok) return;  // DataCloneError thrown
  std::pair<uint8_t*, size_t> bytes = serializer.Release();
  v8::Local<v8::ArrayBuffer> buffer;
  if (NewArrayBuffer(isolate, bytes.second).ToLocal(&buffer) && bytes.second != 0) {
    std::memcpy(buffer->Data(), bytes.first, bytes.second);
  }
  free(bytes.first);
  if (!buffer.IsEmpty()) info.GetReturnValue().Set(buffer);
}

void DoDeserialize(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  BufferBytes bytes;
  if (!GetBufferBytes(isolate, info[0], &bytes)) return;
  std::string copy(bytes.view());
  v8::ValueDeserializer deserializer(isolate, reinterpret_cast<const uint8_t*>(copy.data()), copy.size());
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  bool ok = false;
  if (!deserializer.ReadHeader(context).To(&ok) || !ok) return ThrowError(isolate, "bad serialized value");
  v8::Local<v8::Value> value;
  if (deserializer.ReadValue(context).ToLocal(&value)) info.GetReturnValue().Set(value);
}

void DoAlarmIndex(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "doAlarmIndex");
  kv::AlarmIndex* index = kv::AlarmIndex::Get();
  if (index == nullptr) return ThrowError(info.GetIsolate(), "Durable Object alarms need the server's data_dir");
  std::string tenant = TenantOf(info);
  auto at = static_cast<int64_t>(args.NumberOr(2, -1));
  absl::Status status = args.Flag(3) ? index->Clear(tenant, args.Text(0), args.Text(1), at)
                                     : index->Set(tenant, args.Text(0), args.Text(1), at);
  if (!status.ok()) ThrowError(info.GetIsolate(), base::ToStd(status.message()));
}

void DoCheckToken(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "doCheckToken");
  const std::string& secret = kv::DoConfig().secret;
  std::string token = args.StringOr(0, "");
  info.GetReturnValue().Set(!secret.empty() && token.size() == secret.size() &&
                            CRYPTO_memcmp(token.data(), secret.data(), secret.size()) == 0);
}

void DoIdleMs(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(kv::DoConfig().idle_ms);
}

}  // namespace

void InstallDurableObjects(NativeScope& scope) {
  scope.SetFunction("doIdFromName", DoIdFromName);
  scope.SetFunction("doNewUniqueId", DoNewUniqueId);
  scope.SetFunction("doIsLocal", DoIsLocal);
  scope.SetFunction("doOwner", DoOwner);
  scope.SetFunction("doClustered", DoClustered);
  scope.SetFunction("doWhere", DoWhere);
  scope.SetFunction("doResolve", DoResolve);
  scope.SetFunction("doFence", DoFence);
  scope.SetFunction("doOpen", DoOpen);
  scope.SetFunction("doClose", DoClose);
  scope.SetFunction("doShared", DoShared);
  scope.SetFunction("doReady", DoReady);
  scope.SetFunction("doSync", DoSync);
  scope.SetFunction("doExec", DoExec);
  scope.SetFunction("doSize", DoSize);
  scope.SetFunction("doSerialize", DoSerialize);
  scope.SetFunction("doDeserialize", DoDeserialize);
  scope.SetFunction("doAlarmIndex", DoAlarmIndex);
  scope.SetFunction("doCheckToken", DoCheckToken);
  scope.SetFunction("doIdleMs", DoIdleMs);
}

}  // namespace atl::bindings
