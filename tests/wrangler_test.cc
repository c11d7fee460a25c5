// A Workers project served as it is (`atoll serve --wrangler`), cron triggers and the scheduled
// handler (fired by hand through /__scheduled and the admin API, and on schedule with a test
// minute of a few hundred ms: ATOLL_TEST_CRON_MINUTE_MS), and the env extras (vars of any JSON
// type, bindings as globals of service-worker scripts).

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <regex>
#include <string>
#include <thread>

#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> ProjectArgs(const TenantFixture& fixture, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--wrangler", SourcePath("tests/wrangler_project/wrangler.toml"), "--wrangler",
                                   SourcePath("tests/wrangler_project/auth/wrangler.jsonc"), "--data-dir",
                                   (fixture.dir() / "data").string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// Sets an environment variable for the servers started in its scope (they inherit it).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
  ~ScopedEnv() { unsetenv(name_); }

 private:
  const char* name_;
};

int RunsOf(const HttpResponse& state) {
  std::smatch m;
  if (!std::regex_search(state.body, m, std::regex("\"runs\":(\\d+)"))) return -1;
  return std::stoi(m[1]);
}

TEST(WranglerTest, ProjectRunsUnchangedWithVarsOfThreeTypesKvServiceAndWasm) {
  TenantFixture fixture;
  TestServer server("", ProjectArgs(fixture));
  HttpResponse root = Get(server.port(), "/");
  EXPECT_EQ(root.status, 200);
  EXPECT_EQ(root.body, "hello from a wrangler project\n");
  HttpResponse env = Get(server.port(), "/env");
  ASSERT_EQ(env.status, 200) << server.log();
  EXPECT_EQ(env.body,
            "{\"greeting\":\"hello\",\"limit\":5,\"limitType\":\"number\",\"features\":{\"beta\":true,\"regions\":"
            "[\"eu\",\"us\"]},\"sum\":7,\"imported\":3,\"banner\":\"shop banner\\n\",\"auth\":\"authorized in atoll\"}");
  // No --test-scheduled: /__scheduled is the Worker's own path.
  HttpResponse plain = Get(server.port(), "/__scheduled?cron=*+*+*+*+*");
  EXPECT_EQ(plain.body, "hello from a wrangler project\n");
}

// --env: a project's [env.staging] is what runs, in the worker processes a SIGHUP reload makes too.
TEST(WranglerTest, EnvSelectsAnEnvironmentThroughReloads) {
  TenantFixture fixture;
  fixture.Write("p/index.js", R"(export default {
  async fetch(request, env) {
    return Response.json({ mode: env.MODE, secret: env.SECRET ?? null, kv: env.STORE === undefined ? null : "bound" });
  },
};
)");
  fixture.Write("p/.dev.vars.staging", "SECRET=s3\n");
  std::string file = fixture.Write("p/wrangler.toml", R"(name = "shop"
main = "index.js"
vars = { MODE = "top" }
kv_namespaces = [{ binding = "STORE", id = "top" }]
[env.staging]
vars = { MODE = "staging" }
)");
  std::string data = (fixture.dir() / "data").string();
  {
    TestServer top("", {"--wrangler", file, "--data-dir", data});
    EXPECT_EQ(Get(top.port(), "/").body, R"({"mode":"top","secret":null,"kv":"bound"})");
    EXPECT_EQ(top.Stop(), 0);
  }
  TestServer server("", {"--wrangler", file, "--env", "staging", "--data-dir", data});
  EXPECT_EQ(Get(server.port(), "/").body, R"({"mode":"staging","secret":"s3","kv":null})") << server.log();
  EXPECT_TRUE(server.WaitForLog("\"tenant\":\"shop-staging\""));
  ASSERT_EQ(kill(server.pid(), SIGHUP), 0);
  ASSERT_TRUE(server.WaitForLog("\"generation\":2")) << server.log();
  HttpResponse after;
  ASSERT_TRUE(WaitFor([&] { return (after = Get(server.port(), "/")).status == 200; }, std::chrono::seconds(5)));
  EXPECT_EQ(after.body, R"({"mode":"staging","secret":"s3","kv":null})");
  EXPECT_EQ(server.Stop(), 0);
  std::string output;
  EXPECT_EQ(RunAtoll("check --wrangler " + file + " --env qa", &output), 1);
  EXPECT_NE(output.find("env.qa: no such environment (--env qa; the file has staging)"), std::string::npos) << output;
}

TEST(WranglerTest, ScheduledFiredByHandWritesKvSeenOverHttp) {
  TenantFixture fixture;
  TestServer server("", ProjectArgs(fixture, {"--test-scheduled"}));
  HttpResponse fired = Get(server.port(), "/__scheduled?cron=*/7+*+*+*+*");
  EXPECT_EQ(fired.status, 200) << server.log();
  EXPECT_EQ(fired.body, "Ran scheduled event\n");
  // The answer came after ctx.waitUntil's writes settled.
  HttpResponse state = Get(server.port(), "/state?cron=*/7%20*%20*%20*%20*");
  EXPECT_NE(state.body.find("\"last\":{\"cron\":\"*/7 * * * *\",\"scheduledTime\":"), std::string::npos) << state.body;
  EXPECT_NE(state.body.find("\"type\":\"number\""), std::string::npos) << state.body;
  EXPECT_TRUE(server.WaitForLog("\"msg\":\"scheduled event\",\"tenant\":\"shop\",\"cron\":\"*/7 * * * *\",\"outcome\":\"ok\""));
}

TEST(WranglerTest, CronFiresOnScheduleWithATestMinute) {
  TenantFixture fixture;
  ScopedEnv minute("ATOLL_TEST_CRON_MINUTE_MS", "100");
  TestServer server("", ProjectArgs(fixture));
  int runs = 0;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (runs < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
    runs = RunsOf(Get(server.port(), "/state?cron=*%20*%20*%20*%20*"));
  }
  EXPECT_GE(runs, 3) << server.log();
  HttpResponse state = Get(server.port(), "/state?cron=*%20*%20*%20*%20*");
  // scheduledTime is the minute's start (a whole minute in ms).
  std::smatch m;
  ASSERT_TRUE(std::regex_search(state.body, m, std::regex("\"scheduledTime\":(\\d+)"))) << state.body;
  EXPECT_EQ(std::stoll(m[1]) % 60000, 0);
}

// With two workers each minute fires once: worker 0 runs the crons.
TEST(WranglerTest, EachCronFiresOncePerMinuteWithTwoWorkers) {
  TenantFixture fixture;
  std::string script = fixture.Write("cron.js", R"JS(
export default {
  async fetch(request, env) {
    const { keys } = await env.STORE.list({ prefix: "t:" });
    const perMinute = {};
    for (const { name } of keys) {
      const minute = name.split(":")[1];
      perMinute[minute] = (perMinute[minute] || 0) + 1;
    }
    return Response.json({ minutes: Object.keys(perMinute).length, most: Math.max(0, ...Object.values(perMinute)) });
  },
  async scheduled(controller, env) {
    await env.STORE.put(`t:${controller.scheduledTime}:${crypto.randomUUID()}`, "1");
  },
};
)JS");
  std::string config = fixture.WriteConfig("", R"([[tenants]]
name = "cron"
script = "cron.js"
routes = ["*/*"]
[tenants.kv]
STORE = "cron-store"
[tenants.triggers]
crons = ["* * * * *"]
)");
  ScopedEnv minute("ATOLL_TEST_CRON_MINUTE_MS", "150");
  TestServer server(config, {"--workers", "2"});
  std::string body;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
    body = Get(server.port(), "/").body;
    std::smatch m;
    if (std::regex_search(body, m, std::regex("\"minutes\":(\\d+)")) && std::stoi(m[1]) >= 5) break;
  }
  EXPECT_NE(body.find("\"most\":1}"), std::string::npos) << body;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(body, m, std::regex("\"minutes\":(\\d+)"))) << body;
  EXPECT_GE(std::stoi(m[1]), 5);
}

TEST(WranglerTest, ScheduledOnlyWorkerServiceWorkerGlobalsAndAdminFire) {
  TenantFixture fixture;
  fixture.Write("only.js", R"JS(
export default {
  async scheduled(controller, env, ctx) {
    if (controller.cron === "fail") throw new Error("scheduled failed on purpose");
    if (controller.cron === "loop") for (;;) {}
    await env.STORE.put("only", controller.cron);
  },
};
)JS");
  fixture.Write("sw.js", R"JS(
addEventListener("scheduled", (event) => {
  event.waitUntil(STORE.put("sw", JSON.stringify({ cron: event.cron, next: LIMIT + 1, dashed: globalThis["MY-VAR"] })));
});
addEventListener("fetch", (event) => {
  event.respondWith((async () => new Response(`${await STORE.get("sw")} ${await STORE.get("only")} ${typeof FLAGS.on}`))());
});
)JS");
  std::string config = fixture.WriteConfig("admin_listen = \"127.0.0.1:0\"", R"([[tenants]]
name = "only"
script = "only.js"
routes = ["only.test/*"]
[tenants.kv]
STORE = "shared"

[[tenants]]
name = "sw"
script = "sw.js"
routes = ["*/*"]
[tenants.vars]
LIMIT = 41
"MY-VAR" = "dash"
FLAGS = { on = true }
[tenants.kv]
STORE = "shared"
)");
  ScopedEnv token("ATOLL_ADMIN_TOKEN", "t0ken");
  TestServer server(config, {"--test-scheduled"});
  // A Worker with only scheduled(): accepted; HTTP gets a clear error.
  HttpResponse http = GetFrom(server.port(), "only.test", "/");
  EXPECT_EQ(http.status, 501);
  EXPECT_NE(http.body.find("\"error\":\"no_fetch_handler\""), std::string::npos) << http.body;
  EXPECT_EQ(GetFrom(server.port(), "only.test", "/__scheduled?cron=by+hand").status, 200);
  // A failing handler: 500 through /__scheduled, outcome "exception" through the admin API.
  EXPECT_EQ(GetFrom(server.port(), "only.test", "/__scheduled?cron=fail").status, 500);
  // CPU limits hold as for a request.
  HttpResponse loop = GetFrom(server.port(), "only.test", "/__scheduled?cron=loop");
  EXPECT_EQ(loop.status, 503);
  EXPECT_NE(loop.body.find("cpu_limit"), std::string::npos) << loop.body;
  int admin = AdminPort(server);
  HttpResponse failed = AdminRequest(admin, "t0ken", "POST", "/tenants/only/scheduled?cron=fail");
  EXPECT_EQ(failed.status, 500);
  EXPECT_NE(failed.body.find("\"outcome\":\"exception\""), std::string::npos) << failed.body;
  HttpResponse ok = AdminRequest(admin, "t0ken", "POST", "/tenants/sw/scheduled?cron=0+*+*+*+*");
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.body, "{\"tenant\":\"sw\",\"cron\":\"0 * * * *\",\"outcome\":\"ok\"}");
  EXPECT_EQ(AdminRequest(admin, "t0ken", "GET", "/tenants/nobody/scheduled").status, 405);
  EXPECT_EQ(AdminRequest(admin, "t0ken", "POST", "/tenants/nobody/scheduled").status, 404);
  // A tenant named "scheduled" is still GET /tenants/scheduled.
  EXPECT_EQ(AdminRequest(admin, "t0ken", "GET", "/tenants/scheduled").status, 404);
  EXPECT_EQ(AdminRequest(admin, "t0ken", "GET", "/tenants/sw").status, 200);
  // The service-worker script's bindings are globals: KV, a number var, a name that is no identifier.
  HttpResponse sw = Get(server.port(), "/");
  EXPECT_EQ(sw.body, "{\"cron\":\"0 * * * *\",\"next\":42,\"dashed\":\"dash\"} by hand boolean") << server.log();
  HttpResponse metrics = AdminRequest(admin, "t0ken", "GET", "/metrics");
  EXPECT_NE(metrics.body.find("atoll_scheduled_total{tenant=\"only\",outcome=\"ok\"} 1"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("atoll_scheduled_total{tenant=\"only\",outcome=\"exception\"} 3"), std::string::npos);
  EXPECT_NE(metrics.body.find("atoll_scheduled_total{tenant=\"sw\",outcome=\"ok\"} 1"), std::string::npos);
  EXPECT_TRUE(server.WaitForLog("scheduled failed on purpose"));
}

// A tenant deployed through the admin API with triggers and a number var fires on schedule.
TEST(WranglerTest, DeployedTenantWithTriggersFiresAndSeesNumberVars) {
  TenantFixture fixture;
  std::string config = fixture.WriteConfig("admin_listen = \"127.0.0.1:0\"", "");
  ScopedEnv token("ATOLL_ADMIN_TOKEN", "t0ken");
  ScopedEnv minute("ATOLL_TEST_CRON_MINUTE_MS", "100");
  TestServer server(config);
  int admin = AdminPort(server);
  std::string body = R"({"script": "export default { async fetch(r, env) { return new Response(String(await env.STORE.get('n'))) }, async scheduled(c, env) { await env.STORE.put('n', String(env.STEP * 2)) } }",
    "routes": ["*/*"], "kv": {"STORE": "deployed"}, "vars": {"STEP": 21}, "triggers": {"crons": ["* * * * *"]}})";
  HttpResponse deployed = AdminRequest(admin, "t0ken", "PUT", "/tenants/dep", body);
  ASSERT_EQ(deployed.status, 200) << deployed.body;
  std::string seen;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (seen != "42" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
    seen = Get(server.port(), "/").body;
  }
  EXPECT_EQ(seen, "42") << server.log();
  HttpResponse bad = AdminRequest(admin, "t0ken", "PUT", "/tenants/dep2",
                                  R"({"script": "export default { scheduled() {} }", "triggers": {"crons": ["* * *"]}})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("triggers.crons[0]"), std::string::npos) << bad.body;
}

TEST(WranglerTest, CheckNamesTheKeyAndRefusesAnUnbundledMain) {
  TenantFixture fixture;
  fixture.Write("index.js", "export default { fetch() { return new Response('x') } }\n");
  std::string bad = fixture.Write("wrangler.toml", "name = \"w\"\nmain = \"index.js\"\n[[vectorize]]\nbinding = \"VECTORS\"\n");
  std::string output;
  EXPECT_EQ(RunAtoll("check --wrangler " + bad, &output), 1);
  EXPECT_NE(output.find("wrangler.toml: vectorize: unknown or unsupported key \"vectorize\""), std::string::npos)
      << output;
  fixture.Write("app/src/index.ts", "import { Hono } from 'hono';\nexport default new Hono();\n");
  std::string ts = fixture.Write("app/wrangler.jsonc", "{ \"name\": \"app\", \"main\": \"src/index.ts\", }\n");
  EXPECT_EQ(RunAtoll("check --wrangler " + ts, &output), 1);
  EXPECT_NE(output.find("needs bundling (it is TypeScript)"), std::string::npos) << output;
  EXPECT_NE(output.find("npx esbuild@0.28.2 src/index.ts --bundle --format=esm --conditions=workerd,worker,browser"),
            std::string::npos)
      << output;
  // (--data-dir: the code cache goes to the fixture, not the source tree's .wrangler/.)
  std::string good = SourcePath("tests/wrangler_project/wrangler.toml") + " --data-dir " + (fixture.dir() / "data").string();
  std::string auth = SourcePath("tests/wrangler_project/auth/wrangler.jsonc");
  EXPECT_EQ(RunAtoll("check --wrangler " + good + " --wrangler " + auth, &output), 0) << output;
  EXPECT_NE(output.find("2 tenants OK"), std::string::npos);
  // Alone, the project's service binding names a Worker that is not there.
  EXPECT_EQ(RunAtoll("check --wrangler " + good, &output), 1);
  EXPECT_NE(output.find("wrangler.toml: services (binding AUTH)"), std::string::npos) << output;
}

}  // namespace
}  // namespace atl::testing
