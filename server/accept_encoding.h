#pragma once
// Which content codings a client's Accept-Encoding takes (RFC 9110 §12.5.3), as the bits the
// server's response coding asks about (tenant_runtime.cc, body_encoder.h). A coding is taken when
// it is listed (or `*` is, and it is not listed) with a q-value above 0. No header takes none:
// RFC 9110 would allow any, but clients that send none (curl without --compressed, scripts)
// expect an uncoded body, as nginx and Cloudflare treat them.
//
//   uint8_t taken = AcceptedCodings("gzip, br;q=0.5, deflate;q=0");   // kGzip | kBr
//   AcceptsCoding(taken, "x-gzip") == true

#include <cstdint>
#include <string_view>

namespace atl::server {

enum AcceptedCoding : uint8_t { kAcceptsGzip = 1, kAcceptsDeflate = 2, kAcceptsBr = 4 };

// The bit of one coding name (a Content-Encoding value, any case, spaces around it): 0 for codings
// atoll does not make or decode (identity, a list, zstd ...). The one list of those it does.
uint8_t CodingBit(std::string_view coding);
// The bits of the codings `header` (an Accept-Encoding value) takes.
uint8_t AcceptedCodings(std::string_view header);
// Whether `accepted` (AcceptedCodings's bits) takes `coding` (a Content-Encoding value, any case):
// false for codings atoll does not know.
bool AcceptsCoding(uint8_t accepted, std::string_view coding);

}  // namespace atl::server
