// The hostile suite, admin and logs (issue 12 item 15): what a deploy may read from the host
// (its wasm paths, its secrets) and what error messages and stack traces say about it. The real
// binary on 127.0.0.1; a victim tenant of the config file must keep answering 200.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

constexpr char kToken[] = "hostile-admin-token-6f1c";

// A deploy body: `script`, routes */x/*, and `extra` JSON members (", ..." or "").
std::string Deploy(const std::string& script, const std::string& extra = "") {
  return "{\"script\": " + JsonQuote(script) + ", \"routes\": [\"*/x/*\"]" + extra + "}";
}

class HostileAdmin : public ::testing::Test {
 protected:
  void SetUp() override { setenv("ATOLL_ADMIN_TOKEN", kToken, 1); }
  std::string Config(const std::string& server_extra = "") {
    fixture_.Write("victim.js", "export default { fetch() { return new Response('victim'); } };");
    return fixture_.WriteConfig("admin_listen = \"127.0.0.1:0\"\n" + server_extra,
                                "[[tenants]]\nname = \"victim\"\nscript = \"victim.js\"\nroutes = [\"*/victim/*\"]\n");
  }
  void ExpectVictimServed(const TestServer& server) {
    HttpResponse r = Get(server.port(), "/victim/");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "victim");
  }
  TenantFixture fixture_;
};

// Issue 12 item 15: a deploy's wasm path names a host file (absolute, ../, a symlink out, a non-wasm file). Expected: 400 naming the rule, never the file's bytes; inline base64 modules work.
TEST_F(HostileAdmin, DeployWasmPathsAreConfinedAndNeverEchoed) {
  TestServer server(Config());
  int admin = AdminPort(server);
  ASSERT_NE(admin, 0);
  const std::string script = "export default { fetch(r, env) { return new Response(String(env.MOD instanceof WebAssembly.Module)); } };";
  auto deploy = [&](const std::string& wasm) {
    return AdminRequest(admin, kToken, "PUT", "/tenants/x", Deploy(script, ", \"wasm\": {\"MOD\": " + wasm + "}"));
  };
  for (const std::string& path : {std::string("/proc/self/environ"), std::string("../../../../../../proc/self/environ"),
                                  std::string("a/../../victim.js")}) {
    HttpResponse r = deploy(JsonQuote(path));
    EXPECT_EQ(r.status, 400) << path << " " << r.body;
    EXPECT_NE(r.body.find("relative to the deploy's folder"), std::string::npos) << path << " " << r.body;
    EXPECT_EQ(r.body.find("found"), std::string::npos) << r.body;  // V8's "found 41 54 4f ..." of the bytes
    EXPECT_EQ(r.body.find(kToken), std::string::npos) << r.body;
  }
  // A symbolic link in the deploy's folder leading out of it.
  std::filesystem::path folder = fixture_.dir() / "data" / "tenants" / "x";
  std::filesystem::create_directories(folder);
  std::filesystem::create_symlink("/proc/self/environ", folder / "link.wasm");
  HttpResponse linked = deploy("\"link.wasm\"");
  EXPECT_EQ(linked.status, 400) << linked.body;
  EXPECT_NE(linked.body.find("leaves the deploy's folder"), std::string::npos) << linked.body;
  // A file of its own folder that is not WebAssembly: refused without quoting it.
  fixture_.Write("data/tenants/x/notwasm.wasm", "ATOLL_SECRET_BYTES=1");
  HttpResponse bad = deploy("\"notwasm.wasm\"");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_NE(bad.body.find("not a WebAssembly module"), std::string::npos) << bad.body;
  EXPECT_EQ(bad.body.find("41 54"), std::string::npos) << bad.body;  // "AT" in hex
  EXPECT_EQ(bad.body.find("ATOLL_SECRET"), std::string::npos) << bad.body;
  EXPECT_EQ(Get(server.port(), "/x/").status, 404);

  // The module's bytes in the deploy itself: the empty module "\0asm\1\0\0\0".
  HttpResponse inline_module = deploy("{\"base64\": \"AGFzbQEAAAA=\"}");
  ASSERT_EQ(inline_module.status, 200) << inline_module.body;
  EXPECT_EQ(Get(server.port(), "/x/").body, "true");
  ExpectVictimServed(server);
}

// Issue 12 item 15: a tenant's secret names the admin token's variable (in a deploy, and in the config file). Expected: refused with a clear error; the token is never served.
TEST_F(HostileAdmin, SecretsCannotReadTheAdminToken) {
  {
    TestServer server(Config());
    int admin = AdminPort(server);
    ASSERT_NE(admin, 0);
    HttpResponse r = AdminRequest(admin, kToken, "PUT", "/tenants/x",
                                  Deploy("export default { fetch(r, env) { return new Response(env.T); } };",
                                         ", \"secrets\": {\"T\": {\"env\": \"ATOLL_ADMIN_TOKEN\"}}"));
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find("admin_token_env"), std::string::npos) << r.body;
    EXPECT_NE(Get(server.port(), "/x/").body, kToken);
    ExpectVictimServed(server);
  }
  // A server whose token lives in another variable: that one is refused.
  setenv("HOSTILE_OTHER_TOKEN", kToken, 1);
  {
    TestServer server(Config("admin_token_env = \"HOSTILE_OTHER_TOKEN\""));
    int admin = AdminPort(server);
    ASSERT_NE(admin, 0);
    HttpResponse r = AdminRequest(admin, kToken, "PUT", "/tenants/x",
                                  Deploy("export default { fetch(r, env) { return new Response(env.T); } };",
                                         ", \"secrets\": {\"T\": {\"env\": \"HOSTILE_OTHER_TOKEN\"}}"));
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find("admin_token_env"), std::string::npos) << r.body;
  }
  // The config file's own tenants: `atoll check` names the key.
  fixture_.Write("t.js", "export default { fetch(r, env) { return new Response(env.T); } };");
  std::string config = fixture_.WriteConfig("", R"([[tenants]]
name = "t"
script = "t.js"
routes = ["*/*"]
[tenants.secrets]
T = { env = "ATOLL_ADMIN_TOKEN" }
)");
  std::string output;
  EXPECT_EQ(RunAtoll("check --config " + config, &output), 1) << output;
  EXPECT_NE(output.find("secrets.T.env"), std::string::npos) << output;
  EXPECT_NE(output.find("admin_token_env"), std::string::npos) << output;
}

// Issue 12 item 15: error.stack and logged stack traces of a tenant (config file and deploy). Expected: script-relative names, never the host's absolute paths.
TEST_F(HostileAdmin, StackTracesNameScriptsRelativeToTheScript) {
  fixture_.Write("app/lib/thrower.js", "export function boom() { throw new Error('boom'); }\n");
  fixture_.Write("app/worker.js", R"(import { boom } from "./lib/thrower.js";
export default {
  fetch(request) {
    if (new URL(request.url).pathname === "/app/uncaught") boom();
    try { boom(); } catch (e) { return new Response(e.stack); }
  },
};
)");
  fixture_.Write("victim.js", "export default { fetch() { return new Response('victim'); } };");
  std::string config = fixture_.WriteConfig("admin_listen = \"127.0.0.1:0\"", R"([[tenants]]
name = "app"
script = "app/worker.js"
routes = ["*/app/*"]
[[tenants]]
name = "victim"
script = "victim.js"
routes = ["*/victim/*"]
)");
  TestServer server(config);
  const std::string host_dir = std::filesystem::canonical(fixture_.dir()).string();
  HttpResponse caught = Get(server.port(), "/app/caught");
  EXPECT_EQ(caught.status, 200);
  EXPECT_NE(caught.body.find("lib/thrower.js:1"), std::string::npos) << caught.body;
  EXPECT_NE(caught.body.find("worker.js:5"), std::string::npos) << caught.body;
  EXPECT_EQ(caught.body.find(host_dir), std::string::npos) << caught.body;
  EXPECT_EQ(Get(server.port(), "/app/uncaught").status, 500);

  int admin = AdminPort(server);
  ASSERT_NE(admin, 0);
  HttpResponse put = AdminRequest(admin, kToken, "PUT", "/tenants/x",
                                  Deploy("export default { fetch() { return new Response(new Error('here').stack); } };"));
  ASSERT_EQ(put.status, 200) << put.body;
  HttpResponse deployed = Get(server.port(), "/x/");
  EXPECT_NE(deployed.body.find("v1.js:1"), std::string::npos) << deployed.body;
  EXPECT_EQ(deployed.body.find(host_dir), std::string::npos) << deployed.body;
  // A deploy whose top level throws: the 400 names the version's file, not where it lives.
  HttpResponse broken = AdminRequest(admin, kToken, "PUT", "/tenants/x", Deploy("throw new Error('top');"));
  EXPECT_EQ(broken.status, 400) << broken.body;
  EXPECT_EQ(broken.body.find(host_dir), std::string::npos) << broken.body;

  ExpectVictimServed(server);
  ASSERT_TRUE(server.WaitForLog("boom"));
  EXPECT_EQ(server.log().find(host_dir + "/app"), std::string::npos) << server.log();
  EXPECT_EQ(server.log().find(host_dir + "/data/tenants"), std::string::npos) << server.log();
}

}  // namespace
}  // namespace atl::testing
