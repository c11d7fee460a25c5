// Per-request isolation in reused per_request contexts (README "What per_request guarantees and
// what it does not", bindings/worker_reuse.cc, js/lazy/lockdown.js): the real binary, a tenant
// (tests/per_request_isolation.js) with a matrix of ways to leave state behind, and for each way
// three sequential requests: read, write, read; the two reads must answer the same. Requests go
// one at a time, and a context that finished is the next one taken, so the write and the second
// read run in the same context. Run with ATOLL_CONTEXT_REUSE=naive in the environment (contexts
// reused as they are) this suite fails: that is what it is for.
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/loopback_upstream.h"
#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

// An origin that answers every request 200 "ok" after 100 ms: a fetch still in flight when the
// request that made it is answered.
class SlowOrigin : public LoopbackUpstream {
 public:
  SlowOrigin() { Start(); }
  ~SlowOrigin() override { Stop(); }

 protected:
  void Serve(int fd) override {
    std::string buf;
    while (buf.find("\r\n\r\n") == std::string::npos) {
      if (!Fill(fd, buf)) return;
    }
    usleep(100'000);
    static constexpr char kAnswer[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    (void)!write(fd, kAnswer, sizeof kAnswer - 1);
  }
};

std::string ReadSource(const std::string& relative) {
  std::ifstream in(SourcePath(relative));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Param: the context mode; the matrix holds for fresh contexts (per_request) too.
class PerRequestIsolation : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    const std::string mode = GetParam();
    fixture_.Write("iso.js", ReadSource("tests/per_request_isolation.js"));
    server_ = std::make_unique<TestServer>(fixture_.WriteConfig(
        "", "[[tenants]]\nname = \"iso\"\nscript = \"iso.js\"\nroutes = [\"iso.test/*\"]\n"
            "context = \"" + mode + "\"\ncompatibility_flags = [\"nodejs_compat\"]\n"
            "outbound = [\"127.0.0.1:" + std::to_string(origin_.port()) + "\"]\n"
            "[tenants.vars]\nSLOW_PORT = \"" + std::to_string(origin_.port()) + "\"\n"));
  }
  HttpResponse Get(const std::string& path) { return GetFrom(server_->port(), "iso.test", path); }

  SlowOrigin origin_;
  TenantFixture fixture_;
  std::unique_ptr<TestServer> server_;
};

TEST_P(PerRequestIsolation, NothingARequestWritesIsSeenByTheNext) {
  HttpResponse list = Get("/cases");
  ASSERT_EQ(list.status, 200) << list.body << server_->log();
  std::vector<std::string> cases;
  std::stringstream lines(list.body);
  for (std::string name; std::getline(lines, name);) cases.push_back(name);
  ASSERT_GT(cases.size(), 50u);
  for (int i = 0; i < 3; ++i) Get("/cases");  // past the first context (made before reuse starts)
  for (const std::string& name : cases) {
    HttpResponse before = Get("/r/" + name);
    HttpResponse wrote = Get("/w/" + name);
    HttpResponse after = Get("/r/" + name);
    EXPECT_EQ(before.status, 200) << name << ": " << before.body << server_->log();
    EXPECT_EQ(wrote.status, 200) << name << ": " << wrote.body << server_->log();
    EXPECT_EQ(after.body, before.body) << "case " << name << " leaked; the write answered: " << wrote.body;
  }
  // console.count state: the write counted "c" twice, each read once; a leak would count on.
  EXPECT_FALSE(server_->WaitForLog("c: 3", std::chrono::milliseconds(10))) << server_->log();
}

INSTANTIATE_TEST_SUITE_P(Modes, PerRequestIsolation, ::testing::Values("per_request_hardened", "per_request"));

// Built-ins first used after the lockdown (the first context loaded none of them) load, frozen.
TEST_P(PerRequestIsolation, EveryBuiltinLoadsWhenFirstUsedInALockedDownContext) {
  for (int i = 0; i < 3; ++i) Get("/cases");
  HttpResponse r = Get("/touch-all");
  EXPECT_EQ(r.body, "ok") << server_->log();
}

// What per_request_hardened promises within one request, and what a reused context is for.
using HardenedContexts = PerRequestIsolation;
INSTANTIATE_TEST_SUITE_P(Hardened, HardenedContexts, ::testing::Values("per_request_hardened"));
TEST_P(HardenedContexts, WithinARequestGlobalsWorkAndModuleStateStartsFresh) {
  for (int i = 0; i < 3; ++i) {
    HttpResponse r = Get("/sloppy");
    EXPECT_EQ(r.body, "42 true 0") << server_->log();
  }
  EXPECT_EQ(Get("/w/overwriteFetch").body, "threw TypeError");
  EXPECT_EQ(Get("/w/arrayPush").body, "threw TypeError");
  EXPECT_EQ(Get("/w/ownToStringStillWorks").body, "mine");  // the override mistake is fixed
  EXPECT_EQ(Get("/w/errorNameOnInstance").body, "Mine");
  EXPECT_EQ(Get("/w/moduleVariable").body, "1");
  EXPECT_EQ(Get("/r/regexpLegacyStatics").body, "undefined|undefined|undefined");
  EXPECT_EQ(Get("/r/finalizationRegistry").body, "undefined");
  ASSERT_EQ(server_->Stop(), 0);
  // Contexts were reused rather than made per request.
  EXPECT_LT(PoolStat(server_->log(), "contexts_created"), 6) << server_->log();
}

}  // namespace
}  // namespace atl::testing
