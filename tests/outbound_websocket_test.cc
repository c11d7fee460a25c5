// Outbound WebSockets against the real binary on 127.0.0.1: a tenant's fetch() with
// `Upgrade: websocket` (accept() the response's webSocket), `new WebSocket(url)` (open, message,
// close, a negotiated subprotocol), a fetched socket returned in a 101 (relayed to the client),
// an origin that refuses the upgrade or closes first, and the SSRF guard refusing an address the
// tenant may not reach before any connection is made. The origin is another tenant of the same
// server (routes */echo/*), so every byte stays on loopback.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tests/tenant_fixture.h"
#include "tests/test_server.h"
#include "tests/websocket_client.h"

namespace atl::testing {
namespace {

constexpr char kEcho[] = R"JS(
let open = 0;
export default {
  fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/echo/open") return new Response(String(open));
    if (url.pathname === "/echo/deny") return new Response("denied", { status: 403 });
    if (request.headers.get("upgrade") !== "websocket") return new Response("plain");
    const [client, server] = Object.values(new WebSocketPair());
    server.accept();
    open++;
    server.addEventListener("message", (event) => {
      if (event.data === "close-me") return server.close(4000, "as asked");
      if (typeof event.data === "string") return server.send(`echo:${event.data}`);
      server.send(new Uint8Array(event.data).reverse());
    });
    server.addEventListener("close", () => open--);
    const offered = request.headers.get("sec-websocket-protocol");
    const headers = offered ? { "sec-websocket-protocol": offered.split(",")[0].trim() } : undefined;
    return new Response(null, { status: 101, webSocket: client, headers });
  },
};
)JS";

constexpr char kClient[] = R"JS(
const wsOrigin = (request) => new URL(request.url).origin.replace("http:", "ws:");
const closeOf = (ws) => new Promise((resolve) => ws.addEventListener("close", (e) => resolve(`${e.code} ${e.reason} ${e.wasClean}`)));
export default {
  async fetch(request) {
    const url = new URL(request.url);
    const origin = url.origin;
    if (url.pathname === "/out/fetch") {
      const response = await fetch(`${origin}/echo/`, { headers: { upgrade: "websocket" } });
      const ws = response.webSocket;
      if (response.status !== 101 || ws === null) return new Response(`no socket ${response.status}`);
      ws.accept();
      const message = new Promise((resolve) => ws.addEventListener("message", (e) => resolve(e.data)));
      ws.send("ping-1");
      const got = await message;
      const closed = closeOf(ws);
      ws.close(1000, "done");
      return new Response(`${got}|${await closed}`);
    }
    if (url.pathname === "/out/new") {
      const ws = new WebSocket(`${wsOrigin(request)}/echo/`, ["chat", "superchat"]);
      const events = [`${ws.readyState} ${ws.url}`];
      await new Promise((resolve) => {
        ws.onopen = () => { events.push(`open ${ws.protocol} ${ws.readyState}`); ws.send("hi"); };
        ws.onmessage = (e) => { events.push(`message ${e.data}`); ws.send("close-me"); };
        ws.onclose = (e) => { events.push(`close ${e.code} ${e.reason} ${e.wasClean}`); resolve(); };
      });
      return new Response(events.join(";"));
    }
    if (url.pathname === "/out/denied") {
      const ws = new WebSocket(`${wsOrigin(request)}/echo/deny`);
      const events = [];
      await new Promise((resolve) => {
        ws.onerror = (e) => events.push(`error ${e.message}`);
        ws.onclose = (e) => { events.push(`close ${e.code} ${e.wasClean}`); resolve(); };
      });
      const response = await fetch(`${origin}/echo/deny`, { headers: { upgrade: "websocket" } });
      events.push(`fetch ${response.status} ${response.webSocket}`);
      return new Response(events.join(";"));
    }
    if (url.pathname === "/out/proxy") {
      return fetch(`${origin}/echo/`, { headers: request.headers });
    }
    if (url.pathname === "/out/syntax") {
      const errors = [];
      for (const [u, p] of [["ftp://127.0.0.1/", undefined], ["ws://127.0.0.1/#x", undefined], ["ws://127.0.0.1/", ["a", "a"]], ["nonsense", undefined]]) {
        try { new WebSocket(u, p); errors.push("none"); } catch (e) { errors.push(e.name); }
      }
      return new Response(errors.join(","));
    }
    return new Response("client");
  },
};
)JS";

// Tenant "guarded" has no outbound list: loopback is refused by the SSRF guard.
constexpr char kGuarded[] = R"JS(
export default {
  async fetch(request) {
    const target = new URL(request.url).origin.replace("http:", "ws:") + "/echo/";
    const ws = new WebSocket(target);
    const events = [];
    await new Promise((resolve) => {
      ws.onopen = () => events.push("open");
      ws.onerror = (e) => events.push(`error ${e.message}`);
      ws.onclose = (e) => { events.push(`close ${e.code}`); resolve(); };
    });
    try {
      await fetch(target.replace("ws:", "http:"), { headers: { upgrade: "websocket" } });
      events.push("fetched");
    } catch (e) {
      events.push(`${e.name}: ${e.message}`);
    }
    return new Response(events.join(";"));
  },
};
)JS";

class OutboundWebSockets : public ::testing::Test {
 protected:
  void SetUp() override {
    fixture_.Write("echo.js", kEcho);
    fixture_.Write("client.js", kClient);
    fixture_.Write("guarded.js", kGuarded);
    std::string tenants =
        "\n[[tenants]]\nname = \"echo\"\nscript = \"echo.js\"\nroutes = [\"*/echo/*\"]\n"
        "\n[[tenants]]\nname = \"client\"\nscript = \"client.js\"\nroutes = [\"*/out/*\"]\noutbound = [\"127.0.0.1\"]\n"
        "\n[[tenants]]\nname = \"guarded\"\nscript = \"guarded.js\"\nroutes = [\"*/guarded/*\"]\n";
    server_ = std::make_unique<TestServer>(fixture_.WriteConfig("", tenants));
  }
  // Host 127.0.0.1:port: the handlers build their origin's URL from the request's.
  std::string Host() const { return "127.0.0.1:" + std::to_string(server_->port()); }
  std::string Body(const std::string& path) { return GetFrom(server_->port(), Host(), path).body; }

  TenantFixture fixture_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(OutboundWebSockets, FetchWithUpgradeGivesASocketToAccept) {
  // The origin's close frame echoes the code without a reason (as atoll's server side does).
  EXPECT_EQ(Body("/out/fetch"), "echo:ping-1|1000  true") << server_->log();
  EXPECT_TRUE(WaitFor([&] { return Body("/echo/open") == "0"; }, std::chrono::seconds(5)));
}

TEST_F(OutboundWebSockets, NewWebSocketOpensNegotiatesAProtocolAndHearsTheOriginsClose) {
  std::string origin = "ws://127.0.0.1:" + std::to_string(server_->port());
  EXPECT_EQ(Body("/out/new"), "0 " + origin + "/echo/;open chat 1;message echo:hi;close 4000 as asked true")
      << server_->log();
}

TEST_F(OutboundWebSockets, AnOriginThatRefusesTheUpgrade) {
  EXPECT_EQ(Body("/out/denied"),
            "error WebSocket connection to 'ws://127.0.0.1:" + std::to_string(server_->port()) +
                "/echo/deny' failed: the server answered 403;close 1006 false;fetch 403 null")
      << server_->log();
}

TEST_F(OutboundWebSockets, BadUrlsAndProtocolsAreSyntaxErrors) {
  EXPECT_EQ(Body("/out/syntax"), "SyntaxError,SyntaxError,SyntaxError,SyntaxError");
}

TEST_F(OutboundWebSockets, AFetchedSocketReturnedInA101IsRelayedToTheClient) {
  WebSocketClient client(server_->port(), "/out/proxy", Host());
  ASSERT_TRUE(client.open()) << client.handshake() << server_->log();
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(client.SendText("m" + std::to_string(i)));
    std::optional<WebSocketMessage> m = client.Read();
    ASSERT_TRUE(m.has_value()) << server_->log();
    EXPECT_EQ(m->payload, "echo:m" + std::to_string(i));
  }
  ASSERT_TRUE(client.SendBinary(std::string("\x01\x02\x03", 3)));
  std::optional<WebSocketMessage> binary = client.Read();
  ASSERT_TRUE(binary.has_value());
  EXPECT_EQ(binary->opcode, 2);
  EXPECT_EQ(binary->payload, std::string("\x03\x02\x01", 3));
  EXPECT_EQ(Body("/echo/open"), "1");
  // The client's close reaches the origin through the relay, and its close comes back.
  ASSERT_TRUE(client.Close(1000, "bye"));
  std::optional<WebSocketMessage> close = client.Read();
  ASSERT_TRUE(close.has_value());
  EXPECT_EQ(close->opcode, 8);
  EXPECT_TRUE(WaitFor([&] { return Body("/echo/open") == "0"; }, std::chrono::seconds(5))) << server_->log();
}

TEST_F(OutboundWebSockets, TheSsrfGuardRefusesBeforeConnecting) {
  std::string body = Body("/guarded/");
  EXPECT_EQ(body.find("open"), std::string::npos) << body;
  EXPECT_NE(body.find("error WebSocket connection to"), std::string::npos) << body;
  EXPECT_NE(body.find("loopback address (add it to outbound to allow)"), std::string::npos) << body;
  EXPECT_NE(body.find("close 1006;TypeError: fetch to 127.0.0.1 refused"), std::string::npos) << body;
  EXPECT_EQ(Body("/echo/open"), "0");
}

}  // namespace
}  // namespace atl::testing
