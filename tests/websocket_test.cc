// WebSockets end to end against the real binary on 127.0.0.1: a tenant's handler accepts the
// `server` end of a WebSocketPair and returns the client end in a 101; a raw client here (the
// frame codec of server/websocket_codec.h in the client role) speaks RFC 6455 to it. Echo, binary,
// fragments, the close handshake both ways, a 1 MB message, the per-tenant socket limit, a socket
// idle past the request's wall limit, and hostile clients (unmasked frames, a 1 GB header, a
// ping flood) costing only their own connection while a victim tenant is served.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "server/websocket_codec.h"
#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

using server::SerializeWebSocketFrame;
using server::WebSocketOpcode;
using server::WebSocketRole;

constexpr char kScript[] = R"JS(
let open = 0;
export default {
  fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/open") return new Response(String(open));
    if (request.headers.get("upgrade") !== "websocket") return new Response("plain");
    const [client, server] = Object.values(new WebSocketPair());
    server.accept();
    open++;
    server.addEventListener("message", (event) => {
      const data = event.data;
      if (typeof data === "string") {
        if (data === "close-me") { server.close(4000, "as asked"); return; }
        if (data === "spin") { for (;;) {} }
        if (data === "burn") { let x = 0; for (let i = 0; i < 2e7; i++) x += Math.sqrt(i); server.send(`burnt ${x > 0}`); return; }
        if (data.startsWith("len:")) { server.send(`len=${data.length}`); return; }
        server.send(`echo:${data}`);
      } else {
        const bytes = new Uint8Array(data);
        server.send(bytes.reverse());
      }
    });
    server.onclose = (event) => {
      open--;
      // Echoed by the session already; a close from here is a no-op.
      console.log(`closed ${event.code} ${event.reason} ${event.wasClean}`);
    };
    const protocol = request.headers.get("sec-websocket-protocol");
    const headers = protocol ? { "sec-websocket-protocol": protocol.split(",")[0].trim(), "x-room": "1" } : undefined;
    return new Response(null, { status: 101, webSocket: client, headers });
  },
};
)JS";

// A blocking RFC 6455 client on 127.0.0.1.
class WsClient : private server::WebSocketParser::Delegate {
 public:
  struct Message {
    bool binary = false;
    std::string data;
  };
  explicit WsClient(int port) : parser_(WebSocketRole::kClient, 64u << 20, this) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~WsClient() override {
    if (fd_ >= 0) close(fd_);
  }
  void Send(std::string_view bytes) {
    while (!bytes.empty() && fd_ >= 0) {
      ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }
  // Sends the upgrade request; the response head ("" on timeout).
  std::string Upgrade(const std::string& host = "ws.test", const std::string& path = "/chat",
                      const std::string& extra = "") {
    Send("GET " + path + " HTTP/1.1\r\nHost: " + host +
         "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" + extra + "\r\n");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (buffer_.find("\r\n\r\n") == std::string::npos) {
      if (!Fill(deadline)) return "";
    }
    size_t end = buffer_.find("\r\n\r\n") + 4;
    std::string head = buffer_.substr(0, end);
    std::string rest = buffer_.substr(end);
    buffer_.clear();
    if (!rest.empty()) parser_.Feed(rest);
    return head;
  }
  void SendFrame(WebSocketOpcode opcode, std::string_view payload, bool fin = true) {
    Send(SerializeWebSocketFrame(opcode, payload, WebSocketRole::kClient, fin, 0x12345678));
  }
  void SendText(std::string_view text) { SendFrame(WebSocketOpcode::kText, text); }
  // The next message (nullopt-like: binary=false, data="<timeout>" when none came).
  bool Next(Message* out, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (messages_.empty()) {
      if (closed_ || !Fill(deadline)) return false;
    }
    *out = messages_.front();
    messages_.erase(messages_.begin());
    return true;
  }
  // Waits for the server's close frame; its code (0 if none came).
  int WaitClose(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!closed_) {
      if (!Fill(deadline)) break;
    }
    return close_code_;
  }
  // True once the server closed the TCP connection.
  bool WaitEof(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (Fill(deadline)) {}
    return eof_;
  }
  int pongs() const { return pongs_; }
  int pings() const { return pings_; }
  bool connected() const { return fd_ >= 0; }

 private:
  bool Fill(std::chrono::steady_clock::time_point deadline) {
    if (fd_ < 0 || eof_) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[65536];
    ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    if (in_head_) {
      buffer_.append(chunk, static_cast<size_t>(n));
      if (buffer_.find("\r\n\r\n") != std::string::npos) in_head_ = false;
      return true;
    }
    parser_.Feed(std::string_view(chunk, static_cast<size_t>(n)));
    return true;
  }
  void OnWebSocketMessage(bool binary, std::string_view data) override {
    messages_.push_back({binary, std::string(data)});
  }
  void OnWebSocketPing(std::string_view) override { ++pings_; }
  void OnWebSocketPong(std::string_view) override { ++pongs_; }
  void OnWebSocketClose(uint16_t code, std::string_view) override {
    closed_ = true;
    close_code_ = code;
  }

  int fd_ = -1;
  std::string buffer_;
  bool in_head_ = true;
  bool eof_ = false;
  bool closed_ = false;
  int close_code_ = 0;
  int pongs_ = 0;
  int pings_ = 0;
  std::vector<Message> messages_;
  server::WebSocketParser parser_;
};

class WebSockets : public ::testing::Test {
 protected:
  void Start(const std::string& ws_extra = "", const std::string& server_extra = "") {
    fixture_.Write("ws.js", kScript);
    fixture_.Write("victim.js", "export default { fetch() { return new Response('victim ok'); } };");
    std::string tenants = "\n[[tenants]]\nname = \"ws\"\nscript = \"ws.js\"\nroutes = [\"ws.test/*\"]\ncpu_ms = 200\n" +
                          ws_extra +
                          "\n[[tenants]]\nname = \"victim\"\nscript = \"victim.js\"\nroutes = [\"victim.test/*\"]\n";
    server_ = std::make_unique<TestServer>(fixture_.WriteConfig(server_extra, tenants));
  }
  std::unique_ptr<WsClient> Open() {
    auto client = std::make_unique<WsClient>(server_->port());
    std::string head = client->Upgrade();
    EXPECT_TRUE(head.starts_with("HTTP/1.1 101")) << head;
    EXPECT_NE(head.find("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), std::string::npos) << head;  // RFC 6455 §1.3's example
    return client;
  }
  void ExpectVictimServed() {
    HttpResponse victim = GetFrom(server_->port(), "victim.test", "/");
    EXPECT_EQ(victim.status, 200);
    EXPECT_EQ(victim.body, "victim ok");
  }

  TenantFixture fixture_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(WebSockets, EchoesTextAndBinary) {
  Start();
  auto client = Open();
  WsClient::Message m;
  client->SendText("hello");
  ASSERT_TRUE(client->Next(&m));
  EXPECT_FALSE(m.binary);
  EXPECT_EQ(m.data, "echo:hello");
  client->SendText("héllo ✓");
  ASSERT_TRUE(client->Next(&m));
  EXPECT_EQ(m.data, "echo:héllo ✓");
  client->SendFrame(WebSocketOpcode::kBinary, std::string("\x01\x02\x03\x00", 4));
  ASSERT_TRUE(client->Next(&m));
  EXPECT_TRUE(m.binary);
  EXPECT_EQ(m.data, std::string("\x00\x03\x02\x01", 4));
  // A plain request to the same tenant still works.
  EXPECT_EQ(GetFrom(server_->port(), "ws.test", "/").body, "plain");
}

TEST_F(WebSockets, TheHandlersHeadersGoOnThe101) {
  Start();
  WsClient client(server_->port());
  std::string head = client.Upgrade("ws.test", "/chat", "Sec-WebSocket-Protocol: chat.v2, chat.v1\r\n");
  ASSERT_TRUE(head.starts_with("HTTP/1.1 101")) << head;
  EXPECT_NE(head.find("sec-websocket-protocol: chat.v2\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("x-room: 1\r\n"), std::string::npos) << head;
  client.SendText("p");
  WsClient::Message m;
  ASSERT_TRUE(client.Next(&m));
  EXPECT_EQ(m.data, "echo:p");
}

TEST_F(WebSockets, FragmentedMessageWithPingInBetween) {
  Start();
  auto client = Open();
  client->SendFrame(WebSocketOpcode::kText, "frag", false);
  client->SendFrame(WebSocketOpcode::kPing, "p");
  client->SendFrame(WebSocketOpcode::kContinuation, "men", false);
  client->SendFrame(WebSocketOpcode::kContinuation, "ted", true);
  WsClient::Message m;
  ASSERT_TRUE(client->Next(&m));
  EXPECT_EQ(m.data, "echo:fragmented");
  EXPECT_EQ(client->pongs(), 1);
}

TEST_F(WebSockets, OneMegabyteMessage) {
  Start();
  auto client = Open();
  std::string big = "len:" + std::string((1 << 20) - 4, 'x');
  client->SendText(big);
  WsClient::Message m;
  ASSERT_TRUE(client->Next(&m));
  EXPECT_EQ(m.data, "len=1048576");
  // One byte more than max_message_bytes (1 MiB): 1009.
  client->SendText(big + "y");
  EXPECT_EQ(client->WaitClose(), 1009);
}

TEST_F(WebSockets, CloseHandshakeFromTheClient) {
  Start();
  auto client = Open();
  client->SendFrame(WebSocketOpcode::kClose, server::WebSocketClosePayload(1000, "bye"));
  EXPECT_EQ(client->WaitClose(), 1000);
  EXPECT_TRUE(client->WaitEof());
  EXPECT_TRUE(server_->WaitForLog("closed 1000 bye true"));
  EXPECT_TRUE(WaitFor([&] { return GetFrom(server_->port(), "ws.test", "/open").body == "0"; },
                      std::chrono::seconds(5)));
}

TEST_F(WebSockets, CloseHandshakeFromTheServer) {
  Start();
  auto client = Open();
  client->SendText("close-me");
  EXPECT_EQ(client->WaitClose(), 4000);
  client->SendFrame(WebSocketOpcode::kClose, server::WebSocketClosePayload(4000, ""));
  EXPECT_TRUE(client->WaitEof());
  EXPECT_TRUE(server_->WaitForLog("closed 4000"));
}

TEST_F(WebSockets, IdleLongerThanTheWallLimitStillWorks) {
  Start("wall_ms = 200\n");
  auto client = Open();
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  client->SendText("still there");
  WsClient::Message m;
  ASSERT_TRUE(client->Next(&m));
  EXPECT_EQ(m.data, "echo:still there");
}

TEST_F(WebSockets, ASilentClientIsPingedThenClosedAfterTheIdleTimeout) {
  Start("", "websocket_ping_ms = 100\nwebsocket_idle_ms = 600\n");
  auto client = Open();  // reads, but never answers the pings
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(client->WaitClose(std::chrono::seconds(5)), 1001);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(400));
  EXPECT_EQ(client->pings(), 1);  // one idle ping, then the timeout
  EXPECT_TRUE(server_->WaitForLog("closed 1001 idle timeout false"));
}

TEST_F(WebSockets, PerTenantSocketLimit) {
  Start("max_websockets = 2\n");
  auto a = Open();
  auto b = Open();
  WsClient c(server_->port());
  std::string head = c.Upgrade();
  EXPECT_TRUE(head.starts_with("HTTP/1.1 500")) << head;
  // Closing one frees a place.
  a->SendFrame(WebSocketOpcode::kClose, server::WebSocketClosePayload(1000, ""));
  EXPECT_EQ(a->WaitClose(), 1000);
  EXPECT_TRUE(a->WaitEof());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto d = Open();
  WsClient::Message m;
  d->SendText("d");
  ASSERT_TRUE(d->Next(&m));
  EXPECT_EQ(m.data, "echo:d");
}

TEST_F(WebSockets, HostileUnmaskedFramesAreClosed1002) {
  Start();
  auto client = Open();
  client->Send(SerializeWebSocketFrame(WebSocketOpcode::kText, "unmasked", WebSocketRole::kServer));
  EXPECT_EQ(client->WaitClose(), 1002);
  EXPECT_TRUE(client->WaitEof());
  ExpectVictimServed();
  auto other = Open();
  other->SendText("fine");
  WsClient::Message m;
  ASSERT_TRUE(other->Next(&m));
  EXPECT_EQ(m.data, "echo:fine");
}

TEST_F(WebSockets, HostileOneGigabyteHeaderIsClosed1009WithoutAllocating) {
  Start();
  auto client = Open();
  // FIN + binary, masked, 64-bit length 1 GiB, mask key; no payload follows.
  std::string header = {'\x82', '\xff', 0, 0, 0, 0, '\x40', 0, 0, 0, 1, 2, 3, 4};
  client->Send(header);
  EXPECT_EQ(client->WaitClose(), 1009);
  EXPECT_TRUE(client->WaitEof());
  ExpectVictimServed();
}

TEST_F(WebSockets, HostilePingFloodIsBounded) {
  Start();
  auto client = Open();
  std::string flood;
  for (int i = 0; i < 20000; ++i) flood += SerializeWebSocketFrame(WebSocketOpcode::kPing, "0123456789", WebSocketRole::kClient, true, 7);
  client->Send(flood);  // never reads while sending: pongs wait, coalesced
  client->SendText("after");
  WsClient::Message m;
  ASSERT_TRUE(client->Next(&m));
  EXPECT_EQ(m.data, "echo:after");
  EXPECT_LT(client->pongs(), 20000);
  ExpectVictimServed();
}

TEST_F(WebSockets, HostileSlowlorisUpgradeHitsTheHeadTimeout) {
  fixture_.Write("ws.js", kScript);
  std::string tenants = "\n[[tenants]]\nname = \"ws\"\nscript = \"ws.js\"\nroutes = [\"ws.test/*\"]\n";
  server_ = std::make_unique<TestServer>(fixture_.WriteConfig("", tenants));
  RawClient slow(server_->port());
  auto start = std::chrono::steady_clock::now();
  slow.Send("GET /chat HTTP/1.1\r\nHost: ws.test\r\nUpgrade: websocket\r\n");  // the head never ends
  // Meanwhile a real socket works.
  auto client = Open();
  client->SendText("x");
  WsClient::Message m;
  ASSERT_TRUE(client->Next(&m));
  // header_timeout_ms (10 s, ConnectionLimits) ends the slow one.
  HttpResponse answer = slow.ReadResponse(false, std::chrono::seconds(15));
  EXPECT_EQ(answer.status, 408);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::seconds(9));
}

TEST_F(WebSockets, EachMessageRunsUnderItsOwnCpuBudget) {
  Start();
  auto client = Open();
  WsClient::Message m;
  // 30 messages of ~20-40 ms of CPU each: far more than cpu_ms (200) for the socket, each event
  // well inside it. Charged to one account (or the isolate's background one) they would kill it.
  for (int i = 0; i < 30; ++i) {
    client->SendText("burn");
    ASSERT_TRUE(client->Next(&m));
    EXPECT_EQ(m.data, "burnt true");
  }
  // One event over cpu_ms (200) kills the isolate: the socket is closed, the tenant serves again.
  auto start = std::chrono::steady_clock::now();
  client->SendText("spin");
  EXPECT_EQ(client->WaitClose(), 1012);  // the isolate is gone: "service restart"
  EXPECT_TRUE(client->WaitEof(std::chrono::seconds(10)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_EQ(GetFrom(server_->port(), "ws.test", "/").body, "plain");
}

TEST_F(WebSockets, ADrainingServerClosesItsSockets1001) {
  Start();
  auto client = Open();
  auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(kill(server_->pid(), SIGTERM), 0);
  EXPECT_EQ(client->WaitClose(), 1001);  // not after drain_ms (10 s)
  EXPECT_TRUE(client->WaitEof());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_TRUE(server_->WaitForLog("closed 1001"));
}

TEST_F(WebSockets, ResponseWebSocketNeedsStatus101AndAnUpgrade) {
  fixture_.Write("bad.js", R"JS(
export default {
  fetch(request) {
    const [client] = Object.values(new WebSocketPair());
    try { new Response(null, { status: 200, webSocket: client }); return new Response("no throw"); }
    catch (e) {
      if (new URL(request.url).pathname === "/throw") return new Response(e.constructor.name);
    }
    return new Response(null, { status: 101, webSocket: client });
  },
};)JS");
  server_ = std::make_unique<TestServer>(
      fixture_.WriteConfig("", "\n[[tenants]]\nname = \"bad\"\nscript = \"bad.js\"\nroutes = [\"bad.test/*\"]\n"));
  EXPECT_EQ(GetFrom(server_->port(), "bad.test", "/throw").body, "RangeError");
  // Not an upgrade request: 426, not a 101.
  EXPECT_EQ(GetFrom(server_->port(), "bad.test", "/").status, 426);
}

}  // namespace
}  // namespace atl::testing
