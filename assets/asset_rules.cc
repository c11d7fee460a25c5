#include "assets/asset_rules.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "base/strings.h"

namespace atl::assets {
namespace {

using base::StrCat;

constexpr size_t kMaxStaticRedirects = 2000;
constexpr size_t kMaxDynamicRedirects = 100;
constexpr size_t kMaxHeaderRules = 100;

bool NameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool NameChar(char c) { return NameStart(c) || (c >= '0' && c <= '9') || c == '_'; }

// RFC 9110's token (a field name) and a field value without control characters (tabs aside):
// what goes on the wire as it is (the Headers class checks a Worker's; these skip it).
bool ValidFieldName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

bool ValidFieldValue(std::string_view value) {
  return std::none_of(value.begin(), value.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7f;
  });
}

bool ValidSource(std::string_view s) { return s.starts_with('/') || s.starts_with("https://"); }

// "https://host" + path: the subject of a cross-host pattern (the host without its port).
std::string CrossHostSubject(std::string_view host, std::string_view path) {
  host = host.substr(0, host.find(':'));
  return StrCat("https://", host, path);
}

}  // namespace

RulePattern::RulePattern(std::string_view pattern) : text_(pattern), cross_host_(pattern.starts_with("https://")) {
  size_t host_end = cross_host_ ? pattern.find('/', 8) : 0;
  for (size_t i = 0; i < pattern.size();) {
    bool in_host = cross_host_ && i < host_end;
    if (pattern[i] == '*') {
      tokens_.push_back({Token::kSplat, "splat", in_host});
      is_static_ = false;
      ++i;
    } else if (pattern[i] == ':' && i + 1 < pattern.size() && NameStart(pattern[i + 1])) {
      size_t end = i + 1;
      while (end < pattern.size() && NameChar(pattern[end])) ++end;
      tokens_.push_back({Token::kPlaceholder, std::string(pattern.substr(i + 1, end - i - 1)), in_host});
      is_static_ = false;
      i = end;
    } else {
      if (tokens_.empty() || tokens_.back().kind != Token::kLiteral) tokens_.push_back({Token::kLiteral, "", in_host});
      tokens_.back().text.push_back(pattern[i]);
      ++i;
    }
  }
}

bool RulePattern::MatchFrom(size_t token, std::string_view rest, std::vector<std::pair<std::string, std::string>>* out) const {
  if (token == tokens_.size()) return rest.empty();
  const Token& t = tokens_[token];
  if (t.kind == Token::kLiteral) return rest.starts_with(t.text) && MatchFrom(token + 1, rest.substr(t.text.size()), out);
  size_t longest = rest.size();
  size_t shortest = 0;
  if (t.kind == Token::kPlaceholder) {
    longest = std::min(rest.find('/'), t.in_host ? rest.find('.') : std::string_view::npos);
    longest = std::min(longest, rest.size());
    shortest = 1;
  }
  for (size_t n = longest + 1; n-- > shortest;) {  // greedy, as the regular expression is
    out->emplace_back(t.text, std::string(rest.substr(0, n)));
    if (MatchFrom(token + 1, rest.substr(n), out)) return true;
    out->pop_back();
  }
  return false;
}

std::optional<std::vector<std::pair<std::string, std::string>>> RulePattern::Match(std::string_view subject) const {
  std::vector<std::pair<std::string, std::string>> captures;
  if (!MatchFrom(0, subject, &captures)) return std::nullopt;
  return captures;
}

std::string Substitute(std::string_view text, const std::vector<std::pair<std::string, std::string>>& captures) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    if (text[i] == ':' && i + 1 < text.size() && NameStart(text[i + 1])) {
      size_t end = i + 1;
      while (end < text.size() && NameChar(text[end])) ++end;
      std::string_view name = text.substr(i + 1, end - i - 1);
      auto it = std::find_if(captures.begin(), captures.end(), [&](const auto& c) { return c.first == name; });
      out += it == captures.end() ? text.substr(i, end - i) : std::string_view(it->second);
      i = end;
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

AssetRules AssetRules::Parse(std::string_view redirects, std::string_view headers, std::vector<std::string>* problems) {
  AssetRules rules;
  size_t statics = 0, dynamics = 0, number = 0;
  for (std::string_view raw : base::Split(redirects, '\n')) {
    ++number;
    std::string_view line = base::StripAsciiWhitespace(raw);
    if (line.empty() || line.front() == '#') continue;
    std::vector<std::string_view> words = base::SplitWords(line);
    auto problem = [&](std::string_view why) { problems->push_back(StrCat("_redirects:", number, ": ", why)); };
    if (words.size() < 2 || words.size() > 3) {
      problem("expected \"from to [status]\"");
      continue;
    }
    int status = 302;
    if (words.size() == 3) {
      std::string_view s = words[2];
      status = s == "200" ? 200 : s == "301" ? 301 : s == "302" ? 302 : s == "303" ? 303 : s == "307" ? 307 : s == "308" ? 308 : 0;
      if (status == 0) {
        problem(StrCat("status ", s, " is not one of 200, 301, 302, 303, 307, 308"));
        continue;
      }
    }
    if (!ValidSource(words[0])) {
      problem(StrCat("\"", words[0], "\" must start with \"/\" or \"https://\""));
      continue;
    }
    if (status == 200 && !words[1].starts_with('/')) {
      problem("a 200 rule (a rewrite) needs a destination path on this site");
      continue;
    }
    RulePattern from(words[0]);
    if (from.is_static()) {
      bool duplicate = std::any_of(rules.redirects_.begin(), rules.redirects_.end(),
                                   [&](const RedirectRule& r) { return r.from.text() == from.text(); });
      if (duplicate) {
        problem(StrCat("\"", words[0], "\" has a rule already; this one is left out"));
        continue;
      }
      if (++statics > kMaxStaticRedirects) {
        problem(StrCat("more than ", kMaxStaticRedirects, " static rules"));
        continue;
      }
    } else if (++dynamics > kMaxDynamicRedirects) {
      problem(StrCat("more than ", kMaxDynamicRedirects, " rules with * or :placeholders"));
      continue;
    }
    rules.redirects_.push_back({std::move(from), status, std::string(words[1])});
  }
  number = 0;
  bool in_rule = false;
  for (std::string_view raw : base::Split(headers, '\n')) {
    ++number;
    auto problem = [&](std::string_view why) { problems->push_back(StrCat("_headers:", number, ": ", why)); };
    std::string_view line = base::StripAsciiWhitespace(raw);
    if (line.empty() || line.front() == '#') continue;
    bool indented = raw.front() == ' ' || raw.front() == '\t';
    if (!indented) {
      in_rule = false;
      if (!ValidSource(line)) {
        problem(StrCat("\"", line, "\" must start with \"/\" or \"https://\" (header lines are indented)"));
        continue;
      }
      if (rules.headers_.size() >= kMaxHeaderRules) {
        problem(StrCat("more than ", kMaxHeaderRules, " rules"));
        continue;
      }
      rules.headers_.push_back({RulePattern(line), {}, {}});
      in_rule = true;
      continue;
    }
    if (!in_rule) {
      problem("a header line without a path line before it");
      continue;
    }
    HeaderRule& rule = rules.headers_.back();
    if (line.front() == '!') {
      std::string name(base::StripAsciiWhitespace(line.substr(1)));
      absl::AsciiStrToLower(&name);
      if (!ValidFieldName(name)) {
        problem("expected \"! Name\" with a header name");
        continue;
      }
      rule.unset.push_back(std::move(name));
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      problem("expected \"Name: value\" or \"! Name\"");
      continue;
    }
    std::string name(base::StripAsciiWhitespace(line.substr(0, colon)));
    absl::AsciiStrToLower(&name);
    std::string_view value = base::StripAsciiWhitespace(line.substr(colon + 1));
    if (!ValidFieldName(name) || !ValidFieldValue(value)) {
      problem("not a valid header (a name of token characters, a value without control characters)");
      continue;
    }
    rule.set.emplace_back(std::move(name), std::string(value));
  }
  return rules;
}

std::optional<Redirect> AssetRules::RedirectFor(std::string_view host, std::string_view path) const {
  std::string cross = CrossHostSubject(host, path);
  for (bool statics : {true, false}) {
    for (const RedirectRule& rule : redirects_) {
      if (rule.from.is_static() != statics) continue;
      auto captures = rule.from.Match(rule.from.cross_host() ? std::string_view(cross) : path);
      if (captures) return Redirect{rule.status, Substitute(rule.to, *captures)};
    }
  }
  return std::nullopt;
}

std::vector<HeaderChange> AssetRules::HeadersFor(std::string_view host, std::string_view path) const {
  std::vector<HeaderChange> out;
  std::string cross;
  for (const HeaderRule& rule : headers_) {
    if (rule.path.cross_host() && cross.empty()) cross = CrossHostSubject(host, path);
    auto captures = rule.path.Match(rule.path.cross_host() ? std::string_view(cross) : path);
    if (!captures) continue;
    HeaderChange change;
    change.unset = rule.unset;
    for (const auto& [name, value] : rule.set) change.set.emplace_back(name, Substitute(value, *captures));
    out.push_back(std::move(change));
  }
  return out;
}

}  // namespace atl::assets
