#include "bindings/sockets.h"

#include <string>

#include "bindings/fetch.h"
#include "bindings/native_args.h"
#include "bindings/native_scope.h"
#include "bindings/worker.h"
#include "bindings/worker_host.h"
#include "isolates/v8_util.h"

namespace atl::bindings {
namespace {

// socketStart(hostname, port, tls, tlsName) -> the socket's id
void SocketStart(const v8::FunctionCallbackInfo<v8::Value>& info) {
  enum { kHost, kPort, kTls, kTlsName };
  v8::Isolate* isolate = info.GetIsolate();
  NativeArgs args(info, "socketStart");
  Worker* worker = NativeScope::WorkerFrom(info);
  if (worker == nullptr) {
    ThrowTypeError(isolate, "connect() is not available here");
    return;
  }
  std::optional<uint32_t> port = args.Uint32(kPort);
  if (!port) return;
  std::string host = args.Text(kHost);
  std::string tls_name = args.Text(kTlsName);
  FetchRequestView request;
  request.socket = true;
  request.host = host;
  request.port = static_cast<uint16_t>(*port);
  request.https = args.Flag(kTls);
  request.tls_name = tls_name;
  StartFetchForJs(info, worker, request);
}

// socketStartTls(id, name)
void SocketStartTls(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "socketStartTls");
  std::optional<uint64_t> id = args.Id(0);
  if (!id) return;
  Worker* worker = NativeScope::WorkerFrom(info);
  std::string error = "startTls() is not available here";
  if (worker == nullptr || !worker->SocketStartTls(*id, args.Text(1), &error)) ThrowTypeError(info.GetIsolate(), error);
}

}  // namespace

void InstallSockets(NativeScope& scope) {
  scope.SetFunction("socketStart", SocketStart);
  scope.SetFunction("socketStartTls", SocketStartTls);
}

}  // namespace atl::bindings
