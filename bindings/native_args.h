#pragma once
// Typed reads of a native callback's arguments (deno_core's #[op] in spirit): a native names
// what it expects of info[i] (a string, a uint32, an id, bytes, a flag) instead of testing and
// casting each position itself, and a wrong argument is one TypeError that names the native and
// the position. The checked readers return nullopt / false after throwing; the native returns.
//
//   NativeArgs args(info, "kvList");
//   std::optional<uint64_t> id = args.Id(0);          // TypeError "kvList: argument 0 ..." if not
//   if (!id) return;
//   std::string prefix = args.StringOr(1, "");        // unchecked: a default for anything else
//   bool streamed = args.Flag(2);                     // true only for true
//
// Every reader is inline and costs what the hand-written test and cast did (respond() is on the
// request path).

#include <v8.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bindings/buffers.h"
#include "isolates/v8_util.h"

namespace atl::bindings {

// A native callback's arguments, read by position with their type checked (see above). Lives on
// the callback's stack; holds a reference to `info`.
class NativeArgs {
 public:
  // `native` names the function in TypeErrors; a literal (it is kept as a view).
  NativeArgs(const v8::FunctionCallbackInfo<v8::Value>& info, std::string_view native) : info_(info), native_(native) {}

  v8::Isolate* isolate() const { return info_.GetIsolate(); }
  int size() const { return info_.Length(); }
  // The raw value (undefined past the end), for arguments of more than one shape.
  v8::Local<v8::Value> operator[](int i) const { return info_[i]; }

  // A request's or a fetch's id: a Number the Worker handed to JS (ids stay below 2^53).
  std::optional<uint64_t> Id(int i) const {
    if (!info_[i]->IsNumber()) return Fail(i, "an id (a number)"), std::nullopt;
    return static_cast<uint64_t>(info_[i].As<v8::Number>()->Value());
  }
  // An unsigned 32-bit integer (a namespace index, a length).
  std::optional<uint32_t> Uint32(int i) const {
    if (!info_[i]->IsUint32()) return Fail(i, "an unsigned 32-bit integer"), std::nullopt;
    return info_[i].As<v8::Uint32>()->Value();
  }
  // A string's UTF-8 bytes (lone surrogates become U+FFFD).
  std::optional<std::string> String(int i) const {
    if (!info_[i]->IsString()) return Fail(i, "a string"), std::nullopt;
    return Utf8(i);
  }
  // The bytes of an ArrayBuffer or ArrayBufferView, kept alive by `out->store` (TypeError
  // "expected an ArrayBuffer or ArrayBufferView" otherwise: GetBufferBytes, buffers.h).
  bool Bytes(int i, BufferBytes* out) const { return GetBufferBytes(isolate(), info_[i], out); }

  // Unchecked readers: a default instead of an error, for optional arguments.
  bool Flag(int i) const { return info_[i]->IsTrue(); }
  bool IsMissing(int i) const { return info_[i]->IsNullOrUndefined(); }
  uint32_t Uint32Or(int i, uint32_t fallback) const {
    return info_[i]->IsUint32() ? info_[i].As<v8::Uint32>()->Value() : fallback;
  }
  // ToNumber(value) (valueOf() may run), `fallback` if that throws.
  double NumberOr(int i, double fallback) const {
    return info_[i]->NumberValue(isolate()->GetCurrentContext()).FromMaybe(fallback);
  }
  // ToUint32(value), `fallback` if that throws.
  uint32_t ToUint32Or(int i, uint32_t fallback) const {
    return info_[i]->Uint32Value(isolate()->GetCurrentContext()).FromMaybe(fallback);
  }
  // ToInt32(value), `fallback` if that throws.
  int32_t Int32Or(int i, int32_t fallback) const {
    return info_[i]->Int32Value(isolate()->GetCurrentContext()).FromMaybe(fallback);
  }
  std::string StringOr(int i, std::string_view fallback) const {
    return info_[i]->IsString() ? Utf8(i) : std::string(fallback);
  }
  // Any value as text (String(value), as the glue's arguments are already strings).
  std::string Text(int i) const { return isolates::ToUtf8(isolate(), info_[i]); }
  // The bytes of a view; empty for anything else (`keep` holds them).
  std::string_view ViewOrEmpty(int i, BufferBytes* keep) const {
    if (!info_[i]->IsArrayBufferView() || !GetBufferBytes(isolate(), info_[i], keep)) return {};
    return keep->view();
  }

  // Throws TypeError "NATIVE: argument I must be EXPECTED".
  void Fail(int i, std::string_view expected) const;

 private:
  std::string Utf8(int i) const;

  const v8::FunctionCallbackInfo<v8::Value>& info_;
  std::string_view native_;
};

}  // namespace atl::bindings
