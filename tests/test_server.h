#pragma once
// Integration-test helpers: start the real `atoll` binary on 127.0.0.1 (port 0, read back from
// its "listening" log line), capture its log, and talk raw HTTP to it. Only loopback is used.

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace atl::testing {

// Path of a file under the source tree this test was built from.
std::string SourcePath(const std::string& relative);

class TestServer {
 public:
  // Starts `atoll serve SCRIPT --listen 127.0.0.1:0 --workers 1 EXTRA...` (`serve --config
  // SCRIPT` when it ends in .toml, `serve EXTRA...` when it is empty; no `--workers 1` when EXTRA
  // has --workers); fails the test if
  // it does not listen.
  explicit TestServer(const std::string& script, std::vector<std::string> extra_args = {});
  ~TestServer();

  int port() const { return port_; }
  pid_t pid() const { return pid_; }  // the supervisor's
  // The latest worker process of that index to say it was ready (-1 if none yet).
  pid_t worker_pid(int index = 0) const;
  bool running() const;
  // Everything the server logged so far.
  std::string log() const;
  // Waits up to `timeout` for `text` to appear in the log.
  bool WaitForLog(const std::string& text, std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;
  // Every worker 0..count-1 of the first generation said "worker ready" (it accepts connections):
  // before a test counts on fresh connections landing on all of them.
  bool WaitForWorkersReady(int count, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  // SIGTERM and wait; returns the exit status (or -1).
  int Stop();

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  int stderr_fd_ = -1;
  std::thread reader_;
  mutable std::mutex mu_;
  std::string log_;
};

// The first AddressSanitizer/LeakSanitizer/UBSan report in a log and what follows it ("" if none).
std::string SanitizerReport(const std::string& log);

// `timeout` times ATOLL_TEST_SLOW (an integer factor; `make test-asan` sets it, since the
// sanitized binary is several times slower): for how long a test waits, never what it checks.
std::chrono::milliseconds Slow(std::chrono::milliseconds timeout);

struct HttpResponse {
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  bool chunked = false;
  std::string Header(const std::string& name) const;  // "" if absent
};

// A raw TCP client on 127.0.0.1.
class RawClient {
 public:
  explicit RawClient(int port);
  ~RawClient();
  RawClient(RawClient&& other) noexcept : fd_(other.fd_), buffer_(std::move(other.buffer_)) { other.fd_ = -1; }
  RawClient& operator=(RawClient&& other) noexcept;
  bool connected() const { return fd_ >= 0; }
  void Send(const std::string& bytes);
  // Reads one response (Content-Length, chunked, or to EOF); status 0 on timeout or EOF first.
  HttpResponse ReadResponse(bool head_request = false, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // True if the server closed the connection within `timeout` (after what was buffered).
  bool WaitForClose(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Reads whatever arrives within `timeout`.
  std::string ReadSome(std::chrono::milliseconds timeout);

 private:
  bool Fill(std::chrono::steady_clock::time_point deadline);
  int fd_ = -1;
  std::string buffer_;
};

// Polls `done` every 5 ms until it is true or `timeout` passed; its last answer.
bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout);

// The admin API's port, read from the server's "admin API listening" log line (0 if none).
int AdminPort(const TestServer& server);
// One admin API request on a fresh connection; `token` empty: no Authorization header.
HttpResponse AdminRequest(int port, const std::string& token, const std::string& method, const std::string& path,
                          const std::string& body = "");

// Runs `atoll ARGS` to completion (not a server); returns its exit code, with stdout and
// stderr in `output`.
int RunAtoll(const std::string& args, std::string* output);

// `signal` (SIGTERM) to `pid`, then SIGKILL if it is still running after 10 s; its exit code
// (128 + the signal if a signal ended it, -1 if it had to be killed).
int StopProcess(pid_t pid, int signal = SIGTERM);
// Waits up to `timeout` for the child `pid` to exit (reaped); true if it did.
bool WaitForExit(pid_t pid, std::chrono::milliseconds timeout);
// A TCP port on 127.0.0.1 free a moment ago, below the ephemeral range (test_server.cc), for a
// child process.
int FreeLoopbackPort();

// `text` as a JSON string literal, quotes included (for deploy bodies).
std::string JsonQuote(const std::string& text);

// The counts a bindings/js/*_test.js run answers with ({"passed":N,"failed":M,...}); -1, -1 when
// the body has none.
struct JsTestCounts {
  int passed = -1;
  int failed = -1;
};
JsTestCounts ParseJsTestCounts(const std::string& body);

// One request on a fresh connection (Host: test.local, or `host`).
HttpResponse Get(int port, const std::string& path, const std::string& extra_headers = "");
HttpResponse GetFrom(int port, const std::string& host, const std::string& path, const std::string& extra_headers = "");
// The same with Host "<tenant>.test", as the suites whose tenants are routed by such names.
HttpResponse GetFromTenant(const TestServer& server, const std::string& tenant, const std::string& path);
// Its body, with a test failure (naming the tenant and path) unless it is a 200.
std::string BodyFromTenant(const TestServer& server, const std::string& tenant, const std::string& path);

}  // namespace atl::testing
