#include "bindings/encoding.h"

#include <cstring>

#include "bindings/native_scope.h"

namespace atl::bindings {
namespace {

void Utf8Encode(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::String> text;
  if (!info[0]->ToString(isolate->GetCurrentContext()).ToLocal(&text)) return;
  int length = text->Utf8Length(isolate);
  std::unique_ptr<v8::BackingStore> store = v8::ArrayBuffer::NewBackingStore(isolate, length);
  text->WriteUtf8(isolate, static_cast<char*>(store->Data()), length, nullptr,
                  v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  v8::Local<v8::ArrayBuffer> buffer = v8::ArrayBuffer::New(isolate, std::move(store));
  info.GetReturnValue().Set(v8::Uint8Array::New(buffer, 0, length));
}

// native.utf8Decode(bytes): a leading BOM is stripped; native.utf8DecodeWithoutBOM(bytes) keeps it.
template <bool kStripBom>
void Utf8Decode(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  const char* data;
  size_t length;
  std::shared_ptr<v8::BackingStore> store;
  if (info[0]->IsArrayBufferView()) {
    auto view = info[0].As<v8::ArrayBufferView>();
    store = view->Buffer()->GetBackingStore();
    data = static_cast<const char*>(store->Data()) + view->ByteOffset();
    length = view->ByteLength();
  } else if (info[0]->IsArrayBuffer()) {
    store = info[0].As<v8::ArrayBuffer>()->GetBackingStore();
    data = static_cast<const char*>(store->Data());
    length = store->ByteLength();
  } else {
    ThrowTypeError(isolate, "utf8Decode: expected an ArrayBuffer or ArrayBufferView");
    return;
  }
  if (kStripBom && length >= 3 && std::memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
    data += 3;
    length -= 3;
  }
  // V8's UTF-8 decoder replaces invalid sequences with U+FFFD, as the Encoding spec requires.
  v8::Local<v8::String> result;
  if (length > static_cast<size_t>(v8::String::kMaxLength) ||
      !v8::String::NewFromUtf8(isolate, data, v8::NewStringType::kNormal, static_cast<int>(length))
           .ToLocal(&result)) {
    isolate->ThrowException(v8::Exception::RangeError(
        v8::String::NewFromUtf8Literal(isolate, "body is too large to decode as a string")));
    return;
  }
  info.GetReturnValue().Set(result);
}

}  // namespace

void InstallEncoding(NativeScope& scope) {
  scope.SetFunction("utf8Encode", Utf8Encode);
  scope.SetFunction("utf8Decode", Utf8Decode<true>);
  scope.SetFunction("utf8DecodeWithoutBOM", Utf8Decode<false>);
}

}  // namespace atl::bindings
