// Start-up and shutdown of the real binary.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

TEST(Lifecycle, BrokenScriptFailsStartupNamingFileAndLine) {
  std::string output;
  EXPECT_EQ(RunAtoll("serve " + SourcePath("tests/scripts/syntax_error.js") + " --listen 127.0.0.1:0", &output), 1);
  EXPECT_NE(output.find("syntax_error.js:3"), std::string::npos) << output;
  EXPECT_NE(output.find("SyntaxError"), std::string::npos) << output;
}

TEST(Lifecycle, MissingScriptAndBadArgumentsFail) {
  std::string output;
  EXPECT_EQ(RunAtoll("serve /nonexistent/x.js --listen 127.0.0.1:0", &output), 1);
  EXPECT_NE(output.find("x.js"), std::string::npos) << output;
  EXPECT_EQ(RunAtoll("serve", &output), 2);
  EXPECT_NE(output.find("usage"), std::string::npos);
  EXPECT_EQ(RunAtoll("serve a.js --listen nowhere", &output), 2);
}

TEST(Lifecycle, VersionNamesEveryComponent) {
  std::string output;
  EXPECT_EQ(RunAtoll("version", &output), 0);
  for (const char* part : {"atoll ", "V8 10.2", "libuv 1.", "llhttp 8.1", "OpenSSL 3"}) {
    EXPECT_NE(output.find(part), std::string::npos) << part << " in " << output;
  }
}

TEST(Lifecycle, SigtermExitsZero) {
  TestServer server(SourcePath("examples/hello.js"));
  EXPECT_EQ(Get(server.port(), "/").status, 200);
  EXPECT_EQ(server.Stop(), 0);
}

TEST(Lifecycle, ConsoleWritesOneLogLinePerCallWithTheTenantName) {
  TenantFixture fixture;
  std::string script = fixture.Write("log.js", R"(
    export default {
      fetch() {
        console.log("plain %d", 42);
        console.table([{ a: 1, b: "x" }, { a: 2 }]);
        console.count("c");
        console.count("c");
        console.error(new Error("oops"));
        return new Response("logged");
      }
    };)");
  TestServer server(script);
  ASSERT_EQ(Get(server.port(), "/").body, "logged");
  // The error line is the handler's last: wait for it, not for an earlier one (CI once read the
  // log between the "c: 2" line and the error line).
  ASSERT_TRUE(server.WaitForLog("Error: oops")) << server.log();
  std::string log = server.log();
  EXPECT_NE(log.find(R"("level":"info","msg":"plain 42","tenant":"default")"), std::string::npos) << log;
  EXPECT_NE(log.find(R"(│ (index) │ a │ b   │\n├)"), std::string::npos) << log;
  EXPECT_NE(log.find(R"(│ 1       │ 2 │     │)"), std::string::npos) << log;
  EXPECT_NE(log.find(R"("level":"error","msg":"Error: oops\n    at)"), std::string::npos) << log;
}

TEST(Lifecycle, SigtermLetsRequestsInFlightFinish) {
  TenantFixture fixture;
  std::string script = fixture.Write("slow.js", R"(
    let started = 0;
    export default {
      async fetch() {
        console.log("started " + ++started);
        await new Promise((resolve) => setTimeout(resolve, 2000));
        return new Response("done");
      }
    };)");
  TestServer server(script);
  std::vector<RawClient> clients;
  for (int i = 0; i < 3; ++i) {
    clients.emplace_back(server.port());
    clients.back().Send("GET / HTTP/1.1\r\nHost: test.local\r\n\r\n");
  }
  ASSERT_TRUE(server.WaitForLog("started 3")) << server.log();
  int exit_code = -2;
  std::thread stopper([&] { exit_code = server.Stop(); });  // one SIGTERM, then waits for the exit
  for (RawClient& client : clients) {
    HttpResponse r = client.ReadResponse();
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, "done");
    EXPECT_EQ(r.Header("connection"), "close") << "the last answer of a draining connection";
  }
  stopper.join();
  EXPECT_EQ(exit_code, 0);
}

}  // namespace
}  // namespace atl::testing
