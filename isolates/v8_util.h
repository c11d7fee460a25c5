#pragma once
// Small conversions between V8 values and C++ strings, shared by isolates/ and bindings/.

#include <v8.h>

#include <string>
#include <string_view>

namespace atl::isolates {

// A V8 string from UTF-8 (invalid bytes become U+FFFD).
v8::Local<v8::String> NewString(v8::Isolate* isolate, std::string_view utf8);

// A V8 string from Latin-1 bytes, e.g. HTTP header values as received.
v8::Local<v8::String> NewLatin1String(v8::Isolate* isolate, std::string_view bytes);

// An internalized V8 string, for property names used on hot paths.
v8::Local<v8::String> NewSymbolString(v8::Isolate* isolate, std::string_view ascii);

// UTF-8 of a V8 string (lone surrogates become U+FFFD), appended to `out`.
void AppendUtf8(v8::Isolate* isolate, v8::Local<v8::String> value, std::string* out);

// UTF-8 of any value, via ToString (empty on exception).
std::string ToUtf8(v8::Isolate* isolate, v8::Local<v8::Value> value);

// "file:line: Name: message" (plus the stack when there is one) for a caught exception.
std::string DescribeException(v8::Isolate* isolate, const v8::TryCatch& try_catch);

}  // namespace atl::isolates
