// Runs every bindings/js/*_test.js through the real runtime: each is a handler that runs its
// assertions and answers {passed, failed, failures}.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

class JsApiTest : public ::testing::TestWithParam<std::string> {};

TEST_P(JsApiTest, AllAssertionsPass) {
  // One request runs a whole file: give it more than a request's default 50 ms of CPU, so that
  // a busy machine does not turn a slow run into a cpu_limit. env.STORE is a KV namespace of
  // the fixture's own data_dir (kv_test.js). node_*_test.js test Node's modules: their tenant
  // has the nodejs_compat flag.
  std::string flags = GetParam().starts_with("node_") ? "compatibility_flags = [\"nodejs_compat\"]\n" : "";
  TenantFixture fixture;
  TestServer server(fixture.WriteConfig("", R"([[tenants]]
name = "default"
script = ")" + SourcePath("bindings/js/" + GetParam()) + R"("
routes = ["*/*"]
cpu_ms = 5000
)" + flags + R"([tenants.kv]
STORE = "js-test"
[tenants.durable_objects]
DO = "TestObject"
)"));
  HttpResponse r = Get(server.port(), "/");
  ASSERT_EQ(r.status, 200) << r.body << "\n" << server.log();
  JsTestCounts counts = ParseJsTestCounts(r.body);
  ASSERT_GE(counts.passed, 0) << r.body;
  EXPECT_EQ(counts.failed, 0) << r.body;
  EXPECT_GE(counts.passed, 1) << r.body;
  RecordProperty("passed", counts.passed);
}

std::vector<std::string> JsTests() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(SourcePath("bindings/js"))) {
    std::string name = entry.path().filename().string();
    if (name.size() > 8 && name.ends_with("_test.js")) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

INSTANTIATE_TEST_SUITE_P(Bindings, JsApiTest, ::testing::ValuesIn(JsTests()),
                         [](const auto& info) {
                           std::string name = info.param.substr(0, info.param.size() - 3);
                           for (char& c : name) if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

}  // namespace
}  // namespace atl::testing
