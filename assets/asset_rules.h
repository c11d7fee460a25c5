#pragma once
// The `_redirects` and `_headers` files of an assets folder, as Workers Static Assets reads them
// (https://developers.cloudflare.com/workers/static-assets/redirects/,
// https://developers.cloudflare.com/workers/static-assets/headers/):
//
//   _redirects: "/old /new 301" lines; the status 301, 302 (the default), 303, 307, 308, or 200
//     (the request is served the asset at the destination, its URL unchanged); a rule without
//     `*` or `:name` (static) wins over the others, which are tried in file order.
//   _headers:   a path line, then indented "Name: value" lines ("! Name" removes one); every
//     matching rule applies in file order, a header two rules set gets both values.
//
// Patterns match the request's path, or "https://host/path" when they start with "https://":
// `*` is any run of characters (its value `:splat`), `:name` a run without "/" (in a host,
// without "." either); destinations and header values may use both. Lines that break the rules
// are left out and reported (`problems`), as wrangler warns and uploads the rest.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace atl::assets {

// A compiled pattern and what it captured in a path.
class RulePattern {
 public:
  explicit RulePattern(std::string_view pattern);
  bool cross_host() const { return cross_host_; }
  bool is_static() const { return is_static_; }
  const std::string& text() const { return text_; }
  // The captures (name, value) when `subject` matches whole; nullopt otherwise.
  std::optional<std::vector<std::pair<std::string, std::string>>> Match(std::string_view subject) const;

 private:
  struct Token {
    enum Kind { kLiteral, kSplat, kPlaceholder } kind;
    std::string text;  // the literal, or the placeholder's name
    bool in_host = false;
  };
  bool MatchFrom(size_t token, std::string_view rest, std::vector<std::pair<std::string, std::string>>* out) const;

  std::string text_;
  std::vector<Token> tokens_;
  bool cross_host_ = false;
  bool is_static_ = true;
};

// `text` with every ":name" that `captures` has replaced by its value.
std::string Substitute(std::string_view text, const std::vector<std::pair<std::string, std::string>>& captures);

struct Redirect {
  int status = 302;
  std::string to;  // the destination, placeholders substituted
};

struct HeaderChange {
  std::vector<std::pair<std::string, std::string>> set;  // lower-case names, values substituted
  std::vector<std::string> unset;                        // lower-case names
};

class AssetRules {
 public:
  // Parses the files' text (either may be empty); lines left out are described in `problems`.
  static AssetRules Parse(std::string_view redirects, std::string_view headers, std::vector<std::string>* problems);

  // The redirect for a request to `host` and `path` (as the URL carries it), if a rule matches.
  std::optional<Redirect> RedirectFor(std::string_view host, std::string_view path) const;
  // The headers to change on an answer to that request, rule by rule.
  std::vector<HeaderChange> HeadersFor(std::string_view host, std::string_view path) const;
  bool empty() const { return redirects_.empty() && headers_.empty(); }

 private:
  struct RedirectRule {
    RulePattern from;
    int status;
    std::string to;
  };
  struct HeaderRule {
    RulePattern path;
    std::vector<std::pair<std::string, std::string>> set;
    std::vector<std::string> unset;
  };
  std::vector<RedirectRule> redirects_;
  std::vector<HeaderRule> headers_;
};

}  // namespace atl::assets
