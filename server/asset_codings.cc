#include "server/asset_codings.h"

#include <memory>

#include "server/body_encoder.h"

namespace atl::server {

bool AssetCodings::Compressible(std::string_view content_type, size_t size) {
  if (size < 1024) return false;
  std::string_view type = content_type.substr(0, content_type.find(';'));
  return type.starts_with("text/") || type == "application/json" || type == "application/manifest+json" ||
         type == "application/ld+json" || type == "application/xml" || type == "application/rss+xml" ||
         type == "application/atom+xml" || type == "image/svg+xml" || type == "application/wasm" ||
         type == "application/toml" || type == "image/vnd.microsoft.icon";
}

const std::string& AssetCodings::Coded(std::string_view body, std::string_view coding) {
  auto [it, inserted] = coded_.try_emplace({body.data(), coding == "br"});
  if (inserted) {
    std::unique_ptr<BodyEncoder> encoder = BodyEncoder::For(coding);
    it->second = encoder ? EncodeWhole(*encoder, body) : std::string(body);
  }
  return it->second;
}

}  // namespace atl::server
