// R2 buckets ([tenants.r2], js/lazy/r2.js) through the real binary on 127.0.0.1, with two worker
// processes (a bucket is a Durable Object: calls from the process that does not run it are
// forwarded): a round trip with metadata and writeHttpMetadata; ranges and conditional gets and
// puts as a Worker serves them over HTTP (206, 304, 412); list paging past 1000 keys with
// prefix, delimiter and include; a multipart upload across requests (resume, complete, abort);
// a 5 MB body streamed in and read back byte-exact across its 1 MiB chunks; two tenants' buckets
// of one name apart; data across a restart; bad input answered with R2's errors while the
// worker lives on; a wrangler project with [[r2_buckets]] runs unchanged.
#include <gtest/gtest.h>
#include <openssl/md5.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

constexpr const char* kScript = R"JS(
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const q = (k) => url.searchParams.get(k) ?? undefined;
    const json = (k) => (q(k) === undefined ? undefined : JSON.parse(q(k)));
    const [, op, ...rest] = url.pathname.split("/");
    const key = decodeURIComponent(rest.join("/"));
    const B = env.BUCKET;
    try {
      switch (op) {
        case "put": {
          const o = await B.put(key, request.body, { httpMetadata: request.headers, customMetadata: json("meta"), onlyIf: json("if") });
          return Response.json(o && { etag: o.etag, size: o.size, custom: o.customMetadata });
        }
        case "get": {
          const o = await B.get(key, { range: request.headers, onlyIf: request.headers });
          if (o === null) return new Response("no such key", { status: 404 });
          const headers = new Headers({ etag: o.httpEtag, "x-meta": JSON.stringify(o.customMetadata) });
          o.writeHttpMetadata(headers);
          if (o.body === undefined) return new Response(null, { status: request.headers.has("if-match") ? 412 : 304, headers });
          if (!request.headers.has("range")) return new Response(o.body, { headers });
          headers.set("content-range", `bytes ${o.range.offset}-${o.range.offset + o.range.length - 1}/${o.size}`);
          return new Response(o.body, { status: 206, headers });
        }
        case "head": {
          const o = await B.head(key);
          return Response.json(o && { size: o.size, etag: o.etag, http: o.httpMetadata, custom: o.customMetadata });
        }
        case "delete": await B.delete(key.split(",")); return new Response("deleted");
        case "fill": {  // n small objects key0000..., 100 at a time
          const from = Number(q("from")), n = Number(q("n"));
          for (let i = from; i < from + n; i += 100) {
            const puts = [];
            for (let j = i; j < Math.min(i + 100, from + n); j++) {
              puts.push(B.put(`${key}${String(j).padStart(5, "0")}`, `v${j}`, { httpMetadata: { contentType: "text/v" } }));
            }
            await Promise.all(puts);
          }
          return new Response(String(n));
        }
        case "list": {
          const page = await B.list({ prefix: q("prefix"), delimiter: q("delimiter"), cursor: q("cursor"),
                                      limit: q("limit") && Number(q("limit")), include: json("include") });
          return Response.json({ keys: page.objects.map((o) => o.key), prefixes: page.delimitedPrefixes,
                                 truncated: page.truncated, cursor: page.cursor ?? null,
                                 firstType: page.objects[0]?.httpMetadata?.contentType ?? null });
        }
        case "mpu-create": return new Response((await B.createMultipartUpload(key, { customMetadata: { via: "mpu" } })).uploadId);
        case "mpu-part": return Response.json(await B.resumeMultipartUpload(key, q("id")).uploadPart(Number(q("n")), request.body));
        case "mpu-complete": {
          const o = await B.resumeMultipartUpload(key, q("id")).complete(await request.json());
          return Response.json({ etag: o.etag, size: o.size });
        }
        case "mpu-abort": await B.resumeMultipartUpload(key, q("id")).abort(); return new Response("aborted");
        case "bad": {
          const tries = [
            () => B.put(undefined, "x"),
            () => B.put("k".repeat(1025), "x"),
            () => B.put("meta", "x", { customMetadata: { big: "m".repeat(3000) } }),
            () => B.put("sum", "x", { md5: "00000000000000000000000000000000" }),
            () => B.resumeMultipartUpload("k", "no-such-upload").uploadPart(1, "x"),
            () => B.get("k", { range: { offset: -1 } }),
          ];
          const out = [];
          for (const attempt of tries) {
            try { await attempt(); out.push("no error"); } catch (e) { out.push(`${e.name}: ${e.message}`); }
          }
          return Response.json(out);
        }
      }
      return new Response("no route", { status: 404 });
    } catch (e) {
      return new Response(`${e.name}: ${e.message}`, { status: 500 });
    }
  },
};
)JS";

struct R2Project {
  TenantFixture fixture;
  std::string config;
  R2Project() {
    fixture.Write("r2.js", kScript);
    config = fixture.WriteConfig("", R"(
[[tenants]]
name = "a"
script = "r2.js"
routes = ["a.test/*"]
cpu_ms = 5000
[tenants.r2]
BUCKET = "photos"
[[tenants]]
name = "b"
script = "r2.js"
routes = ["b.test/*"]
cpu_ms = 5000
[tenants.r2]
BUCKET = "photos"
)");
  }
};

const std::vector<std::string> kTwoWorkers = {"--workers", "2"};

// One request on a fresh connection to tenant `host` ("a.test").
HttpResponse Request(const TestServer& server, const std::string& host, const std::string& method, const std::string& path,
                     const std::string& body = "", const std::string& headers = "") {
  RawClient client(server.port());
  client.Send(method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: " + std::to_string(body.size()) +
              "\r\nConnection: close\r\n" + headers + "\r\n" + body);
  return client.ReadResponse(false, std::chrono::seconds(30));
}

std::string Md5Hex(const std::string& bytes) {
  unsigned char digest[MD5_DIGEST_LENGTH];
  MD5(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : digest) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

// `size` bytes that differ from one offset to the next (a misplaced chunk shows).
std::string Pattern(size_t size, uint32_t seed) {
  std::string out(size, '\0');
  uint32_t x = seed;
  for (size_t i = 0; i < size; ++i) {
    x = x * 1103515245u + 12345u;
    out[i] = static_cast<char>(x >> 16);
  }
  return out;
}

TEST(R2, PutGetHeadDeleteWithMetadata) {
  R2Project project;
  TestServer server(project.config, kTwoWorkers);
  HttpResponse put = Request(server, "a.test", "PUT", "/put/docs/a.txt?meta=%7B%22owner%22%3A%22ann%22%7D", "hello r2",
                             "Content-Type: text/plain\r\nCache-Control: max-age=60\r\nContent-Language: en\r\n");
  ASSERT_EQ(put.status, 200) << put.body << server.log();
  EXPECT_EQ(put.body, R"({"etag":")" + Md5Hex("hello r2") + R"(","size":8,"custom":{"owner":"ann"}})");
  HttpResponse got = Request(server, "a.test", "GET", "/get/docs/a.txt");
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body, "hello r2");
  EXPECT_EQ(got.Header("content-type"), "text/plain");  // writeHttpMetadata
  EXPECT_EQ(got.Header("cache-control"), "max-age=60");
  EXPECT_EQ(got.Header("content-language"), "en");
  EXPECT_EQ(got.Header("etag"), "\"" + Md5Hex("hello r2") + "\"");
  EXPECT_EQ(got.Header("x-meta"), R"({"owner":"ann"})");
  EXPECT_EQ(got.Header("content-length"), "8");
  EXPECT_EQ(Request(server, "a.test", "GET", "/head/docs/a.txt").body,
            R"({"size":8,"etag":")" + Md5Hex("hello r2") +
                R"(","http":{"contentType":"text/plain","contentLanguage":"en","cacheControl":"max-age=60"},"custom":{"owner":"ann"}})");
  EXPECT_EQ(Request(server, "a.test", "DELETE", "/delete/docs/a.txt").status, 200);
  EXPECT_EQ(Request(server, "a.test", "GET", "/get/docs/a.txt").status, 404);
  EXPECT_EQ(Request(server, "a.test", "GET", "/head/docs/a.txt").body, "null");
  EXPECT_EQ(server.Stop(), 0);
}

TEST(R2, RangesAndConditionalGetsAndPuts) {
  R2Project project;
  TestServer server(project.config, kTwoWorkers);
  ASSERT_EQ(Request(server, "a.test", "PUT", "/put/digits", "0123456789").status, 200);
  std::string etag = "\"" + Md5Hex("0123456789") + "\"";
  HttpResponse part = Request(server, "a.test", "GET", "/get/digits", "", "Range: bytes=2-4\r\n");
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, "234");
  EXPECT_EQ(part.Header("content-range"), "bytes 2-4/10");
  EXPECT_EQ(Request(server, "a.test", "GET", "/get/digits", "", "Range: bytes=-3\r\n").body, "789");
  EXPECT_EQ(Request(server, "a.test", "GET", "/get/digits", "", "Range: bytes=8-\r\n").body, "89");
  // A failed condition answers the object without its body.
  HttpResponse not_modified = Request(server, "a.test", "GET", "/get/digits", "", "If-None-Match: " + etag + "\r\n");
  EXPECT_EQ(not_modified.status, 304);
  EXPECT_EQ(not_modified.Header("etag"), etag);
  EXPECT_EQ(Request(server, "a.test", "GET", "/get/digits", "", "If-None-Match: \"other\"\r\n").status, 200);
  EXPECT_EQ(Request(server, "a.test", "GET", "/get/digits", "", "If-Match: \"other\"\r\n").status, 412);
  EXPECT_EQ(Request(server, "a.test", "GET", "/get/digits", "", "If-Match: " + etag + "\r\n").body, "0123456789");
  EXPECT_EQ(Request(server, "a.test", "GET", "/get/digits", "", "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT\r\n").status, 304);
  EXPECT_EQ(Request(server, "a.test", "GET", "/get/digits", "", "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT\r\n").status, 200);
  EXPECT_EQ(Request(server, "a.test", "GET", "/get/digits", "", "If-Unmodified-Since: Thu, 01 Jan 1970 00:00:00 GMT\r\n").status, 304);
  // Conditional puts: null when the condition fails, and the object stays.
  EXPECT_EQ(Request(server, "a.test", "PUT", "/put/digits?if=%7B%22etagMatches%22%3A%22nope%22%7D", "changed").body, "null");
  EXPECT_EQ(Request(server, "a.test", "PUT", "/put/digits?if=%7B%22uploadedBefore%22%3A0%7D", "changed").body, "null");
  EXPECT_EQ(Request(server, "a.test", "GET", "/get/digits").body, "0123456789");
  std::string match = "%7B%22etagMatches%22%3A%22" + Md5Hex("0123456789") + "%22%7D";
  EXPECT_EQ(Request(server, "a.test", "PUT", "/put/digits?if=" + match, "changed").status, 200);
  EXPECT_EQ(Request(server, "a.test", "GET", "/get/digits").body, "changed");
  EXPECT_EQ(server.Stop(), 0);
}

TEST(R2, ListPagesPastAThousandKeysWithPrefixDelimiterAndInclude) {
  R2Project project;
  TestServer server(project.config, kTwoWorkers);
  // 40 a request: from the worker process that does not run the bucket, each call is a
  // subrequest (50 a request).
  for (int from = 0; from < 1500; from += 40) {
    int n = std::min(40, 1500 - from);
    ASSERT_EQ(Request(server, "a.test", "POST", "/fill/p/?from=" + std::to_string(from) + "&n=" + std::to_string(n)).body,
              std::to_string(n));
  }
  ASSERT_EQ(Request(server, "a.test", "PUT", "/put/p/dir/1", "x").status, 200);
  ASSERT_EQ(Request(server, "a.test", "PUT", "/put/p/dir/2", "x").status, 200);
  ASSERT_EQ(Request(server, "a.test", "PUT", "/put/q", "x").status, 200);
  // The default page is 1000 keys; its cursor gives the rest, in order.
  HttpResponse first = Request(server, "a.test", "GET", "/list?prefix=p/");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_NE(first.body.find(R"("truncated":true)"), std::string::npos);
  EXPECT_NE(first.body.find(R"("p/00999"],)"), std::string::npos);  // the 1000th key ends the page
  EXPECT_NE(first.body.find(R"("firstType":null)"), std::string::npos);  // no include: no httpMetadata
  size_t at = first.body.find(R"("cursor":")");
  ASSERT_NE(at, std::string::npos) << first.body;
  std::string cursor = first.body.substr(at + 10, first.body.find('"', at + 10) - at - 10);
  HttpResponse second = Request(server, "a.test", "GET", "/list?prefix=p/&include=%5B%22httpMetadata%22%5D&cursor=" + cursor);
  ASSERT_NE(second.body.find(R"({"keys":["p/01000",)"), std::string::npos) << second.status << " " << second.body.substr(0, 200) << server.log();
  EXPECT_NE(second.body.find(R"("p/01499","p/dir/1","p/dir/2"],"prefixes":[],"truncated":false,"cursor":null,"firstType":"text/v"})"),
            std::string::npos)
      << second.body.substr(second.body.size() - 200);
  // With a delimiter, p/dir/ is one prefix, counted as one entry of a page: 1000 + 501.
  HttpResponse grouped = Request(server, "a.test", "GET", "/list?prefix=p/&delimiter=/&cursor=");
  EXPECT_NE(grouped.body.find(R"("truncated":true)"), std::string::npos);
  at = grouped.body.find(R"("cursor":")");
  ASSERT_NE(at, std::string::npos);
  cursor = grouped.body.substr(at + 10, grouped.body.find('"', at + 10) - at - 10);
  HttpResponse rest = Request(server, "a.test", "GET", "/list?prefix=p/&delimiter=/&cursor=" + cursor);
  EXPECT_NE(rest.body.find(R"("p/01499"],"prefixes":["p/dir/"],"truncated":false)"), std::string::npos)
      << rest.body.substr(rest.body.size() - 200);
  EXPECT_EQ(server.Stop(), 0);
}

TEST(R2, MultipartUploadAcrossRequestsCompletesAndAborts) {
  R2Project project;
  TestServer server(project.config, kTwoWorkers);
  HttpResponse created = Request(server, "a.test", "POST", "/mpu-create/big.bin");
  ASSERT_EQ(created.status, 200) << created.body;
  std::string id = created.body;
  std::string one = Pattern(1536 * 1024 + 7, 1), two = Pattern(100 * 1024, 2);
  // Part 2 first, each in its own request (and connection: either worker process).
  HttpResponse p2 = Request(server, "a.test", "PUT", "/mpu-part/big.bin?n=2&id=" + id, two);
  HttpResponse p1 = Request(server, "a.test", "PUT", "/mpu-part/big.bin?n=1&id=" + id, one);
  ASSERT_EQ(p1.status, 200) << p1.body;
  ASSERT_EQ(p2.status, 200) << p2.body;
  EXPECT_EQ(p1.body.rfind(R"({"partNumber":1,"etag":")", 0), 0u) << p1.body;
  std::string parts = "[" + p1.body + "," + p2.body + "]";
  HttpResponse done = Request(server, "a.test", "POST", "/mpu-complete/big.bin?id=" + id, parts);
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_NE(done.body.find("-2\",\"size\":" + std::to_string(one.size() + two.size()) + "}"), std::string::npos) << done.body;
  HttpResponse got = Request(server, "a.test", "GET", "/get/big.bin");
  EXPECT_EQ(got.body.size(), one.size() + two.size());
  EXPECT_TRUE(got.body == one + two) << "the parts' bytes differ";
  EXPECT_EQ(got.Header("x-meta"), R"({"via":"mpu"})");
  // Completed, the upload is gone.
  HttpResponse again = Request(server, "a.test", "PUT", "/mpu-part/big.bin?n=3&id=" + id, "x");
  EXPECT_EQ(again.body, "R2Error: uploadPart: The specified multipart upload does not exist. (10024)");
  // Aborted: no part can be added, nothing was stored.
  std::string other = Request(server, "a.test", "POST", "/mpu-create/aborted.bin").body;
  ASSERT_EQ(Request(server, "a.test", "PUT", "/mpu-part/aborted.bin?n=1&id=" + other, "part").status, 200);
  EXPECT_EQ(Request(server, "a.test", "POST", "/mpu-abort/aborted.bin?id=" + other).body, "aborted");
  EXPECT_EQ(Request(server, "a.test", "PUT", "/mpu-part/aborted.bin?n=2&id=" + other, "x").status, 500);
  EXPECT_EQ(Request(server, "a.test", "GET", "/get/aborted.bin").status, 404);
  EXPECT_EQ(server.Stop(), 0);
}

// Answers of 64-130 KB from the process that runs the bucket hung once (the HTTP client paused
// on the body's last piece never finished the response: server/http_client_connection.cc):
// such objects and list pages, read by both processes over fresh connections.
TEST(R2, MidSizedAnswersReachTheProcessThatDoesNotRunTheBucket) {
  R2Project project;
  TestServer server(project.config, kTwoWorkers);
  ASSERT_TRUE(server.WaitForWorkersReady(2)) << server.log();
  std::vector<std::string> bodies;
  for (size_t size : {66 * 1024, 70 * 1024 + 3, 100 * 1024, 127 * 1024}) {
    bodies.push_back(Pattern(size, static_cast<uint32_t>(size)));
    ASSERT_EQ(Request(server, "a.test", "PUT", "/put/mid" + std::to_string(bodies.size()), bodies.back()).status, 200);
  }
  for (int round = 0; round < 6; ++round) {
    for (size_t i = 0; i < bodies.size(); ++i) {
      HttpResponse got = Request(server, "a.test", "GET", "/get/mid" + std::to_string(i + 1));
      ASSERT_EQ(got.status, 200) << got.body;
      EXPECT_TRUE(got.body == bodies[i]) << i;
    }
  }
  // 5 MB across processes too (its answer is paused and resumed on the way), with no error
  // logged (a resume once handed the body's stream an empty chunk).
  std::string big = Pattern(5 * 1024 * 1024, 5);
  ASSERT_EQ(Request(server, "a.test", "PUT", "/put/big", big).status, 200);
  for (int round = 0; round < 6; ++round) EXPECT_TRUE(Request(server, "a.test", "GET", "/get/big").body == big);
  EXPECT_EQ(server.log().find("\"level\":\"error\""), std::string::npos) << server.log();
  EXPECT_EQ(server.Stop(), 0);
}

TEST(R2, AFiveMegabyteBodyStreamedInIsReadBackByteExact) {
  R2Project project;
  TestServer server(project.config, kTwoWorkers);
  std::string body = Pattern(5 * 1024 * 1024 + 123, 7);
  HttpResponse put = Request(server, "a.test", "PUT", "/put/five.bin", body, "Content-Type: application/octet-stream\r\n");
  ASSERT_EQ(put.status, 200) << put.body << server.log();
  EXPECT_EQ(put.body, R"({"etag":")" + Md5Hex(body) + R"(","size":)" + std::to_string(body.size()) + R"(,"custom":{}})");
  HttpResponse got = Request(server, "a.test", "GET", "/get/five.bin");
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.Header("content-length"), std::to_string(body.size()));
  EXPECT_EQ(got.body.size(), body.size());
  EXPECT_TRUE(got.body == body) << "the body read back differs";
  // A range across two chunk boundaries (1 MiB and 2 MiB), and the last bytes.
  HttpResponse across = Request(server, "a.test", "GET", "/get/five.bin", "", "Range: bytes=1048570-2097160\r\n");
  EXPECT_EQ(across.status, 206);
  EXPECT_TRUE(across.body == body.substr(1048570, 2097160 - 1048570 + 1)) << across.body.size();
  HttpResponse tail = Request(server, "a.test", "GET", "/get/five.bin", "", "Range: bytes=-200\r\n");
  EXPECT_TRUE(tail.body == body.substr(body.size() - 200));
  // Overwritten by a small body: the old chunks go, the new bytes are read.
  ASSERT_EQ(Request(server, "a.test", "PUT", "/put/five.bin", "small").status, 200);
  EXPECT_EQ(Request(server, "a.test", "GET", "/get/five.bin").body, "small");
  EXPECT_EQ(server.Stop(), 0);
}

TEST(R2, TwoTenantsBucketsOfOneNameAreApartAndSurviveARestart) {
  R2Project project;
  {
    TestServer server(project.config, kTwoWorkers);
    ASSERT_EQ(Request(server, "a.test", "PUT", "/put/kept?meta=%7B%22n%22%3A%221%22%7D", "tenant a's", "Content-Type: text/a\r\n").status, 200);
    EXPECT_EQ(Request(server, "b.test", "GET", "/get/kept").status, 404);  // tenant b's "photos" is its own
    EXPECT_EQ(Request(server, "b.test", "GET", "/list").body, R"({"keys":[],"prefixes":[],"truncated":false,"cursor":null,"firstType":null})");
    ASSERT_EQ(Request(server, "b.test", "PUT", "/put/kept", "tenant b's").status, 200);
    EXPECT_EQ(server.Stop(), 0);
  }
  TestServer server(project.config, kTwoWorkers);
  HttpResponse a = Request(server, "a.test", "GET", "/get/kept");
  EXPECT_EQ(a.body, "tenant a's");
  EXPECT_EQ(a.Header("content-type"), "text/a");
  EXPECT_EQ(a.Header("x-meta"), R"({"n":"1"})");
  EXPECT_EQ(Request(server, "b.test", "GET", "/get/kept").body, "tenant b's");
  EXPECT_EQ(server.Stop(), 0);
}

TEST(R2, BadInputIsAClearErrorAndTheWorkerLivesOn) {
  R2Project project;
  TestServer server(project.config);
  ASSERT_EQ(Request(server, "a.test", "PUT", "/put/ok", "fine").status, 200);
  pid_t worker = server.worker_pid(0);
  HttpResponse bad = Request(server, "a.test", "GET", "/bad");
  ASSERT_EQ(bad.status, 200) << bad.body;
  EXPECT_EQ(bad.body,
            "[\"TypeError: put: the key must be a string, not undefined\","
            "\"R2Error: put: The specified object name is not valid: the key is 1025 bytes, at most 1024. (10020)\","
            "\"R2Error: put: Your metadata headers exceed the maximum allowed metadata size. (10012)\","
            "\"R2Error: put: The MD5 checksum you specified did not match what we received. (10037)\","
            "\"R2Error: uploadPart: The specified multipart upload does not exist. (10024)\","
            "\"RangeError: Invalid range. Starting offset (-1) must be greater than or equal to 0.\"]");
  EXPECT_EQ(Request(server, "a.test", "GET", "/get/ok").body, "fine");
  EXPECT_EQ(Request(server, "a.test", "GET", "/head/sum").body, "null");  // the refused put left nothing
  EXPECT_EQ(server.worker_pid(0), worker);
  EXPECT_EQ(server.Stop(), 0);
}

TEST(R2, AWranglerProjectWithR2BucketsRunsUnchanged) {
  TenantFixture fixture;
  fixture.Write("project/src/index.js", kScript);
  std::string wrangler = fixture.Write("project/wrangler.toml", R"(name = "photos"
main = "src/index.js"
compatibility_date = "2026-06-01"
[[r2_buckets]]
binding = "BUCKET"
bucket_name = "photos-prod"
preview_bucket_name = "photos-preview"
)");
  TestServer server("", {"--wrangler", wrangler, "--data-dir", (fixture.dir() / "data").string()});
  HttpResponse put = Request(server, "localhost", "PUT", "/put/x", "from wrangler");
  EXPECT_EQ(put.status, 200) << put.body << server.log();
  EXPECT_EQ(Request(server, "localhost", "GET", "/get/x").body, "from wrangler");
  EXPECT_EQ(server.Stop(), 0);
}

}  // namespace
}  // namespace atl::testing
