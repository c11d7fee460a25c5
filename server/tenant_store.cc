#include "server/tenant_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <system_error>

#include "base/files.h"
#include "base/strings.h"

namespace atl::server {
namespace fs = std::filesystem;
namespace {

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

// "# version = N, etag = E" heads tenant.toml, and ", revision = R" in cluster mode.
void ParseHeader(std::string_view toml, uint64_t* version, std::string* etag, uint64_t* revision) {
  size_t v = toml.find("# version = ");
  size_t e = toml.find(", etag = ");
  size_t end = toml.find('\n');
  if (v != 0 || e == std::string_view::npos || end == std::string_view::npos || e > end) return;
  *version = std::strtoull(std::string(toml.substr(12, e - 12)).c_str(), nullptr, 10);
  std::string_view rest = toml.substr(e + 9, end - e - 9);
  size_t r = rest.find(", revision = ");
  if (r != std::string_view::npos) {
    *revision = std::strtoull(std::string(rest.substr(r + 13)).c_str(), nullptr, 10);
    rest = rest.substr(0, r);
  }
  *etag = std::string(rest);
}

}  // namespace

absl::StatusOr<TenantStore::Staged> TenantStore::Stage(std::string_view name, std::string_view json,
                                                       const std::vector<std::string>& known_tenants, uint64_t revision) {
  Staged staged;
  staged.name = std::string(name);
  staged.revision = revision;
  std::string script;
  std::vector<std::string> services;
  std::vector<DeployWasm> wasm;
  absl::StatusOr<std::string> keys = config::TenantJsonToToml(json, &script, &services, &wasm);
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
      absl::Status st = base::WriteFileAtomically(written, entry.bytes, /*durable=*/true);
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
    config::AppendTomlString(entry.name, &wasm_toml);
    wasm_toml += " = ";
    config::AppendTomlString(file, &wasm_toml);
  }
  if (!wasm_toml.empty()) wasm_toml += " }\n";
  char etag[24];
  std::snprintf(etag, sizeof(etag), "%016llx", static_cast<unsigned long long>(hash));
  staged.etag = etag;
  std::string toml = base::StrCat("# version = ", staged.version, ", etag = ", staged.etag);
  if (revision != 0) toml += base::StrCat(", revision = ", revision);
  toml += "\n[[tenants]]\n";
  toml += *keys;
  toml += wasm_toml;
  toml += "name = ";
  config::AppendTomlString(name, &toml);
  toml += "\nscript = ";
  config::AppendTomlString(staged.script_file.filename().string(), &toml);
  toml += "\n";
  // Stand-ins for the tenants its service bindings name (they live elsewhere in the server).
  std::string stand_ins;
  for (const std::string& target : services) {
    if (target == name) continue;
    bool known = false;
    for (const std::string& k : known_tenants) known = known || k == target;
    if (!known) continue;  // the parser names it as unknown
    stand_ins += "[[tenants]]\nname = ";
    config::AppendTomlString(target, &stand_ins);
    stand_ins += "\nscript = ";
    config::AppendTomlString(staged.script_file.filename().string(), &stand_ins);
    stand_ins += "\n";
  }
  toml += stand_ins;
  staged.toml = toml;
  absl::Status written = base::WriteFileAtomically(staged.script_file, script, /*durable=*/true);
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
  absl::Status written = base::WriteFileAtomically(tenant_dir / "tenant.toml", staged.toml,
                                                       /*durable=*/true);
  if (!written.ok()) return written;
  std::error_code ec;
  fs::remove(tenant_dir / "deleted", ec);
  // Scripts older than the previous version are no longer referred to. The previous one stays:
  // a worker that read its tenant.toml just before this commit may still load it until this
  // deploy reaches it (tests/hostile_deploy_test.cc).
  for (const fs::directory_entry& entry : fs::directory_iterator(tenant_dir, ec)) {
    uint64_t version = VersionOf(entry.path());
    if (version != 0 && version + 1 < staged.version) fs::remove(entry.path(), ec);
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
  config::AppendTomlString(admin_token_env_, &text);
  text += "\n";
  return text;
}

absl::Status TenantStore::Remove(std::string_view name) {
  fs::path tenant_dir = dir_ / name;
  std::error_code ec;
  fs::create_directories(tenant_dir, ec);
  absl::Status written = base::WriteFileAtomically(tenant_dir / "deleted", "", /*durable=*/true);
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
    uint64_t revision = 0;
    ParseHeader(*text, &version, &etag, &revision);
    loaded.tenants.push_back(std::move(parsed->tenants[0]));
    loaded.versions.push_back(version);
    loaded.etags.push_back(etag);
    loaded.revisions.push_back(revision);
  }
  return loaded;
}

}  // namespace atl::server
