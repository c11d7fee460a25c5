// Start-up and shutdown of the real binary.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "tests/test_server.h"

namespace atl::testing {
namespace {

// Runs the binary with `args` (stderr captured); returns the exit code.
int RunAtoll(const std::string& args, std::string* output) {
  std::string out_file = "/tmp/atoll-lifecycle-" + std::to_string(getpid()) + ".log";
  std::string command = std::string(std::getenv("ATOLL_BIN")) + " " + args + " >" + out_file + " 2>&1";
  int status = std::system(command.c_str());
  std::ifstream in(out_file);
  std::stringstream text;
  text << in.rdbuf();
  *output = text.str();
  std::remove(out_file.c_str());
  return WEXITSTATUS(status);
}

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

}  // namespace
}  // namespace atl::testing
