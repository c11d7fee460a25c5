// The Workers proxy idiom end to end: `fetch(upstream, {method, headers, body: request.body})`
// and `fetch(new Request(upstream, request))`, with no `duplex` member, stream a 100 MB POST from
// a client through the real binary to an upstream server in this test (127.0.0.1 only, listed in
// the tenant's `outbound`), with bounded memory: the worker's peak RSS (VmHWM) is compared with
// its RSS before the transfer, and the upstream checks the byte count and a hash of what arrived.
// Backpressure both ways: an upstream that stops reading stops atoll reading the client, and a
// client that stops reading a proxied 100 MB response stops atoll reading the upstream.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/tenant_fixture.h"
#include "tests/loopback_upstream.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kUploadBytes = 100ull << 20;
constexpr uint64_t kDownloadBytes = 100ull << 20;
// Far below the 100 MB that would show the body buffered whole: the worker's peak RSS may grow
// by at most this much over its RSS before the transfer. What it holds for the request is a few
// 64 KB pieces; the rest is garbage: every piece is an ArrayBuffer of the tenant's streams, which
// V8 collects only once their external memory passes its soft limit (64 MB above the last GC).
// Measured here: +4-12 MB for a 100 MB upload, +30 MB (64 MB) to +45 MB (100 MB) for a proxied
// download, while the upstream stayed < 7 MB ahead of the client.
constexpr int64_t kMaxGrowthKb = 24 << 10;
constexpr int64_t kMaxDownloadGrowthKb = 64 << 10;

// A deterministic byte stream (xorshift64*), so both ends can make and check the same bytes.
class Bytes {
 public:
  void Fill(char* out, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      if (left_ == 0) {
        state_ ^= state_ >> 12;
        state_ ^= state_ << 25;
        state_ ^= state_ >> 27;
        word_ = state_ * 0x2545F4914F6CDD1Dull;
        left_ = 8;
      }
      out[i] = static_cast<char>(word_ & 0xff);
      word_ >>= 8;
      --left_;
    }
  }

 private:
  uint64_t state_ = 0x9E3779B97F4A7C15ull;
  uint64_t word_ = 0;
  int left_ = 0;
};

// FNV-1a, 64 bits: order-sensitive, enough to see a lost, doubled or reordered piece.
struct Hash {
  uint64_t value = 0xcbf29ce484222325ull;
  uint64_t count = 0;
  void Add(const char* p, size_t n) {
    for (size_t i = 0; i < n; ++i) value = (value ^ static_cast<unsigned char>(p[i])) * 0x100000001b3ull;
    count += n;
  }
};

Hash Expected(uint64_t total) {
  Bytes bytes;
  Hash hash;
  std::string block(1 << 16, '\0');
  for (uint64_t done = 0; done < total;) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(block.size(), total - done));
    bytes.Fill(block.data(), n);
    hash.Add(block.data(), n);
    done += n;
  }
  return hash;
}

// VmRSS or VmHWM of `pid` in KB (-1 if unreadable).
int64_t StatusKb(int pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoll(line.substr(field.size() + 1));
  }
  return -1;
}

bool WaitReadable(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, ms) > 0;
}

bool SendAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// The upstream: one thread per connection on 127.0.0.1:0.
//   POST /sink         reads the body (chunked or Content-Length), answers "COUNT HASH FRAMING"
//                      (FRAMING: "chunked", or "length=N" for a Content-Length body)
//   POST /pause-sink   the same, but stops reading for `pause_ms` after the first MB
//   GET /big           answers kDownloadBytes of the byte stream (Content-Length), as fast as
//                      the socket takes them; counts what the kernel took (written())
class Upstream : public LoopbackUpstream {
 public:
  Upstream() { Start(); }
  ~Upstream() override { Stop(); }
  void set_pause_ms(int ms) { pause_ms_ = ms; }
  uint64_t written() const { return written_.load(); }
  std::atomic<bool> paused{false};

 private:
  // Small kernel buffers on this side, so that a pause is felt upstream of it at once.
  void OnAccept(int fd) override {
    int size = 256 << 10;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  }

  void Serve(int fd) override {
    std::string buf;
    std::string head;
    if (!ReadHead(fd, buf, &head)) return;
    std::string lower = Lower(head);
    std::string path = head.substr(head.find(' ') + 1);
    path = path.substr(0, path.find(' '));
    if (path == "/big") {
      ServeBig(fd);
      return;
    }
    bool pause = path == "/pause-sink";
    std::string framing = "none";
    Hash hash;
    size_t pos = 0;  // parse position in buf; consumed bytes are dropped now and then
    auto compact = [&] {
      if (pos > (1 << 20)) {
        buf.erase(0, pos);
        pos = 0;
      }
    };
    auto take = [&](size_t n) {
      hash.Add(buf.data() + pos, n);
      pos += n;
      if (pause && hash.count >= (1 << 20) && !paused_once_) {
        paused_once_ = true;
        paused = true;
        std::this_thread::sleep_for(milliseconds(pause_ms_));
        paused = false;
      }
    };
    if (lower.find("transfer-encoding: chunked") != std::string::npos) {
      framing = "chunked";
      for (;;) {
        size_t line;
        while ((line = buf.find("\r\n", pos)) == std::string::npos) {
          if (!Fill(fd, buf)) return;
        }
        size_t size = std::stoul(buf.substr(pos, line - pos), nullptr, 16);
        pos = line + 2;
        size_t left = size;
        while (left > 0) {
          if (pos == buf.size() && !Fill(fd, buf)) return;
          size_t n = std::min(left, buf.size() - pos);
          take(n);
          left -= n;
          compact();
        }
        while (buf.size() < pos + 2) {
          if (!Fill(fd, buf)) return;
        }
        pos += 2;
        if (size == 0) break;
      }
    } else if (size_t cl = lower.find("content-length: "); cl != std::string::npos) {
      uint64_t left = std::stoull(lower.substr(cl + 16));
      framing = "length=" + std::to_string(left);
      while (left > 0) {
        if (pos == buf.size() && !Fill(fd, buf)) return;
        size_t n = static_cast<size_t>(std::min<uint64_t>(left, buf.size() - pos));
        take(n);
        left -= n;
        compact();
      }
    }
    std::string body = std::to_string(hash.count) + " " + std::to_string(hash.value) + " " + framing;
    std::string response = "HTTP/1.1 200 OK\r\ncontent-length: " + std::to_string(body.size()) + "\r\nconnection: close\r\n\r\n" + body;
    SendAll(fd, response.data(), response.size());
  }

  void ServeBig(int fd) {
    std::string head = "HTTP/1.1 200 OK\r\ncontent-length: " + std::to_string(kDownloadBytes) + "\r\nconnection: close\r\n\r\n";
    if (!SendAll(fd, head.data(), head.size())) return;
    Bytes bytes;
    std::string block(1 << 16, '\0');
    for (uint64_t done = 0; done < kDownloadBytes && !stopping();) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(block.size(), kDownloadBytes - done));
      bytes.Fill(block.data(), n);
      if (!SendAll(fd, block.data(), n)) return;
      done += n;
      written_ += n;
    }
  }

  int pause_ms_ = 0;
  bool paused_once_ = false;
  std::atomic<uint64_t> written_{0};
};

constexpr char kProxy[] = R"(
const UPSTREAM = "http://127.0.0.1:${UPSTREAM_PORT}";
export default {
  async fetch(request) {
    const url = new URL(request.url);
    const target = UPSTREAM + url.pathname.replace(/^\/via-request/, "");
    // The two idioms of Workers proxies, neither with a duplex member.
    if (url.pathname.startsWith("/via-request")) return fetch(new Request(target, request));
    // A bytes body read as a stream: its length is known too.
    if (url.pathname === "/bytes") return fetch(UPSTREAM + "/sink", { method: "POST", body: new Response("hello").body });
    return fetch(target, { method: request.method, headers: request.headers, body: request.body });
  },
};
)";

class Proxy : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string script = kProxy;
    script.replace(script.find("${UPSTREAM_PORT}"), 16, std::to_string(upstream_.port()));
    fixture_.Write("proxy.js", script);
    server_ = std::make_unique<TestServer>(fixture_.WriteConfig("", R"(
[[tenants]]
name = "proxy"
script = "proxy.js"
routes = ["*/*"]
cpu_ms = 10000
max_request_body = "200MB"
outbound = ["127.0.0.1:)" + std::to_string(upstream_.port()) + R"("]
)"));
    worker_ = server_->worker_pid(0);
    ASSERT_GT(worker_, 0);
    // Warm up: fetch, streams and URL are loaded, so that they are not counted as growth.
    Upload("/sink", 1 << 20, nullptr);
    Upload("/via-request/sink", 1 << 20, nullptr);
  }

  // POSTs `total` bytes of the stream to `path` with Content-Length (or chunked) from a sending
  // thread; returns the response body. `sent`, if given, counts the bytes the kernel took so far.
  std::string Upload(const std::string& path, uint64_t total, std::atomic<uint64_t>* sent, bool chunked = false) {
    int fd = Connect();
    if (fd < 0) return "no connection";
    int size = 256 << 10;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    std::string head = "POST " + path + " HTTP/1.1\r\nhost: proxy.test\r\ncontent-type: application/octet-stream\r\n" +
                       (chunked ? std::string("transfer-encoding: chunked") : "content-length: " + std::to_string(total)) +
                       "\r\n\r\n";
    std::thread sender([&] {
      if (!SendAll(fd, head.data(), head.size())) return;
      Bytes bytes;
      std::string block(1 << 16, '\0');
      for (uint64_t done = 0; done < total;) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(block.size(), total - done));
        bytes.Fill(block.data(), n);
        if (chunked) {
          char line[32];
          int len = std::snprintf(line, sizeof line, "%zx\r\n", n);
          if (!SendAll(fd, line, static_cast<size_t>(len))) return;
        }
        if (!SendAll(fd, block.data(), n)) return;
        if (chunked && !SendAll(fd, "\r\n", 2)) return;
        done += n;
        if (sent != nullptr) *sent = done;
      }
      if (chunked) SendAll(fd, "0\r\n\r\n", 5);
    });
    std::string response = ReadResponse(fd, nullptr, 0);
    shutdown(fd, SHUT_RDWR);
    sender.join();
    close(fd);
    return response;
  }

  int Connect() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(server_->port()));
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      close(fd);
      return -1;
    }
    return fd;
  }

  // Reads one Content-Length response; the body's hash goes to `hash` (then the body is not
  // kept). After `pause_after` body bytes, waits for `pause` once.
  std::string ReadResponse(int fd, Hash* hash, uint64_t pause_after, milliseconds pause = milliseconds(0)) {
    std::string buf;
    char tmp[65536];
    auto deadline = Clock::now() + std::chrono::seconds(120);
    size_t end;
    while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
      if (Clock::now() > deadline || !WaitReadable(fd, 1000)) continue;
      ssize_t n = read(fd, tmp, sizeof tmp);
      if (n <= 0) return "closed before the head: " + buf;
      buf.append(tmp, static_cast<size_t>(n));
    }
    std::string head = buf.substr(0, end);
    buf.erase(0, end + 4);
    size_t cl = head.find("content-length: ");
    if (head.find(" 200 ") == std::string::npos || cl == std::string::npos) return head;
    uint64_t length = std::stoull(head.substr(cl + 16));
    uint64_t got = 0;
    bool paused = pause_after == 0;
    auto consume = [&](const char* p, size_t n) {
      if (hash != nullptr) hash->Add(p, n);
      got += n;
    };
    std::string body;
    if (hash == nullptr) {
      body = buf;
      got = buf.size();
    } else {
      consume(buf.data(), buf.size());
    }
    while (got < length && Clock::now() < deadline) {
      if (!paused && got >= pause_after) {
        paused = true;
        std::this_thread::sleep_for(pause);
        pause_upstream_written_ = upstream_.written();
        pause_client_read_ = got;
      }
      if (!WaitReadable(fd, 1000)) continue;
      ssize_t n = read(fd, tmp, sizeof tmp);
      if (n <= 0) break;
      if (hash == nullptr) {
        body.append(tmp, static_cast<size_t>(n));
        got += static_cast<size_t>(n);
      } else {
        consume(tmp, static_cast<size_t>(n));
      }
    }
    return hash == nullptr ? body : std::to_string(got);
  }

  Upstream upstream_;
  TenantFixture fixture_;
  std::unique_ptr<TestServer> server_;
  int worker_ = -1;
  uint64_t pause_upstream_written_ = 0;
  uint64_t pause_client_read_ = 0;
};

TEST_F(Proxy, A100MbPostStreamsUpstreamWithBoundedMemoryBothIdioms) {
  Hash expected = Expected(kUploadBytes);
  // The client's Content-Length goes upstream (as Workers forwards a body of known length), not
  // chunked framing: an upstream such as an S3 presigned PUT refuses a chunked upload.
  std::string want = std::to_string(expected.count) + " " + std::to_string(expected.value) + " length=" +
                     std::to_string(kUploadBytes);
  for (const std::string path : {"/sink", "/via-request/sink"}) {
    int64_t rss_before = StatusKb(worker_, "VmRSS");
    auto start = Clock::now();
    std::string result = Upload(path, kUploadBytes, nullptr);
    auto ms = std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
    int64_t peak = StatusKb(worker_, "VmHWM");
    EXPECT_EQ(result, want) << path << ": the upstream did not receive exactly the bytes sent";
    EXPECT_LT(peak - rss_before, kMaxGrowthKb) << path << ": the worker's peak RSS grew by " << (peak - rss_before) << " KB";
    std::printf("%s: 100 MB in %lld ms; worker RSS before %lld KB, peak %lld KB (+%lld KB)\n", path.c_str(),
                static_cast<long long>(ms), static_cast<long long>(rss_before), static_cast<long long>(peak),
                static_cast<long long>(peak - rss_before));
  }
}

TEST_F(Proxy, ABodyOfUnknownLengthGoesChunkedAndOneOfKnownLengthWithItsLength) {
  // The client's chunked upload has no length: it goes upstream chunked, byte for byte.
  uint64_t total = (3ull << 20) + 12345;
  Hash expected = Expected(total);
  for (const std::string path : {"/sink", "/via-request/sink"}) {
    EXPECT_EQ(Upload(path, total, nullptr, /*chunked=*/true),
              std::to_string(expected.count) + " " + std::to_string(expected.value) + " chunked")
        << path;
  }
  // A bytes body read as `.body` (new Response("hello").body) knows its length.
  Hash hello;
  hello.Add("hello", 5);
  EXPECT_EQ(Upload("/bytes", 0, nullptr), "5 " + std::to_string(hello.value) + " length=5");
  // An empty known-length body: content-length 0, and the connection is still usable.
  Hash empty;
  EXPECT_EQ(Upload("/sink", 0, nullptr), "0 " + std::to_string(empty.value) + " length=0");
}

TEST_F(Proxy, AnUpstreamThatStopsReadingStopsAtollReadingTheClient) {
  upstream_.set_pause_ms(2000);
  int64_t rss_before = StatusKb(worker_, "VmRSS");
  std::atomic<uint64_t> sent{0};
  uint64_t sent_at_resume = 0;
  std::thread watcher([&] {
    // The client's progress when the upstream resumes: what the path between them holds.
    while (!upstream_.paused) std::this_thread::sleep_for(milliseconds(5));
    while (upstream_.paused) std::this_thread::sleep_for(milliseconds(5));
    sent_at_resume = sent.load();
  });
  std::string result = Upload("/pause-sink", kUploadBytes, &sent);
  watcher.join();
  int64_t peak = StatusKb(worker_, "VmHWM");
  Hash expected = Expected(kUploadBytes);
  EXPECT_EQ(result, std::to_string(expected.count) + " " + std::to_string(expected.value) + " length=" +
                        std::to_string(kUploadBytes));
  // While the upstream read nothing for 2 s, the client could send only what the kernel buffers
  // on the way hold (and atoll's few pieces), not the 100 MB.
  EXPECT_LT(sent_at_resume, 64ull << 20) << "the client sent " << sent_at_resume << " bytes while the upstream was paused";
  EXPECT_GT(sent_at_resume, 1ull << 20);
  EXPECT_LT(peak - rss_before, kMaxGrowthKb) << "the worker's peak RSS grew by " << (peak - rss_before) << " KB";
  std::printf("upstream paused 2 s after 1 MB: the client had sent %.1f MB; worker peak RSS +%lld KB\n",
              static_cast<double>(sent_at_resume) / (1 << 20), static_cast<long long>(peak - rss_before));
}

TEST_F(Proxy, AClientThatStopsReadingAProxiedResponseStopsAtollReadingTheUpstream) {
  int64_t rss_before = StatusKb(worker_, "VmRSS");
  int fd = Connect();
  ASSERT_GE(fd, 0);
  int size = 256 << 10;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  std::string request = "GET /big HTTP/1.1\r\nhost: proxy.test\r\n\r\n";
  ASSERT_TRUE(SendAll(fd, request.data(), request.size()));
  Hash hash;
  std::string got = ReadResponse(fd, &hash, 1 << 20, milliseconds(2000));
  close(fd);
  int64_t peak = StatusKb(worker_, "VmHWM");
  Hash expected = Expected(kDownloadBytes);
  EXPECT_EQ(got, std::to_string(kDownloadBytes));
  EXPECT_EQ(hash.count, expected.count);
  EXPECT_EQ(hash.value, expected.value) << "the proxied body differs from what the upstream sent";
  uint64_t ahead = pause_upstream_written_ - pause_client_read_;
  EXPECT_LT(ahead, 48ull << 20) << "the upstream got " << ahead << " bytes ahead of a client that read nothing for 2 s";
  EXPECT_LT(peak - rss_before, kMaxDownloadGrowthKb) << "the worker's peak RSS grew by " << (peak - rss_before) << " KB";
  std::printf("client paused 2 s after 1 MB of 100 MB: the upstream was %.1f MB ahead; worker peak RSS +%lld KB\n",
              static_cast<double>(ahead) / (1 << 20), static_cast<long long>(peak - rss_before));
}

}  // namespace
}  // namespace atl::testing
