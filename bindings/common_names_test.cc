// CommonNames (common_names.h) in a bare isolate: a common name comes back as the same internalized
// string every time, equal to what NewSymbolString makes; any other name is made as before.
#include "bindings/common_names.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace atl::bindings
