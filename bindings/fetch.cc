#include "bindings/fetch.h"

#include <string>
#include <vector>

#include "bindings/buffers.h"
#include "bindings/native_scope.h"
#include "bindings/worker.h"
#include "bindings/worker_host.h"
#include "isolates/v8_util.h"

namespace atl::bindings {
namespace {

// The bytes of a view the glue passes (a body piece); empty for anything else.
std::string_view BytesOf(v8::Isolate* isolate, v8::Local<v8::Value> value, BufferBytes* keep) {
  if (!value->IsArrayBufferView() || !GetBufferBytes(isolate, value, keep)) return {};
  return keep->view();
}

void FetchStart(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  Worker* worker = NativeScope::WorkerFrom(info);
  if (worker == nullptr) {
    ThrowTypeError(isolate, "fetch() is not available here");
    return;
  }
  std::string service = isolates::ToUtf8(isolate, info[0]);
  std::string method = isolates::ToUtf8(isolate, info[1]);
  std::string url = isolates::ToUtf8(isolate, info[2]);
  std::string host = isolates::ToUtf8(isolate, info[4]);
  std::string target = isolates::ToUtf8(isolate, info[6]);
  std::vector<std::string> texts;
  if (info[7]->IsArray()) {
    v8::Local<v8::Array> flat = info[7].As<v8::Array>();
    uint32_t length = flat->Length() & ~1u;
    texts.reserve(length);
    for (uint32_t i = 0; i < length; ++i) {
      v8::Local<v8::Value> item;
      if (!flat->Get(context, i).ToLocal(&item)) return;
      texts.push_back(isolates::ToUtf8(isolate, item));
    }
  }
  std::vector<HeaderView> headers;
  for (size_t i = 0; i + 1 < texts.size(); i += 2) headers.emplace_back(texts[i], texts[i + 1]);
  BufferBytes keep;
  FetchRequestView request;
  request.service = service;
  request.method = method;
  request.url = url;
  request.https = info[3]->IsTrue();
  request.host = host;
  request.port = static_cast<uint16_t>(info[5]->Uint32Value(context).FromMaybe(0));
  request.target = target;
  request.headers = headers;
  request.body = BytesOf(isolate, info[8], &keep);
  request.body_streamed = info[9]->IsTrue();
  std::string error;
  uint64_t id = worker->StartFetch(request, &error);
  if (id == 0) {
    ThrowTypeError(isolate, error);
    return;
  }
  info.GetReturnValue().Set(v8::Number::New(isolate, static_cast<double>(id)));
}

uint64_t IdOf(const v8::FunctionCallbackInfo<v8::Value>& info) {
  return info[0]->IsNumber() ? static_cast<uint64_t>(info[0].As<v8::Number>()->Value()) : 0;
}

void FetchWrite(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Worker* worker = NativeScope::WorkerFrom(info);
  if (worker == nullptr) return;
  BufferBytes keep;
  bool end = info[1]->IsNull() || info[1]->IsUndefined();
  info.GetReturnValue().Set(
      worker->FetchWrite(IdOf(info), end ? std::string_view() : BytesOf(info.GetIsolate(), info[1], &keep), end));
}

void FetchControl(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (Worker* worker = NativeScope::WorkerFrom(info)) worker->FetchControl(IdOf(info), info[1]->IsTrue());
}

}  // namespace

void InstallFetch(NativeScope& scope) {
  scope.SetFunction("fetchStart", FetchStart);
  scope.SetFunction("fetchWrite", FetchWrite);
  scope.SetFunction("fetchControl", FetchControl);
}

}  // namespace atl::bindings
