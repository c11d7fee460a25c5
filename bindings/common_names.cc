#include "bindings/common_names.h"

#include "isolates/v8_util.h"

namespace atl::bindings {
namespace {
// Methods, then the header names browsers, curl, wrk and proxies send most (lower case, as the
// HTTP layer hands them over).
constexpr std::array<std::string_view, CommonNames::kCount> kNames = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH",
    "host", "user-agent", "accept", "accept-encoding", "accept-language", "connection",
    "content-type", "content-length", "cookie", "referer", "origin", "authorization",
    "cache-control", "pragma", "upgrade-insecure-requests", "sec-fetch-site", "sec-fetch-mode",
    "sec-fetch-dest", "sec-fetch-user", "if-none-match", "if-modified-since", "x-forwarded-for",
    "x-forwarded-proto", "x-real-ip", "transfer-encoding",
};
}  // namespace

int CommonNames::IndexOf(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i].size() == name.size() && kNames[i] == name) return static_cast<int>(i);
  }
  return -1;
}

v8::Local<v8::String> CommonNames::Get(v8::Isolate* isolate, std::string_view name) {
  int index = IndexOf(name);
  if (index < 0) return isolates::NewSymbolString(isolate, name);
  v8::Eternal<v8::String>& slot = strings_[static_cast<size_t>(index)];
  if (slot.IsEmpty()) slot.Set(isolate, isolates::NewSymbolString(isolate, name));
  return slot.Get(isolate);
}

}  // namespace atl::bindings
