#include "server/tls.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "server/test_certificate.h"

namespace atl::server {
namespace {

using testing::TlsFiles;

// A client SSL over memory BIOs, pumped against a TlsSession by hand.
struct Client {
  explicit Client(int max_version = 0) {
    ctx = SSL_CTX_new(TLS_client_method());
    if (max_version != 0) {
      SSL_CTX_set_min_proto_version(ctx, max_version);
      SSL_CTX_set_max_proto_version(ctx, max_version);
    }
    static const unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    SSL_CTX_set_alpn_protos(ctx, kAlpn, sizeof kAlpn);
    ssl = SSL_new(ctx);
    SSL_set_bio(ssl, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
    SSL_set_connect_state(ssl);
  }
  ~Client() {
    SSL_free(ssl);
    SSL_CTX_free(ctx);
  }
  // Runs both sides until neither has anything to say; returns the server's last status.
  TlsSession::Status Pump(TlsSession& server, std::string* plain) {
    TlsSession::Status status = TlsSession::Status::kWantMore;
    for (int i = 0; i < 10; ++i) {
      SSL_do_handshake(ssl);
      std::string to_server;
      DrainBio(SSL_get_wbio(ssl), &to_server);
      if (!to_server.empty()) server.Feed(to_server);
      status = server.Read(plain);
      if (status == TlsSession::Status::kError) return status;
      std::string to_client;
      server.TakeOutput(&to_client);
      if (to_client.empty() && to_server.empty()) break;
      BIO_write(SSL_get_rbio(ssl), to_client.data(), static_cast<int>(to_client.size()));
    }
    return status;
  }
  SSL_CTX* ctx;
  SSL* ssl;
};

TEST(Tls, HandshakeAlpnAndDataBothWays) {
  TlsFiles files;
  auto context = TlsServerContext::Load(files.cert_path(), files.key_path());
  ASSERT_TRUE(context.ok()) << context.status();
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    TlsSession server(**context);
    Client client(version);
    std::string plain;
    EXPECT_EQ(client.Pump(server, &plain), TlsSession::Status::kWantMore);
    ASSERT_TRUE(server.handshake_done());
    ASSERT_EQ(SSL_is_init_finished(client.ssl), 1);
    EXPECT_EQ(SSL_version(client.ssl), version);
    const unsigned char* alpn = nullptr;
    unsigned int alpn_length = 0;
    SSL_get0_alpn_selected(client.ssl, &alpn, &alpn_length);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(alpn), alpn_length), "http/1.1");
    if (version == TLS1_2_VERSION) {
      EXPECT_STREQ(SSL_get_cipher_name(client.ssl), "ECDHE-ECDSA-AES256-GCM-SHA384");
    }

    SSL_write(client.ssl, "GET / HTTP/1.1\r\n\r\n", 18);
    EXPECT_EQ(client.Pump(server, &plain), TlsSession::Status::kWantMore);
    EXPECT_EQ(plain, "GET / HTTP/1.1\r\n\r\n");

    ASSERT_TRUE(server.Write("HTTP/1.1 200 OK\r\n\r\n"));
    std::string records;
    server.TakeOutput(&records);
    BIO_write(SSL_get_rbio(client.ssl), records.data(), static_cast<int>(records.size()));
    char buf[64];
    int n = SSL_read(client.ssl, buf, sizeof buf);
    ASSERT_GT(n, 0);
    EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), "HTTP/1.1 200 OK\r\n\r\n");

    SSL_shutdown(client.ssl);  // close_notify
    plain.clear();
    EXPECT_EQ(client.Pump(server, &plain), TlsSession::Status::kClosed);
  }
}

// The common name of the certificate a client asking for `sni` (none if empty) gets.
std::string CertificateFor(const TlsServerContext& context, const std::string& sni) {
  TlsSession server(context);
  Client client;
  if (!sni.empty()) SSL_set_tlsext_host_name(client.ssl, sni.c_str());
  std::string plain;
  client.Pump(server, &plain);
  if (!server.handshake_done()) return "<no handshake>";
  X509* peer = SSL_get1_peer_certificate(client.ssl);
  if (peer == nullptr) return "<no certificate>";
  char name[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, name, sizeof name);
  X509_free(peer);
  return name;
}

TEST(Tls, TheNameAClientAsksForChoosesTheCertificate) {
  TlsFiles fallback("default", "0"), exact("exact", "1"), wild("wild", "2");
  std::vector<config::TlsCertificate> by_name = {
      {{"a.test", "www.a.test"}, exact.cert_path(), exact.key_path()},
      {{"*.b.test", "b.test"}, wild.cert_path(), wild.key_path()},
  };
  auto context = TlsServerContext::Load(fallback.cert_path(), fallback.key_path(), by_name);
  ASSERT_TRUE(context.ok()) << context.status();
  EXPECT_EQ(CertificateFor(**context, "a.test"), "exact");
  EXPECT_EQ(CertificateFor(**context, "WWW.A.Test"), "exact") << "names are compared without case";
  EXPECT_EQ(CertificateFor(**context, "x.b.test"), "wild");
  EXPECT_EQ(CertificateFor(**context, "b.test"), "wild");
  EXPECT_EQ(CertificateFor(**context, "y.x.b.test"), "default") << "a wildcard covers one label";
  EXPECT_EQ(CertificateFor(**context, "x.a.test"), "default");
  EXPECT_EQ(CertificateFor(**context, "other.test"), "default");
  EXPECT_EQ(CertificateFor(**context, ""), "default") << "no SNI";
}

TEST(Tls, ACertificateChosenByNameNamesItsKeyPathWhenItFailsToLoad) {
  TlsFiles fallback("default", "0"), other("other", "1");
  std::vector<config::TlsCertificate> mismatched = {
      {{"a.test"}, other.cert_path(), other.key_path()},
      {{"b.test"}, other.cert_path(), fallback.key_path()},
  };
  auto context = TlsServerContext::Load(fallback.cert_path(), fallback.key_path(), mismatched);
  ASSERT_FALSE(context.ok());
  EXPECT_NE(context.status().message().find("server.tls.certificates[1].key: private key"), std::string_view::npos)
      << context.status();
}

TEST(Tls, OldProtocolsAndPlaintextAreErrors) {
  TlsFiles files;
  auto context = TlsServerContext::Load(files.cert_path(), files.key_path());
  ASSERT_TRUE(context.ok());
  {
    TlsSession server(**context);
    Client client(TLS1_1_VERSION);
    std::string plain;
    EXPECT_EQ(client.Pump(server, &plain), TlsSession::Status::kError);
    EXPECT_NE(server.error().find("handshake failed"), std::string::npos) << server.error();
  }
  {
    TlsSession server(**context);
    server.Feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string plain;
    EXPECT_EQ(server.Read(&plain), TlsSession::Status::kError);
    EXPECT_NE(server.error().find("http request"), std::string::npos) << server.error();
    EXPECT_TRUE(plain.empty());
  }
}

TEST(Tls, LoadNamesTheFileAtFault) {
  TlsFiles files;
  auto missing = TlsServerContext::Load(files.cert_path(), files.cert_path().parent_path() / "nope.pem");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("server.tls.key"), std::string::npos);
  EXPECT_NE(missing.status().message().find("nope.pem"), std::string::npos);
  auto bad_cert = TlsServerContext::Load(files.Write("junk.pem", "junk"), files.key_path());
  ASSERT_FALSE(bad_cert.ok());
  EXPECT_NE(bad_cert.status().message().find("server.tls.cert: cannot load certificate"), std::string::npos);
  EXPECT_NE(bad_cert.status().message().find("junk.pem"), std::string::npos);
  EVP_PKEY* key = EVP_EC_gen("P-256");
  std::filesystem::path other_key = files.cert_path().parent_path() / "other-key.pem";
  FILE* f = std::fopen(other_key.c_str(), "w");
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  EVP_PKEY_free(key);
  auto mismatch = TlsServerContext::Load(files.cert_path(), other_key);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.status().message().find("does not match"), std::string::npos) << mismatch.status();
}

// Both ends TlsSession: the client mode against the server mode, over memory.
TlsSession::Status PumpPair(TlsSession& client, TlsSession& server, std::string* client_plain,
                            std::string* server_plain) {
  TlsSession::Status status = TlsSession::Status::kWantMore;
  for (int i = 0; i < 10; ++i) {
    status = client.Read(client_plain);
    if (status == TlsSession::Status::kError) return status;
    std::string to_server, to_client;
    client.TakeOutput(&to_server);
    server.Feed(to_server);
    if (server.Read(server_plain) == TlsSession::Status::kError) return TlsSession::Status::kError;
    server.TakeOutput(&to_client);
    if (to_client.empty() && to_server.empty()) break;
    client.Feed(to_client);
  }
  return status;
}

TEST(Tls, ClientModeVerifiesTheCertificateAndTheHostName) {
  TlsFiles files("atoll.test");
  auto server_context = TlsServerContext::Load(files.cert_path(), files.key_path());
  ASSERT_TRUE(server_context.ok()) << server_context.status();
  auto trusting = TlsClientContext::Create(files.cert_path());
  ASSERT_TRUE(trusting.ok()) << trusting.status();
  {
    // Trusted, for the name the certificate names: data both ways.
    TlsSession server(**server_context);
    std::unique_ptr<TlsSession> client = TlsSession::Client(**trusting, "atoll.test", /*send_sni=*/true);
    ASSERT_NE(client, nullptr);
    std::string client_plain, server_plain;
    EXPECT_EQ(PumpPair(*client, server, &client_plain, &server_plain), TlsSession::Status::kWantMore)
        << client->error();
    ASSERT_TRUE(client->handshake_done());
    ASSERT_TRUE(client->Write("GET / HTTP/1.1\r\n\r\n"));
    ASSERT_TRUE(server.Write("HTTP/1.1 204 No Content\r\n\r\n"));
    PumpPair(*client, server, &client_plain, &server_plain);
    EXPECT_EQ(server_plain, "GET / HTTP/1.1\r\n\r\n");
    EXPECT_EQ(client_plain, "HTTP/1.1 204 No Content\r\n\r\n");
  }
  {
    // Trusted certificate, another name: the host name check fails.
    TlsSession server(**server_context);
    std::unique_ptr<TlsSession> client = TlsSession::Client(**trusting, "example.com", /*send_sni=*/true);
    std::string client_plain, server_plain;
    EXPECT_EQ(PumpPair(*client, server, &client_plain, &server_plain), TlsSession::Status::kError);
    EXPECT_NE(client->error().find("TLS certificate verification failed"), std::string::npos) << client->error();
  }
  {
    // The system store does not know a self-signed certificate.
    auto system = TlsClientContext::Create();
    ASSERT_TRUE(system.ok());
    TlsSession server(**server_context);
    std::unique_ptr<TlsSession> client = TlsSession::Client(**system, "atoll.test", /*send_sni=*/true);
    std::string client_plain, server_plain;
    EXPECT_EQ(PumpPair(*client, server, &client_plain, &server_plain), TlsSession::Status::kError);
    EXPECT_NE(client->error().find("TLS certificate verification failed (self"), std::string::npos) << client->error();
  }
  EXPECT_FALSE(TlsClientContext::Create(files.cert_path().parent_path() / "nope.pem").ok());
}

// Sets an environment variable (or unsets it: null) for a scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr) setenv(name, value, 1);
    else unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_) setenv(name_, old_->c_str(), 1);
    else unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// The system's CA certificates come from a folder of hashed names, as update-ca-certificates
// makes /etc/ssl/certs: none is parsed when the context is made, the issuer's when a chain
// needs it.
TEST(Tls, SystemCertificatesAreReadAsAChainNeedsThem) {
  TlsFiles files("atoll.test");
  auto server_context = TlsServerContext::Load(files.cert_path(), files.key_path());
  ASSERT_TRUE(server_context.ok()) << server_context.status();
  std::filesystem::path dir = files.cert_path().parent_path() / "certs";
  std::filesystem::create_directories(dir);
  FILE* f = std::fopen(files.cert_path().c_str(), "r");
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  ASSERT_NE(cert, nullptr);
  char hashed[16];
  std::snprintf(hashed, sizeof hashed, "%08lx.0", X509_subject_name_hash(cert));
  X509_free(cert);
  std::filesystem::copy_file(files.cert_path(), dir / hashed, std::filesystem::copy_options::overwrite_existing);
  ScopedEnv no_file(X509_get_default_cert_file_env(), nullptr);
  ScopedEnv certs(X509_get_default_cert_dir_env(), dir.c_str());

  auto system = TlsClientContext::Create();
  ASSERT_TRUE(system.ok()) << system.status();
  X509_STORE* store = SSL_CTX_get_cert_store((*system)->get());
  EXPECT_EQ(sk_X509_OBJECT_num(X509_STORE_get0_objects(store)), 0) << "nothing parsed ahead";
  TlsSession server(**server_context);
  std::unique_ptr<TlsSession> client = TlsSession::Client(**system, "atoll.test", /*send_sni=*/true);
  ASSERT_NE(client, nullptr);
  std::string client_plain, server_plain;
  EXPECT_EQ(PumpPair(*client, server, &client_plain, &server_plain), TlsSession::Status::kWantMore) << client->error();
  EXPECT_TRUE(client->handshake_done()) << "the issuer was found in the folder";
  EXPECT_EQ(sk_X509_OBJECT_num(X509_STORE_get0_objects(store)), 1) << "the one certificate the chain needed";
}

}  // namespace
}  // namespace atl::server
