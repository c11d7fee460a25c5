#include <fstream>
#include <sstream>

#include "base/strings.h"
#include "config/wrangler.h"

// What a wrangler project brings besides its keys: the check of its `main` (does it need
// bundling?) and the JSON-with-comments reader of wrangler.jsonc.

namespace atl::config {
namespace {

namespace fs = std::filesystem;
using base::StrCat;

// The esbuild wrangler bundles with (package.json pins the same one for the build).
constexpr std::string_view kEsbuildVersion = "0.28.2";

bool IsBareSpecifier(std::string_view s) {
  if (s.empty()) return false;
  if (s[0] == '.' || s[0] == '/') return false;
  for (std::string_view builtin : {"node:", "cloudflare:", "workerd:"}) {
    if (s.substr(0, builtin.size()) == builtin) return false;
  }
  return s.find("://") == std::string_view::npos;
}

// The quoted specifier after `keyword` in `line` (`from "x"`, `import "x"`), or "".
std::string_view SpecifierAfter(std::string_view line, std::string_view keyword) {
  size_t at = line.rfind(keyword);
  if (at == std::string_view::npos) return {};
  size_t i = at + keyword.size();
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  if (i >= line.size() || (line[i] != '"' && line[i] != '\'')) return {};
  size_t end = line.find(line[i], i + 1);
  if (end == std::string_view::npos) return {};
  return line.substr(i + 1, end - i - 1);
}

// The first bare import of `source` (`import x from "hono"`, `import "zod"`, `export * from
// 'pkg'`, the `} from "pkg"` line of a multi-line import), or "". A scan of the lines that start
// with import, export or `}` (static imports do, in hand-written and bundled code alike), not a
// parse: comments and strings elsewhere are not mistaken for imports.
std::string FirstBareImport(std::string_view source) {
  for (std::string_view line : base::Split(source, '\n')) {
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    bool statement = line.rfind("import", 0) == 0 || line.rfind("export", 0) == 0 || line.rfind("}", 0) == 0;
    if (!statement) continue;
    if (size_t comment = line.find("//"); comment != std::string_view::npos) line = line.substr(0, comment);
    for (std::string_view keyword : {"from", "import"}) {
      std::string_view specifier = SpecifierAfter(line, keyword);
      if (IsBareSpecifier(specifier)) return std::string(specifier);
    }
  }
  return "";
}

}  // namespace

absl::Status CheckWranglerMain(const fs::path& main, const std::string& main_text, const std::string& label) {
  std::string ext = main.extension().string();
  std::string why;
  if (ext == ".ts" || ext == ".tsx" || ext == ".mts" || ext == ".cts" || ext == ".jsx") {
    why = StrCat("it is ", ext == ".jsx" ? "JSX" : "TypeScript");
  } else {
    std::ifstream in(main, std::ios::binary);
    if (!in) return absl::InvalidArgumentError(StrCat(label, ": main: file \"", main.string(), "\" does not exist"));
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string bare = FirstBareImport(buffer.str());
    if (!bare.empty()) why = StrCat("it imports the npm package \"", bare, "\"");
  }
  if (why.empty()) return absl::OkStatus();
  std::string out = StrCat("dist/", main.stem().string(), ".js");
  return absl::InvalidArgumentError(StrCat(
      label, ": main: \"", main_text, "\" needs bundling (", why, "); atoll runs JavaScript modules as they are. ",
      "Bundle it as wrangler does, from the project folder:\n  npx esbuild@", kEsbuildVersion, " ", main_text,
      " --bundle --format=esm --conditions=workerd,worker,browser --external:node:* --external:cloudflare:* --outfile=", out,
      "\nthen set main = \"", out, "\""));
}

std::string StripJsonc(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  // Comments first (strings kept as they are).
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '"') {
      size_t j = i + 1;
      while (j < text.size() && text[j] != '"') j += text[j] == '\\' ? 2 : 1;
      out.append(text.substr(i, std::min(j, text.size() - 1) - i + 1));
      i = j;
    } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
      while (i < text.size() && text[i] != '\n') ++i;
      out.push_back('\n');
    } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
      size_t end = text.find("*/", i + 2);
      i = end == std::string_view::npos ? text.size() : end + 1;
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  // Then trailing commas: a ',' followed only by whitespace before '}' or ']'.
  std::string result;
  result.reserve(out.size());
  for (size_t i = 0; i < out.size(); ++i) {
    char c = out[i];
    if (c == '"') {
      size_t j = i + 1;
      while (j < out.size() && out[j] != '"') j += out[j] == '\\' ? 2 : 1;
      result.append(out, i, std::min(j, out.size() - 1) - i + 1);
      i = j;
      continue;
    }
    if (c == ',') {
      size_t j = i + 1;
      while (j < out.size() && (out[j] == ' ' || out[j] == '\t' || out[j] == '\n' || out[j] == '\r')) ++j;
      if (j < out.size() && (out[j] == '}' || out[j] == ']')) continue;
    }
    result.push_back(c);
  }
  return result;
}

}  // namespace atl::config
