// A Workers project bundled as wrangler bundles it under nodejs_compat (tests/hono/build.mjs
// --compatibility-date: wrangler's own unenv preset, @cloudflare/unenv-preset 2.16.2, pinned),
// for two compatibility dates: 2026-06-01, where the preset leaves every Node module as an import
// (workerd implements them all: node:http and node:https included), and 2024-09-23, where it
// bundles unenv's polyfills and injects its process and console modules instead. The app
// (tests/wrangler_bundle/app.js) calls a second atoll server, the origin (origin.js), through
// node:http directly and through npm follow-redirects 1.16.3 (axios's Node transport): real HTTP
// on loopback, the origin's port in the tenant's outbound list.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

class WranglerBundle : public ::testing::Test {
 protected:
  void SetUp() override {
    origin_ = std::make_unique<TestServer>(SourcePath("tests/wrangler_bundle/origin.js"));
    std::string origin = "127.0.0.1:" + std::to_string(origin_->port());
    auto tenant = [&](const std::string& name, const char* bundle, const std::string& outbound) {
      return "[[tenants]]\nname = \"" + name + "\"\nscript = \"" + bundle + "\"\nroutes = [\"" + name +
             ".test/*\"]\ncompatibility_flags = [\"nodejs_compat\"]\n" + outbound +
             "cpu_ms = 500\n[tenants.vars]\nORIGIN = \"http://" + origin + "\"\n";
    };
    std::string outbound = "outbound = [\"" + origin + "\"]\n";
    server_ = std::make_unique<TestServer>(fixture_.WriteConfig(
        "", tenant("now", ATOLL_WRANGLER_BUNDLE_2026, outbound) + tenant("old", ATOLL_WRANGLER_BUNDLE_2024, outbound) +
                tenant("closed", ATOLL_WRANGLER_BUNDLE_2026, "")));
  }

  HttpResponse Run(const std::string& tenant, const std::string& scenario) const {
    return GetFrom(server_->port(), tenant + ".test", "/" + scenario);
  }
  void ExpectHas(const HttpResponse& r, const std::string& text) const {
    EXPECT_EQ(r.status, 200) << r.body << "\n" << server_->log();
    EXPECT_NE(r.body.find(text), std::string::npos) << "no " << text << " in " << r.body;
  }

  std::unique_ptr<TestServer> origin_;
  TenantFixture fixture_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(WranglerBundle, HttpGetSendsHeadersAndReadsTheResponse) {
  HttpResponse r = Run("now", "get");
  ExpectHas(r, R"("status":200,"message":"OK")");
  ExpectHas(r, R"("method":"GET","path":"/echo?x=1")");
  ExpectHas(r, R"("x-trace":"t1")");
}

TEST_F(WranglerBundle, HttpRequestWritesItsBodyInPiecesWithRepeatedHeaders) {
  HttpResponse r = Run("now", "post");
  ExpectHas(r, R"("method":"POST")");
  ExpectHas(r, R"("body":"hello world")");
  ExpectHas(r, R"("x-many":"a, b")");
  ExpectHas(r, R"("content-type":"text/plain")");
}

TEST_F(WranglerBundle, RedirectsAreReturnedAndCookiesStaySeparate) {
  ExpectHas(Run("now", "redirect"), R"({"status":302,"location":"/echo"})");
  HttpResponse cookies = Run("now", "cookies");
  ExpectHas(cookies, R"("status":201,"message":"Made","cookies":["a=1; Path=/","b=2; Path=/"])");
  ExpectHas(cookies, R"("body":"two cookies")");
}

TEST_F(WranglerBundle, AResponseBodyStreamsInChunks) {
  HttpResponse r = Run("now", "stream");
  ExpectHas(r, R"("body":"chunk0;chunk1;chunk2;chunk3;chunk4;")");
  // Delivered as the origin sent them (20 ms apart), not as one buffer.
  size_t at = r.body.find("\"chunks\":");
  ASSERT_NE(at, std::string::npos) << r.body;
  EXPECT_GT(std::stoi(r.body.substr(at + 9)), 1) << r.body;
}

TEST_F(WranglerBundle, TimeoutsAndAbortSignalsEndTheRequest) {
  ExpectHas(Run("now", "timeout"), R"({"events":["timeout","error ETIMEDOUT"]})");
  ExpectHas(Run("now", "abort"), R"({"name":"AbortError","code":"ABORT_ERR"})");
}

TEST_F(WranglerBundle, TheOutboundPolicyStillDecides) {
  ExpectHas(Run("now", "refused"), R"({"code":"ERR_ATOLL_OUTBOUND_REFUSED"})");
  HttpResponse closed = Run("closed", "get");
  EXPECT_EQ(closed.status, 500) << closed.body;
  EXPECT_NE(closed.body.find("ERR_ATOLL_OUTBOUND_REFUSED"), std::string::npos) << closed.body;
}

TEST_F(WranglerBundle, FollowRedirectsFollowsThroughNodeHttp) {
  HttpResponse r = Run("now", "followRedirects");
  ExpectHas(r, R"("status":200,"url":"/echo","redirects":2)");
  ExpectHas(r, R"("x-lib":"follow-redirects")");
}

TEST_F(WranglerBundle, NodeFetchIsTheGlobalFetchAsWranglerBundlesIt) {
  for (const char* tenant : {"now", "old"}) {
    HttpResponse r = Run(tenant, "nodeFetch");
    ExpectHas(r, R"("status":200)");
    ExpectHas(r, R"("body":"payload")");
    ExpectHas(r, R"("gzip":1100)");
    ExpectHas(r, R"("redirected":{"status":200,"url":"/echo","method":"GET"})");
    ExpectHas(r, R"("streamed":"chunk0;chunk1;chunk2;")");
  }
}

TEST_F(WranglerBundle, NodeModulesAnswerAtBothDates) {
  for (const char* tenant : {"now", "old"}) {
    ExpectHas(Run(tenant, "modules"), R"({"platform":"linux","eol":"\n","now":"number","join":"a/b","builtin":true})");
  }
}

}  // namespace
}  // namespace atl::testing
