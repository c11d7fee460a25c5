// The Cache API (caches.default, caches.open; bindings/cache_api.h, js/lazy/cache.js) through the
// real binary: tenants that fetch a loopback origin and cache its answers. The origin counts its
// hits, so a test sees whether an answer came from the cache without running the origin fetch.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "tests/loopback_upstream.h"
#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

// The origin. Every path answers 200 with a body and headers it names:
//   /max60    Cache-Control: max-age=60, ETag "v1", Last-Modified 2015; body "hello from origin"
//   /max1     Cache-Control: max-age=1
//   /cookie   max-age=60 and Set-Cookie
//   /nostore  Cache-Control: no-store
//   /vary     max-age=60, Vary: Accept-Language; body "lang:<the request's Accept-Language>"
//   /big?N    max-age=60, 400 000 bytes
class Origin : public LoopbackUpstream {
 public:
  Origin() { Start(); }
  ~Origin() override { Stop(); }
  // Requests seen for `target` (path and query).
  int hits(const std::string& target) {
    std::lock_guard lock(mu_);
    return hits_[target];
  }

 private:
  void Serve(int fd) override {
    std::string buf;
    while (!stopping()) {
      std::string head;
      if (!ReadHead(fd, buf, &head)) return;
      size_t sp = head.find(' ');
      std::string target = head.substr(sp + 1, head.find(' ', sp + 1) - sp - 1);
      std::string lower = Lower(head);
      {
        std::lock_guard lock(mu_);
        ++hits_[target];
      }
      std::string path = target.substr(0, target.find('?'));
      std::string headers = "cache-control: max-age=60\r\n";
      std::string body = "hello from origin";
      if (path == "/max60") {
        headers += "etag: \"v1\"\r\nlast-modified: Wed, 21 Oct 2015 07:28:00 GMT\r\n";
      } else if (path == "/max1") {
        headers = "cache-control: max-age=1\r\n";
      } else if (path == "/cookie") {
        headers += "set-cookie: session=secret\r\n";
      } else if (path == "/nostore") {
        headers = "cache-control: no-store\r\n";
      } else if (path == "/vary") {
        headers += "vary: Accept-Language\r\n";
        size_t at = lower.find("accept-language: ");
        body = "lang:" + (at == std::string::npos ? "" : lower.substr(at + 17, lower.find("\r\n", at) - at - 17));
      } else if (path == "/big") {
        body = std::string(400000, 'x');
      }
      Send(fd, "HTTP/1.1 200 OK\r\n" + headers + "content-length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    }
  }

  std::mutex mu_;
  std::map<std::string, int> hits_;
};

// Every tenant runs this. /cached/X: answer from caches.default, else fetch the origin's /X,
// cache it and answer it (the Workers cache pattern). /api: the API's refusals and delete(),
// answers "ok" or what failed. /peek/X: caches.default.match of /X only ("hit" or "miss").
constexpr const char* kScript = R"JS(
const ORIGIN = "http://127.0.0.1:${PORT}";
function check(cond, what) { if (!cond) throw new Error(what); }
async function rejects(promise, type) {
  try { await promise; } catch (e) { return e instanceof type; }
  return false;
}
export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const path = url.pathname;
    if (path.startsWith("/cached/")) {
      const rest = path.slice(7) + url.search;
      const key = new Request("https://cache.test" + rest, { headers: request.headers });
      const hit = await caches.default.match(key);
      if (hit) return hit;
      const origin = await fetch(ORIGIN + rest, { headers: request.headers });
      const response = new Response(origin.body, origin);
      await caches.default.put(key, response.clone());
      response.headers.set("cf-cache-status", "MISS");
      return response;
    }
    if (path.startsWith("/peek/")) {
      return new Response((await caches.default.match("https://cache.test/" + path.slice(6))) ? "hit" : "miss");
    }
    if (path === "/api") {
      const cache = await caches.open("api");
      check(cache !== caches.default && (await caches.open("api")) === cache, "open() gives one Cache per name");
      const ok = () => new Response("body", { headers: { "cache-control": "max-age=60" } });
      check(await rejects(cache.put(new Request("https://x.test/", { method: "POST" }), ok()), TypeError), "POST put");
      check(await rejects(cache.put("https://x.test/", new Response("p", { status: 206 })), TypeError), "206 put");
      check(await rejects(cache.put("https://x.test/", new Response("v", { headers: { vary: "*" } })), TypeError), "Vary * put");
      check(await cache.delete("https://x.test/k") === false, "delete of nothing");
      await cache.put("https://x.test/k", ok());
      check(await caches.default.match("https://x.test/k") === undefined, "named caches are apart from the default");
      const hit = await cache.match("https://x.test/k");
      check(hit && (await hit.text()) === "body" && hit.headers.get("cf-cache-status") === "HIT", "match");
      check(await cache.match(new Request("https://x.test/k", { method: "POST" })) === undefined, "POST match");
      check(await cache.match(new Request("https://x.test/k", { method: "POST" }), { ignoreMethod: true }) !== undefined, "ignoreMethod");
      check(await cache.delete(new Request("https://x.test/k", { method: "HEAD" })) === false, "HEAD delete");
      check(await cache.delete("https://x.test/k") === true, "delete");
      check(await cache.match("https://x.test/k") === undefined, "gone after delete");
      await cache.put("https://x.test/private", new Response("p", { headers: { "cache-control": "private, max-age=60" } }));
      check(await cache.match("https://x.test/private") === undefined, "private is not stored");
      await cache.put("https://x.test/expires", new Response("e", { headers: { expires: new Date(Date.now() + 60000).toUTCString() } }));
      check(await cache.match("https://x.test/expires") !== undefined, "Expires gives freshness");
      await cache.put("https://x.test/smax", new Response("s", { headers: { "cache-control": "max-age=60, s-maxage=0" } }));
      check(await cache.match("https://x.test/smax") === undefined, "s-maxage wins over max-age");
      const stream = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode("streamed")); c.close(); } });
      await cache.put("https://x.test/stream", new Response(stream, { headers: { "cache-control": "max-age=60" } }));
      check((await (await cache.match("https://x.test/stream")).text()) === "streamed", "a stream body is read fully");
      return new Response("ok");
    }
    return new Response("not found", { status: 404 });
  },
};
)JS";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  for (size_t at; (at = text.find(from)) != std::string::npos;) text.replace(at, from.size(), to);
  return text;
}

class CacheApi : public ::testing::Test {
 protected:
  // Tenants "a", "b" (routes a.test, b.test) and "c" (c.test, cache_mb = 1), on `workers` workers.
  void Start(int workers = 1) {
    fixture_.Write("worker.js", Replace(kScript, "${PORT}", std::to_string(origin_.port())));
    std::string outbound = "outbound = [\"127.0.0.1:" + std::to_string(origin_.port()) + "\"]\ncpu_ms = 1000\n";
    std::string tenants;
    for (const char* name : {"a", "b", "c"}) {
      tenants += std::string("\n[[tenants]]\nname = \"") + name + "\"\nscript = \"worker.js\"\nroutes = [\"" + name +
                 ".test/*\"]\n" + outbound + (std::string(name) == "c" ? "cache_mb = 1\n" : "");
    }
    // TestServer passes --workers 1 unless told otherwise.
    server_ = std::make_unique<TestServer>(fixture_.WriteConfig("", tenants),
                                           std::vector<std::string>{"--workers", std::to_string(workers)});
  }
  HttpResponse Get(const std::string& tenant, const std::string& path, const std::string& headers = "") {
    return GetFrom(server_->port(), tenant + ".test", path, headers);
  }

  Origin origin_;
  TenantFixture fixture_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(CacheApi, SecondRequestIsServedFromTheCacheWithoutTheOrigin) {
  Start();
  HttpResponse first = Get("a", "/cached/max60");
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.Header("cf-cache-status"), "MISS");
  HttpResponse second = Get("a", "/cached/max60");
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.body, "hello from origin");
  EXPECT_EQ(second.Header("cf-cache-status"), "HIT");
  EXPECT_EQ(second.Header("etag"), "\"v1\"");
  EXPECT_EQ(origin_.hits("/max60"), 1);
}

TEST_F(CacheApi, TheApiRefusesWhatWorkersRefusesAndDeletes) {
  Start();
  HttpResponse r = Get("a", "/api");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "ok");
}

TEST_F(CacheApi, TenantsNeverSeeEachOthersEntries) {
  Start();
  EXPECT_EQ(Get("a", "/cached/max60").status, 200);
  EXPECT_EQ(Get("a", "/peek/max60").body, "hit");
  EXPECT_EQ(Get("b", "/peek/max60").body, "miss");
  EXPECT_EQ(Get("b", "/cached/max60").Header("cf-cache-status"), "MISS");
  EXPECT_EQ(origin_.hits("/max60"), 2);
}

TEST_F(CacheApi, ExpiredEntriesAreNotServed) {
  Start();
  EXPECT_EQ(Get("a", "/cached/max1").Header("cf-cache-status"), "MISS");
  EXPECT_EQ(Get("a", "/cached/max1").Header("cf-cache-status"), "HIT");
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  EXPECT_EQ(Get("a", "/cached/max1").Header("cf-cache-status"), "MISS");
  EXPECT_EQ(origin_.hits("/max1"), 2);
}

TEST_F(CacheApi, SetCookieAndNoStoreAreNotStored) {
  Start();
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(Get("a", "/cached/cookie").Header("cf-cache-status"), "MISS");
    EXPECT_EQ(Get("a", "/cached/nostore").Header("cf-cache-status"), "MISS");
  }
  EXPECT_EQ(origin_.hits("/cookie"), 2);
  EXPECT_EQ(origin_.hits("/nostore"), 2);
}

TEST_F(CacheApi, VaryMatchesOnTheStoredRequestHeaders) {
  Start();
  EXPECT_EQ(Get("a", "/cached/vary", "Accept-Language: fr\r\n").body, "lang:fr");
  HttpResponse again = Get("a", "/cached/vary", "Accept-Language: fr\r\n");
  EXPECT_EQ(again.Header("cf-cache-status"), "HIT");
  EXPECT_EQ(again.body, "lang:fr");
  HttpResponse other = Get("a", "/cached/vary", "Accept-Language: en\r\n");
  EXPECT_EQ(other.Header("cf-cache-status"), "MISS");
  EXPECT_EQ(other.body, "lang:en");
  EXPECT_EQ(origin_.hits("/vary"), 2);
}

TEST_F(CacheApi, ConditionalRequestsAre304AndRangesAre206) {
  Start();
  EXPECT_EQ(Get("a", "/cached/max60").status, 200);
  HttpResponse etag = Get("a", "/cached/max60", "If-None-Match: \"v1\"\r\n");
  EXPECT_EQ(etag.status, 304);
  EXPECT_EQ(etag.body, "");
  EXPECT_EQ(etag.Header("cf-cache-status"), "HIT");
  EXPECT_EQ(Get("a", "/cached/max60", "If-None-Match: \"v2\"\r\n").status, 200);
  EXPECT_EQ(Get("a", "/cached/max60", "If-Modified-Since: Thu, 22 Oct 2015 07:28:00 GMT\r\n").status, 304);
  EXPECT_EQ(Get("a", "/cached/max60", "If-Modified-Since: Tue, 20 Oct 2015 07:28:00 GMT\r\n").status, 200);
  HttpResponse range = Get("a", "/cached/max60", "Range: bytes=0-4\r\n");
  EXPECT_EQ(range.status, 206);
  EXPECT_EQ(range.body, "hello");
  EXPECT_EQ(range.Header("content-range"), "bytes 0-4/17");
  EXPECT_EQ(Get("a", "/cached/max60", "Range: bytes=-6\r\n").body, "origin");
  EXPECT_EQ(Get("a", "/cached/max60", "Range: bytes=100-\r\n").status, 416);
  EXPECT_EQ(origin_.hits("/max60"), 1);
}

TEST_F(CacheApi, TheSizeCapEvictsTheLeastRecentlyUsed) {
  Start();  // tenant c: cache_mb = 1, entries of 400 000 bytes: two fit
  EXPECT_EQ(Get("c", "/cached/big?1").Header("cf-cache-status"), "MISS");
  EXPECT_EQ(Get("c", "/cached/big?2").Header("cf-cache-status"), "MISS");
  EXPECT_EQ(Get("c", "/cached/big?1").Header("cf-cache-status"), "HIT");  // 2 is now the least recent
  EXPECT_EQ(Get("c", "/cached/big?3").Header("cf-cache-status"), "MISS");  // evicts 2
  EXPECT_EQ(Get("c", "/cached/big?1").Header("cf-cache-status"), "HIT");
  EXPECT_EQ(Get("c", "/cached/big?3").Header("cf-cache-status"), "HIT");
  EXPECT_EQ(Get("c", "/cached/big?2").Header("cf-cache-status"), "MISS");
  EXPECT_EQ(origin_.hits("/big?2"), 2);
  // Tenant a's default cap is not tenant c's: the same entries all stay.
  for (const char* n : {"1", "2", "3", "1", "2", "3"}) Get("a", std::string("/cached/big?") + n);
  EXPECT_EQ(origin_.hits("/big?1"), 2);  // once for c, once for a
}

TEST_F(CacheApi, TwoWorkersShareTheCache) {
  Start(/*workers=*/2);
  EXPECT_EQ(Get("a", "/cached/max60").Header("cf-cache-status"), "MISS");
  // Each request on a new connection: the kernel spreads them over both workers.
  for (int i = 0; i < 20; ++i) EXPECT_EQ(Get("a", "/cached/max60").Header("cf-cache-status"), "HIT") << i;
  // Both workers replaced by new processes, neither of which made the entry: still hits.
  for (int index : {0, 1}) {
    pid_t victim = server_->worker_pid(index);
    ASSERT_GT(victim, 0);
    ASSERT_EQ(kill(victim, SIGKILL), 0);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (server_->worker_pid(index) == victim && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_NE(server_->worker_pid(index), victim) << server_->log();
  }
  for (int i = 0; i < 10; ++i) EXPECT_EQ(Get("a", "/cached/max60").Header("cf-cache-status"), "HIT") << i;
  EXPECT_EQ(origin_.hits("/max60"), 1);
}

}  // namespace
}  // namespace atl::testing
