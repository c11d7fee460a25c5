#include "bindings/streams_context.h"

#include <algorithm>
#include <cstdlib>
#include <system_error>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <set>
#include <tuple>
#include <vector>

namespace atl::bindings {
namespace {

// A bundle past these is not scanned further (the answer is then no).
constexpr size_t kMaxFiles = 512;
constexpr size_t kMaxBytes = size_t{32} << 20;

// The streams module's globals (registry.cc's "streams" unit), the lazy modules that load it at
// their top level or for their main use (encoding_streams, compression, workers_streams,
// html_rewriter, node:stream/web, node:stream), the members only a stream has, KV's and Blob's
// stream forms, and a body read as a stream. fetch() loads streams too, but "fetch" is every
// module worker's handler name: a tenant that only fetches loads it lazily.
constexpr std::string_view kTokens[] = {
    "ReadableStream", "WritableStream", "TransformStream", "ByteLengthQueuingStrategy", "CountQueuingStrategy",
    "TextEncoderStream", "TextDecoderStream", "CompressionStream", "DecompressionStream", "IdentityTransformStream",
    "FixedLengthStream", "DigestStream", "HTMLRewriter", "getReader", "getWriter", "pipeTo", "pipeThrough",
    ".tee(", ".stream(", "stream/web", "\"stream\"", "'stream'", ".body",
};

bool IsIdentifierChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$';
}

bool IsScript(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  return ext == ".js" || ext == ".mjs" || ext == ".cjs";
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The relative specifiers ("./x.js", "../y.mjs") of `source`'s static imports, re-exports,
// import() and require() calls with a literal: a string literal right after `from`, `import`,
// `import(` or `require(`.
std::vector<std::string> RelativeImports(std::string_view source) {
  std::vector<std::string> out;
  for (std::string_view keyword : {"from", "import", "require"}) {
    for (size_t at = source.find(keyword); at != std::string_view::npos; at = source.find(keyword, at + 1)) {
      if (at > 0 && IsIdentifierChar(source[at - 1])) continue;
      size_t i = at + keyword.size();
      while (i < source.size() && (IsSpace(source[i]) || source[i] == '(')) ++i;
      if (i >= source.size() || (source[i] != '"' && source[i] != '\'' && source[i] != '`')) continue;
      char quote = source[i];
      size_t end = source.find(quote, i + 1);
      if (end == std::string_view::npos) continue;
      std::string_view specifier = source.substr(i + 1, end - i - 1);
      if (specifier.starts_with("./") || specifier.starts_with("../")) out.emplace_back(specifier);
    }
  }
  return out;
}

// Scans `script` and the JS modules it imports (transitively, by their relative specifiers).
bool Scan(const std::filesystem::path& script) {
  std::vector<std::filesystem::path> pending = {script.lexically_normal()};
  // As the module loader (isolates/script_loader.cc): an import never leaves the script's folder,
  // so the scan reads no file outside it.
  const std::filesystem::path root = pending.front().parent_path();
  auto inside = [&root](const std::filesystem::path& path) {
    return std::mismatch(root.begin(), root.end(), path.begin(), path.end()).first == root.end();
  };
  std::set<std::filesystem::path> seen(pending.begin(), pending.end());
  size_t bytes = 0;
  while (!pending.empty()) {
    if (seen.size() > kMaxFiles || bytes > kMaxBytes) return false;
    std::filesystem::path path = std::move(pending.back());
    pending.pop_back();
    std::ifstream in(path, std::ios::binary);
    if (!in) continue;
    std::ostringstream text;
    text << in.rdbuf();
    std::string source = std::move(text).str();
    bytes += source.size();
    if (NamesStreams(source)) return true;
    for (const std::string& specifier : RelativeImports(source)) {
      std::filesystem::path imported = (path.parent_path() / specifier).lexically_normal();
      if (IsScript(imported) && inside(imported) && seen.insert(imported).second) pending.push_back(std::move(imported));
    }
  }
  return false;
}

}  // namespace

std::span<const std::string_view> StreamsContextTokens() { return kTokens; }

bool NamesStreams(std::string_view text) {
  for (std::string_view token : kTokens) {
    for (size_t at = text.find(token); at != std::string_view::npos; at = text.find(token, at + 1)) {
      if (token != ".body") return true;
      size_t end = at + token.size();
      if (end == text.size() || !IsIdentifierChar(text[end])) return true;
    }
  }
  return false;
}

bool StreamsContextWanted(const std::filesystem::path& script) {
  if (const char* knob = std::getenv("ATOLL_STREAMS_SNAPSHOT"); knob != nullptr && std::string_view(knob) == "0") {
    return false;
  }
  std::error_code error;
  auto size = std::filesystem::file_size(script, error);
  if (error) return false;
  auto mtime = std::filesystem::last_write_time(script, error);
  if (error) return false;
  using Key = std::tuple<std::string, uintmax_t, std::filesystem::file_time_type>;
  static std::mutex mutex;
  static auto* answers = new std::map<Key, bool>();
  Key key{script.string(), size, mtime};
  {
    std::lock_guard lock(mutex);
    if (auto it = answers->find(key); it != answers->end()) return it->second;
  }
  bool wanted = Scan(script);
  std::lock_guard lock(mutex);
  if (answers->size() > 4096) answers->clear();
  (*answers)[key] = wanted;
  return wanted;
}

}  // namespace atl::bindings
