// Streamed bodies end to end: the real binary on 127.0.0.1, raw bytes on a socket. A response
// whose body is a ReadableStream goes out chunk by chunk as it is produced, no faster than the
// client reads; a request body reaches request.body while it arrives, no faster than the handler
// reads; a client that goes away cancels the stream.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <regex>
#include <thread>

#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr char kLimits[] = R"(
cpu_ms = 20000
wall_ms = 60000
max_request_body = "300MB"
)";

// The streaming handler as tenant "s" on every route, with room for big uploads.
class Streaming : public ::testing::Test {
 protected:
  void SetUp() override {
    fixture_.Write("lib/path.js", ReadSource("tests/scripts/lib/path.js"));
    fixture_.Write("streaming.js", ReadSource("tests/scripts/streaming.js"));
    server_ = std::make_unique<TestServer>(fixture_.WriteConfig("", std::string(R"(
[[tenants]]
name = "s"
script = "streaming.js"
routes = ["*/*"]
)") + kLimits));
  }

  static std::string ReadSource(const std::string& relative) {
    std::ifstream in(SourcePath(relative));
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  int port() const { return server_->port(); }

  TenantFixture fixture_;
  std::unique_ptr<TestServer> server_;
};

int64_t JsonNumber(const std::string& json, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(json, m, std::regex("\"" + key + "\":(\\d+)"))) return -1;
  return std::stoll(m[1]);
}

TEST_F(Streaming, ChunksReachTheClientAsTheyAreProduced) {
  RawClient client(port());
  auto start = Clock::now();
  client.Send("GET /ticks HTTP/1.1\r\nHost: a\r\n\r\n");
  std::string seen;
  double first_ms = -1, last_ms = -1;
  while (last_ms < 0 && Clock::now() - start < std::chrono::seconds(5)) {
    seen += client.ReadSome(milliseconds(20));
    double now = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (first_ms < 0 && seen.find("chunk-0") != std::string::npos) first_ms = now;
    if (seen.find("chunk-9") != std::string::npos) last_ms = now;
  }
  ASSERT_GE(first_ms, 0) << seen;
  ASSERT_GE(last_ms, 0) << seen;
  EXPECT_NE(seen.find("transfer-encoding: chunked"), std::string::npos) << seen;
  EXPECT_EQ(seen.find("content-length"), std::string::npos) << seen;
  EXPECT_LT(first_ms, 300) << "the first chunk waited for the others";
  EXPECT_GT(last_ms - first_ms, 700) << "the chunks were not sent as produced";
  RecordProperty("first_chunk_ms", static_cast<int>(first_ms));
  RecordProperty("last_chunk_ms", static_cast<int>(last_ms));
  std::printf("first chunk after %.0f ms, last after %.0f ms\n", first_ms, last_ms);
  // The chunked body ends properly and the connection serves the next request.
  EXPECT_NE(seen.find("0\r\n\r\n"), std::string::npos);
  client.Send("GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(client.ReadResponse().body, "path /next");
}

TEST_F(Streaming, ReadingStopsWhileTheClientDoesNot) {
  RawClient slow(port());
  slow.Send("GET /firehose HTTP/1.1\r\nHost: a\r\n\r\n");
  std::string head;
  for (int i = 0; i < 200 && head.find("200 OK") == std::string::npos; ++i) head += slow.ReadSome(milliseconds(3));
  ASSERT_NE(head.find("200 OK"), std::string::npos);
  std::this_thread::sleep_for(milliseconds(500));
  int64_t pulled = JsonNumber(Get(port(), "/pulled").body, "pulled");
  std::this_thread::sleep_for(milliseconds(300));
  int64_t later = JsonNumber(Get(port(), "/pulled").body, "pulled");
  // What the kernel's socket buffers hold (up to tcp_rmem's 32 MB on loopback here) plus the
  // server's 64 KB bound, not an endless stream.
  EXPECT_GT(pulled, 0);
  EXPECT_LT(pulled, 64 << 20) << "the stream was read without regard for the client";
  EXPECT_EQ(later, pulled) << "the stream is still being read while the client reads nothing";
  std::printf("%lld bytes pulled from the stream while the client read nothing\n", static_cast<long long>(pulled));
  // Reading resumes it.
  size_t read = 0;
  auto until = Clock::now() + std::chrono::seconds(5);
  while (read < static_cast<size_t>(pulled) + (4 << 20) && Clock::now() < until) read += slow.ReadSome(milliseconds(50)).size();
  EXPECT_GT(JsonNumber(Get(port(), "/pulled").body, "pulled"), pulled);
}

TEST_F(Streaming, ClientDisconnectingMidStreamCancelsIt) {
  for (int i = 0; i < 3; ++i) {
    RawClient client(port());
    client.Send("GET /forever HTTP/1.1\r\nHost: a\r\n\r\n");
    std::string some = client.ReadSome(milliseconds(200));
    ASSERT_NE(some.find("tick"), std::string::npos) << some;
  }  // each client closes here, mid-stream
  auto until = Clock::now() + std::chrono::seconds(5);
  int64_t cancelled = 0;
  while (cancelled < 3 && Clock::now() < until) {
    std::this_thread::sleep_for(milliseconds(50));
    cancelled = JsonNumber(Get(port(), "/pulled").body, "cancelled");
  }
  EXPECT_EQ(cancelled, 3) << server_->log();
  EXPECT_TRUE(server_->WaitForLog("forever cancelled: TypeError"));
  EXPECT_TRUE(server_->running());
  EXPECT_EQ(Get(port(), "/after").body, "path /after");
  EXPECT_EQ(server_->log().find("\"level\":\"error\""), std::string::npos) << server_->log();
}

TEST_F(Streaming, LargeUploadStreamsWithBoundedMemory) {
  Get(port(), "/warm");  // the isolate and the streams module are loaded before the baseline
  RawClient warm(port());
  warm.Send("POST /count HTTP/1.1\r\nHost: a\r\nContent-Length: 1048576\r\n\r\n" + std::string(1 << 20, 'w'));
  ASSERT_EQ(JsonNumber(warm.ReadResponse().body, "bytes"), 1 << 20);
  int64_t before = ResidentKb(server_->worker_pid());

  constexpr size_t kTotal = 200u << 20;
  std::atomic<bool> done{false};
  std::atomic<int64_t> peak{before};
  std::thread sampler([&] {
    while (!done) {
      peak = std::max<int64_t>(peak, ResidentKb(server_->worker_pid()));
      std::this_thread::sleep_for(milliseconds(5));
    }
  });
  RawClient client(port());
  client.Send("POST /count HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(kTotal) + "\r\n\r\n");
  std::string block(1 << 20, 'u');
  auto start = Clock::now();
  for (size_t sent = 0; sent < kTotal; sent += block.size()) client.Send(block);
  HttpResponse r = client.ReadResponse(false, std::chrono::seconds(60));
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  done = true;
  sampler.join();
  ASSERT_EQ(r.status, 200) << r.body << server_->log();
  EXPECT_EQ(JsonNumber(r.body, "bytes"), static_cast<int64_t>(kTotal));
  EXPECT_GT(JsonNumber(r.body, "chunks"), 100) << "the body arrived in pieces";
  int64_t growth_kb = peak - before;
  RecordProperty("rss_growth_kb", static_cast<int>(growth_kb));
  std::printf("200 MB upload in %.2f s (%s), resident memory grew %lld KB at most\n", seconds, r.body.c_str(),
              static_cast<long long>(growth_kb));
  EXPECT_LT(growth_kb, 32 * 1024);
}

TEST_F(Streaming, ChunkedUploadEchoedBackAsAStream) {
  RawClient client(port());
  std::string request = "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string expected;
  for (int i = 0; i < 200; ++i) {
    std::string piece(1000 + i, static_cast<char>('a' + i % 26));
    expected += piece;
    char size[16];
    std::snprintf(size, sizeof(size), "%zx\r\n", piece.size());
    request += size + piece + "\r\n";
  }
  request += "0\r\n\r\n";
  client.Send(request);
  HttpResponse r = client.ReadResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.chunked);
  EXPECT_EQ(r.body.size(), expected.size());
  EXPECT_TRUE(r.body == expected);
  // A small body sent in pieces still reads as text.
  client.Send("POST /text HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
  std::this_thread::sleep_for(milliseconds(50));
  client.Send("2\r\nde\r\n0\r\n\r\n");
  EXPECT_EQ(client.ReadResponse().body, "abcde");
}

TEST_F(Streaming, UnreadBodyIsDiscardedAndTheConnectionGoesOn) {
  RawClient client(port());
  client.Send("POST /ignore-body HTTP/1.1\r\nHost: a\r\nContent-Length: 3000000\r\n\r\n" + std::string(3000000, 'z') +
              "GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(client.ReadResponse().body, "ignored");
  EXPECT_EQ(client.ReadResponse().body, "path /next");
}

TEST_F(Streaming, FramingContentLengthHeadErrorsAndCompression) {
  HttpResponse sized = Get(port(), "/length");
  EXPECT_EQ(sized.Header("content-length"), "5");
  EXPECT_FALSE(sized.chunked);
  EXPECT_EQ(sized.body, "abcde");

  RawClient head(port());
  head.Send("HEAD /ticks HTTP/1.1\r\nHost: a\r\n\r\n");
  HttpResponse r = head.ReadResponse(true);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  head.Send("GET /after-head HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(head.ReadResponse().body, "path /after-head");

  // A stream that errors: what was sent stays, the chunked body never ends, the connection closes.
  RawClient broken(port());
  broken.Send("GET /broken HTTP/1.1\r\nHost: a\r\n\r\n");
  std::string raw;
  auto until = Clock::now() + std::chrono::seconds(3);
  while (!broken.WaitForClose(milliseconds(10)) && Clock::now() < until) raw += broken.ReadSome(milliseconds(20));
  raw += broken.ReadSome(milliseconds(20));
  EXPECT_NE(raw.find("partial"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("0\r\n\r\n"), std::string::npos) << raw;
  EXPECT_TRUE(server_->WaitForLog("source failed on purpose"));

  HttpResponse gzip = Get(port(), "/gzip", "Accept-Encoding: gzip\r\n");
  EXPECT_EQ(gzip.Header("content-encoding"), "gzip");
  ASSERT_GE(gzip.body.size(), 10u);
  EXPECT_EQ(static_cast<unsigned char>(gzip.body[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(gzip.body[1]), 0x8b);
}

}  // namespace
}  // namespace atl::testing
