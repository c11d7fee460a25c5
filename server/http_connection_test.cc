// HttpConnection in process (through HttpServer, which accepts it) against a client socket on
// loopback and a fake RequestSink: keep-alive, pipelining order, a streamed request body, parse
// errors.
#include "server/http_connection.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "server/http_server.h"
#include "server/net_test_util.h"

namespace atl::server {
namespace {

using testing::Peer;
using testing::RunUntil;

// Records each request; answers it at once with "<method> <url> <body>" unless told to wait.
class FakeSink : public RequestSink {
 public:
  struct Request {
    uint64_t id;
    std::string method, url, body;
    std::vector<std::pair<std::string, std::string>> headers;
    bool streamed;
    ResponseSink* response;
  };
  bool answer_now = true;
  std::vector<Request> requests;
  std::map<uint64_t, std::string> uploads;
  std::map<uint64_t, std::string> upload_ends;  // id -> error ("" when complete)

  RouteDecision Route(std::string_view, std::string_view) override { return {0, 1 << 20}; }
  void Dispatch(uint64_t id, int32_t, const bindings::RequestView& r, ResponseSink& response) override {
    Request& req = requests.emplace_back();
    req.id = id;
    req.response = &response;
    req.method = std::string(r.method);
    req.url = std::string(r.url);
    req.body = std::string(r.body);
    for (const auto& [name, value] : r.headers) req.headers.emplace_back(name, value);
    req.streamed = r.body_streamed;
    if (answer_now && !r.body_streamed) Answer(requests.back());
  }
  bool PushUpload(uint64_t id, int32_t, std::string_view bytes) override {
    uploads[id].append(bytes);
    return true;
  }
  void EndUpload(uint64_t id, int32_t, std::string_view error) override { upload_ends[id] = std::string(error); }

  void Answer(const Request& req, std::string_view extra = "") {
    std::string body = req.method + " " + req.url + " " + req.body + std::string(extra);
    bindings::ResponseView response;
    response.body = body;
    req.response->Respond(response);
  }
};

class HttpConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    uv_loop_init(&loop_);
    limits_.max_header_bytes = 1024;
    limits_.max_buffered_request_body = 16;
  }
  void Start() {
    server_ = std::make_unique<HttpServer>(&loop_, limits_, &sink_);
    uint16_t port = 0;
    int fd = testing::ListenLoopback(&port);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(server_->ListenOn(fd).ok());
    client_ = std::make_unique<Peer>(testing::ConnectLoopback(port));
    ASSERT_TRUE(client_->connected());
  }
  void TearDown() override {
    client_.reset();
    if (server_ != nullptr) server_->Shutdown();
    testing::FinishLoop(&loop_);
    server_.reset();
  }
  // Runs until the client received `count` whole responses (by their status lines) or the end.
  bool Receive(size_t count) {
    return RunUntil(&loop_, [&] {
      bool eof = client_->Poll();
      size_t seen = 0;
      for (size_t at = client_->received().find("HTTP/1.1 "); at != std::string::npos;
           at = client_->received().find("HTTP/1.1 ", at + 1)) {
        ++seen;
      }
      return eof || (seen >= count && client_->received().ends_with(LastBodyEnd()));
    });
  }
  // Every test's responses end in a body the test knows; by default anything.
  std::string LastBodyEnd() const { return last_body_end_; }

  uv_loop_t loop_;
  isolates::ConnectionLimits limits_;
  FakeSink sink_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<Peer> client_;
  std::string last_body_end_;
};

TEST_F(HttpConnectionTest, KeepAliveAnswersInRequestOrder) {
  Start();
  sink_.answer_now = false;
  client_->Send("GET /a HTTP/1.1\r\nHost: x.test\r\n\r\nPOST /b HTTP/1.1\r\nHost: x.test\r\nContent-Length: 3\r\n\r\nabc");
  ASSERT_TRUE(RunUntil(&loop_, [&] { return sink_.requests.size() == 2; }));
  EXPECT_EQ(sink_.requests[0].url, "http://x.test/a");
  EXPECT_EQ(sink_.requests[1].body, "abc");
  EXPECT_EQ(sink_.requests[1].headers[0], (std::pair<std::string, std::string>{"host", "x.test"}));
  // The second answer first: it waits for the first.
  sink_.Answer(sink_.requests[1]);
  RunUntil(&loop_, [&] { client_->Poll(); return false; }, 50);
  EXPECT_EQ(client_->received(), "");
  sink_.Answer(sink_.requests[0]);
  last_body_end_ = "POST http://x.test/b abc";
  ASSERT_TRUE(Receive(2));
  const std::string& out = client_->received();
  size_t first = out.find("GET http://x.test/a ");
  size_t second = out.find("POST http://x.test/b abc");
  ASSERT_NE(first, std::string::npos) << out;
  ASSERT_NE(second, std::string::npos) << out;
  EXPECT_LT(first, second);
  EXPECT_EQ(out.find("connection: close"), std::string::npos) << out;
  EXPECT_FALSE(client_->eof());

  // The connection stays open for a third.
  client_->Clear();
  sink_.answer_now = true;
  client_->Send("GET /c HTTP/1.1\r\nHost: x.test\r\n\r\n");
  last_body_end_ = "GET http://x.test/c ";
  ASSERT_TRUE(Receive(1));
  EXPECT_TRUE(client_->received().starts_with("HTTP/1.1 200 OK\r\n")) << client_->received();
}

// The connection's timer is lazy (a request read whole leaves libuv's timer armed for the idle
// deadline): a slow head after answered requests still gets its header timeout, not the idle
// timeout it may have been armed for.
TEST_F(HttpConnectionTest, SlowHeadAfterAnsweredRequestsGetsTheHeaderTimeout) {
  limits_.idle_timeout_ms = 60'000;  // past RunUntil's 10 s: only the header timeout can answer
  limits_.header_timeout_ms = 100;
  Start();
  for (int i = 0; i < 20; ++i) {
    client_->Clear();
    client_->Send("GET /r HTTP/1.1\r\nHost: x.test\r\n\r\n");
    last_body_end_ = "GET http://x.test/r ";
    ASSERT_TRUE(Receive(1)) << i;
  }
  client_->Clear();
  client_->Send("GET /slow HTTP/1.1\r\nHost: x.test\r\n");  // and no more
  ASSERT_TRUE(RunUntil(&loop_, [&] { return client_->Poll(); }));
  EXPECT_TRUE(client_->received().starts_with("HTTP/1.1 408 ")) << client_->received();
  EXPECT_EQ(sink_.requests.size(), 20u);
}

// ... and an answered connection the client keeps busy is not closed at the idle deadline its
// first answer armed, while one it leaves alone is.
TEST_F(HttpConnectionTest, BusyConnectionOutlivesTheIdleTimeoutAndAnIdleOneCloses) {
  limits_.idle_timeout_ms = 400;
  limits_.header_timeout_ms = 60'000;
  Start();
  auto start = std::chrono::steady_clock::now();
  int answered = 0;
  // Requests 50 ms apart for three idle timeouts: never idle for 400 ms.
  while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(1200)) {
    client_->Clear();
    client_->Send("GET /busy HTTP/1.1\r\nHost: x.test\r\n\r\n");
    last_body_end_ = "GET http://x.test/busy ";
    ASSERT_TRUE(Receive(1)) << answered;
    ASSERT_FALSE(client_->eof()) << "closed after " << answered << " answers";
    ++answered;
    RunUntil(&loop_, [&] { return client_->Poll(); }, 50);
    ASSERT_FALSE(client_->eof()) << "closed while busy, after " << answered << " answers";
  }
  EXPECT_GE(answered, 3);
  // Left alone, it closes (RunUntil gives up after 10 s).
  EXPECT_TRUE(RunUntil(&loop_, [&] { return client_->Poll(); }));
  EXPECT_TRUE(client_->eof());
}

TEST_F(HttpConnectionTest, LargeOrChunkedBodyStreamsToTheHandler) {
  Start();
  client_->Send("POST /up HTTP/1.1\r\nHost: x.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
  ASSERT_TRUE(RunUntil(&loop_, [&] { return !sink_.requests.empty(); }));
  ASSERT_TRUE(sink_.requests[0].streamed);
  uint64_t id = sink_.requests[0].id;
  ASSERT_TRUE(RunUntil(&loop_, [&] { return sink_.uploads[id] == "hello"; }));
  EXPECT_FALSE(sink_.upload_ends.contains(id));
  client_->Send("7\r\n, world\r\n0\r\n\r\n");
  ASSERT_TRUE(RunUntil(&loop_, [&] { return sink_.upload_ends.contains(id); }));
  EXPECT_EQ(sink_.uploads[id], "hello, world");
  EXPECT_EQ(sink_.upload_ends[id], "");
  sink_.Answer(sink_.requests[0], "streamed");
  last_body_end_ = "streamed";
  ASSERT_TRUE(Receive(1));
  EXPECT_TRUE(client_->received().starts_with("HTTP/1.1 200 OK\r\n")) << client_->received();
}

TEST_F(HttpConnectionTest, MalformedRequestGets400AndTheConnectionCloses) {
  Start();
  client_->Send("GET /ok HTTP/1.1\r\nHost: x.test\r\n\r\nGET / HTTP/1.1\r\nHost : x\r\n\r\n");
  ASSERT_TRUE(RunUntil(&loop_, [&] { return client_->Poll(); }));
  const std::string& out = client_->received();
  size_t ok = out.find("HTTP/1.1 200 OK\r\n");
  size_t bad = out.find("HTTP/1.1 400 ");
  ASSERT_NE(ok, std::string::npos) << out;
  ASSERT_NE(bad, std::string::npos) << out;
  EXPECT_LT(ok, bad);
  EXPECT_NE(out.find("connection: close", bad), std::string::npos) << out;
  EXPECT_EQ(sink_.requests.size(), 1u);
}

TEST_F(HttpConnectionTest, HeadOverTheLimitGets431) {
  Start();
  client_->Send("GET / HTTP/1.1\r\nHost: x.test\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n");
  ASSERT_TRUE(RunUntil(&loop_, [&] { return client_->Poll(); }));
  EXPECT_TRUE(client_->received().starts_with("HTTP/1.1 431 ")) << client_->received();
  EXPECT_TRUE(sink_.requests.empty());
}

TEST_F(HttpConnectionTest, Http10ClosesAfterItsAnswer) {
  Start();
  client_->Send("GET /old HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(RunUntil(&loop_, [&] { return client_->Poll(); }));
  EXPECT_TRUE(client_->received().starts_with("HTTP/1.1 200 OK\r\n")) << client_->received();
  EXPECT_NE(client_->received().find("connection: close\r\n"), std::string::npos) << client_->received();
  EXPECT_TRUE(client_->received().ends_with("/old ")) << client_->received();
}

}  // namespace
}  // namespace atl::server
