// Per-tenant limits through the real binary: a tenant that blows its memory, CPU or wall-time
// budget gets 503 with the limit's code, its next request runs on a fresh isolate, and the
// tenant next door answers 200 all the while.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

// Tenant "a" misbehaves on request (path chooses how); tenant "b" is a well-behaved neighbour.
// Module state `n` shows whether "a" kept its isolate.
class LimitsTest : public ::testing::Test {
 protected:
  void Start(const std::string& a_limits) {
    fixture_.Write("a.js", R"(
let n = 0;
export default {
  async fetch(request) {
    n++;
    const path = "/" + request.url.split("/").slice(3).join("/");
    if (path === "/heap") { const keep = []; while (true) keep.push({ n, s: "x".repeat(64) }); }
    if (path === "/buffers") { const keep = []; for (let i = 0; i < 512; i++) keep.push(new Uint8Array(1 << 20)); }
    if (path === "/crypto") {
      // Some CPU first, so that the neighbour is served while this runs.
      let x = 0;
      for (let k = 0; k < 3e7; k++) x += k;
      await crypto.subtle.digest("SHA-256", new Uint8Array(10 << 20));
    }
    if (path === "/dropped") {
      // 64 MB of buffers made and dropped, by JS and by natives (TextEncoder's output): never
      // more than one held at a time.
      const encoder = new TextEncoder();
      const text = "x".repeat(1 << 20);
      let total = 0;
      for (let i = 0; i < 32; i++) total += new Uint8Array(1 << 20).length + encoder.encode(text).length;
      return new Response(`a ${n} ${total}`);
    }
    if (path === "/upload") { return new Response(String((await request.arrayBuffer()).byteLength)); }
    if (path === "/loop") { while (true) {} }
    if (path === "/regex") { /^(a+)+$/.test("a".repeat(40) + "!"); }
    if (path === "/microtasks") { const spin = () => Promise.resolve().then(spin); spin(); await new Promise(() => {}); }
    if (path === "/hang") { await new Promise(() => {}); }
    if (path === "/hang-logged") { console.log("hanging now"); await new Promise(() => {}); }
    if (path === "/slices") {
      // 40 runs of a few ms each: every run is far under cpu_ms, their sum is not.
      let x = 0;
      for (let i = 0; i < 40; i++) {
        for (let k = 0; k < 3e6; k++) x += k;
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      return new Response("survived " + x);
    }
    return new Response("a " + n);
  }
};)");
    fixture_.Write("b.js", "export default { fetch() { return new Response('b'); } };");
    server_ = std::make_unique<TestServer>(fixture_.WriteConfig("", R"(
[[tenants]]
name = "a"
script = "a.js"
routes = ["a.test/*"]
)" + a_limits + R"(
[[tenants]]
name = "b"
script = "b.js"
routes = ["b.test/*"]
)"));
  }
  HttpResponse A(const std::string& path) { return GetFrom(server_->port(), "a.test", path); }
  HttpResponse B() { return GetFrom(server_->port(), "b.test", "/"); }

  // `a` misbehaves at `path` and gets `error` while `b` keeps answering; then `a` is fresh.
  void ExpectKilled(const std::string& path, const std::string& error) {
    EXPECT_EQ(A("/").body, "a 1");
    std::atomic<bool> done{false};
    std::atomic<int> b_ok{0}, b_bad{0};
    std::thread neighbour([&] {
      while (!done) (B().status == 200 ? b_ok : b_bad)++;
    });
    // The neighbour is answering before the kill starts and is still answering after it ends.
    while (b_ok + b_bad == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    HttpResponse killed = A(path);
    for (int before = b_ok + b_bad; b_ok + b_bad < before + 2;) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    done = true;
    neighbour.join();
    EXPECT_EQ(killed.status, 503) << path << ": " << killed.body;
    EXPECT_EQ(killed.body, "{\"error\":\"" + error + "\"}");
    EXPECT_EQ(b_bad, 0) << "the neighbour failed while " << path << " ran";
    EXPECT_GT(b_ok, 0);
    EXPECT_EQ(B().status, 200);
    EXPECT_EQ(A("/").body, "a 1") << "a fresh isolate after the kill";
    EXPECT_TRUE(server_->running());
  }

  TenantFixture fixture_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(LimitsTest, HeapBombGetsMemoryLimit) {
  Start("memory_mb = 16\ncpu_ms = 10000");
  ExpectKilled("/heap", "memory_limit");
}

TEST_F(LimitsTest, ArrayBuffersCountAgainstTheSameBudget) {
  Start("memory_mb = 16\ncpu_ms = 10000");
  ExpectKilled("/buffers", "memory_limit");
}

// Buffers nobody holds count until a GC frees them: a tenant that makes and drops 64 MB of them
// through a 16 MB budget is refused an allocation now and then, and goes on after the GC that
// V8 (or the native making the buffer) runs before trying again.
TEST_F(LimitsTest, BuffersMadeAndDroppedPastTheBudgetAreNotAMemoryLimit) {
  Start("memory_mb = 16\ncpu_ms = 10000");
  for (int i = 1; i <= 3; ++i) {
    HttpResponse response = A("/dropped");
    EXPECT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.body, "a " + std::to_string(i) + " " + std::to_string(64 << 20)) << "the same isolate each time";
  }
}

// WebCrypto copies its input (and makes its output) through the same budget; a refused
// allocation there stops the tenant, not the process.
TEST_F(LimitsTest, CryptoBuffersCountAgainstTheSameBudget) {
  Start("memory_mb = 16\ncpu_ms = 10000");
  ExpectKilled("/crypto", "memory_limit");
}

TEST_F(LimitsTest, ReadingAnUploadLargerThanTheMemoryBudgetGetsMemoryLimit) {
  Start("memory_mb = 16\ncpu_ms = 10000\nmax_request_body = \"64MB\"");
  EXPECT_EQ(A("/").body, "a 1");
  RawClient client(server_->port());
  // Within max_request_body, over the 16 MB budget: streamed in, then gathered by arrayBuffer().
  const std::string body(40 << 20, 'x');
  client.Send("POST /upload HTTP/1.1\r\nHost: a.test\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n");
  client.Send(body);
  HttpResponse refused = client.ReadResponse();
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(refused.body, "{\"error\":\"memory_limit\"}");
  EXPECT_TRUE(server_->running());
  EXPECT_EQ(B().status, 200);
  EXPECT_EQ(A("/").body, "a 1") << "a fresh isolate after the kill";
}

TEST_F(LimitsTest, EndlessLoopGetsCpuLimit) {
  Start("cpu_ms = 20");
  ExpectKilled("/loop", "cpu_limit");
}

TEST_F(LimitsTest, CatastrophicRegexGetsCpuLimit) {
  Start("cpu_ms = 20");
  ExpectKilled("/regex", "cpu_limit");
}

TEST_F(LimitsTest, EndlessMicrotaskChainGetsCpuLimit) {
  Start("cpu_ms = 20");
  ExpectKilled("/microtasks", "cpu_limit");
}

TEST_F(LimitsTest, CpuBudgetIsSummedOverARequestsRuns) {
  Start("cpu_ms = 50");
  ExpectKilled("/slices", "cpu_limit");
}

TEST_F(LimitsTest, HangingRequestGetsWallLimitAndOnlyItFails) {
  Start("wall_ms = 300");
  EXPECT_EQ(A("/").body, "a 1");
  HttpResponse hung = A("/hang");
  EXPECT_EQ(hung.status, 503);
  EXPECT_EQ(hung.body, "{\"error\":\"wall_limit\"}");
  // Nothing ran away: the isolate (and its module state) stays.
  EXPECT_EQ(A("/").body, "a 3");
  EXPECT_EQ(B().status, 200);
}

TEST_F(LimitsTest, AHangingRequestWhoseClientLeftIsStillGivenUpAtItsWallLimit) {
  Start("wall_ms = 500");
  // The client resets the connection (a half-close would still be answered) before the wall limit.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(server_->port()));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  std::string request = "GET /hang-logged HTTP/1.1\r\nHost: a.test\r\n\r\n";
  ASSERT_EQ(send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  ASSERT_TRUE(server_->WaitForLog("hanging now")) << server_->log();
  linger reset{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
  close(fd);
  EXPECT_TRUE(server_->WaitForLog("wall time limit: request abandoned", std::chrono::seconds(10))) << server_->log();
  EXPECT_EQ(A("/").body, "a 2") << "the isolate stays";
  EXPECT_EQ(server_->Stop(), 0);
  EXPECT_EQ(PoolStat(server_->log(), "wall_kills"), 1);
}

TEST(Limits, RunawayTopLevelIsAScriptErrorNotAHang) {
  TenantFixture fixture;
  fixture.Write("spin.js", "while (true) {}\nexport default { fetch() { return new Response('never'); } };");
  fixture.Write("b.js", "export default { fetch() { return new Response('b'); } };");
  TestServer server(fixture.WriteConfig("", R"(
[[tenants]]
name = "spin"
script = "spin.js"
routes = ["spin.test/*"]
cpu_ms = 10
[[tenants]]
name = "b"
script = "b.js"
routes = ["b.test/*"]
)"));
  for (int i = 0; i < 2; ++i) {
    HttpResponse spin = GetFrom(server.port(), "spin.test", "/");
    EXPECT_EQ(spin.status, 500);
    EXPECT_EQ(spin.body, "{\"error\":\"script_error\"}");
    EXPECT_EQ(GetFrom(server.port(), "b.test", "/").body, "b");
  }
  EXPECT_TRUE(server.WaitForLog("top level hit a limit")) << server.log();
  EXPECT_EQ(server.Stop(), 0);
  EXPECT_EQ(PoolStat(server.log(), "isolates_live"), 1) << "only b";
  size_t attempts = 0;
  for (size_t at = server.log().find("top level hit a limit"); at != std::string::npos;
       at = server.log().find("top level hit a limit", at + 1)) {
    ++attempts;
  }
  EXPECT_EQ(attempts, 1u) << "the second request is refused without running the script again";
}

TEST_F(LimitsTest, KillsAreCounted) {
  Start("cpu_ms = 20\nmemory_mb = 16");
  EXPECT_EQ(A("/loop").status, 503);
  EXPECT_EQ(A("/buffers").status, 503);
  EXPECT_EQ(server_->Stop(), 0);
  EXPECT_EQ(PoolStat(server_->log(), "cpu_kills"), 1);
  EXPECT_EQ(PoolStat(server_->log(), "memory_kills"), 1);
}

}  // namespace
}  // namespace atl::testing
