#include "bindings/scope.h"

#include <v8.h>

#include <cstdlib>
#include <vector>

#include "bindings/native_scope.h"
#include "isolates/v8_util.h"

namespace atl::bindings {
namespace {

using isolates::NewString;

void ThrowDataCloneError(v8::Isolate* isolate, v8::Local<v8::String> message) {
  v8::Local<v8::Value> error = v8::Exception::Error(message);
  if (error.As<v8::Object>()
          ->Set(isolate->GetCurrentContext(), isolates::NewSymbolString(isolate, "name"),
                isolates::NewSymbolString(isolate, "DataCloneError"))
          .IsNothing()) {
    return;
  }
  isolate->ThrowException(error);
}

// Host objects and SharedArrayBuffers are not cloneable here: both end in a DataCloneError.
class SerializerDelegate : public v8::ValueSerializer::Delegate {
 public:
  explicit SerializerDelegate(v8::Isolate* isolate) : isolate_(isolate) {}
  void ThrowDataCloneError(v8::Local<v8::String> message) override {
    bindings::ThrowDataCloneError(isolate_, message);
  }

 private:
  v8::Isolate* isolate_;
};

void StructuredClone(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  std::vector<v8::Local<v8::ArrayBuffer>> transfers;
  if (info[1]->IsArray()) {
    auto list = info[1].As<v8::Array>();
    for (uint32_t i = 0; i < list->Length(); ++i) {
      v8::Local<v8::Value> item;
      if (!list->Get(context, i).ToLocal(&item)) return;
      if (!item->IsArrayBuffer()) {
        ThrowDataCloneError(isolate, NewString(isolate, "only ArrayBuffers can be transferred"));
        return;
      }
      auto buffer = item.As<v8::ArrayBuffer>();
      for (auto& seen : transfers) {
        if (seen == buffer) {
          ThrowDataCloneError(isolate, NewString(isolate, "an ArrayBuffer is listed twice in the transfer list"));
          return;
        }
      }
      if (!buffer->IsDetachable() || buffer->WasDetached()) {
        ThrowDataCloneError(isolate, NewString(isolate, "an ArrayBuffer in the transfer list is detached"));
        return;
      }
      transfers.push_back(buffer);
    }
  }
  SerializerDelegate delegate(isolate);
  v8::ValueSerializer serializer(isolate, &delegate);
  for (uint32_t i = 0; i < transfers.size(); ++i) serializer.TransferArrayBuffer(i, transfers[i]);
  serializer.WriteHeader();
  if (serializer.WriteValue(context, info[0]).IsNothing()) return;
  std::pair<uint8_t*, size_t> data = serializer.Release();
  // The transferred buffers move to the clone: new ArrayBuffers over the same backing stores,
  // and the originals detached.
  std::vector<v8::Local<v8::ArrayBuffer>> moved;
  for (auto& buffer : transfers) {
    moved.push_back(v8::ArrayBuffer::New(isolate, buffer->GetBackingStore()));
    buffer->Detach();
  }
  v8::ValueDeserializer deserializer(isolate, data.first, data.second);
  for (uint32_t i = 0; i < moved.size(); ++i) deserializer.TransferArrayBuffer(i, moved[i]);
  v8::Local<v8::Value> result;
  bool ok = deserializer.ReadHeader(context).FromMaybe(false) && deserializer.ReadValue(context).ToLocal(&result);
  std::free(data.first);
  if (ok) info.GetReturnValue().Set(result);
}

void Version(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(isolates::NewSymbolString(info.GetIsolate(), ATOLL_VERSION));
}

}  // namespace

void InstallScope(NativeScope& scope) {
  scope.SetFunction("structuredClone", StructuredClone);
  scope.SetFunction("version", Version);
}

}  // namespace atl::bindings
