// Natives of WebSockets (websocket.h): what the `server` end sends and closes.
#include "bindings/websocket.h"

#include <memory>
#include <string>

#include "bindings/native_args.h"
#include "bindings/native_scope.h"
#include "bindings/worker.h"
#include "isolates/v8_util.h"

namespace atl::bindings {
namespace {

// wsSend(socket, data: string | ArrayBuffer | view, binary)
void WsSend(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  NativeArgs args(info, "wsSend");
  std::optional<uint64_t> socket = args.Id(0);
  if (!socket) return;
  Worker* worker = NativeScope::WorkerFrom(info);
  if (worker == nullptr) return;
  v8::Local<v8::Value> data = args[1];
  bool sent = false;
  if (data->IsString()) {
    std::string text;
    isolates::AppendUtf8(isolate, data.As<v8::String>(), &text);
    sent = worker->WebSocketSend(*socket, args.Flag(2), text);
  } else if (data->IsArrayBufferView()) {
    auto view = data.As<v8::ArrayBufferView>();
    std::shared_ptr<v8::BackingStore> store = view->Buffer()->GetBackingStore();
    sent = worker->WebSocketSend(
        *socket, true,
        std::string_view(static_cast<const char*>(store->Data()) + view->ByteOffset(), view->ByteLength()));
  } else if (data->IsArrayBuffer()) {
    std::shared_ptr<v8::BackingStore> store = data.As<v8::ArrayBuffer>()->GetBackingStore();
    sent = worker->WebSocketSend(*socket, true,
                                 std::string_view(static_cast<const char*>(store->Data()), store->ByteLength()));
  } else {
    ThrowTypeError(isolate, "wsSend: data must be a string, an ArrayBuffer or a view");
    return;
  }
  info.GetReturnValue().Set(sent);
}

// wsClose(socket, code, reason)
void WsClose(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  NativeArgs args(info, "wsClose");
  std::optional<uint64_t> socket = args.Id(0);
  if (!socket) return;
  Worker* worker = NativeScope::WorkerFrom(info);
  if (worker == nullptr) return;
  std::string reason;
  if (args[2]->IsString()) isolates::AppendUtf8(isolate, args[2].As<v8::String>(), &reason);
  worker->WebSocketClose(*socket, static_cast<uint16_t>(args.Int32Or(1, 1000)), reason);
}

}  // namespace

void InstallWebSocket(NativeScope& scope) {
  scope.SetFunction("wsSend", WsSend);
  scope.SetFunction("wsClose", WsClose);
}

}  // namespace atl::bindings
