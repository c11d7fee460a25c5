#include "assets/assets_ignore.h"

#include "config/module_rules.h"

namespace atl::assets {

IgnoreRules IgnoreRules::Parse(std::string_view text) {
  IgnoreRules out;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    // Trailing spaces are ignored unless escaped; leading ones are part of the pattern (git).
    while (!line.empty() && line.back() == ' ' && !(line.size() > 1 && line[line.size() - 2] == '\\')) {
      line.remove_suffix(1);
    }
    if (line.empty() || line.front() == '#') continue;
    Rule rule;
    if (line.front() == '!') {
      rule.negate = true;
      line.remove_prefix(1);
    } else if (line.starts_with("\\!") || line.starts_with("\\#")) {
      line.remove_prefix(1);
    }
    if (!line.empty() && line.back() == '/') {
      rule.directory_only = true;
      line.remove_suffix(1);
    }
    if (!line.empty() && line.front() == '/') {
      rule.anchored = true;
      line.remove_prefix(1);
    }
    if (line.empty()) continue;
    if (line.find('/') != std::string_view::npos) rule.anchored = true;
    // "**/x" matches x at any depth anyway; "x/**" everything inside x.
    rule.glob = std::string(line);
    out.rules_.push_back(std::move(rule));
  }
  return out;
}

bool IgnoreRules::Ignored(std::string_view path, bool is_directory) const {
  bool ignored = false;
  size_t slash = path.rfind('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  for (const Rule& rule : rules_) {
    if (rule.directory_only && !is_directory) continue;
    bool matches = rule.anchored ? config::GlobMatches(rule.glob, path) : config::GlobMatches(rule.glob, name);
    if (matches) ignored = !rule.negate;
  }
  return ignored;
}

}  // namespace atl::assets
