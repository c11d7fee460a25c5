#include "assets/asset_router.h"

namespace atl::assets {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) { return s.ends_with(suffix); }
std::string Cut(std::string_view s, size_t n) { return std::string(s.substr(0, s.size() - n)); }

// One resolution: the tenant's set and handling, and the functions of handler.ts by name.
class Resolver {
 public:
  Resolver(const AssetSet& set, config::NotFoundHandling not_found) : set_(set), not_found_(not_found) {}

  std::optional<Intent> GetIntent(std::string_view p, bool skip_redirects) {
    switch (set_.config().html_handling) {
      case config::HtmlHandling::kAutoTrailingSlash: return AutoTrailingSlash(p, skip_redirects);
      case config::HtmlHandling::kForceTrailingSlash: return ForceTrailingSlash(p, skip_redirects);
      case config::HtmlHandling::kDropTrailingSlash: return DropTrailingSlash(p, skip_redirects);
      case config::HtmlHandling::kNone: break;
    }
    if (const Asset* exact = set_.Find(p)) return Serve(exact);
    return NotFound(p);
  }

 private:
  static Intent Serve(const Asset* asset, int status = 200) { return Intent{asset, status, {}}; }

  // Redirects to `destination` when nothing is at it and it resolves to the very file `file`.
  std::optional<Intent> SafeRedirect(std::string_view file, std::string_view destination, bool skip) {
    if (skip || set_.Find(destination) != nullptr) return std::nullopt;
    std::optional<Intent> there = GetIntent(destination, /*skip_redirects=*/true);
    const Asset* target = set_.Find(file);
    if (there && there->asset != nullptr && target != nullptr && there->asset->etag == target->etag) {
      return Intent{nullptr, 200, std::string(destination)};
    }
    return std::nullopt;
  }

  std::optional<Intent> AutoTrailingSlash(std::string_view p, bool skip) {
    std::optional<Intent> r;
    const Asset* exact = set_.Find(p);
    const Asset* found = nullptr;
    if (EndsWith(p, "/index")) {
      if (exact != nullptr) return Serve(exact);
      if ((r = SafeRedirect(std::string(p) + ".html", Cut(p, 5), skip))) return r;
      if ((r = SafeRedirect(Cut(p, 6) + ".html", Cut(p, 6), skip))) return r;
    } else if (EndsWith(p, "/index.html")) {
      if ((r = SafeRedirect(p, Cut(p, 10), skip))) return r;
      if ((r = SafeRedirect(Cut(p, 11) + ".html", Cut(p, 11), skip))) return r;
    } else if (EndsWith(p, "/")) {
      if ((found = set_.Find(std::string(p) + "index.html"))) return Serve(found);
      if ((r = SafeRedirect(Cut(p, 1) + ".html", Cut(p, 1), skip))) return r;
    } else if (EndsWith(p, ".html")) {
      if ((r = SafeRedirect(p, Cut(p, 5), skip))) return r;
      if ((r = SafeRedirect(Cut(p, 5) + "/index.html", Cut(p, 5) + "/", skip))) return r;
    }
    if (exact != nullptr) return Serve(exact);
    if ((found = set_.Find(std::string(p) + ".html"))) return Serve(found);
    if ((r = SafeRedirect(std::string(p) + "/index.html", std::string(p) + "/", skip))) return r;
    return NotFound(p);
  }

  std::optional<Intent> ForceTrailingSlash(std::string_view p, bool skip) {
    std::optional<Intent> r;
    const Asset* exact = set_.Find(p);
    const Asset* found = nullptr;
    if (EndsWith(p, "/index")) {
      if (exact != nullptr) return Serve(exact);
      if ((r = SafeRedirect(std::string(p) + ".html", Cut(p, 5), skip))) return r;
      if ((r = SafeRedirect(Cut(p, 6) + ".html", Cut(p, 5), skip))) return r;
    } else if (EndsWith(p, "/index.html")) {
      if ((r = SafeRedirect(p, Cut(p, 10), skip))) return r;
      if ((r = SafeRedirect(Cut(p, 11) + ".html", Cut(p, 10), skip))) return r;
    } else if (EndsWith(p, "/")) {
      if ((found = set_.Find(std::string(p) + "index.html"))) return Serve(found);
      if ((found = set_.Find(Cut(p, 1) + ".html"))) return Serve(found);
    } else if (EndsWith(p, ".html")) {
      if ((r = SafeRedirect(p, Cut(p, 5) + "/", skip))) return r;
      if (exact != nullptr) return Serve(exact);  // both /foo.html and /foo/index.html
      if ((r = SafeRedirect(Cut(p, 5) + "/index.html", Cut(p, 5) + "/", skip))) return r;
    }
    if (exact != nullptr) return Serve(exact);
    if ((r = SafeRedirect(std::string(p) + ".html", std::string(p) + "/", skip))) return r;
    if ((r = SafeRedirect(std::string(p) + "/index.html", std::string(p) + "/", skip))) return r;
    return NotFound(p);
  }

  std::optional<Intent> DropTrailingSlash(std::string_view p, bool skip) {
    std::optional<Intent> r;
    const Asset* exact = set_.Find(p);
    const Asset* found = nullptr;
    if (EndsWith(p, "/index")) {
      if (exact != nullptr) return Serve(exact);
      if (p == "/index") {
        if ((r = SafeRedirect("/index.html", "/", skip))) return r;
      } else if ((r = SafeRedirect(Cut(p, 6) + ".html", Cut(p, 6), skip))) {
        return r;
      } else if ((r = SafeRedirect(std::string(p) + ".html", Cut(p, 6), skip))) {
        return r;
      }
    } else if (EndsWith(p, "/index.html")) {
      if (p == "/index.html") {
        if ((r = SafeRedirect("/index.html", "/", skip))) return r;
      } else if ((r = SafeRedirect(p, Cut(p, 11), skip))) {
        return r;
      } else if (exact != nullptr) {
        return Serve(exact);  // both /foo.html and /foo/index.html
      } else if ((r = SafeRedirect(Cut(p, 11) + ".html", Cut(p, 11), skip))) {
        return r;
      }
    } else if (EndsWith(p, "/")) {
      if (p == "/") {
        if ((found = set_.Find("/index.html"))) return Serve(found);
      } else if ((r = SafeRedirect(Cut(p, 1) + ".html", Cut(p, 1), skip))) {
        return r;
      } else if ((r = SafeRedirect(Cut(p, 1) + "/index.html", Cut(p, 1), skip))) {
        return r;
      }
    } else if (EndsWith(p, ".html")) {
      if ((r = SafeRedirect(p, Cut(p, 5), skip))) return r;
      if ((r = SafeRedirect(Cut(p, 5) + "/index.html", Cut(p, 5), skip))) return r;
    }
    if (exact != nullptr) return Serve(exact);
    if ((found = set_.Find(std::string(p) + ".html"))) return Serve(found);
    if ((found = set_.Find(std::string(p) + "/index.html"))) return Serve(found);
    return NotFound(p);
  }

  std::optional<Intent> NotFound(std::string_view p) {
    switch (not_found_) {
      case config::NotFoundHandling::kSinglePageApplication:
        if (const Asset* index = set_.Find("/index.html")) return Serve(index);
        return std::nullopt;
      case config::NotFoundHandling::kPage404: {
        std::string_view cwd = p;
        while (!cwd.empty()) {
          size_t slash = cwd.rfind('/');
          cwd = slash == std::string_view::npos ? cwd.substr(0, cwd.size() - 1) : cwd.substr(0, slash);
          if (const Asset* page = set_.Find(std::string(cwd) + "/404.html")) return Serve(page, 404);
        }
        return std::nullopt;
      }
      case config::NotFoundHandling::kNone: break;
    }
    return std::nullopt;
  }

  const AssetSet& set_;
  config::NotFoundHandling not_found_;
};

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Whether `s` is well-formed UTF-8 (what decodeURIComponent insists on).
bool ValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

// decodeURIComponent of one segment, or nullopt where it would throw.
std::optional<std::string> DecodeSegment(std::string_view segment) {
  std::string out;
  out.reserve(segment.size());
  for (size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] != '%') {
      out.push_back(segment[i]);
      continue;
    }
    if (i + 2 >= segment.size()) return std::nullopt;
    int hi = HexValue(segment[i + 1]), lo = HexValue(segment[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  if (!ValidUtf8(out)) return std::nullopt;
  return out;
}

}  // namespace

std::optional<Intent> Resolve(const AssetSet& set, std::string_view decoded_path, config::NotFoundHandling not_found) {
  return Resolver(set, not_found).GetIntent(decoded_path, /*skip_redirects=*/false);
}

std::string DecodePath(std::string_view path) {
  std::string joined;
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    std::string_view segment = path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    std::optional<std::string> decoded = DecodeSegment(segment);
    joined += decoded ? *decoded : std::string(segment);
    if (slash == std::string_view::npos) break;
    joined.push_back('/');
    start = slash + 1;
  }
  std::string out;
  for (char c : joined) {
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    out.push_back(c);
  }
  return out;
}

std::string EncodePath(std::string_view decoded) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : decoded) {
    auto c = static_cast<unsigned char>(ch);
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
                std::string_view("-_.!~*'()").find(ch) != std::string_view::npos;
    if (keep) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace atl::assets
