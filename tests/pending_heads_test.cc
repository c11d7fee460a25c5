// Workers' "simultaneous open connections" limit (server/pending_heads.h): a request's fetches
// past six waiting for their response head wait to connect until one of those has its head. The
// upstream here holds each response head 300 ms and counts the requests it holds at once.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "tests/loopback_upstream.h"
#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

class HoldingUpstream : public LoopbackUpstream {
 public:
  HoldingUpstream() { Start(); }
  ~HoldingUpstream() override { Stop(); }
  int most_held() const { return most_held_.load(); }
  int requests() const { return requests_.load(); }
  void Reset() {
    most_held_ = 0;
    requests_ = 0;
  }

 private:
  void Serve(int fd) override {
    std::string buf;
    std::string head;
    while (!stopping() && ReadHead(fd, buf, &head)) {
      size_t received = 0;
      if (!SkipBody(fd, buf, Lower(head), &received)) return;
      ++requests_;
      int held = ++held_;
      int most = most_held_.load();
      while (held > most && !most_held_.compare_exchange_weak(most, held)) {}
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      --held_;
      std::string body = std::to_string(received);
      Send(fd, "HTTP/1.1 200 OK\r\ncontent-length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    }
  }

  std::atomic<int> held_{0};
  std::atomic<int> most_held_{0};
  std::atomic<int> requests_{0};
};

constexpr char kHandler[] = R"(
const base = `http://127.0.0.1:${PORT}`;
const scenarios = {
  // 14 at once: all answered.
  async parallel() {
    const bodies = await Promise.all(Array.from({ length: 14 }, () => fetch(`${base}/`).then((r) => r.text())));
    return bodies.length;
  },
  // The seventh is queued while JS streams its body: all of it arrives once it connects.
  async queuedBody() {
    const first = Array.from({ length: 6 }, () => fetch(`${base}/`).then((r) => r.text()));
    const chunk = new Uint8Array(40000).fill(120);
    let sent = 0;
    const body = new ReadableStream({
      pull(controller) {
        if (sent++ === 3) return controller.close();
        controller.enqueue(chunk);
      },
    });
    const seventh = await fetch(`${base}/`, { method: "POST", body, duplex: "half" });
    await Promise.all(first);
    return await seventh.text();
  },
  // 4 MB sent whole by `n` fetches at once (the server holds a copy of each body until its fetch
  // ends; so does the fetch, for a redirect, in the tenant's heap budget).
  async wholeBodies(n) {
    const body = new Uint8Array(4 << 20).fill(1);
    const sent = await Promise.all(Array.from({ length: n }, () => fetch(`${base}/`, { method: "POST", body }).then((r) => r.text())));
    return sent.join(",");
  },
  // A queued fetch aborted never connects.
  async abortQueued() {
    const first = Array.from({ length: 6 }, () => fetch(`${base}/`).then((r) => r.text()));
    const controller = new AbortController();
    const seventh = fetch(`${base}/`, { signal: controller.signal }).then(() => "answered", (e) => e.name);
    setTimeout(() => controller.abort(), 50);
    const outcome = await seventh;
    await Promise.all(first);
    return outcome;
  },
};
export default {
  async fetch(request) {
    const url = new URL(request.url);
    return new Response(String(await scenarios[url.pathname.slice(1)](Number(url.searchParams.get("n")))));
  },
};
)";

class PendingHeadsTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(""); }
  void Start(const std::string& tenant_extra) {
    std::string script = kHandler;
    script.replace(script.find("${PORT}"), 7, std::to_string(upstream_.port()));
    fixture_.Write("a.js", script);
    server_ = std::make_unique<TestServer>(fixture_.WriteConfig("", R"(
[[tenants]]
name = "a"
script = "a.js"
routes = ["*/*"]
cpu_ms = 1000
subrequests = 100
)" + tenant_extra + R"(outbound = ["127.0.0.1:)" + std::to_string(upstream_.port()) + R"("]
)"));
  }
  HoldingUpstream upstream_;
  TenantFixture fixture_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(PendingHeadsTest, ARequestWaitsForAtMostSixHeadsAtOnce) {
  HttpResponse r = Get(server_->port(), "/parallel");
  EXPECT_EQ(r.status, 200) << r.body << server_->log();
  EXPECT_EQ(r.body, "14");
  EXPECT_EQ(upstream_.requests(), 14);
  EXPECT_EQ(upstream_.most_held(), 6) << "the upstream held more than six of one request's fetches at once";
}

TEST_F(PendingHeadsTest, TwoRequestsEachHaveTheirOwnSix) {
  std::thread other([&] { EXPECT_EQ(Get(server_->port(), "/parallel").body, "14"); });
  EXPECT_EQ(Get(server_->port(), "/parallel").body, "14");
  other.join();
  EXPECT_EQ(upstream_.requests(), 28);
  EXPECT_GT(upstream_.most_held(), 6);
  EXPECT_LE(upstream_.most_held(), 12);
}

TEST_F(PendingHeadsTest, AQueuedFetchsStreamedBodyIsSentWhole) {
  HttpResponse r = Get(server_->port(), "/queuedBody");
  EXPECT_EQ(r.status, 200) << r.body << server_->log();
  EXPECT_EQ(r.body, "120000");
}

// The copies of request bodies the server holds for fetches in flight are bounded by memory_mb:
// each fetch keeps its own copy of a body given whole (a Request's, kept for a 307/308 redirect)
// until it ends, in the tenant's ArrayBuffer budget. Two 4 MB bodies at once fit a 16 MB tenant
// (with the buffer they are copied from); four do not (503 memory_limit: at most two of them
// reached the server), and the tenant goes on.
TEST_F(PendingHeadsTest, WholeRequestBodiesInFlightAreBoundedByMemoryMb) {
  server_->Stop();
  Start("memory_mb = 16\n");
  HttpResponse two = Get(server_->port(), "/wholeBodies?n=2");
  EXPECT_EQ(two.status, 200) << two.body << server_->log();
  EXPECT_EQ(two.body, "4194304,4194304");
  int before = upstream_.requests();
  HttpResponse four = Get(server_->port(), "/wholeBodies?n=4");
  EXPECT_EQ(four.status, 503) << four.body;
  EXPECT_EQ(four.body, R"({"error":"memory_limit"})");
  EXPECT_LE(upstream_.requests() - before, 2);
  EXPECT_EQ(Get(server_->port(), "/wholeBodies?n=1").body, "4194304");
}

TEST_F(PendingHeadsTest, AQueuedFetchAbortedNeverConnects) {
  HttpResponse r = Get(server_->port(), "/abortQueued");
  EXPECT_EQ(r.status, 200) << r.body << server_->log();
  EXPECT_EQ(r.body, "AbortError");
  EXPECT_EQ(upstream_.requests(), 6);
}

}  // namespace
}  // namespace atl::testing
