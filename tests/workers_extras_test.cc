// Cloudflare Workers' extensions and the ES2023+ built-ins V8 10.2 lacks, served by the real
// binary to a Workers-style script, in a shared context and in per_request contexts (each made
// from the snapshot, so the lazy placeholders must work in every new context): Cloudflare's
// timingSafeEqual auth example, a FixedLengthStream response on the wire, DigestStream, MD5,
// IdentityTransformStream, scheduler.wait, readAtLeast, KV bulk reads, core-js built-ins.
#include <gtest/gtest.h>

#include <string>

#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

constexpr char kScript[] = R"js(
const encoder = new TextEncoder();
const hex = (b) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, "0")).join("");

export default {
  async fetch(request, env) {
    const path = new URL(request.url).pathname;
    if (path === "/auth") {
      // Cloudflare's "Using timingSafeEqual" example.
      const token = request.headers.get("authorization") ?? "";
      const a = encoder.encode(token), b = encoder.encode(env.SECRET);
      if (a.byteLength !== b.byteLength || !crypto.subtle.timingSafeEqual(a, b)) {
        return new Response("unauthorized", { status: 401 });
      }
      return new Response("welcome");
    }
    if (path === "/fixed") {
      const { readable, writable } = new FixedLengthStream(11);
      const writer = writable.getWriter();
      (async () => {
        await writer.write(encoder.encode("hello "));
        await scheduler.wait(5);
        await writer.write(encoder.encode("world"));
        await writer.close();
      })();
      return new Response(readable);
    }
    if (path === "/identity") {
      const { readable, writable } = new IdentityTransformStream();
      new Blob(["id", "entity"]).stream().pipeTo(writable);
      return new Response(readable);
    }
    if (path === "/extras") {
      const digest = new crypto.DigestStream("SHA-256");
      await new Blob(["a", "bc"]).stream().pipeTo(digest);
      await env.STORE.put("k1", "v1");
      await env.STORE.put("k2", "[2]");
      const bulk = await env.STORE.get(["k1", "k3"]);
      const json = await env.STORE.get(["k2"], "json");
      const start = Date.now();
      await scheduler.wait(20);
      let min = "no byob";
      try {
        const reader = new ReadableStream({
          type: "bytes",
          pull(c) { c.enqueue(encoder.encode("xy")); },
        }).getReader({ mode: "byob" });
        min = (await reader.readAtLeast(5, new Uint8Array(8))).value.byteLength;
      } catch (e) { min = String(e); }
      return Response.json({
        sha256: hex(await digest.digest),
        md5: hex(await crypto.subtle.digest("MD5", encoder.encode("abc"))),
        bulk: [...bulk], json: json.get("k2"),
        waited: Date.now() - start >= 15,
        readAtLeast: min,
      });
    }
    if (path === "/builtins") {
      const { promise, resolve } = Promise.withResolvers();
      resolve("resolved");
      const groups = Object.groupBy([1, 2, 3], (n) => (n % 2 ? "odd" : "even"));
      const buffer = new Uint8Array([1, 2]).buffer;
      const moved = buffer.transfer();
      function* count() { let i = 0; for (;;) yield i++; }
      return Response.json({
        promise: await promise,
        groups: { ...groups },
        mapGroup: Map.groupBy(["a", "bb"], (s) => s.length).get(2),
        fromAsync: await Array.fromAsync((async function* () { yield 1; yield 2; })()),
        sorted: [3, 1, 2].toSorted(), spliced: [1, 2, 3].toSpliced(0, 1), with: [1, 2].with(0, 9),
        typed: [...new Int8Array([2, 1]).toSorted()],
        union: [...new Set([1]).union(new Set([2]))],
        wellFormed: "a\uD800".isWellFormed(),
        detached: [buffer.detached, moved.detached, moved.byteLength],
        helpers: count().filter((n) => n % 2).map((n) => n * 2).take(3).toArray(),
        iterator: typeof Iterator.from,
        enumerable: Object.keys(Array.prototype).length,
      });
    }
    return new Response("not found", { status: 404 });
  },
};
)js";

class WorkersExtras : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    fixture_.Write("extras.js", kScript);
    server_ = std::make_unique<TestServer>(fixture_.WriteConfig("", R"(
[[tenants]]
name = "extras"
script = "extras.js"
routes = ["*/*"]
context = ")" + GetParam() + R"("
cpu_ms = 2000
[tenants.vars]
SECRET = "open sesame"
[tenants.kv]
STORE = "extras"
)"));
  }

  TenantFixture fixture_;
  std::unique_ptr<TestServer> server_;
};

bool Has(const std::string& body, const std::string& text) { return body.find(text) != std::string::npos; }

TEST_P(WorkersExtras, TimingSafeEqualGuardsTheSecret) {
  EXPECT_EQ(Get(server_->port(), "/auth", "authorization: open sesame\r\n").status, 200) << server_->log();
  EXPECT_EQ(Get(server_->port(), "/auth", "authorization: open sesamE\r\n").status, 401);
  EXPECT_EQ(Get(server_->port(), "/auth", "authorization: open\r\n").status, 401);
}

TEST_P(WorkersExtras, AFixedLengthStreamResponseHasAContentLengthNotChunks) {
  HttpResponse r = Get(server_->port(), "/fixed");
  EXPECT_EQ(r.status, 200) << server_->log();
  EXPECT_EQ(r.body, "hello world");
  EXPECT_EQ(r.Header("content-length"), "11");
  EXPECT_FALSE(r.chunked);
  HttpResponse identity = Get(server_->port(), "/identity");
  EXPECT_EQ(identity.body, "identity");
  EXPECT_TRUE(identity.chunked) << "an IdentityTransformStream's length is not known";
}

TEST_P(WorkersExtras, DigestStreamMd5KvBulkReadsSchedulerAndReadAtLeast) {
  HttpResponse r = Get(server_->port(), "/extras");
  ASSERT_EQ(r.status, 200) << r.body << server_->log();
  EXPECT_TRUE(Has(r.body, "\"sha256\":\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"")) << r.body;
  EXPECT_TRUE(Has(r.body, "\"md5\":\"900150983cd24fb0d6963f7d28e17f72\"")) << r.body;
  EXPECT_TRUE(Has(r.body, "\"bulk\":[[\"k1\",\"v1\"],[\"k3\",null]]")) << r.body;
  EXPECT_TRUE(Has(r.body, "\"json\":[2]")) << r.body;
  EXPECT_TRUE(Has(r.body, "\"waited\":true")) << r.body;
  EXPECT_TRUE(Has(r.body, "\"readAtLeast\":6")) << r.body;
}

TEST_P(WorkersExtras, Es2023BuiltInsWorkInEveryContext) {
  for (int i = 0; i < 2; ++i) {
    HttpResponse r = Get(server_->port(), "/builtins");
    ASSERT_EQ(r.status, 200) << r.body << server_->log();
    EXPECT_EQ(r.body,
              R"({"promise":"resolved","groups":{"odd":[1,3],"even":[2]},"mapGroup":["bb"],"fromAsync":[1,2],)"
              R"("sorted":[1,2,3],"spliced":[2,3],"with":[9,2],"typed":[1,2],"union":[1,2],"wellFormed":false,)"
              R"("detached":[true,false,2],"helpers":[2,6,10],"iterator":"function","enumerable":0})");
  }
}

INSTANTIATE_TEST_SUITE_P(Contexts, WorkersExtras, ::testing::Values("shared", "per_request"));

}  // namespace
}  // namespace atl::testing
