// Static assets end to end (README "Static assets"): a tenant's [tenants.assets] folder served
// ahead of its Worker (html_handling, ETag and 304, HEAD, redirects), the Worker for what no
// asset answers, run_worker_first, a single-page application's navigations, env.ASSETS.fetch(),
// a tenant of assets alone, and a wrangler project with [assets] and no `main`.
#include <gtest/gtest.h>

#include "server/test_codings.h"
#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

void WriteSite(TenantFixture& fixture) {
  fixture.Write("public/index.html", "<h1>home</h1>");
  fixture.Write("public/about.html", "<h1>about</h1>");
  fixture.Write("public/blog/index.html", "<h1>blog</h1>");
  fixture.Write("public/app.js", "console.log(1)");
  fixture.Write("public/404.html", "<h1>not here</h1>");
  fixture.Write("public/draft.html", "secret draft");
  fixture.Write("public/.assetsignore", "draft.html\n");
}

// Answers what the assets leave to it with where the request went.
constexpr char kWorker[] = R"(export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/via-binding") {
      const page = await env.ASSETS.fetch(new Request(new URL("/about", request.url)));
      const missing = await env.ASSETS.fetch("/nope");
      return new Response(`${page.status} ${page.headers.get("content-type")} ${await page.text()} ${missing.status} ${await missing.text()}`);
    }
    return new Response(`worker ${request.method} ${url.pathname}`);
  },
};
)";

std::string Tenant(const std::string& assets, const std::string& script = "app.js") {
  std::string out = "[[tenants]]\nname = \"site\"\nroutes = [\"site.test/*\"]\n";
  if (!script.empty()) out += "script = \"" + script + "\"\n";
  return out + "[tenants.assets]\ndirectory = \"public\"\n" + assets;
}

TEST(StaticAssets, ServedAheadOfTheWorkerWhichGetsTheRest) {
  TenantFixture fixture;
  WriteSite(fixture);
  fixture.Write("app.js", kWorker);
  TestServer server(fixture.WriteConfig("", Tenant("binding = \"ASSETS\"\n")));
  HttpResponse home = GetFrom(server.port(), "site.test", "/");
  EXPECT_EQ(home.status, 200) << server.log();
  EXPECT_EQ(home.body, "<h1>home</h1>");
  EXPECT_EQ(home.Header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(home.Header("cache-control"), "public, max-age=0, must-revalidate");
  EXPECT_EQ(GetFrom(server.port(), "site.test", "/about").body, "<h1>about</h1>");
  EXPECT_EQ(GetFrom(server.port(), "site.test", "/blog/").body, "<h1>blog</h1>");
  EXPECT_EQ(GetFrom(server.port(), "site.test", "/app.js").Header("content-type"), "text/javascript; charset=utf-8");
  HttpResponse moved = GetFrom(server.port(), "site.test", "/about.html?x=1");
  EXPECT_EQ(moved.status, 307);
  EXPECT_EQ(moved.Header("location"), "/about?x=1");
  EXPECT_EQ(GetFrom(server.port(), "site.test", "/blog").Header("location"), "/blog/");
  // What no asset answers is the Worker's: a miss, an ignored file.
  EXPECT_EQ(GetFrom(server.port(), "site.test", "/api/users").body, "worker GET /api/users");
  EXPECT_EQ(GetFrom(server.port(), "site.test", "/draft.html").body, "worker GET /draft.html");
  // ETag and If-None-Match.
  std::string etag = home.Header("etag");
  ASSERT_EQ(etag.size(), 34u) << etag;
  HttpResponse same = GetFrom(server.port(), "site.test", "/", "If-None-Match: " + etag + "\r\n");
  EXPECT_EQ(same.status, 304);
  EXPECT_EQ(same.body, "");
  EXPECT_EQ(GetFrom(server.port(), "site.test", "/", "If-None-Match: \"stale\"\r\n").status, 200);
  // HEAD: the head of the GET, no body; a POST to an asset: 405, as Workers answers.
  RawClient head(server.port());
  head.Send("HEAD /about HTTP/1.1\r\nHost: site.test\r\n\r\n");
  HttpResponse headed = head.ReadResponse(/*head_request=*/true);
  EXPECT_EQ(headed.status, 200);
  EXPECT_EQ(headed.Header("content-length"), "14");
  EXPECT_EQ(headed.body, "");
  RawClient post(server.port());
  post.Send("POST /about HTTP/1.1\r\nHost: site.test\r\nContent-Length: 2\r\n\r\nhi");
  EXPECT_EQ(post.ReadResponse().status, 405);
  RawClient api(server.port());
  api.Send("POST /api/x HTTP/1.1\r\nHost: site.test\r\nContent-Length: 2\r\n\r\nhi");
  EXPECT_EQ(api.ReadResponse().body, "worker POST /api/x");
  // env.ASSETS.fetch(): the same answers, the not-found handling included.
  EXPECT_EQ(GetFrom(server.port(), "site.test", "/via-binding").body,
            "200 text/html; charset=utf-8 <h1>about</h1> 404 ");
}

TEST(StaticAssets, RunWorkerFirstPatternsAndASinglePageApplication) {
  TenantFixture fixture;
  WriteSite(fixture);
  fixture.Write("app.js", kWorker);
  TestServer server(fixture.WriteConfig("", Tenant("not_found_handling = \"single-page-application\"\n"
                                                   "run_worker_first = [\"/blog/*\", \"!/blog/\"]\n")));
  EXPECT_EQ(GetFrom(server.port(), "site.test", "/blog/post").body, "worker GET /blog/post");
  EXPECT_EQ(GetFrom(server.port(), "site.test", "/blog/").body, "<h1>blog</h1>");  // the "!" pattern
  EXPECT_EQ(GetFrom(server.port(), "site.test", "/about").body, "<h1>about</h1>");
  // A browser loading a page of the app gets index.html; a fetch() from it reaches the Worker.
  EXPECT_EQ(GetFrom(server.port(), "site.test", "/app/settings", "Sec-Fetch-Mode: navigate\r\n").body, "<h1>home</h1>");
  EXPECT_EQ(GetFrom(server.port(), "site.test", "/app/settings", "Sec-Fetch-Mode: cors\r\n").body,
            "worker GET /app/settings");
}

TEST(StaticAssets, ATenantOfAssetsAloneAnswersEverythingFromThem) {
  TenantFixture fixture;
  WriteSite(fixture);
  TestServer server(fixture.WriteConfig("", Tenant("not_found_handling = \"404-page\"\nhtml_handling = \"drop-trailing-slash\"\n", "")));
  EXPECT_EQ(GetFrom(server.port(), "site.test", "/blog").body, "<h1>blog</h1>") << server.log();
  EXPECT_EQ(GetFrom(server.port(), "site.test", "/blog/").Header("location"), "/blog");
  HttpResponse missing = GetFrom(server.port(), "site.test", "/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, "<h1>not here</h1>");
}

TEST(StaticAssets, RedirectsAndHeadersFilesShapeTheAssetsAnswersOnly) {
  TenantFixture fixture;
  WriteSite(fixture);
  fixture.Write("public/_redirects", "/old-about /about 301\n/u/:id /about 200\n/api/legacy /api/v2\n/broken\n");
  fixture.Write("public/_headers", "/*\n  X-Frame-Options: DENY\n/app.js\n  Cache-Control: public, max-age=31536000, immutable\n");
  fixture.Write("app.js", kWorker);
  TestServer server(fixture.WriteConfig("", Tenant("")));
  HttpResponse moved = GetFrom(server.port(), "site.test", "/old-about?ref=1");
  EXPECT_EQ(moved.status, 301) << server.log();
  EXPECT_EQ(moved.Header("location"), "/about?ref=1");
  HttpResponse rewritten = GetFrom(server.port(), "site.test", "/u/42");
  EXPECT_EQ(rewritten.status, 200);
  EXPECT_EQ(rewritten.body, "<h1>about</h1>");
  EXPECT_EQ(rewritten.Header("x-frame-options"), "DENY");
  // A redirect is the assets' answer, ahead of the Worker; the Worker's own answers keep theirs.
  EXPECT_EQ(GetFrom(server.port(), "site.test", "/api/legacy").Header("location"), "/api/v2");
  HttpResponse worker = GetFrom(server.port(), "site.test", "/api/v2");
  EXPECT_EQ(worker.body, "worker GET /api/v2");
  EXPECT_EQ(worker.Header("x-frame-options"), "");
  EXPECT_EQ(GetFrom(server.port(), "site.test", "/app.js").Header("cache-control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(GetFrom(server.port(), "site.test", "/_redirects").body, "worker GET /_redirects");  // never served
  EXPECT_TRUE(server.WaitForLog("_redirects:4: expected")) << server.log();
  // `atoll check` says it before the server starts, and passes: the rest of the file applies.
  std::string output;
  EXPECT_EQ(RunAtoll("check --config " + (fixture.dir() / "atoll.toml").string(), &output), 0) << output;
  EXPECT_NE(output.find("tenant site: warning: _redirects:4: expected \"from to [status]\" (the line is left out)"),
            std::string::npos) << output;
}

TEST(StaticAssets, CompressibleAssetsGoOutCodedToClientsThatTakeIt) {
  TenantFixture fixture;
  WriteSite(fixture);
  std::string page = "<ul>";
  for (int i = 0; i < 200; ++i) page += "<li>row " + std::to_string(i) + "</li>";
  page += "</ul>";
  fixture.Write("public/list.html", page);
  fixture.Write("public/photo.png", std::string(4000, 'p'));
  TestServer server(fixture.WriteConfig("", Tenant("", "")));
  for (std::string coding : {"br", "gzip"}) {
    for (int round = 0; round < 2; ++round) {  // made, then kept
      HttpResponse coded = GetFrom(server.port(), "site.test", "/list", "Accept-Encoding: " + coding + "\r\n");
      EXPECT_EQ(coded.status, 200) << server.log();
      EXPECT_EQ(coded.Header("content-encoding"), coding);
      EXPECT_EQ(coded.Header("vary"), "accept-encoding");
      EXPECT_LT(coded.body.size(), page.size() / 2);
      bool ended = false;
      EXPECT_EQ(server::testing::DecodeBody(coding, coded.body, &ended), page);
      EXPECT_TRUE(ended);
      EXPECT_EQ(coded.Header("etag").substr(0, 3), "W/\"");  // the bytes are not the file's
      EXPECT_EQ(GetFrom(server.port(), "site.test", "/list", "If-None-Match: " + coded.Header("etag") + "\r\n").status, 304);
    }
  }
  HttpResponse plain = GetFrom(server.port(), "site.test", "/list");
  EXPECT_EQ(plain.Header("content-encoding"), "");
  EXPECT_EQ(plain.body, page);
  EXPECT_EQ(GetFrom(server.port(), "site.test", "/photo.png", "Accept-Encoding: br\r\n").Header("content-encoding"), "");
  EXPECT_EQ(GetFrom(server.port(), "site.test", "/about", "Accept-Encoding: br\r\n").Header("content-encoding"), "");  // < 1 KB
}

TEST(StaticAssets, BadSettingsStopStartUpWithTheKeyNamed) {
  TenantFixture fixture;
  WriteSite(fixture);
  fixture.Write("app.js", kWorker);
  std::string output;
  std::string bad = fixture.WriteConfig("", Tenant("html_handling = \"sometimes\"\n"));
  EXPECT_EQ(RunAtoll("check --config " + bad, &output), 1);
  EXPECT_NE(output.find("tenants[0].assets.html_handling: unknown html_handling \"sometimes\""), std::string::npos) << output;
  bad = fixture.WriteConfig("", "[[tenants]]\nname = \"site\"\nscript = \"app.js\"\n[tenants.assets]\ndirectory = \"nowhere\"\n");
  EXPECT_EQ(RunAtoll("check --config " + bad, &output), 1);
  EXPECT_NE(output.find("tenants[0].assets.directory: "), std::string::npos) << output;
  EXPECT_NE(output.find("is not a folder"), std::string::npos) << output;
  bad = fixture.WriteConfig("", Tenant("run_worker_first = [\"api/*\"]\n"));
  EXPECT_EQ(RunAtoll("check --config " + bad, &output), 1);
  EXPECT_NE(output.find("must start with \"/\""), std::string::npos) << output;
}

TEST(StaticAssets, AWranglerProjectWithAssetsAndNoMain) {
  TenantFixture fixture;
  fixture.Write("p/dist/index.html", "<h1>spa</h1>");
  fixture.Write("p/dist/assets/app.css", "body{}");
  std::string file = fixture.Write("p/wrangler.toml", R"(name = "spa"
compatibility_date = "2026-11-01"
[assets]
directory = "./dist"
not_found_handling = "single-page-application"
)");
  TestServer server("", {"--wrangler", file, "--data-dir", (fixture.dir() / "data").string()});
  EXPECT_EQ(Get(server.port(), "/").body, "<h1>spa</h1>") << server.log();
  EXPECT_EQ(Get(server.port(), "/assets/app.css").Header("content-type"), "text/css; charset=utf-8");
  EXPECT_EQ(Get(server.port(), "/some/route").body, "<h1>spa</h1>");  // no Worker: not_found_handling for all
}

}  // namespace
}  // namespace atl::testing
