// The fetch client in process against a scripted peer on loopback (h2o's
// t/00unit/lib/common/httpclient.c in spirit): responses parsed, chunked bodies, keep-alive reuse,
// malformed responses, a streamed request body, a sink that pauses and resumes.
#include "server/http_client.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "server/net_test_util.h"

namespace atl::server {
namespace {

using testing::Peer;
using testing::RunUntil;

struct RecordingSink : FetchSink {
  int status = 0;
  std::string status_text;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool ended = false;
  std::string error;
  int drains = 0;
  bool done() const { return ended || !error.empty(); }

  void OnHead(int s, std::string_view text, const std::vector<std::pair<std::string, std::string>>& h) override {
    status = s;
    status_text = std::string(text);
    headers = h;
  }
  bool OnChunk(std::string_view bytes) override {
    body.append(bytes);
    return true;
  }
  void OnEnd() override { ended = true; }
  void OnError(const std::string& message) override { error = message; }
  void OnDrain() override { ++drains; }
};

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    uv_loop_init(&loop_);
    listener_ = testing::ListenLoopback(&port_);
    ASSERT_GE(listener_, 0);
    client_ = std::make_unique<HttpClient>(&loop_, limits_);
  }
  void TearDown() override {
    client_.reset();
    peer_.Close();
    ::close(listener_);
    testing::FinishLoop(&loop_);
  }

  OutboundRequest Request(std::string target) {
    OutboundRequest r;
    r.host = "127.0.0.1";
    r.port = port_;
    r.target = std::move(target);
    r.outbound = {"127.0.0.1"};  // loopback is refused unless the tenant lists it
    r.headers = {{"x-test", "1"}};
    return r;
  }

  // Runs until the peer holds a whole request head (and `body_bytes` more), accepting the
  // connection if a new one comes.
  bool PeerReadsRequest(size_t body_bytes = 0) {
    peer_.Clear();  // what came before belongs to earlier requests
    return RunUntil(&loop_, [&] {
      if (peer_.AcceptFrom(listener_)) ++accepted_;
      if (!peer_.connected()) return false;
      peer_.Poll();
      size_t end = peer_.received().find("\r\n\r\n");
      return end != std::string::npos && peer_.received().size() >= end + 4 + body_bytes;
    });
  }

  uv_loop_t loop_;
  isolates::FetchLimits limits_;
  int listener_ = -1;
  uint16_t port_ = 0;
  std::unique_ptr<HttpClient> client_;
  Peer peer_;
  int accepted_ = 0;
};

TEST_F(HttpClientTest, ParsesAResponseFromThePeer) {
  RecordingSink sink;
  ASSERT_NE(client_->Start(Request("/a?b"), &sink), nullptr);
  ASSERT_TRUE(PeerReadsRequest());
  EXPECT_EQ(peer_.received().substr(0, peer_.received().find("\r\n")), "GET /a?b HTTP/1.1");
  EXPECT_NE(peer_.received().find("host: 127.0.0.1:" + std::to_string(port_) + "\r\n"), std::string::npos);
  EXPECT_NE(peer_.received().find("x-test: 1\r\n"), std::string::npos);
  peer_.Send("HTTP/1.1 201 Made\r\nContent-Length: 5\r\nX-Reply: yes  \r\n\r\nhello");
  ASSERT_TRUE(RunUntil(&loop_, [&] { return sink.done(); }));
  EXPECT_EQ(sink.error, "");
  EXPECT_EQ(sink.status, 201);
  EXPECT_EQ(sink.status_text, "Made");
  EXPECT_EQ(sink.headers, (std::vector<std::pair<std::string, std::string>>{{"content-length", "5"}, {"x-reply", "yes"}}));
  EXPECT_EQ(sink.body, "hello");
}

TEST_F(HttpClientTest, ChunkedResponseAndKeepAliveReuse) {
  RecordingSink first;
  ASSERT_NE(client_->Start(Request("/1"), &first), nullptr);
  ASSERT_TRUE(PeerReadsRequest());
  peer_.Send("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
  peer_.Send("2\r\nde\r\n0\r\n\r\n");
  ASSERT_TRUE(RunUntil(&loop_, [&] { return first.done(); }));
  EXPECT_TRUE(first.ended) << first.error;
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.body, "abcde");

  // The second fetch to the origin goes over the same connection.
  RecordingSink second;
  ASSERT_NE(client_->Start(Request("/2"), &second), nullptr);
  ASSERT_TRUE(PeerReadsRequest());
  EXPECT_EQ(peer_.received().substr(0, 17), "GET /2 HTTP/1.1\r\n");
  peer_.Send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_TRUE(RunUntil(&loop_, [&] { return second.done(); }));
  EXPECT_EQ(second.body, "ok");
  EXPECT_EQ(accepted_, 1);
  EXPECT_EQ(client_->connections_opened(), 1u);
}

// A sink that asks to wait after every piece (as fetch's JS side does past 64 KB queued), and
// records the pieces it was given.
struct PausingSink : RecordingSink {
  std::vector<size_t> pieces;
  bool OnChunk(std::string_view bytes) override {
    pieces.push_back(bytes.size());
    body.append(bytes);
    return false;
  }
};

TEST_F(HttpClientTest, APausedResponseResumesToItsEndWithNoEmptyPiece) {
  // Paused on the body's last piece: the resume finishes the response (it hung before).
  PausingSink last;
  HttpClient::Exchange* x = client_->Start(Request("/last"), &last);
  ASSERT_NE(x, nullptr);
  ASSERT_TRUE(PeerReadsRequest());
  peer_.Send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
  ASSERT_TRUE(RunUntil(&loop_, [&] { return last.body == "hello"; }));
  EXPECT_FALSE(last.ended);
  client_->Resume(x);
  ASSERT_TRUE(RunUntil(&loop_, [&] { return last.done(); }));
  EXPECT_TRUE(last.ended) << last.error;
  // Paused on a piece that ended a read mid-body: the resume hands on nothing empty, and the
  // rest arrives after it.
  PausingSink middle;
  HttpClient::Exchange* y = client_->Start(Request("/middle"), &middle);
  ASSERT_NE(y, nullptr);
  ASSERT_TRUE(PeerReadsRequest());
  peer_.Send("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabc");
  ASSERT_TRUE(RunUntil(&loop_, [&] { return middle.body == "abc"; }));
  client_->Resume(y);
  peer_.Send("def");
  ASSERT_TRUE(RunUntil(&loop_, [&] { return middle.body == "abcdef"; }));
  client_->Resume(y);
  ASSERT_TRUE(RunUntil(&loop_, [&] { return middle.done(); }));
  EXPECT_TRUE(middle.ended) << middle.error;
  EXPECT_EQ(middle.pieces, (std::vector<size_t>{3, 3}));
}

TEST_F(HttpClientTest, ABodyToTheConnectionsEndAndAClosedConnectionIsNotReused) {
  RecordingSink first;
  ASSERT_NE(client_->Start(Request("/1"), &first), nullptr);
  ASSERT_TRUE(PeerReadsRequest());
  peer_.Send("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end");
  peer_.Close();
  ASSERT_TRUE(RunUntil(&loop_, [&] { return first.done(); }));
  EXPECT_TRUE(first.ended) << first.error;
  EXPECT_EQ(first.body, "until the end");

  RecordingSink second;
  ASSERT_NE(client_->Start(Request("/2"), &second), nullptr);
  ASSERT_TRUE(PeerReadsRequest());
  peer_.Send("HTTP/1.1 204 No Content\r\n\r\n");
  ASSERT_TRUE(RunUntil(&loop_, [&] { return second.done(); }));
  EXPECT_TRUE(second.ended);
  EXPECT_EQ(client_->connections_opened(), 2u);
}

TEST_F(HttpClientTest, MalformedResponseAndEarlyCloseAreErrors) {
  RecordingSink bad;
  ASSERT_NE(client_->Start(Request("/"), &bad), nullptr);
  ASSERT_TRUE(PeerReadsRequest());
  peer_.Send("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n");
  ASSERT_TRUE(RunUntil(&loop_, [&] { return bad.done(); }));
  EXPECT_NE(bad.error.find("fetch to http://127.0.0.1:" + std::to_string(port_) + " failed: invalid HTTP response ("),
            std::string::npos)
      << bad.error;

  RecordingSink cut;
  ASSERT_NE(client_->Start(Request("/"), &cut), nullptr);
  ASSERT_TRUE(PeerReadsRequest());
  peer_.Send("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort");
  peer_.Close();
  ASSERT_TRUE(RunUntil(&loop_, [&] { return cut.done(); }));
  EXPECT_NE(cut.error.find("the connection closed before the response ended"), std::string::npos) << cut.error;
}

TEST_F(HttpClientTest, StreamedRequestBodyIsChunked) {
  RecordingSink sink;
  OutboundRequest r = Request("/up");
  r.method = "POST";
  r.body_streamed = true;
  HttpClient::Exchange* x = client_->Start(std::move(r), &sink);
  ASSERT_NE(x, nullptr);
  EXPECT_TRUE(client_->Write(x, "hello "));  // before the head went out: kept with it
  ASSERT_TRUE(PeerReadsRequest());
  EXPECT_TRUE(client_->Write(x, "world"));
  client_->EndBody(x);
  ASSERT_TRUE(RunUntil(&loop_, [&] {
    peer_.Poll();
    return peer_.received().ends_with("0\r\n\r\n");
  }));
  std::string body = peer_.received().substr(peer_.received().find("\r\n\r\n") + 4);
  EXPECT_EQ(body, "6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n");
  EXPECT_NE(peer_.received().find("transfer-encoding: chunked\r\n"), std::string::npos);
  peer_.Send("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(RunUntil(&loop_, [&] { return sink.done(); }));
  EXPECT_TRUE(sink.ended) << sink.error;
}

TEST_F(HttpClientTest, StreamedBodyOfKnownLengthGoesWithContentLengthAndNeverPastIt) {
  RecordingSink sink;
  OutboundRequest r = Request("/up");
  r.method = "PUT";
  r.body_streamed = true;
  r.body_length = 11;
  r.headers = {{"content-length", "999"}, {"transfer-encoding", "chunked"}};  // the tenant's: dropped
  HttpClient::Exchange* x = client_->Start(std::move(r), &sink);
  ASSERT_NE(x, nullptr);
  EXPECT_TRUE(client_->Write(x, "hello "));  // before the head went out: kept with it
  ASSERT_TRUE(PeerReadsRequest());
  EXPECT_TRUE(client_->Write(x, "world"));
  EXPECT_TRUE(client_->Write(x, "!!! past the length"));  // never sent
  client_->EndBody(x);
  ASSERT_TRUE(RunUntil(&loop_, [&] {
    peer_.Poll();
    return peer_.received().ends_with("hello world");
  }));
  const std::string& got = peer_.received();
  EXPECT_NE(got.find("content-length: 11\r\n"), std::string::npos) << got;
  EXPECT_EQ(got.find("content-length: 999"), std::string::npos) << got;
  EXPECT_EQ(got.find("chunked"), std::string::npos) << got;
  EXPECT_EQ(got.substr(got.find("\r\n\r\n") + 4), "hello world");
  peer_.Send("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(RunUntil(&loop_, [&] { return sink.done(); }));
  EXPECT_TRUE(sink.ended) << sink.error;
}

TEST_F(HttpClientTest, ABodyThatFilledTheBufferBeforeTheHeadWentOutIsDrainedOnce) {
  // Written before the connection was up, the body fills the upload buffer (Write answers
  // false); the head and that body then go out in one write the kernel takes at once, so no
  // write completes later: the drain must still come, or the body's source waits forever.
  RecordingSink sink;
  OutboundRequest r = Request("/up");
  r.method = "POST";
  r.body_streamed = true;
  HttpClient::Exchange* x = client_->Start(std::move(r), &sink);
  ASSERT_NE(x, nullptr);
  EXPECT_FALSE(client_->Write(x, std::string(limits_.max_buffered_upload, 'a')));
  ASSERT_TRUE(PeerReadsRequest(limits_.max_buffered_upload));
  ASSERT_TRUE(RunUntil(&loop_, [&] { return sink.drains > 0; })) << "no drain after the head and body went out";
  EXPECT_EQ(sink.drains, 1);
  client_->Cancel(x);  // no response will come: the exchange is ours to end (LeakSanitizer)
}

TEST_F(HttpClientTest, RefusesLoopbackUnlessListed) {
  RecordingSink sink;
  OutboundRequest r = Request("/");
  r.outbound.clear();
  EXPECT_EQ(client_->Start(std::move(r), &sink), nullptr);
  EXPECT_NE(sink.error.find("refused"), std::string::npos) << sink.error;
  EXPECT_EQ(client_->connections_opened(), 0u);
}

// A client shut down (and destroyed) while a DNS lookup runs: the lookup's completion frees its
// exchange and touches nothing else (it called back into the destroyed client), no connection is
// made, the sink hears nothing. "localhost" is looked up through /etc/hosts; nothing is sent.
TEST_F(HttpClientTest, ALookupThatEndsAfterShutdownTouchesNothing) {
  RecordingSink sink;
  OutboundRequest request = Request("/late");
  request.host = "localhost";
  request.outbound = {"localhost"};
  ASSERT_NE(client_->Start(std::move(request), &sink), nullptr);
  client_.reset();
  for (int i = 0; i < 200 && uv_loop_alive(&loop_); ++i) {
    uv_run(&loop_, UV_RUN_NOWAIT);
    usleep(1000);
  }
  EXPECT_FALSE(uv_loop_alive(&loop_)) << "the lookup did not end";
  EXPECT_FALSE(peer_.AcceptFrom(listener_)) << "a connection was made after the shutdown";
  EXPECT_FALSE(sink.done());
  EXPECT_EQ(sink.status, 0);
}

}  // namespace
}  // namespace atl::server
