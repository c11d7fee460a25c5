// KV namespaces (env.STORE) through the real binary on 127.0.0.1: a put whose promise resolved
// survives kill -9 and a restart on the same data_dir, tenants naming the same namespace share
// it, and expired keys vanish (the KV clock moved forward with ATOLL_KV_TEST_CLOCK_OFFSET, so
// that nothing sleeps 60 s). The API's semantics are in bindings/js/kv_test.js; the SQLite layer
// in kv/kv_store_test.cc.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>

#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

// /put?k=KEY&v=VALUE[&ttl=S], /get?k=KEY (404 when absent), /list?p=PREFIX -> names, one a line.
constexpr const char* kHandler = R"(
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const key = url.searchParams.get("k");
    switch (url.pathname) {
      case "/put": {
        const ttl = url.searchParams.get("ttl");
        await env.STORE.put(key, url.searchParams.get("v"), ttl ? { expirationTtl: Number(ttl) } : {});
        return new Response("ok");
      }
      case "/get": {
        const value = await env.STORE.get(key);
        return new Response(value, { status: value === null ? 404 : 200 });
      }
      case "/delete":
        await env.STORE.delete(key);
        return new Response("ok");
      case "/list": {
        const { keys } = await env.STORE.list({ prefix: url.searchParams.get("p") ?? "" });
        return new Response(keys.map((k) => k.name).join("\n"));
      }
    }
    return new Response("?", { status: 400 });
  },
};
)";

std::string Config(const TenantFixture& fixture) {
  fixture.Write("kv.js", kHandler);
  return fixture.WriteConfig("", R"(
[[tenants]]
name = "a"
script = "kv.js"
routes = ["a.test/*"]
[tenants.kv]
STORE = "shared"
[[tenants]]
name = "b"
script = "kv.js"
routes = ["b.test/*"]
context = "per_request"
[tenants.kv]
STORE = "shared"
[[tenants]]
name = "c"
script = "kv.js"
routes = ["c.test/*"]
[tenants.kv]
STORE = "other"
)");
}

TEST(Kv, ResolvedPutsSurviveKillDashNine) {
  TenantFixture fixture;
  std::string config = Config(fixture);
  {
    TestServer server(config);
    for (int i = 0; i < 50; ++i) {
      ASSERT_EQ(GetFromTenant(server, "a", "/put?k=key" + std::to_string(i) + "&v=value" + std::to_string(i)).body, "ok");
    }
    ASSERT_EQ(GetFromTenant(server, "a", "/delete?k=key7").body, "ok");
    // The worker process holding the store dies without a chance to close it.
    ASSERT_GT(server.worker_pid(), 0);
    ASSERT_EQ(kill(server.worker_pid(), SIGKILL), 0);
    ASSERT_TRUE(server.WaitForLog("\"signal\":9"));
    EXPECT_EQ(server.Stop(), 0);
  }
  EXPECT_TRUE(std::filesystem::exists(fixture.dir() / "data" / "kv" / "shared.sqlite3"));
  TestServer restarted(config);
  for (int i = 0; i < 50; ++i) {
    HttpResponse r = GetFromTenant(restarted, "a", "/get?k=key" + std::to_string(i));
    if (i == 7) {
      EXPECT_EQ(r.status, 404) << "the delete survived too";
    } else {
      EXPECT_EQ(r.status, 200) << i;
      EXPECT_EQ(r.body, "value" + std::to_string(i));
    }
  }
  EXPECT_EQ(restarted.Stop(), 0);
}

TEST(Kv, TenantsNamingTheSameNamespaceShareIt) {
  TenantFixture fixture;
  TestServer server(Config(fixture));
  ASSERT_EQ(GetFromTenant(server, "a", "/put?k=greeting&v=from-a").body, "ok");
  HttpResponse b = GetFromTenant(server, "b", "/get?k=greeting");
  EXPECT_EQ(b.status, 200);
  EXPECT_EQ(b.body, "from-a") << "b (per_request contexts) reads a's write";
  ASSERT_EQ(GetFromTenant(server, "b", "/put?k=greeting&v=from-b").body, "ok");
  EXPECT_EQ(GetFromTenant(server, "a", "/get?k=greeting").body, "from-b");
  EXPECT_EQ(GetFromTenant(server, "c", "/get?k=greeting").status, 404) << "another namespace";
  ASSERT_EQ(GetFromTenant(server, "c", "/put?k=greeting&v=from-c").body, "ok");
  EXPECT_EQ(GetFromTenant(server, "a", "/get?k=greeting").body, "from-b");
  EXPECT_EQ(server.Stop(), 0);
}

TEST(Kv, ExpiredKeysVanish) {
  TenantFixture fixture;
  std::string config = Config(fixture);
  {
    TestServer server(config);
    ASSERT_EQ(GetFromTenant(server, "a", "/put?k=x/short&v=1&ttl=60").body, "ok");
    ASSERT_EQ(GetFromTenant(server, "a", "/put?k=x/long&v=2&ttl=3600").body, "ok");
    ASSERT_EQ(GetFromTenant(server, "a", "/put?k=x/forever&v=3").body, "ok");
    EXPECT_EQ(GetFromTenant(server, "a", "/get?k=x/short").body, "1");
    EXPECT_EQ(GetFromTenant(server, "a", "/list?p=x/").body, "x/forever\nx/long\nx/short");
    EXPECT_EQ(server.Stop(), 0);
  }
  // Two minutes later, as far as KV can tell.
  setenv("ATOLL_KV_TEST_CLOCK_OFFSET", "120", 1);
  TestServer later(config);
  unsetenv("ATOLL_KV_TEST_CLOCK_OFFSET");
  EXPECT_EQ(GetFromTenant(later, "a", "/list?p=x/").body, "x/forever\nx/long");
  EXPECT_EQ(GetFromTenant(later, "a", "/get?k=x/short").status, 404);
  EXPECT_EQ(GetFromTenant(later, "a", "/get?k=x/long").body, "2");
  EXPECT_EQ(later.Stop(), 0);
}

TEST(Kv, CheckAcceptsKvBindings) {
  TenantFixture fixture;
  std::string output;
  EXPECT_EQ(RunAtoll("check --config " + Config(fixture), &output), 0) << output;
}

}  // namespace
}  // namespace atl::testing
