// TLS on the listeners ([server.tls]): a self-signed certificate made with the `openssl` command
// (skipped without it), the real binary on 127.0.0.1, and an OpenSSL client (and curl) against it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>

#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

using std::chrono::milliseconds;

constexpr char kScript[] = R"js(
export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === '/stream') {
      // 4 MB in 64 KB pieces: more than the connection buffers, so backpressure applies.
      let left = 64;
      const piece = 'x'.repeat(65536);
      return new Response(new ReadableStream({
        pull(controller) {
          if (left-- === 0) controller.close(); else controller.enqueue(new TextEncoder().encode(piece));
        },
      }));
    }
    if (request.method === 'POST') return new Response('got ' + (await request.text()).length);
    if (url.pathname === '/cf') return Response.json(request.cf);
    return new Response('hello from ' + request.url);
  },
};
)js";

// Makes a self-signed certificate for 127.0.0.1 (or DNS name `host`) as `name`.pem /
// `name`-key.pem; false without openssl.
bool MakeCert(const TenantFixture& fixture, const std::string& name, const std::string& host = "") {
  std::string dir = fixture.dir().string();
  std::string subject = host.empty() ? "/CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1"
                                     : "/CN=" + host + " -addext subjectAltName=DNS:" + host;
  std::string make = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj " + subject +
                     " -days 1 -keyout " + dir + "/" + name + "-key.pem -out " + dir + "/" + name + ".pem >/dev/null 2>&1";
  return std::system(make.c_str()) == 0;
}

std::string TlsConfig(const TenantFixture& fixture, const std::string& cert = "cert.pem",
                      const std::string& key = "cert-key.pem", const std::string& more_tls = "") {
  fixture.Write("hello.js", kScript);
  return fixture.WriteConfig("", "[server.tls]\ncert = \"" + cert + "\"\nkey = \"" + key + "\"\n" + more_tls +
                                     "\n[[tenants]]\nname = \"hello\"\nscript = \"hello.js\"\nroutes = [\"*/*\"]\n");
}

// A blocking TLS client on 127.0.0.1 that verifies the server against `ca_file`.
class TlsClient {
 public:
  // `name`: the server name asked for (SNI) and verified; empty: none asked, 127.0.0.1 verified.
  TlsClient(int port, const std::string& ca_file, const std::string& name = "") {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    static const unsigned char kAlpn[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    SSL_CTX_set_alpn_protos(ctx_, kAlpn, sizeof kAlpn);
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return;
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    if (!name.empty()) SSL_set_tlsext_host_name(ssl_, name.c_str());
    SSL_set1_host(ssl_, name.empty() ? "127.0.0.1" : name.c_str());
    if (SSL_connect(ssl_) == 1) {
      connected_ = true;
    } else {
      char text[256] = "";
      ERR_error_string_n(ERR_get_error(), text, sizeof text);
      error_ = text;
    }
  }
  ~TlsClient() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (fd_ >= 0) close(fd_);
    SSL_CTX_free(ctx_);
  }
  bool connected() const { return connected_; }
  const std::string& error() const { return error_; }
  std::string alpn() const {
    const unsigned char* data = nullptr;
    unsigned int length = 0;
    SSL_get0_alpn_selected(ssl_, &data, &length);
    return std::string(reinterpret_cast<const char*>(data), length);
  }
  std::string version() const { return SSL_get_version(ssl_); }
  bool Send(const std::string& bytes) { return SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())) > 0; }

  // One response with a Content-Length or chunked body (the chunks are joined); status 0 on EOF.
  HttpResponse Read() {
    HttpResponse r;
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return r;
    }
    std::string head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    r.status = std::atoi(head.substr(9, 3).c_str());
    size_t length = 0;
    for (size_t pos = head.find("\r\n"); pos != std::string::npos;) {
      size_t next = head.find("\r\n", pos + 2);
      std::string line = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
      for (char& c : line) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (line.starts_with("content-length:")) length = std::stoul(line.substr(15));
      if (line.starts_with("transfer-encoding:") && line.find("chunked") != std::string::npos) r.chunked = true;
      pos = next;
    }
    if (!r.chunked) {
      while (buffer_.size() < length) {
        if (!Fill()) return {};
      }
      r.body = buffer_.substr(0, length);
      buffer_.erase(0, length);
      return r;
    }
    for (;;) {
      size_t eol;
      while ((eol = buffer_.find("\r\n")) == std::string::npos) {
        if (!Fill()) return {};
      }
      size_t size = std::stoul(buffer_.substr(0, eol), nullptr, 16);
      while (buffer_.size() < eol + 2 + size + 2) {
        if (!Fill()) return {};
      }
      r.body.append(buffer_, eol + 2, size);
      buffer_.erase(0, eol + 2 + size + 2);
      if (size == 0) return r;
    }
  }

 private:
  bool Fill() {
    char buf[65536];
    int n = SSL_read(ssl_, buf, sizeof buf);
    if (n <= 0) return false;
    buffer_.append(buf, static_cast<size_t>(n));
    return true;
  }
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool connected_ = false;
  std::string error_;
  std::string buffer_;
};

std::string GetRequest(const std::string& path) { return "GET " + path + " HTTP/1.1\r\nHost: tls.test\r\n\r\n"; }

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!MakeCert(fixture_, "cert")) GTEST_SKIP() << "no openssl command to make a certificate";
    ca_ = (fixture_.dir() / "cert.pem").string();
  }
  TenantFixture fixture_;
  std::string ca_;
};

TEST_F(TlsTest, CurlGetsTheTenantsResponse) {
  TestServer server(TlsConfig(fixture_));
  std::string out = fixture_.dir().string() + "/curl.out";
  std::string cmd = "curl -sS --max-time 10 --cacert " + ca_ + " -H 'Host: tls.test' -o " + out + " -w '%{http_code} %{http_version}' https://127.0.0.1:" +
                    std::to_string(server.port()) + "/hi 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char buf[512] = "";
  size_t n = fread(buf, 1, sizeof buf - 1, pipe);
  int rc = pclose(pipe);
  if (WIFEXITED(rc) && WEXITSTATUS(rc) == 127) GTEST_SKIP() << "no curl";
  EXPECT_EQ(std::string(buf, n), "200 1.1");
  FILE* body = fopen(out.c_str(), "r");
  ASSERT_NE(body, nullptr);
  n = fread(buf, 1, sizeof buf - 1, body);
  fclose(body);
  EXPECT_EQ(std::string(buf, n), "hello from https://tls.test/hi");
  // Plaintext HTTP on the same port does not get an answer.
  EXPECT_EQ(Get(server.port(), "/").status, 0);
  EXPECT_EQ(server.Stop(), 0);
}

TEST_F(TlsTest, RequestCfHasTheTlsVersionAndCipher) {
  TestServer server(TlsConfig(fixture_));
  TlsClient client(server.port(), ca_);
  ASSERT_TRUE(client.connected()) << client.error();
  ASSERT_TRUE(client.Send(GetRequest("/cf")));
  HttpResponse response = client.Read();
  EXPECT_EQ(response.status, 200);
  EXPECT_NE(response.body.find("\"httpProtocol\":\"HTTP/1.1\""), std::string::npos) << response.body;
  EXPECT_NE(response.body.find("\"tlsVersion\":\"" + client.version() + "\""), std::string::npos) << response.body;
  EXPECT_NE(response.body.find("\"tlsCipher\":\"TLS_"), std::string::npos) << response.body;  // a TLS 1.3 suite
  EXPECT_NE(response.body.find("\"clientTcpRtt\":"), std::string::npos) << response.body;
}

TEST_F(TlsTest, KeepAliveAndPipeliningOnOneConnection) {
  TestServer server(TlsConfig(fixture_));
  TlsClient client(server.port(), ca_);
  ASSERT_TRUE(client.connected()) << client.error();
  EXPECT_EQ(client.alpn(), "http/1.1");
  EXPECT_TRUE(client.version() == "TLSv1.3" || client.version() == "TLSv1.2") << client.version();
  ASSERT_TRUE(client.Send(GetRequest("/one")));
  HttpResponse first = client.Read();
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.body, "hello from https://tls.test/one");
  ASSERT_TRUE(client.Send(GetRequest("/two")));
  HttpResponse second = client.Read();
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.body, "hello from https://tls.test/two");
  // Three pipelined in one write, one of them with a body, answered in order.
  std::string body(200000, 'b');
  ASSERT_TRUE(client.Send(GetRequest("/a") + "POST /b HTTP/1.1\r\nHost: tls.test\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n" + body + GetRequest("/c")));
  EXPECT_EQ(client.Read().body, "hello from https://tls.test/a");
  EXPECT_EQ(client.Read().body, "got 200000");
  EXPECT_EQ(client.Read().body, "hello from https://tls.test/c");
  EXPECT_EQ(server.Stop(), 0);
}

TEST_F(TlsTest, StreamedResponseWithBackpressure) {
  TestServer server(TlsConfig(fixture_));
  TlsClient client(server.port(), ca_);
  ASSERT_TRUE(client.connected()) << client.error();
  ASSERT_TRUE(client.Send(GetRequest("/stream")));
  std::this_thread::sleep_for(milliseconds(300));  // the server fills the socket and waits
  HttpResponse r = client.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.chunked);
  EXPECT_EQ(r.body.size(), 64u * 65536u);
  EXPECT_EQ(r.body.find_first_not_of('x'), std::string::npos);
  ASSERT_TRUE(client.Send(GetRequest("/after")));
  EXPECT_EQ(client.Read().body, "hello from https://tls.test/after");
  EXPECT_EQ(server.Stop(), 0);
}

TEST_F(TlsTest, PlaintextAndGarbageCostOnlyTheirConnection) {
  TestServer server(TlsConfig(fixture_), {});
  TlsClient good(server.port(), ca_);
  ASSERT_TRUE(good.connected()) << good.error();
  ASSERT_TRUE(good.Send(GetRequest("/before")));
  EXPECT_EQ(good.Read().status, 200);

  RawClient plain(server.port());
  ASSERT_TRUE(plain.connected());
  plain.Send("GET / HTTP/1.1\r\nHost: tls.test\r\n\r\n");
  EXPECT_TRUE(plain.WaitForClose());

  std::mt19937 random(42);
  for (int round = 0; round < 5; ++round) {
    RawClient garbage(server.port());
    ASSERT_TRUE(garbage.connected());
    std::string bytes(4096, '\0');
    for (char& c : bytes) c = static_cast<char>(random());
    if (round == 0) bytes[0] = 0x16;  // looks like a handshake record at first
    garbage.Send(bytes);
    EXPECT_TRUE(garbage.WaitForClose()) << round;
  }
  // A client that starts a handshake and stops does not hold up the others.
  RawClient stalled(server.port());
  stalled.Send(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));

  ASSERT_TRUE(good.Send(GetRequest("/after")));
  HttpResponse after = good.Read();
  EXPECT_EQ(after.status, 200);
  EXPECT_EQ(after.body, "hello from https://tls.test/after");
  TlsClient fresh(server.port(), ca_);
  ASSERT_TRUE(fresh.connected()) << fresh.error();
  ASSERT_TRUE(fresh.Send(GetRequest("/fresh")));
  EXPECT_EQ(fresh.Read().status, 200);
  EXPECT_TRUE(server.running());
  EXPECT_EQ(server.Stop(), 0);
}

TEST_F(TlsTest, AHandshakeThatStallsIsClosedAfterTheHeaderTimeout) {
  TestServer server(TlsConfig(fixture_), {"--header-timeout-ms", "300"});
  RawClient stalled(server.port());
  stalled.Send(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(stalled.WaitForClose(std::chrono::seconds(3)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  // Once the handshake is done the idle timeout applies again (not the header timeout).
  TlsClient idle(server.port(), ca_);
  ASSERT_TRUE(idle.connected()) << idle.error();
  std::this_thread::sleep_for(milliseconds(600));
  ASSERT_TRUE(idle.Send(GetRequest("/late")));
  EXPECT_EQ(idle.Read().status, 200);
  EXPECT_EQ(server.Stop(), 0);
}

TEST_F(TlsTest, BadOrMissingKeyFailsStartupNamingTheFile) {
  fixture_.Write("bad-key.pem", "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n");
  std::string config = TlsConfig(fixture_, "cert.pem", "bad-key.pem");
  std::string output;
  EXPECT_EQ(RunAtoll("check --config " + config, &output), 1);
  EXPECT_NE(output.find("bad-key.pem"), std::string::npos) << output;
  EXPECT_EQ(RunAtoll("serve --config " + config + " --listen 127.0.0.1:0", &output), 1);
  EXPECT_NE(output.find("server.tls.key"), std::string::npos) << output;
  EXPECT_NE(output.find("bad-key.pem"), std::string::npos) << output;

  // A key that does not belong to the certificate.
  ASSERT_TRUE(MakeCert(fixture_, "other"));
  config = TlsConfig(fixture_, "cert.pem", "other-key.pem");
  EXPECT_EQ(RunAtoll("check --config " + config, &output), 1);
  EXPECT_NE(output.find("other-key.pem"), std::string::npos) << output;

  // A certificate file that is not one.
  fixture_.Write("junk.pem", "junk\n");
  config = TlsConfig(fixture_, "junk.pem", "cert-key.pem");
  EXPECT_EQ(RunAtoll("check --config " + config, &output), 1);
  EXPECT_NE(output.find("junk.pem"), std::string::npos) << output;

  config = TlsConfig(fixture_, "cert.pem", "missing-key.pem");
  EXPECT_EQ(RunAtoll("serve --config " + config + " --listen 127.0.0.1:0", &output), 1);
  EXPECT_NE(output.find("missing-key.pem"), std::string::npos) << output;
}

TEST_F(TlsTest, TheNameAClientAsksForChoosesTheCertificate) {
  ASSERT_TRUE(MakeCert(fixture_, "a", "a.test"));
  ASSERT_TRUE(MakeCert(fixture_, "b", "*.b.test"));
  TestServer server(TlsConfig(fixture_, "cert.pem", "cert-key.pem",
                              "[[server.tls.certificates]]\nhosts = [\"a.test\"]\ncert = \"a.pem\"\nkey = \"a-key.pem\"\n"
                              "[[server.tls.certificates]]\nhosts = [\"*.b.test\"]\ncert = \"b.pem\"\nkey = \"b-key.pem\"\n"));
  std::string dir = fixture_.dir().string();
  // Each client trusts only the certificate it should get, and checks the name in it.
  for (auto [name, ca] : {std::pair<std::string, std::string>{"a.test", dir + "/a.pem"},
                          {"www.b.test", dir + "/b.pem"}, {"", ca_}, {"c.test", ca_}}) {
    TlsClient client(server.port(), ca, name);
    if (name == "c.test") {
      // No certificate for it: the default, which does not name c.test.
      EXPECT_FALSE(client.connected()) << "c.test verified against the default certificate";
      EXPECT_NE(client.error().find("certificate verify failed"), std::string::npos) << client.error();
      continue;
    }
    ASSERT_TRUE(client.connected()) << "\"" << name << "\": " << client.error();
    ASSERT_TRUE(client.Send(GetRequest("/")));
    HttpResponse response = client.Read();
    EXPECT_EQ(response.status, 200) << name;
    EXPECT_EQ(client.alpn(), "http/1.1") << name << ": the chosen certificate's context keeps ALPN";
  }
  TlsClient wrong(server.port(), dir + "/a.pem", "x.b.test");
  EXPECT_FALSE(wrong.connected()) << "x.b.test got a.test's certificate";
  EXPECT_EQ(server.Stop(), 0);
}

TEST_F(TlsTest, SighupReloadsTheCertificate) {
  TestServer server(TlsConfig(fixture_));
  TlsClient before(server.port(), ca_);
  ASSERT_TRUE(before.connected()) << before.error();
  ASSERT_TRUE(before.Send(GetRequest("/before")));
  EXPECT_EQ(before.Read().status, 200);
  ASSERT_TRUE(MakeCert(fixture_, "next"));
  std::string dir = fixture_.dir().string();
  std::rename((dir + "/next.pem").c_str(), (dir + "/cert.pem").c_str());
  std::rename((dir + "/next-key.pem").c_str(), (dir + "/cert-key.pem").c_str());
  kill(server.pid(), SIGHUP);
  // New workers start with the new pair; the old ones drain.
  ASSERT_TRUE(server.WaitForLog("\"msg\":\"reloaded\"")) << server.log();
  // New connections get the new certificate (the CA file is the new one now).
  TlsClient fresh(server.port(), ca_);
  ASSERT_TRUE(fresh.connected()) << fresh.error();
  ASSERT_TRUE(fresh.Send(GetRequest("/new")));
  EXPECT_EQ(fresh.Read().status, 200);
  // A bad pair on reload is logged and the current one stays.
  fixture_.Write("cert-key.pem", "junk\n");
  kill(server.pid(), SIGHUP);
  ASSERT_TRUE(server.WaitForLog("reload refused")) << server.log();
  EXPECT_NE(server.log().find("cert-key.pem"), std::string::npos);
  TlsClient after(server.port(), ca_);
  ASSERT_TRUE(after.connected()) << after.error();
  ASSERT_TRUE(after.Send(GetRequest("/after")));
  EXPECT_EQ(after.Read().status, 200);
  EXPECT_EQ(server.Stop(), 0);
}

}  // namespace
}  // namespace atl::testing
