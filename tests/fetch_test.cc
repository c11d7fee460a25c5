// fetch() end to end: the real binary on 127.0.0.1 and an upstream HTTP server in this test (a
// thread with a listening socket on 127.0.0.1:0 that counts the connections it accepts). Only
// loopback is ever contacted; the guard's refusal of private and link-local ranges is covered
// without connecting by server/ssrf_guard_test.cc.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/tenant_fixture.h"
#include "tests/loopback_upstream.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

using std::chrono::milliseconds;

// A small HTTP/1.1 server on 127.0.0.1:0, one thread per connection.
//   GET /hello      200 "hello"
//   GET /redirect   301 -> /hello
//   GET /slow       chunked: "first", 800 ms later "last"
//   GET /hang       headers never come; notes when the client closes
//   POST /echo      answers "<bytes received> <chunked?>"
//   GET /big        16 MB (content-length); notes when the client closed before taking it all
class Upstream : public LoopbackUpstream {
 public:
  Upstream() { Start(); }
  ~Upstream() override { Stop(); }
  int accepts() const { return accepts_.load(); }
  bool hang_closed() const { return hang_closed_.load(); }
  bool big_closed() const { return big_closed_.load(); }

 private:
  void OnAccept(int) override { ++accepts_; }

  void Serve(int fd) override {
    std::string buf;
    while (!stopping()) {
      std::string head;
      if (!ReadHead(fd, buf, &head)) return;
      std::string lower = Lower(head);
      std::string method = head.substr(0, head.find(' '));
      std::string path = head.substr(method.size() + 1, head.find(' ', method.size() + 1) - method.size() - 1);
      bool chunked = lower.find("transfer-encoding: chunked") != std::string::npos;
      size_t received = 0;
      if (!SkipBody(fd, buf, lower, &received)) return;
      if (path == "/hello") {
        Send(fd, "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello");
      } else if (path == "/redirect") {
        Send(fd, "HTTP/1.1 301 Moved Permanently\r\nlocation: /hello\r\ncontent-length: 0\r\n\r\n");
      } else if (path == "/slow") {
        Send(fd, "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nfirst\r\n");
        std::this_thread::sleep_for(milliseconds(800));
        Send(fd, "4\r\nlast\r\n0\r\n\r\n");
      } else if (path == "/hang") {
        std::string rest;
        while (Fill(fd, rest)) {}
        if (!stopping()) hang_closed_ = true;
        return;
      } else if (path == "/big") {
        Send(fd, "HTTP/1.1 200 OK\r\ncontent-length: " + std::to_string(16 << 20) + "\r\n\r\n");
        std::string piece(64 << 10, 'x');
        for (int i = 0; i < 256; ++i) {
          if (send(fd, piece.data(), piece.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(piece.size())) {
            big_closed_ = true;
            return;
          }
        }
      } else if (path == "/echo") {
        std::string body = std::to_string(received) + (chunked ? " chunked" : " length");
        Send(fd, "HTTP/1.1 200 OK\r\ncontent-length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
      } else {
        Send(fd, "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");
      }
    }
  }

  std::atomic<int> accepts_{0};
  std::atomic<bool> hang_closed_{false};
  std::atomic<bool> big_closed_{false};
};

// The handler every test runs: `/NAME` runs tests[NAME](upstream base URL, env) and answers its
// result as JSON (or the error it threw).
constexpr char kHandler[] = R"(
const base = `http://127.0.0.1:${UPSTREAM_PORT}`;
const tests = {
  // A response left unread when the request ends: its connection is closed then.
  async unread() {
    const response = await fetch(`${base}/big`);
    return { status: response.status };
  },
  // One kept for a later request: read then, it errors (its connection went with its request).
  async keep() {
    globalThis.kept = await fetch(`${base}/big`);
    return { status: globalThis.kept.status };
  },
  async readKept() {
    return { length: (await globalThis.kept.text()).length };
  },
  // A fetch in waitUntil lives until its promise settles, after the response.
  async waitUntilSlow(env, ctx) {
    globalThis.waited = null;
    ctx.waitUntil((async () => { globalThis.waited = await (await fetch(`${base}/slow`)).text(); })());
    return { answered: true };
  },
  async waited() {
    return { waited: globalThis.waited };
  },
  // A service binding's endless response left unread: the called tenant's stream is cancelled
  // when this request ends.
  async serviceUnread(env) {
    const response = await env.COUNT.fetch("http://count.internal/endless");
    return { status: response.status };
  },
  async serviceCancelled(env) {
    return { cancelled: await (await env.COUNT.fetch("http://count.internal/cancelled")).text() };
  },
  // A waitUntil that never settles holds the request's fetches only for wait_until_ms.
  async waitForever(env, ctx) {
    globalThis.forever = await fetch(`${base}/big`);
    ctx.waitUntil(new Promise(() => {}));
    return { answered: true };
  },
  async stream() {
    const start = Date.now();
    const response = await fetch(`${base}/slow`);
    const reader = response.body.getReader();
    const times = [];
    let text = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      times.push(Date.now() - start);
      text += new TextDecoder().decode(value);
    }
    return { text, first: times[0], last: times[times.length - 1] };
  },
  async upload() {
    let n = 0;
    const body = new ReadableStream({
      async pull(controller) {
        if (n === 10) return controller.close();
        n++;
        await new Promise((resolve) => setTimeout(resolve, 5));
        controller.enqueue(new Uint8Array(10000).fill(65));
      },
    });
    const response = await fetch(`${base}/echo`, { method: "POST", body, duplex: "half" });
    return { status: response.status, text: await response.text() };
  },
  async redirect() {
    const response = await fetch(`${base}/redirect`);
    const manual = await fetch(`${base}/redirect`, { redirect: "manual" });
    let error = "";
    try { await fetch(`${base}/redirect`, { redirect: "error" }); } catch (e) { error = e.name; }
    return { status: response.status, redirected: response.redirected, url: response.url, text: await response.text(),
             manual: manual.status, location: manual.headers.get("location"), error };
  },
  async abort() {
    const start = Date.now();
    try {
      await fetch(`${base}/hang`, { signal: AbortSignal.timeout(200) });
      return { error: "none" };
    } catch (e) {
      return { error: e.name, ms: Date.now() - start };
    }
  },
  async refused() {
    const out = [];
    for (const url of [`${base}/hello`, `http://localhost:${UPSTREAM_PORT}/hello`, `http://[::1]:${UPSTREAM_PORT}/hello`,
                       `http://[::ffff:127.0.0.1]:${UPSTREAM_PORT}/hello`]) {
      try {
        await fetch(url);
        out.push("allowed");
      } catch (e) {
        out.push(`${e.name}: ${e.message}`);
      }
    }
    return { out };
  },
  async once() {
    return { text: await (await fetch(`${base}/hello`)).text() };
  },
  async many() {
    const out = [];
    for (let i = 0; i < 6; i++) {
      try {
        const response = await fetch(`${base}/hello`);
        out.push(await response.text());
      } catch (e) {
        out.push(`${e.name}: ${e.message}`);
      }
    }
    return { out };
  },
  async service(env) {
    const response = await env.AUTH.fetch("http://auth.internal/check?user=ann", { method: "POST", headers: { "x-token": "t1" }, body: "payload" });
    return { status: response.status, header: response.headers.get("x-served-by"), text: await response.text() };
  },
  // 48 MB through a service binding, in a tenant (and to one) with 16 MB of memory: streamed.
  // Each chunk a fresh buffer, as a stream's are: the dropped ones count until a GC frees them.
  async serviceStream(env) {
    const total = 48 << 20;
    let sent = 0;
    const body = new ReadableStream({
      pull(controller) {
        if (sent >= total) return controller.close();
        sent += 64 * 1024;
        controller.enqueue(new Uint8Array(64 * 1024).fill(97));
      },
    });
    const response = await env.COUNT.fetch("http://count.internal/", { method: "POST", body, duplex: "half" });
    return { status: response.status, text: await response.text() };
  },
  async tls() {
    try {
      await fetch(`https://127.0.0.1:${TLS_PORT}/`);
      return { error: "none" };
    } catch (e) {
      return { error: `${e.name}: ${e.message}` };
    }
  },
};
export default {
  async fetch(request, env, ctx) {
    const name = new URL(request.url).pathname.slice(1);
    try {
      return Response.json(await tests[name](env, ctx));
    } catch (e) {
      return Response.json({ thrown: `${e.name}: ${e.message}` });
    }
  },
};
)";

// The called tenant of the service binding test: logs what it got, answers with a streamed body.
constexpr char kAuth[] = R"(
export default {
  async fetch(request) {
    const body = await request.text();
    console.log(`auth saw ${request.method} ${request.url} token=${request.headers.get("x-token")} body=${body}`);
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("ok:"));
        controller.enqueue(new TextEncoder().encode(body));
        controller.close();
      },
    });
    return new Response(stream, { headers: { "x-served-by": "auth" } });
  },
};
)";

// The called tenant of the streamed service call: counts what its request body gives, chunk by chunk.
constexpr char kCount[] = R"(
export default {
  async fetch(request) {
    const path = new URL(request.url).pathname;
    // An endless body, and whether its reader let go of it.
    if (path === "/endless") {
      return new Response(new ReadableStream({
        pull(controller) { controller.enqueue(new Uint8Array(64 * 1024)); },
        cancel() { globalThis.cancelled = true; },
      }));
    }
    if (path === "/cancelled") return new Response(String(globalThis.cancelled === true));
    let bytes = 0;
    let chunks = 0;
    for await (const chunk of request.body) {
      bytes += chunk.byteLength;
      chunks++;
    }
    return new Response(`${bytes} bytes in ${chunks > 1 ? "many" : chunks} chunks`);
  },
};
)";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  for (size_t at; (at = text.find(from)) != std::string::npos;) text.replace(at, from.size(), to);
  return text;
}

class Fetch : public ::testing::Test {
 protected:
  // Starts atoll with tenant "a" (outbound and limits from `tenant_extra`) and tenant "auth".
  // Tenant "a" runs the tests; a CPU budget well above the default 50 ms, so that a busy
  // machine does not turn a slow run (first use of fetch and streams) into a cpu_limit.
  void Start(const std::string& tenant_extra, int tls_port = 0) {
    fixture_.Write("a.js", Replace(Replace(kHandler, "${UPSTREAM_PORT}", std::to_string(upstream_.port())),
                                   "${TLS_PORT}", std::to_string(tls_port)));
    fixture_.Write("auth.js", kAuth);
    fixture_.Write("count.js", kCount);
    server_ = std::make_unique<TestServer>(fixture_.WriteConfig("", R"(
[[tenants]]
name = "auth"
script = "auth.js"

[[tenants]]
name = "count"
script = "count.js"
memory_mb = 16
cpu_ms = 1000

[[tenants]]
name = "a"
script = "a.js"
routes = ["*/*"]
cpu_ms = 1000
)" + tenant_extra));
  }
  std::string Run(const std::string& name) { return Get(server_->port(), "/" + name).body; }

  Upstream upstream_;
  TenantFixture fixture_;
  std::unique_ptr<TestServer> server_;
};

int64_t Number(const std::string& json, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(json, m, std::regex("\"" + key + "\":(\\d+)"))) return -1;
  return std::stoll(m[1]);
}

std::string Allowed(int port) { return "outbound = [\"127.0.0.1:" + std::to_string(port) + "\"]\n"; }

TEST_F(Fetch, ResponseBodyStreamsAsItArrives) {
  Start(Allowed(upstream_.port()));
  std::string result = Run("stream");
  EXPECT_NE(result.find("\"text\":\"firstlast\""), std::string::npos) << result;
  int64_t first = Number(result, "first"), last = Number(result, "last");
  ASSERT_GE(first, 0) << result;
  EXPECT_GT(last - first, 500) << "the first chunk waited for the last: " << result;
  std::printf("first chunk after %lld ms, last after %lld ms\n", static_cast<long long>(first), static_cast<long long>(last));
}

TEST_F(Fetch, UploadsAStreamedRequestBody) {
  Start(Allowed(upstream_.port()));
  std::string result = Run("upload");
  EXPECT_NE(result.find("\"status\":200"), std::string::npos) << result;
  EXPECT_NE(result.find("\"text\":\"100000 chunked\""), std::string::npos) << result;
}

TEST_F(Fetch, FollowsA301AndHonoursManualAndError) {
  Start(Allowed(upstream_.port()));
  std::string result = Run("redirect");
  EXPECT_NE(result.find("\"status\":200"), std::string::npos) << result;
  EXPECT_NE(result.find("\"redirected\":true"), std::string::npos) << result;
  EXPECT_NE(result.find("/hello\""), std::string::npos) << result;
  EXPECT_NE(result.find("\"text\":\"hello\""), std::string::npos) << result;
  EXPECT_NE(result.find("\"manual\":301"), std::string::npos) << result;
  EXPECT_NE(result.find("\"location\":\"/hello\""), std::string::npos) << result;
  EXPECT_NE(result.find("\"error\":\"TypeError\""), std::string::npos) << result;
}

TEST_F(Fetch, AbortSignalTimeoutCancelsAndClosesTheConnection) {
  Start(Allowed(upstream_.port()));
  std::string result = Run("abort");
  EXPECT_NE(result.find("\"error\":\"TimeoutError\""), std::string::npos) << result;
  int64_t ms = Number(result, "ms");
  EXPECT_GE(ms, 150) << result;
  // The upstream never answers: any answer well before the wall limit (30 s) is the abort's.
  // Not a speed bound (a loaded CI box once took over 2 s).
  EXPECT_LT(ms, 10000) << result;
  for (int i = 0; i < 500 && !upstream_.hang_closed(); ++i) std::this_thread::sleep_for(milliseconds(20));
  EXPECT_TRUE(upstream_.hang_closed()) << "the connection stayed open after the abort";
}

TEST_F(Fetch, AFetchedAnswerIsWrittenAtOnceNotAtTheNextTimer) {
  // A regression test, not a speed test: the answer of a fetch() is made in an idle callback of
  // the loop, and its write once waited for the loop's next event (~100 ms here, the periodic
  // timer). Healthy, 10 sequential requests take a few ms; with that bug about a second.
  Start(Allowed(upstream_.port()));
  ASSERT_NE(Run("once").find("\"text\":\"hello\""), std::string::npos);
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 10; ++i) ASSERT_NE(Run("once").find("hello"), std::string::npos);
  auto ms = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(ms, 500) << "10 proxied requests took " << ms << " ms";
}

TEST_F(Fetch, LoopbackIsRefusedWithoutAllowanceAndNothingConnects) {
  Start("");
  std::string result = Run("refused");
  EXPECT_EQ(result.find("allowed"), std::string::npos) << result;
  EXPECT_NE(result.find("TypeError: fetch to 127.0.0.1 refused: loopback address (add it to outbound to allow)"),
            std::string::npos) << result;
  EXPECT_NE(result.find("TypeError: fetch to localhost refused: loopback address"), std::string::npos) << result;
  EXPECT_NE(result.find("TypeError: fetch to [::1] refused: loopback address"), std::string::npos) << result;
  EXPECT_NE(result.find("TypeError: fetch to [::ffff:7f00:1] refused: loopback address"), std::string::npos) << result;
  EXPECT_TRUE(server_->WaitForLog("\"msg\":\"fetch refused\""));
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_EQ(upstream_.accepts(), 0) << "a refused fetch opened a connection";
}

TEST_F(Fetch, TheSixthFetchOverSubrequestsFiveThrows) {
  Start(Allowed(upstream_.port()) + "subrequests = 5\n");
  std::string result = Run("many");
  EXPECT_NE(result.find(R"("out":["hello","hello","hello","hello","hello","TypeError: fetch() refused: this request already made 5 subrequests)"),
            std::string::npos) << result;
  // Keep-alive: the five fetches shared one connection.
  EXPECT_EQ(upstream_.accepts(), 1);
  // The count is per request: the next request may fetch again.
  EXPECT_NE(Run("many").find("\"hello\""), std::string::npos);
}

TEST_F(Fetch, ServiceBindingCallsTheOtherTenantWithoutASocket) {
  Start("[tenants.services]\nAUTH = \"auth\"\n");
  std::string result = Run("service");
  EXPECT_NE(result.find("\"status\":200"), std::string::npos) << result;
  EXPECT_NE(result.find("\"header\":\"auth\""), std::string::npos) << result;
  EXPECT_NE(result.find("\"text\":\"ok:payload\""), std::string::npos) << result;
  EXPECT_TRUE(server_->WaitForLog("auth saw POST http://auth.internal/check?user=ann token=t1 body=payload"))
      << server_->log();
  EXPECT_NE(server_->log().find("\"tenant\":\"auth\""), std::string::npos);
  EXPECT_EQ(upstream_.accepts(), 0);
}

TEST_F(Fetch, AServiceBindingCallStreamsItsRequestBody) {
  // Whole, the body would be three times either tenant's memory.
  Start("memory_mb = 16\n[tenants.services]\nCOUNT = \"count\"\n");
  std::string result = Run("serviceStream");
  EXPECT_NE(result.find("\"status\":200"), std::string::npos) << result;
  EXPECT_NE(result.find("\"text\":\"" + std::to_string(48 << 20) + " bytes in many chunks\""), std::string::npos)
      << result;
  EXPECT_EQ(upstream_.accepts(), 0);
}

// As Workers ends a request's I/O with it: a fetched body nobody read lets go of its connection
// when the request ends (before, each such request kept one open for good: 230 after 230
// requests, a worker's file descriptors in the end), a fetch in waitUntil when its promise
// settles; read by a later request, the kept body errors instead of hanging.
TEST_F(Fetch, AResponseLeftUnreadClosesItsConnectionWhenTheRequestEnds) {
  Start(Allowed(upstream_.port()));
  EXPECT_EQ(Run("unread"), "{\"status\":200}");
  EXPECT_TRUE(WaitFor([&] { return upstream_.big_closed(); }, Slow(milliseconds(5000))))
      << "the upstream is still sending\n" << server_->log();

  EXPECT_EQ(Run("keep"), "{\"status\":200}");
  std::string later = Run("readKept");
  EXPECT_NE(later.find("TypeError"), std::string::npos) << later;
  EXPECT_NE(later.find("after the request that made it ended"), std::string::npos) << later;

  EXPECT_EQ(Run("waitUntilSlow"), "{\"answered\":true}");
  EXPECT_TRUE(WaitFor([&] { return Run("waited") == "{\"waited\":\"firstlast\"}"; }, Slow(milliseconds(5000))))
      << Run("waited");
}

// The same for a service binding's call: the called tenant's response stream is cancelled (from
// the loop, after the caller's run: cancelling runs the called tenant's JS).
TEST_F(Fetch, AServiceBindingsResponseLeftUnreadIsCancelledWhenTheRequestEnds) {
  Start("[tenants.services]\nCOUNT = \"count\"\n");
  EXPECT_EQ(Run("serviceUnread"), "{\"status\":200}");
  EXPECT_TRUE(WaitFor([&] { return Run("serviceCancelled") == "{\"cancelled\":\"true\"}"; }, Slow(milliseconds(5000))))
      << Run("serviceCancelled") << "\n" << server_->log();
}

TEST_F(Fetch, AWaitUntilThatNeverSettlesHoldsTheRequestsFetchesForWaitUntilMs) {
  Start(Allowed(upstream_.port()) + "wait_until_ms = 300\n");
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Run("waitForever"), "{\"answered\":true}");
  EXPECT_TRUE(WaitFor([&] { return upstream_.big_closed(); }, Slow(milliseconds(5000))))
      << "the upstream is still sending\n" << server_->log();
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(300)) << "not before wait_until_ms";
}

TEST_F(Fetch, ASelfSignedCertificateFailsVerification) {
  // A local TLS upstream with a self-signed certificate: `openssl s_server` on 127.0.0.1.
  std::string dir = fixture_.dir().string();
  std::string make = "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -days 1 -keyout " + dir +
                     "/key.pem -out " + dir + "/cert.pem >/dev/null 2>&1";
  if (std::system(make.c_str()) != 0) GTEST_SKIP() << "no openssl command to make a certificate";
  int probe = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(probe, reinterpret_cast<sockaddr*>(&addr), &len);
  int tls_port = ntohs(addr.sin_port);
  close(probe);
  pid_t pid = fork();
  if (pid == 0) {
    std::string accept = "127.0.0.1:" + std::to_string(tls_port);
    std::string cert = dir + "/cert.pem", key = dir + "/key.pem";
    freopen("/dev/null", "w", stdout);
    freopen("/dev/null", "w", stderr);
    execlp("openssl", "openssl", "s_server", "-accept", accept.c_str(), "-cert", cert.c_str(), "-key", key.c_str(),
           "-www", "-quiet", static_cast<char*>(nullptr));
    _exit(127);
  }
  std::this_thread::sleep_for(milliseconds(500));
  Start("outbound = [\"127.0.0.1:" + std::to_string(tls_port) + "\"]\n", tls_port);
  std::string result = Run("tls");
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  EXPECT_NE(result.find("TypeError: fetch to https://127.0.0.1:"), std::string::npos) << result;
  EXPECT_NE(result.find("certificate verification failed"), std::string::npos) << result;
}

}  // namespace
}  // namespace atl::testing
