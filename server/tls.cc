#include "server/tls.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/opensslv.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

#include "base/strings.h"

namespace atl::server {
namespace {

// TLS 1.2 suites: forward secrecy (ECDHE) with an AEAD cipher only. TLS 1.3 keeps OpenSSL's
// defaults (all AEAD).
constexpr char kTls12Ciphers[] = "ECDHE+AESGCM:ECDHE+CHACHA20";
constexpr unsigned char kAlpnHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

// ALPN: http/1.1 when the client offers it; a client that offers only other protocols (h2)
// goes on without ALPN rather than failing the handshake.
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned int inlen,
               void*) {
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kAlpnHttp11, sizeof kAlpnHttp11, in, inlen) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

absl::Status Readable(std::string_view where, std::string_view what, const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return absl::InvalidArgumentError(base::StrCat(where, ".", what, ": cannot read ", path.string(), ": ",
                                                   ec ? ec.message() : "no such file"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string TakeTlsError(std::string_view fallback) {
  unsigned long e = ERR_get_error();
  std::string text(fallback);
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    text = buf;
  }
  ERR_clear_error();
  return text;
}

std::string TlsLibraryVersion() { return OPENSSL_VERSION_TEXT; }

void DrainBio(BIO* bio, std::string* out) {
  size_t pending = BIO_ctrl_pending(bio);
  if (pending == 0) return;
  size_t start = out->size();
  out->resize(start + pending);
  int n = BIO_read(bio, out->data() + start, static_cast<int>(pending));
  out->resize(start + (n > 0 ? static_cast<size_t>(n) : 0));
}

namespace {

// A server SSL_CTX with atoll's settings and one certificate and key; `where` names them in errors
// ("server.tls" or "server.tls.certificates[0]").
absl::StatusOr<SSL_CTX*> NewServerCtx(const std::filesystem::path& cert, const std::filesystem::path& key,
                                      std::string_view where) {
  if (absl::Status s = Readable(where, "cert", cert); !s.ok()) return s;
  if (absl::Status s = Readable(where, "key", key); !s.ok()) return s;
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return absl::InternalError(TakeTlsError("SSL_CTX_new failed"));
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> owned(ctx, SSL_CTX_free);
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1) {
    return absl::InternalError(base::StrCat(where, ": cipher list: ", TakeTlsError("rejected")));
  }
  SSL_CTX_set_alpn_select_cb(ctx, SelectAlpn, nullptr);
  static constexpr unsigned char kSessionContext[] = "atoll";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1) {
    return absl::InvalidArgumentError(base::StrCat(where, ".cert: cannot load certificate ", cert.string(), ": ",
                                                   TakeTlsError("not a PEM certificate")));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
    unsigned long e = ERR_peek_last_error();
    if (ERR_GET_LIB(e) == ERR_LIB_X509 &&
        (ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH || ERR_GET_REASON(e) == X509_R_KEY_TYPE_MISMATCH)) {
      ERR_clear_error();
      return absl::InvalidArgumentError(base::StrCat(where, ".key: private key ", key.string(),
                                                     " does not match certificate ", cert.string()));
    }
    return absl::InvalidArgumentError(base::StrCat(where, ".key: cannot load private key ", key.string(), ": ",
                                                   TakeTlsError("not a PEM private key")));
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return absl::InvalidArgumentError(base::StrCat(where, ".key: private key ", key.string(),
                                                   " does not match certificate ", cert.string(), ": ",
                                                   TakeTlsError("mismatch")));
  }
  return owned.release();
}

}  // namespace

absl::StatusOr<std::shared_ptr<TlsServerContext>> TlsServerContext::Load(
    const std::filesystem::path& cert, const std::filesystem::path& key,
    std::span<const config::TlsCertificate> by_name) {
  absl::StatusOr<SSL_CTX*> ctx = NewServerCtx(cert, key, "server.tls");
  if (!ctx.ok()) return ctx.status();
  std::shared_ptr<TlsServerContext> context(new TlsServerContext(*ctx));
  for (size_t i = 0; i < by_name.size(); ++i) {
    absl::StatusOr<SSL_CTX*> more =
        NewServerCtx(by_name[i].cert, by_name[i].key, base::StrCat("server.tls.certificates[", i, "]"));
    if (!more.ok()) return more.status();
    context->by_name_.push_back(*more);
    for (const std::string& host : by_name[i].hosts) {
      if (host.starts_with("*.")) {
        context->wildcard_.emplace(host.substr(2), *more);
      } else {
        context->exact_.emplace(host, *more);
      }
    }
  }
  if (!by_name.empty()) {
    SSL_CTX_set_tlsext_servername_callback(context->ctx_, SelectCertificate);
    SSL_CTX_set_tlsext_servername_arg(context->ctx_, context.get());
  }
  return context;
}

int TlsServerContext::SelectCertificate(SSL* ssl, int*, void* arg) {
  const auto* self = static_cast<const TlsServerContext*>(arg);
  const char* requested = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (requested == nullptr) return SSL_TLSEXT_ERR_OK;  // no name: the default certificate
  if (SSL_CTX* ctx = self->ForName(requested)) SSL_set_SSL_CTX(ssl, ctx);
  return SSL_TLSEXT_ERR_OK;
}

SSL_CTX* TlsServerContext::ForName(std::string_view requested) const {
  std::string name(requested);
  for (char& c : name) c = base::AsciiToLower(c);
  if (!name.empty() && name.back() == '.') name.pop_back();  // "example.com." is "example.com"
  if (auto it = exact_.find(name); it != exact_.end()) return it->second;
  size_t dot = name.find('.');
  if (dot == std::string::npos || dot == 0) return nullptr;
  auto it = wildcard_.find(name.substr(dot + 1));
  return it == wildcard_.end() ? nullptr : it->second;
}

TlsServerContext::~TlsServerContext() {
  SSL_CTX_free(ctx_);
  for (SSL_CTX* ctx : by_name_) SSL_CTX_free(ctx);
}

namespace {

// Whether `dir` holds certificates under hashed names ("5ad8a5d6.0"), as update-ca-certificates
// (c_rehash) makes them, which OpenSSL can look up one at a time.
bool HasHashedNames(const std::string& dir) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    std::string name = entry.path().filename().string();
    if (name.size() >= 10 && name[8] == '.' && std::all_of(name.begin(), name.begin() + 8, [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c)) != 0;
        })) {
      return true;
    }
  }
  return false;
}

// The system's CA certificates, read as a chain needs them: from the folder of hashed names
// ($SSL_CERT_DIR, else OpenSSL's default, /etc/ssl/certs on Debian), an issuer's file when a
// handshake asks for it. OpenSSL's default also parses the whole bundle file when the context is
// made: ~150 certificates, ~235M instructions with OpenSSL 3 (20-40 ms here unloaded, 0.25 s
// under load), on the loop of the worker whose first https fetch it is. The bundle is read whole
// only when $SSL_CERT_FILE names it or the folder has no hashed names.
void UseSystemCertificates(SSL_CTX* ctx) {
  const char* dir_env = std::getenv(X509_get_default_cert_dir_env());
  std::string dirs = dir_env != nullptr ? dir_env : X509_get_default_cert_dir();
  std::string first = dirs.substr(0, dirs.find(':'));
  if (std::getenv(X509_get_default_cert_file_env()) == nullptr && HasHashedNames(first) &&
      SSL_CTX_load_verify_dir(ctx, dirs.c_str()) == 1) {
    return;
  }
  SSL_CTX_set_default_verify_paths(ctx);
}

}  // namespace

absl::StatusOr<std::unique_ptr<TlsClientContext>> TlsClientContext::Create(const std::filesystem::path& ca_file) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) return absl::InternalError(TakeTlsError("SSL_CTX_new failed"));
  std::unique_ptr<TlsClientContext> context(new TlsClientContext(ctx));
  if (ca_file.empty()) {
    UseSystemCertificates(ctx);
  } else if (SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1) {
    return absl::InvalidArgumentError(base::StrCat("cannot load CA file ", ca_file.string(), ": ",
                                                   TakeTlsError("not a PEM certificate")));
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  return context;
}

const TlsClientContext* TlsClientContext::SystemDefault() {
  static const TlsClientContext* shared = [] {
    absl::StatusOr<std::unique_ptr<TlsClientContext>> made = Create();
    return made.ok() ? made->release() : nullptr;  // never freed: clients live until exit
  }();
  return shared;
}

TlsClientContext::~TlsClientContext() { SSL_CTX_free(ctx_); }

TlsSession::TlsSession(SSL* ssl) : ssl_(ssl) {
  rbio_ = BIO_new(BIO_s_mem());
  wbio_ = BIO_new(BIO_s_mem());
  BIO_set_mem_eof_return(rbio_, -1);  // an empty input BIO means "more to come", not EOF
  SSL_set_bio(ssl_, rbio_, wbio_);    // the SSL owns both BIOs now
}

TlsSession::TlsSession(const TlsServerContext& context) : TlsSession(SSL_new(context.get())) {
  SSL_set_accept_state(ssl_);
}

std::unique_ptr<TlsSession> TlsSession::Client(const TlsClientContext& context, const std::string& host,
                                               bool send_sni) {
  SSL* ssl = SSL_new(context.get());
  if (ssl == nullptr) return nullptr;
  std::unique_ptr<TlsSession> session(new TlsSession(ssl));
  session->client_ = true;
  SSL_set_connect_state(ssl);
  if (send_sni) SSL_set_tlsext_host_name(ssl, host.c_str());
  SSL_set1_host(ssl, host.c_str());  // hostname (or IP address) verification
  return session;
}

std::unique_ptr<TlsSession> TlsSession::ClientForHost(const TlsClientContext* context, std::string_view host) {
  if (context == nullptr) return nullptr;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::string name(host);
  unsigned char address[16];
  bool literal = inet_pton(AF_INET, name.c_str(), address) == 1 || inet_pton(AF_INET6, name.c_str(), address) == 1;
  return Client(*context, name, /*send_sni=*/!literal);
}

TlsSession::~TlsSession() { SSL_free(ssl_); }

bool TlsSession::handshake_done() const { return SSL_is_init_finished(ssl_) == 1; }

void TlsSession::Feed(std::string_view ciphertext) {
  while (!ciphertext.empty()) {
    int n = BIO_write(rbio_, ciphertext.data(), static_cast<int>(std::min<size_t>(ciphertext.size(), 1 << 30)));
    if (n <= 0) return;
    ciphertext.remove_prefix(static_cast<size_t>(n));
  }
}

TlsSession::Status TlsSession::Read(std::string* plain) {
  if (!handshake_done()) {
    int r = SSL_do_handshake(ssl_);
    if (r != 1) {
      int e = SSL_get_error(ssl_, r);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return Status::kWantMore;
      if (!client_) {
        error_ = base::StrCat("TLS handshake failed: ", TakeTlsError("unexpected end"));
        return Status::kError;
      }
      long verify = SSL_get_verify_result(ssl_);
      if (verify != X509_V_OK) {
        error_ = base::StrCat("TLS certificate verification failed (", X509_verify_cert_error_string(verify), ")");
      } else {
        error_ = base::StrCat("TLS handshake failed (", TakeTlsError("TLS handshake failed"), ")");
      }
      ERR_clear_error();
      return Status::kError;
    }
  }
  char buf[16384];
  for (;;) {
    int n = SSL_read(ssl_, buf, sizeof buf);
    if (n > 0) {
      plain->append(buf, static_cast<size_t>(n));
      continue;
    }
    int e = SSL_get_error(ssl_, n);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return Status::kWantMore;
    if (e == SSL_ERROR_ZERO_RETURN) return Status::kClosed;
    error_ = base::StrCat("TLS read failed: ", TakeTlsError("protocol error"));
    return Status::kError;
  }
}

bool TlsSession::Write(std::string_view plain) {
  while (!plain.empty()) {
    int n = SSL_write(ssl_, plain.data(), static_cast<int>(std::min<size_t>(plain.size(), 1 << 30)));
    if (n <= 0) {
      error_ = base::StrCat("TLS write failed: ", TakeTlsError("protocol error"));
      return false;
    }
    plain.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void TlsSession::Shutdown() {
  if (handshake_done()) SSL_shutdown(ssl_);
  ERR_clear_error();
}

std::string_view TlsSession::version() const {
  return handshake_done() ? std::string_view(SSL_get_version(ssl_)) : std::string_view();
}

std::string_view TlsSession::cipher() const {
  const SSL_CIPHER* cipher = handshake_done() ? SSL_get_current_cipher(ssl_) : nullptr;
  return cipher != nullptr ? std::string_view(SSL_CIPHER_get_name(cipher)) : std::string_view();
}

}  // namespace atl::server
