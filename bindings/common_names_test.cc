// CommonNames (common_names.h) in a bare isolate: a common name comes back as the same internalized
// string every time, equal to what NewSymbolString makes; any other name is made as before.
#include "bindings/common_names.h"

#include <gtest/gtest.h>

#include <iterator>
#include <vector>

#include "bindings/bare_isolate_test.h"
#include "isolates/v8_util.h"

namespace atl::bindings {
namespace {

class CommonNamesTest : public BareIsolateTest {};

TEST_F(CommonNamesTest, ACommonNameIsTheSameInternalizedStringEveryTime) {
  v8::Isolate::Scope isolate_scope(isolate_);
  v8::HandleScope handles(isolate_);
  CommonNames names;
  EXPECT_GE(CommonNames::IndexOf("host"), 0);
  EXPECT_GE(CommonNames::IndexOf("GET"), 0);
  EXPECT_EQ(CommonNames::IndexOf("Host"), -1);  // the HTTP layer lower-cases names; others are made
  EXPECT_EQ(CommonNames::IndexOf("hos"), -1);
  EXPECT_EQ(CommonNames::IndexOf("x-custom"), -1);
  for (const char* name : {"host", "GET", "user-agent", "transfer-encoding", "x-custom", "Host", ""}) {
    v8::Local<v8::String> first = names.Get(isolate_, name);
    v8::Local<v8::String> again;
    {
      v8::HandleScope inner(isolate_);  // the cached string outlives the scope that made it
      again = names.Get(isolate_, name);
    }
    EXPECT_EQ(isolates::ToUtf8(isolate_, first), name);
    EXPECT_TRUE(first == again) << name << ": both are the one internalized string";
    EXPECT_TRUE(first->StrictEquals(isolates::NewSymbolString(isolate_, name))) << name;
    EXPECT_EQ(isolates::ToUtf8(isolate_, names.Get(isolate_, name)), name);
  }
}

TEST(CommonNames, EveryNameHasItsOwnSlotAndNothingElseHasOne) {
  constexpr const char* kAll[] = {
      "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH",
      "host", "user-agent", "accept", "accept-encoding", "accept-language", "connection",
      "content-type", "content-length", "cookie", "referer", "origin", "authorization",
      "cache-control", "pragma", "upgrade-insecure-requests", "sec-fetch-site", "sec-fetch-mode",
      "sec-fetch-dest", "sec-fetch-user", "if-none-match", "if-modified-since", "x-forwarded-for",
      "x-forwarded-proto", "x-real-ip", "transfer-encoding"};
  static_assert(std::size(kAll) == CommonNames::kCount);
  std::vector<bool> taken(CommonNames::kCount, false);
  for (const char* name : kAll) {
    int slot = CommonNames::IndexOf(name);
    ASSERT_GE(slot, 0) << name;
    EXPECT_FALSE(taken[static_cast<size_t>(slot)]) << name << " shares slot " << slot;
    taken[static_cast<size_t>(slot)] = true;
  }
  // Same length and first or last byte as a common name, longer than any, empty, a prefix.
  for (const char* other : {"sec-fetch-sitx", "sec-fetch-xite", "hosx", "GEX", "PUX", "x-real-iq",
                            "upgrade-insecure-requestsx", "", "h", "content-typ", "content-types"}) {
    EXPECT_EQ(CommonNames::IndexOf(other), -1) << other;
  }
}

}  // namespace
}  // namespace atl::bindings
