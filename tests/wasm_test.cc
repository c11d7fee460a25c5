// WebAssembly module bindings through the real binary: `[tenants.wasm] CRC = "crc32.wasm"` (built
// from examples/wasm/crc32.c) gives env.CRC, a WebAssembly.Module compiled once per process;
// the example handler (examples/wasm/crc32.js) answers the CRC-32 of the request body.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

// Next to the atoll binary under test: build/examples/wasm/crc32.wasm.
std::string BuiltWasm() {
  const char* bin = std::getenv("ATOLL_BIN");
  return (std::filesystem::path(bin ? bin : "build/atoll").parent_path() / "examples/wasm/crc32.wasm").string();
}

uint32_t Crc32(const std::string& bytes) {
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : bytes) {
    c ^= b;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
  }
  return c ^ 0xFFFFFFFFu;
}

std::string Hex(uint32_t v) {
  char text[16];
  std::snprintf(text, sizeof text, "%08x\n", v);
  return text;
}

HttpResponse Post(int port, const std::string& host, const std::string& body) {
  RawClient client(port);
  client.Send("POST / HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
              body);
  return client.ReadResponse();
}

TEST(Wasm, TwoTenantsShareOneCompilationAndComputeWithIt) {
  ASSERT_TRUE(std::filesystem::exists(BuiltWasm())) << BuiltWasm();
  TenantFixture fixture;
  std::string script = SourcePath("examples/wasm/crc32.js");
  std::string tenants;
  for (const char* name : {"a", "b"}) {
    tenants += std::string("[[tenants]]\nname = \"") + name + "\"\nscript = \"" + script + "\"\nroutes = [\"" + name +
               ".test/*\"]\n" + (std::string(name) == "b" ? "context = \"per_request\"\n" : "") +
               "[tenants.wasm]\nCRC = \"" + BuiltWasm() + "\"\n";
  }
  TestServer server(fixture.WriteConfig("", tenants));
  EXPECT_EQ(Post(server.port(), "a.test", "123456789").body, "cbf43926\n");  // the CRC-32 check value
  std::string large(200000, '\0');
  for (size_t i = 0; i < large.size(); ++i) large[i] = static_cast<char>((i * 7919) >> 3);
  EXPECT_EQ(Post(server.port(), "a.test", large).body, Hex(Crc32(large))) << "more than one 64 KB window";
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Post(server.port(), "b.test", "123456789").body, "cbf43926\n") << "per_request context " << i;
  }
  ASSERT_EQ(server.Stop(), 0);
  EXPECT_EQ(PoolStat(server.log(), "wasm_compilations"), 1) << server.log();
}

TEST(Wasm, MemoryCountsAgainstTheTenantsBudget) {
  TenantFixture fixture;
  fixture.Write("a.js", R"(
let n = 0;
export default {
  async fetch(request) {
    n++;
    const path = new URL(request.url).pathname;
    // 64 KB pages: 32 MB in a 16 MB tenant, held across an await; then 4 MB, dropped at once.
    if (path === "/grow") {
      const memory = new WebAssembly.Memory({ initial: 512 });
      await new Promise((resolve) => setTimeout(resolve, 10));
      return new Response("survived " + memory.buffer.byteLength);
    }
    if (path === "/small") {
      for (let i = 0; i < 40; i++) new WebAssembly.Memory({ initial: 64 });
      return new Response("small " + n);
    }
    return new Response("a " + n);
  }
};)");
  fixture.Write("b.js", "export default { fetch() { return new Response('b'); } };");
  TestServer server(fixture.WriteConfig("", R"([[tenants]]
name = "a"
script = "a.js"
routes = ["a.test/*"]
memory_mb = 16
cpu_ms = 1000
[[tenants]]
name = "b"
script = "b.js"
routes = ["b.test/*"]
)"));
  EXPECT_EQ(GetFrom(server.port(), "a.test", "/").body, "a 1");
  // 40 x 4 MB of memories that are garbage at once: a GC frees them, nothing is killed. Memory is
  // what this checks: the pages' first touch costs 60-80 ms of CPU on this VM's page faults for
  // the first requests of an isolate (0.8 ms once warm), past the default 50 ms budget.
  EXPECT_EQ(GetFrom(server.port(), "a.test", "/small").body, "small 2");
  HttpResponse killed = GetFrom(server.port(), "a.test", "/grow");
  EXPECT_EQ(killed.status, 503) << killed.body;
  EXPECT_EQ(killed.body, "{\"error\":\"memory_limit\"}");
  EXPECT_EQ(GetFrom(server.port(), "b.test", "/").body, "b") << "the neighbour is unaffected";
  // A fresh isolate after the kill; a kill that overran kill_overrun_ms refuses the tenant for a
  // cool-down first (README, limits): wait it out (bounded).
  HttpResponse fresh = GetFrom(server.port(), "a.test", "/");
  for (int i = 0; i < 200 && fresh.body == "{\"error\":\"memory_limit\"}"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    fresh = GetFrom(server.port(), "a.test", "/");
  }
  EXPECT_EQ(fresh.body, "a 1") << "a fresh isolate after the kill\n" << server.log();
  EXPECT_TRUE(server.running());
}

TEST(Wasm, CheckNamesAFileThatIsNotWebAssembly) {
  TenantFixture fixture;
  fixture.Write("h.js", "export default { fetch(r, env) { return new Response(String(env.BAD)); } };");
  fixture.Write("bad.wasm", std::string("\0asm\x01\0\0\0 and then garbage", 24));  // a valid header only
  std::string config = fixture.WriteConfig("", R"([[tenants]]
name = "t"
script = "h.js"
routes = ["*/*"]
[tenants.wasm]
BAD = "bad.wasm"
)");
  std::string output;
  EXPECT_EQ(RunAtoll("check --config " + config, &output), 1) << output;
  EXPECT_NE(output.find("bad.wasm: not a valid WebAssembly module"), std::string::npos) << output;
}

}  // namespace
}  // namespace atl::testing
