#include "server/accept_encoding.h"

#include "base/strings.h"

namespace atl::server {

uint8_t CodingBit(std::string_view coding) {
  coding = base::StripAsciiWhitespace(coding);
  if (base::EqualsIgnoreCase(coding, "gzip") || base::EqualsIgnoreCase(coding, "x-gzip")) return kAcceptsGzip;
  if (base::EqualsIgnoreCase(coding, "deflate")) return kAcceptsDeflate;
  if (base::EqualsIgnoreCase(coding, "br")) return kAcceptsBr;
  return 0;
}

namespace {

// Whether a parameter list (";q=0.5;x=y") leaves the coding acceptable: no q, or q above 0.
bool QAboveZero(std::string_view params) {
  while (!params.empty()) {
    size_t semi = params.find(';', 1);
    std::string_view param = base::StripAsciiWhitespace(params.substr(1, semi == std::string_view::npos ? params.npos : semi - 1));
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi);
    if (param.size() < 2 || (param[0] != 'q' && param[0] != 'Q') || param[1] != '=') continue;
    std::string_view value = base::StripAsciiWhitespace(param.substr(2));
    // "0", "0.", "0.0", "0.000": zero; anything else a valid qvalue allows is above it.
    if (value.empty() || value[0] != '0') return true;
    for (char c : value.substr(1)) {
      if (c != '.' && c != '0') return true;
    }
    return false;
  }
  return true;
}

}  // namespace

uint8_t AcceptedCodings(std::string_view header) {
  uint8_t taken = 0, refused = 0;
  bool any = false;
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    size_t semi = item.find(';');
    std::string_view name = base::StripAsciiWhitespace(item.substr(0, semi));
    bool ok = semi == std::string_view::npos || QAboveZero(item.substr(semi));
    if (name == "*") {
      any = ok;
      continue;
    }
    uint8_t bit = CodingBit(name);
    (ok ? taken : refused) |= bit;
  }
  if (any) taken |= static_cast<uint8_t>((kAcceptsGzip | kAcceptsDeflate | kAcceptsBr) & ~refused);
  return static_cast<uint8_t>(taken & ~refused);
}

bool AcceptsCoding(uint8_t accepted, std::string_view coding) {
  uint8_t bit = CodingBit(coding);
  return bit != 0 && (accepted & bit) != 0;
}

}  // namespace atl::server
