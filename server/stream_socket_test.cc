// StreamSocket in process: two of them over loopback, plaintext and TLS (a server session and a
// client session that verifies the test certificate), ends and TLS failures.
#include "server/stream_socket.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "server/net_test_util.h"
#include "server/test_certificate.h"

namespace atl::server {
namespace {

using testing::RunUntil;

// Records what its socket reports; writes what `out` holds whenever the socket can take it.
struct Endpoint : StreamSocket::Owner {
  explicit Endpoint(uv_loop_t* loop) : socket(loop, this) {}
  StreamSocket socket;
  std::string out, got;
  int connected = 1, end = 0, written = 0;
  bool handshake = false, closed = false;

  void OnSocketConnected(int status) override { connected = status; }
  void OnSocketHandshake() override { handshake = true; }
  void OnSocketData(std::string_view plain) override { got.append(plain); }
  void OnSocketEnd(int status) override { end = status; }
  void OnSocketWritten(int status) override {
    ++written;
    if (status == 0) socket.Write(&out);
  }
  void OnSocketClosed() override { closed = true; }
  void Send(std::string_view bytes) {
    out.append(bytes);
    ASSERT_EQ(socket.Write(&out), 0);
  }
};

class StreamSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    uv_loop_init(&loop_);
    int fd = testing::ListenLoopback(&port_);
    ASSERT_GE(fd, 0);
    uv_tcp_init(&loop_, &listener_);
    listener_.data = this;
    ASSERT_EQ(uv_tcp_open(&listener_, fd), 0);
    ASSERT_EQ(uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 16, [](uv_stream_t* l, int) {
      auto* self = static_cast<StreamSocketTest*>(l->data);
      int accepted_fd = -1;
      self->server_ = std::make_unique<Endpoint>(&self->loop_);
      ASSERT_TRUE(self->server_->socket.Accept(l, &accepted_fd));
      if (self->server_session_ != nullptr) self->server_->socket.StartTls(std::move(self->server_session_));
      self->server_->socket.StartReading();
    }), 0);
  }
  void TearDown() override {
    for (Endpoint* e : {server_.get(), client_.get()}) {
      if (e != nullptr) e->socket.Close();
    }
    RunUntil(&loop_, [&] { return (!server_ || server_->closed) && (!client_ || client_->closed); });
    uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
    testing::FinishLoop(&loop_);
  }
  void Connect() {
    client_ = std::make_unique<Endpoint>(&loop_);
    sockaddr_in addr{};
    uv_ip4_addr("127.0.0.1", port_, &addr);
    ASSERT_EQ(client_->socket.Connect(reinterpret_cast<sockaddr*>(&addr)), 0);
    ASSERT_TRUE(RunUntil(&loop_, [&] { return client_->connected != 1 && server_ != nullptr; }));
    ASSERT_EQ(client_->connected, 0);
    client_->socket.StartReading();
  }

  uv_loop_t loop_;
  uv_tcp_t listener_;
  uint16_t port_ = 0;
  std::unique_ptr<TlsSession> server_session_;  // for the next accepted connection
  std::unique_ptr<Endpoint> server_, client_;
};

TEST_F(StreamSocketTest, PlainBytesBothWaysThenTheEnd) {
  Connect();
  client_->Send("ping");
  ASSERT_TRUE(RunUntil(&loop_, [&] { return server_->got == "ping"; }));
  server_->Send(std::string(1 << 20, 'x'));  // more than the kernel takes at once
  EXPECT_TRUE(server_->socket.write_in_flight() || server_->out.empty());
  ASSERT_TRUE(RunUntil(&loop_, [&] { return client_->got.size() == (1u << 20); }));
  ASSERT_TRUE(RunUntil(&loop_, [&] { return server_->socket.unsent() == 0 && server_->out.empty(); }));
  ASSERT_TRUE(server_->socket.ShutdownAndDiscard());
  ASSERT_TRUE(RunUntil(&loop_, [&] { return client_->end == UV_EOF; }));
  client_->Send("dropped");  // the server discards it, and still hears the end
  client_->socket.Close();
  ASSERT_TRUE(RunUntil(&loop_, [&] { return server_->end != 0; }));
  EXPECT_EQ(server_->got, "ping");
}

TEST_F(StreamSocketTest, TlsHandshakeDataAndCloseNotify) {
  testing::TlsFiles files("atoll.test");
  auto server_context = TlsServerContext::Load(files.cert_path(), files.key_path());
  ASSERT_TRUE(server_context.ok()) << server_context.status();
  auto client_context = TlsClientContext::Create(files.cert_path());
  ASSERT_TRUE(client_context.ok()) << client_context.status();
  server_session_ = std::make_unique<TlsSession>(**server_context);
  Connect();
  client_->socket.StartTls(TlsSession::Client(**client_context, "atoll.test", /*send_sni=*/true));
  client_->Send("GET / HTTP/1.1\r\n\r\n");  // waits in `out` until the handshake ended
  ASSERT_TRUE(RunUntil(&loop_, [&] { return client_->handshake && server_->handshake; }));
  client_->socket.Write(&client_->out);
  ASSERT_TRUE(RunUntil(&loop_, [&] { return server_->got == "GET / HTTP/1.1\r\n\r\n"; }));
  server_->Send("HTTP/1.1 204 No Content\r\n\r\n");
  ASSERT_TRUE(RunUntil(&loop_, [&] { return client_->got == "HTTP/1.1 204 No Content\r\n\r\n"; }));
  EXPECT_TRUE(server_->socket.ShutdownTls());
  EXPECT_FALSE(server_->socket.ShutdownTls());  // once
  std::string none;
  server_->socket.Write(&none);
  ASSERT_TRUE(RunUntil(&loop_, [&] { return client_->end != 0; }));
  EXPECT_EQ(client_->end, UV_EOF);
  EXPECT_FALSE(client_->socket.tls_failed());
}

TEST_F(StreamSocketTest, UntrustedCertificateFailsTheClient) {
  testing::TlsFiles files("atoll.test");
  auto server_context = TlsServerContext::Load(files.cert_path(), files.key_path());
  ASSERT_TRUE(server_context.ok());
  auto system = TlsClientContext::Create();
  ASSERT_TRUE(system.ok());
  server_session_ = std::make_unique<TlsSession>(**server_context);
  Connect();
  client_->socket.StartTls(TlsSession::Client(**system, "atoll.test", /*send_sni=*/true));
  ASSERT_TRUE(RunUntil(&loop_, [&] { return client_->end != 0; }));
  EXPECT_EQ(client_->end, UV_EPROTO);
  EXPECT_TRUE(client_->socket.tls_failed());
  EXPECT_NE(client_->socket.tls()->error().find("certificate verification failed"), std::string::npos)
      << client_->socket.tls()->error();
  // The server hears of it too (the alert, or the connection's end).
  client_->socket.Close();
  ASSERT_TRUE(RunUntil(&loop_, [&] { return server_->end != 0; }));
}

}  // namespace
}  // namespace atl::server
