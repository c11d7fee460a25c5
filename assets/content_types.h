#pragma once
// The Content-Type an asset is served with, from its file name's extension, as wrangler gives
// each uploaded file (the `mime` package's names, text types with "; charset=utf-8").

#include <string>
#include <string_view>

namespace atl::assets {

// "index.html" -> "text/html; charset=utf-8"; unknown: "application/octet-stream".
std::string ContentTypeOf(std::string_view file_name);

}  // namespace atl::assets
