#include "isolates/v8_util.h"

#include "base/strings.h"

namespace atl::isolates {

v8::Local<v8::String> NewString(v8::Isolate* isolate, std::string_view utf8) {
  return v8::String::NewFromUtf8(isolate, utf8.data(), v8::NewStringType::kNormal,
                                 static_cast<int>(utf8.size()))
      .ToLocalChecked();
}

v8::Local<v8::String> NewLatin1String(v8::Isolate* isolate, std::string_view bytes) {
  return v8::String::NewFromOneByte(isolate, reinterpret_cast<const uint8_t*>(bytes.data()),
                                    v8::NewStringType::kNormal, static_cast<int>(bytes.size()))
      .ToLocalChecked();
}

v8::Local<v8::String> NewSymbolString(v8::Isolate* isolate, std::string_view ascii) {
  return v8::String::NewFromOneByte(isolate, reinterpret_cast<const uint8_t*>(ascii.data()),
                                    v8::NewStringType::kInternalized, static_cast<int>(ascii.size()))
      .ToLocalChecked();
}

void AppendUtf8(v8::Isolate* isolate, v8::Local<v8::String> value, std::string* out) {
  size_t start = out->size();
  // Up to 1 MB, one pass: room for the longest encoding (a one-byte string's characters take at
  // most 2 bytes, a UTF-16 unit at most 3), then cut to what was written. Measuring first
  // (Utf8Length) walked the string twice; a response body goes through here on every request.
  int length = value->Length();
  if (length <= (1 << 20)) {
    int room = length * (value->IsOneByte() ? 2 : 3);
    out->resize(start + static_cast<size_t>(room));
    int written = value->WriteUtf8(isolate, out->data() + start, room, nullptr,
                                   v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
    out->resize(start + static_cast<size_t>(written));
    return;
  }
  int capacity = value->Utf8Length(isolate);
  out->resize(start + static_cast<size_t>(capacity));
  int written = value->WriteUtf8(isolate, out->data() + start, capacity, nullptr,
                                 v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  out->resize(start + static_cast<size_t>(written));
}

std::string ToUtf8(v8::Isolate* isolate, v8::Local<v8::Value> value) {
  std::string out;
  v8::Local<v8::String> str;
  if (value.IsEmpty() || !value->ToString(isolate->GetCurrentContext()).ToLocal(&str)) return out;
  AppendUtf8(isolate, str, &out);
  return out;
}

std::string DescribeException(v8::Isolate* isolate, const v8::TryCatch& try_catch) {
  if (try_catch.HasTerminated()) return "execution terminated";
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  std::string text = ToUtf8(isolate, try_catch.Exception());
  std::string where;
  v8::Local<v8::Message> message = try_catch.Message();
  if (!message.IsEmpty()) {
    std::string file = ToUtf8(isolate, message->GetScriptResourceName());
    int line = message->GetLineNumber(context).FromMaybe(0);
    if (!file.empty() && file != "undefined") where = base::StrCat(file, ":", line, ": ");
  }
  v8::Local<v8::Value> stack;
  if (try_catch.StackTrace(context).ToLocal(&stack) && stack->IsString()) {
    std::string stack_text = ToUtf8(isolate, stack);
    if (stack_text.find('\n') != std::string::npos) return base::StrCat(where, stack_text);
  }
  return base::StrCat(where, text);
}

}  // namespace atl::isolates
