// EventSource against a real text/event-stream origin on 127.0.0.1 (the tenant's outbound list
// allows it): events as they arrive, reconnection after the `retry` delay with Last-Event-ID,
// and a response that is not an event stream failing the source without reconnecting.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "tests/loopback_upstream.h"
#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

// GET /events: the first connection sends `retry: 50`, event "a" with id 1, and closes; later
//   connections send event "b (after ID)" where ID is their Last-Event-ID, then stay open.
// GET /plain: a 200 text/plain answer (not an event stream).
class SseOrigin : public LoopbackUpstream {
 public:
  SseOrigin() { Start(); }
  ~SseOrigin() override { Stop(); }
  int connections(const std::string& path) const {
    std::lock_guard lock(mu_);
    return path == "/events" ? events_ : plain_;
  }

 private:
  void Serve(int fd) override {
    std::string buf, head;
    if (!ReadHead(fd, buf, &head)) return;
    std::string lower = Lower(head);
    if (head.starts_with("GET /plain ")) {
      {
        std::lock_guard lock(mu_);
        ++plain_;
      }
      Send(fd, "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nno");
      return;
    }
    int nth;
    {
      std::lock_guard lock(mu_);
      nth = ++events_;
    }
    std::string last_id = "none";
    if (size_t at = lower.find("\r\nlast-event-id: "); at != std::string::npos) {
      size_t start = at + 17;
      last_id = head.substr(start, head.find("\r\n", start) - start);
    }
    Send(fd, "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-store\r\n"
             "connection: close\r\n\r\n");
    if (nth == 1) {
      Send(fd, ": hello\nretry: 50\nid: 1\ndata: a\n\n");
      return;  // closed: the client reconnects after 50 ms
    }
    Send(fd, "data: b (after " + last_id + ")\n\n");
    std::string rest;
    while (Fill(fd, rest)) {}  // open until the client goes away or the test ends
  }

  mutable std::mutex mu_;
  int events_ = 0;
  int plain_ = 0;
};

constexpr char kClient[] = R"(
export default {
  async fetch(request) {
    const path = new URL(request.url).pathname;
    const source = new EventSource(`http://127.0.0.1:${PORT}${path}`);
    const seen = [];
    const states = [source.readyState];
    return await new Promise((resolve) => {
      const done = () => {
        source.close();
        resolve(Response.json({ seen, states }));
      };
      source.onopen = () => states.push("open");
      source.onerror = () => {
        states.push(`error:${source.readyState}`);
        if (source.readyState === EventSource.CLOSED) done();
      };
      source.onmessage = (event) => {
        seen.push(`${event.data}|${event.lastEventId}|${event.origin}`);
        if (seen.length === 2) done();
      };
    });
  },
};
)";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  for (size_t at; (at = text.find(from)) != std::string::npos;) text.replace(at, from.size(), to);
  return text;
}

class EventSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string port = std::to_string(origin_.port());
    fixture_.Write("client.js", Replace(kClient, "${PORT}", port));
    server_ = std::make_unique<TestServer>(fixture_.WriteConfig("", R"(
[[tenants]]
name = "client"
script = "client.js"
routes = ["*/*"]
cpu_ms = 1000
outbound = ["127.0.0.1:)" + port + R"("]
)"));
  }

  SseOrigin origin_;
  TenantFixture fixture_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(EventSourceTest, EventsArriveAndAReconnectSendsTheLastEventId) {
  HttpResponse r = Get(server_->port(), "/events");
  ASSERT_EQ(r.status, 200) << r.body << server_->log();
  std::string origin = "http://127.0.0.1:" + std::to_string(origin_.port());
  EXPECT_EQ(r.body, R"({"seen":["a|1|)" + origin + R"(","b (after 1)|1|)" + origin +
                        R"("],"states":[0,"open","error:0","open"]})");
  EXPECT_EQ(origin_.connections("/events"), 2);
}

TEST_F(EventSourceTest, AnAnswerThatIsNotAnEventStreamFailsWithoutReconnecting) {
  HttpResponse r = Get(server_->port(), "/plain");
  ASSERT_EQ(r.status, 200) << r.body << server_->log();
  EXPECT_EQ(r.body, R"({"seen":[],"states":[0,"error:2"]})");
  EXPECT_EQ(origin_.connections("/plain"), 1);
}

}  // namespace
}  // namespace atl::testing
