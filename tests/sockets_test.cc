// cloudflare:sockets end to end: the real binary on 127.0.0.1, a tenant that calls connect(), and
// TCP peers in this test (threads with listening sockets on 127.0.0.1:0), each speaking one small
// protocol. Only loopback is ever contacted; the guard's classification of other ranges is
// server/ssrf_guard_test.cc's. A real client library over these sockets (postgres.js against a
// real PostgreSQL) is tests/postgres_js_test.cc.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <mutex>
#include <regex>
#include <string>

#include "server/test_certificate.h"
#include "tests/loopback_upstream.h"
#include "tests/tenant_fixture.h"
#include "tests/test_server.h"

namespace atl::testing {
namespace {

using std::chrono::milliseconds;

// What a peer does with each connection.
enum class Mode {
  kUpperEcho,  // sends back what it reads, upper-cased, until the client's FIN; then its own FIN
  kGreet,      // sends "220 hello\r\n" and its FIN at once, then records what the client sends
  kCount,      // reads to the client's FIN, then answers the byte count
  kFlood,      // sends 48 MB, then its FIN
  kHold,       // sends nothing; records when the client's FIN (or reset) came
  kStartTls,   // "STARTTLS\r\n" -> "GO\r\n", then TLS: a line -> "secure:" + line
  kTls,        // TLS at once: a line -> "secure:" + line
};

class Peer : public LoopbackUpstream {
 public:
  static constexpr size_t kFloodBytes = size_t{48} << 20;

  explicit Peer(Mode mode, const server::testing::TlsFiles* tls = nullptr) : mode_(mode), tls_(tls) { Start(); }
  ~Peer() override { Stop(); }

  // What a kGreet peer received after its FIN; whether a kHold peer saw the client end.
  std::string received() const {
    std::lock_guard lock(mu_);
    return received_;
  }
  bool client_ended() const { return client_ended_; }

 protected:
  void OnAccept(int fd) override {
    timeval tv{10, 0};  // blocking TLS reads give up rather than hang the test
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }

  void Serve(int fd) override {
    std::string buf;
    switch (mode_) {
      case Mode::kUpperEcho:
        while (Fill(fd, buf)) {
          for (char& c : buf) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
          Send(fd, buf);
          buf.clear();
        }
        shutdown(fd, SHUT_WR);
        return;
      case Mode::kGreet: {
        Send(fd, "220 hello\r\n");
        shutdown(fd, SHUT_WR);
        while (Fill(fd, buf)) {
        }
        std::lock_guard lock(mu_);
        received_ = buf;
        return;
      }
      case Mode::kCount: {
        size_t count = 0;
        while (Fill(fd, buf)) {
          count += buf.size();
          buf.clear();
        }
        Send(fd, std::to_string(count));
        return;
      }
      case Mode::kFlood: {
        std::string block(64 * 1024, 'z');
        for (size_t sent = 0; sent < kFloodBytes; sent += block.size()) Send(fd, block);
        shutdown(fd, SHUT_WR);
        while (Fill(fd, buf)) buf.clear();
        return;
      }
      case Mode::kHold:
        while (Fill(fd, buf)) buf.clear();
        client_ended_ = true;
        return;
      case Mode::kStartTls:
        while (buf.find("\r\n") == std::string::npos) {
          if (!Fill(fd, buf)) return;
        }
        if (buf != "STARTTLS\r\n") return;
        Send(fd, "GO\r\n");
        ServeTls(fd);
        return;
      case Mode::kTls:
        ServeTls(fd);
        return;
    }
  }

  void ServeTls(int fd) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate_file(ctx, tls_->cert_path().c_str(), SSL_FILETYPE_PEM);
    SSL_CTX_use_PrivateKey_file(ctx, tls_->key_path().c_str(), SSL_FILETYPE_PEM);
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1) {
      std::string line;
      char tmp[4096];
      int n;
      while (line.find('\n') == std::string::npos && (n = SSL_read(ssl, tmp, sizeof tmp)) > 0) line.append(tmp, n);
      std::string answer = "secure:" + line;
      SSL_write(ssl, answer.data(), static_cast<int>(answer.size()));
      SSL_shutdown(ssl);
      // Read the client's end (its close_notify, its FIN) before closing: a close with unread
      // bytes would reset the connection, and the client could see the reset before the answer.
      shutdown(fd, SHUT_WR);
      char rest[4096];
      while (read(fd, rest, sizeof rest) > 0) {
      }
    }
    SSL_free(ssl);
    SSL_CTX_free(ctx);
  }

 private:
  Mode mode_;
  const server::testing::TlsFiles* tls_;
  mutable std::mutex mu_;
  std::string received_;
  std::atomic<bool> client_ended_{false};
};

// The tenant: each path is one use of connect(), answering JSON of what it saw.
constexpr char kTenant[] = R"JS(
import { connect } from "cloudflare:sockets";
import net from "node:net";
import tls from "node:tls";
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const text = (readable) => new Response(readable).text();
const tests = {
  async echo(p) {
    const socket = connect(`127.0.0.1:${p.get("port")}`);
    const writer = socket.writable.getWriter();
    await writer.write(encoder.encode("hello "));
    await writer.write(encoder.encode("socket"));
    await writer.close();
    const info = await socket.opened;
    const answer = await text(socket.readable);
    await socket.closed;
    return { answer, remote: info.remoteAddress };
  },
  async greet(p) {
    const half = p.get("half") === "1";
    const socket = connect({ hostname: "127.0.0.1", port: Number(p.get("port")) }, { allowHalfOpen: half });
    const answer = await text(socket.readable);
    let wrote = "nothing";
    if (half) {
      const writer = socket.writable.getWriter();
      await writer.write(encoder.encode("after your end"));
      await writer.close();
      wrote = "after your end";
    } else {
      try {
        await socket.writable.getWriter().write(encoder.encode("too late"));
        wrote = "too late";
      } catch (e) {
        wrote = `${e.name}`;
      }
    }
    await socket.closed;
    return { answer, wrote };
  },
  async upload(p) {
    const socket = connect(`127.0.0.1:${p.get("port")}`);
    const writer = socket.writable.getWriter();
    for (let sent = 0; sent < 48 << 20; sent += 65536) {
      await writer.ready;
      writer.write(new Uint8Array(65536).fill(97));
    }
    await writer.close();
    return { answer: await text(socket.readable) };
  },
  async download(p) {
    const socket = connect(`127.0.0.1:${p.get("port")}`);
    let bytes = 0;
    for await (const chunk of socket.readable) bytes += chunk.byteLength;
    await socket.closed;
    return { bytes };
  },
  async refused(p) {
    const socket = connect(p.get("to"));
    const [opened, closed] = await Promise.allSettled([socket.opened, socket.closed]);
    let read;
    try {
      await socket.readable.getReader().read();
      read = "no error";
    } catch (e) {
      read = `${e.name}: ${e.message}`;
    }
    return { opened: `${opened.reason}`, closed: `${closed.reason}`, read };
  },
  async hold(p) {
    const socket = connect(`127.0.0.1:${p.get("port")}`);
    await socket.opened;
    globalThis.kept = socket;  // not closed: the request's end closes it
    return { held: true };
  },
  async tlsOn(p) {
    const socket = connect(`127.0.0.1:${p.get("port")}`, { secureTransport: "on" });
    try {
      await socket.opened;
    } catch (e) {
      return { error: e.message };
    }
    const writer = socket.writable.getWriter();
    await writer.write(encoder.encode("ping\n"));
    return { answer: await text(socket.readable), transport: socket.secureTransport };
  },
  async late() {
    try {
      await globalThis.kept.writable.getWriter().write(encoder.encode("late"));
      return { wrote: "late" };
    } catch (e) {
      return { error: `${e.name}: ${e.message}` };
    }
  },
  async starttls(p) {
    const plain = connect(`127.0.0.1:${p.get("port")}`, { secureTransport: "starttls" });
    let writer = plain.writable.getWriter();
    let reader = plain.readable.getReader();
    await writer.write(encoder.encode("STARTTLS\r\n"));
    const go = decoder.decode((await reader.read()).value);
    writer.releaseLock();
    reader.releaseLock();
    const secure = plain.startTls({ expectedServerHostname: p.get("name") });
    let again;
    try {
      plain.startTls();
    } catch (e) {
      again = e.name;
    }
    try {
      await secure.opened;
    } catch (e) {
      return { go, error: e.message };
    }
    writer = secure.writable.getWriter();
    await writer.write(encoder.encode("ping\n"));
    const answer = await text(secure.readable);
    await plain.closed;
    await secure.close();
    return { go, answer, upgraded: plain.upgraded, transport: secure.secureTransport, again };
  },
  // node:net and node:tls over the same sockets, as Node-style client libraries use them.
  netEcho(p) {
    return new Promise((resolve, reject) => {
      const chunks = [];
      const socket = net.connect(Number(p.get("port")), "127.0.0.1", () => {
        socket.write("hello ");
        socket.end("node");
      });
      socket.on("data", (chunk) => chunks.push(chunk));
      socket.on("error", reject);
      socket.on("close", () => resolve({
        answer: Buffer.concat(chunks).toString(), remote: `${socket.remoteAddress}:${socket.remotePort}`,
        family: socket.remoteFamily, read: socket.bytesRead, written: socket.bytesWritten,
      }));
    });
  },
  netStartTls(p) {
    return new Promise((resolve, reject) => {
      const plain = net.connect({ port: Number(p.get("port")), host: "127.0.0.1" });
      plain.on("error", reject);
      plain.once("data", (data) => {
        const go = data.toString();
        const secure = tls.connect({ socket: plain, servername: p.get("name") }, () => secure.end("ping\n"));
        const chunks = [];
        secure.on("data", (chunk) => chunks.push(chunk));
        secure.on("error", (e) => resolve({ go, error: e.message, code: e.code }));
        secure.on("close", () => resolve({
          go, answer: Buffer.concat(chunks).toString(), encrypted: secure.encrypted, authorized: secure.authorized,
        }));
      });
      plain.write("STARTTLS\r\n");
    });
  },
};
export default {
  async fetch(request) {
    const url = new URL(request.url);
    try {
      return Response.json(await tests[url.pathname.slice(1)](url.searchParams));
    } catch (e) {
      return Response.json({ thrown: `${e.name}: ${e.message}` });
    }
  },
};
)JS";

class SocketsTest : public ::testing::Test {
 protected:
  // One tenant of 16 MB whose `outbound` lists `allowed` (host:port patterns).
  void Start(const std::vector<int>& allowed_ports) {
    std::string outbound;
    for (int port : allowed_ports) outbound += (outbound.empty() ? "\"127.0.0.1:" : ", \"127.0.0.1:") + std::to_string(port) + "\"";
    fixture_.Write("sockets.js", kTenant);
    server_ = std::make_unique<TestServer>(fixture_.WriteConfig("", R"(
[[tenants]]
name = "sockets"
script = "sockets.js"
routes = ["*/*"]
memory_mb = 16
cpu_ms = 1000
compatibility_flags = ["nodejs_compat"]
outbound = [)" + outbound + "]\n"));
  }
  std::string Run(const std::string& path_and_query) {
    HttpResponse r = Get(server_->port(), "/" + path_and_query);
    EXPECT_EQ(r.status, 200) << r.body << server_->log();
    return r.body;
  }

  TenantFixture fixture_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(SocketsTest, ARoundTripWithAHalfCloseReadsTheWholeAnswer) {
  Peer peer(Mode::kUpperEcho);
  Start({peer.port()});
  for (int i = 0; i < 3; ++i) {
    std::string body = Run("echo?port=" + std::to_string(peer.port()));
    EXPECT_NE(body.find("\"answer\":\"HELLO SOCKET\""), std::string::npos) << body;
    EXPECT_NE(body.find("\"remote\":\"127.0.0.1:" + std::to_string(peer.port()) + "\""), std::string::npos) << body;
  }
}

TEST_F(SocketsTest, NodeNetSocketsAreDuplexStreamsOverTheSameConnections) {
  Peer peer(Mode::kUpperEcho);
  Start({peer.port()});
  std::string body = Run("netEcho?port=" + std::to_string(peer.port()));
  EXPECT_NE(body.find("\"answer\":\"HELLO NODE\""), std::string::npos) << body;
  EXPECT_NE(body.find("\"remote\":\"127.0.0.1:" + std::to_string(peer.port()) + "\""), std::string::npos) << body;
  EXPECT_NE(body.find("\"family\":\"IPv4\",\"read\":10,\"written\":10"), std::string::npos) << body;
}

TEST_F(SocketsTest, ThePeersEndClosesTheSocketUnlessItAllowsHalfOpen) {
  Peer closing(Mode::kGreet);
  Peer half_open(Mode::kGreet);
  Start({closing.port(), half_open.port()});
  // Without allowHalfOpen the writable side ends with the readable: a later write fails.
  std::string body = Run("greet?port=" + std::to_string(closing.port()));
  EXPECT_NE(body.find("\"answer\":\"220 hello\\r\\n\""), std::string::npos) << body;
  EXPECT_NE(body.find("\"wrote\":\"TypeError\""), std::string::npos) << body;
  // With it, the tenant still writes after the peer's end, and the peer gets it.
  body = Run("greet?half=1&port=" + std::to_string(half_open.port()));
  EXPECT_NE(body.find("\"wrote\":\"after your end\""), std::string::npos) << body;
  for (int i = 0; i < 100 && half_open.received().empty(); ++i) std::this_thread::sleep_for(milliseconds(20));
  EXPECT_EQ(half_open.received(), "after your end");
  EXPECT_EQ(closing.received(), "");
}

// 48 MB each way through a tenant of 16 MB: the socket is read no faster than the tenant reads,
// and a write waits for the connection to take what was written before.
TEST_F(SocketsTest, LargeTransfersStreamWithinTheTenantsMemory) {
  Peer count(Mode::kCount);
  Peer flood(Mode::kFlood);
  Start({count.port(), flood.port()});
  std::string body = Run("upload?port=" + std::to_string(count.port()));
  EXPECT_NE(body.find("\"answer\":\"" + std::to_string(48 << 20) + "\""), std::string::npos) << body;
  body = Run("download?port=" + std::to_string(flood.port()));
  EXPECT_NE(body.find("\"bytes\":" + std::to_string(Peer::kFloodBytes)), std::string::npos) << body;
}

TEST_F(SocketsTest, TheGuardRefusesWhatTheTenantDidNotList) {
  Peer peer(Mode::kUpperEcho);
  Start({});
  std::string port = std::to_string(peer.port());
  std::string body = Run("refused?to=127.0.0.1:" + port);
  EXPECT_NE(body.find("\"opened\":\"Error: connect() to 127.0.0.1:" + port +
                      " refused: loopback address (add it to outbound to allow)\""), std::string::npos) << body;
  EXPECT_NE(body.find("\"closed\":\"Error: connect() to 127.0.0.1:" + port + " refused"), std::string::npos) << body;
  EXPECT_NE(body.find("\"read\":\"Error: connect() to 127.0.0.1:" + port + " refused"), std::string::npos) << body;
  // A name is refused by the address it resolves to.
  body = Run("refused?to=localhost:" + port);
  EXPECT_NE(body.find("refused: loopback address 127.0.0.1 (add it to outbound to allow)"), std::string::npos) << body;
  body = Run("refused?to=%5B::1%5D:" + port);
  EXPECT_NE(body.find("connect() to [::1]:" + port + " refused: loopback address"), std::string::npos) << body;
  body = Run("refused?to=127.0.0.1:25");
  EXPECT_NE(body.find("connect() to 127.0.0.1:25 failed: port 25 is not allowed"), std::string::npos) << body;
  EXPECT_TRUE(server_->WaitForLog("connect refused")) << server_->log();
}

// As any I/O of a request: a socket the handler left open is closed when its request ends, and a
// later request cannot use it.
TEST_F(SocketsTest, ASocketLeftOpenIsClosedWhenItsRequestEnds) {
  Peer peer(Mode::kHold);
  Start({peer.port()});
  std::string body = Run("hold?port=" + std::to_string(peer.port()));
  EXPECT_NE(body.find("\"held\":true"), std::string::npos) << body;
  for (int i = 0; i < 250 && !peer.client_ended(); ++i) std::this_thread::sleep_for(milliseconds(20));
  EXPECT_TRUE(peer.client_ended());
  body = Run("late");
  EXPECT_NE(body.find("\"error\":\""), std::string::npos) << body;
}

// startTls() over a plaintext connection (as SMTP, PostgreSQL and IMAP clients do), checked
// against a CA the worker trusts ($SSL_CERT_FILE) for expectedServerHostname.
TEST_F(SocketsTest, StartTlsUpgradesTheConnectionAndChecksTheCertificate) {
  server::testing::TlsFiles tls("db.test");
  server::testing::TlsFiles by_address("127.0.0.1", "-ip");
  Peer peer(Mode::kStartTls, &tls);
  Peer tls_peer(Mode::kTls, &by_address);
  Peer tls_named_peer(Mode::kTls, &tls);
  // The worker trusts both test certificates (a bundle of the two, as $SSL_CERT_FILE).
  std::ifstream first(tls.cert_path()), second(by_address.cert_path());
  std::stringstream both;
  both << first.rdbuf() << second.rdbuf();
  std::string bundle = tls.Write("bundle.pem", both.str()).string();
  const char* saved = std::getenv("SSL_CERT_FILE");
  std::string previous = saved != nullptr ? saved : "";
  setenv("SSL_CERT_FILE", bundle.c_str(), 1);
  Start({peer.port(), tls_peer.port(), tls_named_peer.port()});
  if (saved != nullptr) setenv("SSL_CERT_FILE", previous.c_str(), 1);
  else unsetenv("SSL_CERT_FILE");
  std::string port = std::to_string(peer.port());
  std::string body = Run("starttls?name=db.test&port=" + port);
  EXPECT_NE(body.find("\"go\":\"GO\\r\\n\""), std::string::npos) << body;
  EXPECT_NE(body.find("\"answer\":\"secure:ping\\n\""), std::string::npos) << body;
  EXPECT_NE(body.find("\"upgraded\":true"), std::string::npos) << body;
  EXPECT_NE(body.find("\"transport\":\"on\""), std::string::npos) << body;
  EXPECT_NE(body.find("\"again\":\"TypeError\""), std::string::npos) << body;
  // node:tls over a connected node:net socket, as a client that negotiates TLS in its protocol.
  body = Run("netStartTls?name=db.test&port=" + port);
  EXPECT_NE(body.find("\"answer\":\"secure:ping\\n\",\"encrypted\":true,\"authorized\":true"), std::string::npos)
      << body;
  // secureTransport "on": TLS from the start, checked for the address connected to.
  body = Run("tlsOn?port=" + std::to_string(tls_peer.port()));
  EXPECT_NE(body.find("\"answer\":\"secure:ping\\n\",\"transport\":\"on\""), std::string::npos) << body;
  body = Run("tlsOn?port=" + std::to_string(tls_named_peer.port()));  // a certificate for db.test
  EXPECT_NE(body.find("TLS certificate verification failed"), std::string::npos) << body;
  body = Run("starttls?name=other.test&port=" + port);
  EXPECT_NE(body.find("\"error\":\"connect() to 127.0.0.1:" + port + " failed: TLS certificate verification failed"),
            std::string::npos) << body;
}

}  // namespace
}  // namespace atl::testing
