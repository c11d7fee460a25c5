// Many tenants in one process: routing, lazy isolates, eviction, per_request contexts, the code
// cache across restarts, and `atoll check`. Everything goes through the real binary on
// 127.0.0.1.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

std::string TenantScript(int i) {
  return "export default { fetch() { return new Response('tenant " + std::to_string(i) + "\\n'); } };\n";
}

// Tenant i is routed by host (even i) or by path (odd i).
std::string TenantBlock(int i) {
  std::string route = i % 2 == 0 ? "t" + std::to_string(i) + ".example.com/*" : "*/t" + std::to_string(i) + "/*";
  return "[[tenants]]\nname = \"t" + std::to_string(i) + "\"\nscript = \"t" + std::to_string(i) +
         ".js\"\nroutes = [\"" + route + "\"]\n";
}

HttpResponse GetTenant(int port, int i) {
  if (i % 2 == 0) return GetFrom(port, "t" + std::to_string(i) + ".example.com", "/x");
  return GetFrom(port, "anything.test", "/t" + std::to_string(i) + "/x?q=1");
}

TEST(MultiTenant, ThousandTenantsEachReachTheirOwn) {
  TenantFixture fixture;
  std::string tenants;
  for (int i = 0; i < 1000; ++i) {
    fixture.Write("t" + std::to_string(i) + ".js", TenantScript(i));
    tenants += TenantBlock(i);
  }
  TestServer server(fixture.WriteConfig("", tenants));
  for (int i = 0; i < 1000; ++i) {
    HttpResponse r = GetTenant(server.port(), i);
    ASSERT_EQ(r.status, 200) << i << " " << r.body;
    ASSERT_EQ(r.body, "tenant " + std::to_string(i) + "\n");
  }
  HttpResponse none = GetFrom(server.port(), "nobody.example.org", "/");
  EXPECT_EQ(none.status, 404);
  EXPECT_EQ(none.body, "{\"error\":\"no_route\"}");
  EXPECT_EQ(server.Stop(), 0);
  EXPECT_EQ(PoolStat(server.log(), "isolates_live"), 1000);
}

TEST(MultiTenant, MostSpecificRouteWins) {
  TenantFixture fixture;
  for (const char* name : {"exact", "wild", "api", "any"}) {
    fixture.Write(std::string(name) + ".js",
                  std::string("export default { fetch() { return new Response('") + name + "'); } };");
  }
  TestServer server(fixture.WriteConfig("", R"(
[[tenants]]
name = "exact"
script = "exact.js"
routes = ["a.example.com/*"]
[[tenants]]
name = "wild"
script = "wild.js"
routes = ["*.example.com/*"]
[[tenants]]
name = "api"
script = "api.js"
routes = ["*.example.com/api/*"]
[[tenants]]
name = "any"
script = "any.js"
routes = ["*/*"]
)"));
  EXPECT_EQ(GetFrom(server.port(), "a.example.com", "/api/x").body, "exact") << "exact host beats a longer path";
  EXPECT_EQ(GetFrom(server.port(), "b.example.com", "/api/x").body, "api");
  EXPECT_EQ(GetFrom(server.port(), "B.Example.COM:8080", "/other").body, "wild");
  EXPECT_EQ(GetFrom(server.port(), "example.com", "/").body, "any") << "*.example.com does not match the apex";
}

TEST(MultiTenant, EvictsLeastRecentlyUsedAtMaxIsolates) {
  TenantFixture fixture;
  std::string tenants;
  for (int i = 0; i < 300; ++i) {
    fixture.Write("t" + std::to_string(i) + ".js", TenantScript(i));
    tenants += TenantBlock(i);
  }
  TestServer server(fixture.WriteConfig("max_isolates = 100", tenants));
  int64_t rss_after_first_round = 0;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 300; ++i) {
      HttpResponse r = GetTenant(server.port(), i);
      ASSERT_EQ(r.status, 200) << "round " << round << " tenant " << i;
      ASSERT_EQ(r.body, "tenant " + std::to_string(i) + "\n");
    }
    if (round == 0) rss_after_first_round = ResidentKb(server.worker_pid());
  }
  int64_t rss_after_last_round = ResidentKb(server.worker_pid());
  // Bounded: 600 more tenant loads must not have added 600 tenants' worth of memory.
  EXPECT_LT(rss_after_last_round, rss_after_first_round + 60 * 1024)
      << rss_after_first_round << " KB -> " << rss_after_last_round << " KB";
  EXPECT_EQ(server.Stop(), 0);
  EXPECT_EQ(PoolStat(server.log(), "isolates_live"), 100);
  EXPECT_GE(PoolStat(server.log(), "evictions"), 800);
}

TEST(MultiTenant, OverloadedWhenEveryIsolateIsBusy) {
  TenantFixture fixture;
  fixture.Write("slow.js", "export default { async fetch() { await new Promise((r) => setTimeout(r, 1500)); return new Response('slow'); } };");
  fixture.Write("fast.js", "export default { fetch() { return new Response('fast'); } };");
  TestServer server(fixture.WriteConfig("max_isolates = 1", R"(
[[tenants]]
name = "slow"
script = "slow.js"
routes = ["slow.test/*"]
[[tenants]]
name = "fast"
script = "fast.js"
routes = ["fast.test/*"]
)"));
  RawClient slow(server.port());
  slow.Send("GET / HTTP/1.1\r\nHost: slow.test\r\n\r\n");
  ASSERT_TRUE(server.WaitForLog("\"msg\":\"listening\""));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  HttpResponse busy = GetFrom(server.port(), "fast.test", "/");
  EXPECT_EQ(busy.status, 503);
  EXPECT_EQ(busy.body, "{\"error\":\"overloaded\"}");
  EXPECT_EQ(slow.ReadResponse().body, "slow");
  EXPECT_EQ(GetFrom(server.port(), "fast.test", "/").body, "fast") << "the idle tenant is evicted now";
}

TEST(MultiTenant, PerRequestContextsShareNothing) {
  TenantFixture fixture;
  const char* counter = "let n = 0; globalThis.leak = (globalThis.leak || 0) + 1;\n"
                        "export default { fetch() { n++; return new Response(n + ' ' + globalThis.leak); } };";
  fixture.Write("fresh.js", counter);
  fixture.Write("shared.js", counter);
  TestServer server(fixture.WriteConfig("", R"(
[[tenants]]
name = "fresh"
script = "fresh.js"
routes = ["fresh.test/*"]
context = "per_request"
[[tenants]]
name = "shared"
script = "shared.js"
routes = ["shared.test/*"]
)"));
  for (int i = 1; i <= 20; ++i) {
    EXPECT_EQ(GetFrom(server.port(), "fresh.test", "/").body, "1 1") << i;
    EXPECT_EQ(GetFrom(server.port(), "shared.test", "/").body, std::to_string(i) + " 1");
  }
  EXPECT_EQ(server.Stop(), 0);
  EXPECT_GE(PoolStat(server.log(), "contexts_created"), 21);
}

TEST(MultiTenant, RestartWithUnchangedScriptCompilesNothing) {
  TenantFixture fixture;
  std::string config = fixture.WriteConfig("", R"(
[[tenants]]
name = "a"
script = "a.js"
routes = ["*/*"]
)");
  fixture.Write("lib.js", "export const word = 'one';");
  fixture.Write("a.js", "import { word } from './lib.js';\nexport default { fetch() { return new Response(word); } };");
  auto run = [&](const std::string& expected_body) {
    TestServer server(config);
    EXPECT_EQ(Get(server.port(), "/").body, expected_body);
    EXPECT_EQ(server.Stop(), 0);
    return std::pair{PoolStat(server.log(), "scripts_compiled"), PoolStat(server.log(), "code_cache_hits")};
  };
  auto [compiled_first, hits_first] = run("one");
  EXPECT_EQ(compiled_first, 2) << "a.js and lib.js";
  auto [compiled_again, hits_again] = run("one");
  EXPECT_EQ(compiled_again, 0);
  EXPECT_EQ(hits_again, 2);
  fixture.Write("lib.js", "export const word = 'two';");  // same length, other content
  auto [compiled_changed, hits_changed] = run("two");
  EXPECT_EQ(compiled_changed, 1);
  EXPECT_EQ(hits_changed, 1);
}

TEST(MultiTenant, TenantsSeeTheirVarsAndSecrets) {
  TenantFixture fixture;
  fixture.Write("env.js", "export default { fetch(r, env) { return new Response(env.GREETING + ' ' + env.KEY); } };");
  setenv("ATOLL_TEST_SECRET", "s3cret", 1);
  TestServer server(fixture.WriteConfig("", R"(
[[tenants]]
name = "env"
script = "env.js"
routes = ["*/*"]
[tenants.vars]
GREETING = "hi"
[tenants.secrets]
KEY = { env = "ATOLL_TEST_SECRET" }
)"));
  EXPECT_EQ(Get(server.port(), "/").body, "hi s3cret");
}

TEST(Check, ValidatesConfigAndCompilesEveryScript) {
  TenantFixture fixture;
  fixture.Write("good.js", TenantScript(1));
  fixture.Write("bad.js", "export default {\n  fetch() {\n    return new Response(;\n  }\n};\n");
  std::string output;
  std::string good = fixture.WriteConfig("", TenantBlock(0).replace(TenantBlock(0).find("t0.js"), 5, "good.js"));
  EXPECT_EQ(RunAtoll("check --config " + good, &output), 0) << output;
  EXPECT_NE(output.find("1 tenants OK"), std::string::npos) << output;

  std::string bad = fixture.WriteConfig("", "[[tenants]]\nname = \"b\"\nscript = \"bad.js\"\nroutes = [\"*/*\"]\n");
  EXPECT_EQ(RunAtoll("check --config " + bad, &output), 1);
  EXPECT_NE(output.find("bad.js:3"), std::string::npos) << output;

  EXPECT_EQ(RunAtoll("check --config " + SourcePath("examples/atoll.toml") + " --data-dir " + fixture.dir().string(), &output), 0)
      << "the bundled example config stays valid: " << output;

  std::string admin = fixture.WriteConfig("admin_listen = \"127.0.0.1:9901\"", TenantBlock(0).replace(TenantBlock(0).find("t0.js"), 5, "good.js"));
  EXPECT_EQ(RunAtoll("check --config " + admin, &output), 0) << "admin_listen is a valid key: " << output;

  std::string wrong = fixture.WriteConfig("", "[[tenants]]\nname = \"b\"\nscript = \"good.js\"\nroutes = [\"*/*\", \"x.com/a*b\"]\n");
  EXPECT_EQ(RunAtoll("check --config " + wrong, &output), 1);
  EXPECT_NE(output.find("tenants[0].routes[1]"), std::string::npos) << output;
}

}  // namespace
}  // namespace atl::testing
