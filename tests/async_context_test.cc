// AsyncLocalStorage end to end (node:async_hooks under nodejs_compat; lazy module async_context):
// 50 concurrent requests served by one shared context, each running with a store of its own,
// see only their own store after await, in setTimeout callbacks, after fetches (a service binding,
// and an outbound fetch to another atoll on 127.0.0.1) and their body reads, in ctx.waitUntil work that runs
// after the response, and in the pulls of their streamed response bodies (called by the server's
// pump, from the event loop). Also: a frame left current by enterWith does not leak into the next
// request, nor into reactions (of this request or another) that run after its run returns.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

constexpr char kScript[] = R"(import { AsyncLocalStorage } from "node:async_hooks";
const als = new AsyncLocalStorage();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const randomDelay = () => sleep(Math.floor(Math.random() * 6));
const waited = new Map();  // id -> what its waitUntil work saw
let inflight = 0, maxInflight = 0;
let release;  // resolves the promise /wait-for-other awaits

export default {
  fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/waited") return Response.json({ waited: Object.fromEntries(waited), maxInflight });
    if (url.pathname === "/leak") {
      als.enterWith("leaked");  // left current at the end of this run
      return new Response(String(als.getStore()));
    }
    if (url.pathname === "/after-leak") return new Response(String(als.getStore()));
    if (url.pathname === "/wait-for-other") {  // awaits in the root frame until /release
      return new Promise((resolve) => (release = resolve)).then(() => new Response(String(als.getStore())));
    }
    if (url.pathname === "/release") {
      if (release === undefined) return new Response("nothing waits");
      als.enterWith("releaser");
      release();
      release = undefined;
      return new Response("released");
    }
    if (url.pathname === "/root-reaction") {
      // A reaction registered in the root frame, queued now, runs after this run returns (in its
      // microtask checkpoint): it must not see the frame enterWith left current here.
      const seen = Promise.resolve().then(() => als.getStore());
      const thenable = { then(resolve) { resolve(als.getStore()); } };
      const seenByThenable = Promise.resolve(thenable);
      als.enterWith("entered");
      return Promise.all([seen, seenByThenable]).then((v) => new Response(v.map(String).join(",")));
    }
    if (url.pathname === "/echo") return new Response(new ReadableStream({
      async pull(controller) {
        await randomDelay();
        controller.enqueue(new TextEncoder().encode("echo"));
        controller.close();
      },
    }));
    const id = url.searchParams.get("id");
    return als.run(`req-${id}`, async () => {
      maxInflight = Math.max(maxInflight, ++inflight);
      const seen = [];
      for (let i = 0; i < 3; i++) {
        await randomDelay();
        seen.push(als.getStore());
      }
      seen.push(await new Promise((resolve) => setTimeout(() => resolve(als.getStore()), Math.random() * 5)));
      // A fetch completion and its streamed body (a service binding: this tenant again).
      const echoed = await (await env.SELF.fetch("http://als.test/echo")).text();
      seen.push(echoed === "echo" ? als.getStore() : echoed);
      // An outbound fetch (another atoll on 127.0.0.1), completed from the event loop.
      const upstream = await (await fetch(env.UPSTREAM)).text();
      seen.push(upstream === "up" ? als.getStore() : upstream);
      ctx.waitUntil((async () => {
        await randomDelay();
        waited.set(id, als.getStore());
      })());
      inflight--;
      let pulls = 0;
      const head = new TextEncoder().encode(seen.join(","));
      // The server's pump reads this body from the event loop, outside any request's frame.
      const body = new ReadableStream({
        start(controller) { controller.enqueue(head); },
        async pull(controller) {
          await randomDelay();
          controller.enqueue(new TextEncoder().encode(`|pull:${als.getStore()}`));
          if (++pulls === 2) controller.close();
        },
      }, { highWaterMark: 0 });
      return new Response(body);
    });
  },
};
)";

TEST(AsyncContext, FiftyConcurrentRequestsEachSeeOnlyTheirOwnStore) {
  TenantFixture fixture;
  std::string up_js = fixture.Write("up.js", R"(export default {
  async fetch() {
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
    return new Response("up");
  },
};
)");
  TestServer upstream(up_js);
  std::string origin = "127.0.0.1:" + std::to_string(upstream.port());
  fixture.Write("als.js", kScript);
  TestServer server(fixture.WriteConfig("workers = 1\n", R"([[tenants]]
name = "als"
script = "als.js"
routes = ["als.test/*"]
compatibility_flags = ["nodejs_compat"]
outbound = [")" + origin + R"("]
[tenants.services]
SELF = "als"
[tenants.vars]
UPSTREAM = "http://)" + origin + R"(/"
)"));
  constexpr int kRequests = 50;
  std::vector<HttpResponse> responses(kRequests);
  std::vector<std::thread> threads;
  for (int i = 0; i < kRequests; ++i) {
    threads.emplace_back([&, i] { responses[i] = GetFrom(server.port(), "als.test", "/?id=" + std::to_string(i)); });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kRequests; ++i) {
    std::string store = "req-" + std::to_string(i);
    EXPECT_EQ(responses[i].status, 200) << i << ": " << responses[i].body;
    EXPECT_EQ(responses[i].body,
              store + "," + store + "," + store + "," + store + "," + store + "," + store + "|pull:" + store +
                  "|pull:" + store)
        << "request " << i;
  }
  // waitUntil work runs after the responses: ask until all 50 reported.
  std::string expected = "{";
  for (int i = 0; i < kRequests; ++i) {
    expected += (i == 0 ? "\"" : ",\"") + std::to_string(i) + "\":\"req-" + std::to_string(i) + "\"";
  }
  HttpResponse waited;
  for (int attempt = 0; attempt < 100; ++attempt) {
    waited = GetFrom(server.port(), "als.test", "/waited");
    if (std::count(waited.body.begin(), waited.body.end(), ':') >= kRequests + 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // Object.fromEntries keeps insertion order (the order the work finished): compare as a set.
  for (int i = 0; i < kRequests; ++i) {
    std::string entry = "\"" + std::to_string(i) + "\":\"req-" + std::to_string(i) + "\"";
    EXPECT_NE(waited.body.find(entry), std::string::npos) << entry << " in " << waited.body;
  }
  // The requests did overlap in the one shared context.
  size_t at = waited.body.find("\"maxInflight\":");
  ASSERT_NE(at, std::string::npos) << waited.body;
  EXPECT_GT(std::stoi(waited.body.substr(at + 14)), 1) << waited.body;
}

TEST(AsyncContext, EnterWithReachesNoOtherRequestNorARootFrameReaction) {
  TenantFixture fixture;
  fixture.Write("als.js", kScript);
  TestServer server(fixture.WriteConfig("workers = 1\n", R"([[tenants]]
name = "als"
script = "als.js"
routes = ["als.test/*"]
compatibility_flags = ["nodejs_compat"]
)"));
  EXPECT_EQ(GetFrom(server.port(), "als.test", "/leak").body, "leaked");
  EXPECT_EQ(GetFrom(server.port(), "als.test", "/after-leak").body, "undefined");
  EXPECT_EQ(GetFrom(server.port(), "als.test", "/root-reaction").body, "undefined,undefined");
  // Another request's reaction, queued while /release runs with its frame entered, runs after it:
  // in its own (root) frame, not the releaser's.
  HttpResponse waited;
  std::thread waiter([&] { waited = GetFrom(server.port(), "als.test", "/wait-for-other"); });
  std::string released;
  for (int attempt = 0; attempt < 100 && released != "released"; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    released = GetFrom(server.port(), "als.test", "/release").body;
  }
  waiter.join();
  EXPECT_EQ(released, "released");
  EXPECT_EQ(waited.body, "undefined");
}

}  // namespace
}  // namespace atl::testing
