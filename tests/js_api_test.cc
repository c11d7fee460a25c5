// Runs every bindings/js/*_test.js through the real runtime: each is a handler that runs its
// assertions and answers {passed, failed, failures}.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

class JsApiTest : public ::testing::TestWithParam<std::string> {};

void RunJsTest(const std::string& file) {
  // One request runs a whole file: give it more than a request's default 50 ms of CPU, so that
  // a busy machine does not turn a slow run into a cpu_limit. env.STORE is a KV namespace of
  // the fixture's own data_dir (kv_test.js). node_*_test.js test Node's modules: their tenant
  // has the nodejs_compat flag. env.DO and env.WF: durable_objects_test.js's and workflows_test.js's classes; env.D1 a D1 database (d1_test.js), env.Q a queue's producer (queues_test.js), env.R2 an R2 bucket (r2_test.js).
  std::string flags = file.starts_with("node_") ? "compatibility_flags = [\"nodejs_compat\"]\n" : "";
  TenantFixture fixture;
  TestServer server(fixture.WriteConfig("", R"([[tenants]]
name = "default"
script = ")" + SourcePath("bindings/js/" + file) + R"("
routes = ["*/*"]
cpu_ms = 5000
)" + flags + R"([tenants.kv]
STORE = "js-test"
[tenants.durable_objects]
DO = "TestObject"
DOLLAR = "$Dollar"
[tenants.workflows]
WF = "TestWorkflow"
[tenants.d1]
D1 = "js-test"
[tenants.queues]
Q = "js-test"
[tenants.r2]
R2 = "js-test"
)"));
  HttpResponse r = Get(server.port(), "/");
  ASSERT_EQ(r.status, 200) << r.body << "\n" << server.log();
  JsTestCounts counts = ParseJsTestCounts(r.body);
  ASSERT_GE(counts.passed, 0) << r.body;
  EXPECT_EQ(counts.failed, 0) << r.body;
  EXPECT_GE(counts.passed, 1) << r.body;
  ::testing::Test::RecordProperty("passed", counts.passed);
}

// A test file's name as a test's ("streams_test.js" -> "streams_test").
std::string TestName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param.substr(0, info.param.size() - 3);
  for (char& c : name) if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

TEST_P(JsApiTest, AllAssertionsPass) { RunJsTest(GetParam()); }

// The files that use streams name them, so their tenant runs on the streams snapshot
// (bindings/streams_context.h); here once more on the runtime's, with streams loaded lazily.
class JsApiLazyStreamsTest : public ::testing::TestWithParam<std::string> {};

TEST_P(JsApiLazyStreamsTest, AllAssertionsPass) {
  setenv("ATOLL_STREAMS_SNAPSHOT", "0", 1);
  RunJsTest(GetParam());
  unsetenv("ATOLL_STREAMS_SNAPSHOT");
}

INSTANTIATE_TEST_SUITE_P(Bindings, JsApiLazyStreamsTest,
                         ::testing::Values("streams_test.js", "encoding_streams_test.js", "workers_extras_test.js"),
                         TestName);

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
                         TestName);

}  // namespace
}  // namespace atl::testing
