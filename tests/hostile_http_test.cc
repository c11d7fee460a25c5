// The hostile suite, HTTP area (issue 12 items 6, 13, 14): a hostile client against the real
// binary on 127.0.0.1: request framing that a proxy in front could read differently, connection
// floods, and a multi-worker start on a fresh data_dir. Each test has a victim: a well-formed
// client that must keep getting 200 from the same worker process.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Two tenants routed by Host: the attacker's requests go to a.test, the victim's to b.test.
std::string TwoTenants(const TenantFixture& fixture, const std::string& server_extra = "") {
  fixture.Write("a.js", R"(export default { fetch(req) { return new Response("a " + new URL(req.url).pathname); } };)");
  fixture.Write("b.js", R"(export default { fetch(req) { return new Response("b " + new URL(req.url).pathname); } };)");
  return fixture.WriteConfig(server_extra, R"(
[[tenants]]
name = "a"
script = "a.js"
routes = ["a.test/*"]
max_request_body = "1KB"
[[tenants]]
name = "b"
script = "b.js"
routes = ["b.test/*"]
)");
}

// The victim: a fresh connection to tenant b answers 200.
void ExpectVictimServed(const TestServer& server, const std::string& what) {
  HttpResponse r = GetFrom(server.port(), "b.test", "/victim");
  EXPECT_EQ(r.status, 200) << what;
  EXPECT_EQ(r.body, "b /victim") << what;
}

// Sends `bytes` and expects exactly one response, `status`, then the connection closed.
void ExpectOneResponseThenClose(int port, const std::string& bytes, int status, const std::string& what) {
  RawClient client(port);
  client.Send(bytes);
  HttpResponse r = client.ReadResponse();
  EXPECT_EQ(r.status, status) << what;
  // Nothing after it (a second response, or the answer to a smuggled request), then EOF.
  EXPECT_EQ(client.ReadSome(milliseconds(300)), "") << what;
  EXPECT_TRUE(client.WaitForClose(seconds(5))) << what;
}

// Issue 12 item 14: a chunked body that crosses max_request_body after its handler answered. Expected: one response, then close.
TEST(HostileHttp, ChunkedBodyCrossingTheLimitGetsOneResponse) {
  TenantFixture fixture;
  TestServer server(TwoTenants(fixture));
  pid_t worker = server.worker_pid();
  const std::string chunk(600, 'x');
  const std::string head = "POST /up HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n";

  // The head and a first chunk: the handler gets a streamed body and answers without reading it.
  RawClient client(server.port());
  client.Send(head + "258\r\n" + chunk + "\r\n");
  HttpResponse first = client.ReadResponse();
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.body, "a /up");
  // The rest crosses the tenant's 1 KB: the answer stands, no second one, the connection closes.
  client.Send("258\r\n" + chunk + "\r\n258\r\n" + chunk + "\r\n0\r\n\r\n");
  EXPECT_EQ(client.ReadSome(milliseconds(500)), "");
  EXPECT_TRUE(client.WaitForClose(seconds(5)));

  // All in one write, a pipelined request after it: exactly one response to the first, then close.
  RawClient at_once(server.port());
  at_once.Send(head + "258\r\n" + chunk + "\r\n258\r\n" + chunk + "\r\n0\r\n\r\nGET /after HTTP/1.1\r\nHost: a.test\r\n\r\n");
  HttpResponse only = at_once.ReadResponse();
  EXPECT_TRUE(only.status == 413 || only.status == 200) << only.status;
  EXPECT_EQ(at_once.ReadSome(milliseconds(500)), "");
  EXPECT_TRUE(at_once.WaitForClose(seconds(5)));

  ExpectVictimServed(server, "after the oversized chunked body");
  EXPECT_EQ(server.worker_pid(), worker);
}

// Issue 12 item 14: chunk data not followed by CRLF, then a pipelined request. Expected: 400 and close; the pipelined request is never served.
TEST(HostileHttp, ChunkDataWithoutCrlfIsRejected) {
  TenantFixture fixture;
  TestServer server(TwoTenants(fixture));
  pid_t worker = server.worker_pid();
  ExpectOneResponseThenClose(server.port(),
                             "POST /up HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "2\r\nabXX0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a.test\r\n\r\n",
                             400, "abXX");
  // The same with the bytes arriving one segment at a time.
  RawClient slow(server.port());
  slow.Send("POST /up HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab");
  std::this_thread::sleep_for(milliseconds(100));
  slow.Send("XX0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a.test\r\n\r\n");
  HttpResponse r = slow.ReadResponse();
  // The handler may answer the streamed request before the bad framing arrives; never a second response.
  EXPECT_TRUE(r.status == 400 || r.status == 200) << r.status;
  EXPECT_EQ(slow.ReadSome(milliseconds(300)), "");
  EXPECT_TRUE(slow.WaitForClose(seconds(5)));
  EXPECT_EQ(server.log().find("/smuggled"), std::string::npos);
  ExpectVictimServed(server, "after the chunk framing attack");
  EXPECT_EQ(server.worker_pid(), worker);
}

// Issue 12 item 14: two Host headers naming different tenants. Expected: 400 and close, routed to neither.
TEST(HostileHttp, DuplicateHostHeadersAreRejected) {
  TenantFixture fixture;
  TestServer server(TwoTenants(fixture));
  ExpectOneResponseThenClose(server.port(), "GET /x HTTP/1.1\r\nHost: b.test\r\nHost: a.test\r\n\r\n", 400, "two hosts");
  ExpectOneResponseThenClose(server.port(), "GET /x HTTP/1.1\r\nHost: a.test\r\nhost: a.test\r\n\r\n", 400, "same host twice");
  ExpectVictimServed(server, "after duplicate Host");
}

// Issue 12 item 14: the other ways to make two parsers disagree on where a request ends. Expected: 400 and close each.
TEST(HostileHttp, AmbiguousFramingIsRejected) {
  TenantFixture fixture;
  TestServer server(TwoTenants(fixture));
  pid_t worker = server.worker_pid();
  const std::string smuggled = "GET /smuggled HTTP/1.1\r\nHost: a.test\r\n\r\n";
  for (const std::string& bad : {
           std::string("POST /p HTTP/1.1\r\nHost: a.test\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
           std::string("POST /p HTTP/1.1\r\nHost: a.test\r\nContent-Length: 0\r\nContent-Length: 40\r\n\r\n"),
           std::string("POST /p HTTP/1.1\r\nHost: a.test\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n"),
           std::string("POST /p HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"),
           std::string("POST /p HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
           std::string("GET /p HTTP/1.1\r\nHost: a.test\r\nX-Folded: a\r\n Content-Length: 40\r\n\r\n"),
           std::string("GET /p HTTP/1.1\nHost: a.test\n\n"),
           std::string("GET /p HTTP/1.1\r\nHost: a.test\nContent-Length: 40\r\n\r\n"),
           std::string("POST /p HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n2\nab\r\n0\r\n\r\n"),
       }) {
    ExpectOneResponseThenClose(server.port(), bad + smuggled, 400, bad);
  }
  EXPECT_EQ(server.log().find("/smuggled"), std::string::npos);
  ExpectVictimServed(server, "after the framing attacks");
  EXPECT_EQ(server.worker_pid(), worker);
}

// Issue 12 item 13: `--workers 2` on a fresh data_dir with several KV namespaces (both workers open the same new SQLite files at once). Expected: it starts, every time, and both workers serve KV.
TEST(HostileHttp, TwoWorkersStartOnAFreshDataDirWithKvNamespaces) {
  constexpr const char* kKv = R"(
export default {
  async fetch(request, env) {
    await env.ONE.put("k", "1");
    await env.TWO.put("k", "2");
    await env.THREE.put("k", "3");
    return new Response([await env.ONE.get("k"), await env.TWO.get("k"), await env.THREE.get("k")].join(""));
  },
};
)";
  for (int run = 0; run < 10; ++run) {
    TenantFixture fixture;  // a fresh folder, so a fresh data_dir, each run
    fixture.Write("kv.js", kKv);
    std::string config = fixture.WriteConfig("", R"(
[[tenants]]
name = "a"
script = "kv.js"
routes = ["a.test/*"]
[tenants.kv]
ONE = "one"
TWO = "two"
THREE = "three"
[[tenants]]
name = "b"
script = "kv.js"
routes = ["b.test/*"]
[tenants.kv]
ONE = "four"
TWO = "five"
THREE = "six"
)");
    TestServer server(config, {"--workers", "2"});
    ASSERT_TRUE(server.WaitForLog(R"("msg":"worker ready","worker":1)", seconds(20))) << "run " << run << "\n" << server.log();
    for (int i = 0; i < 8; ++i) {
      HttpResponse r = GetFrom(server.port(), i % 2 ? "a.test" : "b.test", "/");
      ASSERT_EQ(r.status, 200) << "run " << run << " " << r.body << "\n" << server.log();
      ASSERT_EQ(r.body, "123") << "run " << run;
    }
    ASSERT_TRUE(server.running()) << "run " << run << "\n" << server.log();
    ASSERT_EQ(server.log().find("database is locked"), std::string::npos) << "run " << run << "\n" << server.log();
    EXPECT_EQ(server.Stop(), 0);
  }
}

// Starts the server with its open-file limit (soft and hard) at `nofile`: ATOLL_BIN through a
// shell that lowers it first.
class LowNofileServer {
 public:
  LowNofileServer(const TenantFixture& fixture, const std::string& config, int nofile,
                  std::vector<std::string> extra = {}) {
    const char* real = std::getenv("ATOLL_BIN");
    std::string bin = real ? real : "";
    std::string wrapper = fixture.Write("atoll-low-nofile.sh", "#!/bin/sh\nulimit -n " + std::to_string(nofile) +
                                                                    "\nexec '" + bin + "' \"$@\"\n");
    std::filesystem::permissions(wrapper, std::filesystem::perms::owner_all);
    setenv("ATOLL_BIN", wrapper.c_str(), 1);
    server = std::make_unique<TestServer>(config, std::move(extra));
    setenv("ATOLL_BIN", bin.c_str(), 1);
  }
  std::unique_ptr<TestServer> server;
};

// Issue 12 item 6: 1,100 idle connections to a worker whose open-file limit is 1,024. Expected: the oldest idle ones are shed, a new client is still served, the worker lives.
TEST(HostileHttp, IdleConnectionFloodShedsTheOldestAndKeepsServing) {
  TenantFixture fixture;
  LowNofileServer low(fixture, TwoTenants(fixture), 1024);
  TestServer& server = *low.server;
  pid_t worker = server.worker_pid();
  ASSERT_GT(worker, 0);
  std::vector<RawClient> idle;
  idle.reserve(1100);
  for (int i = 0; i < 1100; ++i) {
    idle.emplace_back(server.port());
    ASSERT_TRUE(idle.back().connected()) << i;
  }
  // The victim: fresh connections get answers while all 1,100 are still open on our side.
  for (int i = 0; i < 5; ++i) {
    HttpResponse r = GetFrom(server.port(), "b.test", "/victim");
    ASSERT_EQ(r.status, 200) << "victim request " << i << "\n" << server.log().substr(0, 4000);
    EXPECT_EQ(r.body, "b /victim");
  }
  // The oldest idle connection was shed (the server closed it); the newest is still open and served.
  EXPECT_TRUE(idle.front().WaitForClose(seconds(5)));
  idle.back().Send("GET /late HTTP/1.1\r\nHost: a.test\r\n\r\n");
  EXPECT_EQ(idle.back().ReadResponse().body, "a /late");
  EXPECT_TRUE(server.running());
  EXPECT_EQ(server.worker_pid(), worker);
  EXPECT_TRUE(server.WaitForLog("connection limit reached")) << server.log().substr(0, 4000);
}

// Issue 12 item 6: every connection at the cap has a request in progress. Expected: a new client waits in the backlog (not refused, not served ahead), and is served once one closes.
TEST(HostileHttp, BusyConnectionsAtTheCapMakeNewOnesWait) {
  TenantFixture fixture;
  TestServer server(TwoTenants(fixture), {"--max-connections", "4"});
  std::vector<RawClient> busy;
  for (int i = 0; i < 4; ++i) {
    busy.emplace_back(server.port());
    busy.back().Send("GET /slow HTTP/1.1\r\nHost: a.test\r\n");  // a head in progress
  }
  std::this_thread::sleep_for(milliseconds(300));
  RawClient waiting(server.port());
  ASSERT_TRUE(waiting.connected());
  waiting.Send("GET /waited HTTP/1.1\r\nHost: b.test\r\n\r\n");
  EXPECT_EQ(waiting.ReadSome(milliseconds(700)), "");
  busy.erase(busy.begin());  // one closes: the waiting client is accepted
  HttpResponse r = waiting.ReadResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "b /waited");
  EXPECT_TRUE(server.WaitForLog("accepting waits"));
}

// Issue 12 item 6: a cap set above what the open-file limit allows, so accept() itself fails (EMFILE). Expected: no crash, no spin; served again once the flood goes.
TEST(HostileHttp, AcceptOutOfDescriptorsNeitherCrashesNorSpins) {
  TenantFixture fixture;
  LowNofileServer low(fixture, TwoTenants(fixture), 1024, {"--max-connections", "100000"});
  TestServer& server = *low.server;
  pid_t worker = server.worker_pid();
  {
    std::vector<RawClient> flood;
    flood.reserve(1100);
    for (int i = 0; i < 1100; ++i) flood.emplace_back(server.port());
    std::this_thread::sleep_for(milliseconds(500));
    // Out of descriptors, the server sheds idle connections rather than refusing forever.
    bool served = false;
    std::string seen;
    for (int i = 0; i < 20 && !served; ++i) {
      HttpResponse r = GetFrom(server.port(), "b.test", "/victim");
      served = r.status == 200;
      seen += std::to_string(r.status) + " " + r.body + "\n";
    }
    EXPECT_TRUE(served) << seen;
  }
  HttpResponse after;
  for (int i = 0; i < 50 && after.status != 200; ++i) {
    after = GetFrom(server.port(), "b.test", "/victim");
    if (after.status != 200) std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_EQ(after.status, 200);
  EXPECT_TRUE(server.running());
  EXPECT_EQ(server.worker_pid(), worker);
}

}  // namespace
}  // namespace atl::testing
