#pragma once
// Compressed forms of a tenant's static assets, made on the first request that takes them and
// kept for the others, as Cloudflare compresses assets for clients that accept it: text, JSON,
// JavaScript, XML, SVG and Wasm of 1 KB or more, in br (preferred) or gzip (BodyEncoder's
// settings). The server's work, not the tenant's: no budget is charged. One per loaded AssetSet
// (TenantSpec::asset_codings); the set's bodies are its keys, so it lives no longer than the set.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"

namespace atl::server {

class AssetCodings {
 public:
  // Whether a body of `content_type` and `size` is worth compressing.
  static bool Compressible(std::string_view content_type, size_t size);
  // `body` (an asset's bytes, alive as long as this) coded with `coding` ("br" or "gzip").
  const std::string& Coded(std::string_view body, std::string_view coding);

 private:
  absl::flat_hash_map<std::pair<const char*, bool>, std::string> coded_;  // (body, br) -> coded
};

}  // namespace atl::server
