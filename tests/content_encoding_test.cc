// Content codings as Workers has them, end to end through the real binary: fetch() decodes a
// gzip, deflate or br body the tenant reads (the headers stay as they came); a fetched response
// returned untouched passes its coded bytes through unchanged; a Response whose Content-Encoding
// names a coding is compressed by the server on its way out (encodeBody "automatic"), whole or
// streamed, unless its encodeBody is "manual". The upstream is a thread of this test on
// 127.0.0.1; the client decodes what it gets with zlib and brotli itself.
#include <brotli/encode.h>
#include <zlib.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "server/test_codings.h"
#include "tests/loopback_upstream.h"
#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

// `format` "gzip", "deflate" (zlib wrapper) or "deflate-raw".
std::string Deflate(const std::string& text, const std::string& format) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, format == "gzip" ? 15 + 16 : format == "deflate" ? 15 : -15, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, text.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string Inflate(const std::string& coded) { return server::testing::DecodeWhole("gzip", coded); }

std::string Brotli(const std::string& text) {
  size_t size = BrotliEncoderMaxCompressedSize(text.size());
  std::string out(size, '\0');
  BrotliEncoderCompress(5, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_TEXT, text.size(),
                        reinterpret_cast<const uint8_t*>(text.data()), &size, reinterpret_cast<uint8_t*>(out.data()));
  out.resize(size);
  return out;
}

std::string Unbrotli(const std::string& coded) { return server::testing::DecodeWhole("br", coded); }

// 24 MB in a brotli stream with the largest window (16 MB): decoding it needs a 16 MB ring buffer.
// A few KB coded.
std::string WideBrotli() {
  std::string text(24 << 20, 'a');
  for (size_t i = 0; i < text.size(); i += 4096) text[i] = static_cast<char>('b' + (i / 4096) % 20);
  BrotliEncoderState* state = BrotliEncoderCreateInstance(nullptr, nullptr, nullptr);
  BrotliEncoderSetParameter(state, BROTLI_PARAM_QUALITY, 1);
  BrotliEncoderSetParameter(state, BROTLI_PARAM_LGWIN, BROTLI_MAX_WINDOW_BITS);
  size_t avail_in = text.size();
  const auto* next_in = reinterpret_cast<const uint8_t*>(text.data());
  std::string out;
  while (!BrotliEncoderIsFinished(state)) {
    size_t avail_out = 0;
    BrotliEncoderCompressStream(state, BROTLI_OPERATION_FINISH, &avail_in, &next_in, &avail_out, nullptr, nullptr);
    size_t size = 0;
    const uint8_t* produced = BrotliEncoderTakeOutput(state, &size);
    out.append(reinterpret_cast<const char*>(produced), size);
  }
  BrotliEncoderDestroyInstance(state);
  return out;
}

// ~40 KB of text that compresses well, with a marker to find in it.
std::string Page() {
  std::string page = "<html><body><h1>title</h1>";
  for (int i = 0; i < 800; ++i) page += "<p>paragraph " + std::to_string(i) + " of the page</p>";
  return page + "</body></html>";
}

// GET /gzip, /deflate, /br: Page() with that Content-Encoding (and the coded Content-Length);
// /gzip-chunked: the gzip bytes in 3 chunks; /deflate-raw: raw deflate labelled "deflate";
// /deflate-raw-split: the same, its first byte sent alone before the rest; /corrupt: "gzip" that
// is not.
class CodedUpstream : public LoopbackUpstream {
 public:
  CodedUpstream() : gzip_(Deflate(Page(), "gzip")) { Start(); }
  ~CodedUpstream() override { Stop(); }
  const std::string& gzip() const { return gzip_; }

 private:
  void Serve(int fd) override {
    std::string buf;
    std::string head;
    while (!stopping() && ReadHead(fd, buf, &head)) {
      std::string path = head.substr(4, head.find(' ', 4) - 4);
      std::string coding = path.substr(1);
      std::string body;
      if (path == "/gzip" || path == "/gzip-chunked") {
        body = gzip_;
        coding = "gzip";
      } else if (path == "/deflate") {
        body = Deflate(Page(), "deflate");
      } else if (path == "/deflate-raw" || path == "/deflate-raw-split") {
        body = Deflate(Page(), "deflate-raw");  // labelled "deflate", as some servers send it
        coding = "deflate";
      } else if (path == "/br") {
        body = Brotli(Page());
      } else if (path == "/br-wide") {
        body = wide_br_;
        coding = "br";
      } else if (path == "/corrupt") {
        body = "this is not gzip at all";
        coding = "gzip";
      } else {
        Send(fd, "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");
        continue;
      }
      std::string response = "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-encoding: " + coding + "\r\n";
      if (path == "/deflate-raw-split") {
        Send(fd, response + "transfer-encoding: chunked\r\n\r\n1\r\n" + body.substr(0, 1) + "\r\n");
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a read of its own, most likely
        char size[32];
        std::snprintf(size, sizeof size, "%zx\r\n", body.size() - 1);
        Send(fd, size + body.substr(1) + "\r\n0\r\n\r\n");
        continue;
      }
      if (path == "/gzip-chunked") {
        response += "transfer-encoding: chunked\r\n\r\n";
        size_t third = body.size() / 3;
        for (size_t at = 0; at < body.size(); at += third) {
          std::string piece = body.substr(at, third);
          char size[32];
          std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
          response += size + piece + "\r\n";
        }
        response += "0\r\n\r\n";
      } else {
        response += "content-length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
      }
      Send(fd, response);
    }
  }

  std::string gzip_;
  std::string wide_br_ = WideBrotli();
};

constexpr char kHandler[] = R"(
const base = `http://127.0.0.1:${UPSTREAM_PORT}`;
const routes = {
  // What the tenant reads of a coded body: decoded; the headers as they came.
  async read(coding) {
    const response = await fetch(`${base}/${coding}`);
    const text = await response.text();
    return Response.json({ length: text.length, h1: text.includes("<h1>title</h1>"),
                           encoding: response.headers.get("content-encoding") });
  },
  // Returned untouched: the upstream's bytes pass through.
  async pass(coding) {
    return fetch(`${base}/${coding}`);
  },
  // Read, changed, returned with the fetched headers: the server codes the new body.
  async upper(coding) {
    const response = await fetch(`${base}/${coding}`);
    const text = await response.text();
    return new Response(text.toUpperCase(), response);
  },
  // HTMLRewriter over a fetched gzip page (the Workers idiom): the output is gzip again.
  async rewrite(coding) {
    const response = await fetch(`${base}/${coding}`);
    return new HTMLRewriter().on("h1", { element(e) { e.setInnerContent("rewritten"); } }).transform(response);
  },
  // A streamed body of the handler's own, coded on the way.
  async stream(coding) {
    const encoder = new TextEncoder();
    let i = 0;
    const body = new ReadableStream({
      pull(controller) {
        if (i === 50) return controller.close();
        controller.enqueue(encoder.encode(`<p>streamed ${i++}</p>`));
      },
    });
    return new Response(body, { headers: { "content-encoding": coding, "content-length": "12345" } });
  },
  // Already gzip: sent as it is.
  async manual() {
    const coded = new Response(new Blob(["made by CompressionStream"]).stream().pipeThrough(new CompressionStream("gzip")));
    return new Response(await coded.arrayBuffer(), { headers: { "content-encoding": "gzip" }, encodeBody: "manual" });
  },
  async corrupt() {
    const response = await fetch(`${base}/corrupt`);
    try {
      await response.text();
      return Response.json({ error: "none" });
    } catch (e) {
      return Response.json({ error: `${e.name}: ${e.message}` });
    }
  },
  // Reads the 24 MB br body a piece at a time, keeping nothing: the decoder's window is what counts.
  async wide() {
    const response = await fetch(`${base}/br-wide`);
    let bytes = 0;
    try {
      for await (const chunk of response.body) bytes += chunk.byteLength;
      return Response.json({ bytes });
    } catch (e) {
      return Response.json({ bytes, error: `${e.name}: ${e.message}` });
    }
  },
  async invalid() {
    try {
      new Response("x", { encodeBody: "sometimes" });
      return Response.json({ error: "none" });
    } catch (e) {
      return Response.json({ error: `${e.name}: ${e.message}` });
    }
  },
};
export default {
  async fetch(request) {
    const [, name, coding] = new URL(request.url).pathname.split("/");
    return routes[name](coding);
  },
};
)";

class ContentEncoding : public ::testing::Test {
 protected:
  void SetUp() override { Start(""); }
  // Starts the server; `extra`: more keys of tenant "a".
  void Start(const std::string& extra) {
    server_.reset();
    std::string handler = kHandler;
    handler.replace(handler.find("${UPSTREAM_PORT}"), 16, std::to_string(upstream_.port()));
    fixture_.Write("a.js", handler);
    server_ = std::make_unique<TestServer>(fixture_.WriteConfig("", R"(
[[tenants]]
name = "a"
script = "a.js"
routes = ["*/*"]
cpu_ms = 1000
outbound = ["127.0.0.1:)" + std::to_string(upstream_.port()) + "\"]\n" + extra));
  }
  // As a browser asks: every coding taken.
  HttpResponse Run(const std::string& path) { return Get(server_->port(), path, "Accept-Encoding: gzip, deflate, br\r\n"); }
  // With `accept_encoding` as the request's Accept-Encoding line (empty: none).
  HttpResponse RunAccepting(const std::string& path, const std::string& accept_encoding) {
    return Get(server_->port(), path, accept_encoding.empty() ? "" : "Accept-Encoding: " + accept_encoding + "\r\n");
  }

  CodedUpstream upstream_;
  TenantFixture fixture_;
  std::unique_ptr<TestServer> server_;
};

// "deflate" as zlib or raw (servers send both under that name; browsers decode both), raw with its
// first byte alone in a read.
TEST_F(ContentEncoding, FetchDecodesGzipDeflateAndBrAndKeepsTheHeaders) {
  std::string expected_length = "\"length\":" + std::to_string(Page().size());
  for (std::string coding : {"gzip", "gzip-chunked", "deflate", "deflate-raw", "deflate-raw-split", "br"}) {
    HttpResponse response = Run("/read/" + coding);
    std::string header = coding == "gzip-chunked" ? "gzip" : coding.rfind("deflate", 0) == 0 ? "deflate" : coding;
    EXPECT_EQ(response.status, 200) << coding;
    EXPECT_NE(response.body.find(expected_length), std::string::npos) << coding << ": " << response.body;
    EXPECT_NE(response.body.find("\"h1\":true"), std::string::npos) << coding << ": " << response.body;
    EXPECT_NE(response.body.find("\"encoding\":\"" + header + "\""), std::string::npos) << coding << ": " << response.body;
  }
}

TEST_F(ContentEncoding, AFetchedResponseReturnedUntouchedPassesItsBytesThrough) {
  HttpResponse response = Run("/pass/gzip");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.Header("content-encoding"), "gzip");
  EXPECT_EQ(response.Header("content-length"), std::to_string(upstream_.gzip().size()));
  EXPECT_TRUE(response.body == upstream_.gzip()) << "not the upstream's bytes";
  HttpResponse br = Run("/pass/br");
  EXPECT_EQ(br.Header("content-encoding"), "br");
  EXPECT_TRUE(Unbrotli(br.body) == Page());
}

TEST_F(ContentEncoding, AChangedBodyIsCodedAgainByTheServer) {
  std::string upper = Page();
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (std::string coding : {"gzip", "deflate"}) {
    HttpResponse response = Run("/upper/" + coding);
    EXPECT_EQ(response.Header("content-encoding"), coding);
    EXPECT_EQ(response.Header("content-length"), std::to_string(response.body.size())) << coding;
    EXPECT_LT(response.body.size(), upper.size() / 4) << coding << ": not compressed";
    EXPECT_TRUE(Inflate(response.body) == upper) << coding;
  }
  HttpResponse br = Run("/upper/br");
  EXPECT_EQ(br.Header("content-encoding"), "br");
  EXPECT_TRUE(Unbrotli(br.body) == upper);
}

TEST_F(ContentEncoding, HtmlRewriterOverAFetchedGzipPageAnswersGzip) {
  HttpResponse response = Run("/rewrite/gzip");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.Header("content-encoding"), "gzip");
  std::string page = Inflate(response.body);
  EXPECT_NE(page.find("<h1>rewritten</h1>"), std::string::npos) << page.substr(0, 200);
  EXPECT_NE(page.find("paragraph 799 of the page"), std::string::npos);
}

TEST_F(ContentEncoding, AStreamedBodyIsCodedChunkedAndItsContentLengthDropped) {
  std::string expected;
  for (int i = 0; i < 50; ++i) expected += "<p>streamed " + std::to_string(i) + "</p>";
  HttpResponse gzip = Run("/stream/gzip");
  EXPECT_TRUE(gzip.chunked);
  EXPECT_EQ(gzip.Header("content-length"), "");
  EXPECT_EQ(Inflate(gzip.body), expected);
  HttpResponse br = Run("/stream/br");
  EXPECT_TRUE(br.chunked);
  EXPECT_EQ(Unbrotli(br.body), expected);
}

TEST_F(ContentEncoding, EncodeBodyManualSendsTheBytesAsTheyAre) {
  HttpResponse response = Run("/manual");
  EXPECT_EQ(response.Header("content-encoding"), "gzip");
  EXPECT_EQ(Inflate(response.body), "made by CompressionStream") << "coded twice, or not at all";
  EXPECT_NE(Run("/invalid").body.find("TypeError: Failed to construct 'Response': encodeBody must be"), std::string::npos);
}

TEST_F(ContentEncoding, ACorruptCodedBodyRejectsWithATypeError) {
  HttpResponse response = Run("/corrupt");
  EXPECT_NE(response.body.find("TypeError: fetch to http://127.0.0.1:"), std::string::npos) << response.body;
  EXPECT_NE(response.body.find("its gzip body cannot be decoded"), std::string::npos) << response.body;
  // The tenant goes on serving.
  EXPECT_NE(Run("/read/gzip").body.find("\"h1\":true"), std::string::npos);
}

TEST_F(ContentEncoding, ABrotliDecodersWindowIsChargedToTheTenantsMemory) {
  // 64 MB of budget: the 16 MB window fits and all 24 MB come through.
  HttpResponse roomy = Run("/wide");
  EXPECT_NE(roomy.body.find("\"bytes\":" + std::to_string(24 << 20)), std::string::npos) << roomy.body;
  // 8 MB: the window does not fit; the body fails as undecodable instead of holding 16 MB outside
  // the budget, and the tenant goes on serving.
  Start("memory_mb = 8\n");
  HttpResponse tight = Run("/wide");
  EXPECT_NE(tight.body.find("its br body cannot be decoded"), std::string::npos) << tight.body;
  EXPECT_NE(Run("/read/gzip").body.find("\"h1\":true"), std::string::npos);
}

TEST_F(ContentEncoding, AClientThatDoesNotTakeTheCodingGetsTheBodyUncoded) {
  // As Cloudflare's edge does for such clients (curl without --compressed, scripts): the body as
  // the handler made it, without the Content-Encoding it does not take.
  std::string upper = Page();
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  HttpResponse none = RunAccepting("/upper/gzip", "");
  EXPECT_EQ(none.Header("content-encoding"), "");
  EXPECT_TRUE(none.body == upper) << none.body.size() << " bytes";
  HttpResponse refused = RunAccepting("/upper/br", "gzip, br;q=0");
  EXPECT_EQ(refused.Header("content-encoding"), "");
  EXPECT_TRUE(refused.body == upper) << refused.body.size() << " bytes";
  // A fetched gzip body is not passed through to it: decoded, sent as it is.
  HttpResponse pass = RunAccepting("/pass/gzip", "");
  EXPECT_EQ(pass.Header("content-encoding"), "");
  EXPECT_TRUE(pass.chunked) << "not with the upstream's content-length of the coded bytes";
  EXPECT_TRUE(pass.body == Page()) << pass.body.size() << " bytes, not the page's " << Page().size();
  // Streamed: chunked, the uncoded body whole.
  std::string streamed;
  for (int i = 0; i < 50; ++i) streamed += "<p>streamed " + std::to_string(i) + "</p>";
  HttpResponse stream = RunAccepting("/stream/br", "gzip");
  EXPECT_EQ(stream.Header("content-encoding"), "");
  EXPECT_TRUE(stream.chunked);
  EXPECT_EQ(stream.body, streamed);
  // A body the handler coded itself ("manual") is decoded for it.
  HttpResponse manual = RunAccepting("/manual", "br");
  EXPECT_EQ(manual.Header("content-encoding"), "");
  EXPECT_EQ(manual.body, "made by CompressionStream");
  // A client that takes it still gets it coded.
  EXPECT_EQ(RunAccepting("/upper/gzip", "gzip").Header("content-encoding"), "gzip");
  EXPECT_TRUE(RunAccepting("/pass/gzip", "*").body == upstream_.gzip());
}

}  // namespace
}  // namespace atl::testing
