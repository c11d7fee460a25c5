#include "server/tenant_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "absl/strings/escaping.h"
#include "base/files.h"
#include "base/strings.h"

namespace atl::server {
namespace fs = std::filesystem;
namespace {

// A recursive-descent JSON reader that writes the same value as TOML (inline tables, arrays,
// basic strings). Depth is bounded.
class JsonToToml {
 public:
  explicit JsonToToml(std::string_view in) : in_(in) {}

  absl::Status Fail(std::string_view what) {
    return absl::InvalidArgumentError(base::StrCat("body: ", what, " at offset ", pos_));
  }
  void SkipSpace() {
    while (pos_ < in_.size() && (in_[pos_] == ' ' || in_[pos_] == '\t' || in_[pos_] == '\n' || in_[pos_] == '\r')) ++pos_;
  }
  bool Eat(char c) {
    SkipSpace();
    if (pos_ < in_.size() && in_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool Peek(char c) {
    SkipSpace();
    return pos_ < in_.size() && in_[pos_] == c;
  }
  bool AtEnd() {
    SkipSpace();
    return pos_ == in_.size();
  }

  // A JSON string, decoded to UTF-8.
  absl::Status String(std::string* out) {
    if (!Eat('"')) return Fail("expected a string");
    while (true) {
      if (pos_ >= in_.size()) return Fail("unterminated string");
      char c = in_[pos_++];
      if (c == '"') return absl::OkStatus();
      if (static_cast<unsigned char>(c) < 0x20) return Fail("control character in string");
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (pos_ >= in_.size()) return Fail("unterminated string");
      char e = in_[pos_++];
      switch (e) {
        case '"': case '\\': case '/': out->push_back(e); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          uint32_t cp = 0;
          if (!Hex4(&cp)) return Fail("bad \\u escape");
          if (cp >= 0xD800 && cp < 0xDC00) {
            uint32_t low = 0;
            if (pos_ + 1 < in_.size() && in_[pos_] == '\\' && in_[pos_ + 1] == 'u') {
              pos_ += 2;
              if (!Hex4(&low) || low < 0xDC00 || low >= 0xE000) return Fail("bad surrogate pair");
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else {
              cp = 0xFFFD;
            }
          } else if (cp >= 0xDC00 && cp < 0xE000) {
            cp = 0xFFFD;
          }
          AppendUtf8(cp, out);
          break;
        }
        default: return Fail("bad escape");
      }
    }
  }

  // Any JSON value, appended to `out` as TOML.
  absl::Status Value(std::string* out, int depth) {
    if (depth > 16) return Fail("nested too deeply");
    SkipSpace();
    if (pos_ >= in_.size()) return Fail("expected a value");
    char c = in_[pos_];
    if (c == '"') {
      std::string s;
      absl::Status st = String(&s);
      if (!st.ok()) return st;
      AppendTomlString(s, out);
      return absl::OkStatus();
    }
    if (c == '{') {
      ++pos_;
      out->append("{ ");
      bool first = true;
      if (!Eat('}')) {
        do {
          std::string key;
          absl::Status st = String(&key);
          if (!st.ok()) return st;
          if (!Eat(':')) return Fail("expected ':'");
          if (!first) out->append(", ");
          first = false;
          AppendTomlString(key, out);
          out->append(" = ");
          st = Value(out, depth + 1);
          if (!st.ok()) return st;
        } while (Eat(','));
        if (!Eat('}')) return Fail("expected ',' or '}'");
      }
      out->append(" }");
      return absl::OkStatus();
    }
    if (c == '[') {
      ++pos_;
      out->append("[");
      if (!Eat(']')) {
        bool first = true;
        do {
          if (!first) out->append(", ");
          first = false;
          absl::Status st = Value(out, depth + 1);
          if (!st.ok()) return st;
        } while (Eat(','));
        if (!Eat(']')) return Fail("expected ',' or ']'");
      }
      out->append("]");
      return absl::OkStatus();
    }
    for (std::string_view word : {"true", "false"}) {
      if (in_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        out->append(word);
        return absl::OkStatus();
      }
    }
    if (in_.substr(pos_, 4) == "null") return Fail("null is not a value here");
    size_t start = pos_;
    if (pos_ < in_.size() && in_[pos_] == '-') ++pos_;
    while (pos_ < in_.size() && (isdigit(static_cast<unsigned char>(in_[pos_])) || in_[pos_] == '.' ||
                                 in_[pos_] == 'e' || in_[pos_] == 'E' || in_[pos_] == '+' || in_[pos_] == '-')) {
      ++pos_;
    }
    if (pos_ == start) return Fail("unexpected character");
    out->append(in_.substr(start, pos_ - start));
    return absl::OkStatus();
  }

  // A deploy's `wasm` object: NAME -> "path relative to the deploy's folder", or
  // NAME -> {"base64": "...module bytes..."}.
  absl::Status WasmTable(std::vector<DeployWasm>* out) {
    if (!Eat('{')) return Fail("wasm: expected an object");
    if (Eat('}')) return absl::OkStatus();
    do {
      DeployWasm entry;
      absl::Status st = String(&entry.name);
      if (!st.ok()) return st;
      if (!Eat(':')) return Fail("expected ':'");
      if (Peek('"')) {
        st = String(&entry.path);
        if (!st.ok()) return st;
      } else if (Eat('{')) {
        std::string field, encoded;
        st = String(&field);
        if (!st.ok()) return st;
        if (field != "base64" || !Eat(':')) return Fail(base::StrCat("wasm.", entry.name, ": expected {\"base64\": ...}"));
        st = String(&encoded);
        if (!st.ok()) return st;
        if (!Eat('}')) return Fail("expected '}'");
        if (!absl::Base64Unescape(encoded, &entry.bytes)) {
          return absl::InvalidArgumentError(base::StrCat("wasm.", entry.name, ": not valid base64"));
        }
        entry.inline_bytes = true;
      } else {
        return Fail(base::StrCat("wasm.", entry.name, ": expected a path in the deploy's folder or {\"base64\": ...}"));
      }
      out->push_back(std::move(entry));
    } while (Eat(','));
    if (!Eat('}')) return Fail("expected ',' or '}'");
    return absl::OkStatus();
  }

  static void AppendTomlString(std::string_view s, std::string* out) {
    out->push_back('"');
    for (unsigned char c : s) {
      switch (c) {
        case '"': out->append("\\\""); break;
        case '\\': out->append("\\\\"); break;
        case '\n': out->append("\\n"); break;
        case '\r': out->append("\\r"); break;
        case '\t': out->append("\\t"); break;
        default:
          if (c < 0x20 || c == 0x7f) {
            char buffer[8];
            std::snprintf(buffer, sizeof(buffer), "\\u%04x", c);
            out->append(buffer);
          } else {
            out->push_back(static_cast<char>(c));
          }
      }
    }
    out->push_back('"');
  }

 private:
  bool Hex4(uint32_t* cp) {
    if (pos_ + 4 > in_.size()) return false;
    for (int i = 0; i < 4; ++i) {
      char h = in_[pos_++];
      *cp <<= 4;
      if (h >= '0' && h <= '9') *cp |= h - '0';
      else if (h >= 'a' && h <= 'f') *cp |= h - 'a' + 10;
      else if (h >= 'A' && h <= 'F') *cp |= h - 'A' + 10;
      else return false;
    }
    return true;
  }
  static void AppendUtf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  std::string_view in_;
  size_t pos_ = 0;
};

absl::Status Errno(std::string_view what, const fs::path& path) {
  return absl::InternalError(base::StrCat(what, " ", path.string(), ": ", std::strerror(errno)));
}

// FNV-1a, 64 bits.
uint64_t Fnv(std::string_view a, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : a) h = (h ^ c) * 1099511628211ull;
  return h;
}

// The N of "vN.js" (a version's script) or "vN.NAME.wasm" (a module it carried), or 0.
uint64_t VersionOf(const fs::path& file) {
  std::string name = file.filename().string();
  size_t dot = name.find('.');
  if (name.size() < 4 || name[0] != 'v' || dot < 2 || dot == std::string::npos) return 0;
  std::string_view rest = std::string_view(name).substr(dot);
  if (rest != ".js" && !(rest.size() > 6 && rest.ends_with(".wasm"))) return 0;
  uint64_t n = 0;
  for (char c : name.substr(1, dot - 1)) {
    if (c < '0' || c > '9') return 0;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

// A deploy's wasm binding names a file of its own folder: relative, no "..", and where it leads
// (symbolic links followed) still inside the folder.
absl::Status CheckDeployPath(const fs::path& tenant_dir, const DeployWasm& entry) {
  fs::path p(entry.path);
  bool up = false;
  for (const fs::path& part : p) up = up || part == "..";
  if (entry.path.empty() || p.is_absolute() || up) {
    return absl::InvalidArgumentError(base::StrCat(
        "wasm.", entry.name, ": a path must be relative to the deploy's folder, without \"..\" (or send {\"base64\": ...})"));
  }
  std::error_code ec;
  fs::path root = fs::canonical(tenant_dir, ec);
  fs::path target = fs::weakly_canonical(tenant_dir / p, ec);
  auto [root_end, ignored] = std::mismatch(root.begin(), root.end(), target.begin(), target.end());
  if (ec || root_end != root.end() || target == root) {
    return absl::InvalidArgumentError(base::StrCat("wasm.", entry.name, ": the path leaves the deploy's folder"));
  }
  return absl::OkStatus();
}

bool IsBindingName(std::string_view name) {
  if (name.empty() || name.size() > 64 || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name) {
    if (!(c == '_' || c == '$' || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))) return false;
  }
  return true;
}

// "# version = N, etag = E" heads tenant.toml.
void ParseHeader(std::string_view toml, uint64_t* version, std::string* etag) {
  size_t v = toml.find("# version = ");
  size_t e = toml.find(", etag = ");
  size_t end = toml.find('\n');
  if (v != 0 || e == std::string_view::npos || end == std::string_view::npos || e > end) return;
  *version = std::strtoull(std::string(toml.substr(12, e - 12)).c_str(), nullptr, 10);
  *etag = std::string(toml.substr(e + 9, end - e - 9));
}

}  // namespace

absl::StatusOr<std::string> TenantJsonToToml(std::string_view json, std::string* script,
                                             std::vector<std::string>* services, std::vector<DeployWasm>* wasm) {
  JsonToToml reader(json);
  std::string toml;
  bool have_script = false;
  if (!reader.Eat('{')) return reader.Fail("expected a JSON object");
  if (!reader.Eat('}')) {
    do {
      std::string key;
      absl::Status st = reader.String(&key);
      if (!st.ok()) return st;
      if (!reader.Eat(':')) return reader.Fail("expected ':'");
      if (key == "script") {
        script->clear();
        st = reader.String(script);
        if (!st.ok()) return st;
        have_script = true;
        continue;
      }
      if (key == "wasm") {
        // Not passed through: its paths are checked (Stage) before anything reads them.
        if (wasm == nullptr) return absl::InvalidArgumentError("body: \"wasm\" is not accepted here");
        st = reader.WasmTable(wasm);
        if (!st.ok()) return st;
        continue;
      }
      JsonToToml::AppendTomlString(key, &toml);
      toml.append(" = ");
      size_t value_start = toml.size();
      st = reader.Value(&toml, 0);
      if (!st.ok()) return st;
      toml.push_back('\n');
      if (key == "services" && services != nullptr) {
        // The targets, for the stand-in tenants the config parser wants to see.
        std::string_view value(toml.data() + value_start, toml.size() - value_start);
        size_t at = 0;
        while ((at = value.find(" = \"", at)) != std::string_view::npos) {
          size_t end = value.find('"', at + 4);
          if (end == std::string_view::npos) break;
          services->emplace_back(value.substr(at + 4, end - at - 4));
          at = end;
        }
      }
    } while (reader.Eat(','));
    if (!reader.Eat('}')) return reader.Fail("expected ',' or '}'");
  }
  if (!reader.AtEnd()) return reader.Fail("trailing bytes after the object");
  if (!have_script) return absl::InvalidArgumentError("body: \"script\" (the script's source text) is required");
  return toml;
}

absl::Status WriteFileAtomically(const fs::path& path, std::string_view bytes) {
  fs::path temp = path;
  temp += ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot create", temp);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status error = Errno("cannot write", temp);
      ::close(fd);
      return error;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    absl::Status error = Errno("cannot fsync", temp);
    ::close(fd);
    return error;
  }
  ::close(fd);
  if (::rename(temp.c_str(), path.c_str()) != 0) return Errno("cannot rename to", path);
  int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return absl::OkStatus();
}

absl::StatusOr<TenantStore::Staged> TenantStore::Stage(std::string_view name, std::string_view json,
                                                       const std::vector<std::string>& known_tenants) {
  Staged staged;
  staged.name = std::string(name);
  std::string script;
  std::vector<std::string> services;
  std::vector<DeployWasm> wasm;
  absl::StatusOr<std::string> keys = TenantJsonToToml(json, &script, &services, &wasm);
  if (!keys.ok()) return keys.status();
  fs::path tenant_dir = dir_ / name;
  std::error_code ec;
  fs::create_directories(tenant_dir, ec);
  if (ec) return absl::InternalError(base::StrCat("cannot create ", tenant_dir.string(), ": ", ec.message()));
  uint64_t last = 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(tenant_dir, ec)) {
    last = std::max(last, VersionOf(entry.path()));
  }
  staged.version = last + 1;
  staged.script_file = tenant_dir / base::StrCat("v", staged.version, ".js");
  // Wasm modules: sent bytes become files of this version; paths must stay in the folder.
  uint64_t hash = Fnv(*keys, Fnv(script));
  std::string wasm_toml;
  for (const DeployWasm& entry : wasm) {
    if (!IsBindingName(entry.name)) {
      return absl::InvalidArgumentError(base::StrCat("wasm: \"", entry.name, "\" is not a binding name"));
    }
    std::string file = entry.path;
    if (entry.inline_bytes) {
      fs::path written = tenant_dir / base::StrCat("v", staged.version, ".", entry.name, ".wasm");
      absl::Status st = WriteFileAtomically(written, entry.bytes);
      staged.wasm_files.push_back(written);
      if (!st.ok()) {
        Discard(staged);
        return st;
      }
      file = written.filename().string();
    } else if (absl::Status st = CheckDeployPath(tenant_dir, entry); !st.ok()) {
      Discard(staged);
      return st;
    }
    hash = Fnv(entry.bytes, Fnv(file, Fnv(entry.name, hash)));
    wasm_toml += wasm_toml.empty() ? "wasm = { " : ", ";
    JsonToToml::AppendTomlString(entry.name, &wasm_toml);
    wasm_toml += " = ";
    JsonToToml::AppendTomlString(file, &wasm_toml);
  }
  if (!wasm_toml.empty()) wasm_toml += " }\n";
  char etag[24];
  std::snprintf(etag, sizeof(etag), "%016llx", static_cast<unsigned long long>(hash));
  staged.etag = etag;
  std::string toml = base::StrCat("# version = ", staged.version, ", etag = ", staged.etag, "\n[[tenants]]\n");
  toml += *keys;
  toml += wasm_toml;
  toml += "name = ";
  JsonToToml::AppendTomlString(name, &toml);
  toml += "\nscript = ";
  JsonToToml::AppendTomlString(staged.script_file.filename().string(), &toml);
  toml += "\n";
  // Stand-ins for the tenants its service bindings name (they live elsewhere in the server).
  std::string stand_ins;
  for (const std::string& target : services) {
    if (target == name) continue;
    bool known = false;
    for (const std::string& k : known_tenants) known = known || k == target;
    if (!known) continue;  // the parser names it as unknown
    stand_ins += "[[tenants]]\nname = ";
    JsonToToml::AppendTomlString(target, &stand_ins);
    stand_ins += "\nscript = ";
    JsonToToml::AppendTomlString(staged.script_file.filename().string(), &stand_ins);
    stand_ins += "\n";
  }
  toml += stand_ins;
  staged.toml = toml;
  absl::Status written = WriteFileAtomically(staged.script_file, script);
  if (!written.ok()) return written;
  absl::StatusOr<config::Config> parsed = config::ParseConfig(WithServer(toml), tenant_dir / "tenant.toml");
  if (!parsed.ok() || parsed->tenants.empty()) {
    Discard(staged);
    // "FILE:LINE:COL: tenants[0].key: message": the key path is what the client can act on,
    // and files are named as in the deploy (no host path).
    std::string message(parsed.ok() ? "no tenant" : parsed.status().message());
    size_t at = message.find("tenants[0].");
    if (at != std::string::npos) message = message.substr(at + 11);
    std::string folder = base::StrCat(tenant_dir.lexically_normal().string(), "/");
    for (size_t pos; (pos = message.find(folder)) != std::string::npos;) message.erase(pos, folder.size());
    return absl::InvalidArgumentError(message);
  }
  staged.config = std::move(parsed->tenants[0]);
  return staged;
}

absl::Status TenantStore::Commit(const Staged& staged) {
  fs::path tenant_dir = dir_ / staged.name;
  absl::Status written = WriteFileAtomically(tenant_dir / "tenant.toml", staged.toml);
  if (!written.ok()) return written;
  std::error_code ec;
  fs::remove(tenant_dir / "deleted", ec);
  // Older scripts are no longer referred to; the newest number stays in use.
  for (const fs::directory_entry& entry : fs::directory_iterator(tenant_dir, ec)) {
    uint64_t version = VersionOf(entry.path());
    if (version != 0 && version < staged.version) fs::remove(entry.path(), ec);
  }
  return absl::OkStatus();
}

void TenantStore::Discard(const Staged& staged) {
  std::error_code ec;
  fs::remove(staged.script_file, ec);
  for (const fs::path& file : staged.wasm_files) fs::remove(file, ec);
}

std::string TenantStore::WithServer(std::string_view toml) const {
  // The server's admin_token_env, so that the parser refuses it as a secret (after the tenant:
  // line numbers in messages stay those of tenant.toml).
  std::string text(toml);
  text += "\n[server]\nadmin_token_env = ";
  JsonToToml::AppendTomlString(admin_token_env_, &text);
  text += "\n";
  return text;
}

absl::Status TenantStore::Remove(std::string_view name) {
  fs::path tenant_dir = dir_ / name;
  std::error_code ec;
  fs::create_directories(tenant_dir, ec);
  absl::Status written = WriteFileAtomically(tenant_dir / "deleted", "");
  if (!written.ok()) return written;
  fs::remove(tenant_dir / "tenant.toml", ec);
  return absl::OkStatus();
}

absl::StatusOr<TenantStore::Loaded> TenantStore::Load() const {
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) return Loaded();
  std::vector<fs::path> dirs;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir_, ec)) {
    if (entry.is_directory()) dirs.push_back(entry.path());
  }
  std::sort(dirs.begin(), dirs.end());
  return LoadDirs(dirs);
}

absl::StatusOr<TenantStore::Loaded> TenantStore::LoadOne(std::string_view name) const {
  std::error_code ec;
  fs::path tenant_dir = dir_ / std::string(name);
  if (!fs::is_directory(tenant_dir, ec)) return Loaded();
  return LoadDirs({tenant_dir});
}

TenantStore::Lock::Lock(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  fd_ = open((dir / ".deploy.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ >= 0) flock(fd_, LOCK_EX);
}

TenantStore::Lock::~Lock() {
  if (fd_ >= 0) close(fd_);  // releases the lock
}

absl::StatusOr<TenantStore::Loaded> TenantStore::LoadDirs(const std::vector<fs::path>& dirs) const {
  Loaded loaded;
  std::error_code ec;
  for (const fs::path& tenant_dir : dirs) {
    std::string name = tenant_dir.filename().string();
    if (fs::exists(tenant_dir / "deleted", ec)) {
      loaded.deleted.push_back(name);
      continue;
    }
    fs::path file = tenant_dir / "tenant.toml";
    if (!fs::exists(file, ec)) continue;  // staged, never committed
    absl::StatusOr<std::string> text = base::ReadFile(file);
    if (!text.ok()) return text.status();
    absl::StatusOr<config::Config> parsed = config::ParseConfig(WithServer(*text), file);
    if (!parsed.ok()) return parsed.status();
    if (parsed->tenants.empty() || parsed->tenants[0].name != name) {
      return absl::InvalidArgumentError(base::StrCat(file.string(), ": not the tenant ", name));
    }
    uint64_t version = 0;
    std::string etag;
    ParseHeader(*text, &version, &etag);
    loaded.tenants.push_back(std::move(parsed->tenants[0]));
    loaded.versions.push_back(version);
    loaded.etags.push_back(etag);
  }
  return loaded;
}

}  // namespace atl::server
