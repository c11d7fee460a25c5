// HTMLRewriter (https://developers.cloudflare.com/workers/runtime-apis/html-rewriter/, lol-html in
// Wasm: bindings/html_rewriter.h, js/lazy/html_rewriter.js) served by the real binary: a tenant
// that rewrites the links of a streamed HTML response, in a shared context and in per_request
// contexts (each instantiates the process's one compiled module); and a 50 MB document, made by a
// pull-based ReadableStream in the tenant, rewritten as it streams with the worker's resident
// memory bounded (its growth during the rewrite < 32 MB), which also gives the rewrite throughput.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

constexpr char kScript[] = R"js(
const encoder = new TextEncoder();

// An HTML document of `paragraphs` paragraphs with a link each, made as it is read, in chunks of
// ~64 KB: never whole in memory.
function htmlStream(paragraphs) {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i === 0) controller.enqueue(encoder.encode("<!DOCTYPE html><html><body>\n"));
      let chunk = "";
      while (chunk.length < 65536 && i < paragraphs) {
        chunk += `<p class="x">Paragraph ${i} of the document, with <a href="http://example.com/page/${i}">a link</a> and some text to pad it out a little further.</p>\n`;
        i++;
      }
      if (chunk !== "") controller.enqueue(encoder.encode(chunk));
      if (i >= paragraphs) {
        controller.enqueue(encoder.encode("</body></html>\n"));
        controller.close();
      }
    },
  }, { highWaterMark: 0 });
}

// Links to http:// become https://, and the document gets a footer.
function rewriteLinks(response) {
  return new HTMLRewriter()
    .on("a[href^='http://']", {
      element(a) { a.setAttribute("href", "https://" + a.getAttribute("href").slice(7)); },
    })
    .onDocument({ end(end) { end.append("<!-- rewritten by atoll -->", { html: true }); } })
    .transform(response);
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const paragraphs = Number(url.searchParams.get("p") ?? "100");
    const origin = new Response(htmlStream(paragraphs), { headers: { "content-type": "text/html; charset=utf-8" } });
    return rewriteLinks(origin);
  },
};
)js";

class HtmlRewriterServer : public ::testing::Test {
 protected:
  void Start(const std::string& extra) {
    fixture_.Write("worker.js", kScript);
    server_ = std::make_unique<TestServer>(fixture_.WriteConfig("", R"(
[[tenants]]
name = "site"
script = "worker.js"
routes = ["*/*"]
cpu_ms = 60000
)" + extra));
  }

  TenantFixture fixture_;
  std::unique_ptr<TestServer> server_;
};

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

void ExpectLinksRewritten(int port, int paragraphs) {
  HttpResponse r = Get(port, "/?p=" + std::to_string(paragraphs));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.chunked) << "a rewritten body has no known length";
  EXPECT_EQ(r.Header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(Count(r.body, "href=\"https://example.com/page/"), static_cast<size_t>(paragraphs));
  EXPECT_EQ(Count(r.body, "http://"), 0u);
  EXPECT_NE(r.body.find("href=\"https://example.com/page/" + std::to_string(paragraphs - 1) + "\""), std::string::npos);
  EXPECT_TRUE(r.body.ends_with("</body></html>\n<!-- rewritten by atoll -->")) << r.body.substr(r.body.size() - 100);
}

TEST_F(HtmlRewriterServer, RewritesLinksOfAStreamedResponse) {
  Start("");
  ASSERT_TRUE(server_->running());
  ExpectLinksRewritten(server_->port(), 3);
  ExpectLinksRewritten(server_->port(), 5000);  // ~700 KB: many chunks
}

TEST_F(HtmlRewriterServer, WorksInPerRequestContexts) {
  Start("context = \"per_request\"\n");
  ASSERT_TRUE(server_->running());
  for (int i = 0; i < 3; ++i) ExpectLinksRewritten(server_->port(), 200);
}

// Three tenants, three isolates: lol-html's Wasm is compiled once for the process, and the cold
// loads (glue, instance) are not charged to a tenant with a 20 ms budget (compiling alone takes ~35 ms).
TEST_F(HtmlRewriterServer, OneCompilationSharedByEveryIsolate) {
  fixture_.Write("worker.js", kScript);
  std::string config;
  for (int i = 0; i < 3; ++i) {
    config += "[[tenants]]\nname = \"t" + std::to_string(i) + "\"\nscript = \"worker.js\"\nroutes = [\"t" +
              std::to_string(i) + ".test/*\"]\ncpu_ms = 20\n";
  }
  TestServer server(fixture_.WriteConfig("", config));
  ASSERT_TRUE(server.running());
  for (int i = 0; i < 3; ++i) {
    HttpResponse r = GetFrom(server.port(), "t" + std::to_string(i) + ".test", "/?p=2");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find("href=\"https://example.com/page/1\""), std::string::npos) << r.body;
  }
  EXPECT_EQ(server.Stop(), 0);
  EXPECT_EQ(PoolStat(server.log(), "wasm_compilations"), 1);
  EXPECT_EQ(PoolStat(server.log(), "cpu_kills"), 0);
}

// 50 MB of HTML through lol-html: the worker's RSS grows by less than 32 MB while it streams.
TEST_F(HtmlRewriterServer, FiftyMegabytesWithConstantMemory) {
  Start("");
  ASSERT_TRUE(server_->running());
  pid_t worker = server_->worker_pid(0);
  ASSERT_GT(worker, 0);
  // Warm up: the module, its Wasm instance and the streams are there before the baseline.
  ExpectLinksRewritten(server_->port(), 2000);
  int64_t baseline = ResidentKb(worker);
  ASSERT_GT(baseline, 0);

  constexpr int kParagraphs = 360000;  // ~154 bytes each: ~55 MB
  RawClient client(server_->port());
  ASSERT_TRUE(client.connected());
  auto start = std::chrono::steady_clock::now();
  client.Send("GET /?p=" + std::to_string(kParagraphs) + " HTTP/1.1\r\nhost: site.test\r\n\r\n");
  uint64_t received = 0;
  int64_t peak = baseline;
  std::string tail;
  auto deadline = start + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    std::string piece = client.ReadSome(std::chrono::milliseconds(20));
    received += piece.size();
    tail = (tail + piece);
    if (tail.size() > 256) tail = tail.substr(tail.size() - 256);
    peak = std::max(peak, ResidentKb(worker));
    if (tail.ends_with("0\r\n\r\n")) break;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(tail.ends_with("0\r\n\r\n")) << "the response did not end; received " << received;
  EXPECT_NE(tail.find("<!-- rewritten by atoll -->"), std::string::npos) << tail;
  EXPECT_GT(received, 50u << 20);
  int64_t growth_kb = peak - baseline;
  EXPECT_LT(growth_kb, 32 * 1024) << "the worker's RSS grew by " << growth_kb << " KB";
  double mb_per_s = static_cast<double>(received) / (1 << 20) / seconds;
  std::printf("HTMLRewriter: %.1f MB rewritten in %.2f s (%.1f MB/s, %d links), RSS growth %lld KB\n",
              static_cast<double>(received) / (1 << 20), seconds, mb_per_s, kParagraphs,
              static_cast<long long>(growth_kb));
  RecordProperty("mb_per_s", static_cast<int>(mb_per_s));
  RecordProperty("rss_growth_kb", static_cast<int>(growth_kb));
}

}  // namespace
}  // namespace atl::testing
