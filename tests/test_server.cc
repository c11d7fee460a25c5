#include "tests/test_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <regex>
#include <sstream>

namespace atl::testing {

using Clock = std::chrono::steady_clock;

std::string SourcePath(const std::string& relative) {
  return std::string(ATOLL_SOURCE_DIR) + "/" + relative;
}

TestServer::TestServer(const std::string& script, std::vector<std::string> extra_args) {
  const char* bin = std::getenv("ATOLL_BIN");
  if (bin == nullptr) {
    ADD_FAILURE() << "ATOLL_BIN is not set (run through ctest)";
    return;
  }
  std::vector<std::string> args = {bin, "serve", script, "--listen", "127.0.0.1:0"};
  if (script.ends_with(".toml")) args = {bin, "serve", "--config", script, "--listen", "127.0.0.1:0"};
  if (script.empty()) args = {bin, "serve", "--listen", "127.0.0.1:0"};  // EXTRA says what (--wrangler)
  // One worker unless the test asks for more: what a test counts is then one process's.
  if (std::find(extra_args.begin(), extra_args.end(), "--workers") == extra_args.end()) {
    args.insert(args.end(), {"--workers", "1"});
  }
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return;
  pid_ = fork();
  if (pid_ == 0) {
    dup2(pipe_fds[1], STDERR_FILENO);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  stderr_fd_ = pipe_fds[0];
  reader_ = std::thread([this] {
    char buf[4096];
    ssize_t n;
    while ((n = read(stderr_fd_, buf, sizeof(buf))) > 0) {
      std::lock_guard<std::mutex> lock(mu_);
      log_.append(buf, static_cast<size_t>(n));
    }
  });
  std::regex listening(R"re("msg":"listening","address":"127\.0\.0\.1:(\d+)")re");
  auto deadline = Clock::now() + Slow(std::chrono::seconds(20));
  while (Clock::now() < deadline && running()) {
    std::smatch m;
    std::string text = log();
    if (std::regex_search(text, m, listening)) {
      port_ = std::stoi(m[1]);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << "atoll did not start listening; log:\n" << log();
}

TestServer::~TestServer() { Stop(); }

int AdminPort(const TestServer& server) {
  EXPECT_TRUE(server.WaitForLog("admin API listening"));
  std::smatch m;
  std::string log = server.log();
  std::regex re(R"re("msg":"admin API listening","address":"127\.0\.0\.1:(\d+)")re");
  return std::regex_search(log, m, re) ? std::stoi(m[1]) : 0;
}

HttpResponse AdminRequest(int port, const std::string& token, const std::string& method, const std::string& path,
                          const std::string& body) {
  RawClient client(port);
  std::string request = method + " " + path + " HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n";
  if (!token.empty()) request += "Authorization: Bearer " + token + "\r\n";
  if (!body.empty() || method == "PUT") request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  client.Send(request + "\r\n" + body);
  return client.ReadResponse();
}

pid_t TestServer::worker_pid(int index) const {
  std::regex ready(R"re("msg":"worker ready","worker":(\d+),"generation":\d+,"pid":(\d+))re");
  std::string text = log();
  pid_t pid = -1;
  for (std::sregex_iterator it(text.begin(), text.end(), ready), end; it != end; ++it) {
    if (std::stoi((*it)[1]) == index) pid = std::stoi((*it)[2]);
  }
  return pid;
}

bool TestServer::running() const { return pid_ > 0 && kill(pid_, 0) == 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }

std::string TestServer::log() const {
  std::lock_guard<std::mutex> lock(mu_);
  return log_;
}

bool TestServer::WaitForWorkersReady(int count, std::chrono::milliseconds timeout) const {
  for (int i = 0; i < count; ++i) {
    if (!WaitForLog("\"msg\":\"worker ready\",\"worker\":" + std::to_string(i) + ",", timeout)) return false;
  }
  return true;
}

bool TestServer::WaitForLog(const std::string& text, std::chrono::milliseconds timeout) const {
  auto deadline = Clock::now() + Slow(timeout);
  while (Clock::now() < deadline) {
    if (log().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

int StopProcess(pid_t pid, int signal) {
  kill(pid, signal);
  int status = 0;
  auto deadline = Clock::now() + Slow(std::chrono::seconds(10));
  pid_t done = 0;
  while ((done = waitpid(pid, &status, WNOHANG)) == 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (done == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

JsTestCounts ParseJsTestCounts(const std::string& body) {
  std::smatch m;
  if (!std::regex_search(body, m, std::regex(R"re("passed":(\d+),"failed":(\d+))re"))) return {};
  return JsTestCounts{std::stoi(m[1]), std::stoi(m[2])};
}

std::string JsonQuote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out + "\"";
}

bool WaitForExit(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid || r < 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

namespace {

// Binds 127.0.0.1:`port` (0: any) and lets go; the port bound, or 0 if it was taken.
int BindAndRelease(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  socklen_t len = sizeof(addr);
  int bound = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    bound = ntohs(addr.sin_port);
  }
  close(fd);
  return bound;
}

}  // namespace

// A free port below the kernel's ephemeral range (/proc/sys/net/ipv4/ip_local_port_range): the
// outbound connections of tests running alongside (fetch, sockets, PostgreSQL clients) take their
// local ports from that range, and one took a port chosen there between this check and the
// server's bind (a SIGHUP's admin listener: "Address already in use", once in CI).
int FreeLoopbackPort() {
  int ephemeral_low = 32768;
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  range >> ephemeral_low;
  constexpr int kLow = 10000;
  if (ephemeral_low > kLow + 1000) {
    static unsigned seed = static_cast<unsigned>(getpid()) * 2654435761u ^ static_cast<unsigned>(time(nullptr));
    for (int attempt = 0; attempt < 200; ++attempt) {
      seed = seed * 1103515245u + 12345u;
      int port = kLow + static_cast<int>((seed >> 8) % static_cast<unsigned>(ephemeral_low - kLow));
      if (BindAndRelease(port) == port) return port;
    }
  }
  return BindAndRelease(0);
}

int TestServer::Stop() {
  if (pid_ <= 0) return -1;
  int code = StopProcess(pid_);
  pid_ = -1;
  if (reader_.joinable()) reader_.join();
  if (stderr_fd_ >= 0) close(stderr_fd_);
  stderr_fd_ = -1;
  // A worker that died of an ASan/UBSan report is restarted by the supervisor, so the test
  // itself may still pass: under `make test-asan` every report in the log fails the test.
  std::string report = SanitizerReport(log());
  if (!report.empty()) ADD_FAILURE() << "sanitizer report in the server's log:\n" << report;
  return code;
}

std::string SanitizerReport(const std::string& log) {
  static const std::regex marker(
      R"re((==\d+==ERROR: (AddressSanitizer|LeakSanitizer)|\.(cc|h|c):\d+:\d+: runtime error: ))re");
  std::smatch m;
  if (!std::regex_search(log, m, marker)) return "";
  size_t start = log.rfind('\n', static_cast<size_t>(m.position(0)));
  start = start == std::string::npos ? 0 : start + 1;
  return log.substr(start, 8000);
}

std::chrono::milliseconds Slow(std::chrono::milliseconds timeout) {
  static const int factor = [] {
    const char* slow = std::getenv("ATOLL_TEST_SLOW");
    return slow != nullptr && std::atoi(slow) > 1 ? std::atoi(slow) : 1;
  }();
  return timeout * factor;
}

std::string HttpResponse::Header(const std::string& name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return "";
}

RawClient::RawClient(int port) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // loopback only, always
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd_);
    fd_ = -1;
  }
}

RawClient::~RawClient() {
  if (fd_ >= 0) close(fd_);
}

RawClient& RawClient::operator=(RawClient&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.fd_;
    buffer_ = std::move(other.buffer_);
    other.fd_ = -1;
  }
  return *this;
}

void RawClient::Send(const std::string& bytes) {
  size_t sent = 0;
  while (fd_ >= 0 && sent < bytes.size()) {
    ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

bool RawClient::Fill(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0 || fd_ < 0) return false;
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(left)) <= 0) return false;
  char buf[65536];
  ssize_t n = recv(fd_, buf, sizeof(buf), 0);
  if (n <= 0) return false;
  buffer_.append(buf, static_cast<size_t>(n));
  return true;
}

std::string RawClient::ReadSome(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + Slow(timeout);
  while (Fill(deadline)) {
  }
  std::string out;
  out.swap(buffer_);
  return out;
}

bool RawClient::WaitForClose(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + Slow(timeout);
  while (Clock::now() < deadline) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 50) > 0) {
      char buf[4096];
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) return true;
      buffer_.append(buf, static_cast<size_t>(n));
    }
  }
  return false;
}

HttpResponse RawClient::ReadResponse(bool head_request, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + Slow(timeout);
  HttpResponse response;
  size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!Fill(deadline)) return response;
  }
  std::string head = buffer_.substr(0, end);
  buffer_.erase(0, end + 4);
  size_t line_end = head.find("\r\n");
  std::string status_line = head.substr(0, line_end);
  response.status = std::atoi(status_line.substr(9, 3).c_str());
  response.reason = status_line.size() > 13 ? status_line.substr(13) : "";
  size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t next = head.find("\r\n", pos);
    if (next == std::string::npos) next = head.size();
    std::string line = head.substr(pos, next - pos);
    size_t colon = line.find(':');
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    response.headers.emplace_back(name, value);
    pos = next + 2;
  }
  if (head_request || response.status / 100 == 1 || response.status == 204 || response.status == 304) return response;
  if (response.Header("transfer-encoding") == "chunked") {
    response.chunked = true;
    while (true) {
      size_t crlf;
      while ((crlf = buffer_.find("\r\n")) == std::string::npos) {
        if (!Fill(deadline)) return response;
      }
      size_t size = std::stoul(buffer_.substr(0, crlf), nullptr, 16);
      while (buffer_.size() < crlf + 2 + size + 2) {
        if (!Fill(deadline)) return response;
      }
      response.body.append(buffer_, crlf + 2, size);
      buffer_.erase(0, crlf + 2 + size + 2);
      if (size == 0) return response;
    }
  }
  std::string length = response.Header("content-length");
  if (!length.empty()) {
    size_t n = std::stoul(length);
    while (buffer_.size() < n) {
      if (!Fill(deadline)) break;
    }
    response.body = buffer_.substr(0, n);
    buffer_.erase(0, std::min(n, buffer_.size()));
    return response;
  }
  while (Fill(deadline)) {
  }
  response.body.swap(buffer_);
  return response;
}

int RunAtoll(const std::string& args, std::string* output) {
  std::string out_file = "/tmp/atoll-run-" + std::to_string(getpid()) + ".log";
  const char* bin = std::getenv("ATOLL_BIN");
  if (bin == nullptr) {
    ADD_FAILURE() << "ATOLL_BIN is not set (run through ctest)";
    return -1;
  }
  int status = std::system((std::string(bin) + " " + args + " >" + out_file + " 2>&1").c_str());
  std::ifstream in(out_file);
  std::stringstream text;
  text << in.rdbuf();
  *output = text.str();
  std::remove(out_file.c_str());
  return WEXITSTATUS(status);
}

HttpResponse Get(int port, const std::string& path, const std::string& extra_headers) {
  return GetFrom(port, "test.local", path, extra_headers);
}

HttpResponse GetFrom(int port, const std::string& host, const std::string& path, const std::string& extra_headers) {
  RawClient client(port);
  client.Send("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n" + extra_headers + "\r\n");
  return client.ReadResponse();
}

HttpResponse GetFromTenant(const TestServer& server, const std::string& tenant, const std::string& path) {
  return GetFrom(server.port(), tenant + ".test", path);
}

std::string BodyFromTenant(const TestServer& server, const std::string& tenant, const std::string& path) {
  HttpResponse r = GetFromTenant(server, tenant, path);
  EXPECT_EQ(r.status, 200) << tenant << path << ": " << r.body;
  return r.body;
}

bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + Slow(timeout);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

}  // namespace atl::testing
