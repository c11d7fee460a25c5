// A Workers project bundled as wrangler bundles it under nodejs_compat (tests/hono/build.mjs
// --compatibility-date: wrangler's own unenv preset, @cloudflare/unenv-preset 2.16.2, pinned),
// for two compatibility dates: 2026-06-01, where the preset leaves every Node module as an import
// (workerd implements them all: node:http and node:https included), and 2024-09-23, where it
// bundles unenv's polyfills and injects its process and console modules instead. The app
// (tests/wrangler_bundle/app.js) calls a second atoll server, the origin (origin.js), through
// node:http directly and through npm follow-redirects 1.16.3 (axios's Node transport): real HTTP
// on loopback, the origin's port in the tenant's outbound list. And an Express 5 app served by
// cloudflare:node's httpServerHandler.
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
                tenant("closed", ATOLL_WRANGLER_BUNDLE_2026, "") + tenant("express", ATOLL_EXPRESS_BUNDLE, "")));
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

// Express 5 (npm express 5.3.0, tests/wrangler_bundle/express.js) listening on a node:http port,
// served by cloudflare:node's httpServerHandler, as Cloudflare's docs run it.
TEST_F(WranglerBundle, AnExpressAppServesThroughHttpServerHandler) {
  HttpResponse hello = GetFrom(server_->port(), "express.test", "/hello/ann?x=1");
  EXPECT_EQ(hello.status, 200) << hello.body << server_->log();
  EXPECT_EQ(hello.body, R"({"hello":"ann","query":{"x":"1"},"protocol":"http","ip":"127.0.0.1"})");
  EXPECT_EQ(hello.Header("x-powered"), "express");
  EXPECT_EQ(hello.Header("content-type"), "application/json; charset=utf-8");
  EXPECT_FALSE(hello.Header("etag").empty());

  RawClient client(server_->port());
  std::string body = R"({"name":"box","n":2})";
  client.Send("POST /items HTTP/1.1\r\nHost: express.test\r\nContent-Type: application/json\r\nContent-Length: " +
              std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
  HttpResponse created = client.ReadResponse();
  EXPECT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.body, R"({"created":{"name":"box","n":2}})");

  HttpResponse redirect = GetFrom(server_->port(), "express.test", "/redirect");
  EXPECT_EQ(redirect.status, 302);
  EXPECT_EQ(redirect.Header("location"), "/hello/redirected");
  HttpResponse cookies = GetFrom(server_->port(), "express.test", "/cookie");
  int set_cookies = 0;
  for (const auto& [name, value] : cookies.headers) set_cookies += name == "set-cookie";
  EXPECT_EQ(set_cookies, 2) << cookies.body;
  EXPECT_EQ(cookies.body, "two cookies");
}

TEST_F(WranglerBundle, ExpressAnswersItsOwn500AndItsOwnNotFound) {
  HttpResponse thrown = GetFrom(server_->port(), "express.test", "/throw");
  EXPECT_EQ(thrown.status, 500) << thrown.body;
  EXPECT_NE(thrown.body.find("route failed"), std::string::npos) << thrown.body;
  EXPECT_EQ(thrown.Header("x-powered-by"), "Express") << "the app's error handler answered, not the server's";
  HttpResponse missing = GetFrom(server_->port(), "express.test", "/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, "no route for GET /nope");
}

}  // namespace
}  // namespace atl::testing
