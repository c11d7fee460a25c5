// The hostile suite, memory area (issue 12 items 2, 4, 7, 8): a tenant that overflows its heap in
// one operation, fills native memory outside the heap, escapes to shared memory or waits on an
// asynchronous WebAssembly compile. Each test runs the real binary with a victim tenant next to
// the attacker: the victim keeps answering 200 and the worker process survives (same pid).
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

// gzip of `input` repeated `times` times.
std::string Gzip(const std::string& input, size_t times) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
  std::string out;
  char buffer[1 << 16];
  for (size_t i = 0; i <= times; ++i) {
    bool last = i == times;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
    z.avail_in = last ? 0 : static_cast<uInt>(input.size());
    do {
      z.next_out = reinterpret_cast<Bytef*>(buffer);
      z.avail_out = sizeof buffer;
      deflate(&z, last ? Z_FINISH : Z_NO_FLUSH);
      out.append(buffer, sizeof buffer - z.avail_out);
    } while (z.avail_out == 0);
  }
  deflateEnd(&z);
  return out;
}

// The highest resident memory of `pid` so far, in MB.
int64_t PeakResidentMb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmHWM:")) return std::stoll(line.substr(6)) / 1024;
  }
  return -1;
}

// The attacker's script: each path is one attack; "/" answers how many requests this isolate
// served (1 on a fresh isolate).
constexpr char kAttacker[] = R"(
let n = 0;
// A tiny module: (func (export "f") (result i32) (i32.const 42)).
const ANSWER = new Uint8Array([0,97,115,109,1,0,0,0, 1,5,1,96,0,1,127, 3,2,1,0, 7,5,1,1,102,0,0,
                               10,6,1,4,0,65,42,11]);
// A memory section defining a shared memory (flags 3: maximum, shared), and an import of one.
const DEFINES_SHARED = new Uint8Array([0,97,115,109,1,0,0,0, 5,4,1,3,1,1]);
const IMPORTS_SHARED = new Uint8Array([0,97,115,109,1,0,0,0, 2,9,1,1,109,1,109,2,3,1,1]);
const NOT_WASM = new Uint8Array([0,97,115,109,2,0,0,0]);
// A module with a memory of its own (1 page, exported as "m") and (func (export "g") (param i32)
// (result i32) (memory.grow (local.get 0))).
const GROWER = new Uint8Array([0,97,115,109,1,0,0,0, 1,6,1,96,1,127,1,127, 3,2,1,0, 5,3,1,0,1,
                               7,9,2,1,103,0,0,1,109,2,0, 10,8,1,6,0,32,0,64,0,11]);
export default {
  async fetch(request) {
    n++;
    const path = new URL(request.url).pathname;
    if (path === "/arrays") { new Array(2e7).fill(1.5); new Array(2e7).fill(2.5); }
    if (path === "/upper") { "x".repeat(2 ** 29 - 100).toUpperCase(); }
    if (path === "/json") { JSON.stringify("x".repeat(2 ** 29 - 100)); }
    if (path === "/shared-memory") {
      const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
      return new Response(Object.prototype.toString.call(memory.buffer));
    }
    if (path === "/shared-modules") {
      const out = [];
      for (const bytes of [DEFINES_SHARED, IMPORTS_SHARED]) {
        try { new WebAssembly.Module(bytes); out.push("compiled"); } catch (e) { out.push(e.name); }
        try { await WebAssembly.compile(bytes); out.push("compiled"); } catch (e) { out.push(e.name); }
      }
      return new Response(out.join(" "));
    }
    if (path === "/compile") {
      const module = await WebAssembly.compile(ANSWER);
      const instance = await WebAssembly.instantiate(module);
      return new Response("compiled " + instance.exports.f());
    }
    if (path === "/instantiate") {
      const { instance } = await WebAssembly.instantiate(ANSWER);
      return new Response("instantiated " + instance.exports.f());
    }
    if (path === "/invalid") {
      try { await WebAssembly.compile(NOT_WASM); } catch (e) { return new Response("rejected " + e.name); }
      return new Response("compiled garbage");
    }
    if (path === "/memory-grow") {
      const memory = new WebAssembly.Memory({ initial: 1 });
      memory.grow(3135);  // to 196 MB
      new Uint8Array(memory.buffer).fill(1);
      return new Response("grown to " + memory.buffer.byteLength);
    }
    if (path === "/memory-2g") {
      const memory = new WebAssembly.Memory({ initial: 32768 });
      new Uint8Array(memory.buffer).fill(1);
      return new Response("filled " + memory.buffer.byteLength);
    }
    if (path === "/module-grow") {
      const { instance } = await WebAssembly.instantiate(GROWER);
      if (instance.exports.g(3135) < 0) return new Response("grow refused");
      new Uint8Array(instance.exports.m.buffer).fill(1);
      return new Response("grown to " + instance.exports.m.buffer.byteLength);
    }
    if (path === "/small-memories") {
      // 40 x 4 MB that are garbage at once: a GC frees them, nothing is killed.
      for (let i = 0; i < 40; i++) new WebAssembly.Memory({ initial: 64 }).grow(1);
      return new Response("small " + n);
    }
    if (path.startsWith("/rsa")) {
      const rsa = (bits) => crypto.subtle.generateKey({ name: "RSASSA-PKCS1-v1_5", modulusLength: bits,
        publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, true, ["sign", "verify"]);
      if (path === "/rsa-then-spin") { rsa(4096); while (true) {} }
      if (path === "/rsa-many") {
        const results = await Promise.allSettled([1, 2, 3, 4, 5, 6].map(() => rsa(1024)));
        return new Response(results.map((r) => r.status === "fulfilled" ? "key" : r.reason.name).join(" "));
      }
      let bits = 0;
      for (let i = 0; i < 3; i++) bits += (await rsa(4096)).publicKey.algorithm.modulusLength;
      return new Response("rsa " + bits);
    }
    if (path === "/inflate") {
      // Twice gunzipped: 2 KB in, 1 GiB out.
      const out = request.body.pipeThrough(new DecompressionStream("gzip")).pipeThrough(new DecompressionStream("gzip"));
      if (new URL(request.url).searchParams.has("whole")) return new Response(String((await new Response(out).arrayBuffer()).byteLength));
      return new Response(out);
    }
    return new Response("a " + n);
  }
};)";

class HostileMemory : public ::testing::Test {
 protected:
  void Start(const std::string& attacker_limits) {
    fixture_.Write("a.js", kAttacker);
    fixture_.Write("v.js", "export default { fetch() { return new Response('victim'); } };");
    server_ = std::make_unique<TestServer>(fixture_.WriteConfig("", R"(
[[tenants]]
name = "attacker"
script = "a.js"
routes = ["a.test/*"]
)" + attacker_limits + R"(
[[tenants]]
name = "victim"
script = "v.js"
routes = ["v.test/*"]
)"));
    // A new server, a new log: its announcement may sit at the old one's offset.
    announced_offset_ = std::string::npos;
    pid_ = server_->worker_pid();
    ASSERT_GT(pid_, 0);
  }
  HttpResponse A(const std::string& path) { return GetFrom(server_->port(), "a.test", path); }
  HttpResponse V() { return GetFrom(server_->port(), "v.test", "/"); }

  // Runs `attack` while a victim client asks the victim tenant in a loop; then checks that the
  // victim never failed and answered after the attack, and that the worker is the same process.
  template <typename Attack>
  void WithVictim(Attack attack) {
    std::atomic<bool> done{false};
    std::atomic<int> ok{0}, bad{0};
    std::thread victim([&] {
      // Served, not fast: a builtin V8 cannot interrupt (a 512 MB toUpperCase) holds the loop for
      // seconds, many more on a loaded machine; the cool-down is what bounds how often.
      while (!done) {
        RawClient client(server_->port());
        client.Send("GET / HTTP/1.1\r\nHost: v.test\r\n\r\n");
        (client.ReadResponse(false, std::chrono::seconds(60)).status == 200 ? ok : bad)++;
      }
    });
    while (ok + bad == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    attack();
    for (int before = ok + bad; ok + bad < before + 2;) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    done = true;
    victim.join();
    EXPECT_EQ(bad, 0) << "the victim failed during the attack";
    EXPECT_GT(ok, 0);
    ExpectSurvived();
  }
  // After a memory kill the attacker runs on a fresh isolate: at once, or after the cool-down the
  // server announced in its log (503 memory_limit meanwhile). The cool-down depends on how long the
  // killed builtin held the loop, so on a slower machine it is longer: wait for what was announced.
  void ExpectFreshIsolate(const std::string& after) {
    HttpResponse fresh = A("/");
    // At least 20 s: the announced cool-down counts from the kill, the loop's clock can lag it on a
    // loaded machine (CI's clean clone once waited 5 s past a 6.2 s announcement and still got 503).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (fresh.body == "{\"error\":\"memory_limit\"}" && std::chrono::steady_clock::now() < deadline) {
      // First read the announcement (it sets announced_at_), then use announced_at_: in one
      // expression the two could be evaluated in either order.
      int64_t cooldown_ms = AnnouncedCooldownMs();
      deadline = std::max(deadline, announced_at_ + std::chrono::milliseconds(cooldown_ms) + std::chrono::seconds(5));
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      fresh = A("/");
    }
    EXPECT_EQ(fresh.body, "a 1") << "a fresh isolate after " << after << "\n" << server_->log();
  }
  // The last "refused_for_ms" the server logged (0 if none); notes when it was first seen.
  int64_t AnnouncedCooldownMs() {
    std::string log = server_->log();
    size_t at = log.rfind("\"refused_for_ms\":");
    if (at == std::string::npos) return 0;
    if (at != announced_offset_) announced_offset_ = at, announced_at_ = std::chrono::steady_clock::now();
    return std::min<int64_t>(std::atoll(log.c_str() + at + 17), 60000);  // max_kill_cooldown_ms
  }
  void ExpectSurvived() {
    EXPECT_EQ(V().body, "victim");
    EXPECT_EQ(server_->worker_pid(), pid_) << "the worker process was replaced:\n" << server_->log();
    EXPECT_TRUE(server_->running());
  }

  TenantFixture fixture_;
  std::unique_ptr<TestServer> server_;
  pid_t pid_ = -1;
  size_t announced_offset_ = std::string::npos;
  std::chrono::steady_clock::time_point announced_at_;
};

// Issue 12 item 2: one statement allocating far past memory_mb (two 160 MB arrays; a 512 MB string upper-cased or stringified) at the default 128 MB. Expected: 503 memory_limit each time, the isolate replaced, the worker alive (no "Fatal javascript OOM"), the victim served, the tenant refused for a while after a kill that held the loop.
TEST_F(HostileMemory, OneHugeAllocationIsAMemoryLimitNotACrash) {
  auto expect_memory_limit = [&](const char* path) {
    RawClient client(server_->port());
    client.Send(std::string("GET ") + path + " HTTP/1.1\r\nHost: a.test\r\n\r\n");
    HttpResponse killed = client.ReadResponse(false, std::chrono::seconds(60));
    EXPECT_EQ(killed.status, 503) << path << ": " << killed.body;
    EXPECT_EQ(killed.body, "{\"error\":\"memory_limit\"}") << path;
  };
  // Each attack on a server of its own: a kill whose builtin held the loop past it refuses the
  // tenant for 10 times that long (README, limits), longer than a test should wait.
  for (const char* path : {"/arrays", "/upper"}) {
    Start("cpu_ms = 100000");  // memory, not CPU, is what stops these
    WithVictim([&] {
      expect_memory_limit(path);
      ExpectFreshIsolate(path);
    });
    EXPECT_EQ(server_->log().find("Fatal javascript OOM"), std::string::npos) << server_->log();
  }
  // Twice in a row: the second kill within 10 s refuses the tenant for a while.
  Start("cpu_ms = 100000");
  WithVictim([&] {
    expect_memory_limit("/arrays");
    ExpectFreshIsolate("/arrays");
    expect_memory_limit("/arrays");
  });
  EXPECT_NE(server_->log().find("limit kills: the tenant is refused"), std::string::npos) << "no cool-down";
  // JSON.stringify of a 512 MB string is one builtin call of seconds that V8 does not interrupt:
  // the loop waits for it (README, limits), so the victim is only checked after it.
  Start("cpu_ms = 100000");
  expect_memory_limit("/json");
  ExpectSurvived();
  // That kill held the loop for seconds past it: the tenant is refused at once, without running.
  EXPECT_EQ(A("/").body, "{\"error\":\"memory_limit\"}");
  EXPECT_TRUE(server_->WaitForLog("\"overrun_ms\":")) << server_->log();  // the worker's line may still be in the pipe
  EXPECT_EQ(server_->log().find("Fatal javascript OOM"), std::string::npos) << server_->log();
}

// Issue 12 item 7: new WebAssembly.Memory({shared: true}) and modules that define or import a
// shared memory. Expected: no SharedArrayBuffer reaches the tenant (the constructor makes a plain
// memory; such modules fail to compile, synchronously and asynchronously).
TEST_F(HostileMemory, SharedWasmMemoryIsRefused) {
  Start("");
  EXPECT_EQ(A("/shared-memory").body, "[object ArrayBuffer]");
  EXPECT_EQ(A("/shared-modules").body, "CompileError CompileError CompileError CompileError");
  ExpectSurvived();
}

// Issue 12 item 8: await WebAssembly.compile(bytes) / WebAssembly.instantiate(bytes). Expected:
// both settle and the handler answers (not 503 wall_limit after 30 s); invalid bytes reject.
TEST_F(HostileMemory, AsyncWasmCompileAndInstantiateSettle) {
  Start("wall_ms = 5000");
  WithVictim([&] {
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(A("/compile").body, "compiled 42");
      EXPECT_EQ(A("/instantiate").body, "instantiated 42");
      EXPECT_EQ(A("/invalid").body, "rejected CompileError");
    }
  });
}

// Issue 12 item 4b: a 16 MB tenant grows a WebAssembly.Memory to 196 MB from JS, or from Wasm
// code a module-declared memory, and fills it; a 128 MB tenant fills a 2 GiB Memory. Expected:
// 503 memory_limit before the pages are touched (no 2 GB RSS, no multi-second stall), the
// victim served; memories that are garbage at once are collected, not counted.
TEST_F(HostileMemory, WasmMemoryCountsAgainstMemoryMb) {
  Start("memory_mb = 16\ncpu_ms = 100000");
  WithVictim([&] {
    EXPECT_EQ(A("/small-memories").body, "small 1");
    for (const char* path : {"/memory-grow", "/module-grow", "/memory-2g"}) {
      HttpResponse killed = A(path);
      EXPECT_EQ(killed.body, "{\"error\":\"memory_limit\"}") << path;
      ExpectFreshIsolate(path);
    }
  });
  EXPECT_LT(PeakResidentMb(pid_), 400) << "Wasm pages were filled past the budget";
}

// Issue 12 item 4c: three RSA-4096 generateKey in a row (seconds of one OpenSSL call each).
// Expected: made off the loop's thread, so the victim is answered many times while they run; a
// tenant killed with a key generation in flight leaves nothing behind; at most 4 in flight.
TEST_F(HostileMemory, RsaKeyGenerationDoesNotBlockTheLoop) {
  // Key generation time has a long tail (one RSA-4096 key: 0.4-3.2 s on a quiet core here) and CI
  // runs this beside other suites: 3 keys took over 30 s there once. The wall limit is generous;
  // what is asserted is that the loop kept answering meanwhile.
  const auto wall = Slow(std::chrono::seconds(60));
  Start("wall_ms = " + std::to_string(wall.count()));
  WithVictim([&] {
    RawClient keygen(server_->port());
    keygen.Send("GET /rsa HTTP/1.1\r\nHost: a.test\r\n\r\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    int answered_meanwhile = 0;
    std::string response;
    for (auto give_up = std::chrono::steady_clock::now() + wall + std::chrono::seconds(10);
         response.empty() && std::chrono::steady_clock::now() < give_up;) {
      EXPECT_EQ(V().status, 200);
      response = keygen.ReadSome(std::chrono::milliseconds(5));
      if (response.empty()) ++answered_meanwhile;
    }
    EXPECT_NE(response.find("rsa 12288"), std::string::npos) << response;
    EXPECT_GE(answered_meanwhile, 5) << "the victim waited for the key generation";
  });
  EXPECT_EQ(A("/rsa-then-spin").body, "{\"error\":\"cpu_limit\"}");
  EXPECT_EQ(A("/rsa-many").body, "key key key key RangeError RangeError");
  std::this_thread::sleep_for(std::chrono::seconds(2));  // the killed isolate's key is done by now
  ExpectSurvived();
}

// Issue 12 item 4a: a 2 KB gzip(gzip(1 GiB of zeros)) through two DecompressionStreams, streamed
// to a client that reads a little, and read whole by the handler. Expected: the output comes in
// small pieces only as fast as it is read (the worker's peak RSS stays far below 1 GiB, the
// victim is served throughout); read whole, it is a memory kill at memory_mb.
TEST_F(HostileMemory, GzipBombInflatesOnlyAsFastAsItIsRead) {
  const std::string bomb = Gzip(Gzip(std::string(1 << 20, '\0'), 1024), 1);
  ASSERT_LT(bomb.size(), 8000u);
  Start("cpu_ms = 100000");
  auto post = [&](const std::string& path) {
    RawClient client(server_->port());
    client.Send("POST " + path + " HTTP/1.1\r\nHost: a.test\r\nContent-Length: " + std::to_string(bomb.size()) +
                "\r\n\r\n" + bomb);
    return client;
  };
  WithVictim([&] {
    for (int i = 0; i < 3; ++i) {
      RawClient reader = post("/inflate");
      std::string some;
      for (int reads = 0; reads < 100 && some.size() < (4u << 20); ++reads) some += reader.ReadSome(std::chrono::milliseconds(50));
      EXPECT_NE(some.find("200 OK"), std::string::npos) << some.substr(0, 200);
      EXPECT_GE(some.size(), 1u << 20) << "the inflated body flows";
    }  // the client goes away: the stream is cancelled
    RawClient whole = post("/inflate?whole");
    HttpResponse killed = whole.ReadResponse(false, std::chrono::seconds(30));
    EXPECT_EQ(killed.body, "{\"error\":\"memory_limit\"}");
  });
  EXPECT_LT(PeakResidentMb(pid_), 600) << "inflated ahead of its reader";
}

}  // namespace
}  // namespace atl::testing
