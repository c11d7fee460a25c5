#include "assets/content_types.h"

#include <array>
#include <utility>

#include "absl/strings/ascii.h"

namespace atl::assets {
namespace {

// The extensions web builds produce; the rest are served as bytes.
constexpr std::array<std::pair<std::string_view, std::string_view>, 52> kTypes = {{
    {"html", "text/html"}, {"htm", "text/html"}, {"css", "text/css"}, {"js", "text/javascript"},
    {"mjs", "text/javascript"}, {"cjs", "text/javascript"}, {"json", "application/json"}, {"map", "application/json"},
    {"webmanifest", "application/manifest+json"}, {"txt", "text/plain"}, {"md", "text/markdown"},
    {"csv", "text/csv"}, {"xml", "application/xml"}, {"rss", "application/rss+xml"}, {"atom", "application/atom+xml"},
    {"svg", "image/svg+xml"}, {"png", "image/png"}, {"jpg", "image/jpeg"}, {"jpeg", "image/jpeg"},
    {"gif", "image/gif"}, {"webp", "image/webp"}, {"avif", "image/avif"}, {"ico", "image/vnd.microsoft.icon"},
    {"bmp", "image/bmp"}, {"tif", "image/tiff"}, {"tiff", "image/tiff"}, {"woff", "font/woff"},
    {"woff2", "font/woff2"}, {"ttf", "font/ttf"}, {"otf", "font/otf"}, {"eot", "application/vnd.ms-fontobject"},
    {"wasm", "application/wasm"}, {"pdf", "application/pdf"}, {"zip", "application/zip"},
    {"gz", "application/gzip"}, {"mp3", "audio/mpeg"}, {"wav", "audio/wav"}, {"ogg", "audio/ogg"},
    {"oga", "audio/ogg"}, {"m4a", "audio/mp4"}, {"flac", "audio/flac"}, {"mp4", "video/mp4"},
    {"webm", "video/webm"}, {"ogv", "video/ogg"}, {"mov", "video/quicktime"}, {"vtt", "text/vtt"},
    {"ics", "text/calendar"}, {"yaml", "text/yaml"}, {"yml", "text/yaml"}, {"toml", "application/toml"},
    {"jsonld", "application/ld+json"}, {"apng", "image/apng"},
}};

}  // namespace

std::string ContentTypeOf(std::string_view file_name) {
  size_t slash = file_name.rfind('/');
  if (slash != std::string_view::npos) file_name.remove_prefix(slash + 1);
  size_t dot = file_name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return "application/octet-stream";
  std::string ext(file_name.substr(dot + 1));
  absl::AsciiStrToLower(&ext);
  for (const auto& [e, type] : kTypes) {
    if (e != ext) continue;
    std::string out(type);
    if (type.starts_with("text/")) out += "; charset=utf-8";
    return out;
  }
  return "application/octet-stream";
}

}  // namespace atl::assets
