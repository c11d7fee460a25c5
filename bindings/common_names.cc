#include "bindings/common_names.h"

#include <array>
#include <cstdint>

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

constexpr size_t kLongest = 25;  // "upgrade-insecure-requests"

// Per name length, the table slots of the names that long (-1 after the last): a lookup compares
// with at most the few names of its own length instead of scanning the table (every request
// looks up its method and each header name).
constexpr auto kSlotsByLength = [] {
  std::array<std::array<int8_t, 6>, kLongest + 1> by{};
  for (auto& slots : by) slots.fill(-1);
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i].size() > kLongest) throw "kLongest is too small";  // a compile error, not a throw
    auto& slots = by[kNames[i].size()];
    size_t n = 0;
    while (n < slots.size() && slots[n] != -1) ++n;
    if (n == slots.size()) throw "more names of one length than a bucket holds";
    slots[n] = static_cast<int8_t>(i);
  }
  return by;
}();
}  // namespace

int CommonNames::IndexOf(std::string_view name) {
  if (name.size() > kLongest) return -1;
  for (int8_t slot : kSlotsByLength[name.size()]) {
    if (slot < 0) break;
    // The last byte first: the names of one length mostly differ there or earlier.
    std::string_view candidate = kNames[static_cast<size_t>(slot)];
    if (candidate.back() == name.back() && candidate == name) return slot;
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
