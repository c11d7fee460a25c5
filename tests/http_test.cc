// The HTTP/1.1 front end, end to end: the real binary on 127.0.0.1, raw bytes on a socket.
#include <gtest/gtest.h>

#include <thread>
#include <utility>
#include <vector>

#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

using std::chrono::milliseconds;

constexpr char kJson[] = "application/json";

std::string Echo() { return SourcePath("tests/scripts/echo.js"); }

TEST(Http, HelloExampleAnswersWithServerAndDateHeaders) {
  TestServer server(SourcePath("examples/hello.js"));
  HttpResponse r = Get(server.port(), "/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.reason, "OK");
  EXPECT_EQ(r.body, "Hello from atoll!\n");
  EXPECT_EQ(r.Header("content-length"), "18");
  EXPECT_EQ(r.Header("server"), "atoll");
  EXPECT_EQ(r.Header("date").size(), 29u);
  EXPECT_EQ(r.Header("content-type"), "text/plain; charset=utf-8");
}

// A string body goes out as UTF-8 whatever V8 stored it as (one pass into a buffer sized for the
// longest encoding, cut to what was written): Latin-1, astral characters, a lone surrogate
// (U+FFFD), and bodies past 64 KB and past 1 M characters.
TEST(Http, StringBodiesAreWrittenAsUtf8) {
  TestServer server(SourcePath("tests/scripts/utf8_bodies.js"));
  std::string e_acute = "\xc3\xa9";
  std::string grin = "\xf0\x9f\x98\x80";
  std::string long_body;
  for (int i = 0; i < 70000; ++i) long_body += e_acute;
  std::string huge_body;
  for (int i = 0; i < 1100000; ++i) huge_body += e_acute;
  for (const auto& [path, body] : std::vector<std::pair<std::string, std::string>>{
           {"/latin1", "caf" + e_acute + " \xc3\xbf\xc3\xa0"},
           {"/astral", "a" + grin + "b" + e_acute},
           {"/lone", "x\xef\xbf\xbdy"},
           {"/long", long_body + grin},
           {"/huge", huge_body + "z"}}) {
    HttpResponse r = Get(server.port(), path);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.Header("content-length"), std::to_string(body.size())) << path;
    EXPECT_TRUE(r.body == body) << path << ": " << r.body.size() << " bytes, expected " << body.size();
  }
}

TEST(Http, KeepAliveServesManyRequestsOnOneConnection) {
  TestServer server(Echo());
  RawClient client(server.port());
  for (int i = 0; i < 5; ++i) {
    client.Send("GET /n" + std::to_string(i) + " HTTP/1.1\r\nHost: a\r\n\r\n");
    HttpResponse r = client.ReadResponse();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "path /n" + std::to_string(i));
    EXPECT_EQ(r.Header("connection"), "");
  }
}

TEST(Http, PipelinedRequestsInOnePacketAnswerInOrder) {
  TestServer server(Echo());
  RawClient client(server.port());
  // The middle one waits on a timer: the third must still come after it.
  client.Send("GET /first HTTP/1.1\r\nHost: a\r\n\r\nGET /sleep HTTP/1.1\r\nHost: a\r\n\r\nGET /third HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(client.ReadResponse().body, "path /first");
  EXPECT_EQ(client.ReadResponse().body, "slept");
  EXPECT_EQ(client.ReadResponse().body, "path /third");
}

TEST(Http, ManyPipelinedRequestsAllAnswerInOrder) {
  TestServer server(Echo());
  RawClient client(server.port());
  std::string batch;
  for (int i = 0; i < 300; ++i) batch += "GET /p" + std::to_string(i) + " HTTP/1.1\r\nHost: a\r\n\r\n";
  client.Send(batch);
  for (int i = 0; i < 300; ++i) {
    HttpResponse r = client.ReadResponse();
    ASSERT_EQ(r.body, "path /p" + std::to_string(i));
  }
}

TEST(Http, ContentLengthAndChunkedRequestBodies) {
  TestServer server(Echo());
  RawClient client(server.port());
  client.Send("POST /echo HTTP/1.1\r\nHost: a\r\nUser-Agent: t/1\r\nX-Custom:  padded  \r\nContent-Length: 5\r\n\r\nhello");
  HttpResponse r = client.ReadResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-type"), kJson);
  EXPECT_EQ(r.body, R"({"method":"POST","url":"http://a/echo","body":"hello","bodyUsed":true,"ua":"t/1","custom":"padded"})");
  client.Send("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nchun\r\n3\r\nked\r\n0\r\n\r\n");
  r = client.ReadResponse();
  EXPECT_NE(r.body.find(R"("body":"chunked")"), std::string::npos) << r.body;
}

TEST(Http, ExpectContinueGets100BeforeTheBody) {
  TestServer server(Echo());
  RawClient client(server.port());
  client.Send("POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  HttpResponse interim = client.ReadResponse();
  EXPECT_EQ(interim.status, 100);
  client.Send("ok");
  HttpResponse r = client.ReadResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(R"("body":"ok")"), std::string::npos);
}

TEST(Http, HeadSendsLengthButNoBody) {
  TestServer server(Echo());
  RawClient client(server.port());
  client.Send("HEAD /binary HTTP/1.1\r\nHost: a\r\n\r\n");
  HttpResponse r = client.ReadResponse(/*head_request=*/true);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-length"), "4");
  client.Send("GET /binary HTTP/1.1\r\nHost: a\r\n\r\n");  // the next bytes are this response's
  r = client.ReadResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, std::string("\0\1\2\xff", 4));
}

TEST(Http, NoContentAndMultipleHeaders) {
  TestServer server(Echo());
  HttpResponse r = Get(server.port(), "/nocontent");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.Header("content-length"), "");
  r = Get(server.port(), "/headers");
  // Repeated headers go out as the header list has them: one line per value.
  std::vector<std::string> cookies, multi;
  for (auto& [n, v] : r.headers) {
    if (n == "set-cookie") cookies.push_back(v);
    if (n == "x-multi") multi.push_back(v);
  }
  EXPECT_EQ(cookies, (std::vector<std::string>{"a=1", "b=2"}));
  EXPECT_EQ(multi, (std::vector<std::string>{"1", "2"}));
}

TEST(Http, LargeResponseBodyArrivesWhole) {
  TestServer server(Echo());
  HttpResponse r = Get(server.port(), "/big");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.size(), 4u * 1024 * 1024);
}

TEST(Http, ConnectionCloseAndHttp10) {
  TestServer server(Echo());
  RawClient close(server.port());
  close.Send("GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  HttpResponse r = close.ReadResponse();
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_TRUE(close.WaitForClose());

  RawClient http10(server.port());
  http10.Send("GET /y HTTP/1.0\r\n\r\n");
  r = http10.ReadResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "path /y");
  EXPECT_TRUE(http10.WaitForClose());

  RawClient keep10(server.port());
  keep10.Send("GET /z HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  r = keep10.ReadResponse();
  EXPECT_EQ(r.Header("connection"), "keep-alive");
  keep10.Send("GET /z2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_EQ(keep10.ReadResponse().body, "path /z2");
}

// A server-made error: status, JSON body, and the connection closed after it.
void ExpectError(RawClient& client, int status, const std::string& code) {
  HttpResponse r = client.ReadResponse();
  EXPECT_EQ(r.status, status) << code;
  EXPECT_EQ(r.Header("content-type"), kJson) << code;
  EXPECT_EQ(r.Header("server"), "atoll") << code;
  EXPECT_EQ(r.body, "{\"error\":\"" + code + "\"}");
  EXPECT_TRUE(client.WaitForClose()) << code;
}

TEST(HttpErrors, MalformedRequestsGet400) {
  TestServer server(Echo());
  for (const std::string& bad : {
           std::string("GARBAGE\r\n\r\n"),
           std::string("GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n"),
           std::string("GET / HTTP/1.1\r\nHost: a\r\nX: a\x01z\r\n\r\n"),
           std::string("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
           std::string("GET / HTTP/1.1\r\n\r\n"),  // HTTP/1.1 without Host
           std::string("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
       }) {
    RawClient client(server.port());
    client.Send(bad);
    ExpectError(client, 400, "bad_request");
  }
  EXPECT_EQ(Get(server.port(), "/still").body, "path /still");
}

TEST(HttpErrors, ErrorAfterGoodPipelinedRequestKeepsOrder) {
  TestServer server(Echo());
  RawClient client(server.port());
  client.Send("GET /sleep HTTP/1.1\r\nHost: a\r\n\r\nBROKEN\r\n\r\n");
  EXPECT_EQ(client.ReadResponse().body, "slept");
  ExpectError(client, 400, "bad_request");
}

TEST(HttpErrors, SlowHeadersAndSlowBodyGet408) {
  TestServer server(Echo(), {"--header-timeout-ms", "300", "--body-timeout-ms", "300"});
  RawClient headers(server.port());
  headers.Send("GET / HTTP/1.1\r\nHost: a\r\n");
  RawClient body(server.port());
  body.Send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc");
  // Meanwhile other connections are served.
  EXPECT_EQ(Get(server.port(), "/meanwhile").body, "path /meanwhile");
  ExpectError(headers, 408, "request_timeout");
  ExpectError(body, 408, "request_timeout");
}

TEST(HttpErrors, IdleKeepAliveConnectionIsClosed) {
  TestServer server(Echo(), {"--idle-timeout-ms", "200"});
  RawClient client(server.port());
  client.Send("GET /a HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(client.ReadResponse().status, 200);
  EXPECT_TRUE(client.WaitForClose(milliseconds(3000)));
}

TEST(HttpErrors, OversizedBodiesGet413) {
  TestServer server(Echo(), {"--max-request-body", "1KB"});
  RawClient declared(server.port());
  declared.Send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 20000000\r\n\r\n");
  ExpectError(declared, 413, "body_too_large");

  RawClient chunked(server.port());
  std::string chunk(600, 'x');
  chunked.Send("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n" + chunk + "\r\n258\r\n" + chunk + "\r\n");
  ExpectError(chunked, 413, "body_too_large");

  RawClient expect(server.port());
  expect.Send("POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n");
  ExpectError(expect, 413, "body_too_large");  // refused before any 100 Continue

  RawClient fits(server.port());
  fits.Send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1024\r\n\r\n" + std::string(1024, 'y'));
  EXPECT_EQ(fits.ReadResponse().status, 200);
}

TEST(HttpErrors, HugeHeadersGet431) {
  TestServer server(Echo());
  RawClient client(server.port());
  client.Send("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(70 * 1024, 'h') + "\r\n\r\n");
  ExpectError(client, 431, "headers_too_large");
  RawClient url(server.port());
  url.Send("GET /" + std::string(70 * 1024, 'u') + " HTTP/1.1\r\nHost: a\r\n\r\n");
  ExpectError(url, 431, "headers_too_large");
  EXPECT_EQ(Get(server.port(), "/ok").status, 200);
}

TEST(HttpErrors, ScriptErrorsGet500AndTheMessageOnlyInTheLog) {
  TestServer server(Echo());
  for (const char* path : {"/throw", "/reject", "/nothing"}) {
    RawClient client(server.port());
    client.Send(std::string("GET ") + path + " HTTP/1.1\r\nHost: a\r\n\r\n");
    HttpResponse r = client.ReadResponse();
    EXPECT_EQ(r.status, 500) << path;
    EXPECT_EQ(r.body, R"({"error":"script_error"})") << path;
    EXPECT_EQ(r.Header("content-type"), kJson);
    // The connection stays usable after a script error.
    client.Send("GET /after HTTP/1.1\r\nHost: a\r\n\r\n");
    EXPECT_EQ(client.ReadResponse().body, "path /after");
  }
  EXPECT_TRUE(server.WaitForLog("handler exploded on purpose"));
  EXPECT_TRUE(server.WaitForLog("rejected on purpose"));
  EXPECT_NE(server.log().find(R"("tenant":"default")"), std::string::npos);
}

TEST(Handlers, AsyncHandlerAwaitsATimer) {
  TestServer server(Echo());
  HttpResponse r = Get(server.port(), "/sleep");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "slept");
}

// HTML's timers wait at least their delay. The event loop's clock is read once per loop turn, so a
// timer armed late in a long run (here after 0.5-2 s of busy JS; in practice a cold request's
// compile) was due at the turn's start + delay: a 200 ms timer fired at once. Two timers armed at
// the same moment, 1 ms and 200 ms: the second fires ~199 ms after the first (Date.now() advances
// between entries into JS), not in the same turn.
TEST(Handlers, ATimerArmedLateInALongRunWaitsItsWholeDelay) {
  TenantFixture fixture;
  fixture.Write("late.js", R"JS(export default { async fetch() {
    let x = 0;
    for (let i = 0; i < 1.5e8; i++) x = (x * 31 + i) | 0;
    const first = new Promise((resolve) => setTimeout(() => resolve(Date.now()), 1));
    const second = new Promise((resolve) => setTimeout(() => resolve(Date.now()), 200));
    const [a, b] = await Promise.all([first, second]);
    return new Response(`${b - a} ${x & 1}`);
  } };)JS");
  TestServer server(fixture.WriteConfig("workers = 1\n", R"([[tenants]]
name = "late"
script = "late.js"
routes = ["*/*"]
cpu_ms = 60000
wall_ms = 120000
)"));
  for (int i = 0; i < 2; ++i) {  // a cold request, then a warm one
    HttpResponse r = Get(server.port(), "/");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_GE(std::atoi(r.body.c_str()), 100) << "the 200 ms timer fired " << r.body << " ms after the 1 ms one";
  }
}

// An async handler whose promise is already fulfilled when it returns gets its Response sent by
// the continuation of settleAsync's `await` (90_dispatch.js), queued when the handler returned: the
// microtasks the handler queued before returning run first, in order, and those they queue run
// after the send. (Any shortcut for a fulfilled promise must keep this order; one that sent from a
// native-queued microtask kept it, and was reverted for costing more instructions than the
// await.) The headers show when the Response was read: x-first and x-second were set by
// microtasks queued before the return, x-late two turns later. Sending at
// once (no microtask) would lose x-first and x-second; running every microtask before sending
// would add x-late. Many requests on one connection, so the glue runs optimized too; handlers that
// await, return a plain Response, or resolve to something else keep their answers.
TEST(Handlers, AFulfilledHandlerPromiseIsSentAfterTheMicrotasksItQueued) {
  TenantFixture fixture;
  fixture.Write("order.js", R"JS(let waited = 0;
export default {
  async fetch(request, env, ctx) {
    const path = new URL(request.url).pathname;
    if (path === "/not-a-response") return 42;
    if (path === "/sync") return new Response("sync");
    if (path === "/waited") return new Response(String(waited));
    const response = new Response(path === "/awaits" ? "awaited" : "ok");
    queueMicrotask(() => response.headers.set("x-first", "1"));
    Promise.resolve().then(() => response.headers.set("x-second", "2"))
      .then(() => response.headers.set("x-late", "3"));
    ctx.waitUntil(Promise.resolve().then(() => { waited++; }));
    if (path === "/awaits") await null;
    return response;
  },
};
)JS");
  TestServer server(fixture.WriteConfig("workers = 1\n", R"([[tenants]]
name = "order"
script = "order.js"
routes = ["*/*"]
)"));
  RawClient client(server.port());
  for (int i = 0; i < 300; ++i) {
    client.Send("GET /order HTTP/1.1\r\nHost: a\r\n\r\n");
    HttpResponse r = client.ReadResponse();
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_EQ(r.body, "ok");
    ASSERT_EQ(r.Header("x-first"), "1") << "request " << i;
    ASSERT_EQ(r.Header("x-second"), "2") << "request " << i;
    ASSERT_EQ(r.Header("x-late"), "") << "request " << i;
  }
  // Awaiting: the continuation comes after both microtasks and x-late's turn.
  client.Send("GET /awaits HTTP/1.1\r\nHost: a\r\n\r\n");
  HttpResponse awaited = client.ReadResponse();
  EXPECT_EQ(awaited.body, "awaited");
  EXPECT_EQ(awaited.Header("x-first"), "1");
  EXPECT_EQ(awaited.Header("x-second"), "2");
  EXPECT_EQ(awaited.Header("x-late"), "3");
  client.Send("GET /sync HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(client.ReadResponse().body, "sync");
  client.Send("GET /waited HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(client.ReadResponse().body, "301");
  HttpResponse bad = Get(server.port(), "/not-a-response");
  EXPECT_EQ(bad.status, 500);
  EXPECT_TRUE(server.WaitForLog("handler did not return a Response (got 42)")) << server.log();
}

TEST(Handlers, ServiceWorkerScript) {
  TestServer server(SourcePath("tests/scripts/service_worker.js"));
  RawClient client(server.port());
  client.Send("DELETE /x HTTP/1.1\r\nHost: a\r\n\r\n");
  HttpResponse r = client.ReadResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "sw DELETE 42");
  EXPECT_EQ(r.Header("x-sw"), "yes");
}

TEST(Handlers, ConsoleLogIsAJsonLineWithTheTenant) {
  TestServer server(Echo());
  EXPECT_EQ(Get(server.port(), "/log").body, "logged");
  EXPECT_TRUE(server.WaitForLog(R"("level":"info","msg":"hello from the handler { n: 1 }","tenant":"default")")) << server.log();
}

TEST(Handlers, WaitUntilRunsAfterTheResponse) {
  TestServer server(Echo());
  EXPECT_EQ(Get(server.port(), "/waituntil").body, "answered first");
  EXPECT_TRUE(server.WaitForLog("waitUntil ran"));
}

TEST(Handlers, UnhandledRejectionIsLoggedNotFatal) {
  TestServer server(Echo());
  EXPECT_EQ(Get(server.port(), "/orphan").body, "orphaned");
  EXPECT_TRUE(server.WaitForLog("Uncaught (in promise) RangeError: nobody handles this")) << server.log();
  EXPECT_EQ(server.log().find("handled in time"), std::string::npos) << server.log();
  EXPECT_EQ(Get(server.port(), "/after").status, 200);
}

TEST(Handlers, GlobalStatePersistsAcrossRequests) {
  TestServer server(Echo());
  int first = std::stoi(Get(server.port(), "/count").body);
  EXPECT_EQ(std::stoi(Get(server.port(), "/count").body), first + 1);
}


}  // namespace
}  // namespace atl::testing
