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

// Host objects (Blob, File) are copied by the glue's cloneHost as the serializer meets them (the
// serializer writes a second reference to one object as a back-reference, so once per
// original), written as the copy's index, and read back as that copy. SharedArrayBuffers end in a DataCloneError.
class CloneDelegate : public v8::ValueSerializer::Delegate, public v8::ValueDeserializer::Delegate {
 public:
  CloneDelegate(v8::Isolate* isolate, v8::Local<v8::Value> clone_host) : isolate_(isolate), clone_host_(clone_host) {}
  void set_deserializer(v8::ValueDeserializer* deserializer) { deserializer_ = deserializer; }

  void ThrowDataCloneError(v8::Local<v8::String> message) override {
    bindings::ThrowDataCloneError(isolate_, message);
  }

  v8::Maybe<bool> WriteHostObject(v8::Isolate* isolate, v8::Local<v8::Object> object) override {
    if (!clone_host_->IsFunction()) {
      bindings::ThrowDataCloneError(isolate, NewString(isolate, "this platform object cannot be cloned"));
      return v8::Nothing<bool>();
    }
    // The copy is made now: the deserializer may not run JS.
    v8::Local<v8::Value> argv[] = {object};
    v8::Local<v8::Value> copy;
    if (!clone_host_.As<v8::Function>()->Call(isolate->GetCurrentContext(), v8::Undefined(isolate), 1, argv).ToLocal(&copy)) {
      return v8::Nothing<bool>();
    }
    if (!copy->IsObject()) {
      bindings::ThrowDataCloneError(isolate, NewString(isolate, "this platform object cannot be cloned"));
      return v8::Nothing<bool>();
    }
    serializer_->WriteUint32(static_cast<uint32_t>(copies_.size()));
    copies_.emplace_back(isolate, copy.As<v8::Object>());
    return v8::Just(true);
  }

  v8::MaybeLocal<v8::Object> ReadHostObject(v8::Isolate* isolate) override {
    uint32_t index = 0;
    if (!deserializer_->ReadUint32(&index) || index >= copies_.size()) {
      bindings::ThrowDataCloneError(isolate, NewString(isolate, "corrupt clone data"));
      return {};
    }
    return copies_[index].Get(isolate);
  }

  void set_serializer(v8::ValueSerializer* serializer) { serializer_ = serializer; }

 private:
  v8::Isolate* isolate_;
  v8::Local<v8::Value> clone_host_;
  // Globals: V8 may call the delegate inside a HandleScope of its own.
  std::vector<v8::Global<v8::Object>> copies_;
  v8::ValueSerializer* serializer_ = nullptr;
  v8::ValueDeserializer* deserializer_ = nullptr;
};

// native.HostObject's constructor: the instance is made by V8 from the template; nothing to do.
void HostObjectConstructor(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (!info.IsConstructCall()) ThrowTypeError(info.GetIsolate(), "Illegal constructor");
}

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
  CloneDelegate delegate(isolate, info[2]);
  v8::ValueSerializer serializer(isolate, &delegate);
  delegate.set_serializer(&serializer);
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
  v8::ValueDeserializer deserializer(isolate, data.first, data.second, &delegate);
  delegate.set_deserializer(&deserializer);
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
  scope.SetHostConstructor("HostObject", HostObjectConstructor);
}

}  // namespace atl::bindings
