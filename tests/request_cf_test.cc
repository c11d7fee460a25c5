// Cloudflare's request.cf on incoming requests, served by the real binary: what the connection
// says (httpProtocol, clientTcpRtt; TLS in tls_test.cc), and the JSON object of the header named
// by `[server] cf_header`, which is trusted only when configured and never reaches the tenant.
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

// Answers request.cf, whether the tenant saw the edge header, and cf read again after an await
// (the same object) and from a clone and a new Request made from it.
// /later reads cf in waitUntil work that outlives the response; /seen reports what it saw.
constexpr char kScript[] = R"js(
let seen = "nothing yet";
export default {
  async fetch(request, env, ctx) {
    const path = new URL(request.url).pathname;
    if (path === "/later") {
      ctx.waitUntil((async () => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        seen = `${request.cf?.httpProtocol} ${request.cf?.country}`;
      })());
      return new Response("ok");
    }
    if (path === "/seen") return new Response(seen);
    const cf = request.cf;
    await new Promise((resolve) => setTimeout(resolve, 1));
    return Response.json({
      cf,
      same: request.cf === cf,
      cloned: request.clone().cf?.httpProtocol ?? null,
      copied: new Request("http://elsewhere/", request).cf?.httpProtocol ?? null,
      header: request.headers.get("x-atoll-cf"),
      headers: [...request.headers.keys()],
    });
  },
};
)js";

class RequestCf : public ::testing::Test {
 protected:
  void Start(const std::string& server_extra) {
    fixture_.Write("cf.js", kScript);
    server_ = std::make_unique<TestServer>(fixture_.WriteConfig(server_extra, R"(
[[tenants]]
name = "cf"
script = "cf.js"
routes = ["*/*"]
)"));
  }
  std::string Body(const std::string& extra_headers = "") { return Get(server_->port(), "/", extra_headers).body; }

  TenantFixture fixture_;
  std::unique_ptr<TestServer> server_;
};

bool Has(const std::string& body, const std::string& text) { return body.find(text) != std::string::npos; }

TEST_F(RequestCf, WithoutAConfiguredHeaderCfHasWhatTheConnectionSaysAndEdgeHeadersAreNotTrusted) {
  Start("");
  std::string body = Body("x-atoll-cf: {\"country\":\"XX\"}\r\n");
  EXPECT_TRUE(Has(body, "\"httpProtocol\":\"HTTP/1.1\"")) << body;
  EXPECT_TRUE(Has(body, "\"clientTcpRtt\":")) << body;
  EXPECT_FALSE(Has(body, "\"tlsVersion\"")) << "plaintext has no TLS version: " << body;
  EXPECT_FALSE(Has(body, "\"country\"")) << "an edge header was trusted without cf_header: " << body;
  // Not configured: the header is an ordinary header the tenant sees.
  EXPECT_TRUE(Has(body, "\"header\":\"{\\\"country\\\":\\\"XX\\\"}\"")) << body;
  EXPECT_TRUE(Has(body, "\"same\":true")) << body;
  EXPECT_TRUE(Has(body, "\"cloned\":\"HTTP/1.1\"")) << body;
  EXPECT_TRUE(Has(body, "\"copied\":\"HTTP/1.1\"")) << body;
}

TEST_F(RequestCf, TheConfiguredEdgeHeaderIsMergedIntoCfAndTakenOutOfTheRequest) {
  Start("cf_header = \"X-Atoll-CF\"\n");
  std::string body = Body("x-atoll-cf: {\"country\":\"NZ\",\"asn\":13335,\"colo\":\"AKL\",\"city\":\"Auckland\","
                          "\"httpProtocol\":\"HTTP/2\"}\r\nx-other: 1\r\n");
  EXPECT_TRUE(Has(body, "\"country\":\"NZ\"")) << body;
  EXPECT_TRUE(Has(body, "\"asn\":13335")) << body;
  EXPECT_TRUE(Has(body, "\"colo\":\"AKL\"")) << body;
  EXPECT_TRUE(Has(body, "\"city\":\"Auckland\"")) << body;
  // The edge faced the client: its members win over what atoll saw.
  EXPECT_TRUE(Has(body, "\"httpProtocol\":\"HTTP/2\"")) << body;
  EXPECT_TRUE(Has(body, "\"clientTcpRtt\":")) << body;
  EXPECT_TRUE(Has(body, "\"header\":null")) << body;
  EXPECT_FALSE(Has(body, "x-atoll-cf")) << "the tenant saw the edge header: " << body;
  EXPECT_TRUE(Has(body, "\"x-other\"")) << body;

  // Absent, or not a JSON object: cf has atoll's own members only.
  body = Body();
  EXPECT_TRUE(Has(body, "\"httpProtocol\":\"HTTP/1.1\"")) << body;
  EXPECT_FALSE(Has(body, "\"country\"")) << body;
  for (const std::string bad : {"not json", "[1,2]", "\"text\"", "null"}) {
    body = Body("x-atoll-cf: " + bad + "\r\n");
    EXPECT_TRUE(Has(body, "\"cf\":{\"httpProtocol\":\"HTTP/1.1\"")) << bad << ": " << body;
    EXPECT_TRUE(Has(body, "\"header\":null")) << body;
  }
}

TEST_F(RequestCf, WaitUntilWorkAfterTheResponseStillReadsCf) {
  // As in Workers, request.cf does not go away with the response: logging in ctx.waitUntil reads it.
  Start("cf_header = \"x-atoll-cf\"\n");
  EXPECT_EQ(Get(server_->port(), "/later", "x-atoll-cf: {\"country\":\"NZ\"}\r\n").body, "ok");
  std::string seen;
  for (int i = 0; i < 50; ++i) {
    seen = Get(server_->port(), "/seen").body;
    if (seen != "nothing yet") break;
    usleep(20'000);
  }
  EXPECT_EQ(seen, "HTTP/1.1 NZ");
}

TEST_F(RequestCf, ACfHeaderTheServerReadsItselfIsAConfigError) {
  fixture_.Write("cf.js", kScript);
  std::string config = fixture_.WriteConfig("cf_header = \"Host\"\n", "[[tenants]]\nname = \"cf\"\nscript = \"cf.js\"\n");
  std::string command = std::string(getenv("ATOLL_BIN")) + " check --config " + config + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char buf[1024] = "";
  size_t n = fread(buf, 1, sizeof buf - 1, pipe);
  int rc = pclose(pipe);
  EXPECT_NE(rc, 0);
  EXPECT_TRUE(Has(std::string(buf, n), "server.cf_header: \"Host\" is a header the server reads itself")) << buf;
}

}  // namespace
}  // namespace atl::testing
