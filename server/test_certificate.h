#pragma once
// A self-signed test certificate and key as PEM files (tls_test.cc, stream_socket_test.cc).
// Test-only.

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <arpa/inet.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace atl::server::testing {

// A self-signed P-256 certificate for `common_name`, written as PEM files in a temp folder.
class TlsFiles {
 public:
  // `tag` tells apart the folders of several TlsFiles in one test.
  explicit TlsFiles(const char* common_name = "127.0.0.1", const std::string& tag = "") {
    dir_ = std::filesystem::temp_directory_path() /
           ("atoll_tls_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + tag);
    std::filesystem::create_directories(dir_);
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    // An IP address is matched against the certificate's IP subjectAltName only (never the CN).
    if (IsIPv4(common_name)) {
      std::string san = std::string("IP:") + common_name;
      X509V3_CTX ctx;
      X509V3_set_ctx_nodb(&ctx);
      X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
      if (X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str())) {
        X509_add_ext(cert, ext, -1);
        X509_EXTENSION_free(ext);
      }
    }
    X509_sign(cert, key, EVP_sha256());
    FILE* f = std::fopen(cert_path().c_str(), "w");
    PEM_write_X509(f, cert);
    std::fclose(f);
    f = std::fopen(key_path().c_str(), "w");
    PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    X509_free(cert);
    EVP_PKEY_free(key);
  }
  ~TlsFiles() { std::filesystem::remove_all(dir_); }
  static bool IsIPv4(const char* text) {
    unsigned char buf[4];
    return inet_pton(AF_INET, text, buf) == 1;
  }
  std::filesystem::path cert_path() const { return dir_ / "cert.pem"; }
  std::filesystem::path key_path() const { return dir_ / "key.pem"; }
  std::filesystem::path Write(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }

 private:
  std::filesystem::path dir_;
};

}  // namespace atl::server::testing
