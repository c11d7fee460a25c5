#include "bindings/encoding.h"

#include <cstring>
#include <optional>
#include <span>
#include <string>

#include "bindings/base64.h"
#include "bindings/buffers.h"
#include "bindings/native_args.h"
#include "bindings/native_scope.h"
#include "bindings/utf8.h"
#include "isolates/v8_util.h"

namespace atl::bindings {
namespace {

void Utf8Encode(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::String> text;
  if (!info[0]->ToString(isolate->GetCurrentContext()).ToLocal(&text)) return;
  int length = text->Utf8Length(isolate);
  v8::Local<v8::ArrayBuffer> buffer;
  if (!NewArrayBuffer(isolate, static_cast<size_t>(length)).ToLocal(&buffer)) return;
  text->WriteUtf8(isolate, static_cast<char*>(buffer->Data()), length, nullptr,
                  v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  info.GetReturnValue().Set(v8::Uint8Array::New(buffer, 0, length));
}

// Returns `bytes` decoded as UTF-8 with replacement (V8's decoder follows the Encoding spec), or
// throws a RangeError when the string would be too long.
void ReturnUtf8(const v8::FunctionCallbackInfo<v8::Value>& info, const char* data, size_t length) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::String> result;
  if (length > static_cast<size_t>(v8::String::kMaxLength) ||
      !v8::String::NewFromUtf8(isolate, data, v8::NewStringType::kNormal, static_cast<int>(length))
           .ToLocal(&result)) {
    isolate->ThrowException(v8::Exception::RangeError(
        v8::String::NewFromUtf8Literal(isolate, "input is too large to decode as a string")));
    return;
  }
  info.GetReturnValue().Set(result);
}

// native.utf8Decode(bytes): a leading BOM is stripped; native.utf8DecodeWithoutBOM(bytes) keeps it.
template <bool kStripBom>
void Utf8Decode(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  BufferBytes source;
  if (!GetBufferBytes(isolate, info[0], &source)) return;
  const char* data = reinterpret_cast<const char*>(source.data);
  size_t length = source.size;
  if (kStripBom && length >= 3 && std::memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
    data += 3;
    length -= 3;
  }
  ReturnUtf8(info, data, length);
}

// native.utf8DecodeChunk(bytes, fatal, state, stream) -> string, or null when `fatal` and the
// input is not well-formed. `state` (a Uint8Array of 4: count, then up to 3 bytes) carries the
// start of a sequence cut by the end of the previous chunk; undefined when there is none to keep.
void Utf8DecodeChunk(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "utf8DecodeChunk");
  BufferBytes source;
  if (!args.Bytes(0, &source)) return;
  std::span<const uint8_t> bytes = source.span();
  bool fatal = args.Flag(1);
  bool stream = args.Flag(3);
  uint8_t* state = nullptr;
  if (args[2]->IsUint8Array() && args[2].As<v8::Uint8Array>()->ByteLength() == 4) {
    auto array = args[2].As<v8::Uint8Array>();
    state = static_cast<uint8_t*>(array->Buffer()->Data()) + array->ByteOffset();
  }
  std::string joined;
  if (state != nullptr && state[0] > 0) {
    joined.assign(reinterpret_cast<const char*>(state + 1), state[0]);
    joined.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    bytes = {reinterpret_cast<const uint8_t*>(joined.data()), joined.size()};
    state[0] = 0;
  }
  if (stream && state != nullptr) {
    size_t tail = IncompleteUtf8Tail(bytes);
    state[0] = static_cast<uint8_t>(tail);
    for (size_t k = 0; k < tail; ++k) state[1 + k] = bytes[bytes.size() - tail + k];
    bytes = bytes.first(bytes.size() - tail);
  }
  if (fatal && !IsValidUtf8(bytes)) {
    info.GetReturnValue().SetNull();
    return;
  }
  ReturnUtf8(info, reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// native.utf8EncodeInto(string, Uint8Array) -> [read, written]
// (https://encoding.spec.whatwg.org/#dom-textencoder-encodeinto)
void Utf8EncodeInto(const v8::FunctionCallbackInfo<v8::Value>& info) {
  NativeArgs args(info, "utf8EncodeInto");
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  if (!args[0]->IsString() || !args[1]->IsUint8Array()) {
    ThrowTypeError(isolate, "encodeInto: expected a string and a Uint8Array");
    return;
  }
  auto text = args[0].As<v8::String>();
  auto array = args[1].As<v8::Uint8Array>();
  char* out = static_cast<char*>(array->Buffer()->Data()) + array->ByteOffset();
  int read = 0;
  int written = text->WriteUtf8(isolate, out, static_cast<int>(array->ByteLength()), &read,
                                v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  v8::Local<v8::Array> result = v8::Array::New(isolate, 2);
  if (result->Set(context, 0, v8::Integer::New(isolate, read)).IsNothing() ||
      result->Set(context, 1, v8::Integer::New(isolate, written)).IsNothing()) {
    return;
  }
  info.GetReturnValue().Set(result);
}

// The Latin-1 bytes of a string whose code units are all below 256; false otherwise.
bool OneByteString(v8::Isolate* isolate, v8::Local<v8::Value> value, std::string* out) {
  v8::Local<v8::String> text;
  if (!value->ToString(isolate->GetCurrentContext()).ToLocal(&text)) return false;
  if (!text->ContainsOnlyOneByte()) return false;
  out->resize(static_cast<size_t>(text->Length()));
  text->WriteOneByte(isolate, reinterpret_cast<uint8_t*>(out->data()), 0, text->Length(),
                     v8::String::NO_NULL_TERMINATION);
  return true;
}

// native.base64Encode(string) -> string, or null when a code unit is above U+00FF (btoa).
void Base64EncodeCallback(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  std::string bytes;
  if (!OneByteString(isolate, info[0], &bytes)) {
    info.GetReturnValue().SetNull();
    return;
  }
  info.GetReturnValue().Set(isolates::NewLatin1String(isolate, Base64Encode(bytes)));
}

// native.base64Decode(string) -> binary string, or null when it is not forgiving-base64 (atob).
void Base64DecodeCallback(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  std::string text;
  std::optional<std::string> bytes;
  if (OneByteString(isolate, info[0], &text)) bytes = ForgivingBase64Decode(text);
  if (!bytes) {
    info.GetReturnValue().SetNull();
    return;
  }
  info.GetReturnValue().Set(isolates::NewLatin1String(isolate, *bytes));
}

}  // namespace

void InstallEncoding(NativeScope& scope) {
  scope.SetFunction("utf8Encode", Utf8Encode);
  scope.SetFunction("utf8Decode", Utf8Decode<true>);
  scope.SetFunction("utf8DecodeWithoutBOM", Utf8Decode<false>);
  scope.SetFunction("utf8DecodeChunk", Utf8DecodeChunk);
  scope.SetFunction("utf8EncodeInto", Utf8EncodeInto);
  scope.SetFunction("base64Encode", Base64EncodeCallback);
  scope.SetFunction("base64Decode", Base64DecodeCallback);
}

}  // namespace atl::bindings
