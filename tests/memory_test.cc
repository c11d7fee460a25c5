// Resident memory stays flat under keep-alive load: after 200,000 requests it is within 10% of
// what it was after the first 10,000 (a leak per request or per connection would show).
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tests/test_server.h"

namespace atl::testing {
namespace {

long ResidentKb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

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

TEST(Memory, ResidentMemoryIsFlatOver200kKeepAliveRequests) {
  TestServer server(SourcePath("tests/scripts/echo.js"));
  Load(server.port(), 10000);
  long after_10k = ResidentKb(server.pid());
  Load(server.port(), 190000);
  long after_200k = ResidentKb(server.pid());
  ASSERT_GT(after_10k, 0);
  RecordProperty("rss_kb_after_10k", std::to_string(after_10k));
  RecordProperty("rss_kb_after_200k", std::to_string(after_200k));
  EXPECT_LE(after_200k, after_10k * 110 / 100) << "after 10k: " << after_10k << " KB, after 200k: " << after_200k << " KB";
}

}  // namespace
}  // namespace atl::testing
