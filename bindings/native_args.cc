#include "bindings/native_args.h"

#include "base/strings.h"
#include "bindings/native_scope.h"

namespace atl::bindings {

void NativeArgs::Fail(int i, std::string_view expected) const {
  ThrowTypeError(isolate(), base::StrCat(native_, ": argument ", i, " must be ", expected));
}

std::string NativeArgs::Utf8(int i) const {
  v8::Local<v8::String> text = info_[i].As<v8::String>();
  std::string out(text->Utf8Length(isolate()), '\0');
  text->WriteUtf8(isolate(), out.data(), static_cast<int>(out.size()), nullptr,
                  v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  return out;
}

}  // namespace atl::bindings
