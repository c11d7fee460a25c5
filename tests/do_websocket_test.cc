// Durable Objects' WebSocket hibernation API (ctx.acceptWebSocket, js/lazy/do_websocket.js)
// through the real binary on 127.0.0.1 and real WebSocket clients (tests/websocket_client.h): a
// room broadcasting with getWebSockets(), tags filtering, an attachment and tags surviving the
// object's eviction (its constructor runs again), the auto-response answered without the object,
// webSocketClose on the client's close, a throwing webSocketMessage that costs nothing else, a
// ws.accept()ed socket keeping its object in memory, and the limits (tags, attachment size).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>

#include "tests/tenant_fixture.h"
#include "tests/test_server.h"
#include "tests/websocket_client.h"

namespace atl::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kScript = R"JS(
import { DurableObject } from "cloudflare:workers";
let constructed = 0;  // of any object of the context: read without touching one (/constructed)
export class Room extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    constructed++;
  }
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/count") {
      return Response.json({ all: this.ctx.getWebSockets().length, tagged: this.ctx.getWebSockets(url.searchParams.get("tag")).length });
    }
    if (url.pathname === "/auto") {
      this.ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
      return new Response("set");
    }
    if (url.pathname === "/closed") return new Response((await this.ctx.storage.get("closed")) ?? "");
    if (url.pathname === "/error") return new Response((await this.ctx.storage.get("error")) ?? "");
    if (url.pathname === "/limits") return Response.json(this.limits());
    const [client, server] = Object.values(new WebSocketPair());
    if (url.pathname === "/plain") {
      server.accept();
      server.addEventListener("message", () => server.send("plain"));
    } else {
      const tags = (url.searchParams.get("tags") ?? "").split(",").filter(Boolean);
      this.ctx.acceptWebSocket(server, tags);
      server.serializeAttachment({ user: url.searchParams.get("user"), joinedAt: constructed });
    }
    return new Response(null, { status: 101, webSocket: client });
  }
  limits() {
    const out = {};
    const attempt = (name, fn) => { try { fn(); out[name] = "ok"; } catch (e) { out[name] = e.name; } };
    const ws = () => new WebSocketPair()[1];
    attempt("tags10", () => this.ctx.acceptWebSocket(ws(), Array.from({ length: 10 }, (_, i) => `t${i}`)));
    attempt("tags11", () => this.ctx.acceptWebSocket(ws(), Array.from({ length: 11 }, (_, i) => `t${i}`)));
    attempt("tag257", () => this.ctx.acceptWebSocket(ws(), ["x".repeat(257)]));
    attempt("attach2000", () => ws().serializeAttachment("x".repeat(2000)));
    attempt("attach3000", () => ws().serializeAttachment("x".repeat(3000)));
    attempt("acceptTwice", () => { const s = ws(); s.accept(); this.ctx.acceptWebSocket(s); });
    this.ctx.setHibernatableWebSocketEventTimeout(5000);
    out.timeout = this.ctx.getHibernatableWebSocketEventTimeout();
    const pair = this.ctx.getWebSocketAutoResponse();
    out.auto = pair && [pair.request, pair.response];
    return out;
  }
  async webSocketMessage(ws, message) {
    if (message === "throw") throw new Error("handler failed on purpose");
    if (message === "whoami") {
      ws.send(JSON.stringify({ ...ws.deserializeAttachment(), constructed, tags: this.ctx.getTags(ws) }));
      return;
    }
    if (message === "when") {
      ws.send(String(this.ctx.getWebSocketAutoResponseTimestamp(ws) instanceof Date));
      return;
    }
    if (message.startsWith("to:")) {
      const [, tag, text] = message.split(":");
      for (const s of this.ctx.getWebSockets(tag)) s.send(text);
      return;
    }
    await this.ctx.storage.put("last", message);
    for (const s of this.ctx.getWebSockets()) s.send(`${ws.deserializeAttachment().user}: ${message}`);
  }
  async webSocketClose(ws, code, reason, wasClean) {
    await this.ctx.storage.put("closed", `${code} ${reason} ${ws.deserializeAttachment().user}`);
  }
  async webSocketError(ws, error) {
    await this.ctx.storage.put("error", `${error instanceof Error} ${ws.deserializeAttachment().user}`);
  }
}
export default {
  fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/constructed") return new Response(String(constructed));
    return env.ROOM.get(env.ROOM.idFromName(url.searchParams.get("room") ?? "r")).fetch(request);
  },
};
)JS";

// Long enough that a loaded machine does not evict an object between a test's steps (at 300 ms,
// CI beside other suites saw rooms made again between the handshake and the first message).
constexpr int kIdleMs = 1000;

std::string Config(const TenantFixture& fixture) {
  fixture.Write("room.js", kScript);
  return fixture.WriteConfig("do_idle_ms = " + std::to_string(kIdleMs) + "\n", R"(
[[tenants]]
name = "a"
script = "room.js"
routes = ["a.test/*"]
[tenants.durable_objects]
ROOM = "Room"
)");
}

const std::vector<std::string> kOneWorker = {"--workers", "1"};

std::string Get(const TestServer& server, const std::string& path) { return GetFrom(server.port(), "a.test", path).body; }

std::string Text(WebSocketClient& client, std::chrono::milliseconds timeout = 5s) {
  std::optional<WebSocketMessage> message = client.Read(timeout);
  if (!message) return "<none>";
  if (message->opcode != 1) return "<opcode " + std::to_string(message->opcode) + ">";
  return message->payload;
}

// Polls the object's /closed or /error until it is set.
std::string Await(const TestServer& server, const std::string& path) {
  std::string value;
  for (int i = 0; i < 50 && value.empty(); ++i) {
    value = Get(server, path);
    if (value.empty()) std::this_thread::sleep_for(50ms);
  }
  return value;
}

// Past do_idle_ms, then an event of another object: the sweep evicts the idle ones.
void Hibernate(const TestServer& server) {
  std::this_thread::sleep_for(std::chrono::milliseconds(kIdleMs * 2 + 200));
  EXPECT_EQ(Get(server, "/count?room=other&tag=x"), R"({"all":0,"tagged":0})");
}

TEST(DoWebSocket, RoomBroadcastsAndTagsFilter) {
  TenantFixture fixture;
  TestServer server(Config(fixture), kOneWorker);
  WebSocketClient alice(server.port(), "/ws?user=alice&tags=red,team", "a.test");
  WebSocketClient bob(server.port(), "/ws?user=bob&tags=blue,team", "a.test");
  ASSERT_TRUE(alice.open()) << alice.handshake();
  ASSERT_TRUE(bob.open()) << bob.handshake();
  ASSERT_TRUE(alice.SendText("hello"));
  EXPECT_EQ(Text(alice), "alice: hello");
  EXPECT_EQ(Text(bob), "alice: hello");
  ASSERT_TRUE(bob.SendText("to:red:only you"));
  EXPECT_EQ(Text(alice), "only you");
  ASSERT_TRUE(bob.SendText("to:team:both"));
  EXPECT_EQ(Text(alice), "both");
  EXPECT_EQ(Text(bob), "both");
  EXPECT_EQ(Text(bob, 300ms), "<none>") << "bob is not tagged red";
  EXPECT_EQ(Get(server, "/count?tag=blue"), R"({"all":2,"tagged":1})");
  EXPECT_EQ(server.Stop(), 0);
}

TEST(DoWebSocket, AttachmentAndTagsSurviveHibernationAndTheObjectIsMadeAgain) {
  TenantFixture fixture;
  TestServer server(Config(fixture), kOneWorker);
  WebSocketClient alice(server.port(), "/ws?user=alice&tags=red", "a.test");
  ASSERT_TRUE(alice.open()) << alice.handshake();
  ASSERT_TRUE(alice.SendText("whoami"));
  EXPECT_EQ(Text(alice), R"({"user":"alice","joinedAt":1,"constructed":1,"tags":["red"]})");
  Hibernate(server);  // constructs "other": 2
  EXPECT_EQ(Get(server, "/constructed"), "2");
  ASSERT_TRUE(alice.SendText("whoami"));
  EXPECT_EQ(Text(alice), R"({"user":"alice","joinedAt":1,"constructed":3,"tags":["red"]})")
      << "the room was evicted and made again for the message";
  EXPECT_EQ(Get(server, "/count?tag=red"), R"({"all":1,"tagged":1})") << "the socket is still the room's";
  EXPECT_EQ(server.Stop(), 0);
}

// Write-ahead logs of the tenant's objects: SQLite removes one when its last connection closes,
// which is what evicting the object does.
int OpenLogs(const TenantFixture& fixture) {
  int logs = 0;
  for (const auto& file : std::filesystem::recursive_directory_iterator(fixture.dir() / "data" / "do" / "a")) {
    if (file.path().string().ends_with(".sqlite3-wal")) ++logs;
  }
  return logs;
}

TEST(DoWebSocket, AnObjectWithOnlyHibernatableSocketsIsEvictedWithoutAnotherEvent) {
  TenantFixture fixture;
  TestServer server(Config(fixture), kOneWorker);
  WebSocketClient alice(server.port(), "/ws?user=alice", "a.test");
  ASSERT_TRUE(alice.open()) << alice.handshake();
  ASSERT_TRUE(alice.SendText("hello"));
  EXPECT_EQ(Text(alice), "alice: hello");
  EXPECT_EQ(OpenLogs(fixture), 1) << "the room's database is open";
  int logs = 1;
  for (int i = 0; i < 200 && logs != 0; ++i) {  // do_idle_ms, then the sweep: within 10 s
    std::this_thread::sleep_for(50ms);
    logs = OpenLogs(fixture);
  }
  EXPECT_EQ(logs, 0) << "evicted after do_idle_ms with no other event";
  EXPECT_EQ(Get(server, "/constructed"), "1");
  ASSERT_TRUE(alice.SendText("whoami"));
  EXPECT_EQ(Text(alice), R"({"user":"alice","joinedAt":1,"constructed":2,"tags":[]})");
  EXPECT_EQ(server.Stop(), 0);
}

TEST(DoWebSocket, AutoResponseIsAnsweredWithoutTheObject) {
  TenantFixture fixture;
  TestServer server(Config(fixture), kOneWorker);
  WebSocketClient alice(server.port(), "/ws?user=alice", "a.test");
  ASSERT_TRUE(alice.open()) << alice.handshake();
  EXPECT_EQ(Get(server, "/auto"), "set");
  Hibernate(server);
  EXPECT_EQ(Get(server, "/constructed"), "2");
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(alice.SendText("ping"));
    EXPECT_EQ(Text(alice), "pong");
  }
  EXPECT_EQ(Get(server, "/constructed"), "2") << "no object was made for the pings";
  ASSERT_TRUE(alice.SendText("when"));
  EXPECT_EQ(Text(alice), "true") << "getWebSocketAutoResponseTimestamp";
  EXPECT_EQ(Get(server, "/constructed"), "3");
  EXPECT_EQ(server.Stop(), 0);
}

TEST(DoWebSocket, WebSocketCloseRunsWhenTheClientCloses) {
  TenantFixture fixture;
  TestServer server(Config(fixture), kOneWorker);
  {
    WebSocketClient bob(server.port(), "/ws?user=bob", "a.test");
    ASSERT_TRUE(bob.open()) << bob.handshake();
    ASSERT_TRUE(bob.Close(4001, "bye"));
    std::optional<WebSocketMessage> echo = bob.Read();
    ASSERT_TRUE(echo.has_value());
    EXPECT_EQ(echo->opcode, 8);
  }
  EXPECT_EQ(Await(server, "/closed"), "4001 bye bob");
  EXPECT_EQ(Get(server, "/count?tag=x"), R"({"all":0,"tagged":0})") << "a closed socket leaves getWebSockets()";
  EXPECT_EQ(server.Stop(), 0);
}

TEST(DoWebSocket, AProtocolErrorRunsWebSocketErrorThenWebSocketClose) {
  TenantFixture fixture;
  TestServer server(Config(fixture), kOneWorker);
  WebSocketClient carol(server.port(), "/ws?user=carol", "a.test");
  ASSERT_TRUE(carol.open()) << carol.handshake();
  ASSERT_TRUE(carol.SendFrame(1, "unmasked", true, /*mask=*/false));
  EXPECT_EQ(Await(server, "/error"), "true carol");
  EXPECT_EQ(Await(server, "/closed").substr(0, 5), "1002 ");
  EXPECT_EQ(server.Stop(), 0);
}

TEST(DoWebSocket, AThrowingHandlerKeepsTheSocketAndTheWorker) {
  TenantFixture fixture;
  TestServer server(Config(fixture), kOneWorker);
  WebSocketClient alice(server.port(), "/ws?user=alice", "a.test");
  ASSERT_TRUE(alice.open()) << alice.handshake();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(alice.SendText("throw"));
  ASSERT_TRUE(alice.SendText("still here"));
  EXPECT_EQ(Text(alice), "alice: still here");
  EXPECT_EQ(Get(server, "/constructed"), "1");
  EXPECT_EQ(server.Stop(), 0);
}

TEST(DoWebSocket, PlainAcceptKeepsTheObjectInMemory) {
  TenantFixture fixture;
  TestServer server(Config(fixture), kOneWorker);
  WebSocketClient plain(server.port(), "/plain?room=p", "a.test");
  ASSERT_TRUE(plain.open()) << plain.handshake();
  Hibernate(server);
  EXPECT_EQ(Get(server, "/constructed"), "2");
  EXPECT_EQ(Get(server, "/count?room=p&tag=x"), R"({"all":0,"tagged":0})");
  EXPECT_EQ(Get(server, "/constructed"), "2") << "the object with an accept()ed socket stayed";
  ASSERT_TRUE(plain.SendText("hi"));
  EXPECT_EQ(Text(plain), "plain");
  EXPECT_EQ(server.Stop(), 0);
}

TEST(DoWebSocket, LimitsOnTagsAndAttachments) {
  TenantFixture fixture;
  TestServer server(Config(fixture), kOneWorker);
  EXPECT_EQ(Get(server, "/auto"), "set");
  EXPECT_EQ(Get(server, "/limits"),
            R"({"tags10":"ok","tags11":"TypeError","tag257":"TypeError","attach2000":"ok","attach3000":"RangeError",)"
            R"("acceptTwice":"TypeError","timeout":5000,"auto":["ping","pong"]})");
  EXPECT_EQ(server.Stop(), 0);
}

}  // namespace
}  // namespace atl::testing
