#include "bindings/fetch_dispatch.h"

#include <string>
#include <vector>

#include "bindings/native_args.h"
#include "bindings/native_scope.h"
#include "bindings/worker.h"
#include "bindings/worker_host.h"
#include "isolates/v8_util.h"

namespace atl::bindings {
namespace {

// Appends a ByteString (https://webidl.spec.whatwg.org/#idl-ByteString) as bytes; a string with
// characters past U+00FF (which Headers should have refused) is sent as UTF-8.
void AppendByteString(v8::Isolate* isolate, v8::Local<v8::String> text, std::string* out) {
  if (!text->ContainsOnlyOneByte()) {
    isolates::AppendUtf8(isolate, text, out);
    return;
  }
  size_t start = out->size();
  out->resize(start + static_cast<size_t>(text->Length()));
  text->WriteOneByte(isolate, reinterpret_cast<uint8_t*>(out->data() + start), 0, text->Length(),
                     v8::String::NO_NULL_TERMINATION);
}

// Scratch space reused across responses: one byte arena for status text, headers and a string
// body, then views into it once it stopped growing.
struct Scratch {
  std::string arena;
  std::vector<std::pair<size_t, size_t>> spans;  // (offset, length) per header name and value
  std::vector<HeaderView> headers;
};

// respond(request id, status, status text, [name, value, ...], body, body streamed, web socket,
// encode body) -> whether it was taken; with `web socket` (a 101 with the client end of a
// WebSocketPair): the socket's id, 0 if refused (websocket.h). `encode body`: the server
// compresses the body with the coding its content-encoding header names (ResponseView).
void Respond(const v8::FunctionCallbackInfo<v8::Value>& info) {
  enum { kId, kStatus, kStatusText, kHeaders, kBody, kBodyStreamed, kWebSocket, kEncodeBody };
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  NativeArgs args(info, "respond");
  std::optional<uint64_t> id = args.Id(kId);
  if (!id) return;
  static thread_local Scratch scratch;
  scratch.arena.clear();
  scratch.spans.clear();
  scratch.headers.clear();

  ResponseView response;
  response.status = args.Int32Or(kStatus, 500);
  if (args[kStatusText]->IsString() && args[kStatusText].As<v8::String>()->Length() > 0) {
    AppendByteString(isolate, args[kStatusText].As<v8::String>(), &scratch.arena);
  }
  size_t status_text_length = scratch.arena.size();

  if (args[kHeaders]->IsArray()) {
    v8::Local<v8::Array> flat = args[kHeaders].As<v8::Array>();
    uint32_t length = flat->Length() & ~1u;
    for (uint32_t i = 0; i < length; ++i) {
      v8::Local<v8::Value> item;
      v8::Local<v8::String> text;
      if (!flat->Get(context, i).ToLocal(&item) || !item->ToString(context).ToLocal(&text)) return;
      size_t start = scratch.arena.size();
      AppendByteString(isolate, text, &scratch.arena);
      scratch.spans.emplace_back(start, scratch.arena.size() - start);
    }
  }

  std::shared_ptr<v8::BackingStore> body_store;
  size_t body_offset = 0, body_length = 0;
  bool body_in_arena = false;
  v8::Local<v8::Value> body = args[kBody];
  if (body->IsString()) {
    body_offset = scratch.arena.size();
    isolates::AppendUtf8(isolate, body.As<v8::String>(), &scratch.arena);
    body_length = scratch.arena.size() - body_offset;
    body_in_arena = true;
  } else if (body->IsArrayBufferView()) {
    auto view = body.As<v8::ArrayBufferView>();
    body_store = view->Buffer()->GetBackingStore();
    body_offset = view->ByteOffset();
    body_length = view->ByteLength();
  } else if (body->IsArrayBuffer()) {
    body_store = body.As<v8::ArrayBuffer>()->GetBackingStore();
    body_length = body_store->ByteLength();
  } else if (!body->IsNullOrUndefined()) {
    ThrowTypeError(isolate, "respond: body must be a string, an ArrayBuffer, a view or null");
    return;
  }

  const char* arena = scratch.arena.data();
  response.status_text = std::string_view(arena, status_text_length);
  for (size_t i = 0; i + 1 < scratch.spans.size(); i += 2) {
    scratch.headers.emplace_back(std::string_view(arena + scratch.spans[i].first, scratch.spans[i].second),
                                 std::string_view(arena + scratch.spans[i + 1].first, scratch.spans[i + 1].second));
  }
  response.headers = scratch.headers;
  response.body_streamed = args.Flag(kBodyStreamed);
  response.encode_body = args.Flag(kEncodeBody);
  if (body_in_arena) {
    response.body = std::string_view(arena + body_offset, body_length);
  } else if (body_store) {
    response.body = std::string_view(static_cast<const char*>(body_store->Data()) + body_offset, body_length);
  }
  Worker* worker = NativeScope::WorkerFrom(info);
  if (args.Flag(kWebSocket)) {
    uint64_t socket = worker == nullptr ? 0 : worker->RespondWebSocket(*id, response);
    info.GetReturnValue().Set(static_cast<double>(socket));
    return;
  }
  info.GetReturnValue().Set(worker != nullptr && worker->Respond(*id, response));
}

// fail(request id, message)
void Fail(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "fail");
  std::optional<uint64_t> id = args.Id(0);
  if (!id) return;
  std::string message = args.Text(1);
  if (Worker* worker = NativeScope::WorkerFrom(info)) worker->Fail(*id, message);
}

// native.waitUntil(id, promise): a per_request context lives until the promise settles.
void WaitUntil(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "waitUntil");
  std::optional<uint64_t> id = args.Id(0);
  if (!id || !args[1]->IsPromise()) return;
  if (Worker* worker = NativeScope::WorkerFrom(info)) worker->WaitUntil(*id, args[1].As<v8::Promise>());
}

// native.runningRequest() -> the id of the request or event the JS running now serves (0: none),
// for cloudflare:workers' waitUntil(promise), which is given no ctx.
void RunningRequest(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Worker* worker = NativeScope::WorkerFrom(info);
  info.GetReturnValue().Set(static_cast<double>(worker == nullptr ? 0 : worker->running_request()));
}

// native.requestCf(id) -> [httpProtocol, tlsVersion, tlsCipher, clientTcpRtt, edgeJson] (each
// undefined when unknown), or undefined when the request is no longer on a client connection.
// Called once per request, on the first read of request.cf.
void RequestCf(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "requestCf");
  std::optional<uint64_t> id = args.Id(0);
  Worker* worker = NativeScope::WorkerFrom(info);
  RequestCfView view;
  if (!id || worker == nullptr || !worker->RequestCf(*id, &view)) return;
  v8::Isolate* isolate = info.GetIsolate();
  auto text = [isolate](std::string_view s) -> v8::Local<v8::Value> {
    if (s.empty()) return v8::Undefined(isolate);
    return v8::String::NewFromUtf8(isolate, s.data(), v8::NewStringType::kNormal, static_cast<int>(s.size()))
        .FromMaybe(v8::Local<v8::String>());
  };
  v8::Local<v8::Value> items[] = {
      text(view.http_protocol),
      text(view.tls_version),
      text(view.tls_cipher),
      view.client_tcp_rtt_ms < 0 ? v8::Undefined(isolate).As<v8::Value>()
                                 : v8::Number::New(isolate, static_cast<double>(view.client_tcp_rtt_ms)).As<v8::Value>(),
      text(view.edge_json),
  };
  for (v8::Local<v8::Value>& item : items) {
    if (item.IsEmpty()) return;  // a string over V8's limit: an exception is pending
  }
  info.GetReturnValue().Set(v8::Array::New(isolate, items, std::size(items)));
}

// native.acceptsCoding(id, coding) -> whether request `id`'s client takes a body coded `coding`
// (its Accept-Encoding; js/40_response.js asks before passing a fetched coded body through).
void AcceptsCoding(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "acceptsCoding");
  std::optional<uint64_t> id = args.Id(0);
  std::string coding = args.Text(1);
  Worker* worker = NativeScope::WorkerFrom(info);
  info.GetReturnValue().Set(!id || worker == nullptr || worker->AcceptsCoding(*id, coding));
}

}  // namespace

void InstallFetchDispatch(NativeScope& scope) {
  scope.SetFunction("respond", Respond);
  scope.SetFunction("fail", Fail);
  scope.SetFunction("waitUntil", WaitUntil);
  scope.SetFunction("runningRequest", RunningRequest);
  scope.SetFunction("requestCf", RequestCf);
  scope.SetFunction("acceptsCoding", AcceptsCoding);
}

}  // namespace atl::bindings
