#include "bindings/fetch.h"

#include <string>
#include <vector>

#include "bindings/buffers.h"
#include "bindings/native_args.h"
#include "bindings/native_scope.h"
#include "bindings/worker.h"
#include "bindings/worker_host.h"
#include "isolates/v8_util.h"

namespace atl::bindings {
namespace {

// fetchStart(service, method, url, https, host, port, target, [name, value, ...], body view,
// body streamed, body length (a streamed body's known length, or -1: chunked)) -> the fetch's id. The glue (lazy/fetch.js) passes strings and a flat header list.
void FetchStart(const v8::FunctionCallbackInfo<v8::Value>& info) {
  enum { kService, kMethod, kUrl, kHttps, kHost, kPort, kTarget, kHeaders, kBody, kBodyStreamed, kBodyLength };
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  NativeArgs args(info, "fetchStart");
  Worker* worker = NativeScope::WorkerFrom(info);
  if (worker == nullptr) {
    ThrowTypeError(isolate, "fetch() is not available here");
    return;
  }
  std::string service = args.Text(kService);
  std::string method = args.Text(kMethod);
  std::string url = args.Text(kUrl);
  std::string host = args.Text(kHost);
  std::string target = args.Text(kTarget);
  std::vector<std::string> texts;
  if (args[kHeaders]->IsArray()) {
    v8::Local<v8::Array> flat = args[kHeaders].As<v8::Array>();
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
  request.https = args.Flag(kHttps);
  request.host = host;
  request.port = static_cast<uint16_t>(args[kPort]->Uint32Value(context).FromMaybe(0));
  request.target = target;
  request.headers = headers;
  request.body = args.ViewOrEmpty(kBody, &keep);
  request.body_streamed = args.Flag(kBodyStreamed);
  if (request.body_streamed && args[kBodyLength]->IsNumber()) {
    double length = args[kBodyLength].As<v8::Number>()->Value();
    if (length >= 0 && length <= 9007199254740991.0) request.body_length = static_cast<int64_t>(length);
  }
  StartFetchForJs(info, worker, request);
}

// fetchWrite(fetch id, view or null at the end of the body)
void FetchWrite(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "fetchWrite");
  std::optional<uint64_t> id = args.Id(0);
  if (!id) return;
  Worker* worker = NativeScope::WorkerFrom(info);
  if (worker == nullptr) return;
  BufferBytes keep;
  bool end = args.IsMissing(1);
  info.GetReturnValue().Set(worker->FetchWrite(*id, end ? std::string_view() : args.ViewOrEmpty(1, &keep), end));
}

// fetchControl(fetch id, cancel)
void FetchControl(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "fetchControl");
  std::optional<uint64_t> id = args.Id(0);
  if (!id) return;
  if (Worker* worker = NativeScope::WorkerFrom(info)) worker->FetchControl(*id, args.Flag(1));
}

}  // namespace

void StartFetchForJs(const v8::FunctionCallbackInfo<v8::Value>& info, Worker* worker, const FetchRequestView& request) {
  std::string error;
  uint64_t id = worker->StartFetch(request, &error);
  if (id == 0) {
    ThrowTypeError(info.GetIsolate(), error);
    return;
  }
  info.GetReturnValue().Set(v8::Number::New(info.GetIsolate(), static_cast<double>(id)));
}

void InstallFetch(NativeScope& scope) {
  scope.SetFunction("fetchStart", FetchStart);
  scope.SetFunction("fetchWrite", FetchWrite);
  scope.SetFunction("fetchControl", FetchControl);
}

}  // namespace atl::bindings
