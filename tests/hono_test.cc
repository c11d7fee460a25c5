// A real Hono app (npm hono, pinned in package.json; tests/hono/app.js), bundled at build time by
// esbuild as wrangler does (tests/hono/build.mjs: --bundle --format=esm
// --conditions=workerd,worker,browser), served by the real binary with a var and a KV namespace.
// hono/adapter's env(c) finds the bindings only because navigator.userAgent is
// "Cloudflare-Workers" (without it getRuntimeKey() is "other" and env(c) is {}).
#include <gtest/gtest.h>

#include <string>

#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

class Hono : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<TestServer>(fixture_.WriteConfig("cf_header = \"x-edge\"\n", R"(
[[tenants]]
name = "hono"
script = ")" ATOLL_HONO_BUNDLE R"("
routes = ["*/*"]
[tenants.vars]
GREETING = "kia ora"
LIMIT = 5
[tenants.kv]
STORE = "hono-store"
)"));
  }
  TenantFixture fixture_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(Hono, EnvOfTheAdapterSeesVarsAndKvOverHttp) {
  HttpResponse runtime = Get(server_->port(), "/runtime");
  EXPECT_EQ(runtime.status, 200);
  EXPECT_EQ(runtime.body, "workerd") << "Hono did not detect the Workers runtime";

  HttpResponse greet = Get(server_->port(), "/greet/ann");
  EXPECT_EQ(greet.status, 200);
  EXPECT_EQ(greet.body, R"({"greeting":"kia ora, ann","limit":5})");

  RawClient client(server_->port());
  client.Send("PUT /kv/colour HTTP/1.1\r\nhost: a\r\ncontent-length: 4\r\n\r\nteal");
  EXPECT_EQ(client.ReadResponse().status, 204);
  client.Send("GET /kv/colour HTTP/1.1\r\nhost: a\r\n\r\n");
  HttpResponse value = client.ReadResponse();
  EXPECT_EQ(value.status, 200);
  EXPECT_EQ(value.body, "teal");
  EXPECT_EQ(Get(server_->port(), "/kv/absent").status, 404);

  // The proxy idiom and request.cf through Hono's raw request: a 300 KB body (streamed to the
  // handler) moved into a new Request without a duplex member; the edge header's country.
  std::string body(300000, 'x');
  client.Send("POST /echo HTTP/1.1\r\nhost: a\r\nx-edge: {\"country\":\"NZ\"}\r\ncontent-length: 300000\r\n\r\n" + body);
  HttpResponse echo = client.ReadResponse();
  EXPECT_EQ(echo.status, 200);
  EXPECT_EQ(echo.body, R"({"bytes":300000,"country":"NZ"})");

  // Hono's cache middleware (hono/cache) over the Cache API: the second answer is the first.
  HttpResponse first = Get(server_->port(), "/cached/x");
  HttpResponse second = Get(server_->port(), "/cached/x");
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.body.size(), 36u);
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(second.Header("cf-cache-status"), "HIT");
  EXPECT_NE(Get(server_->port(), "/cached/y").body, first.body);

  // hono/logger's lines are the tenant's console.log lines.
  EXPECT_TRUE(server_->WaitForLog("<-- GET /greet/ann"));
}

}  // namespace
}  // namespace atl::testing
