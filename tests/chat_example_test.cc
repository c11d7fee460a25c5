// examples/chat/chat.js, unchanged, on 2 worker processes: 20 WebSocket clients in one room (the
// room's Durable Object lives in one process; the clients' connections land on both), every
// message reaches all 20 exactly once and in one order; kill -9 of the workers loses no
// acknowledged message.
#include <signal.h>

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "tests/tenant_fixture.h"
#include "tests/test_server.h"
#include "tests/websocket_client.h"

namespace atl::testing {
namespace {

constexpr int kClients = 20;
constexpr int kPerClient = 5;

std::string Config(TenantFixture& fixture) {
  return fixture.WriteConfig("", R"([[tenants]]
name = "chat"
script = ")" + SourcePath("examples/chat/chat.js") + R"("
routes = ["*/*"]
cpu_ms = 1000

[tenants.durable_objects]
ROOMS = "ChatRoom"
)");
}

struct Post {
  int seq;
  std::string body;  // the whole JSON message
};

std::optional<Post> Parse(const WebSocketMessage& m) {
  std::smatch match;
  if (m.opcode != 1 || !std::regex_search(m.payload, match, std::regex(R"re("seq":(\d+))re"))) return std::nullopt;
  return Post{std::stoi(match[1]), m.payload};
}

TEST(ChatExample, TwentyClientsOnTwoWorkersSeeEveryMessageOnceInOneOrder) {
  TenantFixture fixture;
  TestServer server(Config(fixture), {"--workers", "2"});
  ASSERT_GT(server.worker_pid(1), 0) << server.log();
  // Both worker processes accept before the clients connect: the room's members then land on
  // both, and those on the process that does not own the room are relayed to it.
  ASSERT_TRUE(server.WaitForWorkersReady(2)) << server.log();
  std::vector<std::unique_ptr<WebSocketClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    // A fresh connection each: the kernel spreads them over both worker processes.
    clients.push_back(std::make_unique<WebSocketClient>(server.port(), "/room/test?name=c" + std::to_string(i)));
    ASSERT_TRUE(clients.back()->open()) << clients.back()->handshake() << server.log();
  }
  for (int round = 0; round < kPerClient; ++round) {
    for (int i = 0; i < kClients; ++i) ASSERT_TRUE(clients[i]->SendText("m" + std::to_string(round) + " from c" + std::to_string(i)));
  }
  constexpr int kTotal = kClients * kPerClient;
  std::vector<std::vector<Post>> seen(kClients);
  for (int i = 0; i < kClients; ++i) {
    while (static_cast<int>(seen[i].size()) < kTotal) {
      std::optional<WebSocketMessage> m = clients[i]->Read(std::chrono::seconds(10));
      ASSERT_TRUE(m.has_value()) << "client " << i << " got " << seen[i].size() << " of " << kTotal << "\n" << server.log();
      std::optional<Post> post = Parse(*m);
      ASSERT_TRUE(post.has_value()) << m->payload;
      seen[i].push_back(*post);
    }
  }
  // Exactly once, in one order: every client saw seq 1..kTotal, each with the same message.
  for (int i = 0; i < kClients; ++i) {
    for (int k = 0; k < kTotal; ++k) {
      ASSERT_EQ(seen[i][k].seq, k + 1) << "client " << i;
      ASSERT_EQ(seen[i][k].body, seen[0][k].body) << "client " << i << " seq " << k + 1;
    }
  }
  // No more than that: nothing duplicated arrives later.
  EXPECT_FALSE(clients[0]->Read(std::chrono::milliseconds(300)).has_value());

  // Every message was acknowledged (its sender saw it come back). Kill both workers; the
  // supervisor restarts them; the room's history still ends with every message.
  pid_t first = server.worker_pid(0), second = server.worker_pid(1);
  ASSERT_EQ(kill(first, SIGKILL), 0);
  ASSERT_EQ(kill(second, SIGKILL), 0);
  ASSERT_TRUE(WaitFor([&] { return server.worker_pid(0) != first && server.worker_pid(1) != second; },
                      std::chrono::seconds(10)))
      << server.log();
  HttpResponse history;
  ASSERT_TRUE(WaitFor([&] {
    history = Get(server.port(), "/room/test/history");
    return history.status == 200;
  }, std::chrono::seconds(10))) << history.body << server.log();
  std::smatch last;
  std::string body = history.body;
  std::vector<int> seqs;
  const std::regex seq_pattern(R"re("seq":(\d+))re");
  for (std::sregex_iterator it(body.begin(), body.end(), seq_pattern), end; it != end; ++it) {
    seqs.push_back(std::stoi((*it)[1]));
  }
  ASSERT_EQ(seqs.size(), 50u) << body;
  EXPECT_EQ(seqs.front(), kTotal - 49);
  EXPECT_EQ(seqs.back(), kTotal);
}

}  // namespace
}  // namespace atl::testing
