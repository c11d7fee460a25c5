// The hostile suite, JS area (issue 12 items 9-11): a tenant turns the platform's own JS against
// it (a throwing `error` listener, patched prototypes). Its request must answer without spinning
// to a limit, and a victim tenant next door keeps answering 200 on the same worker.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

// Tenant "a" is the attacker (its script is the test's), tenant "b" the victim.
class HostileJs : public ::testing::Test {
 protected:
  void Start(const std::string& attacker) {
    fixture_.Write("a.js", attacker);
    fixture_.Write("b.js", "export default { fetch() { return new Response('b'); } };");
    server_ = std::make_unique<TestServer>(fixture_.WriteConfig("", R"(
[[tenants]]
name = "a"
script = "a.js"
routes = ["a.test/*"]
cpu_ms = 1000
[[tenants]]
name = "b"
script = "b.js"
routes = ["b.test/*"]
)"));
    worker_pid_ = server_->worker_pid();
  }
  HttpResponse A(const std::string& path) { return GetFrom(server_->port(), "a.test", path); }
  HttpResponse B() { return GetFrom(server_->port(), "b.test", "/"); }

  // Runs A(path) while the victim is asked in a loop; the victim never fails, the worker lives.
  HttpResponse AttackWithVictim(const std::string& path) {
    std::atomic<bool> done{false};
    std::atomic<int> b_ok{0}, b_bad{0};
    std::thread victim([&] {
      while (!done) (B().status == 200 ? b_ok : b_bad)++;
    });
    while (b_ok + b_bad == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    HttpResponse attack = A(path);
    done = true;
    victim.join();
    EXPECT_EQ(b_bad, 0) << "the victim failed while " << path << " ran";
    EXPECT_EQ(B().status, 200);
    EXPECT_TRUE(server_->running());
    EXPECT_EQ(server_->worker_pid(), worker_pid_) << "the worker died";
    return attack;
  }

  static int Count(const std::string& text, const std::string& needle) {
    int n = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) n++;
    return n;
  }

  TenantFixture fixture_;
  std::unique_ptr<TestServer> server_;
  pid_t worker_pid_ = -1;
};

// Issue 12 item 9: an `error` listener that throws, then reportError / a throwing timer / a
// throwing listener. Expected: the request answers 200, each exception is logged once, no spin.
TEST_F(HostileJs, ThrowingErrorListenerIsNotRedispatched) {
  Start(R"(
addEventListener("error", (event) => { throw new Error("listener-" + event.message); });
export default {
  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === "/report") reportError(new Error("reported-boom"));
    if (path === "/timer") {
      await new Promise((resolve) => {
        setTimeout(() => { throw new Error("timer-boom"); }, 0);
        setTimeout(resolve, 10);
      });
    }
    if (path === "/listener") {
      const target = new EventTarget();
      target.addEventListener("x", () => { throw new Error("target-boom"); });
      target.dispatchEvent(new Event("x"));
    }
    return new Response("answered " + path);
  }
};)");
  for (const std::string path : {"/report", "/timer", "/listener"}) {
    HttpResponse r = AttackWithVictim(path);
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    EXPECT_EQ(r.body, "answered " + path);
  }
  ASSERT_TRUE(server_->WaitForLog("listener-target-boom"));
  const std::string log = server_->log();
  EXPECT_EQ(Count(log, "cpu_limit"), 0) << log;
  // The listener's own exception once, and the original (not cancelled) once.
  EXPECT_EQ(Count(log, "Error: listener-reported-boom"), 1) << log;
  EXPECT_EQ(Count(log, "Error: reported-boom"), 1) << log;
  EXPECT_EQ(Count(log, "Error: listener-timer-boom"), 1) << log;
  EXPECT_EQ(Count(log, "Error: listener-target-boom"), 1) << log;
}

// Issue 12 item 10: the tenant patches RegExp.prototype.exec (to loop, then to throw) and
// Array/String/Promise/Function prototypes, then uses URLPattern, URL and Headers. Expected: the
// request answers 200 with the right results (no cpu_limit), the victim is unaffected.
TEST_F(HostileJs, PatchedRegExpExecDoesNotHangUrlPattern) {
  Start(R"(
export default {
  async fetch(request) {
    const path = new URL(request.url).pathname;
    const exec = RegExp.prototype.exec;
    if (path === "/loop") RegExp.prototype.exec = function () { for (;;) {} };
    if (path === "/lie") RegExp.prototype.exec = function () { return ["x"]; };
    if (path === "/throw") RegExp.prototype.exec = function () { throw new Error("patched exec"); };
    if (path === "/all") {
      RegExp.prototype.exec = function () { throw new Error("patched exec"); };
      for (const name of ["push", "map", "forEach", "join", "includes", "indexOf", "slice", "splice", "filter", "some"]) {
        Array.prototype[name] = function () { throw new Error("patched " + name); };
      }
      for (const name of ["slice", "replace", "split", "toLowerCase", "indexOf", "includes", "startsWith", "charCodeAt", "codePointAt"]) {
        String.prototype[name] = function () { throw new Error("patched " + name); };
      }
      Array.prototype[Symbol.iterator] = function () { throw new Error("patched iterator"); };
      Function.prototype.call = function () { throw new Error("patched call"); };
      Function.prototype.apply = function () { throw new Error("patched apply"); };
    }
    let result;
    try {
      const pattern = new URLPattern({ pathname: "/books/:id" });
      const match = pattern.exec("https://example.com/books/42");
      const url = new URL("https://example.com/a/../b?x=1#f");
      const headers = new Headers({ "X-A": "1" });
      result = [pattern.test("https://example.com/books/7"), match.pathname.groups.id, url.href, headers.get("x-a")];
    } finally {
      RegExp.prototype.exec = exec;
    }
    return new Response(JSON.stringify(result));
  }
};)");
  for (const std::string path : {"/loop", "/lie", "/throw", "/all"}) {
    HttpResponse r = AttackWithVictim(path);
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    EXPECT_EQ(r.body, R"([true,"42","https://example.com/b?x=1#f","1"])") << path;
  }
  EXPECT_EQ(Count(server_->log(), "cpu_limit"), 0) << server_->log();
}

}  // namespace
}  // namespace atl::testing
