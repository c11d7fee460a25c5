// [server.tls]: the default certificate and key, and `[[server.tls.certificates]]`, more pairs
// chosen by the name a client asks for (SNI), each error naming its key path.
#include "base/strings.h"
#include "config/config_parser.h"

namespace atl::config::internal {
namespace {

constexpr std::string_view kTlsKeys = "cert, key, certificates";
constexpr std::string_view kCertificateKeys = "hosts, cert, key";

// A host a certificate is chosen for: "example.com", or "*.example.com" (any one label in front).
// Lower-cased; an error message, or empty.
std::string CheckHost(std::string* host) {
  for (char& c : *host) c = base::AsciiToLower(c);
  std::string_view name = *host;
  if (name.starts_with("*.")) name.remove_prefix(2);
  if (name.empty()) return "a host cannot be empty";
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
    if (!ok) {
      return base::StrCat("\"", *host, "\" is not a host name (letters, digits, '-', '.'; a wildcard only as \"*.\" in front; no port)");
    }
  }
  if (name.front() == '.' || name.back() == '.' || name.find("..") != std::string_view::npos) {
    return base::StrCat("\"", *host, "\" has an empty label");
  }
  return {};
}

}  // namespace

absl::Status ConfigParser::ParseTls(const toml::node& n, const toml::source_region& parent, std::string_view path,
                                    TlsConfig* out) {
  const toml::table* table = Table(n);
  if (table == nullptr) return WrongType(n, parent, path, "a table");
  const toml::source_region& here = Where(n, parent);
  bool have_cert = false, have_key = false;
  for (const Entry& e : Entries(*table)) {
    std::string key_path = Join(path, e.key);
    if (e.key == "cert" || e.key == "key") {
      absl::StatusOr<fs::path> p = FilePath(*e.value, here, key_path, /*must_exist=*/true);
      if (!p.ok()) return p.status();
      (e.key == "cert" ? out->cert : out->key) = *std::move(p);
      (e.key == "cert" ? have_cert : have_key) = true;
    } else if (e.key == "certificates") {
      if (absl::Status s = ParseTlsCertificates(*e.value, here, key_path, &out->certificates); !s.ok()) return s;
    } else {
      return Unknown(e, here, path, kTlsKeys);
    }
  }
  if (!have_cert) return Error(here, path, "missing required key \"cert\"");
  if (!have_key) return Error(here, path, "missing required key \"key\"");
  return absl::OkStatus();
}

absl::Status ConfigParser::ParseTlsCertificates(const toml::node& n, const toml::source_region& parent,
                                                std::string_view path, std::vector<TlsCertificate>* out) const {
  const toml::array* array = n.as_array();
  if (array == nullptr) return WrongType(n, parent, path, "an array of tables ([[server.tls.certificates]])");
  const toml::source_region& here = Where(n, parent);
  for (size_t i = 0; i < array->size(); ++i) {
    const toml::node& item = *array->get(i);
    std::string item_path = Index(path, i);
    const toml::table* table = item.as_table();
    if (table == nullptr) return WrongType(item, here, item_path, "a table {hosts, cert, key}");
    const toml::source_region& where = Where(item, here);
    TlsCertificate certificate;
    bool have_hosts = false, have_cert = false, have_key = false;
    for (const Entry& e : Entries(*table)) {
      std::string key_path = Join(item_path, e.key);
      const toml::node& v = *e.value;
      if (e.key == "cert" || e.key == "key") {
        absl::StatusOr<fs::path> p = FilePath(v, where, key_path, /*must_exist=*/true);
        if (!p.ok()) return p.status();
        (e.key == "cert" ? certificate.cert : certificate.key) = *std::move(p);
        (e.key == "cert" ? have_cert : have_key) = true;
      } else if (e.key == "hosts") {
        const toml::array* hosts = v.as_array();
        if (hosts == nullptr || hosts->empty()) return WrongType(v, where, key_path, "a non-empty array of host names");
        for (size_t h = 0; h < hosts->size(); ++h) {
          std::string host_path = Index(key_path, h);
          const toml::node& host_node = *hosts->get(h);
          absl::StatusOr<std::string_view> text = String(host_node, Where(v, where), host_path);
          if (!text.ok()) return text.status();
          std::string host(*text);
          if (std::string error = CheckHost(&host); !error.empty()) return Error(Where(host_node, where), host_path, error);
          for (size_t other = 0; other < out->size(); ++other) {
            for (const std::string& taken : (*out)[other].hosts) {
              if (taken == host) {
                return Error(Where(host_node, where), host_path,
                             base::StrCat("\"", host, "\" already has a certificate (", Index(path, other), ")"));
              }
            }
          }
          certificate.hosts.push_back(std::move(host));
        }
        have_hosts = true;
      } else {
        return Unknown(e, where, item_path, kCertificateKeys);
      }
    }
    if (!have_hosts) return Error(where, item_path, "missing required key \"hosts\"");
    if (!have_cert) return Error(where, item_path, "missing required key \"cert\"");
    if (!have_key) return Error(where, item_path, "missing required key \"key\"");
    out->push_back(std::move(certificate));
  }
  return absl::OkStatus();
}

}  // namespace atl::config::internal
