// The admin API, metrics and access log (SPEC §5, §1) against the real binary on 127.0.0.1.
#include <gtest/gtest.h>

#include <cstdlib>
#include <regex>

#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

constexpr char kToken[] = "test-token-123";

// One admin request; `token` empty: no Authorization header.
HttpResponse Admin(int port, const std::string& method, const std::string& path, const std::string& body = "",
                   const std::string& token = kToken) {
  return AdminRequest(port, token, method, path, body);
}

std::string Deploy(const std::string& text, const std::string& routes = "[\"*/x/*\"]") {
  std::string escaped;
  for (char c : text) {
    if (c == '"' || c == '\\') escaped.push_back('\\');
    if (c == '\n') {
      escaped += "\\n";
      continue;
    }
    escaped.push_back(c);
  }
  return "{\"script\": \"" + escaped + "\", \"routes\": " + routes + "}";
}

class AdminTest : public ::testing::Test {
 protected:
  void SetUp() override { setenv("ATOLL_ADMIN_TOKEN", kToken, 1); }
  std::string Config() {
    fixture_.Write("base.js", "export default { fetch() { return new Response('base'); } };");
    return fixture_.WriteConfig("admin_listen = \"127.0.0.1:0\"",
                                "[[tenants]]\nname = \"base\"\nscript = \"base.js\"\nroutes = [\"*/base/*\"]\n");
  }
  TenantFixture fixture_;
};

TEST_F(AdminTest, DeployServesWithinASecondAndSurvivesRestart) {
  std::string config = Config();
  {
    TestServer server(config);
    int admin = AdminPort(server);
    ASSERT_NE(admin, 0);
    EXPECT_EQ(Get(server.port(), "/x/").status, 404);
    auto start = std::chrono::steady_clock::now();
    HttpResponse put = Admin(admin, "PUT", "/tenants/x", Deploy("export default { fetch() { return new Response('v1'); } };"));
    ASSERT_EQ(put.status, 200) << put.body;
    EXPECT_NE(put.body.find("\"name\":\"x\",\"version\":1,\"etag\":\""), std::string::npos) << put.body;
    HttpResponse r = Get(server.port(), "/x/a");
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "v1");

    // A broken version: 400 with the error and its line; v1 keeps serving.
    HttpResponse broken = Admin(admin, "PUT", "/tenants/x", Deploy("export default {\n  fetch() {\n    return new Response(;\n  }\n};"));
    EXPECT_EQ(broken.status, 400) << broken.body;
    EXPECT_NE(broken.body.find("v2.js:3"), std::string::npos) << broken.body;
    EXPECT_EQ(Get(server.port(), "/x/a").body, "v1");

    HttpResponse v3 = Admin(admin, "PUT", "/tenants/x", Deploy("export default { fetch() { return new Response('v3'); } };"));
    ASSERT_EQ(v3.status, 200) << v3.body;
    EXPECT_NE(v3.body.find("\"version\":2"), std::string::npos) << v3.body;
    EXPECT_EQ(Get(server.port(), "/x/a").body, "v3");
    EXPECT_EQ(server.Stop(), 0);
  }
  {
    TestServer server(config);
    ASSERT_NE(AdminPort(server), 0);
    EXPECT_EQ(Get(server.port(), "/x/a").body, "v3") << "deployed tenants come back from data_dir";
    EXPECT_EQ(Get(server.port(), "/base/").body, "base");
    HttpResponse info = Admin(AdminPort(server), "GET", "/tenants/x");
    EXPECT_NE(info.body.find("\"version\":2"), std::string::npos) << info.body;
    HttpResponse del = Admin(AdminPort(server), "DELETE", "/tenants/x");
    EXPECT_EQ(del.status, 200) << del.body;
    EXPECT_EQ(Get(server.port(), "/x/a").status, 404);
    EXPECT_EQ(Admin(AdminPort(server), "GET", "/tenants/x").status, 404);
    EXPECT_EQ(server.Stop(), 0);
  }
  {
    TestServer server(config);
    ASSERT_NE(AdminPort(server), 0);
    EXPECT_EQ(Get(server.port(), "/x/a").status, 404) << "a deleted tenant stays deleted";
  }
}

TEST_F(AdminTest, TokenIsRequired) {
  TestServer server(Config());
  int admin = AdminPort(server);
  HttpResponse none = Admin(admin, "GET", "/tenants", "", "");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.Header("content-type"), "application/json");
  EXPECT_EQ(Admin(admin, "GET", "/tenants", "", "wrong-token").status, 401);
  EXPECT_EQ(Admin(admin, "PUT", "/tenants/y", Deploy("x"), "test-token-12").status, 401);
  EXPECT_EQ(Admin(admin, "GET", "/healthz").status, 200);
  HttpResponse list = Admin(admin, "GET", "/tenants");
  EXPECT_EQ(list.status, 200);
  EXPECT_NE(list.body.find("\"name\":\"base\""), std::string::npos) << list.body;
}

TEST_F(AdminTest, NoTokenNoAdminListener) {
  std::string config = Config();
  unsetenv("ATOLL_ADMIN_TOKEN");
  std::string output;
  EXPECT_EQ(RunAtoll("serve --config " + config + " --listen 127.0.0.1:0", &output), 1);
  EXPECT_NE(output.find("ATOLL_ADMIN_TOKEN"), std::string::npos) << output;
}

TEST_F(AdminTest, BodyOverTheLimitGets413) {
  TestServer server(Config());
  int admin = AdminPort(server);
  std::string big(6 << 20, 'a');
  HttpResponse r = Admin(admin, "PUT", "/tenants/big", Deploy("// " + big));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(Admin(admin, "PUT", "/tenants/y", "{\"routes\": []}").status, 400);
  EXPECT_EQ(Admin(admin, "PUT", "/tenants/y", "not json").status, 400);
  EXPECT_EQ(Admin(admin, "PUT", "/tenants/Bad_Name", Deploy("x")).status, 400);
}

TEST_F(AdminTest, MetricsStatsAndAccessLog) {
  TestServer server(Config());
  int admin = AdminPort(server);
  ASSERT_EQ(Admin(admin, "PUT", "/tenants/x", Deploy("export default { fetch() { return new Response('hello'); } };")).status, 200);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(Get(server.port(), "/x/" + std::to_string(i)).status, 200);
  EXPECT_EQ(Get(server.port(), "/nowhere").status, 404);
  HttpResponse metrics = Admin(admin, "GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.Header("content-type").find("text/plain"), std::string::npos);
  for (const char* want : {"atoll_requests_total{tenant=\"x\",status=\"200\"} 100\n",
                           "atoll_requests_total{tenant=\"\",status=\"404\"} 1\n",
                           "atoll_request_duration_seconds_bucket{le=\"+Inf\"} 101\n",
                           "atoll_request_duration_seconds_count 101\n", "atoll_isolates{state=\"live\"} 1\n",
                           "atoll_isolate_creations_total ", "atoll_heap_bytes{tenant=\"x\"} ",
                           "# TYPE atoll_limit_kills_total counter\n"}) {
    EXPECT_NE(metrics.body.find(want), std::string::npos) << want << "\n" << metrics.body;
  }
  HttpResponse info = Admin(admin, "GET", "/tenants/x");
  ASSERT_EQ(info.status, 200);
  EXPECT_NE(info.body.find("\"requests\":100,\"errors\":0"), std::string::npos) << info.body;
  EXPECT_NE(info.body.find("\"isolates\":1,\"heap_bytes\":"), std::string::npos) << info.body;
  EXPECT_NE(info.body.find("\"cpu_ms\":"), std::string::npos) << info.body;
  EXPECT_NE(info.body.find("\"routes\":[\"*/x/*\"]"), std::string::npos) << info.body;

  // The access lines reach the log through the server's stderr, a little after the answers.
  ASSERT_TRUE(server.WaitForLog("\"path\":\"/x/99\""));
  std::regex line(R"re(\{"ts":"[^"]+","level":"info","msg":"access","tenant":"x","method":"GET","path":"/x/99","status":200,"ms":[0-9.e-]+,"bytes":5,"worker":[0-9]+\})re");
  std::string log = server.log();
  EXPECT_TRUE(std::regex_search(log, line)) << log.substr(log.size() > 3000 ? log.size() - 3000 : 0);
}

TEST_F(AdminTest, LimitKillsAreCounted) {
  TestServer server(Config());
  int admin = AdminPort(server);
  ASSERT_EQ(Admin(admin, "PUT", "/tenants/spin",
                  "{\"script\": \"export default { fetch() { for (;;) {} } };\", \"routes\": [\"*/spin/*\"], \"cpu_ms\": 20}")
                .status,
            200);
  EXPECT_EQ(Get(server.port(), "/spin/").status, 503);
  HttpResponse metrics = Admin(admin, "GET", "/metrics");
  EXPECT_NE(metrics.body.find("atoll_limit_kills_total{tenant=\"spin\",limit=\"cpu\"} 1\n"), std::string::npos) << metrics.body;
}

// A tenant whose bundle names streams runs on the streams snapshot (bindings/streams_context.h),
// the metric says which; another tenant of the same server does not; with
// ATOLL_STREAMS_SNAPSHOT=0 none does, and streams still work (loaded lazily).
TEST_F(AdminTest, StreamsSnapshotIsChosenPerTenantFromItsBundle) {
  const std::string streams =
      "export default { async fetch(request) { const t = new TransformStream(); const w = t.writable.getWriter(); "
      "w.write(new TextEncoder().encode(await request.text())); w.close(); "
      "return new Response(t.readable, { headers: { 'x-body': String(request.body instanceof ReadableStream) } }); } };";
  const std::string plain = "export default { fetch() { return new Response('plain'); } };";
  for (bool off : {false, true}) {
    if (off) setenv("ATOLL_STREAMS_SNAPSHOT", "0", 1);
    TestServer server(Config());
    if (off) unsetenv("ATOLL_STREAMS_SNAPSHOT");
    int admin = AdminPort(server);
    ASSERT_EQ(Admin(admin, "PUT", "/tenants/s", Deploy(streams, "[\"*/s/*\"]")).status, 200);
    ASSERT_EQ(Admin(admin, "PUT", "/tenants/p", Deploy(plain, "[\"*/p/*\"]")).status, 200);
    for (int i = 0; i < 3; ++i) {
      RawClient client(server.port());
      client.Send("POST /s/ HTTP/1.1\r\nHost: test.local\r\nContent-Length: 5\r\n\r\nhello");
      HttpResponse r = client.ReadResponse();
      EXPECT_EQ(r.status, 200) << server.log();
      EXPECT_EQ(r.body, "hello");
      EXPECT_EQ(r.Header("x-body"), "true");
      EXPECT_EQ(Get(server.port(), "/p/").body, "plain");
    }
    HttpResponse metrics = Admin(admin, "GET", "/metrics");
    ASSERT_EQ(metrics.status, 200);
    EXPECT_EQ(metrics.body.find("atoll_tenant_streams_snapshot{tenant=\"p\"}"), std::string::npos) << metrics.body;
    EXPECT_EQ(metrics.body.find("atoll_tenant_streams_snapshot{tenant=\"s\"} 1\n") != std::string::npos, !off)
        << (off ? "ATOLL_STREAMS_SNAPSHOT=0\n" : "") << metrics.body;
  }
}

}  // namespace
}  // namespace atl::testing

namespace atl::testing {
namespace {

// The value of the sample `sample` (name and labels, as printed) in a /metrics text; -1 if none.
double Metric(const std::string& text, const std::string& sample) {
  size_t at = text.find("\n" + sample + " ");
  return at == std::string::npos ? -1 : std::strtod(text.c_str() + at + sample.size() + 2, nullptr);
}

// A server whose tenants all come from deploys (none in its config) keeps blank isolates ready
// too: each new tenant's deploy takes one instead of making an isolate on the loop thread, and
// the pool makes the next in the background. (It kept none: every deploy and every later cold
// tenant made its isolate on the loop, ~4 ms each.)
TEST_F(AdminTest, TenantsThatOnlyComeFromDeploysTakeSpareIsolates) {
  std::string config = fixture_.WriteConfig("admin_listen = \"127.0.0.1:0\"\nworkers = 1", "");
  TestServer server(config);
  int admin = AdminPort(server);
  ASSERT_NE(admin, 0);
  for (int i = 0; i < 4; ++i) {
    std::string name = "d" + std::to_string(i);
    EXPECT_TRUE(WaitFor([&] { return Metric(Admin(admin, "GET", "/metrics").body, "atoll_isolates{state=\"spare\"}") >= 1; },
                        Slow(std::chrono::seconds(10))))
        << "no spare isolate before deploy " << i << ":\n" << Admin(admin, "GET", "/metrics").body;
    std::string script = "export default { fetch() { return new Response('" + name + "'); } };";
    HttpResponse put = Admin(admin, "PUT", "/tenants/" + name, Deploy(script, "[\"*/" + name + "/*\"]"));
    ASSERT_EQ(put.status, 200) << put.body;
    EXPECT_EQ(Get(server.port(), "/" + name + "/").body, name);
  }
  EXPECT_EQ(server.Stop(), 0);
  EXPECT_EQ(PoolStat(server.log(), "isolates_taken_cold"), 0) << server.log();
}

}  // namespace
}  // namespace atl::testing

namespace atl::testing {
namespace {

// /metrics shows the tenants that exist: a deleted tenant's series go (a platform that deploys a
// tenant per preview would otherwise export every name it ever had), and the same name deployed
// again continues its counts.
TEST_F(AdminTest, MetricsLeaveOutDeletedTenants) {
  std::string config = fixture_.WriteConfig("admin_listen = \"127.0.0.1:0\"\nworkers = 1", "");
  TestServer server(config);
  int admin = AdminPort(server);
  ASSERT_NE(admin, 0);
  const std::string body = Deploy("export default { fetch() { return new Response('p'); } };", "[\"*/p/*\"]");
  const std::string series = "atoll_requests_total{tenant=\"preview-1\",status=\"200\"} ";
  ASSERT_EQ(Admin(admin, "PUT", "/tenants/preview-1", body).status, 200);
  EXPECT_EQ(Get(server.port(), "/p/").body, "p");
  EXPECT_NE(Admin(admin, "GET", "/metrics").body.find(series + "1\n"), std::string::npos);
  ASSERT_EQ(Admin(admin, "DELETE", "/tenants/preview-1").status, 200);
  std::string after = Admin(admin, "GET", "/metrics").body;
  EXPECT_EQ(after.find("tenant=\"preview-1\""), std::string::npos) << after;
  ASSERT_EQ(Admin(admin, "PUT", "/tenants/preview-1", body).status, 200);
  EXPECT_EQ(Get(server.port(), "/p/").body, "p");
  EXPECT_NE(Admin(admin, "GET", "/metrics").body.find(series + "2\n"), std::string::npos)
      << Admin(admin, "GET", "/metrics").body;
}

}  // namespace
}  // namespace atl::testing
