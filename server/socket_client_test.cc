// The socket client (cloudflare:sockets' connections) in process against a scripted peer on
// loopback: opening, both directions, half-closes either way, backpressure both ways, the guard,
// a silent Close. TLS over these sockets is tests/sockets_test.cc's (a STARTTLS peer).
#include "server/socket_client.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "server/http_client.h"
#include "server/net_test_util.h"

namespace atl::server {
namespace {

using testing::Peer;
using testing::RunUntil;

struct SocketSink : FetchSink {
  bool opened = false;
  std::string remote;
  std::string data;
  bool peer_ended = false;
  bool ended = false;
  std::string error;
  int drains = 0;
  bool reading = true;  // OnChunk's answer
  int events_after_close = 0;

  void OnHead(int, std::string_view text, const std::vector<std::pair<std::string, std::string>>&) override {
    opened = true;
    remote = std::string(text);
  }
  bool OnChunk(std::string_view bytes) override {
    data.append(bytes);
    return reading;
  }
  void OnEnd() override { ended = true; }
  void OnError(const std::string& message) override { error = message; }
  void OnDrain() override { ++drains; }
  void OnPeerEnd() override { peer_ended = true; }
};

class SocketClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    uv_loop_init(&loop_);
    listener_ = testing::ListenLoopback(&port_);
    ASSERT_GE(listener_, 0);
    client_ = std::make_unique<SocketClient>(&loop_, limits_);
  }
  void TearDown() override {
    client_.reset();
    peer_.Close();
    ::close(listener_);
    testing::FinishLoop(&loop_);
  }

  SocketRequest Request(std::vector<std::string> outbound = {"127.0.0.1"}) {
    SocketRequest r;
    r.host = "127.0.0.1";
    r.port = port_;
    r.outbound = std::move(outbound);
    return r;
  }
  // Connects and runs until the peer accepted and the sink heard the connection open.
  SocketClient::Connection* Open() {
    SocketClient::Connection* c = client_->Connect(Request(), &sink_);
    EXPECT_NE(c, nullptr);
    EXPECT_TRUE(RunUntil(&loop_, [&] {
      if (!peer_.connected()) peer_.AcceptFrom(listener_);
      return peer_.connected() && sink_.opened;
    }));
    return c;
  }

  uv_loop_t loop_;
  int listener_ = -1;
  uint16_t port_ = 0;
  isolates::FetchLimits limits_;
  std::unique_ptr<SocketClient> client_;
  Peer peer_;
  SocketSink sink_;
};

TEST_F(SocketClientTest, BytesGoBothWaysAndBothEndsCloseTheConnection) {
  SocketClient::Connection* c = Open();
  EXPECT_EQ(sink_.remote, "127.0.0.1:" + std::to_string(port_));
  EXPECT_TRUE(client_->Write(c, "hello"));
  ASSERT_TRUE(RunUntil(&loop_, [&] { peer_.Poll(); return peer_.received() == "hello"; }));
  peer_.Send("world");
  ASSERT_TRUE(RunUntil(&loop_, [&] { return sink_.data == "world"; }));
  // The client's FIN: the peer sees the end; the connection waits for the peer's.
  client_->EndWrites(c);
  ASSERT_TRUE(RunUntil(&loop_, [&] { return peer_.Poll(); }));
  peer_.Send("last words");
  peer_.Close();
  ASSERT_TRUE(RunUntil(&loop_, [&] { return sink_.ended; }));
  EXPECT_EQ(sink_.data, "worldlast words");
  EXPECT_TRUE(sink_.peer_ended);
  EXPECT_EQ(sink_.error, "");
}

TEST_F(SocketClientTest, ThePeersEndLeavesTheConnectionWritable) {
  SocketClient::Connection* c = Open();
  peer_.Send("greeting");
  peer_.ShutdownWrite();
  ASSERT_TRUE(RunUntil(&loop_, [&] { return sink_.peer_ended; }));
  EXPECT_EQ(sink_.data, "greeting");
  EXPECT_FALSE(sink_.ended);
  EXPECT_TRUE(client_->Write(c, "still writing"));
  client_->EndWrites(c);
  ASSERT_TRUE(RunUntil(&loop_, [&] { return sink_.ended; }));  // both sides ended
  ASSERT_TRUE(RunUntil(&loop_, [&] { return peer_.Poll(); }));
  EXPECT_EQ(peer_.received(), "still writing");
  EXPECT_EQ(sink_.error, "");
}

TEST_F(SocketClientTest, AReaderThatStopsStopsTheSocketUntilResumed) {
  SocketClient::Connection* c = Open();
  sink_.reading = false;
  std::string block(256 * 1024, 'x');
  peer_.Send("first");
  ASSERT_TRUE(RunUntil(&loop_, [&] { return sink_.data == "first"; }));
  // Nothing more reaches the sink while it does not read.
  peer_.Send(block.substr(0, 1000));
  RunUntil(&loop_, [] { return false; }, 100);
  EXPECT_EQ(sink_.data, "first");
  sink_.reading = true;
  client_->Resume(c);
  ASSERT_TRUE(RunUntil(&loop_, [&] { return sink_.data.size() == 1005; }));
  client_->Close(c);
}

TEST_F(SocketClientTest, AWriteIsRefusedPastTheBufferUntilTheDrain) {
  SocketClient::Connection* c = Open();
  // The peer does not read: the kernel's buffers fill, then the client's.
  std::string block(1 << 20, 'y');
  bool refused = false;
  for (int i = 0; i < 64 && !refused; ++i) {
    refused = !client_->Write(c, block);
    RunUntil(&loop_, [] { return false; }, 5);
  }
  ASSERT_TRUE(refused);
  EXPECT_EQ(sink_.drains, 0);
  ASSERT_TRUE(RunUntil(&loop_, [&] { peer_.Poll(); return sink_.drains > 0; }));
  client_->Close(c);
}

TEST_F(SocketClientTest, TheGuardRefusesAnUnlistedLoopbackAtOnce) {
  EXPECT_EQ(client_->Connect(Request({}), &sink_), nullptr);
  EXPECT_EQ(sink_.error, "connect() to 127.0.0.1:" + std::to_string(port_) +
                             " refused: loopback address (add it to outbound to allow)");
  EXPECT_FALSE(peer_.AcceptFrom(listener_));
}

TEST_F(SocketClientTest, CloseIsSilentAndResetsTheConnection) {
  SocketClient::Connection* c = Open();
  client_->Close(c);
  peer_.Send("unheard");
  ASSERT_TRUE(RunUntil(&loop_, [&] { return peer_.Poll(); }));
  RunUntil(&loop_, [] { return false; }, 20);
  EXPECT_EQ(sink_.data, "");
  EXPECT_FALSE(sink_.ended);
  EXPECT_EQ(sink_.error, "");
}

// startTls() before the connection opened: it opens once the handshake ended, never as plaintext
// (node:tls's connect() does this); here the peer speaks no TLS, so it never opens.
TEST_F(SocketClientTest, StartTlsBeforeTheConnectionOpenedOpensOnlyAfterTheHandshake) {
  SocketClient::Connection* c = client_->Connect(Request(), &sink_);
  ASSERT_NE(c, nullptr);
  std::string error;
  ASSERT_TRUE(client_->StartTls(c, "db.test", &error)) << error;
  EXPECT_TRUE(client_->Write(c, "after the handshake"));
  ASSERT_TRUE(RunUntil(&loop_, [&] {
    if (!peer_.connected()) peer_.AcceptFrom(listener_);
    if (peer_.connected()) peer_.Poll();
    return peer_.received().size() >= 5;
  }));
  EXPECT_EQ(peer_.received()[0], '\x16') << "a TLS handshake record (the ClientHello) comes first";
  EXPECT_EQ(peer_.received().find("after the handshake"), std::string::npos);
  EXPECT_FALSE(sink_.opened);
  peer_.Close();
  ASSERT_TRUE(RunUntil(&loop_, [&] { return !sink_.error.empty(); }));
  EXPECT_FALSE(sink_.opened);
  EXPECT_NE(sink_.error.find("TLS"), std::string::npos) << sink_.error;
}

TEST_F(SocketClientTest, AConnectionNobodyAcceptsFails) {
  ::close(listener_);
  listener_ = testing::ListenLoopback(&port_);  // a fresh port...
  ::close(listener_);                           // ... nobody listens on
  listener_ = -1;
  ASSERT_NE(client_->Connect(Request(), &sink_), nullptr);
  ASSERT_TRUE(RunUntil(&loop_, [&] { return !sink_.error.empty(); }));
  EXPECT_NE(sink_.error.find("connect() to 127.0.0.1:" + std::to_string(port_) + " failed: "), std::string::npos)
      << sink_.error;
  EXPECT_FALSE(sink_.opened);
}

}  // namespace
}  // namespace atl::server
