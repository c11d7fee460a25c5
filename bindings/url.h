#pragma once
// URL and URLSearchParams (https://url.spec.whatwg.org/): the parser is whatwg-url, bundled as
// lazy module "url" (js/lazy/url.js); the native half is the host parser's IDNA step,
// https://url.spec.whatwg.org/#concept-domain-to-ascii, on ICU's UTS #46 implementation.

#include <optional>
#include <string>
#include <string_view>

namespace atl::bindings {
class NativeScope;

// domain to ASCII with CheckBidi, CheckJoiners, nontransitional processing; `be_strict` adds
// CheckHyphens, UseSTD3ASCIIRules and VerifyDnsLength. nullopt on failure. `domain` is UTF-8.
std::optional<std::string> DomainToAscii(std::string_view domain, bool be_strict);

// native.domainToASCII(domain, beStrict) -> string or null
void InstallUrl(NativeScope& scope);
}  // namespace atl::bindings
