// The nodejs_compat flag end to end (README "Workers compatibility"): node: modules load only for
// tenants with the flag, a tenant without it gets an error naming the flag, Buffer/process/global
// are globals only with it, process.env holds the tenant's text vars and secrets unless the
// tenant opts out, and a Sentry-style module (async_hooks + diagnostics_channel + buffer) loads.
// Each module's own behaviour is tested by bindings/js/node_*_test.js (js_api_test).
#include <gtest/gtest.h>
#include <stdlib.h>

#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

std::string Tenant(const std::string& name, const std::string& flags, const std::string& extra = "") {
  std::string block = "[[tenants]]\nname = \"" + name + "\"\nscript = \"" + name + ".js\"\nroutes = [\"" + name +
                      ".test/*\"]\n";
  if (!flags.empty()) block += "compatibility_flags = [" + flags + "]\n";
  return block + extra;
}

constexpr char kGlobals[] = R"(export default { fetch() {
  return Response.json([typeof Buffer, typeof process, typeof global]);
} };
)";

TEST(NodejsCompat, WithoutTheFlagImportsFailNamingTheFlag) {
  TenantFixture fixture;
  fixture.Write("prefixed.js", "import { Buffer } from 'node:buffer';\nexport default { fetch() { return new Response('loaded'); } };\n");
  fixture.Write("bare.js", "import events from 'events';\nexport default { fetch() { return new Response('loaded'); } };\n");
  fixture.Write("missing.js", "import test from 'node:test';\nexport default { fetch() { return new Response('loaded'); } };\n");
  fixture.Write("plain.js", kGlobals);
  fixture.Write("flagged.js", kGlobals);
  TestServer server(fixture.WriteConfig("", Tenant("prefixed", "") + Tenant("bare", "") + Tenant("plain", "") +
                                                Tenant("flagged", "\"nodejs_compat\"") +
                                                Tenant("missing", "\"nodejs_compat\"")));
  HttpResponse prefixed = GetFrom(server.port(), "prefixed.test", "/");
  EXPECT_EQ(prefixed.status, 500) << prefixed.body;
  // The worker writes its log line around the time it answers: wait for it, do not read it once.
  EXPECT_TRUE(server.WaitForLog("node:buffer")) << server.log();
  EXPECT_TRUE(server.WaitForLog("compatibility_flags = [\\\"nodejs_compat\\\"]")) << server.log();
  HttpResponse bare = GetFrom(server.port(), "bare.test", "/");
  EXPECT_EQ(bare.status, 500) << bare.body;
  // A Node module atoll does not have (nor Workers): said so, even with the flag.
  EXPECT_EQ(GetFrom(server.port(), "missing.test", "/").status, 500);
  EXPECT_TRUE(server.WaitForLog("cannot import \\\"node:test\\\": atoll has no such Node.js module")) << server.log();
  EXPECT_EQ(GetFrom(server.port(), "plain.test", "/").body, R"(["undefined","undefined","undefined"])");
  EXPECT_EQ(GetFrom(server.port(), "flagged.test", "/").body, R"(["function","object","object"])");
}

TEST(NodejsCompat, ProcessEnvHoldsTextVarsAndSecretsUnlessOptedOut) {
  TenantFixture fixture;
  constexpr char kEnv[] = R"(import process from "node:process";
export default { fetch() { return Response.json(process.env); } };
)";
  fixture.Write("env.js", kEnv);
  fixture.Write("optout.js", kEnv);
  fixture.Write("v2.js", kEnv);
  setenv("ATOLL_NODEJS_COMPAT_SECRET", "s3cret", 1);
  std::string bindings = "[tenants.vars]\nGREETING = \"hi\"\n[tenants.secrets]\nKEY = { env = \"ATOLL_NODEJS_COMPAT_SECRET\" }\n"
                         "[tenants.kv]\nSTORE = \"nodejs-compat\"\n";
  TestServer server(fixture.WriteConfig(
      "", Tenant("env", "\"nodejs_compat\"", bindings) +
              Tenant("optout", "\"nodejs_compat\", \"nodejs_compat_do_not_populate_process_env\"", bindings) +
              Tenant("v2", "\"nodejs_compat_v2\"", bindings)));
  // Only text bindings: the KV namespace is not a string, so it is not in process.env (as in Workers).
  EXPECT_EQ(GetFrom(server.port(), "env.test", "/").body, R"({"GREETING":"hi","KEY":"s3cret"})");
  EXPECT_EQ(GetFrom(server.port(), "optout.test", "/").body, "{}");
  EXPECT_EQ(GetFrom(server.port(), "v2.test", "/").body, R"({"GREETING":"hi","KEY":"s3cret"})");
}

// What @sentry/cloudflare's core imports at its top level: AsyncLocalStorage for the scope of a
// request, a diagnostics channel, Buffer for envelopes.
TEST(NodejsCompat, SentryStyleModuleLoads) {
  TenantFixture fixture;
  fixture.Write("sentry.js", R"(import { AsyncLocalStorage } from "node:async_hooks";
import * as diagnosticsChannel from "node:diagnostics_channel";
import { Buffer } from "node:buffer";

const scope = new AsyncLocalStorage();
const channel = diagnosticsChannel.channel("sentry:fetch");
const seen = [];
diagnosticsChannel.subscribe("sentry:fetch", (message) => seen.push(message.id));

export default {
  fetch(request) {
    return scope.run({ id: 7 }, async () => {
      await null;
      channel.publish({ id: scope.getStore().id });
      const envelope = Buffer.from(JSON.stringify({ seen })).toString("base64");
      return new Response(Buffer.from(envelope, "base64").toString());
    });
  },
};
)");
  TestServer server(fixture.WriteConfig("", Tenant("sentry", "\"nodejs_compat\"")));
  HttpResponse r = GetFrom(server.port(), "sentry.test", "/");
  EXPECT_EQ(r.status, 200) << r.body << server.log();
  EXPECT_EQ(r.body, R"({"seen":[7]})");
}

// The same without async_hooks, so that the other two load together today.
TEST(NodejsCompat, DiagnosticsChannelAndBufferLoadTogether) {
  TenantFixture fixture;
  fixture.Write("dc.js", R"(import dc from "node:diagnostics_channel";
import { Buffer } from "node:buffer";
const seen = [];
dc.channel("app:x").subscribe((m) => seen.push(m));
export default {
  fetch() {
    dc.channel("app:x").publish(Buffer.from("hi").toString("hex"));
    return Response.json(seen);
  },
};
)");
  TestServer server(fixture.WriteConfig("", Tenant("dc", "\"nodejs_compat\"")));
  EXPECT_EQ(GetFrom(server.port(), "dc.test", "/").body, R"(["6869"])");
}

// Node's modules load after tenant code ran (a global's first read, getBuiltinModule): built by
// harden.mjs to reach built-ins through captured intrinsics, they work with patched prototypes,
// in per_request contexts too (the globals and process.env are set up in every new context).
TEST(NodejsCompat, ModulesLoadedAfterPatchedBuiltinsStillWork) {
  TenantFixture fixture;
  fixture.Write("patched.js", R"(export default {
  fetch() {
    Array.prototype.push = function () { throw new Error("patched push"); };
    Object.keys = () => { throw new Error("patched keys"); };
    Function.prototype.call = function () { throw new Error("patched call"); };
    const { EventEmitter } = process.getBuiltinModule("node:events");
    const emitter = new EventEmitter();
    let got = 0;
    emitter.on("x", (v) => (got = v));
    emitter.emit("x", 5);
    const hex = Buffer.concat([Buffer.from("a"), Buffer.from("b")]).toString("hex");
    const zlib = process.getBuiltinModule("zlib");
    const round = zlib.gunzipSync(zlib.gzipSync("zz")).toString();
    return new Response(`${got} ${hex} ${round} ${JSON.stringify(process.env)}`);
  },
};
)");
  TestServer server(fixture.WriteConfig(
      "", Tenant("patched", "\"nodejs_compat\"", "context = \"per_request\"\ncpu_ms = 2000\n[tenants.vars]\nA = \"1\"\n")));
  for (int i = 0; i < 2; ++i) {
    HttpResponse r = GetFrom(server.port(), "patched.test", "/");
    EXPECT_EQ(r.body, R"(5 6162 zz {"A":"1"})") << server.log();
  }
}

}  // namespace
}  // namespace atl::testing
