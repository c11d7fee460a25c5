// RPC through service bindings (https://developers.cloudflare.com/workers/runtime-apis/rpc/):
// `env.AUTH.verify(token)` calls a method of the bound Worker's default export, a class extending
// WorkerEntrypoint (or of a named export, the binding's `entrypoint`), with structured-clone
// arguments and result. The real binary on 127.0.0.1,
// three tenants: "auth" (the entrypoint, bound to itself too, for a chain of calls), "plain"
// (an object default export: no RPC), "app" (the caller, answering JSON of what it saw).
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

constexpr char kAuth[] = R"JS(
import { WorkerEntrypoint } from "cloudflare:workers";
let lastSeen = "nothing";
class Base extends WorkerEntrypoint {
  inherited() { return "from the base class"; }
}
export default class Auth extends Base {
  async fetch(request) {
    return new Response(`auth's fetch saw x-atoll-rpc=${request.headers.get("x-atoll-rpc")}`);
  }
  async verify(token) {
    return { ok: token === "good", who: this.env.WHO, at: new Date(86400000), tags: new Map([["role", "admin"]]),
             bytes: new Uint8Array([1, 2, 255]), big: 2n ** 64n, nothing: undefined };
  }
  add(a, b) { return a + b; }
  remember(value) {
    this.ctx.waitUntil(Promise.resolve().then(() => { lastSeen = value; }));
    return "noted";
  }
  seen() { return lastSeen; }
  fail() { throw new RangeError("out of range, on purpose"); }
  deeper(n) { return n === 0 ? "bottom" : this.env.SELF.deeper(n - 1); }
}
// A named entrypoint (a binding's `entrypoint`).
export class AdminApi extends WorkerEntrypoint {
  async fetch(request) { return new Response(`admin fetch of ${new URL(request.url).pathname}`); }
  stats() { return { who: this.env.WHO, admin: true }; }
}
)JS";

constexpr char kPlain[] = R"JS(
export default {
  async fetch() { return new Response("plain"); },
  verify() { return "an object's method is not an RPC method"; },
};
)JS";

constexpr char kApp[] = R"JS(
const attempt = async (f) => {
  try {
    return { value: await f() };
  } catch (e) {
    return { error: `${e.name}: ${e.message}` };
  }
};
const tests = {
  async values(env) {
    const v = await env.AUTH.verify("good");
    return {
      ok: v.ok, who: v.who, date: v.at instanceof Date ? v.at.toISOString() : "not a Date",
      role: v.tags instanceof Map ? v.tags.get("role") : "not a Map", bytes: Array.from(v.bytes),
      big: typeof v.big === "bigint" ? `${v.big}` : "not a bigint", hasNothing: "nothing" in v,
      add: await env.AUTH.add(40, 2), inherited: await env.AUTH.inherited(), then: typeof env.AUTH.then,
      fetch: await (await env.AUTH.fetch("http://auth/")).text(),
    };
  },
  async errors(env) {
    return {
      fail: await attempt(() => env.AUTH.fail()),
      missing: await attempt(() => env.AUTH.missing()),
      toString: await attempt(() => env.AUTH.toString()),
      constructor: typeof env.AUTH.constructor,
      clone: await attempt(() => env.AUTH.add(() => 1, 2)),
      plain: await attempt(() => env.PLAIN.verify()),
      deep: await attempt(() => env.AUTH.deeper(3)),
      tooDeep: await attempt(() => env.AUTH.deeper(100)),
      // A call made by hand with bytes that are no serialized value: an error answer, and the
      // called tenant serves the next call.
      garbage: (await env.AUTH.fetch("http://auth/", { method: "POST", headers: { "x-atoll-rpc": "1" },
                                                        body: new Uint8Array([255, 15, 99, 1, 2]) })).status,
      after: await attempt(() => env.AUTH.add(1, 1)),
    };
  },
  async entrypoints(env) {
    return {
      stats: await attempt(() => env.ADMIN.stats()),
      notThere: await attempt(() => env.ADMIN.verify("good")),
      fetch: await (await env.ADMIN.fetch("http://auth/admin")).text(),
      missing: await attempt(() => env.BROKEN.stats()),
      missingFetch: (await env.BROKEN.fetch("http://auth/")).status,
    };
  },
  async waitUntil(env) {
    const noted = await env.AUTH.remember("the first call");
    return { noted, seen: await env.AUTH.seen() };
  },
};
export default {
  async fetch(request, env) {
    const name = new URL(request.url).pathname.slice(1);
    return Response.json(await tests[name](env));
  },
};
)JS";

class ServiceRpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fixture_.Write("auth.js", kAuth);
    fixture_.Write("plain.js", kPlain);
    fixture_.Write("app.js", kApp);
    server_ = std::make_unique<TestServer>(fixture_.WriteConfig("", R"(
[[tenants]]
name = "auth"
script = "auth.js"
routes = ["auth.test/*"]
[tenants.vars]
WHO = "the auth service"
[tenants.services]
SELF = "auth"

[[tenants]]
name = "plain"
script = "plain.js"
routes = ["plain.test/*"]

[[tenants]]
name = "app"
script = "app.js"
routes = ["app.test/*"]
# The chain of 32 calls in "errors" is billed ~20 ms of JS here; 50 ms (the default) was passed on
# a slower machine. The chain's budget is not what these tests are about.
cpu_ms = 1000
[tenants.services]
AUTH = "auth"
PLAIN = "plain"
ADMIN = { service = "auth", entrypoint = "AdminApi" }
BROKEN = { service = "auth", entrypoint = "Missing" }
)"));
  }
  std::string Run(const std::string& name) {
    HttpResponse r = GetFrom(server_->port(), "app.test", "/" + name);
    EXPECT_EQ(r.status, 200) << r.body << server_->log();
    return r.body;
  }

  TenantFixture fixture_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(ServiceRpcTest, AnEntrypointsMethodsAreCalledWithStructuredClones) {
  std::string body = Run("values");
  EXPECT_NE(body.find(R"("ok":true,"who":"the auth service","date":"1970-01-02T00:00:00.000Z","role":"admin")"),
            std::string::npos) << body;
  EXPECT_NE(body.find(R"("bytes":[1,2,255],"big":"18446744073709551616","hasNothing":true)"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("add":42,"inherited":"from the base class","then":"undefined")"), std::string::npos) << body;
  // fetch() on the binding is still a request, which sees no RPC marker.
  EXPECT_NE(body.find(R"("fetch":"auth's fetch saw x-atoll-rpc=null")"), std::string::npos) << body;
}

TEST_F(ServiceRpcTest, ErrorsReachTheCallerAndOnlyTheClassesMethodsAreCallable) {
  std::string body = Run("errors");
  EXPECT_NE(body.find(R"("fail":{"error":"RangeError: out of range, on purpose"})"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("missing":{"error":"TypeError: The RPC receiver does not implement the method \"missing\"."})"),
            std::string::npos) << body;
  EXPECT_NE(body.find(R"("toString":{"error":"TypeError: The RPC receiver does not implement the method \"toString\"."})"),
            std::string::npos) << body;
  EXPECT_NE(body.find(R"("constructor":"undefined")"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("clone":{"error":"Error: () => 1 could not be cloned.")"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("plain":{"error":"TypeError: The RPC receiver does not implement the method \"verify\": its default export is not a class extending WorkerEntrypoint)"),
            std::string::npos) << body;
  // A chain of calls (the entrypoint calling itself) is a chain of service calls, with its limits.
  EXPECT_NE(body.find(R"("deep":{"value":"bottom"})"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("tooDeep":{"error":"TypeError: service binding call refused: the chain of calls is already 32 Workers deep)"),
            std::string::npos) << body;
  EXPECT_NE(body.find(R"("garbage":200,"after":{"value":2})"), std::string::npos) << body;
}

TEST_F(ServiceRpcTest, ABindingWithAnEntrypointCallsThatNamedExport) {
  std::string body = Run("entrypoints");
  EXPECT_NE(body.find(R"("stats":{"value":{"who":"the auth service","admin":true}})"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("notThere":{"error":"TypeError: The RPC receiver does not implement the method \"verify\"."})"),
            std::string::npos) << body;
  EXPECT_NE(body.find(R"("fetch":"admin fetch of /admin")"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("missing":{"error":"TypeError: The RPC receiver does not implement the method \"stats\": its export \"Missing\" is not a class extending WorkerEntrypoint)"),
            std::string::npos) << body;
  EXPECT_NE(body.find(R"("missingFetch":500)"), std::string::npos) << body;
}

TEST_F(ServiceRpcTest, TheCalledMethodsWaitUntilRunsAndItsStateIsTheIsolates) {
  std::string body = Run("waitUntil");
  EXPECT_NE(body.find(R"("noted":"noted","seen":"the first call")"), std::string::npos) << body;
}

// Only a binding makes an RPC call: a client's request with the marker is a request.
TEST_F(ServiceRpcTest, AClientsRequestIsNeverAnRpcCall) {
  HttpResponse r = GetFrom(server_->port(), "auth.test", "/", "x-atoll-rpc: 1\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "auth's fetch saw x-atoll-rpc=1");
}

// A chain of calls is billed what its JS was charged, never the platform's own work: the called
// tenant's first HTMLRewriter compiles lol-html's Wasm (~35 ms of the platform's CPU here), and a
// caller with a 20 ms budget still makes its second call (billed by the clock, the first call had
// used the chain's budget and the second was refused). The called Worker has no fetch(): an
// entrypoint with RPC methods only.
TEST(ServiceRpcChain, ThePlatformsWorkIsNotBilledToTheChain) {
  TenantFixture fixture;
  fixture.Write("rewriter.js", R"JS(
import { WorkerEntrypoint } from "cloudflare:workers";
export default class Rewriter extends WorkerEntrypoint {
  async rewrite(html) {
    const links = [];
    const rewriter = new HTMLRewriter().on("a", { element(a) { links.push(a.getAttribute("href")); } });
    await rewriter.transform(new Response(html)).text();
    return links.join(",");
  }
}
)JS");
  fixture.Write("app.js", R"JS(
export default {
  async fetch(request, env) {
    const first = await env.REWRITER.rewrite('<a href="/one">1</a>');
    const second = await env.REWRITER.rewrite('<a href="/two">2</a>');
    return new Response(`${first} ${second}`);
  },
};
)JS");
  TestServer server(fixture.WriteConfig("", R"(
[[tenants]]
name = "rewriter"
script = "rewriter.js"
routes = ["rewriter.test/*"]

[[tenants]]
name = "app"
script = "app.js"
routes = ["app.test/*"]
cpu_ms = 20
[tenants.services]
REWRITER = "rewriter"
)"));
  HttpResponse r = GetFrom(server.port(), "app.test", "/");
  EXPECT_EQ(r.status, 200) << r.body << server.log();
  EXPECT_EQ(r.body, "/one /two");
  // The entrypoint has RPC methods only, which Workers accepts: a request to it is told so.
  r = GetFrom(server.port(), "rewriter.test", "/");
  EXPECT_EQ(r.status, 501);
  EXPECT_NE(r.body.find("its entrypoint answers RPC calls of service bindings only"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace atl::testing
