// Wrangler's module rules and cloudflare:workers end to end (README "Workers compatibility"):
// `import x from "./file"` of each rule type (Text, Data, CompiledWasm, JSON) used in a response,
// a tenant's own `rules`, clear errors for a missing file, an extension no rule claims and a rule
// removed by fallthrough; `import { env, WorkerEntrypoint } from "cloudflare:workers"` and a
// class-based default export instantiated per request.
#include <gtest/gtest.h>

#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

std::string Tenant(const std::string& name, const std::string& extra = "") {
  return "[[tenants]]\nname = \"" + name + "\"\nscript = \"" + name + ".js\"\nroutes = [\"" + name + ".test/*\"]\n" +
         extra;
}

// (module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))
const std::string kAddWasm(
    "\0asm\x01\0\0\0"
    "\x01\x07\x01\x60\x02\x7f\x7f\x01\x7f"
    "\x03\x02\x01\x00"
    "\x07\x07\x01\x03" "add\x00\x00"
    "\x0a\x09\x01\x07\x00\x20\x00\x20\x01\x6a\x0b",
    41);

TEST(ModuleRules, EachDefaultRuleTypeIsImported) {
  TenantFixture fixture;
  fixture.Write("assets/page.html", "<h1>héllo</h1>");
  fixture.Write("note.txt", "plain text");
  fixture.Write("blob.bin", std::string("\x01\x02\xff\x00", 4));
  fixture.Write("add.wasm", kAddWasm);
  fixture.Write("data.json", R"({"list": [1, 2], "ok": true})");
  fixture.Write("lib/helper.mjs", "export const twice = (x) => x * 2;\n");
  fixture.Write("app.js", R"(import page from "./assets/page.html";
import note from "./note.txt";
import blob from "./blob.bin";
import addModule from "./add.wasm";
import sameModule from "./add.wasm?module";
import data from "./data.json";
import { twice } from "./lib/helper.mjs";
const { exports } = await WebAssembly.instantiate(addModule);
export default {
  fetch() {
    return Response.json({
      page, note,
      blob: [blob instanceof ArrayBuffer, Array.from(new Uint8Array(blob))],
      wasm: [addModule instanceof WebAssembly.Module, exports.add(2, 3), sameModule === addModule],
      data, twice: twice(21),
    });
  },
};
)");
  TestServer server(fixture.WriteConfig("", Tenant("app")));
  HttpResponse r = GetFrom(server.port(), "app.test", "/");
  EXPECT_EQ(r.status, 200) << r.body << server.log();
  EXPECT_EQ(r.body,
            R"({"page":"<h1>héllo</h1>","note":"plain text","blob":[true,[1,2,255,0]],"wasm":[true,5,true],)"
            R"("data":{"list":[1,2],"ok":true},"twice":42})");
}

// A .wasm import is compiled once per process (as env wasm bindings, bindings/wasm_modules.h):
// two tenants, one of them making a context per request, share one compilation.
TEST(ModuleRules, AWasmImportIsCompiledOncePerProcess) {
  TenantFixture fixture;
  fixture.Write("add.wasm", kAddWasm);
  constexpr char kScript[] = R"(import m from "./add.wasm";
const { exports } = await WebAssembly.instantiate(m);
export default { fetch() { return new Response(String(exports.add(40, 2))); } };
)";
  fixture.Write("a.js", kScript);
  fixture.Write("b.js", kScript);
  TestServer server(fixture.WriteConfig("", Tenant("a") + Tenant("b", "context = \"per_request\"\n")));
  EXPECT_EQ(GetFrom(server.port(), "a.test", "/").body, "42") << server.log();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(GetFrom(server.port(), "b.test", "/").body, "42") << "request " << i;
  ASSERT_EQ(server.Stop(), 0);
  EXPECT_EQ(PoolStat(server.log(), "wasm_compilations"), 1) << server.log();
}

TEST(ModuleRules, TheTenantsOwnRules) {
  TenantFixture fixture;
  fixture.Write("readme.md", "# Title");
  fixture.Write("table.dat", "AB");
  fixture.Write("page.html", "<p>");
  fixture.Write("custom.js", R"(import readme from "./readme.md";
import table from "./table.dat";
import page from "./page.html";
export default { fetch() { return Response.json([readme, table instanceof ArrayBuffer, table.byteLength, page]); } };
)");
  // Text for .md keeps wrangler's Text defaults (fallthrough); Data for .dat does not.
  TestServer server(fixture.WriteConfig(
      "", Tenant("custom", "rules = [{type = \"Text\", globs = [\"**/*.md\"], fallthrough = true},"
                           " {type = \"Data\", globs = [\"**/*.dat\"]}]\n")));
  HttpResponse r = GetFrom(server.port(), "custom.test", "/");
  EXPECT_EQ(r.status, 200) << r.body << server.log();
  EXPECT_EQ(r.body, R"(["# Title",true,2,"<p>"])");
}

TEST(ModuleRules, ImportErrorsSayWhatIsWrong) {
  TenantFixture fixture;
  fixture.Write("missing.js", "import t from './nope.txt';\nexport default { fetch() { return new Response(t); } };\n");
  fixture.Write("x.yaml", "a: 1");
  fixture.Write("yaml.js", "import y from './x.yaml';\nexport default { fetch() { return new Response(y); } };\n");
  fixture.Write("bad.json", "{not json");
  fixture.Write("json.js", "import j from './bad.json';\nexport default { fetch() { return Response.json(j); } };\n");
  fixture.Write("page.html", "<p>");
  fixture.Write("closed.js", "import p from './page.html';\nexport default { fetch() { return new Response(p); } };\n");
  fixture.Write("notwasm.wasm", "not wasm at all");
  fixture.Write("wasm.js", "import m from './notwasm.wasm';\nexport default { fetch() { return new Response('x'); } };\n");
  TestServer server(fixture.WriteConfig(
      "", Tenant("missing") + Tenant("yaml") + Tenant("json") + Tenant("wasm") +
              Tenant("closed", "rules = [{type = \"Text\", globs = [\"**/*.md\"]}]\n")));
  for (const char* host : {"missing.test", "yaml.test", "json.test", "closed.test", "wasm.test"}) {
    EXPECT_EQ(GetFrom(server.port(), host, "/").status, 500) << host;
  }
  // The load errors are logged as each tenant's load fails, not necessarily before its 500 is read.
  for (const char* line : {R"(missing.js: cannot import \"./nope.txt\": there is no file \"nope.txt\" in the script's folder)",
                           R"(yaml.js: cannot import \"./x.yaml\": no module rule matches \"x.yaml\")",
                           R"(json.js: import \"./bad.json\": bad.json is not valid JSON)",
                           R"(closed.js: cannot import \"./page.html\": it matches a Text module rule that an earlier Text rule)",
                           R"(wasm.js: import \"./notwasm.wasm\": )", "notwasm.wasm: not a WebAssembly module"}) {
    EXPECT_TRUE(server.WaitForLog(line)) << line << "\n" << server.log();
  }
}

TEST(CloudflareWorkers, EnvImportAndAWorkerEntrypointDefaultExport) {
  TenantFixture fixture;
  fixture.Write("entry.js", R"(import { env, WorkerEntrypoint, DurableObject, RpcTarget } from "cloudflare:workers";
const atTopLevel = env.GREETING;
let made = 0;
export default class extends WorkerEntrypoint {
  constructor(ctx, env) {
    super(ctx, env);
    this.n = ++made;
  }
  async fetch(request) {
    this.ctx.waitUntil(Promise.resolve());
    return Response.json({
      topLevel: atTopLevel, mine: this.env.GREETING, same: this.env === env, n: this.n,
      url: new URL(request.url).pathname,
      bases: [typeof DurableObject, typeof RpcTarget, new RpcTarget() instanceof RpcTarget],
    });
  }
}
)");
  TestServer server(fixture.WriteConfig("", Tenant("entry", "[tenants.vars]\nGREETING = \"hi\"\n")));
  HttpResponse first = GetFrom(server.port(), "entry.test", "/a");
  EXPECT_EQ(first.status, 200) << first.body << server.log();
  EXPECT_EQ(first.body,
            R"({"topLevel":"hi","mine":"hi","same":true,"n":1,"url":"/a","bases":["function","function",true]})");
  // One instance per request.
  EXPECT_EQ(GetFrom(server.port(), "entry.test", "/b").body,
            R"({"topLevel":"hi","mine":"hi","same":true,"n":2,"url":"/b","bases":["function","function",true]})");
}

// In per_request mode each request's context has its own env, and the import is that one.
TEST(CloudflareWorkers, EnvImportIsTheContextsEnv) {
  TenantFixture fixture;
  fixture.Write("ctx.js", R"(import { env } from "cloudflare:workers";
export default { fetch(request, handlerEnv) { return Response.json([env === handlerEnv, env.NAME]); } };
)");
  TestServer server(fixture.WriteConfig("", Tenant("ctx", "context = \"per_request\"\n[tenants.vars]\nNAME = \"n\"\n")));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(GetFrom(server.port(), "ctx.test", "/").body, R"([true,"n"])") << server.log();
}

// A class entrypoint's scheduled(controller), with this.env and this.ctx.waitUntil.
TEST(CloudflareWorkers, AWorkerEntrypointHandlesScheduledEvents) {
  TenantFixture fixture;
  fixture.Write("cron.js", R"(import { WorkerEntrypoint } from "cloudflare:workers";
export default class Cron extends WorkerEntrypoint {
  async fetch() { return new Response(String(await this.env.STORE.get("last"))); }
  scheduled(controller) { this.ctx.waitUntil(this.env.STORE.put("last", controller.cron)); }
}
)");
  TestServer server(fixture.WriteConfig("", Tenant("cron", "[tenants.kv]\nSTORE = \"cron\"\n")), {"--test-scheduled"});
  EXPECT_EQ(GetFrom(server.port(), "cron.test", "/").body, "null");
  HttpResponse fired = GetFrom(server.port(), "cron.test", "/__scheduled?cron=5+*+*+*+*");
  EXPECT_EQ(fired.status, 200) << fired.body << server.log();
  EXPECT_EQ(GetFrom(server.port(), "cron.test", "/").body, "5 * * * *");
}

// `import { waitUntil } from "cloudflare:workers"`: the running request's ctx.waitUntil. Its work
// runs after the response (the request's context kept for it in per_request mode), a scheduled
// event is reported done only once it settled, and at the top level it is a TypeError.
TEST(CloudflareWorkers, TheWaitUntilImportExtendsTheRunningRequest) {
  TenantFixture fixture;
  std::string script = R"(import { waitUntil } from "cloudflare:workers";
export default {
  async fetch(request, env) {
    if (new URL(request.url).pathname === "/check") return new Response(String(await env.STORE.get("done")));
    const tick = new Promise((resolve) => setTimeout(resolve, 50));
    waitUntil(tick.then(() => env.STORE.put("done", "after the response")));
    return new Response("answered");
  },
  scheduled(controller, env) {
    waitUntil(new Promise((resolve) => setTimeout(resolve, 50)).then(() => env.STORE.put("done", "cron")));
  },
};
)";
  fixture.Write("shared.js", script);
  fixture.Write("fresh.js", script);
  fixture.Write("top.js", "import { waitUntil } from \"cloudflare:workers\";\nwaitUntil(Promise.resolve());\n"
                          "export default { fetch() { return new Response(\"loaded\"); } };\n");
  TestServer server(fixture.WriteConfig("", Tenant("shared", "[tenants.kv]\nSTORE = \"shared\"\n") +
                                                Tenant("fresh", "context = \"per_request\"\n[tenants.kv]\nSTORE = \"fresh\"\n") +
                                                Tenant("top")),
                    {"--test-scheduled"});
  for (const char* tenant : {"shared", "fresh"}) {
    std::string host = std::string(tenant) + ".test";
    EXPECT_EQ(GetFrom(server.port(), host, "/").body, "answered") << server.log();
    EXPECT_TRUE(WaitFor([&] { return GetFrom(server.port(), host, "/check").body == "after the response"; },
                        std::chrono::seconds(5)))
        << tenant << "\n" << server.log();
  }
  HttpResponse fired = GetFrom(server.port(), "shared.test", "/__scheduled?cron=5+*+*+*+*");
  EXPECT_EQ(fired.status, 200) << fired.body << server.log();
  EXPECT_EQ(GetFrom(server.port(), "shared.test", "/check").body, "cron") << "the event was done before its waitUntil";
  EXPECT_EQ(GetFrom(server.port(), "top.test", "/").status, 500);
  EXPECT_TRUE(server.WaitForLog("waitUntil() can only be called while handling a request or event")) << server.log();
}

}  // namespace
}  // namespace atl::testing
