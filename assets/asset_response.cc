#include "assets/asset_response.h"

#include <algorithm>

#include "assets/asset_router.h"

namespace atl::assets {
namespace {

// What Workers sends with every asset: revalidate each time, the ETag makes that cheap.
constexpr std::string_view kCacheControl = "public, max-age=0, must-revalidate";

// `*` matches any run of characters (slashes too); the whole path must match.
bool WildcardMatches(std::string_view pattern, std::string_view path) {
  size_t p = 0, s = 0, star = std::string_view::npos, mark = 0;
  while (s < path.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = s;
    } else if (p < pattern.size() && pattern[p] == path[s]) {
      ++p;
      ++s;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      s = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool AnyMatches(const std::vector<std::string>& patterns, std::string_view path) {
  for (const std::string& pattern : patterns) {
    if (WildcardMatches(pattern, path)) return true;
  }
  return false;
}

bool IfNoneMatchHits(std::string_view header, std::string_view etag) {
  std::string strong = "\"" + std::string(etag) + "\"";
  return header == strong || header == "W/" + strong;
}

// A redirect's Location: the destination, with the request's query unless it has its own.
std::string LocationOf(std::string_view to, std::string_view search) {
  size_t hash_at = to.find('#');
  std::string_view hash = hash_at == std::string_view::npos ? std::string_view() : to.substr(hash_at);
  to = to.substr(0, hash_at);
  size_t query_at = to.find('?');
  std::string_view own = query_at == std::string_view::npos ? std::string_view() : to.substr(query_at);
  return std::string(to.substr(0, query_at)) + std::string(own.empty() ? search : own) + std::string(hash);
}

// _headers' rules on an answer: "! Name" removes, a header set by an earlier rule gets a second
// value, otherwise the rule's value replaces the answer's.
void ApplyHeaderRules(const AssetSet& set, const AssetRequest& request, AssetResponse* out) {
  std::vector<std::string> set_by_rules;
  auto erase = [&](std::string_view name) {
    std::erase_if(out->headers, [&](const auto& header) { return header.first == name; });
  };
  for (const HeaderChange& change : set.rules().HeadersFor(request.host, request.path)) {
    for (const std::string& name : change.unset) erase(name);
    for (const auto& [name, value] : change.set) {
      if (std::find(set_by_rules.begin(), set_by_rules.end(), name) == set_by_rules.end()) {
        erase(name);
        set_by_rules.push_back(name);
      }
      out->headers.emplace_back(name, value);
    }
  }
}

// The assets' answer; with `worker_follows`, nullopt where Workers' router would hand the
// request to the Worker instead: no rule and no asset at its path (not_found_handling counts
// for a navigation only). The one resolution both the router's question and the answer use.
std::optional<AssetResponse> Answer(const AssetSet& set, const AssetRequest& request, bool worker_follows) {
  AssetResponse out;
  std::string rewritten;
  std::string_view path = request.path;
  if (std::optional<Redirect> redirect = set.rules().RedirectFor(request.host, request.path)) {
    if (redirect->status != 200) {
      out.status = redirect->status;
      out.headers.emplace_back("location", LocationOf(redirect->to, request.search));
      return out;
    }
    rewritten = redirect->to.substr(0, redirect->to.find_first_of("?#"));  // served as that path
    path = rewritten;
  }
  std::string decoded = DecodePath(path);
  // The router's question (a rule that matched answers it: the answer is the assets' whatever
  // the path resolves to); not_found_handling counts in it for a navigation only.
  bool router_asks = worker_follows && rewritten.empty();
  bool without_not_found = router_asks && !request.navigate;
  config::NotFoundHandling not_found = set.config().not_found_handling;
  std::optional<Intent> intent = Resolve(set, decoded, without_not_found ? config::NotFoundHandling::kNone : not_found);
  if (!intent && router_asks) return std::nullopt;
  // The answer as served resolves with the tenant's not_found_handling (its redirect checks
  // consult it too); only a tenant that has one pays a second resolution.
  if (intent && without_not_found && not_found != config::NotFoundHandling::kNone) intent = Resolve(set, decoded, not_found);
  if (!intent) return out;  // 404
  if (request.method != "GET" && request.method != "HEAD") {
    out.status = 405;
    return out;
  }
  std::string destination = EncodePath(intent->redirect.empty() ? decoded : intent->redirect);
  if (!intent->redirect.empty() || (intent->asset != nullptr && destination != path)) {
    out.status = 307;
    out.headers.emplace_back("location", destination + std::string(request.search));
    return out;
  }
  const Asset& asset = *intent->asset;
  out.headers.emplace_back("etag", "\"" + asset.etag + "\"");
  out.headers.emplace_back("content-type", asset.content_type);
  if (request.cacheable) out.headers.emplace_back("cache-control", std::string(kCacheControl));
  if (IfNoneMatchHits(request.if_none_match, asset.etag)) {
    out.status = 304;
    return out;
  }
  out.status = intent->status;
  out.body = asset.body;
  return out;
}

}  // namespace

void AssetRequest::SetUrl(std::string_view url) {
  if (size_t scheme = url.find("://"); scheme != std::string_view::npos) {
    size_t slash = url.find('/', scheme + 3);
    host = url.substr(scheme + 3, slash == std::string_view::npos ? std::string_view::npos : slash - scheme - 3);
    url = slash == std::string_view::npos ? std::string_view("/") : url.substr(slash);
  }
  url = url.substr(0, url.find('#'));
  size_t query = url.find('?');
  path = url.substr(0, query);
  search = query == std::string_view::npos ? std::string_view() : url.substr(query);
  if (path.empty()) path = "/";
}

std::optional<AssetResponse> AnswerAheadOfWorker(const AssetSet& set, const AssetRequest& request) {
  std::optional<AssetResponse> out = Answer(set, request, /*worker_follows=*/true);
  if (out) ApplyHeaderRules(set, request, &*out);
  return out;
}

AssetResponse ServeAsset(const AssetSet& set, const AssetRequest& request) {
  AssetResponse out = *Answer(set, request, /*worker_follows=*/false);
  ApplyHeaderRules(set, request, &out);
  return out;
}

bool RunsWorkerFirst(const config::AssetsConfig& config, std::string_view path) {
  if (config.run_worker_first) return true;
  if (AnyMatches(config.assets_first, path)) return false;
  return AnyMatches(config.worker_first, path);
}

}  // namespace atl::assets
