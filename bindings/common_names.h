#pragma once
// Internalized V8 strings for the request methods and header names most requests carry, made once
// per isolate (v8::Eternal: they live as long as the isolate, nothing to free). Dispatch builds a
// request's method and header names from here instead of NewFromOneByte + internalizing each one
// per request; a name not in the table (or spelled differently) is made the usual way.
//
//   CommonNames names;                                  // one per isolate
//   v8::Local<v8::String> s = names.Get(isolate, "host");  // same as NewSymbolString(isolate, "host")

#include <array>
#include <string_view>

#include <v8.h>

namespace atl::bindings {

class CommonNames {
 public:
  static constexpr size_t kCount = 32;
  // The internalized string for `name`: from the table when it is a common name, else made now.
  v8::Local<v8::String> Get(v8::Isolate* isolate, std::string_view name);
  // The table slot of `name`, or -1 (exposed for the unit test).
  static int IndexOf(std::string_view name);

 private:
  std::array<v8::Eternal<v8::String>, kCount> strings_;
};

}  // namespace atl::bindings
