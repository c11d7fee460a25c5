#pragma once
// A temporary assets folder for the assets/ unit tests: files written, then loaded.

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "assets/asset_set.h"
#include "gtest/gtest.h"

namespace atl::assets {

class AssetFolder {
 public:
  AssetFolder() {
    char pattern[] = "/tmp/atoll-assets-XXXXXX";
    root_ = mkdtemp(pattern);
  }
  ~AssetFolder() { std::filesystem::remove_all(root_); }
  AssetFolder& Write(const std::string& relative, const std::string& content) {
    std::filesystem::path path = root_ / relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
    return *this;
  }
  std::shared_ptr<const AssetSet> Load(config::AssetsConfig config = {}, AssetLimits limits = {}) {
    config.directory = root_;
    absl::StatusOr<std::shared_ptr<const AssetSet>> set = AssetSet::Load(config, limits);
    EXPECT_TRUE(set.ok()) << set.status();
    return set.ok() ? *set : nullptr;
  }
  const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path root_;
};

}  // namespace atl::assets
