#include "assets/asset_set.h"

#include <fstream>
#include <sstream>
#include <system_error>

#include "assets/assets_ignore.h"
#include "assets/content_types.h"
#include "base/strings.h"
#include "cache/content_hash.h"

namespace atl::assets {
namespace fs = std::filesystem;
namespace {

// What wrangler never uploads from an assets folder.
bool NeverServed(std::string_view relative) {
  return relative == ".assetsignore" || relative == "_headers" || relative == "_redirects";
}

absl::StatusOr<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(base::StrCat(path.string(), ": cannot be read"));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) return absl::DataLossError(base::StrCat(path.string(), ": read failed"));
  return std::move(bytes).str();
}

}  // namespace

absl::StatusOr<std::shared_ptr<const AssetSet>> AssetSet::Load(const config::AssetsConfig& config,
                                                               const AssetLimits& limits) {
  auto set = std::make_shared<AssetSet>();
  set->config_ = config;
  const fs::path& root = config.directory;
  IgnoreRules ignore;
  std::error_code ec;
  if (fs::is_regular_file(root / ".assetsignore", ec)) {
    absl::StatusOr<std::string> text = ReadFile(root / ".assetsignore");
    if (!text.ok()) return text.status();
    ignore = IgnoreRules::Parse(*text);
  }
  std::string rule_text[2];  // _redirects, _headers
  for (int i = 0; i < 2; ++i) {
    fs::path file = root / (i == 0 ? "_redirects" : "_headers");
    if (!fs::is_regular_file(file, ec)) continue;
    absl::StatusOr<std::string> text = ReadFile(file);
    if (!text.ok()) return text.status();
    rule_text[i] = *std::move(text);
  }
  set->rules_ = AssetRules::Parse(rule_text[0], rule_text[1], &set->rule_problems_);
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec);
  if (ec) return absl::NotFoundError(base::StrCat(root.string(), ": ", ec.message()));
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return absl::InternalError(base::StrCat(root.string(), ": ", ec.message()));
    std::string relative = it->path().lexically_relative(root).generic_string();
    bool directory = it->is_directory(ec);  // a link to a folder is not walked into
    if (directory && it->is_symlink(ec)) directory = false;
    if (NeverServed(relative) || ignore.Ignored(relative, directory)) {
      if (directory) it.disable_recursion_pending();
      continue;
    }
    if (directory || !it->is_regular_file(ec)) continue;
    if (set->files_.size() >= limits.max_files) {
      return absl::InvalidArgumentError(base::StrCat(root.string(), ": more than ", limits.max_files,
                                                     " files (the assets limit; .assetsignore can leave some out)"));
    }
    uint64_t size = it->file_size(ec);
    if (!ec && size > limits.max_file_bytes) {
      return absl::InvalidArgumentError(base::StrCat(it->path().string(), ": ", size, " bytes, over the ",
                                                     limits.max_file_bytes >> 20, " MiB an asset may have"));
    }
    absl::StatusOr<std::string> body = ReadFile(it->path());
    if (!body.ok()) return body.status();
    set->bytes_ += body->size();
    if (set->bytes_ > limits.max_total_bytes) {
      return absl::InvalidArgumentError(base::StrCat(root.string(), ": the assets add up to more than ",
                                                     limits.max_total_bytes >> 20, " MiB"));
    }
    Asset asset;
    asset.etag = cache::Sha256Hex({*body}).substr(0, 32);
    asset.content_type = ContentTypeOf(relative);
    asset.body = *std::move(body);
    set->files_.emplace("/" + relative, std::move(asset));
  }
  return std::shared_ptr<const AssetSet>(std::move(set));
}

const Asset* AssetSet::Find(std::string_view path) const {
  auto it = files_.find(absl::string_view(path.data(), path.size()));
  return it == files_.end() ? nullptr : &it->second;
}

}  // namespace atl::assets
