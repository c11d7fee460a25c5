#pragma once
// The TOML text atoll hands to toml++ (3.3.0, Debian's). Found by fuzz/config_toml_fuzz:
// toml++'s generated is_non_ascii_horizontal_whitespace() reaches __builtin_unreachable()
// (undefined behaviour) for most non-ASCII code points, and its parser asks it about characters
// in many places (between tokens, in quoted keys, inside malformed values, after backslashes in
// multi-line strings). So toml++ is only ever given ASCII: AsciiTomlText rewrites every
// non-ASCII character, as a small lexer sees the text, into an equivalent ASCII form
// - in a basic string ("...", """..."""): the escape \uXXXX or \UXXXXXXXX (same value);
// - in a comment: '?' (comments have no value);
// and refuses it anywhere else: outside strings it is a TOML syntax error anyway, and a literal
// string ('...', '''...''') has no escapes (write that value as a basic string). Text without
// non-ASCII bytes is returned unchanged. toml++'s own errors keep their line numbers; a column
// after a rewritten character is counted in the rewritten text.
//
//   absl::StatusOr<std::string> ascii = AsciiTomlText(text, "atoll.toml");
//   if (ascii.ok()) toml::parse(*ascii, ...);

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace atl::config {

// InvalidArgument "LABEL:LINE:COLUMN: ..." at the first character that cannot be rewritten.
absl::StatusOr<std::string> AsciiTomlText(std::string_view text, std::string_view label);

}  // namespace atl::config
