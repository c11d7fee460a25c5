#pragma once
// TLS over memory BIOs, for connections on libuv: OpenSSL never touches the socket. Ciphertext
// read from the socket goes in with Feed(); plaintext comes out of Read(); plaintext to send goes
// in with Write(); what OpenSSL has for the socket (handshake records, alerts, encrypted data)
// comes out of TakeOutput().
//
//   absl::StatusOr<std::shared_ptr<TlsServerContext>> ctx = TlsServerContext::Load(cert, key);
//   TlsSession session = TlsSession::Server(**ctx);
//   session.Feed(bytes);  session.Read(&plain);  session.TakeOutput(&to_socket);

#include <openssl/ssl.h>

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "config/config.h"

namespace atl::server {

// The text of the oldest error queued in this thread's OpenSSL error queue (or `fallback`); the
// queue is cleared.
std::string TakeTlsError(std::string_view fallback);

// OpenSSL's version text (`atoll version`).
std::string TlsLibraryVersion();

// Appends everything readable from a memory BIO to `out`.
void DrainBio(BIO* bio, std::string* out);

// A listener's certificates and keys: TLS 1.2 and 1.3 only, ALPN http/1.1, ECDHE + AEAD suites
// for TLS 1.2 (OpenSSL's defaults for 1.3). A client that names a host (SNI) listed for another
// certificate gets that one (the exact name first, then "*.rest" for one label in front); every
// other client gets the default. Shared by the sessions made from it; a session keeps the context
// it was made with, so a reload only affects new connections.
class TlsServerContext {
 public:
  // Reads the default PEM certificate chain and private key, and those chosen by name; the error
  // names the file at fault (and its key path).
  static absl::StatusOr<std::shared_ptr<TlsServerContext>> Load(
      const std::filesystem::path& cert, const std::filesystem::path& key,
      std::span<const config::TlsCertificate> by_name = {});
  ~TlsServerContext();
  TlsServerContext(const TlsServerContext&) = delete;
  TlsServerContext& operator=(const TlsServerContext&) = delete;

  SSL_CTX* get() const { return ctx_; }
  // The context of the certificate listed for `name` (a requested server name), or null (the
  // default's).
  SSL_CTX* ForName(std::string_view name) const;

 private:
  explicit TlsServerContext(SSL_CTX* ctx) : ctx_(ctx) {}
  // OpenSSL's servername callback: switches the connection to the certificate for its name.
  static int SelectCertificate(SSL* ssl, int* alert, void* arg);

  SSL_CTX* ctx_;
  std::vector<SSL_CTX*> by_name_;                         // owned
  absl::flat_hash_map<std::string, SSL_CTX*> exact_;      // "example.com"
  absl::flat_hash_map<std::string, SSL_CTX*> wildcard_;   // "example.com" for "*.example.com"
};

// What the fetch client trusts: the system CA store (or `ca_file`'s certificates: tests), peer
// verification on, TLS 1.2 or later.
class TlsClientContext {
 public:
  // Trusting `ca_file`, or without it the system's CA certificates, looked up as chains need
  // them from the folder of hashed names (tls.cc UseSystemCertificates), or parsed whole from
  // the bundle file where that folder has none or $SSL_CERT_FILE is set.
  static absl::StatusOr<std::unique_ptr<TlsClientContext>> Create(const std::filesystem::path& ca_file = {});
  // The system CA store's context, shared by every client of the process and made on the first
  // call (thread-safe): parsing the whole bundle's ~140 certificates is ~235M instructions (~0.1
  // s), and a worker process holds several clients (fetch, the isolation forwarder, cluster
  // forwarding) that mostly never speak TLS. Null if OpenSSL failed (https then fails per exchange).
  static const TlsClientContext* SystemDefault();
  ~TlsClientContext();
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;

  SSL_CTX* get() const { return ctx_; }

 private:
  explicit TlsClientContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
};

// One TLS connection over memory BIOs: accepted (server) or connected (client).
class TlsSession {
 public:
  enum class Status { kOk, kWantMore, kClosed, kError };

  explicit TlsSession(const TlsServerContext& context);
  // A client session to `host` (a name or an IP address, no brackets): the certificate must be
  // valid for it; `send_sni` names it in the handshake (not for IP addresses). Null if OpenSSL
  // could not make one.
  static std::unique_ptr<TlsSession> Client(const TlsClientContext& context, const std::string& host, bool send_sni);
  // Client() for a URL's or a socket's host ("example.com", "10.0.0.1", "[::1]"): brackets
  // dropped, SNI sent for a name and not for an address. Null if `context` is (OpenSSL failed).
  static std::unique_ptr<TlsSession> ClientForHost(const TlsClientContext* context, std::string_view host);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  bool handshake_done() const;

  // Ciphertext from the socket.
  void Feed(std::string_view ciphertext);
  // Runs the handshake as far as the input allows, then appends the decrypted bytes to `plain`.
  // kWantMore: all input used; kClosed: the peer sent close_notify; kError: error() says why
  // (a client's failed handshake: "TLS certificate verification failed (...)" or
  // "TLS handshake failed (...)").
  Status Read(std::string* plain);
  // Encrypts `plain` (after the handshake; false on error).
  bool Write(std::string_view plain);
  // Queues a close_notify alert.
  void Shutdown();
  // Appends what OpenSSL has for the socket to `out`.
  void TakeOutput(std::string* out) { DrainBio(wbio_, out); }
  bool has_output() const { return BIO_ctrl_pending(wbio_) > 0; }
  const std::string& error() const { return error_; }
  // After the handshake: the protocol ("TLSv1.3") and OpenSSL's name of the cipher suite
  // ("TLS_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"); "" before it.
  std::string_view version() const;
  std::string_view cipher() const;

 private:
  explicit TlsSession(SSL* ssl);

  SSL* ssl_;
  bool client_ = false;
  BIO* rbio_;
  BIO* wbio_;
  std::string error_;
};

}  // namespace atl::server
