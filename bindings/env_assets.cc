#include "bindings/env_assets.h"

#include "assets/asset_response.h"
#include "bindings/buffers.h"
#include "bindings/native_args.h"
#include "bindings/native_scope.h"
#include "bindings/worker.h"
#include "isolates/v8_util.h"

namespace atl::bindings {
namespace {

void AssetsServe(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "assetsServe");
  v8::Isolate* isolate = info.GetIsolate();
  Worker* worker = NativeScope::WorkerFrom(info);
  std::optional<uint32_t> index = args.Uint32(0);
  if (!index) return;
  const assets::AssetSet* set = worker == nullptr ? nullptr : worker->asset_set(*index);
  if (set == nullptr) return ThrowTypeError(isolate, "these assets are not available");
  std::optional<std::string> method = args.String(1);
  std::optional<std::string> url = args.String(2);
  std::optional<std::string> if_none_match = args.String(3);
  if (!method || !url || !if_none_match) return;
  assets::AssetRequest request;
  request.method = *method;
  request.SetUrl(*url);
  request.if_none_match = *if_none_match;
  request.navigate = args.Flag(4);
  request.cacheable = args.Flag(5);
  assets::AssetResponse answer = assets::ServeAsset(*set, request);
  std::vector<v8::Local<v8::Value>> headers;
  for (const auto& [name, value] : answer.headers) {
    headers.push_back(isolates::NewString(isolate, name));
    headers.push_back(isolates::NewString(isolate, value));
  }
  v8::Local<v8::Value> body = v8::Null(isolate);
  if (!answer.body.empty() && *method != "HEAD") {
    v8::Local<v8::ArrayBuffer> buffer;
    if (!NewArrayBufferCopy(isolate, answer.body).ToLocal(&buffer)) return;  // a RangeError is thrown
    body = buffer;
  }
  v8::Local<v8::Value> result[] = {v8::Integer::New(isolate, answer.status),
                                   v8::Array::New(isolate, headers.data(), headers.size()), body};
  info.GetReturnValue().Set(v8::Array::New(isolate, result, 3));
}

}  // namespace

absl::Status InstallAssetsBindings(EnvSetup& setup, const std::vector<EnvEntry>& entries) {
  std::vector<std::pair<std::string, v8::Local<v8::Value>>> bindings;
  for (const EnvEntry& entry : entries) {
    bindings.emplace_back(entry.binding->name, v8::Integer::NewFromUnsigned(setup.isolate(), entry.index));
  }
  return setup.BindFromModule("assets", "newAssets", bindings);
}

void InstallAssetsNatives(NativeScope& scope) { scope.SetFunction("assetsServe", AssetsServe); }

}  // namespace atl::bindings
