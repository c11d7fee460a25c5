#include "config/byte_size.h"

#include <cctype>
#include <limits>
#include <string>

#include "base/strings.h"
#include "base/strings.h"

namespace atl::config {

absl::StatusOr<uint64_t> ParseByteSize(std::string_view text) {
  std::string_view s = base::StripAsciiWhitespace(text);
  size_t digits = 0;
  while (digits < s.size() && std::isdigit(static_cast<unsigned char>(s[digits]))) ++digits;
  if (digits == 0 || digits > 15) {
    return absl::InvalidArgumentError(base::StrCat("invalid size \"", text, "\": expected e.g. \"10MB\""));
  }
  uint64_t value = std::stoull(std::string(s.substr(0, digits)));
  std::string unit(base::StripAsciiWhitespace(s.substr(digits)));
  for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  uint64_t scale;
  if (unit.empty() || unit == "B") scale = 1;
  else if (unit == "K" || unit == "KB" || unit == "KIB") scale = uint64_t{1} << 10;
  else if (unit == "M" || unit == "MB" || unit == "MIB") scale = uint64_t{1} << 20;
  else if (unit == "G" || unit == "GB" || unit == "GIB") scale = uint64_t{1} << 30;
  else return absl::InvalidArgumentError(base::StrCat("invalid size unit in \"", text, "\": use B, KB, MB or GB"));
  if (value > std::numeric_limits<uint64_t>::max() / scale) {
    return absl::InvalidArgumentError(base::StrCat("size \"", text, "\" is too large"));
  }
  return value * scale;
}

}  // namespace atl::config
