#include "bindings/body_stream.h"

#include "bindings/native_args.h"
#include "bindings/native_scope.h"
#include "bindings/worker.h"

namespace atl::bindings {
namespace {

void TransferArrayBuffer(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsArrayBuffer()) {
    ThrowTypeError(isolate, "expected an ArrayBuffer");
    return;
  }
  v8::Local<v8::ArrayBuffer> buffer = info[0].As<v8::ArrayBuffer>();
  if (!buffer->IsDetachable() || buffer->WasDetached()) {
    ThrowTypeError(isolate, "the ArrayBuffer cannot be transferred");
    return;
  }
  std::shared_ptr<v8::BackingStore> store = buffer->GetBackingStore();
  buffer->Detach();
  info.GetReturnValue().Set(v8::ArrayBuffer::New(isolate, std::move(store)));
}

// isArrayBuffer(value): V8's own check, which throws nothing (the byteLength getter's brand check
// throws a TypeError, with its stack trace, for every other object: a Blob or stream body).
void IsArrayBuffer(const v8::FunctionCallbackInfo<v8::Value>& info) { info.GetReturnValue().Set(info[0]->IsArrayBuffer()); }

void IsDetachedArrayBuffer(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(info[0]->IsArrayBuffer() && info[0].As<v8::ArrayBuffer>()->WasDetached());
}

// writeBody(request id, view): false when the piece was not taken.
void WriteBody(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "writeBody");
  std::optional<uint64_t> id = args.Id(0);
  if (!id) return;
  Worker* worker = NativeScope::WorkerFrom(info);
  if (worker == nullptr || !args[1]->IsArrayBufferView()) {
    info.GetReturnValue().Set(false);
    return;
  }
  auto view = args[1].As<v8::ArrayBufferView>();
  std::shared_ptr<v8::BackingStore> store = view->Buffer()->GetBackingStore();
  std::string_view bytes(static_cast<const char*>(store->Data()) + view->ByteOffset(), view->ByteLength());
  info.GetReturnValue().Set(worker->WriteBody(*id, bytes));
}

// endBody(request id, complete)
void EndBody(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "endBody");
  std::optional<uint64_t> id = args.Id(0);
  if (!id) return;
  if (Worker* worker = NativeScope::WorkerFrom(info)) worker->EndBody(*id, args.Flag(1));
}

// uploadControl(request id, cancel)
void UploadControl(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "uploadControl");
  std::optional<uint64_t> id = args.Id(0);
  if (!id) return;
  if (Worker* worker = NativeScope::WorkerFrom(info)) worker->UploadControl(*id, args.Flag(1));
}

}  // namespace

void InstallBodyStream(NativeScope& scope) {
  scope.SetFunction("transferArrayBuffer", TransferArrayBuffer);
  scope.SetFunction("isDetachedArrayBuffer", IsDetachedArrayBuffer);
  scope.SetFunction("isArrayBuffer", IsArrayBuffer);
  scope.SetFunction("writeBody", WriteBody);
  scope.SetFunction("endBody", EndBody);
  scope.SetFunction("uploadControl", UploadControl);
}

}  // namespace atl::bindings
