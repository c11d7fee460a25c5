#pragma once
// Forgiving base64 (https://infra.spec.whatwg.org/#forgiving-base64), behind atob and btoa
// (https://html.spec.whatwg.org/multipage/webappapis.html#atob).

#include <optional>
#include <string>
#include <string_view>

namespace atl::bindings {

// Standard alphabet with padding.
std::string Base64Encode(std::string_view bytes);

// The forgiving decode: ASCII whitespace is skipped, padding optional; nullopt on failure.
std::optional<std::string> ForgivingBase64Decode(std::string_view text);

}  // namespace atl::bindings
