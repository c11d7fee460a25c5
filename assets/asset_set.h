#pragma once
// A tenant's static assets in memory: every file of its assets folder but the ignored ones, by
// path, each with its strong ETag and Content-Type, as Workers Static Assets uploads them
// (https://developers.cloudflare.com/workers/static-assets/). Loaded once per worker process
// when the tenant is (re)loaded; requests never touch the disk. Immutable once loaded: shared by
// the request path (asset_response.h) and env.ASSETS (bindings/env_assets.h).
//
//   absl::StatusOr<std::shared_ptr<const AssetSet>> set = AssetSet::Load(*tenant.assets);
//   const Asset* page = (*set)->Find("/blog/index.html");

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "assets/asset_rules.h"
#include "config/assets_config.h"

namespace atl::assets {

struct Asset {
  std::string body;
  std::string etag;          // 32 hex digits of the content's SHA-256, unquoted
  std::string content_type;  // from the file name's extension (content_types.h)
};

// Workers' limits on an upload (https://developers.cloudflare.com/workers/platform/limits/#static-assets),
// and one of atoll's: the folder is held in each worker process's memory.
struct AssetLimits {
  uint32_t max_files = 20000;
  uint64_t max_file_bytes = uint64_t{25} << 20;
  uint64_t max_total_bytes = uint64_t{512} << 20;
};

class AssetSet {
 public:
  // Reads config.directory: every regular file under it (a link to a file followed, a link to a
  // folder not walked into) but those `.assetsignore` names (gitignore's syntax,
  // assets_ignore.h) and the files Workers never serves (.assetsignore, _headers, _redirects),
  // which are read as rules (asset_rules.h). InvalidArgument naming the file past a limit;
  // NotFound from the file system, naming the path.
  static absl::StatusOr<std::shared_ptr<const AssetSet>> Load(const config::AssetsConfig& config,
                                                               const AssetLimits& limits = {});

  // The asset at `path` ("/a/b.html": decoded, "/"-separated, from the folder's root), or null.
  const Asset* Find(std::string_view path) const;
  const config::AssetsConfig& config() const { return config_; }
  size_t size() const { return files_.size(); }
  uint64_t bytes() const { return bytes_; }
  const AssetRules& rules() const { return rules_; }
  // The lines of _redirects and _headers left out, and why ("_redirects:3: ...").
  const std::vector<std::string>& rule_problems() const { return rule_problems_; }

 private:
  config::AssetsConfig config_;
  absl::flat_hash_map<std::string, Asset> files_;
  uint64_t bytes_ = 0;
  AssetRules rules_;
  std::vector<std::string> rule_problems_;
};

}  // namespace atl::assets
