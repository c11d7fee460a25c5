// Tests of one open WebSocket's protocol engine (websocket_session.h) and the opening handshake
// (websocket_handshake.h), in process with a recording transport: echo through a receiver, the
// close handshake both ways, the hostile cases (unmasked frames, a 1 GB header, a ping flood, a
// peer that does not read), the idle ping and timeout, and handing the socket to another receiver.
#include "server/websocket_session.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/websocket_handshake.h"

namespace atl::server {
namespace {

using Op = WebSocketOpcode;

// The client's view of what the session wrote: parsed back into events.
class FakeTransport : public WebSocketSession::Transport, public WebSocketParser::Delegate {
 public:
  FakeTransport() : client_(WebSocketRole::kClient, 64 << 20, this) {}
  void SendBytes(std::string bytes) override {
    bytes_sent += bytes.size();
    if (hold) { unsent += bytes.size(); return; }
    EXPECT_TRUE(client_.Feed(bytes)) << client_.failure_reason();
  }
  size_t Unsent() const override { return unsent; }
  void Finish() override { finished = true; }
  void Abort() override { aborted = true; }
  void OnWebSocketMessage(bool binary, std::string_view d) override { got.push_back((binary ? "bin:" : "text:") + std::string(d)); }
  void OnWebSocketPing(std::string_view p) override { got.push_back("ping:" + std::string(p)); }
  void OnWebSocketPong(std::string_view p) override { got.push_back("pong:" + std::string(p)); }
  void OnWebSocketClose(uint16_t code, std::string_view r) override { got.push_back("close:" + std::to_string(code) + ":" + std::string(r)); }

  std::vector<std::string> got;
  bool hold = false;       // output is not taken by the socket
  size_t unsent = 0;
  size_t bytes_sent = 0;
  bool finished = false, aborted = false;

 private:
  WebSocketParser client_;
};

// An echo handler: what a Worker's `server.addEventListener("message", e => server.send(e.data))` does.
class EchoReceiver : public WebSocketReceiver {
 public:
  WebSocketSession* session = nullptr;
  std::vector<std::string> events;
  void OnWebSocketMessage(bool binary, std::string_view data) override {
    events.push_back((binary ? "bin:" : "text:") + std::string(data.substr(0, 16)));
    EXPECT_TRUE(session->Send(binary, data).ok());
  }
  void OnWebSocketClose(uint16_t code, std::string_view reason, bool clean) override {
    events.push_back("close:" + std::to_string(code) + ":" + std::string(reason) + (clean ? ":clean" : ":unclean"));
  }
  void OnWebSocketError(std::string_view what) override { events.push_back("error:" + std::string(what)); }
};

std::string C(Op op, std::string_view payload, bool fin = true) {
  return SerializeWebSocketFrame(op, payload, WebSocketRole::kClient, fin, 0x12345678);
}

struct Fixture {
  explicit Fixture(limits::WebSocketLimits l = {}) : session(l, &transport, &receiver, 1000) { receiver.session = &session; }
  FakeTransport transport;
  EchoReceiver receiver;
  WebSocketSession session;
};

using Events = std::vector<std::string>;

TEST(WebSocketSession, EchoesTextBinaryFragmentedAndOneMegabyte) {
  Fixture f;
  f.session.OnBytes(C(Op::kText, "hello"), 1001);
  f.session.OnBytes(C(Op::kBinary, std::string("\x00\x01", 2)), 1002);
  f.session.OnBytes(C(Op::kText, "frag", false) + C(Op::kContinuation, "ment"), 1003);
  std::string mb(1 << 20, 'm');
  std::string frame = C(Op::kBinary, mb);
  for (size_t at = 0; at < frame.size(); at += 65536) f.session.OnBytes(frame.substr(at, 65536), 1004);
  EXPECT_EQ(f.transport.got, (Events{"text:hello", "bin:" + std::string("\x00\x01", 2), "text:fragment", "bin:" + mb}));
}

TEST(WebSocketSession, CloseHandshakeStartedByThePeer) {
  Fixture f;
  f.session.OnBytes(C(Op::kClose, WebSocketClosePayload(1000, "bye")), 1001);
  EXPECT_EQ(f.transport.got, Events{"close:1000:"});  // echoed
  EXPECT_EQ(f.receiver.events, Events{"close:1000:bye:clean"});
  EXPECT_TRUE(f.transport.finished);
  EXPECT_EQ(f.session.state(), WebSocketSession::State::kClosed);
  EXPECT_FALSE(f.session.Send(false, "late").ok());
}

TEST(WebSocketSession, CloseHandshakeStartedByTheServer) {
  Fixture f;
  EXPECT_FALSE(f.session.Close(1005, "", 1001).ok());  // not a code a script may send
  EXPECT_FALSE(f.session.Close(1000, std::string(124, 'x'), 1001).ok());
  ASSERT_TRUE(f.session.Close(4000, "done", 1001).ok());
  EXPECT_EQ(f.transport.got, Events{"close:4000:done"});
  EXPECT_EQ(f.session.state(), WebSocketSession::State::kClosing);
  EXPECT_TRUE(f.receiver.events.empty());
  f.session.OnBytes(C(Op::kText, "ignored while closing"), 1002);
  f.session.OnBytes(C(Op::kClose, WebSocketClosePayload(4000, "")), 1003);
  EXPECT_EQ(f.receiver.events, Events{"close:4000::clean"});
  EXPECT_TRUE(f.transport.finished);
  EXPECT_FALSE(f.transport.aborted);
}

TEST(WebSocketSession, PeerThatNeverAnswersTheCloseIsDropped) {
  limits::WebSocketLimits l;
  l.close_timeout_ms = 500;
  Fixture f(l);
  ASSERT_TRUE(f.session.Close(1000, "", 2000).ok());
  EXPECT_EQ(f.session.NextTimerMs(), 2500u);
  f.session.OnTimer(2499);
  EXPECT_FALSE(f.transport.aborted);
  f.session.OnTimer(2500);
  EXPECT_TRUE(f.transport.aborted);
  EXPECT_EQ(f.receiver.events, Events{"close:1006:no close frame from the peer:unclean"});
}

TEST(WebSocketSession, UnmaskedFrameClosesWith1002) {
  Fixture f;
  f.session.OnBytes(SerializeWebSocketFrame(Op::kText, "x", WebSocketRole::kServer), 1001);
  EXPECT_EQ(f.transport.got, Events{"close:1002:client frame not masked"});
  EXPECT_EQ(f.receiver.events, (Events{"error:client frame not masked", "close:1002:client frame not masked:unclean"}));
  EXPECT_TRUE(f.transport.finished);
}

TEST(WebSocketSession, GigabyteHeaderClosesWith1009WithoutBuffering) {
  Fixture f;
  std::string header = "\x82\xff";
  for (int i = 7; i >= 0; --i) header.push_back(static_cast<char>((uint64_t{1} << 30) >> (8 * i)));
  header += "abcd";
  f.session.OnBytes(header, 1001);
  f.session.OnBytes(std::string(4096, 'x'), 1002);  // what follows is not read
  EXPECT_EQ(f.transport.got, Events{"close:1009:message too big"});
  EXPECT_EQ(f.receiver.events.back(), "close:1009:message too big:unclean");
}

TEST(WebSocketSession, PingFloodIsCoalescedWhileOutputWaits) {
  Fixture f;
  f.session.OnBytes(C(Op::kPing, "first"), 1001);
  EXPECT_EQ(f.transport.got, Events{"pong:first"});
  f.transport.hold = true;
  f.transport.unsent = 1;  // the socket has not taken everything
  std::string flood;
  for (int i = 0; i < 10000; ++i) flood += C(Op::kPing, "p" + std::to_string(i));
  size_t before = f.transport.bytes_sent;
  f.session.OnBytes(flood, 1002);
  EXPECT_EQ(f.transport.bytes_sent, before);  // nothing queued for 10000 pings
  f.transport.hold = false;
  f.transport.unsent = 0;
  f.session.OnWritable();
  EXPECT_EQ(f.transport.got, (Events{"pong:first", "pong:p9999"}));  // only the latest is answered
  EXPECT_EQ(f.session.pongs_sent(), 2u);
}

TEST(WebSocketSession, PeerThatDoesNotReadIsDropped) {
  limits::WebSocketLimits l;
  l.max_buffered_output = 1000;
  Fixture f(l);
  f.transport.hold = true;
  EXPECT_TRUE(f.session.Send(false, std::string(600, 'a')).ok());
  absl::Status s = f.session.Send(false, std::string(600, 'a'));
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(f.transport.aborted);
  EXPECT_EQ(f.receiver.events.back(), "close:1006:the peer is not reading:unclean");
}

TEST(WebSocketSession, IdlePingThenTimeout) {
  limits::WebSocketLimits l;
  l.ping_interval_ms = 100;
  l.idle_timeout_ms = 300;
  Fixture f(l);
  EXPECT_EQ(f.session.NextTimerMs(), 1100u);
  f.session.OnTimer(1100);
  EXPECT_EQ(f.transport.got, Events{"ping:"});
  EXPECT_EQ(f.session.NextTimerMs(), 1300u);
  // A pong is input: the socket stays open and the clock restarts.
  f.session.OnBytes(C(Op::kPong, ""), 1150);
  EXPECT_EQ(f.session.NextTimerMs(), 1250u);
  f.session.OnTimer(1250);
  f.session.OnTimer(1449);
  EXPECT_EQ(f.session.state(), WebSocketSession::State::kOpen);
  f.session.OnTimer(1450);
  EXPECT_EQ(f.session.state(), WebSocketSession::State::kClosed);
  EXPECT_EQ(f.transport.got, (Events{"ping:", "ping:", "close:1001:idle timeout"}));
  EXPECT_EQ(f.receiver.events, Events{"close:1001:idle timeout:unclean"});
}

TEST(WebSocketSession, ConnectionLostIs1006AndReceiverCanBeHandedOver) {
  Fixture f;
  EchoReceiver other;
  other.session = &f.session;
  f.session.set_receiver(&other);  // e.g. a Durable Object accepting the socket
  f.session.OnBytes(C(Op::kText, "to the new owner"), 1001);
  f.session.OnTransportEnd();
  EXPECT_TRUE(f.receiver.events.empty());
  EXPECT_EQ(other.events, (Events{"text:to the new owner", "close:1006::unclean"}));
}

MessageHead Head(std::vector<std::pair<std::string, std::string>>* h) {
  MessageHead head;
  head.method = "GET";
  head.target = "/chat";
  head.upgrade = true;
  head.headers = *h;
  return head;
}

TEST(WebSocketHandshake, AcceptsValidUpgradesOnly) {
  std::vector<std::pair<std::string, std::string>> h = {{"host", "x"},
                                                        {"upgrade", "websocket"},
                                                        {"connection", "keep-alive, Upgrade"},
                                                        {"sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="},
                                                        {"sec-websocket-version", "13"}};
  MessageHead head = Head(&h);
  EXPECT_TRUE(IsWebSocketUpgrade(head));
  absl::StatusOr<std::string> accept = WebSocketUpgradeAccept(head);
  ASSERT_TRUE(accept.ok()) << accept.status();
  EXPECT_EQ(*accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  EXPECT_EQ(WebSocketSwitchingProtocols(*accept),
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
  head.method = "POST";
  EXPECT_FALSE(WebSocketUpgradeAccept(head).ok());
  auto with = [&](size_t i, std::string value) {
    auto copy = h;
    copy[i].second = std::move(value);
    MessageHead m = Head(&copy);
    return WebSocketUpgradeAccept(m).status().code();
  };
  EXPECT_EQ(with(1, "h2c"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(with(2, "keep-alive"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(with(3, "c2hvcnQ="), absl::StatusCode::kInvalidArgument);  // not 16 bytes
  EXPECT_EQ(with(4, "8"), absl::StatusCode::kFailedPrecondition);
}

TEST(WebSocketHandshake, ClientRequestAndResponseCheck) {
  std::string key = WebSocketClientKey("the sample nonce");
  EXPECT_EQ(key, "dGhlIHNhbXBsZSBub25jZQ==");  // RFC 6455 §1.3
  std::string request = WebSocketClientRequest("127.0.0.1:8080", "/chat?x=1", key);
  EXPECT_EQ(request,
            "GET /chat?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
  // What the server side answers to that request is what the client side accepts.
  std::vector<std::pair<std::string, std::string>> req = {{"host", "127.0.0.1:8080"}, {"upgrade", "websocket"},
                                                          {"connection", "Upgrade"}, {"sec-websocket-version", "13"},
                                                          {"sec-websocket-key", key}};
  MessageHead req_head = Head(&req);
  absl::StatusOr<std::string> accept = WebSocketUpgradeAccept(req_head);
  ASSERT_TRUE(accept.ok());
  std::vector<std::pair<std::string, std::string>> h = {
      {"upgrade", "websocket"}, {"connection", "Upgrade"}, {"sec-websocket-accept", *accept}};
  MessageHead head;
  head.status = 101;
  head.headers = h;
  EXPECT_TRUE(CheckWebSocketUpgradeResponse(head, key).ok());
  EXPECT_FALSE(CheckWebSocketUpgradeResponse(head, WebSocketClientKey("another nonce!!!")).ok());
  head.status = 200;
  EXPECT_FALSE(CheckWebSocketUpgradeResponse(head, key).ok());
  head.status = 101;
  auto with_extension = h;
  with_extension.push_back({"sec-websocket-extensions", "permessage-deflate"});
  head.headers = with_extension;
  EXPECT_FALSE(CheckWebSocketUpgradeResponse(head, key).ok());
  auto no_upgrade = h;
  no_upgrade[0].second = "h2c";
  head.headers = no_upgrade;
  EXPECT_FALSE(CheckWebSocketUpgradeResponse(head, key).ok());
}

}  // namespace
}  // namespace atl::server

namespace atl::server {
namespace {

TEST(WebSocketSession, ShutdownSendsItsCodeAndFinishesWithoutAHandshake) {
  Fixture f;
  f.session.Shutdown(1012, "service restart");
  EXPECT_EQ(f.transport.got, Events{"close:1012:service restart"});
  EXPECT_TRUE(f.transport.finished);
  EXPECT_EQ(f.session.state(), WebSocketSession::State::kClosed);
  EXPECT_EQ(f.receiver.events, Events{"close:1012:service restart:unclean"});
  f.session.Shutdown(1001, "again");  // closed: nothing more
  EXPECT_EQ(f.transport.got.size(), 1u);
}

}  // namespace
}  // namespace atl::server
