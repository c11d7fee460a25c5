// Isolation groups (issue 17 item 2, README "Isolation groups"): an `isolation = "process"`
// tenant answers from a worker process of its own; kill -9 of that process under load fails no
// request of the other tenants; the admin API moves a tenant there and back with requests in
// flight. ATOLL_TEST_PID_HEADER=1 makes every response say which process answered it.
// Real binary, 127.0.0.1 only.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

using Clock = std::chrono::steady_clock;
constexpr char kToken[] = "isolation-token";

// Keep-alive requests to one host in a loop (at most `max` of them) until stopped, reconnecting
// after a close; counts failures and the pids that answered.
class HostLoad {
 public:
  HostLoad(int port, std::string host, int threads, int max = 200000) : host_(std::move(host)) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this, port, max] { Run(port, max); });
  }
  ~HostLoad() { Stop(); }
  void Stop() {
    stop_ = true;
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  int ok() const { return ok_; }
  int failed() const { return failed_; }
  std::vector<std::string> failures() {
    std::lock_guard<std::mutex> lock(mu_);
    return failures_;
  }
  std::set<std::string> pids() {
    std::lock_guard<std::mutex> lock(mu_);
    return pids_;
  }

 private:
  void Run(int port, int max) {
    int sent = 0;
    while (!stop_ && sent < max) {
      RawClient client(port);
      if (!client.connected()) {
        ++failed_;
        continue;
      }
      while (!stop_ && sent < max) {
        ++sent;
        client.Send("GET /x HTTP/1.1\r\nHost: " + host_ + "\r\n\r\n");
        HttpResponse r = client.ReadResponse(false, std::chrono::seconds(10));
        if (r.status != 200) {
          ++failed_;
          std::lock_guard<std::mutex> lock(mu_);
          failures_.push_back(std::to_string(r.status) + " " + r.body);
          break;
        }
        ++ok_;
        {
          std::lock_guard<std::mutex> lock(mu_);
          pids_.insert(r.Header("x-atoll-pid"));
        }
        if (r.Header("connection") == "close") break;
      }
    }
  }
  std::string host_;
  std::atomic<bool> stop_{false};
  std::atomic<int> ok_{0}, failed_{0};
  std::mutex mu_;
  std::vector<std::string> failures_;
  std::set<std::string> pids_;
  std::vector<std::thread> threads_;
};

class IsolationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("ATOLL_ADMIN_TOKEN", kToken, 1);
    setenv("ATOLL_TEST_PID_HEADER", "1", 1);
  }
  void TearDown() override { unsetenv("ATOLL_TEST_PID_HEADER"); }
  // Tenants a and b shared, p with `p_isolation`; each answers its own name.
  std::string Config(const std::string& p_isolation) {
    std::string rest;
    for (std::string name : {"a", "b", "p"}) {
      fixture_.Write(name + ".js", "export default { fetch() { return new Response('" + name + "'); } };");
      rest += "[[tenants]]\nname = \"" + name + "\"\nscript = \"" + name + ".js\"\nroutes = [\"" + name + ".test/*\"]\n";
      if (name == "p") rest += "isolation = \"" + p_isolation + "\"\n";
    }
    return fixture_.WriteConfig("admin_listen = \"127.0.0.1:0\"", rest);
  }
  // The pids that answered `n` requests for `host`, each on a fresh connection.
  std::set<std::string> PidsOf(int port, const std::string& host, int n, int* failures) {
    std::set<std::string> pids;
    for (int i = 0; i < n; ++i) {
      HttpResponse r = GetFrom(port, host, "/x");
      if (r.status != 200 || r.body != host.substr(0, 1)) ++*failures;
      pids.insert(r.Header("x-atoll-pid"));
    }
    return pids;
  }
  TenantFixture fixture_;
};

TEST_F(IsolationTest, AProcessTenantAnswersFromAPidThatServesNoOtherTenant) {
  TestServer server(Config("process"), {"--workers", "2"});
  ASSERT_TRUE(server.WaitForWorkersReady(2)) << server.log();
  int failures = 0;
  std::set<std::string> p = PidsOf(server.port(), "p.test", 30, &failures);
  std::set<std::string> shared = PidsOf(server.port(), "a.test", 40, &failures);
  std::set<std::string> b = PidsOf(server.port(), "b.test", 40, &failures);
  shared.insert(b.begin(), b.end());
  EXPECT_EQ(failures, 0);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(*p.begin(), "");
  for (const std::string& pid : shared) EXPECT_EQ(p.count(pid), 0u) << "pid " << pid << " served a shared tenant and p";
  EXPECT_NE(*p.begin(), std::to_string(server.worker_pid(0)));
  EXPECT_NE(*p.begin(), std::to_string(server.worker_pid(1)));
  EXPECT_NE(*p.begin(), std::to_string(server.pid()));
  HttpResponse info = AdminRequest(AdminPort(server), kToken, "GET", "/tenants/p");
  EXPECT_NE(info.body.find("\"isolation\":\"process\""), std::string::npos) << info.body;
  // What forwarding costs: sequential keep-alive requests to a shared tenant and to p (printed).
  for (std::string host : {"a.test", "p.test"}) {
    RawClient client(server.port());
    auto start = Clock::now();
    constexpr int kRequests = 400;
    for (int i = 0; i < kRequests; ++i) {
      client.Send("GET /x HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
      ASSERT_EQ(client.ReadResponse().status, 200);
    }
    double us = std::chrono::duration<double, std::micro>(Clock::now() - start).count() / kRequests;
    std::printf("isolation overhead: %s %.1f us per request (keep-alive, sequential)\n", host.c_str(), us);
  }
  // A forwarded request is counted once (by the shared worker that took it): 30 + 400.
  int admin = AdminPort(server);
  HttpResponse metrics;
  EXPECT_TRUE(WaitFor([&] {
    metrics = AdminRequest(admin, kToken, "GET", "/metrics");
    return metrics.body.find("atoll_requests_total{tenant=\"p\",status=\"200\"} 430\n") != std::string::npos;
  }, std::chrono::seconds(5))) << metrics.body;
  EXPECT_EQ(server.Stop(), 0);
}

TEST_F(IsolationTest, ASighupReloadKeepsTheGroupApart) {
  TestServer server(Config("process"), {"--workers", "2"});
  ASSERT_TRUE(server.WaitForWorkersReady(2)) << server.log();
  int failures = 0;
  std::set<std::string> before = PidsOf(server.port(), "p.test", 3, &failures);
  ASSERT_EQ(kill(server.pid(), SIGHUP), 0);
  ASSERT_TRUE(server.WaitForLog("\"msg\":\"reloaded\"", std::chrono::seconds(20))) << server.log();
  // The old generation's group process drains; the new one's answers.
  EXPECT_TRUE(WaitFor([&] { return kill(std::stoi(*before.begin()), 0) != 0; }, std::chrono::seconds(10)));
  std::set<std::string> p = PidsOf(server.port(), "p.test", 10, &failures);
  std::set<std::string> shared = PidsOf(server.port(), "a.test", 30, &failures);
  EXPECT_EQ(failures, 0);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(*p.begin(), *before.begin());
  for (const std::string& pid : shared) EXPECT_EQ(p.count(pid), 0u);
  EXPECT_EQ(server.Stop(), 0);
}

TEST_F(IsolationTest, KillNineOfTheIsolatedProcessUnderLoadFailsNoOtherTenantsRequest) {
  TestServer server(Config("process"), {"--workers", "2", "--no-access-log"});
  ASSERT_TRUE(server.WaitForWorkersReady(2)) << server.log();
  int failures = 0;
  std::set<std::string> before = PidsOf(server.port(), "p.test", 3, &failures);
  ASSERT_EQ(failures, 0);
  ASSERT_EQ(before.size(), 1u);
  pid_t isolated = std::stoi(*before.begin());
  {
    HostLoad a(server.port(), "a.test", 2);
    HostLoad b(server.port(), "b.test", 1);
    HostLoad p(server.port(), "p.test", 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ASSERT_EQ(kill(isolated, SIGKILL), 0);
    // p is back, from a new process, while the load goes on.
    bool back = WaitFor([&] {
      int f = 0;
      std::set<std::string> now = PidsOf(server.port(), "p.test", 1, &f);
      return f == 0 && now.size() == 1 && *now.begin() != *before.begin();
    }, std::chrono::seconds(15));
    EXPECT_TRUE(back) << server.log();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    a.Stop();
    b.Stop();
    p.Stop();
    EXPECT_EQ(a.failed(), 0) << (a.failures().empty() ? "" : a.failures()[0]);
    EXPECT_EQ(b.failed(), 0) << (b.failures().empty() ? "" : b.failures()[0]);
    EXPECT_GT(a.ok(), 50);
    EXPECT_GT(b.ok(), 20);
    EXPECT_GT(p.ok(), 0);
    for (const std::string& pid : a.pids()) EXPECT_NE(pid, *before.begin());
    std::printf("kill -9 under load: a %d ok, b %d ok, p %d ok / %d failed\n", a.ok(), b.ok(), p.ok(), p.failed());
  }
  EXPECT_TRUE(server.WaitForLog("\"signal\":9"));
  EXPECT_EQ(server.Stop(), 0);
}

TEST_F(IsolationTest, TheAdminApiMovesATenantToItsOwnProcessAndBackWithoutAFailedRequest) {
  TestServer server(Config("shared"), {"--workers", "2", "--no-access-log"});
  ASSERT_TRUE(server.WaitForWorkersReady(2)) << server.log();
  int admin = AdminPort(server);
  ASSERT_GT(admin, 0);
  int failures = 0;
  std::set<std::string> shared_pids = PidsOf(server.port(), "a.test", 30, &failures);
  ASSERT_EQ(failures, 0);
  {
    HostLoad p(server.port(), "p.test", 2);
    HostLoad a(server.port(), "a.test", 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    HttpResponse moved = AdminRequest(admin, kToken, "POST", "/tenants/p/isolation", R"({"isolation": "process"})");
    ASSERT_EQ(moved.status, 200) << moved.body << server.log();
    // From now on p answers from one pid that is none of the shared workers'.
    std::set<std::string> isolated = PidsOf(server.port(), "p.test", 10, &failures);
    EXPECT_EQ(failures, 0);
    ASSERT_EQ(isolated.size(), 1u);
    EXPECT_EQ(shared_pids.count(*isolated.begin()), 0u);
    HttpResponse info = AdminRequest(admin, kToken, "GET", "/tenants/p");
    EXPECT_NE(info.body.find("\"isolation\":\"process\""), std::string::npos) << info.body;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    HttpResponse back = AdminRequest(admin, kToken, "POST", "/tenants/p/isolation", R"({"isolation": "shared"})");
    ASSERT_EQ(back.status, 200) << back.body;
    std::set<std::string> again = PidsOf(server.port(), "p.test", 10, &failures);
    EXPECT_EQ(failures, 0);
    EXPECT_EQ(again.count(*isolated.begin()), 0u);
    // The group's process drains and goes (a second after the move) while the load goes on.
    EXPECT_TRUE(WaitFor([&] { return kill(std::stoi(*isolated.begin()), 0) != 0; }, std::chrono::seconds(10)));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    p.Stop();
    a.Stop();
    EXPECT_EQ(p.failed(), 0) << (p.failures().empty() ? "" : p.failures()[0]);
    EXPECT_EQ(a.failed(), 0) << (a.failures().empty() ? "" : a.failures()[0]);
    EXPECT_TRUE(p.pids().count(*isolated.begin())) << "the load reached the group's process";
    std::printf("moved under load: p %d ok, a %d ok\n", p.ok(), a.ok());
  }
  // Bad requests.
  EXPECT_EQ(AdminRequest(admin, kToken, "POST", "/tenants/p/isolation", R"({"isolation": "elsewhere"})").status, 400);
  EXPECT_EQ(AdminRequest(admin, kToken, "POST", "/tenants/zz/isolation", R"({"isolation": "process"})").status, 404);
  EXPECT_EQ(server.Stop(), 0);
}

TEST_F(IsolationTest, StreamedBodiesGoThroughTheForwardBothWays) {
  fixture_.Write("e.js", "export default { async fetch(req) { return new Response(req.body); } };");
  std::string config = fixture_.WriteConfig(
      "", "[[tenants]]\nname = \"e\"\nscript = \"e.js\"\nroutes = [\"*/*\"]\nisolation = \"process\"\n");
  TestServer server(config, {"--workers", "1"});
  std::string body(3 << 20, 'x');  // past every buffered bound: streamed through both hops
  for (size_t i = 0; i < body.size(); i += 4096) body[i] = static_cast<char>('a' + (i / 4096) % 26);
  RawClient client(server.port());
  client.Send("POST /echo HTTP/1.1\r\nHost: e.test\r\ncontent-length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  HttpResponse r = client.ReadResponse(false, std::chrono::seconds(30));
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 200);
  EXPECT_EQ(r.body.size(), body.size());
  EXPECT_TRUE(r.body == body);
  // Chunked upload, on the same keep-alive connection.
  client.Send("POST /echo HTTP/1.1\r\nHost: e.test\r\ntransfer-encoding: chunked\r\n\r\n"
              "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  HttpResponse chunked = client.ReadResponse(false, std::chrono::seconds(10));
  EXPECT_EQ(chunked.status, 200);
  EXPECT_EQ(chunked.body, "hello world");
  pid_t worker = server.worker_pid(0);
  EXPECT_NE(r.Header("x-atoll-pid"), std::to_string(worker)) << "answered by the group's process";
  EXPECT_EQ(server.Stop(), 0);
}

TEST_F(IsolationTest, AnAutoTenantMovesToItsOwnProcessAfterRepeatedLimitKills) {
  fixture_.Write("a.js", "export default { fetch() { return new Response('a'); } };");
  fixture_.Write("s.js", "export default { fetch(req) { if (new URL(req.url).pathname == '/spin') for (;;) {} "
                         "return new Response('s'); } };");
  std::string config = fixture_.WriteConfig(
      "admin_listen = \"127.0.0.1:0\"",
      "[[tenants]]\nname = \"a\"\nscript = \"a.js\"\nroutes = [\"a.test/*\"]\n"
      "[[tenants]]\nname = \"s\"\nscript = \"s.js\"\nroutes = [\"s.test/*\"]\ncpu_ms = 20\nisolation = \"auto\"\n");
  TestServer server(config, {"--workers", "1"});
  int failures = 0;
  std::set<std::string> shared = PidsOf(server.port(), "a.test", 3, &failures);
  std::set<std::string> before = PidsOf(server.port(), "s.test", 3, &failures);
  ASSERT_EQ(failures, 0);
  EXPECT_EQ(before, shared);  // runs in the shared worker until it is killed
  // Kill it three times in a row (the second kill also refuses it for a second: requests then
  // get 503 without running).
  auto kills = [&] {
    std::string log = server.log();
    size_t n = 0;
    for (size_t at = 0; (at = log.find("limit hit: isolate discarded", at)) != std::string::npos; ++at) ++n;
    return n;
  };
  auto deadline = Clock::now() + std::chrono::seconds(20);
  while (kills() < 3 && Clock::now() < deadline) {
    EXPECT_EQ(GetFrom(server.port(), "s.test", "/spin").status, 503);
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
  }
  ASSERT_GE(kills(), 3u) << server.log();
  ASSERT_TRUE(server.WaitForLog("tenant moved after repeated limit kills", std::chrono::seconds(10))) << server.log();
  EXPECT_TRUE(server.WaitForLog("\"result\":\"ok\""));
  // From now on it answers from a process of its own; the shared tenant stays where it was.
  std::set<std::string> after;
  EXPECT_TRUE(WaitFor([&] {
    int f = 0;
    after = PidsOf(server.port(), "s.test", 1, &f);
    return f == 0 && after.size() == 1 && shared.count(*after.begin()) == 0;
  }, std::chrono::seconds(10))) << server.log();
  EXPECT_EQ(PidsOf(server.port(), "a.test", 3, &failures), shared);
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(server.Stop(), 0);
}

TEST_F(IsolationTest, ABadIsolationValueIsAConfigErrorWithItsKeyPath) {
  fixture_.Write("p.js", "export default { fetch() { return new Response('p'); } };");
  std::string config = fixture_.WriteConfig("", "[[tenants]]\nname = \"p\"\nscript = \"p.js\"\nroutes = [\"*/*\"]\nisolation = \"separate\"\n");
  std::string output;
  EXPECT_NE(RunAtoll("check --config " + config, &output), 0);
  EXPECT_NE(output.find("tenants[0].isolation"), std::string::npos) << output;
  EXPECT_NE(output.find("expected \"shared\", \"process\" or \"auto\""), std::string::npos) << output;
}

}  // namespace
}  // namespace atl::testing
