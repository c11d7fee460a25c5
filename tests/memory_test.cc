// Resident memory stays flat under keep-alive load: after 200,000 requests it is within 10% of
// what it was after the first 10,000 (a leak per request or per connection would show).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {


// Sends `count` requests over `connections` keep-alive connections, 50 pipelined at a time.
void Load(int port, int count) {
  const int kBatch = 50;
  std::string batch;
  for (int i = 0; i < kBatch; ++i) batch += "GET /m HTTP/1.1\r\nHost: a\r\n\r\n";
  RawClient client(port);
  for (int sent = 0; sent < count; sent += kBatch) {
    if (sent % 5000 == 0 && sent > 0) client = RawClient(port);  // new connections too
    client.Send(batch);
    for (int i = 0; i < kBatch; ++i) ASSERT_EQ(client.ReadResponse().status, 200);
  }
}

// Resident memory once it has stopped moving for 300 ms (background threads, such as the isolate
// pool's, finish what they started), or after 5 s.
int64_t SettledResidentKb(pid_t pid) {
  int64_t last = ResidentKb(pid);
  auto stable_since = std::chrono::steady_clock::now();
  auto give_up = stable_since + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    int64_t now = ResidentKb(pid);
    if (now != last) {
      last = now;
      stable_since = std::chrono::steady_clock::now();
    } else if (std::chrono::steady_clock::now() - stable_since >= std::chrono::milliseconds(300)) {
      break;
    }
  }
  return last;
}

TEST(Memory, ResidentMemoryIsFlatOver200kKeepAliveRequests) {
  TestServer server(SourcePath("tests/scripts/echo.js"));
  Load(server.port(), 10000);
  int64_t after_10k = SettledResidentKb(server.worker_pid());
  Load(server.port(), 190000);
  int64_t after_200k = ResidentKb(server.worker_pid());
  ASSERT_GT(after_10k, 0);
  RecordProperty("rss_kb_after_10k", std::to_string(after_10k));
  RecordProperty("rss_kb_after_200k", std::to_string(after_200k));
  EXPECT_LE(after_200k, after_10k * 110 / 100) << "after 10k: " << after_10k << " KB, after 200k: " << after_200k << " KB";
}

}  // namespace
}  // namespace atl::testing
