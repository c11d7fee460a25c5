#pragma once
// URL and URLSearchParams (https://url.spec.whatwg.org/): the parser is ada 2.7.8
// (https://github.com/ada-url/ada), the WHATWG URL parser Node uses, called where libnode108
// already has it (its symbols are exported; scripts/fetch_ada.sh fetches the matching headers).
// The JS half (lazy module "url", js/lazy/url.js) keeps a URL as its href and the offsets of its
// components, as Node does, so getters are string slices and a URL costs no C++ object.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace atl::bindings {
class NativeScope;

// A parsed URL as the JS half keeps it: the serialization and ada's url_components
// (protocol_end, username_end, host_start, host_end, port, pathname_start, search_start,
// hash_start; kOmitted where absent) and the scheme type (ada::scheme::type).
struct ParsedUrl {
  static constexpr uint32_t kOmitted = UINT32_MAX;
  std::string href;
  uint32_t components[9] = {};
};

// The basic URL parser of `input` against `base` (when given); nullopt on failure. UTF-8 in.
std::optional<ParsedUrl> ParseUrl(std::string_view input, const std::string_view* base);

// Which setter UpdateUrl runs (the order of the JS half's table).
enum class UrlPart : int { kHref, kProtocol, kUsername, kPassword, kHost, kHostname, kPort, kPathname, kSearch, kHash };

// Parses `href` (a serialization) and runs ada's setter of `part` with `value`; nullopt when `href`
// does not parse or the setter refused the value (the URL stays as it was).
std::optional<ParsedUrl> UpdateUrl(std::string_view href, UrlPart part, std::string_view value);

// application/x-www-form-urlencoded parsing (https://url.spec.whatwg.org/#concept-urlencoded-parser):
// name, value, name, value, ... as UTF-8 (invalid sequences become U+FFFD when made JS strings).
std::vector<std::string> ParseUrlencoded(std::string_view input);

// native.urlParse(components: Uint32Array(9), input, base?) -> href | undefined
// native.urlCanParse(input, base?) -> boolean
// native.urlUpdate(components, href, part, value) -> href | undefined
// native.urlParseForm(string) -> [name, value, ...]
void InstallUrl(NativeScope& scope);

}  // namespace atl::bindings
